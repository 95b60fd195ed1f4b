# Tycho-only (issue 4; not run against nginx). After ngx.thread.wait(t1, t2) returns for the
# first thread that ends, the other thread ending later must not wake its parent out of
# whatever it waits on next. lua-nginx-module does (issue #1439, open since 2018): a following
# ngx.sleep(3) returns at once, with the other thread's result as its return value.

__DATA__

=== TEST 1: the thread that was not waited for does not cut the parent's next sleep short
--- config
location = /t {
    content_by_lua_block {
        local function f()
            ngx.sleep(0.05)
            return "thread result"
        end
        local t1 = ngx.thread.spawn(f)
        local t2 = ngx.thread.spawn(f)
        ngx.say(ngx.thread.wait(t1, t2))
        ngx.update_time()
        local t0 = ngx.now()
        local r1, r2 = ngx.sleep(0.3)
        ngx.update_time()
        ngx.say("sleep: ", tostring(r1), " ", tostring(r2), " ", ngx.now() - t0 >= 0.29)
        ngx.say(ngx.thread.wait(t2))
    }
}
--- request
GET /t
--- response_body
truethread result
sleep: nil nil true
truethread result
