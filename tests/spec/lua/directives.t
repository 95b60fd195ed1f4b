# The Lua directives: forms, chunk names, init code, package paths, code cache.

__DATA__

=== TEST 1: the old quoted form and its chunk name
--- config
location = /t { content_by_lua 'ngx.log(ngx.WARN, "quoted") ngx.say("q")'; }
--- request
GET /t
--- response_body
q
--- error_log
qr/\[lua\] content_by_lua\(nginx\.conf:\d+\):1: quoted/

=== TEST 2: content_by_lua_file relative to the prefix; its chunk name is the path
--- config
location = /t { content_by_lua_file html/hello.lua; }
--- user_files
>>> hello.lua
ngx.log(ngx.WARN, "from file")
ngx.say("file says hi")
--- request
GET /t
--- response_body
file says hi
--- error_log
qr/\[lua\] hello\.lua:1: from file/

=== TEST 3: init_by_lua runs before init_worker_by_lua; both before requests
--- http_config
init_by_lua_block { order = "init" }
init_worker_by_lua_block { order = order .. ",init_worker" }
--- config
location = /t { content_by_lua_block { ngx.say(order) } }
--- request
GET /t
--- response_body
init,init_worker
--- no_error_log
writing a global Lua variable

=== TEST 4: lua_package_path with $prefix and ;; finds a user module
--- http_config
lua_package_path "$prefix/html/?.lua;;";
--- config
location = /t {
    content_by_lua_block {
        local m = require "mymod"
        ngx.say(m.hello())
    }
}
--- user_files
>>> mymod.lua
local _M = {}
function _M.hello() return "hello from mymod" end
return _M
--- request
GET /t
--- response_body
hello from mymod

=== TEST 5: require "cjson" finds Debian's lua-cjson through the default cpath
--- config
location = /t {
    content_by_lua_block {
        local cjson = require "cjson"
        ngx.say(cjson.encode({a = {1, 2, 3}}))
        ngx.say(cjson.decode('{"x":"y"}').x)
    }
}
--- request
GET /t
--- response_body
{"a":[1,2,3]}
y

=== TEST 6: Debian's lua-resty-lrucache runs unchanged
--- http_config
lua_package_path "/usr/share/lua/5.1/?.lua;;";
--- config
location = /t {
    content_by_lua_block {
        local lrucache = require "resty.lrucache"
        local c = assert(lrucache.new(2))
        c:set("a", 1)
        c:set("b", 2)
        c:set("c", 3)
        ngx.say((c:get("a")), " ", (c:get("b")), " ", (c:get("c")))
    }
}
--- request
GET /t
--- response_body
nil 2 3

=== TEST 7: a duplicate content_by_lua_block is a configuration error
--- config
location = /t {
    content_by_lua_block { ngx.say(1) }
    content_by_lua_block { ngx.say(2) }
}
--- must_die
--- error_log
qr/\[emerg\] .*: is duplicate in .*nginx\.conf:\d+/

=== TEST 8: content_by_lua is not allowed at server level
--- config
content_by_lua_block { ngx.say(1) }
--- must_die
--- error_log
qr/"content_by_lua_block" directive is not allowed here in .*nginx\.conf:\d+/

=== TEST 9: lua_code_cache off: code still runs, the alert is logged
--- http_config
lua_code_cache off;
--- config
location = /t { content_by_lua_block { ngx.say("nocache") } }
--- request
GET /t
--- response_body
nocache
--- error_log
qr/\[alert\] .*lua_code_cache is off; this will hurt performance in .*nginx\.conf:\d+/

=== TEST 10: the same inline code in two locations
--- config
location = /a { content_by_lua_block { ngx.say(ngx.var and "v" or "v") } }
location = /t { content_by_lua_block { ngx.say(ngx.var and "v" or "v") } }
--- request
GET /t
--- response_body
v

