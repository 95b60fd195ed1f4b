# Tycho-only (cross-worker semaphores, DESIGN.md §1's extension; NOT run against nginx):
# require("ngx.semaphore").shared(name, n) is the process's semaphore called `name`, made with n
# units the first time; every worker gets the same one, with new()'s methods and results. A post
# wakes waiters of any worker, oldest first, never synchronously; a waiter that is killed, or
# killed after a post granted it a unit, takes no unit with it.

__DATA__

=== TEST 1: one name is one semaphore; n counts only when it is made
--- config
location = /t {
    content_by_lua_block {
        local semaphore = require "ngx.semaphore"
        local a = semaphore.shared("t1", 2)
        local b = semaphore.shared("t1", 9)
        ngx.say(a:count(), " ", b:count())
        ngx.say(a:wait(0), " ", b:wait(0))
        ngx.say(a:wait(0))
        ngx.say(b:count())
        b:post(2)  -- as it was: the next request sees the same semaphore
        ngx.say(a:count())
        ngx.say(semaphore.shared("t1-other"):count(), " ", semaphore.new(0):count())
    }
}
--- request
GET /t
--- response_body
2 2
true true
niltimeout
0
2
0 0
--- no_error_log
[error]

=== TEST 2: a waiting light thread is woken by a post on the next loop turn; a wait times out
--- config
location = /t {
    content_by_lua_block {
        local semaphore = require "ngx.semaphore"
        local s = semaphore.shared("t2")
        local th = ngx.thread.spawn(function()
            ngx.say("waiting")
            local ok, err = s:wait(1)
            ngx.say("woke: ", ok, " ", err)
        end)
        ngx.say("count: ", s:count())
        semaphore.shared("t2"):post()
        ngx.say("posted, count: ", s:count())
        ngx.thread.wait(th)
        local t0 = ngx.now()
        local ok, err = s:wait(0.1)
        ngx.update_time()
        ngx.say(ok, " ", err, " ", ngx.now() - t0 >= 0.099)
    }
}
--- request
GET /t
--- response_body
waiting
count: -1
posted, count: 0
woke: true nil
false timeout true
--- no_error_log
[error]

=== TEST 3: argument errors
--- config
location = /t {
    content_by_lua_block {
        local semaphore = require "ngx.semaphore"
        ngx.say(pcall(semaphore.shared, ""))
        ngx.say(pcall(semaphore.shared))
        ngx.say(pcall(semaphore.shared, "t3", -1))
        local s = semaphore.shared("t3")
        ngx.say(pcall(s.wait, {}, 0))
        ngx.say(pcall(s.post, s, 0))
    }
}
--- request
GET /t
--- response_body
falsebad argument #1 to 'shared' (non-empty string expected, got empty string)
falsebad argument #1 to 'shared' (non-empty string expected, got nil)
falseno negative number
falsenot a semaphore instance
falsepositive number required
--- no_error_log
[error]

=== TEST 4: a killed waiter leaves the queue; killed after a post granted it, it gives the unit back
--- config
location = /t {
    content_by_lua_block {
        local semaphore = require "ngx.semaphore"
        local s = semaphore.shared("t4")
        local th = ngx.thread.spawn(function()
            s:wait(1)
            ngx.say("never")
        end)
        ngx.say(s:count())
        ngx.thread.kill(th)
        ngx.say(s:count())
        local th2 = ngx.thread.spawn(function()
            s:wait(1)
            ngx.say("never either")
        end)
        s:post(1)
        ngx.say(s:count())
        ngx.thread.kill(th2)
        ngx.say(s:count())
        ngx.say(s:wait(0))
        ngx.sleep(0.01)
    }
}
--- request
GET /t
--- response_body
-1
0
0
1
true
--- no_error_log
[error]

=== TEST 5: a worker waits, another posts: each wakes the other
--- main_config
master_process on;
worker_processes 2;
--- http_config
lua_shared_dict st 1m;
init_by_lua_block {
    require("ngx.semaphore").shared("t5-ping", 0)
}
init_worker_by_lua_block {
    local semaphore = require "ngx.semaphore"
    local id = ngx.worker.id()
    ngx.timer.at(0, function()
        local ping = semaphore.shared("t5-ping")
        local pong = semaphore.shared("t5-pong")
        if id == 0 then
            local ok, err = ping:wait(5)
            ngx.log(ngx.WARN, "worker 0 woke: ", ok, " ", err)
            ngx.shared.st:set("w0", tostring(ok))
            pong:post(1)
        else
            for _ = 1, 500 do
                if ping:count() < 0 then  -- worker 0 waits
                    break
                end
                ngx.sleep(0.01)
            end
            ping:post(1)
            local ok, err = pong:wait(5)
            ngx.log(ngx.WARN, "worker 1 woke: ", ok, " ", err)
            ngx.shared.st:set("w1", tostring(ok))
        end
    end)
}
--- config
location = /t {
    content_by_lua_block {
        local st = ngx.shared.st
        for _ = 1, 500 do
            if st:get("w0") and st:get("w1") then
                break
            end
            ngx.sleep(0.01)
        end
        ngx.say(st:get("w0"), " ", st:get("w1"))
    }
}
--- request
GET /t
--- timeout: 10
--- response_body
true true
--- error_log
worker 0 woke: true nil
worker 1 woke: true nil
--- no_error_log
[error]

=== TEST 6: at most 2 holders at a time across 2 workers
--- main_config
master_process on;
worker_processes 2;
--- http_config
lua_shared_dict st 1m;
init_worker_by_lua_block {
    local semaphore = require "ngx.semaphore"
    local st = ngx.shared.st
    for _ = 1, 5 do
        ngx.timer.at(0, function()
            local s = semaphore.shared("t6-slots", 2)
            local ok, err = s:wait(5)
            if not ok then
                ngx.log(ngx.ERR, "wait: ", err)
                return
            end
            st:set("seen" .. st:incr("cur", 1, 0), true)
            ngx.sleep(0.05)
            st:incr("cur", -1)
            s:post(1)
            st:incr("done", 1, 0)
        end)
    end
}
--- config
location = /t {
    content_by_lua_block {
        local st = ngx.shared.st
        for _ = 1, 500 do
            if st:get("done") == 10 then
                break
            end
            ngx.sleep(0.01)
        end
        ngx.say(st:get("done"), " ", st:get("seen2"), " ", st:get("seen3"), " ",
                require("ngx.semaphore").shared("t6-slots"):count())
    }
}
--- request
GET /t
--- timeout: 10
--- response_body
10 true nil 2
--- no_error_log
[error]

=== TEST 7: wait refuses a context that cannot yield; post works anywhere
--- config
location = /t {
    content_by_lua_block {
        ngx.say("ok")
    }
    header_filter_by_lua_block {
        local s = require("ngx.semaphore").shared("t7", 1)
        local ok, err = s:wait(0)
        ngx.log(ngx.WARN, "header filter wait: ", ok, " ", err)
    }
    log_by_lua_block {
        local s = require("ngx.semaphore").shared("t7", 1)
        s:post(2)
        ngx.log(ngx.WARN, "log post: ", s:count())
    }
}
--- request
GET /t
--- response_body
ok
--- error_log
header filter wait: nil API disabled in the context of header_filter_by_lua*
log post: 3
