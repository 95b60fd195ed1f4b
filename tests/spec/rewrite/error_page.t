# error_page code ... [=[response]] uri.

__DATA__

=== TEST 1: error_page to a local URI keeps the status
--- user_files
>>> 404.html
custom not found
--- config
error_page 404 /404.html;
--- request
GET /missing
--- error_code: 404
--- response_headers
Content-Type: text/html
--- response_body
custom not found

=== TEST 2: error_page with several codes
--- config
error_page 403 404 /oops;
location = /oops { return 200 "oops for $uri\n"; }
location = /forbidden { return 403; }
--- request
GET /forbidden
--- error_code: 403
--- response_body
oops for /oops

=== TEST 3: error_page =code changes the status
--- config
error_page 404 =200 /fallback;
location = /fallback { return 200 "fallback\n"; }
--- request
GET /missing
--- error_code: 200
--- response_body
fallback

=== TEST 4: error_page = takes the status of the target
--- config
error_page 404 = /made;
location = /made { return 201 "made\n"; }
--- request
GET /missing
--- error_code: 201
--- response_body
made

=== TEST 5: error_page to a named location keeps the original status
--- config
error_page 404 @notfound;
location @notfound { return 200 "named handler\n"; }
--- request
GET /missing
--- error_code: 404
--- response_body
named handler

=== TEST 6: error_page to an absolute URL redirects with 302
--- config
error_page 404 http://example.com/notfound;
--- request
GET /missing
--- error_code: 302
--- response_headers
Location: http://example.com/notfound

=== TEST 7: error_page =301 with a URL
--- config
error_page 404 =301 http://example.com/moved;
--- request
GET /missing
--- error_code: 301
--- response_headers
Location: http://example.com/moved

=== TEST 8: error_page applies to return codes
--- config
error_page 418 /teapot;
location = /t { return 418; }
location = /teapot { return 200 "short and stout\n"; }
--- request
GET /t
--- error_code: 418
--- response_body
short and stout

=== TEST 9: error_page in a location overrides the server's
--- config
error_page 404 /server404;
location = /server404 { return 200 "server\n"; }
location = /loc404 { return 200 "location\n"; }
location /inner/ { error_page 404 /loc404; }
--- request
GET /inner/missing
--- error_code: 404
--- response_body
location

=== TEST 10: an error inside the error page is not redirected again
--- config
error_page 404 /also-missing.html;
--- request
GET /missing
--- error_code: 404
--- response_body_like
<title>404 Not Found</title>
