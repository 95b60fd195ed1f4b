# Tycho's require and dofile let a module's main chunk block (ngx.sleep, semaphores, light
# threads): OpenResty raises "attempt to yield across C-call boundary" there (lua-nginx-module's
# known issue), so these blocks are not run against nginx. While a module loads, a require of it
# from another thread waits for the load instead of failing; loops and failed loads keep
# LuaJIT's "loop or previous error loading module" (docs/api/require.md). Each block resets the
# modules it loads: every request is sent twice.

__DATA__

=== TEST 1: a module file whose main chunk sleeps loads in a content handler
--- http_config
lua_package_path "$prefix/html/?.lua;;";
--- config
location = /t {
    content_by_lua_block {
        package.loaded.slow = nil
        local t0 = ngx.now()
        local m = require "slow"
        ngx.say(m.value, " ", m.name, " ", ngx.now() - t0 >= 0.04)
        ngx.say(require "slow" == m)
    }
}
--- user_files
>>> slow.lua
local name = ...
ngx.sleep(0.05)
return { value = 42, name = name }
--- request
GET /t
--- response_body
42 slow true
true

=== TEST 2: three light threads require a module that is loading: its chunk runs once, all get it
--- config
location = /t {
    content_by_lua_block {
        package.loaded.counted = nil
        local runs = 0
        package.preload.counted = function()
            runs = runs + 1
            ngx.sleep(0.03)
            return { run = runs }
        end
        local threads = {}
        for i = 1, 3 do
            threads[i] = ngx.thread.spawn(function()
                return require("counted")
            end)
        end
        for i = 1, 3 do
            local ok, m = ngx.thread.wait(threads[i])
            ngx.say(i, " ", ok, " ", m.run, " ", m == package.loaded.counted)
        end
        ngx.say("runs: ", runs)
    }
}
--- request
GET /t
--- response_body
1 true 1 true
2 true 1 true
3 true 1 true
runs: 1

=== TEST 3: a timer waits for the request's load of the module it requires
--- config
location = /t {
    content_by_lua_block {
        package.loaded.shared_mod = nil
        package.preload.shared_mod = function()
            ngx.sleep(0.05)
            return { made_by = ngx.get_phase() }
        end
        local seen = {}
        local ok, err = ngx.timer.at(0.01, function()
            local m = require("shared_mod")
            seen.timer = m
        end)
        local m = require("shared_mod")
        ngx.sleep(0.05)
        ngx.say(m.made_by, " ", seen.timer == m)
    }
}
--- request
GET /t
--- response_body
content true

=== TEST 4: a module that requires itself, and two threads whose modules require each other
--- config
location = /t {
    content_by_lua_block {
        package.loaded.self_mod, package.loaded.ping, package.loaded.pong = nil, nil, nil
        package.preload.self_mod = function()
            ngx.sleep(0.01)
            return require("self_mod")
        end
        ngx.say(pcall(require, "self_mod"))
        package.preload.ping = function() ngx.sleep(0.02) return { pong = require("pong") } end
        package.preload.pong = function() ngx.sleep(0.02) return { ping = require("ping") } end
        local a = ngx.thread.spawn(function() return pcall(require, "ping") end)
        local b = ngx.thread.spawn(function() return pcall(require, "pong") end)
        ngx.say(ngx.thread.wait(a))
        ngx.say(ngx.thread.wait(b))
    }
}
--- request
GET /t
--- response_body
falseloop or previous error loading module 'self_mod'
truefalseloop or previous error loading module 'pong'
truefalseloop or previous error loading module 'ping'

