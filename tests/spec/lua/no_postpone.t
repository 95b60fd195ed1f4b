# rewrite_by_lua_no_postpone: rewrite_by_lua* runs before the location's rewrite-module
# directives (set, rewrite) instead of after them.

__DATA__

=== TEST 1: by default rewrite_by_lua runs after set
--- config
location = /t {
    set $x "from set";
    set $y "";
    rewrite_by_lua_block { ngx.var.y = "lua saw: " .. tostring(ngx.var.x) }
    content_by_lua_block { ngx.say(ngx.var.y) }
}
--- request
GET /t
--- response_body
lua saw: from set

=== TEST 2: rewrite_by_lua_no_postpone on: rewrite_by_lua runs first
--- http_config
rewrite_by_lua_no_postpone on;
--- config
location = /t {
    set $x "from set";
    set $y "";
    rewrite_by_lua_block { ngx.var.x = "from lua" }
    content_by_lua_block { ngx.say(ngx.var.x) }
}
--- request
GET /t
--- response_body
from set

=== TEST 3: with no_postpone, rewrite_by_lua runs before a `return` of the rewrite module
--- http_config
rewrite_by_lua_no_postpone on;
--- config
location = /t {
    return 200 "rewrite module first\n";
    rewrite_by_lua_block { ngx.say("lua first") ngx.exit(200) }
}
--- request
GET /t
--- response_body
lua first

=== TEST 4: without it, the rewrite module's `return` ends the request before Lua
--- config
location = /t {
    return 200 "rewrite module first\n";
    rewrite_by_lua_block { ngx.say("lua first") ngx.exit(200) }
}
--- request
GET /t
--- response_body
rewrite module first

=== TEST 5: rewrite_by_lua_no_postpone off keeps the default order
--- http_config
rewrite_by_lua_no_postpone off;
--- config
location = /t {
    set $x "from set";
    rewrite_by_lua_block { ngx.var.x = "from lua" }
    content_by_lua_block { ngx.say(ngx.var.x) }
}
--- request
GET /t
--- response_body
from lua

=== TEST 6: a rewrite that changes the URI (last, or no flag) skips the location's rewrite_by_lua: the new location runs instead
--- config
location /main {
    rewrite ^/main/last$ /abc.html last;
    rewrite ^/main/plain$ /abc.html;
    rewrite_by_lua_block { ngx.exit(503) }
}
location ~ /abc.html {
    content_by_lua_block { ngx.say("abc") }
}
--- pipelined_requests
GET /main/last
GET /main/plain
--- response_body
abc
abc

=== TEST 7: with break the URI stays in this location, and rewrite_by_lua runs
--- config
location /main {
    rewrite ^/main/xyz$ /abc.html break;
    rewrite_by_lua_block { ngx.exit(503) }
}
--- request
GET /main/xyz
--- error_code: 503

=== TEST 8: by default `deny` answers before access_by_lua runs
--- config
location = /t {
    deny all;
    access_by_lua_block { ngx.log(ngx.WARN, "access lua ran") ngx.redirect("/elsewhere") }
    content_by_lua_block { ngx.say("content") }
}
--- request
GET /t
--- error_code: 403
--- no_error_log
access lua ran

=== TEST 9: access_by_lua_no_postpone on: access_by_lua runs before `deny` and may answer first
--- http_config
access_by_lua_no_postpone on;
--- config
location = /t {
    deny all;
    access_by_lua_block { ngx.redirect("/elsewhere") }
    content_by_lua_block { ngx.say("content") }
}
--- request
GET /t
--- error_code: 302
--- response_headers
Location: /elsewhere

=== TEST 10: with no_postpone, an access_by_lua that lets the request go leaves it to `deny`
--- http_config
access_by_lua_no_postpone on;
--- config
location = /t {
    deny all;
    access_by_lua_block { ngx.sleep(0.001) ngx.log(ngx.WARN, "access lua ran") }
    content_by_lua_block { ngx.say("content") }
}
--- request
GET /t
--- error_code: 403
--- error_log
access lua ran
access forbidden by rule
