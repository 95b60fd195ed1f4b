# ngx.sleep: suspends the handler's coroutine; 0 yields to the loop.

__DATA__

=== TEST 1: sleep suspends and resumes in order
--- config
location = /t {
    content_by_lua_block {
        ngx.say("a")
        ngx.sleep(0.05)
        ngx.say("b")
        ngx.sleep(0)
        ngx.say("c")
        for i = 1, 3 do ngx.sleep(0.001) ngx.say(i) end
    }
}
--- request
GET /t
--- response_body
a
b
c
1
2
3

=== TEST 2: the delay is honoured (at ms resolution)
--- config
location = /t {
    content_by_lua_block {
        ngx.update_time()
        local t0 = ngx.now()
        ngx.sleep(0.2)
        ngx.update_time()
        local dt = ngx.now() - t0
        ngx.say(dt >= 0.19 and dt < 1.5)
    }
}
--- request
GET /t
--- response_body
true

=== TEST 3: sleep in rewrite and access, then content
--- config
location = /t {
    rewrite_by_lua_block { ngx.sleep(0.01) ngx.ctx.s = "r" }
    access_by_lua_block { ngx.sleep(0) ngx.ctx.s = ngx.ctx.s .. "a" }
    content_by_lua_block { ngx.sleep(0.01) ngx.say(ngx.ctx.s, "c") }
}
--- request
GET /t
--- response_body
rac

=== TEST 4: sleep returns 0 values and errors are raised with OpenResty's texts
--- config
location = /t { content_by_lua_block { ngx.sleep("x") } }
--- request
GET /t
--- error_code: 500
--- error_log
bad argument #1 to 'sleep' (number expected, got string)

=== TEST 5: negative durations are refused
--- config
location = /t { content_by_lua_block { ngx.sleep(-1) } }
--- request
GET /t
--- error_code: 500
--- error_log
invalid sleep duration "-1000"

=== TEST 6: wrong number of arguments
--- config
location = /t { content_by_lua_block { ngx.sleep() } }
--- request
GET /t
--- error_code: 500
--- error_log
attempt to pass 0 arguments, but accepted 1

=== TEST 7: sleep is disabled in log_by_lua
--- config
location = /t {
    content_by_lua_block { ngx.say("ok") }
    log_by_lua_block { ngx.sleep(0.001) }
}
--- request
GET /t
--- response_body
ok
--- error_log
API disabled in the context of log_by_lua*

=== TEST 8: exit after a sleep
--- config
location = /t { content_by_lua_block { ngx.sleep(0.001) ngx.exit(403) } }
--- request
GET /t
--- error_code: 403

=== TEST 9: error after a sleep is a 500 with the traceback
--- config
location = /t { content_by_lua_block { ngx.sleep(0.001) error("after sleep") } }
--- request
GET /t
--- error_code: 500
--- error_log
qr/content_by_lua\(nginx\.conf:\d+\):1: after sleep\nstack traceback:\ncoroutine 0:/

=== TEST 10: after ngx.sleep, ngx.now() has moved by the time slept
--- config
location = /t {
    content_by_lua_block {
        local t0 = ngx.now()
        ngx.sleep(0.15)
        ngx.say(ngx.now() - t0 >= 0.149)
    }
}
--- request
GET /t
--- response_body
true
