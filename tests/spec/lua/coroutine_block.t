# User coroutines (coroutine.create/resume/yield/wrap/status) that block on the scheduler:
# sema:wait, ngx.thread.spawn/wait and ngx.sleep called inside user coroutines, several levels
# deep, in a request and in a timer. The blocking call suspends the whole chain and comes back
# transparently; plain Lua semantics hold around it (values through resume/yield, errors from
# resume as false + message, dead status, wrap re-raising). tests/spec/lua/coroutine.t covers
# ngx.sleep-only cases; this file covers the other blocking primitives and the timer context.
# lua-nginx-module rule pinned here: a light thread's parent is the coroutine that spawned it,
# so a user coroutine can wait on the threads it spawned but not on its caller's (and the other
# way round): "only the parent coroutine can wait on the thread".

__DATA__

=== TEST 1: sema:wait three coroutines deep, posted by a light thread
--- config
location = /t {
    content_by_lua_block {
        local s = require("ngx.semaphore").new()
        local trail = {}
        local c3 = coroutine.create(function()
            trail[#trail + 1] = "c3 waits, count " .. s:count()
            local ok, err = s:wait(1)
            trail[#trail + 1] = "c3 woke: " .. tostring(ok) .. ", count " .. s:count()
            coroutine.yield("c3 yielded")
            return "c3 done"
        end)
        local c2 = coroutine.wrap(function()
            local _, v = coroutine.resume(c3)
            coroutine.yield("c2 got " .. v)
            local _, v2 = coroutine.resume(c3)
            return "c2 got " .. v2
        end)
        local c1 = coroutine.create(function()
            local a = c2()
            local b = c2()
            return a .. "; " .. b
        end)
        ngx.thread.spawn(function()
            ngx.sleep(0.01)
            trail[#trail + 1] = "thread posts"
            s:post()
        end)
        ngx.say(coroutine.resume(c1))
        ngx.say(coroutine.status(c1), " ", coroutine.status(c3))
        ngx.say(table.concat(trail, "\n"))
    }
}
--- request
GET /t
--- response_body
truec2 got c3 yielded; c2 got c3 done
dead dead
c3 waits, count 0
thread posts
c3 woke: true, count 0
--- no_error_log
[error]

=== TEST 2: a coroutine spawns light threads and waits on them; values still flow through yield
--- config
location = /t {
    content_by_lua_block {
        local gen = coroutine.wrap(function(n)
            for i = 1, n do
                local t = ngx.thread.spawn(function(x) ngx.sleep(0.005) return x * x end, i)
                local ok, sq = ngx.thread.wait(t)
                coroutine.yield(i, sq)
            end
            return "end"
        end)
        ngx.say(gen(3))
        ngx.say(gen())
        ngx.say(gen())
        ngx.say(gen())
    }
}
--- request
GET /t
--- response_body
11
24
39
end

=== TEST 3: a thread's parent is the coroutine that spawned it
--- config
location = /t {
    content_by_lua_block {
        local outer = ngx.thread.spawn(function() ngx.sleep(0.01) return "outer" end)
        local co = coroutine.create(function()
            local ok, err = pcall(ngx.thread.wait, outer)
            coroutine.yield(tostring(ok) .. " " .. err)
            local mine = ngx.thread.spawn(function() ngx.sleep(0.01) return "mine" end)
            coroutine.yield(mine)
            return ngx.thread.wait(mine)
        end)
        local _, r1 = coroutine.resume(co)
        ngx.say("coroutine waits on the caller's thread: ", r1)
        local _, mine = coroutine.resume(co)
        ngx.say("caller waits on the coroutine's thread: ", select(2, pcall(ngx.thread.wait, mine)))
        ngx.say("coroutine waits on its own thread: ", select(2, coroutine.resume(co)))
        ngx.say("caller waits on its own thread: ", select(2, ngx.thread.wait(outer)))
    }
}
--- request
GET /t
--- response_body
coroutine waits on the caller's thread: false only the parent coroutine can wait on the thread
caller waits on the coroutine's thread: only the parent coroutine can wait on the thread
coroutine waits on its own thread: truemine
caller waits on its own thread: outer

=== TEST 4: errors after a blocking call come back from resume; the coroutine is dead
--- config
location = /t {
    content_by_lua_block {
        local s = require("ngx.semaphore").new(1)
        local co = coroutine.create(function()
            assert(s:wait(1))
            ngx.sleep(0.001)
            error("after blocking", 0)
        end)
        ngx.say(coroutine.resume(co))
        ngx.say(coroutine.status(co))
        ngx.say(coroutine.resume(co))
        local co2 = coroutine.create(function()
            local t = ngx.thread.spawn(function() ngx.sleep(0.001) return 1 end)
            ngx.thread.wait(t)
            error({code = 42})
        end)
        local ok, e = coroutine.resume(co2)
        ngx.say(ok, " ", type(e), " ", e.code, " ", coroutine.status(co2))
    }
}
--- request
GET /t
--- response_body
falseafter blocking
dead
falsecannot resume dead coroutine
false table 42 dead

=== TEST 5: a wrapped coroutine that fails after a semaphore wait re-raises in its caller
--- config
location = /t {
    content_by_lua_block {
        local s = require("ngx.semaphore").new()
        local w = coroutine.wrap(function()
            ngx.thread.spawn(function() ngx.sleep(0.005) s:post() end)
            assert(s:wait(1))
            error("wrapped failure after wait")
        end)
        w()
        ngx.say("not reached")
    }
}
--- request
GET /t
--- error_code: 500
--- error_log
qr/lua entry thread aborted: runtime error: \S+:\d+: wrapped failure after wait/

=== TEST 6: a semaphore timeout inside a coroutine inside pcall
--- config
location = /t {
    content_by_lua_block {
        local s = require("ngx.semaphore").new()
        local co = coroutine.wrap(function()
            local ok, a, b = pcall(function()
                local r1, r2 = s:wait(0.01)
                coroutine.yield("yield inside pcall")
                return r1, r2
            end)
            return tostring(ok) .. " " .. tostring(a) .. " " .. tostring(b)
        end)
        ngx.say(co())
        ngx.say(co())
        ngx.say("count: ", s:count())
    }
}
--- request
GET /t
--- response_body
yield inside pcall
true false timeout
count: 0

=== TEST 7: two light threads each drive a blocking coroutine; they interleave by time
--- config
location = /t {
    content_by_lua_block {
        local trail = {}
        local function driver(name, delay)
            local co = coroutine.wrap(function()
                for i = 1, 3 do
                    ngx.sleep(delay)
                    coroutine.yield(name .. i)
                end
            end)
            for _ = 1, 3 do
                local v = co()
                trail[#trail + 1] = v
            end
        end
        local a = ngx.thread.spawn(driver, "a", 0.1)
        local b = ngx.thread.spawn(driver, "b", 0.04)
        ngx.thread.wait(a)
        ngx.thread.wait(b)
        ngx.say(table.concat(trail, " "))
    }
}
--- request
GET /t
--- response_body
b1 b2 a1 b3 a2 a3

=== TEST 8: in a timer: coroutines that sleep, wait on a semaphore and on threads
--- config
location = /t {
    content_by_lua_block {
        local res
        ngx.timer.at(0, function(premature, tag)
            local s = require("ngx.semaphore").new()
            local trail = {tag}
            local inner = coroutine.create(function()
                ngx.sleep(0.005)
                trail[#trail + 1] = "inner slept"
                local ok = s:wait(1)
                trail[#trail + 1] = "inner got the semaphore: " .. tostring(ok)
                local t = ngx.thread.spawn(function() ngx.sleep(0.005) return "thread result" end)
                local _, v = ngx.thread.wait(t)
                coroutine.yield(v)
                return "inner done"
            end)
            local outer = coroutine.wrap(function()
                local _, v = coroutine.resume(inner)
                trail[#trail + 1] = "outer got " .. v
                local _, v2 = coroutine.resume(inner)
                return v2
            end)
            ngx.thread.spawn(function() ngx.sleep(0.02) s:post() end)
            local v = outer()
            trail[#trail + 1] = v
            trail[#trail + 1] = coroutine.status(inner)
            res = table.concat(trail, "\n")
        end, "in timer")
        for _ = 1, 200 do
            if res then break end
            ngx.sleep(0.005)
        end
        ngx.say(res)
    }
}
--- request
GET /t
--- response_body
in timer
inner slept
inner got the semaphore: true
outer got thread result
inner done
dead

=== TEST 9: in a timer: an error after a blocking call inside a coroutine is caught by resume
--- config
location = /t {
    content_by_lua_block {
        local res
        ngx.timer.at(0, function()
            local co = coroutine.create(function()
                ngx.sleep(0.005)
                local x = nil
                return x.y
            end)
            local ok, err = coroutine.resume(co)
            res = tostring(ok) .. " | " .. tostring(err) .. " | " .. coroutine.status(co)
        end)
        for _ = 1, 200 do
            if res then break end
            ngx.sleep(0.005)
        end
        ngx.say(res)
    }
}
--- request
GET /t
--- response_body_like
\Afalse \| \S+:\d+: attempt to index local 'x' \(a nil value\) \| dead
\Z
--- no_error_log
[error]

=== TEST 10: a coroutine blocked in ngx.sleep is the scheduler's: another thread cannot resume it
--- config
location = /t {
    content_by_lua_block {
        local co = coroutine.create(function() ngx.sleep(0.05) return "done" end)
        local t = ngx.thread.spawn(function() return coroutine.resume(co) end)
        ngx.sleep(0.01)
        ngx.say(coroutine.status(co), " ", coroutine.resume(co))
        local ok, rok, v = ngx.thread.wait(t)
        ngx.say(ok, " ", rok, " ", v)
        ngx.say(coroutine.status(co))
    }
}
--- request
GET /t
--- response_body
running falsecannot resume running coroutine
true true done
dead
