# No escape from root: "..", encoded dots and slashes are resolved on the URI before the file
# is looked up; a URI that climbs above "/" is 400.

__DATA__

=== TEST 1: /../ above the root is 400
--- user_files
>>> index.html
home
--- raw_request
GET /../etc/passwd HTTP/1.1\r\n
Host: localhost\r\n
Connection: close\r\n
\r\n
--- error_code: 400

=== TEST 2: encoded dots above the root are 400
--- raw_request
GET /%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\n
Host: localhost\r\n
Connection: close\r\n
\r\n
--- error_code: 400

=== TEST 3: mixed encoded dot segments above the root are 400
--- raw_request
GET /a/..%2f..%2fetc/passwd HTTP/1.1\r\n
Host: localhost\r\n
Connection: close\r\n
\r\n
--- error_code: 400

=== TEST 4: dot segments inside the root are resolved
--- user_files
>>> b.txt
b
--- raw_request
GET /a/../b.txt HTTP/1.1\r\n
Host: localhost\r\n
Connection: close\r\n
\r\n
--- response_body
b

=== TEST 5: encoded dot segments inside the root are resolved
--- user_files
>>> b.txt
b
--- raw_request
GET /a/%2e%2e/b.txt HTTP/1.1\r\n
Host: localhost\r\n
Connection: close\r\n
\r\n
--- response_body
b

=== TEST 6: $uri is the normalized path, $request_uri the raw one
--- config
location / { return 200 "$uri $request_uri\n"; }
--- raw_request
GET /a/./b/../c//d%41?x=%41 HTTP/1.1\r\n
Host: localhost\r\n
Connection: close\r\n
\r\n
--- response_body
/a/c/dA /a/./b/../c//d%41?x=%41

=== TEST 7: a traversal attempt never reaches a location that would serve it
--- user_files
>>> secret/key.txt
secret
--- config
location /secret/ { return 403; }
location /public/ { alias $TEST_NGINX_HTML_DIR/public/; }
--- raw_request
GET /public/../secret/key.txt HTTP/1.1\r\n
Host: localhost\r\n
Connection: close\r\n
\r\n
--- error_code: 403

=== TEST 8: an encoded NUL in the path is 400
--- raw_request
GET /a%00b HTTP/1.1\r\n
Host: localhost\r\n
Connection: close\r\n
\r\n
--- error_code: 400
