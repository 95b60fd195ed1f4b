# ngx.semaphore (lua-resty-core 0.1.25 over lua-nginx-module 0.10.23): semaphore.new([n]),
# sema:post([n]), sema:wait(timeout), sema:count(). count() is negative while threads wait;
# waiters are woken in FIFO order; post never resumes a waiter synchronously (the wake-up runs
# after the poster yields); wait(0) tries without waiting; a wait that times out removes its
# waiter; so does killing the waiting thread. Usable across light threads, timers and requests
# of one worker. Argument errors are lua-resty-core's (level 2: they carry the caller's position).
# In a context that cannot yield (set, log, header_filter, body_filter) wait returns
# nil, "API disabled in the context of <phase>" -- it does not raise -- while post and count work.
#
# OpenResty's return values, exactly: wait(0) without resources gives nil, "timeout"; a wait
# that really waited and timed out gives false, "timeout"; post returns true.
# Debian's packaged module loads resty.core itself, so no lua_package_path is needed.

__DATA__

=== TEST 1: new, count and post
--- config
location = /t {
    content_by_lua_block {
        local semaphore = require "ngx.semaphore"
        local s = semaphore.new()
        ngx.say("default: ", s:count(), " ", type(s))
        ngx.say("new(0): ", semaphore.new(0):count())
        ngx.say("new(5): ", semaphore.new(5):count())
        ngx.say("new(2.7): ", semaphore.new(2.7):count())
        ngx.say("new(\"3\"): ", semaphore.new("3"):count())
        ngx.say("post(): ", s:post(), " ", s:count())
        ngx.say("post(3): ", s:post(3), " ", s:count())
        ngx.say("post(\"2\"): ", s:post("2"), " ", s:count())
        ngx.say("post(1.5): ", s:post(1.5), " ", s:count())
        ngx.say("wait(0): ", s:wait(0), " ", s:count())
        ngx.say("wait(1): ", s:wait(1), " ", s:count())
    }
}
--- request
GET /t
--- response_body
default: 0 table
new(0): 0
new(5): 5
new(2.7): 2
new("3"): 3
post(): true 1
post(3): true 4
post("2"): true 6
post(1.5): true 7
wait(0): true 6
wait(1): true 5

=== TEST 2: argument errors, raised at the caller's position
--- config
location = /t {
    content_by_lua_block {
        local semaphore = require "ngx.semaphore"
        local s = semaphore.new(1)
        local function try(f)
            local ok, err = pcall(f)
            ngx.say(ok, " ", (tostring(err):gsub("^content_by_lua%(nginx%.conf:%d+%):%d+: ", "POS: ")))
        end
        try(function() local _ = semaphore.new(-1) end)
        try(function() local _ = s:post(0) end)
        try(function() local _ = s:post(-2) end)
        try(function() local _ = s:post(0.5) end)
        try(function() local _ = s:wait(-1) end)
        try(function() local _ = s.post({}) end)
        try(function() local _ = s.wait({}, 1) end)
        try(function() local _ = s.count({}) end)
        try(function() local _ = s.count() end)
        try(function() local _ = s.post({sem = "not cdata"}) end)
    }
}
--- request
GET /t
--- response_body
false POS: no negative number
false POS: positive number required
false POS: positive number required
false POS: positive number required
false POS: no negative number
false POS: not a semaphore instance
false POS: not a semaphore instance
false POS: not a semaphore instance
false POS: not a semaphore instance
false POS: not a semaphore instance

=== TEST 3: wait without a number fails on the arithmetic, as lua-resty-core does
--- config
location = /t {
    content_by_lua_block {
        local s = require("ngx.semaphore").new(1)
        ngx.say(pcall(s.wait, s))
        ngx.say(pcall(s.wait, s, "x"))
        ngx.say(s:wait("0"), " ", s:count())
    }
}
--- request
GET /t
--- response_body_like
\Afalse\S*: attempt to perform arithmetic on a nil value
false\S*: attempt to perform arithmetic on a nil value
true 0
\Z

