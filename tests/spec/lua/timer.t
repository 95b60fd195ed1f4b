# ngx.timer.at / ngx.timer.every / running_count / pending_count (lua-nginx-module 0.10.23):
# callbacks with premature=false and extra arguments, closures, zero delays, nested timers,
# ngx.sleep / ngx.log / ngx.shared / light threads inside callbacks, the timer context (its own
# ngx.ctx, get_phase "timer", request APIs disabled with lua-nginx-module's texts), callback
# errors (logged with a traceback, harming nothing), argument errors, lua_max_pending_timers and
# lua_max_running_timers (exact result and log line), and the premature path on shutdown: the
# runner stops the server with SIGQUIT, pending timers then run at once with premature=true,
# ngx.worker.exiting() is true, new timers with a non-zero delay get nil, "process exiting".
# Blocks that need the graceful shutdown set `master_process on` (nginx with master_process off
# exits on QUIT without running pending timers; Tycho always shuts down gracefully).
# A timer's results are collected into an upvalue table and the request polls it, so bodies
# do not depend on timing; chunk names differ between servers, so positions are regexes.
# pcall(ngx.timer.at, ...) reports the function as '?' in argument errors (LuaJIT's way).

__DATA__

=== TEST 1: a timer runs its callback with premature=false and the extra arguments
--- config
location = /t {
    content_by_lua_block {
        local got
        local ok, err = ngx.timer.at(0.01, function(premature, a, b, c)
            got = table.concat({tostring(premature), a, tostring(b), type(c), tostring(c and c.k)}, " ")
        end, "x", 42, {k = "v"})
        ngx.say("created: ", ok and "truthy" or "falsy", " ", tostring(err))
        for _ = 1, 200 do
            if got then break end
            ngx.sleep(0.005)
        end
        ngx.say("callback: ", got)
    }
}
--- request
GET /t
--- response_body
created: truthy nil
callback: false x 42 table v
--- no_error_log
[error]

