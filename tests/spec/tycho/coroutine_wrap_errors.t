# An error out of a coroutine.wrap function that pcall catches is gone (standard Lua; OpenResty
# 0.10.23 lets it past the pcall: docs/api/coroutine.md). A later error's log line must not show
# the caught error's coroutines.

=== TEST 1: a wrap error caught and another raised: the log line has the one section of the thread that raised it
--- config
location = /t {
    content_by_lua_block {
        pcall(coroutine.wrap(function() error("caught") end))
        error("fresh")
    }
}
--- request
GET /t
--- error_code: 500
--- error_log
qr/lua entry thread aborted: runtime error: content_by_lua\(nginx\.conf:\d+\):3: fresh\nstack traceback:\ncoroutine 0:\n\t\[C\]: in function 'error'\n\tcontent_by_lua\(nginx\.conf:\d+\):3: in main chunk, client: /
