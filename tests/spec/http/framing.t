# Strict request framing: ambiguous or malformed requests are refused with 400 and the
# connection is closed, so no request can be smuggled behind another.

__DATA__

=== TEST 1: Content-Length together with Transfer-Encoding is 400
--- config
location = /t { return 200 "ok\n"; }
--- raw_request
POST /t HTTP/1.1\r\n
Host: localhost\r\n
Content-Length: 5\r\n
Transfer-Encoding: chunked\r\n
\r\n
0\r\n
\r\n
GET /smuggled HTTP/1.1\r\n
Host: localhost\r\n
\r\n
--- error_code: 400
--- response_headers
Connection: close
--- error_log
client sent "Content-Length" and "Transfer-Encoding" headers at the same time while reading client request headers

=== TEST 2: duplicate Content-Length is 400
--- config
location = /t { return 200 "ok\n"; }
--- raw_request
POST /t HTTP/1.1\r\n
Host: localhost\r\n
Content-Length: 3\r\n
Content-Length: 3\r\n
\r\n
abc
--- error_code: 400
--- response_headers
Connection: close
--- error_log
client sent duplicate header line: "Content-Length: 3", previous value: "Content-Length: 3" while reading client request headers

=== TEST 3: invalid Content-Length is 400
--- config
location = /t { return 200 "ok\n"; }
--- raw_request
POST /t HTTP/1.1\r\n
Host: localhost\r\n
Content-Length: 3x\r\n
\r\n
abc
--- error_code: 400
--- error_log
client sent invalid "Content-Length" header while reading client request headers

=== TEST 4: a bad chunk size is 400 and closes
--- config
location = /t { return 200 "ok\n"; }
--- raw_request
POST /t HTTP/1.1\r\n
Host: localhost\r\n
Transfer-Encoding: chunked\r\n
\r\n
zz\r\n
hello\r\n
0\r\n
\r\n
--- error_code: 400
--- response_headers
Connection: close
--- error_log
client sent invalid chunked body

=== TEST 5: an unknown Transfer-Encoding is 501
--- config
location = /t { return 200 "ok\n"; }
--- raw_request
POST /t HTTP/1.1\r\n
Host: localhost\r\n
Transfer-Encoding: gzip\r\n
\r\n
--- error_code: 501
--- error_log
client sent unknown "Transfer-Encoding": "gzip" while reading client request headers

=== TEST 6: HTTP/1.1 without Host is 400
--- config
location = /t { return 200 "ok\n"; }
--- raw_request
GET /t HTTP/1.1\r\n
\r\n
--- error_code: 400
--- error_log
client sent HTTP/1.1 request without "Host" header while reading client request headers

=== TEST 7: an invalid Host is 400
--- config
location = /t { return 200 "ok\n"; }
--- raw_request
GET /t HTTP/1.1\r\n
Host: a/b\r\n
Connection: close\r\n
\r\n
--- error_code: 400
--- error_log
client sent invalid host header while reading client request headers

=== TEST 8: garbage request line is 400
--- config
location = /t { return 200 "ok\n"; }
--- raw_request
HELLO THERE\r\n
\r\n
--- error_code: 400
--- error_log
client sent invalid request while reading client request line

=== TEST 9: an unsupported HTTP version is 505
--- config
location = /t { return 200 "ok\n"; }
--- raw_request
GET /t HTTP/2.0\r\n
Host: localhost\r\n
\r\n
--- error_code: 505
--- error_log
client sent invalid version while reading client request line

=== TEST 10: a space in a header name is 400
--- config
location = /t { return 200 "ok\n"; }
--- raw_request
GET /t HTTP/1.1\r\n
Host: localhost\r\n
Bad Header: x\r\n
Connection: close\r\n
\r\n
--- error_code: 400
--- error_log
client sent invalid header line: "Bad

=== TEST 11: a header with an underscore is ignored (underscores_in_headers off)
--- config
location = /t { return 200 "[$http_x_under]\n"; }
--- raw_request
GET /t HTTP/1.1\r\n
Host: localhost\r\n
X_Under: x\r\n
Connection: close\r\n
\r\n
--- response_body
[]

