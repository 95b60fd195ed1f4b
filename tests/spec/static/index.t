# index and try_files.

__DATA__

=== TEST 1: index.html is the default index
--- user_files
>>> index.html
<h1>home</h1>
--- request
GET /
--- response_headers
Content-Type: text/html
--- response_body
<h1>home</h1>

=== TEST 2: index tries its files in order
--- user_files
>>> sub/second.html
second
>>> sub/third.html
third
--- config
location /sub/ { index first.html second.html third.html; }
--- request
GET /sub/
--- response_body
second

=== TEST 3: a directory without an index file is 403
--- user_files
>>> noindex/file.txt
x
--- request
GET /noindex/
--- error_code: 403
--- error_log
qr/directory index of "\S+\/html\/noindex\/" is forbidden/

=== TEST 4: index makes an internal redirect, matched against locations again
--- user_files
>>> index.html
file
--- config
location = /index.html { return 200 "via location\n"; }
--- request
GET /
--- response_body
via location

=== TEST 5: index with an absolute path
--- user_files
>>> fallback.html
fallback
>>> empty/
--- config
location /empty/ { index /fallback.html; }
--- request
GET /empty/
--- response_body
fallback

=== TEST 6: try_files serves the first file that exists
--- user_files
>>> b.txt
b
--- config
location / { try_files /a.txt /b.txt =404; }
--- request
GET /whatever
--- response_body
b

=== TEST 7: try_files with $uri and a =404 fallback
--- user_files
>>> real.txt
real
--- config
location / { try_files $uri =404; }
--- pipelined_requests
GET /real.txt
GET /fake.txt
--- error_code
200 404

=== TEST 8: try_files falls back to a URI (internal redirect)
--- user_files
>>> app.html
app
--- config
location / { try_files $uri $uri/ /app.html; }
--- request
GET /some/route
--- response_body
app

=== TEST 9: try_files $uri/ finds a directory, which redirects to add the slash
--- user_files
>>> d/index.html
dir index
--- config
location / { try_files $uri/ =404; }
--- request
GET /d
--- error_code: 301
--- response_headers
Location: http://localhost:$TEST_NGINX_SERVER_PORT/d/

=== TEST 10: try_files falls back to a named location
--- config
location / { try_files $uri @fallback; }
location @fallback { return 200 "named $uri\n"; }
--- request
GET /nothing/here
--- response_body
named /nothing/here

=== TEST 11: try_files with a =code fallback other than 404
--- config
location / { try_files $uri =410; }
--- request
GET /gone
--- error_code: 410

=== TEST 12: the fallback URI may carry arguments
--- config
location / { try_files $uri /handler?from=$uri; }
location = /handler { return 200 "args=$args\n"; }
--- request
GET /x/y
--- response_body
args=from=/x/y