=== TEST 11: lua_use_default_type off: Lua output gets no default Content-Type
--- http_config
lua_use_default_type off;
default_type text/x-default;
--- config
location = /t {
    content_by_lua_block { ngx.say("no type") }
}
--- request
GET /t
--- response_headers
!Content-Type
--- response_body
no type

=== TEST 12: lua_use_default_type on (the default) in a location under an http-level off
--- http_config
lua_use_default_type off;
default_type text/x-default;
--- config
location = /t {
    lua_use_default_type on;
    content_by_lua_block { ngx.say("default type") }
}
--- request
GET /t
--- response_headers
Content-Type: text/x-default
--- response_body
default type

=== TEST 13: lua_load_resty_core is accepted with lua-nginx-module's deprecation warning
--- http_config
lua_load_resty_core on;
--- config
location = /t { content_by_lua_block { ngx.say("ok") } }
--- request
GET /t
--- response_body
ok
--- error_log
qr/\[warn\] .*lua_load_resty_core is deprecated \(the lua-resty-core library is required since ngx_lua v0\.10\.16\) in .*nginx\.conf:\d+/

=== TEST 14: lua_malloc_trim 1: malloc_trim(1) after every request (logged at debug level)
--- http_config
lua_malloc_trim 1;
--- config
location = /t { content_by_lua_block { ngx.say("ok") } }
--- request
GET /t
--- response_body
ok
--- error_log
qr/\[debug\] .*malloc_trim\(1\) returned [01]/

=== TEST 15: without lua_malloc_trim and without log_by_lua, nothing is trimmed (lua-nginx-module installs no log handler)
--- config
location = /t { content_by_lua_block { ngx.say("ok") } }
--- request
GET /t
--- response_body
ok
--- no_error_log
malloc_trim(1) returned

=== TEST 16: lua_malloc_trim 0 turns trimming off even with log_by_lua; a bad number is refused
--- http_config
lua_malloc_trim 0;
--- config
location = /t {
    content_by_lua_block { ngx.say("ok") }
    log_by_lua_block { ngx.log(ngx.INFO, "logged") }
}
--- request
GET /t
--- response_body
ok
--- no_error_log
malloc_trim(1) returned

=== TEST 17: lua_malloc_trim with a bad number
--- http_config
lua_malloc_trim -1;
--- config
location = /t { content_by_lua_block { ngx.say("ok") } }
--- must_die
--- error_log
qr/\[emerg\] .*invalid number in the 1st argument in .*nginx\.conf:\d+/

=== TEST 18: lua_thread_cache_max_entries 0 and lua_sa_restart off are accepted; requests still run
--- http_config
lua_thread_cache_max_entries 0;
lua_sa_restart off;
--- config
location = /t { content_by_lua_block { ngx.say("ok") } }
--- request
GET /t
--- response_body
ok

=== TEST 19: lua_sa_restart takes on or off
--- http_config
lua_sa_restart maybe;
--- must_die
--- error_log
qr/\[emerg\] .*invalid value "maybe" in "lua_sa_restart" directive, it must be "on" or "off" in .*nginx\.conf:\d+/

=== TEST 20: the cosocket directives load (OpenResty configurations carry them at http level)
--- http_config
lua_socket_log_errors off;
lua_socket_connect_timeout 3s;
lua_socket_read_timeout 10s;
lua_socket_send_timeout 10s;
lua_socket_keepalive_timeout 60s;
lua_socket_pool_size 64;
lua_socket_buffer_size 8k;
lua_ssl_verify_depth 3;
lua_ssl_protocols TLSv1.2 TLSv1.3;
lua_ssl_ciphers HIGH:!aNULL;
--- config
location = /t {
    lua_socket_read_timeout 1s;
    content_by_lua_block { ngx.say("ok") }
}
--- request
GET /t
--- response_body
ok

=== TEST 21: a bad lua_socket_connect_timeout is refused as nginx's msec slot refuses it
--- http_config
lua_socket_connect_timeout abc;
--- must_die
--- error_log
qr/\[emerg\] .*"lua_socket_connect_timeout" directive invalid value in .*nginx\.conf:\d+/
