# Tycho lets init_worker_by_lua* code block: ngx.sleep, semaphores, light threads, user
# coroutines that sleep, ngx.run_worker_thread and a require whose module blocks all work there,
# and the worker accepts connections once that code (with its light threads) has ended, so
# requests still see a finished init_worker. OpenResty raises "API disabled in the context of
# init_worker_by_lua*" for each of them, so these blocks are not run against nginx
# (docs/directives/lua.md). Every request is sent twice; init_worker ran once before both.

__DATA__

=== TEST 1: init_worker sleeps; the first request is served after it ended
--- http_config
init_worker_by_lua_block {
    local t0 = ngx.now()
    ngx.sleep(0.2)
    ngx.update_time()
    slept = ngx.now() - t0
    phase_after = ngx.get_phase()
}
--- config
location = /t {
    content_by_lua_block {
        ngx.say("slept ", slept ~= nil and slept >= 0.19, " ", phase_after)
    }
}
--- request
GET /t
--- response_body
slept true init_worker
--- no_error_log
[error]
writing a global Lua variable

=== TEST 2: light threads and a semaphore in init_worker, in seed 002's order
--- http_config
init_worker_by_lua_block {
    local semaphore = require "ngx.semaphore"
    local sema = semaphore.new()
    local out = {}
    local t = ngx.thread.spawn(function()
        out[#out + 1] = "sub thread waits"
        local ok, err = sema:wait(1)
        out[#out + 1] = "sub thread got " .. tostring(ok)
        return "done"
    end)
    out[#out + 1] = "main thread sleeps"
    ngx.sleep(0.05)
    out[#out + 1] = "main thread posts"
    sema:post()
    local ok, res = ngx.thread.wait(t)
    out[#out + 1] = "waited " .. tostring(ok) .. " " .. tostring(res)
    init_order = table.concat(out, "\n")
}
--- config
location = /t {
    content_by_lua_block { ngx.say(init_order) }
}
--- request
GET /t
--- response_body
sub thread waits
main thread sleeps
main thread posts
sub thread got true
waited true done

=== TEST 3: a user coroutine that sleeps, and a light thread left running, in init_worker
--- http_config
init_worker_by_lua_block {
    local co = coroutine.wrap(function(a)
        ngx.sleep(0.01)
        local b = coroutine.yield(a + 1)
        ngx.sleep(0.01)
        return b * 2
    end)
    local first = co(1)
    local second = co(21)
    ngx.thread.spawn(function()
        ngx.sleep(0.1)
        late = "light thread ended"
    end)
    co_results = first .. " " .. second
}
--- config
location = /t {
    content_by_lua_block { ngx.say(co_results, "; ", late) }
}
--- request
GET /t
--- response_body
2 42; light thread ended

=== TEST 4: an error after a yield is logged as an init_worker_by_lua error; the worker serves
--- http_config
init_worker_by_lua_block {
    ngx.sleep(0.01)
    before_error = true
    error("init failed late")
}
--- config
location = /t {
    content_by_lua_block { ngx.say("served ", before_error) }
}
--- request
GET /t
--- response_body
served true
--- error_log
qr/\[error\] .*init_worker_by_lua error: init_worker_by_lua\(nginx\.conf:\d+\):4: init failed late\nstack traceback:/

=== TEST 5: ngx.log after a yield keeps init_worker's log context
--- http_config
init_worker_by_lua_block {
    ngx.sleep(0.01)
    ngx.log(ngx.WARN, "after the sleep")
}
--- config
location = /t {
    content_by_lua_block { ngx.say("ok") }
}
--- request
GET /t
--- response_body
ok
--- error_log
qr/\[warn\] \d+#\d+: \*\d+ \[lua\] init_worker_by_lua\(nginx\.conf:\d+\):3: after the sleep, context: init_worker_by_lua\*$/m

=== TEST 6: ngx.run_worker_thread and timers in init_worker; ngx.exit stays refused there
--- main_config
thread_pool tp threads=1;
--- http_config
lua_package_path "$TEST_NGINX_HTML_DIR/?.lua;;";
init_worker_by_lua_block {
    local ok, res = ngx.run_worker_thread("tp", "wtrep", "rep", "ab", 3)
    wt = tostring(ok) .. " " .. tostring(res)
    local fired
    ngx.timer.at(0, function() fired = true end)
    ngx.sleep(0.01)
    timer_fired = fired
    local ok2, err = pcall(ngx.exit, 200)
    exit_err = err
}
--- user_files
>>> wtrep.lua
return { rep = function(s, n) return string.rep(s, n) end }
--- config
location = /t {
    content_by_lua_block { ngx.say(wt, "; ", timer_fired, "; ", exit_err) }
}
--- request
GET /t
--- response_body
true ababab; true; API disabled in the context of init_worker_by_lua*

=== TEST 7: ngx.sleep in init_by_lua is still refused (no event loop runs there)
--- http_config
init_by_lua_block {
    init_ok, init_err = pcall(ngx.sleep, 0.01)
}
--- config
location = /t {
    content_by_lua_block { ngx.say(init_ok, " ", init_err) }
}
--- request
GET /t
--- response_body
false API disabled in the context of init_by_lua*

=== TEST 8: ngx.defer in init_worker runs after its code and light threads; sema:wait(0) succeeds
--- http_config
init_worker_by_lua_block {
    local out = {}
    ngx.defer(function(what) out[#out + 1] = "deferred " .. what; defer_order = table.concat(out, ", ") end, "last")
    ngx.thread.spawn(function()
        ngx.sleep(0.02)
        out[#out + 1] = "thread ended"
    end)
    local sema = require("ngx.semaphore").new(1)
    local ok, err = sema:wait(0)
    out[#out + 1] = "wait(0) " .. tostring(ok) .. " " .. tostring(err)
}
--- config
location = /t {
    content_by_lua_block { ngx.say(defer_order) }
}
--- request
GET /t
--- response_body
wait(0) true nil, thread ended, deferred last
