# Tycho-only (issue 4, timer extensions; NOT run against nginx: tests/CMakeLists.txt leaves
# tests/spec/tycho/ out of the reference run). ngx.timer.at / ngx.timer.every return a truthy
# handle instead of OpenResty's 1 (so `local ok, err = ngx.timer.at(...)` keeps working, err
# nil); handle:cancel() returns true for a pending timer, which then never runs -- not even
# prematurely at shutdown -- and nil, "not found" when the timer already ran or was cancelled;
# cancelling an every-timer stops it, also from inside its own callback; tostring(handle) is a
# string. What is not stated by the issue is not asserted (the handle's type, cancel's result
# for a running every-timer).

__DATA__

=== TEST 1: ngx.timer.at returns a truthy handle and no error
--- config
location = /t {
    content_by_lua_block {
        local h, err = ngx.timer.at(0.01, function() end)
        ngx.say(h and "truthy" or "falsy", " ", tostring(err))
        ngx.say(type(tostring(h)))
        local e, err2 = ngx.timer.every(10, function() end)
        ngx.say(e and "truthy" or "falsy", " ", tostring(err2), " ", type(tostring(e)))
        ngx.say(rawequal(h, e))
        ngx.say(e:cancel())
    }
}
--- request
GET /t
--- response_body
truthy nil
string
truthy nil string
false
true

=== TEST 2: cancel a pending timer: true, it never runs, a second cancel is nil, "not found"
--- config
location = /t {
    content_by_lua_block {
        local ran = false
        local p0 = ngx.timer.pending_count()
        local h = ngx.timer.at(0.02, function() ran = true end)
        ngx.say("pending +", ngx.timer.pending_count() - p0)
        ngx.say("cancel: ", h:cancel())
        ngx.say("pending +", ngx.timer.pending_count() - p0)
        ngx.say("again: ", h:cancel())
        ngx.sleep(0.06)
        ngx.say("ran: ", ran)
        ngx.say("after the deadline: ", h:cancel())
    }
}
--- request
GET /t
--- response_body
pending +1
cancel: true
pending +0
again: nilnot found
ran: false
after the deadline: nilnot found

=== TEST 3: cancel after the timer ran: nil, "not found"
--- config
location = /t {
    content_by_lua_block {
        local ran = false
        local h = ngx.timer.at(0, function() ran = true end)
        for _ = 1, 200 do
            if ran then break end
            ngx.sleep(0.005)
        end
        ngx.say("ran: ", ran)
        ngx.say(h:cancel())
    }
}
--- request
GET /t
--- response_body
ran: true
nilnot found

=== TEST 4: cancel a zero-delay timer before the handler yields: it never runs
--- config
location = /t {
    content_by_lua_block {
        local ran = {}
        local a = ngx.timer.at(0, function() ran[#ran + 1] = "a" end)
        local b = ngx.timer.at(0, function() ran[#ran + 1] = "b" end)
        local c = ngx.timer.at(0, function() ran[#ran + 1] = "c" end)
        ngx.say(b:cancel())
        ngx.sleep(0.02)
        ngx.say(table.concat(ran, " "))
        ngx.say(a:cancel())
        ngx.say(b:cancel())
        ngx.say(c:cancel())
    }
}
--- request
GET /t
--- response_body
true
a c
nilnot found
nilnot found
nilnot found

=== TEST 5: cancelling an every-timer stops it
--- config
location = /t {
    content_by_lua_block {
        local runs = 0
        local h = ngx.timer.every(0.01, function() runs = runs + 1 end)
        for _ = 1, 400 do
            if runs >= 2 then break end
            ngx.sleep(0.005)
        end
        ngx.say("cancel: ", h:cancel())
        local at_cancel = runs
        ngx.sleep(0.06)
        ngx.say("ran after cancel: ", runs - at_cancel)
        ngx.say("again: ", h:cancel())
    }
}
--- request
GET /t
--- response_body
cancel: true
ran after cancel: 0
again: nilnot found

=== TEST 6: an every-timer that cancels itself from its callback stops
--- config
location = /t {
    content_by_lua_block {
        local runs = 0
        local h
        h = ngx.timer.every(0.01, function()
            runs = runs + 1
            if runs == 3 then h:cancel() end
        end)
        ngx.sleep(0.15)
        ngx.say("runs: ", runs)
        ngx.say(h:cancel())
    }
}
--- request
GET /t
--- response_body
runs: 3
nilnot found

=== TEST 7: a cancelled timer does not run prematurely at shutdown; the others do
--- main_config
master_process on;
--- config
location = /t {
    content_by_lua_block {
        local kept = ngx.timer.at(100, function(premature)
            ngx.log(ngx.WARN, "kept timer ran, premature=", premature)
        end)
        local gone = ngx.timer.at(100, function(premature)
            ngx.log(ngx.WARN, "cancelled timer ran, premature=", premature)
        end)
        local every = ngx.timer.every(100, function(premature)
            ngx.log(ngx.WARN, "cancelled every-timer ran, premature=", premature)
        end)
        ngx.say(gone:cancel(), " ", every:cancel())
    }
}
--- request
GET /t
--- response_body
true true
--- error_log
kept timer ran, premature=true
--- no_error_log
cancelled timer ran
cancelled every-timer ran

=== TEST 8: a timer can cancel another one; handles work from other contexts
--- config
location = /t {
    content_by_lua_block {
        local log = {}
        local victim = ngx.timer.at(0.05, function() log[#log + 1] = "victim ran" end)
        ngx.timer.at(0.01, function()
            log[#log + 1] = "killer: " .. tostring(victim:cancel())
        end)
        ngx.sleep(0.1)
        ngx.say(table.concat(log, ", "))
    }
}
--- request
GET /t
--- response_body
killer: true

=== TEST 9: after a burst, idle slots are released and an old handle still matches no new timer
--- http_config
lua_max_pending_timers 10000;
--- config
location = /t {
    content_by_lua_block {
        -- A second after the last of 6000 timers ran, the worker gives the burst's slots and
        -- callbacks table back; the first new timer then takes slot 1 again, and the handle of
        -- the burst's first timer (slot 1 too) must not cancel it.
        local first
        for i = 1, 6000 do
            local h = assert(ngx.timer.at(0, function() end))
            first = first or h
        end
        ngx.sleep(0.05)
        ngx.say("pending after the burst: ", ngx.timer.pending_count())
        collectgarbage()
        local before = collectgarbage("count")
        ngx.sleep(1.5)
        local freed = before - collectgarbage("count")
        ngx.say("callbacks table freed (>= 40 KiB): ", freed >= 40)
        local ran = false
        local h = assert(ngx.timer.at(0.05, function() ran = true end))
        ngx.say("slot 1 reused: ", tostring(h):match("^timer: 1%.") ~= nil)
        ngx.say("old handle: ", first:cancel())
        ngx.sleep(0.1)
        ngx.say("new timer ran: ", ran)
    }
}
--- request
GET /t
--- response_body
pending after the burst: 0
callbacks table freed (>= 40 KiB): true
slot 1 reused: true
old handle: nilnot found
new timer ran: true
--- timeout: 10
