# return: code, code text, code URL, URL alone; at server and location level.

__DATA__

=== TEST 1: return code with text
--- config
location = /t { return 202 "accepted $uri\n"; }
--- request
GET /t
--- error_code: 202
--- response_body
accepted /t

=== TEST 2: return a bare error code gives the error page
--- config
location = /t { return 403; }
--- request
GET /t
--- error_code: 403
--- response_body_like
<title>403 Forbidden</title>

=== TEST 3: return 301 with a URL sets Location
--- config
location = /t { return 301 https://example.com/new$uri; }
--- request
GET /t
--- error_code: 301
--- response_headers
Location: https://example.com/new/t
--- response_body_like
<title>301 Moved Permanently</title>

=== TEST 4: return with a URL alone is a 302
--- config
location = /t { return http://example.com/; }
--- request
GET /t
--- error_code: 302
--- response_headers
Location: http://example.com/

=== TEST 5: return 302 with a relative URI is made absolute
--- config
location = /t { return 302 /elsewhere; }
--- request
GET /t
--- error_code: 302
--- response_headers
Location: http://localhost:$TEST_NGINX_SERVER_PORT/elsewhere

=== TEST 6: return 307 and 308
--- config
location = /a { return 307 /b; }
location = /c { return 308 /d; }
--- pipelined_requests
GET /a
GET /c
--- error_code
307 308

=== TEST 7: return at server level runs before location matching
--- config
return 200 "server level\n";
location = /t { return 200 "location\n"; }
--- request
GET /t
--- response_body
server level

=== TEST 8: return 204 has no body
--- config
location = /t { return 204; }
--- request
GET /t
--- error_code: 204
--- response_headers
!Content-Length
!Content-Type
--- response_body chomp

=== TEST 9: return with an empty text
--- config
location = /t { return 200 ""; }
--- request
GET /t
--- response_headers
Content-Length: 0
--- response_body chomp

=== TEST 10: return stops the rewrite phase: later directives do not run
--- config
location = /t {
    set $a "before";
    return 200 "$a\n";
    set $a "after";
}
--- request
GET /t
--- response_body
before

=== TEST 11: return a code over 599 with text
--- config
location = /t { return 599 "odd\n"; }
--- request
GET /t
--- error_code: 599
--- response_body
odd
