# ngx.log and print: the "[lua] <chunk>:<line>: " prefix, levels, argument rules.

__DATA__

=== TEST 1: ngx.log at each level with the chunk and line prefix; print logs at notice
--- config
location = /t {
    content_by_lua_block {
        ngx.log(ngx.ERR, "an error ", 42, " ", nil, " ", true, " ", ngx.null)
        ngx.log(ngx.WARN, "a warning")
        print("from print")
        ngx.say("done")
    }
}
--- request
GET /t
--- response_body
done
--- error_log
qr/\[error\] .*\[lua\] content_by_lua\(nginx\.conf:\d+\):2: an error 42 nil true null, client: 127\.0\.0\.1/
qr/\[warn\] .*\[lua\] content_by_lua\(nginx\.conf:\d+\):3: a warning/
qr/\[notice\] .*\[lua\] content_by_lua\(nginx\.conf:\d+\):4: from print/

=== TEST 2: a named Lua function appears as "name(): "
--- config
location = /t {
    content_by_lua_block {
        local function helper()
            ngx.log(ngx.ERR, "inside")
        end
        helper()
    }
}
--- request
GET /t
--- response_body chomp
--- error_log
qr/\[lua\] content_by_lua\(nginx\.conf:\d+\):3: helper\(\): inside/

=== TEST 3: the level constants
--- config
location = /t {
    content_by_lua_block {
        ngx.say(ngx.STDERR, ngx.EMERG, ngx.ALERT, ngx.CRIT, ngx.ERR, ngx.WARN, ngx.NOTICE,
                ngx.INFO, ngx.DEBUG)
    }
}
--- request
GET /t
--- response_body
012345678

=== TEST 4: a table with __tostring is logged through it
--- config
location = /t {
    content_by_lua_block {
        local t = setmetatable({}, {__tostring = function() return "TOSTRING" end})
        ngx.log(ngx.ERR, "t=", t)
    }
}
--- request
GET /t
--- response_body chomp
--- error_log
t=TOSTRING

=== TEST 5: a table without __tostring is an argument error
--- config
location = /t { content_by_lua_block { ngx.log(ngx.ERR, "x", {}) } }
--- request
GET /t
--- error_code: 500
--- error_log
bad argument #2 to 'log' (expected table to have __tostring metamethod)

=== TEST 6: a function argument is an argument error
--- config
location = /t { content_by_lua_block { ngx.log(ngx.ERR, print) } }
--- request
GET /t
--- error_code: 500
--- error_log
bad argument #1 to 'log' (string, number, boolean, or nil expected, got function)

=== TEST 7: a bad level
--- config
location = /t { content_by_lua_block { ngx.log(9, "x") } }
--- request
GET /t
--- error_code: 500
--- error_log
bad argument #1 to 'log' (bad log level: 9)

=== TEST 8: a level above the error_log level is not written
--- main_config
error_log logs/error.log warn;
--- config
location = /t { content_by_lua_block { ngx.log(ngx.INFO, "hidden info") ngx.say("ok") } }
--- request
GET /t
--- response_body
ok
--- no_error_log
hidden info

=== TEST 9: ngx.log works in log_by_lua
--- config
location = /t {
    content_by_lua_block { ngx.say("ok") }
    log_by_lua_block { ngx.log(ngx.WARN, "in log phase ", ngx.get_phase()) }
}
--- request
GET /t
--- response_body
ok
--- error_log
qr/\[lua\] log_by_lua\(nginx\.conf:\d+\):1: in log phase log while logging request, client: /

=== TEST 10: ngx.log(ngx.STDERR, ...) prints an empty level, "[]", as nginx does for its level 0
--- config
location = /t {
    content_by_lua_block {
        ngx.log(ngx.STDERR, "at the stderr level")
        ngx.say("ok")
    }
}
--- request
GET /t
--- response_body
ok
--- error_log
qr/\[\] \d+#\d+: \*\d+ \[lua\] content_by_lua\(nginx\.conf:\d+\):2: at the stderr level, client: /

=== TEST 11: ngx.log and print in init_worker_by_lua name its fake connection and context
--- http_config
init_worker_by_lua_block {
    ngx.log(ngx.WARN, "from init_worker ", ngx.get_phase())
    print("printed in init_worker")
}
--- config
location = /t { content_by_lua_block { ngx.say("ok") } }
--- request
GET /t
--- response_body
ok
--- error_log
qr/\[warn\] \d+#\d+: \*\d+ \[lua\] init_worker_by_lua\(nginx\.conf:\d+\):2: from init_worker init_worker, context: init_worker_by_lua\*$/m
qr/\[notice\] \d+#\d+: \*\d+ \[lua\] init_worker_by_lua\(nginx\.conf:\d+\):3: printed in init_worker, context: init_worker_by_lua\*$/m
