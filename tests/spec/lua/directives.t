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
