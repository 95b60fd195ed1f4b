# Errors in Lua handlers: status, connection fate and the error-log text.

__DATA__

=== TEST 1: an uncaught error in content_by_lua: 500 and the traceback
--- config
location = /t {
    content_by_lua_block {
        local a = 1
        error("boom")
    }
}
--- request
GET /t
--- error_code: 500
--- response_body_like
500 Internal Server Error
--- error_log
qr/\[error\] .*lua entry thread aborted: runtime error: content_by_lua\(nginx\.conf:\d+\):3: boom\nstack traceback:\ncoroutine 0:\n\t\[C\]: in function 'error'\n\tcontent_by_lua\(nginx\.conf:\d+\):3: in main chunk, client: /

=== TEST 2: a syntax error in inline code
--- config
location = /t { content_by_lua_block { ngx.say( } }
--- request
GET /t
--- error_code: 500
--- error_log
qr/failed to load inlined Lua code: content_by_lua\(nginx\.conf:\d+\):1: unexpected symbol near '<eof>'/

=== TEST 3: an error in rewrite_by_lua: 500, content does not run
--- config
location = /t {
    rewrite_by_lua_block { error("in rewrite") }
    content_by_lua_block { ngx.say("not reached") }
}
--- request
GET /t
--- error_code: 500
--- error_log
qr/lua entry thread aborted: runtime error: rewrite_by_lua\(nginx\.conf:\d+\):1: in rewrite/

=== TEST 4: an error in access_by_lua
--- config
location = /t {
    access_by_lua_block { local t = nil; return t.x }
    content_by_lua_block { ngx.say("not reached") }
}
--- request
GET /t
--- error_code: 500
--- error_log
qr/access_by_lua\(nginx\.conf:\d+\):1: attempt to index local 't' \(a nil value\)/

=== TEST 5: an error value that is not a string
--- config
location = /t { content_by_lua_block { error({}) } }
--- request
GET /t
--- error_code: 500
--- error_log
lua entry thread aborted: runtime error: unknown reason

=== TEST 6: an error in log_by_lua is logged; the response is unaffected
--- config
location = /t {
    content_by_lua_block { ngx.say("fine") }
    log_by_lua_block { error("late") }
}
--- request
GET /t
--- response_body
fine
--- error_log
qr/failed to run log_by_lua\*: log_by_lua\(nginx\.conf:\d+\):1: late\nstack traceback:\n\t\[C\]: in function 'error'/

=== TEST 7: writing a global from request code warns
--- config
location = /t { content_by_lua_block { some_global = 1 ngx.say("g") } }
--- request
GET /t
--- response_body
g
--- error_log
[lua] _G write guard:12: __newindex(): writing a global Lua variable ('some_global') which may lead to race conditions between concurrent requests, so prefer the use of 'local' variables

=== TEST 8: an error with pcall is caught and does not abort
--- config
location = /t {
    content_by_lua_block {
        local ok, err = pcall(error, "caught")
        ngx.say(ok, " ", err)
    }
}
--- request
GET /t
--- response_body
false caught
--- no_error_log
[error]

=== TEST 9: a missing content_by_lua_file: 404 and the load error
--- config
location = /t { content_by_lua_file html/missing.lua; }
--- request
GET /t
--- error_code: 404
--- error_log
qr/failed to load external Lua file ".*html\/missing\.lua": cannot open .*missing\.lua/