=== TEST 5: a load that fails: its thread gets the error, a waiting thread and later calls "previous error"
--- config
location = /t {
    content_by_lua_block {
        package.loaded.broken = nil
        package.preload.broken = function()
            ngx.sleep(0.02)
            error("broken module")
        end
        local loader = ngx.thread.spawn(function() return require("broken") end)
        local waiter = ngx.thread.spawn(function() return pcall(require, "broken") end)
        ngx.say(ngx.thread.wait(loader))
        local t0 = ngx.now()
        ngx.say(ngx.thread.wait(waiter))
        ngx.say(ngx.now() - t0 < 0.2)
        ngx.say(pcall(require, "broken"))
    }
}
--- request
GET /t
--- response_body_like
^falsebroken modulecontent_by_lua\(nginx\.conf:\d+\):5: broken module
truefalseloop or previous error loading module 'broken'
true
falseloop or previous error loading module 'broken'
$
--- error_log
lua user thread aborted: runtime error: content_by_lua(nginx.conf:
: broken module
[C]: in function 'require'

=== TEST 6: the loading thread is killed: a waiter gets "previous error" soon after
--- config
location = /t {
    content_by_lua_block {
        package.loaded.endless = nil
        package.preload.endless = function() ngx.sleep(5) return 1 end
        local loader = ngx.thread.spawn(function() return require("endless") end)
        local waiter = ngx.thread.spawn(function() return pcall(require, "endless") end)
        ngx.sleep(0.01)
        ngx.say(ngx.thread.kill(loader))
        local t0 = ngx.now()
        ngx.say(ngx.thread.wait(waiter))
        ngx.say(ngx.now() - t0 < 0.2)
    }
}
--- request
GET /t
--- response_body
1
truefalseloop or previous error loading module 'endless'
true

=== TEST 7: the loading thread catches the failed load and goes on: a waiter does not wait for it
--- config
location = /t {
    content_by_lua_block {
        package.loaded.caught = nil
        package.preload.caught = function()
            ngx.sleep(0.02)
            error("caught module")
        end
        local loader = ngx.thread.spawn(function()
            local ok, err = pcall(require, "caught")
            ngx.sleep(0.5)
            return ok, err
        end)
        local waiter = ngx.thread.spawn(function() return pcall(require, "caught") end)
        local t0 = ngx.now()
        ngx.say(ngx.thread.wait(waiter))
        ngx.say(ngx.now() - t0 < 0.2)
        ngx.say(ngx.thread.wait(loader))
    }
}
--- request
GET /t
--- response_body_like
^truefalseloop or previous error loading module 'caught'
true
truefalsecontent_by_lua\(nginx\.conf:\d+\):5: caught module
$

=== TEST 8: dofile of a file that sleeps returns all its values
--- config
location = /t {
    content_by_lua_block {
        ngx.say(dofile(ngx.config.prefix() .. "html/step.lua"))
    }
}
--- user_files
>>> step.lua
ngx.sleep(0.01)
return "a", nil, 3
--- request
GET /t
--- response_body
anil3

=== TEST 9: an uncaught error in a module file shows the module's frames above require's
--- http_config
lua_package_path "$prefix/html/?.lua;;";
--- config
location = /t {
    content_by_lua_block {
        package.loaded.failing = nil
        local m = require "failing"
        ngx.say(m)
    }
}
--- user_files
>>> failing.lua
ngx.sleep(0.001)
error("failing at load")
--- request
GET /t
--- error_code: 500
--- error_log
failing.lua:2: failing at load
failing.lua:2: in main chunk
[C]: in function 'require'
--- no_error_log
lua/tycho/require.lua

=== TEST 10: where a thread cannot wait, a module that blocks fails as in OpenResty
--- config
location = /t {
    content_by_lua_block {
        package.loaded.blocking = nil
        package.preload.blocking = function() ngx.sleep(0.01) return 1 end
        ngx.say("ok")
    }
    header_filter_by_lua_block {
        local ok, err = pcall(require, "blocking")
        ngx.header["X-Err"] = err
    }
}
--- request
GET /t
--- response_headers_like
X-Err: content_by_lua\(nginx\.conf:\d+\):3: API disabled in the context of header_filter_by_lua\*
--- response_body
ok
