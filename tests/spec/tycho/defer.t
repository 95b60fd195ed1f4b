# Tycho-only (issue 4, "defer"; seed 004's idea; NOT run against nginx: tests/CMakeLists.txt
# leaves tests/spec/tycho/ out of the reference run).
# - ngx.defer(fn, ...) registers fn(...) on the current context. For a request, every function
#   registered in any phase (or light thread) of it runs LIFO once the request is finished: after
#   the response, in the log phase (ngx.get_phase() is "log"), also after ngx.exit and after a
#   runtime error (500). Each runs protected: an error is logged with a traceback and the rest
#   still run. They may not yield there (log-phase rules: ngx.sleep fails as it does in
#   log_by_lua). For a timer they run after the callback returns or fails, and may yield.
# - require("tycho.defer").scope(f, ...) calls f(defer, ...) -- extra arguments passed after the
#   registration function (assumed from the issue's `scope(function(defer) ... end, ...)`) -- and
#   runs what f registered with defer(fn, ...) LIFO when f returns or raises, then returns f's
#   results or re-raises its error (the same value). Works across yields.
# Request-side order is checked in the error log after the stop (both requests' lines are
# there; each pattern matches the first request's sequence); timer and scope results go into
# upvalues that the request polls, so bodies do not depend on timing.

__DATA__

=== TEST 1: ngx.defer runs the functions LIFO with their arguments, in the log phase
--- config
location = /t {
    content_by_lua_block {
        ngx.defer(function(a, b)
            ngx.log(ngx.WARN, "deferred 1: ", a, " ", b, ", phase ", ngx.get_phase())
        end, "x", 2)
        ngx.defer(function() ngx.log(ngx.WARN, "deferred 2") end)
        ngx.defer(function() ngx.log(ngx.WARN, "deferred 3") end)
        ngx.say("body")
        ngx.log(ngx.WARN, "handler done")
    }
}
--- request
GET /t
--- response_body
body
--- error_log
qr/handler done.*?deferred 3.*?deferred 2.*?deferred 1: x 2, phase log/s
--- no_error_log
[error]

=== TEST 2: functions deferred in rewrite, access, content and a light thread share one stack
--- config
location = /t {
    rewrite_by_lua_block {
        ngx.defer(function() ngx.log(ngx.WARN, "deferred in rewrite") end)
    }
    access_by_lua_block {
        ngx.defer(function() ngx.log(ngx.WARN, "deferred in access") end)
    }
    content_by_lua_block {
        ngx.defer(function() ngx.log(ngx.WARN, "deferred in content") end)
        local t = ngx.thread.spawn(function()
            ngx.sleep(0.001)
            ngx.defer(function() ngx.log(ngx.WARN, "deferred in a light thread") end)
        end)
        ngx.thread.wait(t)
        ngx.say("ok")
    }
}
--- request
GET /t
--- response_body
ok
--- error_log
qr/deferred in a light thread.*?deferred in content.*?deferred in access.*?deferred in rewrite/s

=== TEST 3: deferred functions run after ngx.exit
--- config
location = /t {
    content_by_lua_block {
        ngx.defer(function(code) ngx.log(ngx.WARN, "deferred after exit, status ", code) end, 403)
        ngx.exit(403)
    }
}
--- request
GET /t
--- error_code: 403
--- error_log
deferred after exit, status 403

=== TEST 4: deferred functions run after a runtime error and its 500
--- config
location = /t {
    content_by_lua_block {
        ngx.defer(function() ngx.log(ngx.WARN, "cleanup after the failure") end)
        ngx.sleep(0.001)
        error("handler failure")
    }
}
--- request
GET /t
--- error_code: 500
--- error_log
qr/handler failure.*?cleanup after the failure/s

=== TEST 5: an error in a deferred function is logged with a traceback; the others still run
--- config
location = /t {
    content_by_lua_block {
        ngx.defer(function() ngx.log(ngx.WARN, "first registered, runs last") end)
        ngx.defer(function() error("deferred boom") end)
        ngx.defer(function() local t = nil; return t.x end)
        ngx.defer(function() ngx.log(ngx.WARN, "last registered, runs first") end)
        ngx.say("response unaffected")
    }
}
--- request
GET /t
--- response_body
response unaffected
--- error_log
qr/last registered, runs first.*?attempt to index local 't' \(a nil value\).*?deferred boom.*?first registered, runs last/s
qr/\[error\].*deferred boom/
stack traceback:

=== TEST 6: a request's deferred functions may not yield
--- config
location = /t {
    content_by_lua_block {
        ngx.defer(function() ngx.log(ngx.WARN, "after the sleeper") end)
        ngx.defer(function()
            ngx.sleep(0.01)
            ngx.log(ngx.WARN, "slept in a deferred function")
        end)
        ngx.say("ok")
    }
}
--- request
GET /t
--- response_body
ok
--- error_log
API disabled in the context of log_by_lua*
after the sleeper
--- no_error_log
slept in a deferred function