=== TEST 12: a request that follows a 400 is not served
--- config
location = /t { return 200 "ok\n"; }
location = /smuggled { return 200 "smuggled\n"; }
--- raw_request
GET /t HTTP/1.1\r\n
Host: localhost\r\n
Content-Length: 1\r\n
Content-Length: 2\r\n
\r\n
GET /smuggled HTTP/1.1\r\n
Host: localhost\r\n
\r\n
--- error_code: 400
--- response_body_like
400 Bad Request

=== TEST 13: a method nginx does not know is any word of A-Z, _ and -: served, body framed
--- config
location = /t { return 200 "$request_method $request_uri [$content_length]\n"; }
--- raw_request
PURGE_ALL-X /t?x=1 HTTP/1.1\r\n
Host: localhost\r\n
Content-Length: 3\r\n
Connection: close\r\n
\r\n
abc
--- response_body
PURGE_ALL-X /t?x=1 [3]

=== TEST 14: unknown methods on a keep-alive connection; a static file answers them 405
--- config
location = /t { return 200 "$request_method\n"; }
location / { root html; }
--- user_files
>>> index.html
hi
--- raw_request
\r\n
BAN /t HTTP/1.1\r\n
Host: localhost\r\n
Content-Length: 2\r\n
\r\n
xyREFRESH /index.html HTTP/1.1\r\n
Host: localhost\r\n
Connection: close\r\n
\r\n
--- error_code: 200 405

=== TEST 15: a lower-case method is 400
--- config
location = /t { return 200 "ok\n"; }
--- raw_request
get /t HTTP/1.1\r\n
Host: localhost\r\n
\r\n
--- error_code: 400
--- error_log
client sent invalid method while reading client request line

=== TEST 16: a header line without a name is 400
--- config
location = /t { return 200 "ok\n"; }
--- raw_request
GET /t HTTP/1.1\r\n
Host: localhost\r\n
: v\r\n
Connection: close\r\n
\r\n
--- error_code: 400
--- error_log
client sent invalid header line: "\x3a..." while reading client request headers

=== TEST 17: a space in Host is 400, even beside an absolute request target
--- config
location = /t { return 200 "ok\n"; }
--- raw_request
GET http://localhost/t HTTP/1.1\r\n
Host: a b\r\n
Connection: close\r\n
\r\n
--- error_code: 400
--- error_log
client sent invalid host header while reading client request headers

=== TEST 18: a backslash in Host is no path separator here: served
--- config
location = /t { return 200 "$host\n"; }
--- raw_request
GET /t HTTP/1.1\r\n
Host: A\\b\r\n
Connection: close\r\n
\r\n
--- response_body
a\b

=== TEST 19: a folded header line (obs-fold) is 400
--- config
location = /t { return 200 "[$http_x_fold]\n"; }
--- raw_request
GET /t HTTP/1.1\r\n
Host: localhost\r\n
X-Fold: a\r\n
 b\r\n
Connection: close\r\n
\r\n
--- error_code: 400
--- error_log
client sent invalid header line: "\x20..." while reading client request headers

=== TEST 20: a tab in the request target is 400
--- config
location = /t { return 200 "ok\n"; }
--- raw_request
GET /t?a\tb HTTP/1.1\r\n
Host: localhost\r\n
Connection: close\r\n
\r\n
--- error_code: 400
--- error_log
client sent invalid request while reading client request line

=== TEST 21: $request_uri keeps a fragment; $uri and $args end before it
--- config
location = /t { return 200 "$request_uri $uri [$args]\n"; }
--- pipelined_requests
GET /t?x=1#frag
GET /t#f?y=2
--- response_body
/t?x=1#frag /t [x=1]
/t#f?y=2 /t []