=== TEST 2: closures see and change their upvalues; a zero delay runs only after the handler yields
--- config
location = /t {
    content_by_lua_block {
        local counter = 0
        local trail = {}
        local function bump(premature, step)
            counter = counter + step
            trail[#trail + 1] = "timer+" .. step
        end
        ngx.timer.at(0, bump, 1)
        ngx.timer.at(0, bump, 10)
        trail[#trail + 1] = "handler goes on"
        ngx.say("before yielding: ", counter)
        for _ = 1, 200 do
            if counter == 11 then break end
            ngx.sleep(0.005)
        end
        ngx.say("after: ", counter)
        ngx.say(table.concat(trail, ", "))
    }
}
--- request
GET /t
--- response_body
before yielding: 0
after: 11
handler goes on, timer+1, timer+10

=== TEST 3: timers of different delays fire in delay order
--- config
location = /t {
    content_by_lua_block {
        local order = {}
        local function mark(premature, name) order[#order + 1] = name end
        ngx.timer.at(0.15, mark, "c")
        ngx.timer.at(0.01, mark, "a")
        ngx.timer.at(0.08, mark, "b")
        for _ = 1, 400 do
            if #order == 3 then break end
            ngx.sleep(0.005)
        end
        ngx.say(table.concat(order, " "))
    }
}
--- request
GET /t
--- response_body
a b c

=== TEST 4: the timer context: its own ngx.ctx, phase "timer", request APIs disabled
--- config
location = /t {
    content_by_lua_block {
        ngx.ctx.from_request = "request value"
        local res
        ngx.timer.at(0, function()
            local out = {}
            local function try(name, f, ...)
                local ok, err = pcall(f, ...)
                out[#out + 1] = name .. ": " .. tostring(ok) .. " " .. tostring(err)
            end
            out[#out + 1] = "phase: " .. ngx.get_phase()
            out[#out + 1] = "ctx: " .. type(ngx.ctx) .. " " .. tostring(ngx.ctx.from_request)
            ngx.ctx.mine = 1
            out[#out + 1] = "own ctx: " .. tostring(ngx.ctx.mine)
            try("say", ngx.say, "x")
            try("print", ngx.print, "x")
            try("flush", ngx.flush)
            try("eof", ngx.eof)
            try("redirect", ngx.redirect, "/")
            try("exec", ngx.exec, "/")
            try("read_body", ngx.req.read_body)
            try("send_headers", ngx.send_headers)
            res = table.concat(out, "\n")
        end)
        for _ = 1, 200 do
            if res then break end
            ngx.sleep(0.005)
        end
        ngx.say(res)
        ngx.say("request ctx kept: ", ngx.ctx.from_request, " ", tostring(ngx.ctx.mine))
    }
}
--- request
GET /t
--- response_body
phase: timer
ctx: table nil
own ctx: 1
say: false API disabled in the context of ngx.timer
print: false API disabled in the context of ngx.timer
flush: false API disabled in the context of ngx.timer
eof: false API disabled in the context of ngx.timer
redirect: false API disabled in the context of ngx.timer
exec: false API disabled in the context of ngx.timer
read_body: false API disabled in the context of ngx.timer
send_headers: false API disabled in the context of ngx.timer
request ctx kept: request value nil

=== TEST 5: request-data APIs (resty.core FFI) are disabled in the current context of a timer
--- config
location = /t {
    content_by_lua_block {
        local res
        ngx.timer.at(0, function()
            local out = {}
            local function try(name, f)
                local ok, err = pcall(f)
                out[#out + 1] = name .. ": " .. tostring(ok) .. " " .. tostring(err)
            end
            try("get_headers", function() return ngx.req.get_headers() end)
            try("get_method", function() return ngx.req.get_method() end)
            try("get_uri_args", function() return ngx.req.get_uri_args() end)
            try("var", function() return ngx.var.uri end)
            try("status", function() return ngx.status end)
            try("header", function() ngx.header["X-A"] = "1" end)
            res = table.concat(out, "\n")
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
\Aget_headers: false (?:\S+: )?API disabled in the current context
get_method: false (?:\S+: )?API disabled in the current context
get_uri_args: false (?:\S+: )?API disabled in the current context
var: false (?:\S+: )?API disabled in the current context
status: false (?:\S+: )?API disabled in the current context
header: false (?:\S+: )?API disabled in the current context
\Z

=== TEST 6: an uncaught error in a callback is logged with a traceback and harms nothing
--- config
location = /t {
    content_by_lua_block {
        local after
        ngx.timer.at(0, function() error("timer boom") end)
        ngx.timer.at(0, function() error({}) end)
        ngx.timer.at(0, function() local t = nil; return t.field end)
        ngx.timer.at(0.02, function() after = "later timer ran" end)
        for _ = 1, 200 do
            if after then break end
            ngx.sleep(0.005)
        end
        ngx.say(after)
    }
}
--- request
GET /t
--- response_body
later timer ran
--- error_log
qr/lua entry thread aborted: runtime error: \S+:\d+: timer boom/
stack traceback:
qr/timer boom\n.*?, context: ngx\.timer/s
lua entry thread aborted: runtime error: unknown reason
qr/lua entry thread aborted: runtime error: \S+:\d+: attempt to index local 't' \(a nil value\)/
--- no_error_log
[alert]
[crit]

=== TEST 7: ngx.sleep, ngx.log, shared dicts and timers inside a callback
--- http_config
lua_shared_dict timers 1m;
--- config
location = /t {
    content_by_lua_block {
        local done
        ngx.timer.at(0, function(premature, key)
            local d = ngx.shared.timers
            d:set(key, "set before sleep")
            ngx.sleep(0.02)
            ngx.log(ngx.WARN, "timer log line: ", d:get(key))
            d:incr("runs", 1, 0)
            ngx.sleep(0)
            done = true
        end, "k")
        for _ = 1, 200 do
            if done then break end
            ngx.sleep(0.005)
        end
        ngx.say(ngx.shared.timers:get("k"), ", runs > 0: ", ngx.shared.timers:get("runs") > 0)
    }
}
--- request
GET /t
--- response_body
set before sleep, runs > 0: true
--- error_log
qr/\[warn\].*timer log line: set before sleep, context: ngx\.timer/

=== TEST 8: nested timers: a callback creates the next timer, passing arguments along
--- config
location = /t {
    content_by_lua_block {
        local trail = {}
        local function step(premature, n, acc)
            trail[#trail + 1] = n .. ":" .. acc
            if n < 4 then
                local ok, err = ngx.timer.at(0.005, step, n + 1, acc .. n)
                if not ok then trail[#trail + 1] = "failed: " .. err end
            end
        end
        ngx.timer.at(0, step, 1, "")
        for _ = 1, 400 do
            if #trail >= 4 then break end
            ngx.sleep(0.005)
        end
        ngx.say(table.concat(trail, " "))
    }
}
--- request
GET /t
--- response_body
1: 2:1 3:12 4:123

=== TEST 9: ngx.timer.every runs repeatedly with premature=false and its arguments
--- config
location = /t {
    content_by_lua_block {
        local runs = {}
        local ok, err = ngx.timer.every(0.01, function(premature, tag)
            runs[#runs + 1] = tostring(premature) .. "/" .. tag
        end, "tick")
        ngx.say("created: ", ok and "truthy" or "falsy", " ", tostring(err))
        for _ = 1, 400 do
            if #runs >= 3 then break end
            ngx.sleep(0.005)
        end
        ngx.say(runs[1], " ", runs[2], " ", runs[3])
    }
}
--- request
GET /t
--- response_body
created: truthy nil
false/tick false/tick false/tick

=== TEST 10: argument errors of ngx.timer.at and ngx.timer.every
--- config
location = /t {
    content_by_lua_block {
        local f = function() end
        ngx.say(pcall(ngx.timer.at))
        ngx.say(pcall(ngx.timer.at, 1))
        ngx.say(pcall(ngx.timer.at, "x", f))
        ngx.say(pcall(ngx.timer.at, nil, f))
        ngx.say(pcall(ngx.timer.at, 0, "f"))
        ngx.say(pcall(ngx.timer.at, 0, print))
        ngx.say(pcall(ngx.timer.every, 1))
        ngx.say(pcall(ngx.timer.every, "x", f))
        ngx.say(pcall(ngx.timer.every, 1, {}))
        ngx.say(pcall(ngx.timer.every, 0, f))
    }
}
--- request
GET /t
--- response_body
falseexpecting at least 2 arguments but got 0
falseexpecting at least 2 arguments but got 1
falsebad argument #1 to '?' (number expected, got string)
falsebad argument #1 to '?' (number expected, got nil)
falsebad argument #2 to '?' (Lua function expected)
falsebad argument #2 to '?' (Lua function expected)
falseexpecting at least 2 arguments but got 1
falsebad argument #1 to '?' (number expected, got string)
falsebad argument #2 to '?' (Lua function expected)
falsedelay cannot be zero

=== TEST 11: ngx.timer.at("x") uncaught: a 500 and the error in the log
--- config
location = /t { content_by_lua_block { ngx.timer.at("x") } }
--- request
GET /t
--- error_code: 500
--- error_log
qr/lua entry thread aborted: runtime error: \S+:\d+: expecting at least 2 arguments but got 1/
stack traceback:

=== TEST 12: a numeric string delay is accepted
--- config
location = /t {
    content_by_lua_block {
        local ran
        local ok = ngx.timer.at("0.01", function() ran = true end)
        for _ = 1, 200 do
            if ran then break end
            ngx.sleep(0.005)
        end
        ngx.say(ok and "truthy" or "falsy", " ", ran)
    }
}
--- request
GET /t
--- response_body
truthy true

=== TEST 13: running_count and pending_count
--- config
location = /t {
    content_by_lua_block {
        -- the previous request's timers (if any) are long done: each runs 0.05 s at most
        ngx.say("in a request: running ", ngx.timer.running_count())
        local p0 = ngx.timer.pending_count()
        local seen
        ngx.timer.at(0.01, function()
            seen = "inside: running " .. ngx.timer.running_count()
            ngx.sleep(0.05)
        end)
        ngx.timer.at(0.2, function() end)
        ngx.say("pending +", ngx.timer.pending_count() - p0)
        ngx.sleep(0.03)
        ngx.say(seen)
        ngx.say("while one sleeps: running ", ngx.timer.running_count(),
                ", pending +", ngx.timer.pending_count() - p0)
        ngx.sleep(0.3)
        ngx.say("all done: running ", ngx.timer.running_count(),
                ", pending +", ngx.timer.pending_count() - p0)
    }
}
--- request
GET /t
--- response_body
in a request: running 0
pending +2
inside: running 1
while one sleeps: running 1, pending +1
all done: running 0, pending +0
--- timeout: 10

=== TEST 14: lua_max_pending_timers: creating one more gives nil, "too many pending timers"
--- http_config
lua_max_pending_timers 3;
--- config
location = /t {
    content_by_lua_block {
        ngx.sleep(0.05)  -- lets the previous request's timers fire
        local n, ok, err = 0
        for i = 1, 10 do
            ok, err = ngx.timer.at(0.01, function() end)
            if not ok then break end
            n = n + 1
        end
        ngx.say(n, " created, then: ", tostring(ok), ", ", err)
        ngx.say("pending: ", ngx.timer.pending_count())
        ngx.sleep(0.05)
        ngx.say("after they fired: ", ngx.timer.pending_count(), " ",
                (ngx.timer.at(0.01, function() end)) and "can create again" or "still full")
    }
}
--- request
GET /t
--- response_body
3 created, then: nil, too many pending timers
pending: 3
after they fired: 0 can create again

=== TEST 15: lua_max_running_timers: a timer that cannot start is dropped with an alert naming the callback's chunk as lua-nginx-module does (its source: "=" for inline code)
--- http_config
lua_max_running_timers 1;
--- config
location = /t {
    content_by_lua_block {
        local ran = {}
        for i = 1, 3 do
            ngx.timer.at(0.01, function()
                ran[#ran + 1] = i
                ngx.sleep(0.05)
            end)
        end
        ngx.sleep(0.2)
        ngx.say("ran: ", #ran)
    }
}
--- request
GET /t
--- response_body
ran: 1
--- error_log
qr/\[alert\] \d+#\d+: lua failed to run timer with function defined at =content_by_lua\(nginx\.conf:\d+\):4: 1 lua_max_running_timers are not enough\n/

=== TEST 16: light threads inside a timer; the timer lives until they end
--- config
location = /t {
    content_by_lua_block {
        local res = {}
        ngx.timer.at(0, function()
            local t = ngx.thread.spawn(function(x) ngx.sleep(0.01) return x * 2 end, 21)
            local ok, v = ngx.thread.wait(t)
            res[#res + 1] = tostring(ok) .. " " .. tostring(v)
            ngx.thread.spawn(function() ngx.sleep(0.1) res[#res + 1] = "detached thread done" end)
        end)
        ngx.sleep(0.05)
        ngx.say(res[1], "; running while the detached thread sleeps: ", ngx.timer.running_count())
        for _ = 1, 200 do
            if #res == 2 then break end
            ngx.sleep(0.005)
        end
        ngx.sleep(0.01)
        ngx.say(res[2], "; running: ", ngx.timer.running_count())
    }
}
--- request
GET /t
--- response_body
true 42; running while the detached thread sleeps: 1
detached thread done; running: 0

=== TEST 17: ngx.exit inside a callback just ends the timer
--- config
location = /t {
    content_by_lua_block {
        local trail = {}
        ngx.timer.at(0, function()
            trail[#trail + 1] = "before exit"
            ngx.sleep(0.001)
            ngx.exit(200)
            trail[#trail + 1] = "not reached"
        end)
        ngx.sleep(0.05)
        ngx.say(table.concat(trail, ", "), "; running: ", ngx.timer.running_count())
    }
}
--- request
GET /t
--- response_body
before exit; running: 0
--- no_error_log
[error]

=== TEST 18: timers created in init_worker_by_lua and in the log phase run
--- http_config
lua_shared_dict timers 1m;
init_worker_by_lua_block {
    local ok, err = ngx.timer.every(0.01, function(premature)
        if not premature then ngx.shared.timers:incr("ticks", 1, 0) end
    end)
    if not ok then ngx.log(ngx.ERR, "failed to create the every-timer: ", err) end
}
--- config
location = /t {
    content_by_lua_block {
        for _ = 1, 200 do
            if (ngx.shared.timers:get("ticks") or 0) >= 2 then break end
            ngx.sleep(0.005)
        end
        ngx.say("ticks >= 2: ", ngx.shared.timers:get("ticks") >= 2)
    }
    log_by_lua_block {
        local ok, err = ngx.timer.at(0, function(premature)
            ngx.log(ngx.WARN, "timer from the log phase ran, premature: ", premature)
        end)
        if not ok then ngx.log(ngx.ERR, "failed: ", err) end
    }
}
--- request
GET /t
--- response_body
ticks >= 2: true
--- error_log
timer from the log phase ran, premature: false
--- no_error_log
[error]

=== TEST 19: on QUIT a pending timer runs at once with premature=true and its arguments
--- main_config
master_process on;
--- config
location = /t {
    content_by_lua_block {
        local ok, err = ngx.timer.at(100, function(premature, a, b)
            ngx.log(ngx.WARN, "long timer: premature=", premature, " args=", a, ",", b,
                    " exiting=", ngx.worker.exiting())
        end, "x", 42)
        ngx.say(ok and "created" or err, ", exiting: ", ngx.worker.exiting())
    }
}
--- request
GET /t
--- response_body
created, exiting: false
--- error_log
long timer: premature=true args=x,42 exiting=true
--- no_error_log
[error]
[alert]

=== TEST 20: while exiting, non-zero delays give nil, "process exiting"; zero delays still run
--- main_config
master_process on;
--- config
location = /t {
    content_by_lua_block {
        ngx.timer.at(100, function(premature)
            local r = {ngx.timer.at(1, function() end)}
            ngx.log(ngx.WARN, "in premature callback: ", #r, " ", tostring(r[1]), " ", r[2])
            local r2 = {ngx.timer.every(1, function() end)}
            ngx.log(ngx.WARN, "every while exiting: ", tostring(r2[1]), " ", r2[2])
            local ok = ngx.timer.at(0, function(p)
                ngx.log(ngx.WARN, "zero-delay timer created while exiting ran, premature=", p)
            end)
            ngx.log(ngx.WARN, "zero delay while exiting: ", ok and "truthy" or "falsy")
        end)
        ngx.say("ok")
    }
}
--- request
GET /t
--- response_body
ok
--- error_log
in premature callback: 2 nil process exiting
every while exiting: nil process exiting
zero delay while exiting: truthy
zero-delay timer created while exiting ran, premature=false

=== TEST 21: on QUIT an every-timer runs once more with premature=true, nested ones too
--- main_config
master_process on;
--- config
location = /t {
    content_by_lua_block {
        ngx.timer.every(100, function(premature, tag)
            ngx.log(ngx.WARN, "every-timer ", tag, " premature=", premature)
        end, "E")
        ngx.timer.at(0, function()
            ngx.timer.at(100, function(premature)
                ngx.log(ngx.WARN, "nested long timer premature=", premature,
                        " worker exiting=", ngx.worker.exiting())
            end)
        end)
        ngx.say("ok")
    }
}
--- request
GET /t
--- response_body
ok
--- error_log
every-timer E premature=true
nested long timer premature=true worker exiting=true
--- no_error_log
every-timer E premature=false

=== TEST 22: a zero-delay timer made before a sleep runs before the sleep returns, however long the handler ran
--- config
location = /t {
    content_by_lua_block {
        local ran = false
        -- Make the loop turn long: the loop's cached time is then well behind the clock, and
        -- the sleep below is already due when the next turn starts.
        local t0 = os.clock()
        while os.clock() - t0 < 0.02 do end
        ngx.timer.at(0, function() ran = true end)
        ngx.sleep(0.001)
        ngx.say("timer ran before the sleep returned: ", ran)
    }
}
--- request
GET /t
--- response_body
timer ran before the sleep returned: true

=== TEST 23: a zero-delay timer made before ngx.sleep(0) runs before it returns (nginx runs expired timers before delayed events)
--- config
location = /t {
    content_by_lua_block {
        local log = {}
        ngx.timer.at(0, function() log[#log + 1] = "timer" end)
        ngx.sleep(0)
        log[#log + 1] = "sleep(0) returned"
        ngx.say(table.concat(log, ", "))
    }
}
--- request
GET /t
--- response_body
timer, sleep(0) returned

=== TEST 24: a timer and a sleep of the same delay: the timer runs first (one deadline order, as in nginx's timer tree)
--- config
location = /t {
    content_by_lua_block {
        local ran, late = 0, 0
        for i = 1, 10 do
            ngx.timer.at(0.01, function() ran = ran + 1 end)
            ngx.sleep(0.01)
            if ran ~= i then late = late + 1 end
        end
        ngx.say("sleeps that returned before their timer ran: ", late)
    }
}
--- request
GET /t
--- response_body
sleeps that returned before their timer ran: 0

=== TEST 25: a timer callback sees the time it fired at (ngx.now() is updated after the wait)
--- config
location = /t {
    content_by_lua_block {
        local t0 = ngx.now()
        local seen
        ngx.timer.at(0.1, function() seen = ngx.now() - t0 end)
        ngx.sleep(0.2)
        ngx.say("callback's ngx.now() moved by at least 0.1 s: ", seen >= 0.099)
    }
}
--- request
GET /t
--- response_body
callback's ngx.now() moved by at least 0.1 s: true

=== TEST 26: argument errors of a direct two-argument call name the function and the caller's line
--- config
location = /t {
    content_by_lua_block {
        local ok, err = pcall(function()
            ngx.timer.at(0, print)
        end)
        ngx.say(err)
        ok, err = pcall(function()
            ngx.timer.every("x", function() end)
        end)
        ngx.say(err)
        ok, err = pcall(function()
            ngx.timer.at(0, "f", 1)
        end)
        ngx.say(err)
    }
}
--- request
GET /t
--- response_body_like
^content_by_lua\(nginx\.conf:\d+\):3: bad argument #2 to 'at' \(Lua function expected\)
content_by_lua\(nginx\.conf:\d+\):7: bad argument #1 to 'every' \(number expected, got string\)
content_by_lua\(nginx\.conf:\d+\):11: bad argument #2 to 'at' \(Lua function expected\)
$

=== TEST 27: ngx.status (read and write) and ngx.headers_sent in a timer raise at the line that used them, as in OpenResty
--- config
location = /t {
    content_by_lua_block {
        local function f()
            local r = {}
            r[#r + 1] = select(2, pcall(function() return ngx.status end))
            r[#r + 1] = select(2, pcall(function() ngx.status = 201 end))
            r[#r + 1] = select(2, pcall(function() return ngx.headers_sent end))
            ngx.log(ngx.WARN, "results: ", table.concat(r, " | "))
        end
        ngx.timer.at(0, f)
        ngx.say("ok")
    }
}
--- request
GET /t
--- wait: 0.2
--- error_log
qr/results: content_by_lua\(nginx\.conf:\d+\):4: API disabled in the current context \| content_by_lua\(nginx\.conf:\d+\):5: API disabled in the current context \| content_by_lua\(nginx\.conf:\d+\):6: API disabled in the current context,/

=== TEST 28: a timer's log lines carry a connection number of their own and, for a timer made by a request (or by such a timer), the request's client and listening address
--- http_config
init_worker_by_lua_block {
    ngx.timer.at(0, function()
        ngx.log(ngx.WARN, "from the init_worker timer")
    end)
}
--- config
location = /t {
    content_by_lua_block {
        ngx.timer.at(0, function()
            ngx.log(ngx.WARN, "from the request's timer")
            ngx.timer.at(0, function()
                ngx.log(ngx.WARN, "from the nested timer")
            end)
        end)
        ngx.say("ok")
    }
}
--- request
GET /t
--- wait: 0.2
--- response_body
ok
--- error_log
qr/\[warn\] \d+#\d+: \*\d+ \[lua\] init_worker_by_lua\(nginx\.conf:\d+\):\d+: from the init_worker timer, context: ngx\.timer\n/
qr/\[warn\] \d+#\d+: \*\d+ \[lua\] content_by_lua\(nginx\.conf:\d+\):\d+: from the request's timer, context: ngx\.timer, client: 127\.0\.0\.1, server: 127\.0\.0\.1:$TEST_NGINX_SERVER_PORT\n/
qr/\[warn\] \d+#\d+: \*\d+ \[lua\] content_by_lua\(nginx\.conf:\d+\):\d+: from the nested timer, context: ngx\.timer, client: 127\.0\.0\.1, server: 127\.0\.0\.1:$TEST_NGINX_SERVER_PORT\n/

=== TEST 29: ngx.exit(ngx.AGAIN) in a timer is an argument error, as in lua-resty-core (whose ngx.exit checks the code before the context)
--- config
location = /t {
    content_by_lua_block {
        ngx.timer.at(0, function()
            local ok, err = pcall(ngx.exit, ngx.AGAIN)
            ngx.log(ngx.WARN, "exit(AGAIN): ", ok, " ", err)
            ok, err = pcall(ngx.exit, ngx.DONE)
            ngx.log(ngx.WARN, "exit(DONE): ", ok, " ", err)
        end)
        ngx.say("ok")
    }
}
--- request
GET /t
--- wait: 0.2
--- response_body
ok
--- error_log
exit(AGAIN): false bad argument to 'ngx.exit': does not accept NGX_AGAIN or NGX_DONE
exit(DONE): false bad argument to 'ngx.exit': does not accept NGX_AGAIN or NGX_DONE
