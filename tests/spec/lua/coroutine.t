# User coroutines inside requests: plain Lua semantics for coroutine.*, while a blocking ngx.*
# call (ngx.sleep) inside a user coroutine, at any depth, suspends the request and comes back
# transparently (lua-nginx-module's behaviour). Error texts are lua-nginx-module's.
# Chunk line numbers differ between servers (nginx's config gets load_module lines), so errors
# that carry a position are matched with a regex.

__DATA__

=== TEST 1: resume and yield pass values both ways; status follows the coroutine
--- config
location = /t {
    content_by_lua_block {
        local co = coroutine.create(function(a, b)
            ngx.say("start ", a, " ", b, " ", coroutine.status(coroutine.running()))
            local c = coroutine.yield(a + b)
            local d, e = coroutine.yield(c * 2)
            return "end", d, e
        end)
        ngx.say(coroutine.status(co))
        ngx.say(coroutine.resume(co, 1, 2))
        ngx.say(coroutine.status(co))
        ngx.say(coroutine.resume(co, 10))
        ngx.say(coroutine.resume(co, "x", "y"))
        ngx.say(coroutine.status(co))
        ngx.say(coroutine.resume(co))
    }
}
--- request
GET /t
--- response_body
suspended
start 1 2 running
true3
suspended
true20
trueendxy
dead
falsecannot resume dead coroutine

=== TEST 2: ngx.sleep inside a user coroutine suspends the request and resumes it there
--- config
location = /t {
    content_by_lua_block {
        local co = coroutine.create(function(n)
            for i = 1, n do
                ngx.sleep(0.01)
                coroutine.yield(i)
            end
            ngx.sleep(0)
            return "done"
        end)
        for i = 1, 4 do
            ngx.say(i, ": ", tostring(select(2, coroutine.resume(co, 3))), " ", coroutine.status(co))
        end
    }
}
--- request
GET /t
--- response_body
1: 1 suspended
2: 2 suspended
3: 3 suspended
4: done dead

