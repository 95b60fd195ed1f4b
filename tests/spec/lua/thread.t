# Light threads (lua-nginx-module 0.10.23): ngx.thread.spawn runs the function at once until it
# yields or ends, then returns the thread to its parent; ngx.thread.wait(t1, t2, ...) returns when
# the first of them ends (true + its results, or false + the error); ngx.thread.kill returns 1
# or nil plus an error; only the parent may wait on a thread; a request ends when its entry
# thread and all its light threads have ended, unless ngx.exit (from any of them) ends it, which
# kills the others; an error in a light thread logs "lua user thread aborted: runtime error: ..."
# with a traceback and does not stop the request. Threads work in rewrite, access and content
# phases, in timers, and may spawn threads of their own. Error texts are lua-nginx-module's.
#
# OpenResty quirks pinned here (each checked against nginx + lua-nginx-module 0.10.23):
# - a thread that ended but was not waited on has coroutine.status "zombie"; once waited on or
#   killed it is "dead";
# - killing a thread that already ended (not yet waited on) gives nil, "already terminated"
#   and reaps it: a later wait gives nil, "already waited or killed";
# - a kill from a coroutine that is not the parent gives nil, "killer not parent" (no error is
#   raised, unlike wait, which raises "only the parent coroutine can wait on the thread");
# - a failed thread's wait results are `false` and what the error left on the thread's stack:
#   `false, msg, "<chunk>:<line>: msg"` for error(msg), `false, v` for error(v, 0) (TEST 28);
# - a light thread waiting on the scheduler is "running" to coroutine.status, and "normal" while
#   it waits in a coroutine.resume of a coroutine that blocked (TEST 29);
# - a bare coroutine.yield() in a thread queues it behind the threads already queued to go on,
#   so that threads yielding in turn interleave with their parent in a fixed order (TEST 30).

__DATA__

=== TEST 1: spawn runs the function at once until it yields, then the parent goes on
--- config
location = /t {
    content_by_lua_block {
        local function worker(name, n)
            ngx.say(name, " starts with ", n)
            ngx.sleep(0.01 * n)
            ngx.say(name, " ends")
        end
        ngx.say("main before spawn")
        local t1 = ngx.thread.spawn(worker, "t1", 2)
        ngx.say("main after t1: ", type(t1))
        local t2 = ngx.thread.spawn(worker, "t2", 1)
        ngx.say("main after t2")
        local t3 = ngx.thread.spawn(function() ngx.say("t3 runs to its end") end)
        ngx.say("main ends")
    }
}
--- request
GET /t
--- response_body
main before spawn
t1 starts with 2
main after t1: thread
t2 starts with 1
main after t2
t3 runs to its end
main ends
t2 ends
t1 ends

