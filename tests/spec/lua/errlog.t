# require "ngx.errlog" without lua_capture_error_log: raw_log and get_sys_filter_level, with
# lua-resty-core 0.1.25's argument checks. Runs against Debian's nginx too. The capture buffer
# (set_filter_level, get_logs) needs OpenResty's patched nginx, which Debian does not ship:
# tests/spec/tycho/errlog_capture.t covers it.

__DATA__

=== TEST 1: raw_log writes the message as it is, with the request's context
--- config
location = /t {
    content_by_lua_block {
        local errlog = require "ngx.errlog"
        errlog.raw_log(ngx.WARN, "raw message 1")
        errlog.raw_log(ngx.NOTICE, "raw message 2")
        ngx.say("done")
    }
}
--- request
GET /t
--- response_body
done
--- error_log
qr/\[warn\] \d+#\d+: \*\d+ raw message 1, client: 127\.0\.0\.1, server: \S*, request: "GET \/t HTTP\/1\.1", host: "[^"]+"\n/
qr/\[notice\] \d+#\d+: \*\d+ raw message 2, client: /
--- no_error_log
[lua]
[error]

=== TEST 2: raw_log in a timer says so, as ngx.log does
--- config
location = /t {
    content_by_lua_block {
        ngx.timer.at(0, function()
            require("ngx.errlog").raw_log(ngx.ERR, "from the timer")
        end)
        ngx.sleep(0.01)
        ngx.say("done")
    }
}
--- request
GET /t
--- response_body
done
--- error_log
qr/\[error\] \d+#\d+: (\*\d+ )?from the timer, context: ngx\.timer/

=== TEST 3: raw_log's argument errors
--- config
location = /t {
    content_by_lua_block {
        local errlog = require "ngx.errlog"
        ngx.say(pcall(errlog.raw_log, "4", "x"))
        ngx.say(pcall(errlog.raw_log, ngx.ERR, 42))
        ngx.say(pcall(errlog.raw_log, ngx.ERR))
        ngx.say(pcall(errlog.raw_log, 9, "x"))
        ngx.say(pcall(errlog.raw_log, -1, "x"))
        ngx.say(pcall(errlog.raw_log, ngx.DEBUG, "debug is a level"))
    }
}
--- request
GET /t
--- response_body
falsebad argument #1 to 'raw_log' (must be a number)
falsebad argument #2 to 'raw_log' (must be a string)
falsebad argument #2 to 'raw_log' (must be a string)
falsebad log level
falsebad log level
true

=== TEST 4: get_sys_filter_level is the error_log level
--- main_config
error_log logs/error.log warn;
--- config
location = /t {
    content_by_lua_block {
        local errlog = require "ngx.errlog"
        ngx.say(errlog.get_sys_filter_level() == ngx.WARN)
        ngx.say(type(errlog.version))
    }
}
--- request
GET /t
--- response_body
true
string

=== TEST 5: get_sys_filter_level and ngx.log follow the error_log of the request's location, in its timers too
--- main_config
error_log logs/error.log warn;
--- config
location = /t {
    error_log logs/error.log info;
    content_by_lua_block {
        local errlog = require "ngx.errlog"
        ngx.say(errlog.get_sys_filter_level() == ngx.INFO)
        ngx.log(ngx.INFO, "info line from the handler")
        local seen = {}
        ngx.timer.at(0, function()
            seen.level = errlog.get_sys_filter_level()
            ngx.log(ngx.INFO, "info line from the timer")
        end)
        ngx.sleep(0.01)
        ngx.say(seen.level == ngx.INFO)
    }
}
--- request
GET /t
--- response_body
true
true
--- error_log
[info]
info line from the handler
info line from the timer, context: ngx.timer, client: 127.0.0.1, server:
