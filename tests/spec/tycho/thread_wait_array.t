# ngx.thread.wait also takes arrays of light threads (a Tycho extension, lua-nginx-module#1843):
# wait(list) is wait(list[1], ..., list[#list]), tables and threads may be mixed, and the
# thread whose outcome was returned is then "dead" to coroutine.status, so a dynamic set can be
# drained. OpenResty raises "bad argument #1 to 'wait' (lua thread expected)" for a table, so
# these blocks are not run against nginx (docs/api/thread.md).

__DATA__

=== TEST 1: draining a list of threads in the order they end
--- config
location = /t {
    content_by_lua_block {
        local threads = {}
        for i, d in ipairs({0.06, 0.02, 0.04}) do
            threads[i] = ngx.thread.spawn(function()
                ngx.sleep(d)
                return i
            end)
        end
        local order = {}
        while #threads > 0 do
            local ok, i = ngx.thread.wait(threads)
            order[#order + 1] = tostring(ok) .. ":" .. i
            for k = #threads, 1, -1 do
                if coroutine.status(threads[k]) == "dead" then
                    table.remove(threads, k)
                end
            end
        end
        ngx.say(table.concat(order, " "))
    }
}
--- request
GET /t
--- response_body
true:2 true:3 true:1

=== TEST 2: threads and tables mixed; a failed thread and one that already ended
--- config
location = /t {
    content_by_lua_block {
        local slow = ngx.thread.spawn(function() ngx.sleep(0.05) return "slow" end)
        local bad = ngx.thread.spawn(function() ngx.sleep(0.01) error("boom", 0) end)
        local done = ngx.thread.spawn(function() return "at once" end)
        ngx.say(ngx.thread.wait(slow, { done, bad }))
        ngx.say(ngx.thread.wait({ slow }, bad))
        ngx.say(ngx.thread.wait({ slow }))
    }
}
--- request
GET /t
--- response_body
trueat once
falseboom
trueslow
--- error_log
lua user thread aborted: runtime error: boom

=== TEST 3: bad lists: an empty table or one holding anything but threads gets OpenResty's error
--- config
location = /t {
    content_by_lua_block {
        local t = ngx.thread.spawn(function() ngx.sleep(0.01) end)
        ngx.say(pcall(ngx.thread.wait, {}))
        ngx.say(pcall(ngx.thread.wait, { t, "x" }))
        ngx.say(pcall(ngx.thread.wait, { t }, 42))
        ngx.say(pcall(ngx.thread.wait, { coroutine.create(print) }))
        ngx.say(ngx.thread.wait({ t }))
        ngx.say(ngx.thread.wait({ t }))
    }
}
--- request
GET /t
--- response_body
falsebad argument #1 to '?' (lua thread expected)
falsebad argument #1 to '?' (lua thread expected)
falsebad argument #2 to '?' (lua thread expected)
falseattempt to wait on a coroutine that is not a user thread
true
nilalready waited or killed