=== TEST 2: wait returns true and the thread's results, for finished and running threads
--- config
location = /t {
    content_by_lua_block {
        local quick = ngx.thread.spawn(function(a, b) return a + b, "quick" end, 1, 2)
        local slow = ngx.thread.spawn(function() ngx.sleep(0.02) return "slow", nil, 3 end)
        local none = ngx.thread.spawn(function() ngx.sleep(0) end)
        ngx.say(ngx.thread.wait(quick))
        local function show(...)
            local out = {select("#", ...)}
            for i = 1, select("#", ...) do out[#out + 1] = tostring((select(i, ...))) end
            return table.concat(out, " ")
        end
        ngx.say(show(ngx.thread.wait(slow)))
        ngx.say(show(ngx.thread.wait(none)))
        ngx.say(select("#", ngx.thread.spawn(function() return 1, 2 end)))
    }
}
--- request
GET /t
--- response_body
true3quick
4 true slow nil 3
1 true
1

=== TEST 3: wait on several threads returns as soon as the first of them ends
--- config
location = /t {
    content_by_lua_block {
        local function nap(d) ngx.sleep(d) return d end
        local a = ngx.thread.spawn(nap, 0.12)
        local b = ngx.thread.spawn(nap, 0.02)
        local c = ngx.thread.spawn(nap, 0.06)
        ngx.say(ngx.thread.wait(a, b, c))
        ngx.say(ngx.thread.wait(a, c))
        ngx.say(ngx.thread.wait(a))
        ngx.say(ngx.thread.wait(a, b, c))
    }
}
--- request
GET /t
--- response_body
true0.02
true0.06
true0.12
nilalready waited or killed

=== TEST 4: waiting twice: nil, "already waited or killed"
--- config
location = /t {
    content_by_lua_block {
        local t = ngx.thread.spawn(function() ngx.sleep(0.01) return "r" end)
        ngx.say(ngx.thread.wait(t))
        ngx.say(ngx.thread.wait(t))
        ngx.say(ngx.thread.kill(t))
    }
}
--- request
GET /t
--- response_body
truer
nilalready waited or killed
nilalready waited or killed

=== TEST 5: kill returns 1; the killed thread never runs again; a second kill or a wait fails
--- config
location = /t {
    content_by_lua_block {
        local t = ngx.thread.spawn(function()
            ngx.sleep(0.02)
            ngx.say("killed thread resumed")
        end)
        local r = ngx.thread.kill(t)
        ngx.say("kill: ", r, " (", type(r), ")")
        ngx.say("kill again: ", ngx.thread.kill(t))
        ngx.say("wait: ", ngx.thread.wait(t))
        ngx.sleep(0.05)
        ngx.say("end")
    }
}
--- request
GET /t
--- response_body
kill: 1 (number)
kill again: nilalready waited or killed
wait: nilalready waited or killed
end

=== TEST 6: killing a thread that already ended: nil, "already terminated", and it is reaped
--- config
location = /t {
    content_by_lua_block {
        local t = ngx.thread.spawn(function() return "done" end)
        ngx.say("status: ", coroutine.status(t))
        ngx.say(ngx.thread.kill(t))
        ngx.say(ngx.thread.wait(t))
        local t2 = ngx.thread.spawn(function() ngx.sleep(0.005) return "done later" end)
        ngx.sleep(0.03)
        ngx.say("status: ", coroutine.status(t2))
        ngx.say(ngx.thread.kill(t2))
        ngx.say("status: ", coroutine.status(t2))
    }
}
--- request
GET /t
--- response_body
status: zombie
nilalready terminated
nilalready waited or killed
status: zombie
nilalready terminated
status: dead

=== TEST 7: thread statuses: zombie until waited on, then dead; killed is dead
--- config
location = /t {
    content_by_lua_block {
        local t = ngx.thread.spawn(function() return 1 end)
        ngx.say(coroutine.status(t))
        ngx.thread.wait(t)
        ngx.say(coroutine.status(t))
        local k = ngx.thread.spawn(function() ngx.sleep(1) end)
        ngx.thread.kill(k)
        ngx.say(coroutine.status(k))
        ngx.say(coroutine.resume(k))
    }
}
--- request
GET /t
--- response_body
zombie
dead
dead
falsecannot resume dead coroutine

=== TEST 8: an error in a thread: wait gives false and the error; the log has the traceback
--- config
location = /t {
    content_by_lua_block {
        local early = ngx.thread.spawn(function() error("early failure", 0) end)
        local late = ngx.thread.spawn(function() ngx.sleep(0.01) error("late failure", 0) end)
        ngx.say("main goes on")
        ngx.say(ngx.thread.wait(early))
        ngx.say(ngx.thread.wait(late))
        ngx.say(ngx.thread.wait(late))
    }
}
--- request
GET /t
--- response_body
main goes on
falseearly failure
falselate failure
nilalready waited or killed
--- error_log
lua user thread aborted: runtime error: early failure
lua user thread aborted: runtime error: late failure
qr/lua user thread aborted: runtime error: late failure\nstack traceback:\n/
--- no_error_log
lua entry thread aborted

=== TEST 9: a failing thread that nobody waits on does not stop the request
--- config
location = /t {
    content_by_lua_block {
        ngx.thread.spawn(function()
            ngx.sleep(0.01)
            local t = nil
            return t.x
        end)
        ngx.say("main")
        ngx.sleep(0.05)
        ngx.say("main still runs")
    }
}
--- request
GET /t
--- response_body
main
main still runs
--- error_log
qr/lua user thread aborted: runtime error: \S+:\d+: attempt to index local 't' \(a nil value\)/

=== TEST 10: only the parent may wait on a thread; a kill by another coroutine fails
--- config
location = /t {
    content_by_lua_block {
        local inner
        local outer = ngx.thread.spawn(function()
            inner = ngx.thread.spawn(function() ngx.sleep(0.05) return "inner" end)
            ngx.sleep(0.1)
            return "outer"
        end)
        ngx.sleep(0.01)
        ngx.say(pcall(ngx.thread.wait, inner))
        ngx.say(pcall(ngx.thread.kill, inner))
        ngx.say(ngx.thread.wait(outer))
    }
}
--- request
GET /t
--- response_body
falseonly the parent coroutine can wait on the thread
truenilkiller not parent
trueouter

=== TEST 11: uncaught: waiting on another's thread aborts the waiter with that error
--- config
location = /t {
    content_by_lua_block {
        local inner
        ngx.thread.spawn(function()
            inner = ngx.thread.spawn(function() ngx.sleep(0.02) end)
            ngx.sleep(0.02)
        end)
        ngx.sleep(0.005)
        ngx.thread.wait(inner)
        ngx.say("not reached")
    }
}
--- request
GET /t
--- error_code: 500
--- error_log
qr/lua entry thread aborted: runtime error: \S+:\d+: only the parent coroutine can wait on the thread/

=== TEST 12: argument errors
--- config
location = /t {
    content_by_lua_block {
        ngx.say(pcall(ngx.thread.spawn))
        ngx.say(pcall(ngx.thread.spawn, 1))
        ngx.say(pcall(ngx.thread.spawn, print))
        ngx.say(pcall(ngx.thread.wait))
        ngx.say(pcall(ngx.thread.wait, 1))
        ngx.say(pcall(ngx.thread.kill))
        ngx.say(pcall(ngx.thread.kill, "t"))
        local co = coroutine.create(function() end)
        ngx.say(pcall(ngx.thread.wait, co))
        ngx.say(pcall(ngx.thread.wait, coroutine.running()))
        ngx.say(pcall(ngx.thread.kill, co))
    }
}
--- request
GET /t
--- response_body
falsebad argument #1 to '?' (Lua function expected)
falsebad argument #1 to '?' (Lua function expected)
falsebad argument #1 to '?' (Lua function expected)
falseat least one coroutine should be specified
falsebad argument #1 to '?' (lua thread expected)
falsebad argument #1 to '?' (lua thread expected)
falsebad argument #1 to '?' (lua thread expected)
falseattempt to wait on a coroutine that is not a user thread
falseattempt to wait on a coroutine that is not a user thread
truenilnot user thread

=== TEST 13: the request waits for all its light threads after the handler returns
--- config
location = /t {
    content_by_lua_block {
        ngx.thread.spawn(function() ngx.sleep(0.05) ngx.say("slow thread done") end)
        ngx.thread.spawn(function() ngx.sleep(0.01) ngx.say("fast thread done") end)
        ngx.say("handler returns")
    }
}
--- request
GET /t
--- response_body
handler returns
fast thread done
slow thread done

=== TEST 14: ngx.exit in the entry thread ends the request and kills the light threads
--- config
location = /t {
    content_by_lua_block {
        ngx.thread.spawn(function()
            ngx.say("thread before sleep")
            ngx.sleep(0.03)
            ngx.log(ngx.ERR, "killed thread ran on")
        end)
        ngx.say("main exits")
        ngx.exit(200)
    }
}
--- request
GET /t
--- response_body
thread before sleep
main exits
--- no_error_log
killed thread ran on

=== TEST 15: ngx.exit in a light thread ends the request and the entry thread
--- config
location = /t {
    content_by_lua_block {
        ngx.thread.spawn(function() ngx.sleep(0.1) ngx.log(ngx.ERR, "sibling ran on") end)
        ngx.thread.spawn(function()
            ngx.say("thread exits")
            ngx.sleep(0.01)
            ngx.exit(ngx.HTTP_OK)
        end)
        ngx.say("main sleeps")
        ngx.sleep(0.2)
        ngx.log(ngx.ERR, "entry thread ran on")
    }
}
--- request
GET /t
--- response_body
thread exits
main sleeps
--- no_error_log
ran on

=== TEST 16: ngx.exit with an error status from a light thread
--- config
location = /t {
    content_by_lua_block {
        ngx.thread.spawn(function() ngx.sleep(0.01) ngx.exit(403) end)
        ngx.sleep(0.1)
        ngx.say("not reached")
    }
}
--- request
GET /t
--- error_code: 403
--- response_body_like
403 Forbidden

=== TEST 17: an error in the entry thread gives a 500 and kills the light threads
--- config
location = /t {
    content_by_lua_block {
        ngx.thread.spawn(function() ngx.sleep(0.03) ngx.log(ngx.ERR, "orphan ran on") end)
        ngx.sleep(0.005)
        error("entry failure")
    }
}
--- request
GET /t
--- error_code: 500
--- error_log
qr/lua entry thread aborted: runtime error: \S+:\d+: entry failure/
--- no_error_log
orphan ran on

=== TEST 18: light threads in rewrite and access: each phase waits for its threads
--- config
location = /t {
    rewrite_by_lua_block {
        ngx.thread.spawn(function() ngx.sleep(0.02) ngx.ctx.trail = "rewrite thread" end)
    }
    access_by_lua_block {
        ngx.ctx.trail = ngx.ctx.trail .. ", access"
        local t = ngx.thread.spawn(function() ngx.sleep(0.01) return "access thread" end)
        local _, v = ngx.thread.wait(t)
        ngx.ctx.trail = ngx.ctx.trail .. ", " .. v
        ngx.thread.spawn(function() ngx.sleep(0.01) ngx.ctx.trail = ngx.ctx.trail .. ", detached" end)
    }
    content_by_lua_block {
        local t = ngx.thread.spawn(function() ngx.sleep(0) return "content thread" end)
        local _, v = ngx.thread.wait(t)
        ngx.say(ngx.ctx.trail, ", ", v)
    }
}
--- request
GET /t
--- response_body
rewrite thread, access, access thread, detached, content thread

=== TEST 19: a thread spawns and waits on its own children; threads share upvalues
--- config
location = /t {
    content_by_lua_block {
        local log = {}
        local function leaf(n) ngx.sleep(0.005 * n) log[#log + 1] = "leaf" .. n return n * 10 end
        local mid = ngx.thread.spawn(function()
            local a = ngx.thread.spawn(leaf, 2)
            local b = ngx.thread.spawn(leaf, 1)
            local _, x = ngx.thread.wait(a)
            local _, y = ngx.thread.wait(b)
            return x + y
        end)
        ngx.say(ngx.thread.wait(mid))
        ngx.say(table.concat(log, " "))
    }
}
--- request
GET /t
--- response_body
true30
leaf1 leaf2

=== TEST 20: many threads in one request, waited on in spawn order
--- config
location = /t {
    content_by_lua_block {
        local ts = {}
        for i = 1, 50 do
            ts[i] = ngx.thread.spawn(function() ngx.sleep(0.001 * (i % 5)) return i * i end)
        end
        local sum = 0
        for i = 1, 50 do
            local ok, v = ngx.thread.wait(ts[i])
            sum = sum + v
        end
        ngx.say(sum)
    }
}
--- request
GET /t
--- response_body
42925

=== TEST 21: a thread that ended in its first run: zombie, not resumable, waited once
--- config
location = /t {
    content_by_lua_block {
        local t = ngx.thread.spawn(function() return 1 end)
        ngx.say(coroutine.status(t))
        ngx.say(coroutine.resume(t))
        ngx.say(ngx.thread.wait(t))
        ngx.say(coroutine.status(t))
        ngx.say(ngx.thread.wait(t))
        ngx.say(ngx.thread.kill(t))
        ngx.say(coroutine.resume(t))
    }
}
--- request
GET /t
--- response_body
zombie
falsecannot resume zombie coroutine
true1
dead
nilalready waited or killed
nilalready waited or killed
falsecannot resume dead coroutine

=== TEST 22: zombies waited for in any order keep their own results
--- config
location = /t {
    content_by_lua_block {
        local t1 = ngx.thread.spawn(function() return "a" end)
        local t2 = ngx.thread.spawn(function() return "b", nil, "c" end)
        local t3 = ngx.thread.spawn(function() error("e3", 0) end)
        local t4 = ngx.thread.spawn(function() end)
        ngx.say(ngx.thread.wait(t1))
        ngx.say(ngx.thread.wait(t3))
        local t5 = ngx.thread.spawn(function() return 5 end)
        ngx.say(select("#", ngx.thread.wait(t2)), " ", table.concat({tostring(select(2, ngx.thread.wait(t5)))}))
        ngx.say(select("#", ngx.thread.wait(t4)))
    }
}
--- request
GET /t
--- response_body
truea
falsee3
4 5
1

=== TEST 23: a thread that yielded, then ended: zombie, not resumable
--- config
location = /t {
    content_by_lua_block {
        local t = ngx.thread.spawn(function() ngx.sleep(0.001) return 2 end)
        ngx.sleep(0.05)
        ngx.say(coroutine.status(t))
        ngx.say(coroutine.resume(t))
        ngx.say(ngx.thread.wait(t))
        ngx.say(coroutine.resume(t))
    }
}
--- request
GET /t
--- response_body
zombie
falsecannot resume zombie coroutine
true2
falsecannot resume dead coroutine

=== TEST 24: nested spawns: the callers waiting in spawn go on in the order they called it (lua-nginx-module's posted threads)
--- config
location = /t {
    content_by_lua_block {
        local log = {}
        local function say(s) log[#log + 1] = s end
        local t1 = ngx.thread.spawn(function()
            say("th1 starts")
            local t2 = ngx.thread.spawn(function()
                say("th2 starts")
                ngx.sleep(0.01)
                say("th2 ends")
            end)
            say("th1 got th2")
            local t3 = ngx.thread.spawn(function() say("th3 runs") end)
            say("th1 got th3")
        end)
        say("main got th1")
        ngx.thread.spawn(function()
            say("th4 starts")
            ngx.thread.spawn(function() say("th5 starts") ngx.sleep(0.005) say("th5 ends") end)
            say("th4 got th5")
        end)
        say("main got th4")
        ngx.sleep(0.05)
        ngx.say(table.concat(log, "\n"))
    }
}
--- request
GET /t
--- response_body
th1 starts
th2 starts
main got th1
th4 starts
th5 starts
th1 got th2
th3 runs
main got th4
th4 got th5
th1 got th3
th5 ends
th2 ends

=== TEST 25: a parent waiting in ngx.thread.wait runs as soon as the thread ends, before a zero-delay timer that thread made
--- config
location = /t {
    content_by_lua_block {
        local log = {}
        local t = ngx.thread.spawn(function()
            ngx.sleep(0.01)
            ngx.timer.at(0, function() log[#log + 1] = "timer" end)
            log[#log + 1] = "thread ends"
            return "result"
        end)
        local ok, res = ngx.thread.wait(t)
        log[#log + 1] = "parent: " .. tostring(ok) .. " " .. res
        ngx.sleep(0.01)
        ngx.say(table.concat(log, ", "))
    }
}
--- request
GET /t
--- response_body
thread ends, parent: true result, timer

=== TEST 26: ngx.thread.wait takes its arguments in order and returns at the first thread that already ended
--- config
location = /t {
    content_by_lua_block {
        local t = ngx.thread.spawn(function() return "done" end)
        -- The second argument is never looked at: t ended already.
        ngx.say(ngx.thread.wait(t, "not a thread"))
        local u = ngx.thread.spawn(function() ngx.sleep(0.01) end)
        ngx.say(pcall(ngx.thread.wait, u, "not a thread"))
        ngx.thread.wait(u)
    }
}
--- request
GET /t
--- response_body
truedone
falsebad argument #2 to '?' (lua thread expected)

=== TEST 27: another request's or timer's light thread: "only the parent coroutine can wait on the thread", "killer not parent"
--- config
location = /t {
    content_by_lua_block {
        local t = ngx.thread.spawn(function() ngx.sleep(0.05) end)
        local done = false
        local out = {}
        ngx.timer.at(0, function()
            out[#out + 1] = select(2, pcall(ngx.thread.wait, t))
            out[#out + 1] = table.concat({ tostring(select(1, ngx.thread.kill(t))), select(2, ngx.thread.kill(t)) }, " ")
            done = true
        end)
        ngx.sleep(0.01)
        ngx.say(out[1]:gsub("^.-: ", ""), "")
        ngx.say(out[2])
        ngx.thread.wait(t)
    }
}
--- request
GET /t
--- response_body
only the parent coroutine can wait on the thread
nil killer not parent

=== TEST 28: wait on a failed thread gives false, then what the error left on its stack
--- config
location = /t {
    content_by_lua_block {
        local function show(f)
            local ok, a, b = ngx.thread.wait(ngx.thread.spawn(f))
            ngx.say(tostring(ok), " | ", tostring(a), " | ", tostring(b))
        end
        show(function() error("plain") end)
        show(function() error("level zero", 0) end)
        show(function() ngx.sleep(0.001) error("after a sleep") end)
        show(function() error({}, 0) end)
    }
}
--- request
GET /t
--- response_body_like
^false \| plain \| content_by_lua\(nginx\.conf:\d+\):\d+: plain
false \| level zero \| nil
false \| after a sleep \| content_by_lua\(nginx\.conf:\d+\):\d+: after a sleep
false \| table: 0x[0-9a-f]+ \| nil
$

=== TEST 29: coroutine.status of waiting threads: "running" in ngx.sleep, "normal" while resuming a coroutine that sleeps
--- config
location = /t {
    content_by_lua_block {
        local sleeper = ngx.thread.spawn(function() ngx.sleep(0.02) end)
        ngx.say("sleeping thread: ", coroutine.status(sleeper))
        local middle, inner
        local resumer = ngx.thread.spawn(function()
            middle = coroutine.create(function()
                inner = coroutine.create(function() ngx.sleep(0.02) end)
                coroutine.resume(inner)
            end)
            coroutine.resume(middle)
        end)
        ngx.say("resuming thread: ", coroutine.status(resumer))
        ngx.say("coroutine in between: ", coroutine.status(middle))
        ngx.say("sleeping coroutine: ", coroutine.status(inner))
        ngx.thread.wait(sleeper)
        ngx.thread.wait(resumer)
        ngx.say("afterwards: ", coroutine.status(sleeper), " ", coroutine.status(resumer), " ",
                coroutine.status(middle), " ", coroutine.status(inner))
    }
}
--- request
GET /t
--- response_body
sleeping thread: running
resuming thread: normal
coroutine in between: normal
sleeping coroutine: running
afterwards: dead dead dead dead

=== TEST 30: threads that yield in turn interleave with their parent in lua-nginx-module's order
--- config
location = /t {
    content_by_lua_block {
        local function worker(name)
            for i = 1, 3 do
                ngx.say(name, " ", i)
                coroutine.yield()
            end
        end
        ngx.thread.spawn(worker, "a")
        ngx.thread.spawn(worker, "b")
        ngx.say("parent done")
    }
}
--- request
GET /t
--- response_body
a 1
b 1
a 2
parent done
b 2
a 3
b 3
