# expires [modified] time | epoch | max | off | @time-of-day | $variable: the Expires and
# Cache-Control headers of 200/201/204/206/301/302/303/304/307/308 responses.

__DATA__

=== TEST 1: a positive time: max-age and a date that far ahead
--- config
location = /t {
    expires 1h;
    return 200 "ok\n";
}
--- request
GET /t
--- response_headers
Cache-Control: max-age=3600
--- response_headers_like
Expires: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT

=== TEST 2: a negative time: no-cache
--- config
location = /t {
    expires -1;
    return 200 "ok\n";
}
--- request
GET /t
--- response_headers
Cache-Control: no-cache
--- response_headers_like
Expires: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT

=== TEST 3: epoch
--- config
location = /t {
    expires epoch;
    return 200 "ok\n";
}
--- request
GET /t
--- response_headers
Expires: Thu, 01 Jan 1970 00:00:01 GMT
Cache-Control: no-cache

=== TEST 4: max, inherited from the server level
--- config
expires max;
location = /t {
    return 200 "ok\n";
}
--- request
GET /t
--- response_headers
Expires: Thu, 31 Dec 2037 23:55:55 GMT
Cache-Control: max-age=315360000

=== TEST 5: off in a location overrides the server's
--- config
expires max;
location = /t {
    expires off;
    return 200 "ok\n";
}
--- request
GET /t
--- response_headers
!Expires
!Cache-Control

=== TEST 6: zero: max-age=0
--- config
location = /t {
    expires 0;
    return 200 "ok\n";
}
--- request
GET /t
--- response_headers
Cache-Control: max-age=0
--- response_headers_like
Expires: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT

=== TEST 7: modified: relative to the file's mtime (an hour after 2023-11-14 22:13:20, long past)
--- user_files
>>> f.txt 1700000000
hello
--- config
location = /f.txt {
    expires modified +1h;
}
--- request
GET /f.txt
--- response_headers
Expires: Tue, 14 Nov 2023 23:13:20 GMT
Cache-Control: no-cache

=== TEST 8: a time of day: the next one
--- config
location = /t {
    expires @3h30m;
    return 200 "ok\n";
}
--- request
GET /t
--- response_headers_like
Cache-Control: max-age=\d+
Expires: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT

=== TEST 9: not for a 404
--- config
location = /t {
    expires max;
    return 404;
}
--- request
GET /t
--- error_code: 404
--- response_headers
!Expires
!Cache-Control

=== TEST 10: a Cache-Control the handler set is replaced, and an Expires too
--- config
location = /t {
    expires 2m;
    content_by_lua_block {
        ngx.header["Cache-Control"] = {"private", "no-store"}
        ngx.header["Expires"] = "never"
        ngx.say("ok")
    }
}
--- request
GET /t
--- response_headers
Cache-Control: max-age=120
--- response_headers_like
Expires: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT

=== TEST 11: a value from a map, by content type (nginx's documented example)
--- http_config
map $sent_http_content_type $expires {
    default         off;
    text/html       epoch;
    ~image/         max;
}
--- config
location = /t {
    expires $expires;
    default_type text/html;
    return 200 "ok\n";
}
--- request
GET /t
--- response_headers
Expires: Thu, 01 Jan 1970 00:00:01 GMT
Cache-Control: no-cache

=== TEST 12: the map's default off: no headers
--- http_config
map $sent_http_content_type $expires {
    default         off;
    text/html       epoch;
}
--- config
location = /t {
    expires $expires;
    default_type text/plain;
    return 200 "ok\n";
}
--- request
GET /t
--- response_headers
!Expires
!Cache-Control

=== TEST 13: a bad time
--- config
include bad.conf;
--- user_files
>>> ../conf/bad.conf

expires 1x;
--- must_die
--- error_log
[emerg]
"expires" directive invalid value in $TEST_NGINX_CONF_DIR/bad.conf:2

=== TEST 14: a time of day past 24 hours
--- config
include bad.conf;
--- user_files
>>> ../conf/bad.conf

expires @25h;
--- must_die
--- error_log
[emerg]
daily time value must be less than 24 hours in $TEST_NGINX_CONF_DIR/bad.conf:2

=== TEST 15: two arguments, the first not "modified"
--- config
include bad.conf;
--- user_files
>>> ../conf/bad.conf

expires later 1h;
--- must_die
--- error_log
[emerg]
"expires" directive invalid value in $TEST_NGINX_CONF_DIR/bad.conf:2
