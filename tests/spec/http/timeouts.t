# Timeouts and keep-alive limits: client_header_timeout closes a slow client without an
# answer (nginx never sends its 408), keepalive_timeout closes an idle connection,
# keepalive_requests caps the requests on one connection.

__DATA__

=== TEST 1: client_header_timeout closes an incomplete request without a response
--- config
client_header_timeout 1s;
location = /t { return 200 "ok\n"; }
--- raw_request
GET /t HTTP/1.1\r\n
Host: local
--- timeout: 4
--- no_response
--- error_log
client timed out (110: Connection timed out) while reading client request headers

=== TEST 2: client_header_timeout with a partial request line
--- config
client_header_timeout 1s;
location = /t { return 200 "ok\n"; }
--- raw_request
GET /t
--- timeout: 4
--- no_response
--- error_log
client timed out (110: Connection timed out) while reading client request line

=== TEST 3: keepalive_timeout closes an idle keep-alive connection
--- config
keepalive_timeout 1s;
location = /t { return 200 "ok\n"; }
--- raw_request
GET /t HTTP/1.1\r\n
Host: localhost\r\n
\r\n
--- timeout: 4
--- response_headers
Connection: keep-alive
--- response_body
ok

=== TEST 4: keepalive_requests: the last allowed response says Connection: close
--- http_config
keepalive_requests 2;
--- config
location = /t { return 200 "ok\n"; }
--- raw_request
GET /t HTTP/1.1\r\n
Host: localhost\r\n
\r\n
GET /t HTTP/1.1\r\n
Host: localhost\r\n
\r\n
GET /t HTTP/1.1\r\n
Host: localhost\r\n
\r\n
--- error_code
200 200
--- response_headers
Connection: close
--- response_body
ok
ok

=== TEST 5: keepalive_requests 1 closes after the first response
--- config
keepalive_requests 1;
location = /t { return 200 "ok\n"; }
--- raw_request
GET /t HTTP/1.1\r\n
Host: localhost\r\n
\r\n
GET /t HTTP/1.1\r\n
Host: localhost\r\n
\r\n
--- error_code
200
--- response_headers
Connection: close

=== TEST 6: $connection_requests counts requests on a connection
--- config
location = /t { return 200 "n=$connection_requests\n"; }
--- pipelined_requests
GET /t
GET /t
GET /t
--- error_code
200 200 200
--- response_body
n=1
n=2
n=3
