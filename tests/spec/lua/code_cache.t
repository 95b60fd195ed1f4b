# lua_code_cache off: every request loads the Lua modules it requires from scratch, as
# lua-nginx-module's per-request VM does (025-codecache.t TESTs 6-9); on, they load once.

=== TEST 1: lua_code_cache off: a module edited between requests is loaded again by the next one
--- http_config
lua_package_path "$TEST_NGINX_HTML_DIR/?.lua;;";
--- config
location = /t {
    lua_code_cache off;
    content_by_lua_block {
        local foo = require "cc_foo"
        ngx.say(foo.v)
    }
}
location = /set {
    content_by_lua_block {
        local f = assert(io.open("$TEST_NGINX_HTML_DIR/cc_foo.lua", "w"))
        f:write("return { v = '", ngx.var.arg_v, "' }")
        f:close()
        ngx.say("set ", ngx.var.arg_v)
    }
}
--- user_files
>>> cc_foo.lua
return { v = 32 }
--- pipelined_requests
GET /set?v=32
GET /t
GET /set?v=102
GET /t
--- response_body
set 32
32
set 102
102
--- error_log
qr/\[alert\] .*lua_code_cache is off; this will hurt performance/

=== TEST 2: lua_code_cache off: a module's state starts afresh in each request, and stays for the request's phases
--- http_config
lua_package_path "$TEST_NGINX_HTML_DIR/?.lua;;";
lua_code_cache off;
--- config
location = /t {
    rewrite_by_lua_block { require("cc_count").inc() }
    content_by_lua_block {
        local c = require "cc_count"
        ngx.say("count ", c.inc(), " same ", c == require("cc_count"))
    }
}
--- user_files
>>> cc_count.lua
local M = { n = 0 }
function M.inc()
    M.n = M.n + 1
    return M.n
end
return M
--- pipelined_requests
GET /t
GET /t
GET /t
--- response_body
count 2 same true
count 2 same true
count 2 same true

=== TEST 3: lua_code_cache on: a module's state lives across requests (it is not loaded again)
--- http_config
lua_package_path "$TEST_NGINX_HTML_DIR/?.lua;;";
--- config
location = /t {
    content_by_lua_block {
        ngx.say("count ", require("cc_count").inc())
    }
}
location = /reset {
    content_by_lua_block {
        require("cc_count").n = 0
        ngx.say("reset")
    }
}
--- user_files
>>> cc_count.lua
local M = { n = 0 }
function M.inc()
    M.n = M.n + 1
    return M.n
end
return M
--- pipelined_requests
GET /reset
GET /t
GET /t
--- response_body
reset
count 1
count 2

=== TEST 4: lua_code_cache off: a module init_by_lua loaded is loaded again from its file
--- http_config
lua_package_path "$TEST_NGINX_HTML_DIR/?.lua;;";
lua_code_cache off;
init_by_lua_block {
    require "cc_foo"
}
--- config
location = /t {
    content_by_lua_block {
        ngx.say(require("cc_foo").v)
    }
}
location = /set {
    content_by_lua_block {
        local f = assert(io.open("$TEST_NGINX_HTML_DIR/cc_foo.lua", "w"))
        f:write("return { v = '", ngx.var.arg_v, "' }")
        f:close()
        ngx.say("set ", ngx.var.arg_v)
    }
}
--- user_files
>>> cc_foo.lua
return { v = "init" }
--- pipelined_requests
GET /set?v=first
GET /t
GET /set?v=edited
GET /t
--- response_body
set first
first
set edited
edited

=== TEST 5: lua_code_cache off: a module whose load failed is tried again by the next request
--- http_config
lua_package_path "$TEST_NGINX_HTML_DIR/?.lua;;";
lua_code_cache off;
--- config
location = /t {
    content_by_lua_block {
        local ok, err = pcall(require, "cc_bad")
        ngx.say(ok and "loaded" or err:match("boom %d"))
        ok, err = pcall(require, "cc_bad")
        ngx.say(ok and "loaded" or err:match("loop or previous error loading module '[%w_]+'"))
    }
}
--- user_files
>>> cc_bad.lua
error("boom " .. 1)
--- pipelined_requests
GET /t
GET /t
--- response_body
boom 1
loop or previous error loading module 'cc_bad'
boom 1
loop or previous error loading module 'cc_bad'

=== TEST 6: lua_code_cache off: a C module (Debian's lua-cjson) is opened again in each request and works
--- http_config
lua_code_cache off;
--- config
location = /t {
    content_by_lua_block {
        local cjson = require "cjson"
        local safe = require "cjson.safe"
        ngx.say(cjson.encode({ a = 1 }), " ", safe.decode("{bad") == nil,
                " ", cjson == package.loaded.cjson)
    }
}
--- pipelined_requests
GET /t
GET /t
--- response_body
{"a":1} true true
{"a":1} true true
--- no_error_log
[error]

=== TEST 7: lua_code_cache off: a global a request writes is gone in the next request (025-codecache.t TEST 17)
--- http_config
lua_code_cache off;
--- config
location = /t {
    content_by_lua_block {
        if not _G.foo then
            _G.foo = 1
        else
            _G.foo = _G.foo + 1
        end
        ngx.say("_G.foo: ", _G.foo)
    }
}
--- pipelined_requests
GET /t
GET /t
--- response_body
_G.foo: 1
_G.foo: 1
--- error_log
writing a global Lua variable ('foo')

=== TEST 8: lua_code_cache off: the globals init_by_lua set stay, as it left them
--- http_config
lua_code_cache off;
init_by_lua_block {
    greeting = "hello"
    counter = { n = 0 }
}
--- config
location = /t {
    content_by_lua_block {
        local before = greeting
        greeting = "changed"
        counter.n = counter.n + 1
        string.cc_extra = true
        ngx.say(before, " ", type(counter))
    }
}
--- pipelined_requests
GET /t
GET /t
--- response_body
hello table
hello table

=== TEST 9: lua_code_cache off: a timer init_worker_by_lua made still sees the globals it set
--- http_config
lua_code_cache off;
init_worker_by_lua_block {
    cc_cfg = "from init_worker"
    ngx.timer.at(0.2, function()
        ngx.log(ngx.WARN, "timer cfg: ", tostring(cc_cfg))
    end)
}
--- config
location = /t {
    content_by_lua_block {
        cc_cfg = "request"
        ngx.say("ok")
    }
}
location = /wait {
    content_by_lua_block {
        ngx.sleep(0.3)
        ngx.say("waited")
    }
}
--- pipelined_requests
GET /t
GET /wait
--- response_body
ok
waited
--- error_log
timer cfg: from init_worker