=== TEST 7: in a timer, deferred functions run LIFO after the callback returns, and may yield
--- config
location = /t {
    content_by_lua_block {
        local trail
        ngx.timer.at(0, function(premature, tag)
            trail = {}
            ngx.defer(function(a)
                ngx.sleep(0)
                ngx.sleep(0.005)
                trail[#trail + 1] = "deferred " .. a .. " after sleeping"
                trail.done = true
            end, "A")
            ngx.defer(function(b) trail[#trail + 1] = "deferred " .. b end, "B")
            ngx.sleep(0.001)
            trail[#trail + 1] = "callback " .. tag .. " returns"
        end, "T")
        for _ = 1, 200 do
            if trail and trail.done then break end
            ngx.sleep(0.005)
        end
        ngx.say(table.concat(trail, "\n"))
    }
}
--- request
GET /t
--- response_body
callback T returns
deferred B
deferred A after sleeping
--- no_error_log
[error]

=== TEST 8: in a timer, deferred functions run after the callback fails
--- config
location = /t {
    content_by_lua_block {
        local trail = {}
        ngx.timer.at(0, function()
            ngx.defer(function() trail[#trail + 1] = "cleanup 1" trail.done = true end)
            ngx.defer(function() error("cleanup 2 fails") end)
            ngx.defer(function() trail[#trail + 1] = "cleanup 3" end)
            ngx.sleep(0.001)
            error("callback failure")
        end)
        for _ = 1, 200 do
            if trail.done then break end
            ngx.sleep(0.005)
        end
        ngx.say(table.concat(trail, ", "))
    }
}
--- request
GET /t
--- response_body
cleanup 3, cleanup 1
--- error_log
callback failure
cleanup 2 fails
stack traceback:

=== TEST 9: defer.scope returns the function's results after running its cleanups LIFO
--- config
location = /t {
    content_by_lua_block {
        local scope = require("tycho.defer").scope
        local trail = {}
        local a, b, c = scope(function(defer, x, y)
            defer(function(tag) trail[#trail + 1] = "cleanup " .. tag end, "first")
            defer(function(tag) trail[#trail + 1] = "cleanup " .. tag end, "second")
            trail[#trail + 1] = "body " .. x .. y
            return "r1", nil, "r3"
        end, "a", "b")
        trail[#trail + 1] = "returned " .. a .. " " .. tostring(b) .. " " .. c
        ngx.say(table.concat(trail, "\n"))
        ngx.say(select("#", scope(function() return 1, 2, 3, 4 end)))
        ngx.say(select("#", scope(function() end)))
    }
}
--- request
GET /t
--- response_body
body ab
cleanup second
cleanup first
returned r1 nil r3
4
0

=== TEST 10: defer.scope re-raises the error after the cleanups, keeping its value
--- config
location = /t {
    content_by_lua_block {
        local scope = require("tycho.defer").scope
        local trail = {}
        local ok, err = pcall(scope, function(defer)
            defer(function() trail[#trail + 1] = "cleanup 1" end)
            defer(function() trail[#trail + 1] = "cleanup 2" end)
            error("scope failure", 0)
        end)
        trail[#trail + 1] = "pcall: " .. tostring(ok) .. " " .. err
        local e = {code = 7}
        local ok2, err2 = pcall(scope, function(defer)
            defer(function() trail[#trail + 1] = "cleanup 3" end)
            error(e)
        end)
        trail[#trail + 1] = "same value: " .. tostring(ok2) .. " " .. tostring(err2 == e)
        ngx.say(table.concat(trail, "\n"))
    }
}
--- request
GET /t
--- response_body
cleanup 2
cleanup 1
pcall: false scope failure
cleanup 3
same value: false true

=== TEST 11: defer.scope across yields, nested scopes, and in a timer
--- config
location = /t {
    content_by_lua_block {
        local scope = require("tycho.defer").scope
        local trail = {}
        local r = scope(function(defer)
            defer(function() trail[#trail + 1] = "outer cleanup" end)
            ngx.sleep(0.005)
            local inner = scope(function(defer2)
                defer2(function() trail[#trail + 1] = "inner cleanup" end)
                ngx.sleep(0)
                trail[#trail + 1] = "inner body"
                return "inner result"
            end)
            trail[#trail + 1] = "outer got " .. inner
            ngx.sleep(0.001)
            return "outer result"
        end)
        trail[#trail + 1] = r
        local timer_trail
        ngx.timer.at(0, function()
            local t = {}
            local ok, err = pcall(scope, function(defer)
                defer(function() t[#t + 1] = "timer cleanup" end)
                ngx.sleep(0.005)
                error("timer scope failure", 0)
            end)
            t[#t + 1] = tostring(ok) .. " " .. err
            timer_trail = t
        end)
        for _ = 1, 200 do
            if timer_trail then break end
            ngx.sleep(0.005)
        end
        ngx.say(table.concat(trail, "\n"))
        ngx.say(table.concat(timer_trail, "\n"))
    }
}
--- request
GET /t
--- response_body
inner body
inner cleanup
outer got inner result
outer cleanup
outer result
timer cleanup
false timer scope failure
