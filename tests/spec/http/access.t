# allow / deny (nginx's access module): the first matching rule decides, "deny" answers 403
# and logs "access forbidden by rule"; rules are inherited by levels that have none; they run
# in the access phase (after rewrite's `return`), before access_by_lua*.

__DATA__

=== TEST 1: deny all
--- config
location = /t {
    deny all;
    content_by_lua_block { ngx.say("ok") }
}
--- request
GET /t
--- error_code: 403
--- error_log
qr/\[error\] .*access forbidden by rule, client: 127\.0\.0\.1, server: \S+, request: "GET \/t HTTP\/1\.1"/

=== TEST 2: the first matching rule wins
--- config
location = /t {
    allow 127.0.0.1;
    deny all;
    content_by_lua_block { ngx.say("ok") }
}
--- request
GET /t
--- response_body
ok
--- no_error_log
[error]

=== TEST 3: CIDR blocks; a rule for another network does not match
--- config
location = /t {
    allow 10.0.0.0/8;
    allow ::1/128;
    deny 127.0.0.0/8;
    allow all;
    content_by_lua_block { ngx.say("ok") }
}
--- request
GET /t
--- error_code: 403

=== TEST 4: a location without rules inherits the server's; one with rules replaces them
--- config
deny all;
location = /open {
    allow all;
    content_by_lua_block { ngx.say("open") }
}
location = /closed {
    content_by_lua_block { ngx.say("closed") }
}
--- request
GET /closed
--- error_code: 403

=== TEST 5: the inner rules replace the outer ones
--- config
deny all;
location = /open {
    allow all;
    content_by_lua_block { ngx.say("open") }
}
--- request
GET /open
--- response_body
open

=== TEST 6: set bits below the prefix are dropped, with nginx's warning
--- config
location = /t {
    allow 127.1.2.3/8;
    deny all;
    content_by_lua_block { ngx.say("ok") }
}
--- request
GET /t
--- response_body
ok
--- error_log
qr/\[warn\] .*low address bits of 127\.1\.2\.3\/8 are meaningless in \S+nginx\.conf:\d+/

=== TEST 7: an invalid address stops the configuration
--- config
location = /t {
    deny 300.1.1.1;
}
--- must_die
--- error_log
qr/invalid parameter "300\.1\.1\.1" in \S+nginx\.conf:\d+/

=== TEST 8: a denied request never reaches access_by_lua
--- config
location = /t {
    deny all;
    access_by_lua_block { ngx.log(ngx.ERR, "lua access ran") }
    content_by_lua_block { ngx.say("content") }
}
--- request
GET /t
--- error_code: 403
--- no_error_log
lua access ran