=== TEST 3: blocking three coroutines deep, with yields at every level
--- config
location = /t {
    content_by_lua_block {
        local out = {}
        local function log(s) out[#out + 1] = s end
        local c3 = coroutine.create(function()
            log("c3 sleeps")
            ngx.sleep(0.02)
            log("c3 woke")
            coroutine.yield("from c3")
            ngx.sleep(0)
            return "c3 done"
        end)
        local c2 = coroutine.wrap(function()
            log("c2 " .. tostring(select(2, coroutine.resume(c3))))
            ngx.sleep(0.001)
            coroutine.yield("from c2")
            log("c2 " .. tostring(select(2, coroutine.resume(c3))))
            return "c2 done"
        end)
        local c1 = coroutine.create(function()
            log("c1 " .. c2())
            ngx.sleep(0.001)
            log("c1 " .. c2())
            return "c1 done"
        end)
        local ok, res = coroutine.resume(c1)
        log(tostring(ok) .. " " .. res .. " " .. coroutine.status(c1) .. " " .. coroutine.status(c3))
        ngx.say(table.concat(out, "\n"))
    }
}
--- request
GET /t
--- response_body
c3 sleeps
c3 woke
c2 from c3
c1 from c2
c2 c3 done
c1 c2 done
true c1 done dead dead

=== TEST 4: a generator made with coroutine.wrap that sleeps between values
--- config
location = /t {
    content_by_lua_block {
        local gen = coroutine.wrap(function()
            for i = 1, 3 do
                ngx.sleep(0.005)
                coroutine.yield(i, i * i)
            end
        end)
        for _ = 1, 3 do
            ngx.say(gen())
        end
    }
}
--- request
GET /t
--- response_body
11
24
39

=== TEST 5: errors come back from resume as false plus the error value; the coroutine is dead
--- config
location = /t {
    content_by_lua_block {
        local co = coroutine.create(function()
            ngx.sleep(0.001)
            error("boom", 0)
        end)
        ngx.say(coroutine.resume(co))
        ngx.say(coroutine.status(co))
        local t = {}
        local co2 = coroutine.create(function() error(t) end)
        local ok, err = coroutine.resume(co2)
        ngx.say(ok, " ", err == t)
        local co3 = coroutine.create(function() local x = nil; return x.y end)
        ngx.say(coroutine.resume(co3))
    }
}
--- request
GET /t
--- response_body_like
\Afalseboom
dead
false true
falsecontent_by_lua\(nginx\.conf:\d+\):\d+: attempt to index local 'x' \(a nil value\)
\Z

=== TEST 6: resuming a dead, running or normal coroutine fails with lua-nginx-module's texts
--- config
location = /t {
    content_by_lua_block {
        local co = coroutine.create(function() return 1 end)
        coroutine.resume(co)
        ngx.say(coroutine.resume(co))
        ngx.say(coroutine.resume(coroutine.running()))
        local outer
        local inner = coroutine.create(function()
            ngx.say("outer is ", coroutine.status(outer))
            ngx.say(coroutine.resume(outer))
        end)
        outer = coroutine.create(function() coroutine.resume(inner) end)
        coroutine.resume(outer)
    }
}
--- request
GET /t
--- response_body
falsecannot resume dead coroutine
falsecannot resume running coroutine
outer is normal
falsecannot resume normal coroutine

=== TEST 7: an error in a wrapped coroutine is raised in the caller and aborts the request
--- config
location = /t {
    content_by_lua_block {
        local f = coroutine.wrap(function()
            ngx.sleep(0.001)
            error("wrapped failure")
        end)
        f()
        ngx.say("not reached")
    }
}
--- request
GET /t
--- error_code: 500
--- response_body_like
500 Internal Server Error
--- error_log
qr/lua entry thread aborted: runtime error: content_by_lua\(nginx\.conf:\d+\):\d+: wrapped failure/

=== TEST 8: yielding across pcall, inside and outside a blocking call
--- config
location = /t {
    content_by_lua_block {
        local co = coroutine.create(function()
            local ok, err = pcall(function()
                coroutine.yield("in pcall")
                ngx.sleep(0.001)
                error("after sleep", 0)
            end)
            coroutine.yield(ok, err)
            local ok2, v = pcall(coroutine.yield, "yield as pcall's function")
            return ok2, v
        end)
        ngx.say(coroutine.resume(co))
        ngx.say(coroutine.resume(co))
        ngx.say(coroutine.resume(co))
        ngx.say(coroutine.resume(co, "resumed value"))
        ngx.say(coroutine.status(co))
    }
}
--- request
GET /t
--- response_body
truein pcall
truefalseafter sleep
trueyield as pcall's function
truetrueresumed value
dead

=== TEST 9: ngx.sleep inside a coroutine inside pcall inside a coroutine
--- config
location = /t {
    content_by_lua_block {
        local outer = coroutine.wrap(function()
            local ok, v = pcall(function()
                local inner = coroutine.wrap(function()
                    ngx.sleep(0.01)
                    return "inner slept"
                end)
                return inner()
            end)
            return tostring(ok) .. " " .. v
        end)
        ngx.say(outer())
    }
}
--- request
GET /t
--- response_body
true inner slept

=== TEST 10: coroutines in rewrite and access phases may block too
--- config
location = /t {
    rewrite_by_lua_block {
        local co = coroutine.wrap(function() ngx.sleep(0.001) return "r" end)
        ngx.ctx.trail = co()
    }
    access_by_lua_block {
        local co = coroutine.create(function() ngx.sleep(0) coroutine.yield("a") end)
        local _, v = coroutine.resume(co)
        ngx.ctx.trail = ngx.ctx.trail .. v
    }
    content_by_lua_block {
        local co = coroutine.wrap(function() ngx.sleep(0.001) ngx.say(ngx.ctx.trail, "c") end)
        co()
    }
}
--- request
GET /t
--- response_body
rac

=== TEST 11: ngx.exit inside a user coroutine ends the request
--- config
location = /t {
    content_by_lua_block {
        local co = coroutine.create(function()
            ngx.say("in coroutine")
            ngx.sleep(0.001)
            ngx.exit(200)
            ngx.say("not reached 1")
        end)
        coroutine.resume(co)
        ngx.say("not reached 2")
    }
}
--- request
GET /t
--- response_body
in coroutine
--- no_error_log
[error]

=== TEST 12: ngx.exit with an error status inside a nested coroutine
--- config
location = /t {
    content_by_lua_block {
        local inner = coroutine.wrap(function() ngx.exit(403) end)
        local outer = coroutine.wrap(function() inner() end)
        outer()
        ngx.say("not reached")
    }
}
--- request
GET /t
--- error_code: 403
--- response_body_like
403 Forbidden

=== TEST 13: a bare coroutine.yield in the handler itself just continues
--- config
location = /t {
    content_by_lua_block {
        ngx.say("a")
        coroutine.yield()
        ngx.say("b")
    }
}
--- request
GET /t
--- response_body
a
b

=== TEST 14: argument errors use lua-nginx-module's texts
--- config
location = /t {
    content_by_lua_block {
        ngx.say(pcall(coroutine.resume, nil))
        ngx.say(pcall(coroutine.resume, {}))
        ngx.say(pcall(coroutine.create, 1))
        ngx.say(pcall(coroutine.wrap, "f"))
        ngx.say(pcall(coroutine.status, 1))
    }
}
--- request
GET /t
--- response_body
falsebad argument #1 to '?' (coroutine expected)
falsebad argument #1 to '?' (coroutine expected)
falsebad argument #1 to '?' (Lua function expected)
falsebad argument #1 to '?' (Lua function expected)
falsebad argument #1 to '?' (coroutine expected)

=== TEST 15: many concurrent blocking coroutines in one request keep their own state
--- config
location = /t {
    content_by_lua_block {
        local cos = {}
        for i = 1, 5 do
            cos[i] = coroutine.create(function()
                local acc = 0
                for k = 1, 3 do
                    ngx.sleep(0.001 * ((i + k) % 3))
                    acc = acc + i * k
                    coroutine.yield(acc)
                end
                return "sum " .. acc
            end)
        end
        local out = {}
        for round = 1, 4 do
            for i = 1, 5 do
                local _, v = coroutine.resume(cos[i])
                out[#out + 1] = tostring(v)
            end
        end
        ngx.say(table.concat(out, " "))
    }
}
--- request
GET /t
--- response_body
1 2 3 4 5 3 6 9 12 15 6 12 18 24 30 sum 6 sum 12 sum 18 sum 24 sum 30

=== TEST 16: coroutine.running in the handler is a thread, and resuming it fails
--- config
location = /t {
    content_by_lua_block {
        local me = coroutine.running()
        ngx.say(type(me))
        local co = coroutine.create(function() return coroutine.running() end)
        local ok, self = coroutine.resume(co)
        ngx.say(ok, " ", self == co, " ", self ~= me)
    }
}
--- request
GET /t
--- response_body
thread
true true true

=== TEST 17: resume returns exactly what was yielded or returned: counts, nils, many values
--- config
location = /t {
    content_by_lua_block {
        local function show(...)
            local t = { select("#", ...) }
            for i = 1, select("#", ...) do
                t[#t + 1] = tostring((select(i, ...)))
            end
            return table.concat(t, " ")
        end
        local co = coroutine.create(function(...)
            ngx.say("args ", show(...))
            ngx.say("got ", show(coroutine.yield()))
            ngx.say("got ", show(coroutine.yield(nil)))
            ngx.say("got ", show(coroutine.yield(1, nil)))
            ngx.say("got ", show(coroutine.yield(1, 2, 3)))
            ngx.say("got ", show(coroutine.yield(1, 2, 3, 4, nil)))
            ngx.say("got ", show(coroutine.yield(nil, nil, nil, nil, nil, nil, 7)))
            return nil, nil
        end)
        ngx.say("res ", show(coroutine.resume(co)))
        ngx.say("res ", show(coroutine.resume(co, nil)))
        ngx.say("res ", show(coroutine.resume(co, 1, nil)))
        ngx.say("res ", show(coroutine.resume(co)))
        ngx.say("res ", show(coroutine.resume(co, 1, 2, 3, 4)))
        ngx.say("res ", show(coroutine.resume(co, nil, nil, nil)))
        ngx.say("res ", show(coroutine.resume(co, "a", "b", "c", "d", "e", "f")))
        ngx.say("res ", show(coroutine.resume(co)))

        local gen = coroutine.wrap(function(a, b)
            coroutine.yield()
            coroutine.yield(a, b, nil)
            return 1, 2, 3, 4, 5
        end)
        ngx.say("wrap ", show(gen(nil, nil)))
        ngx.say("wrap ", show(gen()))
        ngx.say("wrap ", show(gen()))

        local acc = {}
        for k, v in coroutine.wrap(function()
            for i = 1, 3 do coroutine.yield(i, i * i) end
        end) do
            acc[#acc + 1] = k .. "=" .. v
        end
        ngx.say("for ", table.concat(acc, ","))

        local ok, err = coroutine.resume(coroutine.create(function() error("plain", 0) end))
        ngx.say("err ", ok, " ", err)
        local ok2, err2 = coroutine.resume(coroutine.create(function() error({ code = 7 }) end))
        ngx.say("err ", ok2, " ", type(err2), " ", err2.code)
    }
}
--- request
GET /t
--- response_body
args 0
res 1 true
got 1 nil
res 2 true nil
got 2 1 nil
res 3 true 1 nil
got 0
res 4 true 1 2 3
got 4 1 2 3 4
res 6 true 1 2 3 4 nil
got 3 nil nil nil
res 8 true nil nil nil nil nil nil 7
got 6 a b c d e f
res 3 true nil nil
res 2 false cannot resume dead coroutine
wrap 0
wrap 3 nil nil nil
wrap 5 1 2 3 4 5
for 1=1,2=4,3=9
err false plain
err false table 7

=== TEST 18: error(msg, 2) in a coroutine's own function has no position to blame, as in OpenResty
--- config
location = /t {
    content_by_lua_block {
        local co = coroutine.create(function() error("blame the caller", 2) end)
        ngx.say(coroutine.resume(co))
        co = coroutine.create(function() error("level 1") end)
        local _, e1 = coroutine.resume(co)
        ngx.say((e1:gsub("nginx%.conf:%d+", "nginx.conf:N")))
    }
}
--- request
GET /t
--- response_body
falseblame the caller
content_by_lua(nginx.conf:N):4: level 1

=== TEST 19: a traceback inside and of a coroutine shows the coroutine's own frames, as LuaJIT's
--- config
location = /t {
    content_by_lua_block {
        local function show(s)
            ngx.say((s:gsub("nginx%.conf:%d+", "nginx.conf:N")))
        end
        local co = coroutine.create(function()
            show(debug.traceback("inside"))
            coroutine.yield()
        end)
        coroutine.resume(co)
        show(debug.traceback(co, "outside"))
        coroutine.wrap(function() show(debug.traceback("in wrap")) end)()
    }
}
--- request
GET /t
--- response_body
inside
stack traceback:
	content_by_lua(nginx.conf:N):6: in function <content_by_lua(nginx.conf:N):5>
outside
stack traceback:
	[C]: in function 'yield'
	content_by_lua(nginx.conf:N):7: in function <content_by_lua(nginx.conf:N):5>
in wrap
stack traceback:
	content_by_lua(nginx.conf:N):11: in function <content_by_lua(nginx.conf:N):11>

=== TEST 20: an error that goes up through coroutine.wrap logs a traceback section per coroutine (091-coroutine.t TEST 34)
--- config
location = /t {
    content_by_lua_block {
        local co1 = coroutine.wrap(function()
            error("something went wrong in co1", 2)
        end)
        local co2 = coroutine.wrap(function()
            co1()
        end)
        co2()
    }
}
--- request
GET /t
--- error_code: 500
--- error_log
qr/\[error\] .*lua entry thread aborted: runtime error: something went wrong in co1\nstack traceback:\ncoroutine 0:\n\t\[C\]: in function 'error'\n\tcontent_by_lua\(nginx\.conf:\d+\):3: in function <content_by_lua\(nginx\.conf:\d+\):2>\ncoroutine 1:\n\t\[C\]: in function 'co1'\n\tcontent_by_lua\(nginx\.conf:\d+\):6: in function <content_by_lua\(nginx\.conf:\d+\):5>\ncoroutine 2:\n\t\[C\]: in function 'co2'\n\tcontent_by_lua\(nginx\.conf:\d+\):8: in main chunk, client: /