=== TEST 4: wait(0) tries without waiting; a real timeout gives false, "timeout" and leaves no waiter
--- config
location = /t {
    content_by_lua_block {
        local semaphore = require "ngx.semaphore"
        local s = semaphore.new(0)
        ngx.say("wait(0): ", s:wait(0))
        ngx.say("count: ", s:count())
        local t = ngx.thread.spawn(function() return s:wait(0.02) end)
        ngx.say("count while waiting: ", s:count())
        ngx.say("thread: ", ngx.thread.wait(t))
        ngx.say("count after the timeout: ", s:count())
        ngx.say("main wait(0.01): ", s:wait(0.01))
        s:post(1)
        ngx.say("after post: ", s:wait(0), " ", s:count())
    }
}
--- request
GET /t
--- response_body
wait(0): niltimeout
count: 0
count while waiting: -1
thread: truefalsetimeout
count after the timeout: 0
main wait(0.01): falsetimeout
after post: true 0

=== TEST 5: count goes negative with waiters; post wakes them in FIFO order
--- config
location = /t {
    content_by_lua_block {
        local semaphore = require "ngx.semaphore"
        local s = semaphore.new(0)
        local order = {}
        local ts = {}
        for i = 1, 5 do
            ts[i] = ngx.thread.spawn(function()
                local ok, err = s:wait(1)
                order[#order + 1] = i .. (ok and "" or "(" .. err .. ")")
            end)
        end
        ngx.say("count with 5 waiters: ", s:count())
        s:post(2)
        ngx.say("after post(2): ", s:count())
        ngx.sleep(0.01)
        ngx.say("woken: ", table.concat(order, " "), ", count ", s:count())
        s:post(1)
        ngx.sleep(0.01)
        ngx.say("woken: ", table.concat(order, " "), ", count ", s:count())
        s:post(4)
        ngx.sleep(0.01)
        ngx.say("woken: ", table.concat(order, " "), ", count ", s:count())
    }
}
--- request
GET /t
--- response_body
count with 5 waiters: -5
after post(2): -3
woken: 1 2, count -3
woken: 1 2 3, count -2
woken: 1 2 3 4 5, count 2

=== TEST 6: post never wakes a waiter synchronously: it runs after the poster yields
--- config
location = /t {
    content_by_lua_block {
        local semaphore = require "ngx.semaphore"
        local s = semaphore.new()
        ngx.thread.spawn(function()
            ngx.say("waiter waits")
            s:wait(1)
            ngx.say("waiter woke")
        end)
        ngx.say("main posts")
        s:post()
        ngx.say("main after post, count ", s:count())
        local x = 0
        for i = 1, 1000 do x = x + i end
        ngx.say("main still running")
        ngx.sleep(0.01)
        ngx.say("main after sleep")
    }
}
--- request
GET /t
--- response_body
waiter waits
main posts
main after post, count 0
main still running
waiter woke
main after sleep

=== TEST 7: a killed waiter leaves the queue; the next waiter gets the resource
--- config
location = /t {
    content_by_lua_block {
        local semaphore = require "ngx.semaphore"
        local s = semaphore.new(0)
        local woken = {}
        local a = ngx.thread.spawn(function() s:wait(1) woken[#woken + 1] = "a" end)
        local b = ngx.thread.spawn(function() s:wait(1) woken[#woken + 1] = "b" end)
        ngx.say("count: ", s:count())
        ngx.say("kill a: ", ngx.thread.kill(a))
        ngx.say("count: ", s:count())
        s:post()
        ngx.sleep(0.01)
        ngx.say("woken: ", table.concat(woken, " "), ", count: ", s:count())
    }
}
--- request
GET /t
--- response_body
count: -2
kill a: 1
count: -1
woken: b, count: 0

=== TEST 8: ping-pong between two light threads
--- config
location = /t {
    content_by_lua_block {
        local semaphore = require "ngx.semaphore"
        local ping, pong = semaphore.new(), semaphore.new()
        local trail = {}
        local a = ngx.thread.spawn(function()
            for i = 1, 3 do
                trail[#trail + 1] = "ping" .. i
                ping:post()
                assert(pong:wait(1))
            end
        end)
        local b = ngx.thread.spawn(function()
            for i = 1, 3 do
                assert(ping:wait(1))
                trail[#trail + 1] = "pong" .. i
                pong:post()
            end
        end)
        ngx.thread.wait(a)
        ngx.thread.wait(b)
        ngx.say(table.concat(trail, " "))
        ngx.say(ping:count(), " ", pong:count())
    }
}
--- request
GET /t
--- response_body
ping1 pong1 ping2 pong2 ping3 pong3
0 0

=== TEST 9: a timer waits on a semaphore that the request posts, and posts one back
--- config
location = /t {
    content_by_lua_block {
        local semaphore = require "ngx.semaphore"
        local to_timer, to_request = semaphore.new(), semaphore.new()
        local got
        ngx.timer.at(0, function()
            local ok, err = to_timer:wait(1)
            got = "timer woke: " .. tostring(ok) .. " " .. tostring(err)
            to_request:post()
        end)
        ngx.sleep(0.02)
        ngx.say("count with the timer waiting: ", to_timer:count())
        to_timer:post()
        ngx.say("request wait: ", (to_request:wait(1)))
        ngx.say(got)
    }
}
--- request
GET /t
--- response_body
count with the timer waiting: -1
request wait: true
timer woke: true nil

=== TEST 10: a semaphore kept in a module is shared by the requests of a worker
--- http_config
lua_package_path "$TEST_NGINX_HTML_DIR/?.lua;;";
--- user_files
>>> shared_sema.lua
return require("ngx.semaphore").new(0)
--- config
location = /t {
    content_by_lua_block {
        local s = require "shared_sema"
        -- a timer outlives this request and posts to the module's semaphore
        ngx.timer.at(0.01, function() s:post(1) end)
        local ok, err = s:wait(1)
        ngx.say("woken by a timer of this worker: ", ok, " ", tostring(err), ", count ", s:count())
    }
    log_by_lua_block {
        -- posted in the log phase; the next request takes it without waiting
        require("shared_sema"):post(1)
    }
}
--- request
GET /t
--- response_body
woken by a timer of this worker: true nil, count 0

=== TEST 11: at most 2 holders at a time (a counting semaphore as a limiter)
--- config
location = /t {
    content_by_lua_block {
        local semaphore = require "ngx.semaphore"
        local s = semaphore.new(2)
        local inside, peak, done = 0, 0, 0
        local ts = {}
        for i = 1, 6 do
            ts[i] = ngx.thread.spawn(function()
                assert(s:wait(2))
                inside = inside + 1
                if inside > peak then peak = inside end
                ngx.sleep(0.01)
                inside = inside - 1
                done = done + 1
                s:post()
            end)
        end
        for i = 1, 6 do ngx.thread.wait(ts[i]) end
        ngx.say("done ", done, ", peak ", peak, ", count ", s:count())
    }
}
--- request
GET /t
--- response_body
done 6, peak 2, count 2

=== TEST 12: wait and post in rewrite and access phases
--- config
location = /t {
    rewrite_by_lua_block {
        local s = require("ngx.semaphore").new()
        ngx.timer.at(0.005, function() s:post() end)
        ngx.ctx.trail = "rewrite " .. tostring(s:wait(1))
    }
    access_by_lua_block {
        local s = require("ngx.semaphore").new()
        ngx.thread.spawn(function() ngx.sleep(0.005) s:post(1) end)
        ngx.ctx.trail = ngx.ctx.trail .. ", access " .. tostring(s:wait(1))
    }
    content_by_lua_block { ngx.say(ngx.ctx.trail) }
}
--- request
GET /t
--- response_body
rewrite true, access true

=== TEST 13: wait cannot yield in log, header_filter and body_filter: nil and the context error
--- config
location = /t {
    header_filter_by_lua_block {
        local s = require("ngx.semaphore").new(1)
        ngx.log(ngx.WARN, "header_filter wait: ", s:wait(0))
        ngx.log(ngx.WARN, "header_filter post: ", s:post(), " count ", s:count())
    }
    body_filter_by_lua_block {
        if ngx.arg[2] then
            local s = require("ngx.semaphore").new(1)
            ngx.log(ngx.WARN, "body_filter wait: ", s:wait(1))
        end
    }
    log_by_lua_block {
        local s = require("ngx.semaphore").new(1)
        ngx.log(ngx.WARN, "log wait(0): ", s:wait(0))
        ngx.log(ngx.WARN, "log wait(1): ", s:wait(1))
        ngx.log(ngx.WARN, "log post: ", s:post(), " count ", s:count())
    }
    content_by_lua_block { ngx.say("ok") }
}
--- request
GET /t
--- response_body
ok
--- error_log
header_filter wait: nilAPI disabled in the context of header_filter_by_lua*
header_filter post: true count 2
body_filter wait: nilAPI disabled in the context of body_filter_by_lua*
log wait(0): nilAPI disabled in the context of log_by_lua*
log wait(1): nilAPI disabled in the context of log_by_lua*
log post: true count 2
--- no_error_log
[error]

=== TEST 14: wait in set_by_lua cannot yield either
--- config
location = /t {
    set_by_lua_block $r {
        local s = require("ngx.semaphore").new(1)
        local ok, err = s:wait(0)
        return tostring(ok) .. " " .. err .. "; " .. tostring(s:post(2)) .. " count " .. s:count()
    }
    content_by_lua_block { ngx.say(ngx.var.r) }
}
--- request
GET /t
--- response_body
nil API disabled in the context of set_by_lua*; true count 3

=== TEST 15: a post from the log phase wakes a waiting timer
--- config
location = /t {
    content_by_lua_block {
        local s = require("ngx.semaphore").new()
        ngx.ctx.sema = s
        ngx.timer.at(0, function()
            local ok, err = s:wait(2)
            ngx.log(ngx.WARN, "timer woken by the log phase: ", ok, " ", err)
        end)
        ngx.say("ok")
    }
    log_by_lua_block {
        ngx.ctx.sema:post()
    }
}
--- request
GET /t
--- response_body
ok
--- error_log
timer woken by the log phase: true nil
--- timeout: 10

=== TEST 16: waiters in different timers and threads are woken in the order they came
--- config
location = /t {
    content_by_lua_block {
        local s = require("ngx.semaphore").new()
        local order = {}
        local function waiter(name) assert(s:wait(1)) order[#order + 1] = name end
        ngx.timer.at(0, function() waiter("timer1") end)
        ngx.sleep(0.01)
        ngx.thread.spawn(waiter, "thread1")
        ngx.timer.at(0, function() waiter("timer2") end)
        ngx.sleep(0.01)
        ngx.thread.spawn(waiter, "thread2")
        ngx.say("count: ", s:count())
        s:post(4)
        for _ = 1, 100 do
            if #order == 4 then break end
            ngx.sleep(0.005)
        end
        ngx.say(table.concat(order, " "))
    }
}
--- request
GET /t
--- response_body
count: -4
timer1 thread1 timer2 thread2

=== TEST 17: waiters whose timeout expires are skipped by a later post
--- config
location = /t {
    content_by_lua_block {
        local s = require("ngx.semaphore").new()
        local res = {}
        local a = ngx.thread.spawn(function() res.a = {s:wait(0.01)} end)
        local b = ngx.thread.spawn(function() res.b = {s:wait(1)} end)
        ngx.sleep(0.05)
        ngx.say("count: ", s:count())
        s:post()
        ngx.thread.wait(a)
        ngx.thread.wait(b)
        ngx.say("a: ", tostring(res.a[1]), " ", tostring(res.a[2]))
        ngx.say("b: ", tostring(res.b[1]), " ", tostring(res.b[2]))
        ngx.say("count: ", s:count())
    }
}
--- request
GET /t
--- response_body
count: -1
a: false timeout
b: true nil
count: 0

=== TEST 18: post() hands out at the next turn, in queue order: until then wait(0) fails and a killed waiter takes nothing
--- config
location = /t {
    content_by_lua_block {
        local semaphore = require "ngx.semaphore"
        local sema = semaphore.new(0)
        local log = {}
        local function waiter(name)
            return function()
                local ok, err = sema:wait(1)
                log[#log + 1] = name .. " woke: " .. tostring(ok) .. " " .. tostring(err)
            end
        end
        local a = ngx.thread.spawn(waiter("a"))
        local b = ngx.thread.spawn(waiter("b"))
        sema:post(2)
        log[#log + 1] = "count after post(2): " .. sema:count()
        -- The resources wait for a and b, who queued first.
        local ok, err = sema:wait(0)
        log[#log + 1] = "wait(0): " .. tostring(ok) .. " " .. tostring(err)
        -- a leaves before its turn: its unit goes to b, the other to the next in line.
        ngx.thread.kill(a)
        local c = ngx.thread.spawn(waiter("c"))
        ngx.thread.wait(b)
        ngx.thread.wait(c)
        log[#log + 1] = "count at the end: " .. sema:count()
        ngx.say(table.concat(log, "\n"))
    }
}
--- request
GET /t
--- response_body
count after post(2): 0
wait(0): nil timeout
b woke: true nil
c woke: true nil
count at the end: 0
