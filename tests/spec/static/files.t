# Serving files: root, MIME types (types, default_type, the built-in defaults), HEAD, 404/403,
# 405 for POST, directory redirects.

__DATA__

=== TEST 1: a file under root
--- user_files
>>> hello.txt
hello world
--- http_config
types { text/plain txt; }
--- request
GET /hello.txt
--- response_headers
Content-Type: text/plain
Content-Length: 12
--- response_headers_like
Last-Modified: \w\w\w, \d\d \w\w\w \d{4} \d\d:\d\d:\d\d GMT
ETag: "[0-9a-f]+-c"
Accept-Ranges: bytes
--- response_body
hello world
--- no_error_log
[error]

=== TEST 2: root set in a location
--- user_files
>>> site/a/page.html
<p>page</p>
--- config
location /a/ { root $TEST_NGINX_HTML_DIR/site; }
--- request
GET /a/page.html
--- response_headers
Content-Type: text/html
--- response_body
<p>page</p>

=== TEST 3: a relative root resolves against the prefix
--- user_files
>>> other/x.html
x
--- config
location / { root html/other; }
--- request
GET /x.html
--- response_body
x

=== TEST 4: built-in types when none are configured (html, gif, jpg)
--- user_files
>>> a.gif
GIF
--- request
GET /a.gif
--- response_headers
Content-Type: image/gif

=== TEST 5: types and default_type
--- user_files
>>> data.json
{}
>>> data.unknownext
?
--- http_config
types {
    application/json json;
    text/css css;
}
default_type application/x-spec-default;
--- pipelined_requests
GET /data.json
GET /data.unknownext
--- error_code
200 200
--- response_headers
Content-Type: application/x-spec-default

=== TEST 6: types match the extension case-insensitively
--- user_files
>>> DATA.JSON
{}
--- http_config
types { application/json json; }
--- request
GET /DATA.JSON
--- response_headers
Content-Type: application/json

=== TEST 7: include mime.types relative to the config directory
--- user_files
>>> ../conf/mime.types
types {
    text/x-spec spec;
}
>>> a.spec
a
--- http_config
include mime.types;
--- request
GET /a.spec
--- response_headers
Content-Type: text/x-spec

=== TEST 8: a missing file is 404 and logged
--- request
GET /missing.html
--- error_code: 404
--- error_log
qr/\[error\] .*open\(\) "\S+\/html\/missing\.html" failed \(2: No such file or directory\), client: 127\.0\.0\.1, server: localhost, request: "GET \/missing\.html HTTP\/1\.1", host: "localhost"/

=== TEST 9: HEAD of a file
--- user_files
>>> hello.txt
hello world
--- request
HEAD /hello.txt
--- response_headers
Content-Length: 12
--- response_body chomp

=== TEST 10: POST to a static file is 405
--- user_files
>>> hello.txt
hello world
--- request
POST /hello.txt
x
--- error_code: 405
--- response_body_like
<title>405 Not Allowed</title>

=== TEST 11: a directory without a trailing slash redirects
--- user_files
>>> dir/index.html
idx
--- request
GET /dir
--- error_code: 301
--- response_headers
Location: http://localhost:$TEST_NGINX_SERVER_PORT/dir/

=== TEST 12: the redirect keeps the query string and uses the Host header
--- user_files
>>> dir/index.html
idx
--- request
GET /dir?x=1
--- more_headers
Host: example.test
--- error_code: 301
--- response_headers
Location: http://example.test:$TEST_NGINX_SERVER_PORT/dir/?x=1

=== TEST 13: a file name with an encoded space
--- user_files
>>> with space.txt
spaced
--- request
GET /with%20space.txt
--- response_body
spaced

=== TEST 14: an empty file
--- user_files
>>> empty.txt
--- request
GET /empty.txt
--- response_headers
Content-Length: 0
--- response_body chomp

=== TEST 15: a dot that starts the last segment is no extension (default_type applies)
--- config
types { text/x-hid hidden; text/x-b b; }
default_type text/plain;
location / { content_by_lua_block { ngx.say(ngx.var.uri) } }
--- request
GET /dir/.hidden
--- response_body
/dir/.hidden
--- response_headers
Content-Type: text/plain

=== TEST 16: ... but a later dot in that segment is, in any case
--- config
types { text/x-hid hidden; text/x-b b; }
default_type text/plain;
location / { content_by_lua_block { ngx.say(ngx.var.uri) } }
--- request
GET /.a.B
--- response_body
/.a.B
--- response_headers
Content-Type: text/x-b
