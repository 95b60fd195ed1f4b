# HTTP/1.1 basics: status line, Date/Server/Content-Length/Connection, HTTP/1.0, HEAD,
# pipelining, Expect: 100-continue, chunked request bodies, server_tokens, error pages.

__DATA__

=== TEST 1: response headers of a simple response
--- config
location = /t { return 200 "hello\n"; }
--- request
GET /t
--- response_headers
Server: $TEST_NGINX_SERVER_SIG
Content-Type: text/plain
Content-Length: 6
Connection: close
!Transfer-Encoding
!Keep-Alive
--- response_headers_like
Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d GMT
--- response_body
hello
--- no_error_log
[error]

=== TEST 2: default_type sets the type of return's text
--- config
default_type application/x-spec;
location = /t { return 200 "hello\n"; }
--- request
GET /t
--- response_headers
Content-Type: application/x-spec

=== TEST 3: HTTP/1.0 request gets an HTTP/1.1 response and the connection closes
--- config
location = /t { return 200 "ten\n"; }
--- raw_request
GET /t HTTP/1.0\r\n
\r\n
--- response_headers
Content-Length: 4
Connection: close
--- response_body
ten

=== TEST 4: HEAD has headers and no body
--- config
location = /t { return 200 "hello\n"; }
--- request
HEAD /t
--- response_headers
Content-Length: 6
Content-Type: text/plain
--- response_body chomp

=== TEST 5: pipelined requests are answered in order
--- config
location = /a { return 200 "a\n"; }
location = /b { return 200 "b\n"; }
--- pipelined_requests
GET /a
GET /b
GET /a
--- error_code
200 200 200
--- response_body
a
b
a

=== TEST 6: keep-alive response, closed by keepalive_timeout
--- config
keepalive_timeout 1s;
location = /t { return 200 "ka\n"; }
--- raw_request
GET /t HTTP/1.1\r\n
Host: localhost\r\n
\r\n
--- timeout: 4
--- response_headers
Connection: keep-alive
!Keep-Alive
--- response_body
ka

=== TEST 7: keepalive_timeout's second argument sends Keep-Alive: timeout=N
--- config
keepalive_timeout 1s 7s;
location = /t { return 200 "ka\n"; }
--- raw_request
GET /t HTTP/1.1\r\n
Host: localhost\r\n
\r\n
--- timeout: 4
--- response_headers
Connection: keep-alive
Keep-Alive: timeout=7

=== TEST 8: keepalive_timeout 0 disables keep-alive
--- config
keepalive_timeout 0;
location = /t { return 200 "x\n"; }
--- raw_request
GET /t HTTP/1.1\r\n
Host: localhost\r\n
\r\n
--- response_headers
Connection: close

=== TEST 9: HTTP/1.0 with Connection: keep-alive stays open
--- config
keepalive_timeout 1s;
location = /t { return 200 "x\n"; }
--- raw_request
GET /t HTTP/1.0\r\n
Connection: keep-alive\r\n
\r\n
--- timeout: 4
--- response_headers
Connection: keep-alive

=== TEST 10: Expect: 100-continue gets an interim 100 response
--- config
location = /t { return 200 "done\n"; }
--- raw_request
POST /t HTTP/1.1\r\n
Host: localhost\r\n
Connection: close\r\n
Content-Length: 5\r\n
Expect: 100-continue\r\n
\r\n
hello
--- error_code
100 200
--- response_body
done

=== TEST 11: chunked request body is read and the request answered
--- config
location = /t { return 200 "chunked ok\n"; }
--- raw_request
POST /t HTTP/1.1\r\n
Host: localhost\r\n
Connection: close\r\n
Transfer-Encoding: chunked\r\n
\r\n
5\r\n
hello\r\n
6;ext=1\r\n
 world\r\n
0\r\n
\r\n
--- response_body
chunked ok
--- no_error_log
[error]

=== TEST 12: chunked bodies on a keep-alive connection keep the framing
--- config
location = /t { return 200 "r\n"; }
--- raw_request
POST /t HTTP/1.1\r\n
Host: localhost\r\n
Transfer-Encoding: chunked\r\n
\r\n
3\r\n
abc\r\n
0\r\n
\r\n
GET /t HTTP/1.1\r\n
Host: localhost\r\n
Connection: close\r\n
\r\n
--- error_code
200 200
--- response_body
r
r

=== TEST 13: server_tokens off hides the version
--- config
server_tokens off;
location = /t { return 200 "x\n"; }
--- request
GET /t
--- response_headers
Server: $TEST_NGINX_SERVER_PRODUCT

=== TEST 14: the built-in error page
--- request
GET /no/such/file
--- error_code: 404
--- response_headers
Content-Type: text/html
--- response_body crlf
<html>
<head><title>404 Not Found</title></head>
<body>
<center><h1>404 Not Found</h1></center>
<hr><center>$TEST_NGINX_SERVER_SIG</center>
</body>
</html>

=== TEST 15: error page with server_tokens off
--- config
server_tokens off;
location = /t { return 403; }
--- request
GET /t
--- error_code: 403
--- response_body crlf
<html>
<head><title>403 Forbidden</title></head>
<body>
<center><h1>403 Forbidden</h1></center>
<hr><center>$TEST_NGINX_SERVER_PRODUCT</center>
</body>
</html>

=== TEST 16: HEAD of an error has no body
--- request
HEAD /no/such/file
--- error_code: 404
--- response_headers
Content-Type: text/html
--- response_body chomp

=== TEST 17: absolute URI in the request line sets the host
--- config
location = /t { return 200 "host=$host uri=$uri\n"; }
--- raw_request
GET http://Example.COM/t HTTP/1.1\r\n
Host: other\r\n
Connection: close\r\n
\r\n
--- response_body
host=example.com uri=/t

=== TEST 18: return 444 closes the connection without a response; the access log has 444
--- config
location = /t { return 444; }
--- request
GET /t
--- no_response
--- access_log
qr/"GET \/t HTTP\/1\.1" 444 0 /

=== TEST 19: return 499 closes the connection without a response
--- config
location = /t { return 499; }
--- request
GET /t
--- no_response
--- access_log
qr/"GET \/t HTTP\/1\.1" 499 0 /

=== TEST 20: return 408 closes the connection without a response
--- config
location = /t { return 408; }
--- request
GET /t
--- no_response
--- access_log
qr/"GET \/t HTTP\/1\.1" 408 0 /