=== TEST 22: a second Authorization (or If-None-Match, Expect, ...: nginx's once-only headers) is 400
--- config
location = /t { return 200 "ok\n"; }
--- raw_request
GET /t HTTP/1.1\r\n
Host: localhost\r\n
authorization: Basic a\r\n
X-Other: 1\r\n
Authorization: Basic b\r\n
Connection: close\r\n
\r\n
--- error_code: 400
--- error_log
client sent duplicate header line: "Authorization: Basic b", previous value: "authorization: Basic a" while reading client request headers

=== TEST 23: repeated Range or Cookie lines are fine
--- config
location = /t { return 200 "[$http_cookie]\n"; }
--- pipelined_requests
GET /t
--- more_headers
Cookie: a=1
Cookie: b=2
Range: bytes=0-1
Range: bytes=2-3
--- response_body
[a=1; b=2]

=== TEST 24: a folded line after an empty value is 400 too
--- config
location = /t { return 200 "ok\n"; }
--- raw_request
GET /t HTTP/1.1\r\n
Host: localhost\r\n
X-Empty:\r\n
\t X-Lead: 1\r\n
Connection: close\r\n
\r\n
--- error_code: 400
--- error_log
client sent invalid header line: "\x09..." while reading client request headers

=== TEST 25: blanks around a value: nginx skips leading spaces only and strips trailing spaces only
--- config
location = /t { return 200 "[$http_x_a][$http_x_b][$http_x_c][$http_x_d]\n"; }
--- raw_request
GET /t HTTP/1.1\r\n
Host: localhost\r\n
X-A:\tv\r\n
X-B:  \t v \t \r\n
X-C: v\t\r\n
X-D:   \r\n
Connection: close\r\n
\r\n
--- response_body_like
^\[\tv\]\[\t v \t\]\[v\t\]\[\]$

=== TEST 26: a second Transfer-Encoding after chunked is a duplicate (400), not an unknown coding
--- config
location = /t { return 200 "ok\n"; }
--- raw_request
GET /t HTTP/1.1\r\n
Host: localhost\r\n
Transfer-Encoding: chunked\r\n
Transfer-Encoding: chunked\r\n
Connection: close\r\n
\r\n
--- error_code: 400
--- error_log
client sent duplicate header line: "Transfer-Encoding: chunked", previous value: "Transfer-Encoding: chunked"

=== TEST 27: an ignored header line is logged at info, as nginx does
--- config
location = /t { return 200 "[$http_x_under]\n"; }
--- raw_request
GET /t HTTP/1.1\r\n
Host: localhost\r\n
X_Under: x\r\n
Connection: close\r\n
\r\n
--- response_body
[]
--- error_log
client sent invalid header line: "X_Under: x" while reading client request headers

=== TEST 28: underscores_in_headers on (here at http level, for the default server) keeps them
--- http_config
underscores_in_headers on;
--- config
location = /t { return 200 "[$http_x_under]\n"; }
--- raw_request
GET /t HTTP/1.1\r\n
Host: localhost\r\n
X_Under: x\r\n
Connection: close\r\n
\r\n
--- response_body
[x]
--- no_error_log
invalid header line

=== TEST 29: ignore_invalid_headers off keeps a name with other characters; a space is still 400
--- config
ignore_invalid_headers off;
location = /t {
    content_by_lua_block {
        local h = ngx.req.get_headers()
        ngx.say(h["x.dot"], " ", h["x_under"])
    }
}
--- raw_request
GET /t HTTP/1.1\r\n
Host: localhost\r\n
X.Dot: y\r\n
X_Under: z\r\n
Connection: close\r\n
\r\n
--- response_body
y z

=== TEST 30: slashes are merged in the path ($uri), not in $request_uri
--- config
location / { return 200 "$uri $request_uri\n"; }
--- request
GET //a///b/./c//../d
--- response_body
/a/b/d //a///b/./c//../d

=== TEST 31: merge_slashes off keeps them; ".." takes an empty segment back
--- http_config
merge_slashes off;
--- config
location / { return 200 "$uri\n"; }
--- pipelined_requests
GET //a///b/./c//../d
GET /x//y/../z
--- response_body
//a///b/c/d
/x//z
