# lua_capture_error_log with ngx.errlog's set_filter_level and get_logs: OpenResty's behaviour
# (lua-resty-core 0.1.25), which needs OpenResty's patched nginx core; Debian's nginx refuses the
# directive ("missing the capture error log patch for nginx"), so these blocks are NOT run
# against it (tests/spec/tycho/ is left out of the reference run). Each request below is sent
# twice: a block first drains what earlier requests left in the worker's buffer.

__DATA__

=== TEST 1: lines at or above the filter level are captured with their level, time and text
--- http_config
lua_capture_error_log 32k;
--- config
location = /t {
    content_by_lua_block {
        local errlog = require "ngx.errlog"
        errlog.get_logs(1000)
        ngx.update_time()
        local t0 = ngx.now()
        ngx.log(ngx.INFO, "test1")
        ngx.log(ngx.WARN, "test2")
        ngx.log(ngx.ERR, "test3")
        local logs, err = errlog.get_logs(10)
        if not logs then
            ngx.say("FAILED ", err)
            return
        end
        ngx.say(#logs)
        for i = 1, #logs, 3 do
            local level, time, msg = logs[i], logs[i + 1], logs[i + 2]
            ngx.say(level, " ", math.abs(time - t0) < 2, " ",
                    msg:match("^%d%d%d%d/%d%d/%d%d %d%d:%d%d:%d%d %[%a+%] %d+#%d+: %*%d+ %[lua%] ")
                    and "nginx-format" or msg, " ", msg:match(":%d+: (test%d), client: "),
                    " ", msg:sub(-1) ~= "\n")
        end
        ngx.say(errlog.get_logs(10)[1])
    }
}
--- request
GET /t
--- response_body
9
7 true nginx-format test1 true
5 true nginx-format test2 true
4 true nginx-format test3 true
nil

=== TEST 2: set_filter_level in init_by_lua keeps less severe lines out; the error_log level too
--- main_config
error_log logs/error.log notice;
--- http_config
lua_capture_error_log 32k;
init_by_lua_block {
    local errlog = require "ngx.errlog"
    local ok, err = errlog.set_filter_level(ngx.WARN)
    if not ok then
        ngx.log(ngx.ERR, err)
    end
}
--- config
location = /t {
    content_by_lua_block {
        local errlog = require "ngx.errlog"
        errlog.get_logs(1000)
        ngx.log(ngx.INFO, "info: below error_log's level")
        ngx.log(ngx.NOTICE, "notice: below the filter")
        ngx.log(ngx.WARN, "warn")
        ngx.log(ngx.CRIT, "crit")
        local logs = errlog.get_logs()
        for i = 1, #logs, 3 do
            ngx.say(logs[i], " ", logs[i + 2]:match(":%d+: (%a+)"))
        end
    }
}
--- request
GET /t
--- response_body
5 warn
3 crit
--- no_error_log
[error]

=== TEST 3: get_logs(max) takes at most max lines and leaves the rest; a user table gets a trailing nil
--- http_config
lua_capture_error_log 32k;
--- config
location = /t {
    content_by_lua_block {
        local errlog = require "ngx.errlog"
        errlog.get_logs(1000)
        for i = 1, 5 do
            ngx.log(ngx.ERR, "line ", i)
        end
        local logs = errlog.get_logs(2)
        ngx.say(#logs, " ", logs[3]:match("line %d"), " ", logs[6]:match("line %d"))
        local mine = { "a", "b", "c", "d", "e", "f", "g", "h", "i", "j" }
        local res = errlog.get_logs(10, mine)
        ngx.say(res == mine, " ", #res, " ", res[9]:match("line %d"), " ", res[10], " ", res[11])
        ngx.say(#errlog.get_logs(0), " ", #errlog.get_logs())
    }
}
--- request
GET /t
--- response_body
6 line 1 line 2
true 9 line 5 nil nil
0 0

=== TEST 4: a full buffer drops its oldest lines
--- http_config
lua_capture_error_log 4k;
--- config
location = /t {
    content_by_lua_block {
        local errlog = require "ngx.errlog"
        errlog.get_logs(1000)
        for i = 1, 100 do
            ngx.log(ngx.ERR, "line ", i, " ", string.rep("x", 60))
        end
        local logs = errlog.get_logs(1000)
        local n = #logs / 3
        ngx.say(n > 5 and n < 40, " ", logs[#logs]:match("line (%d+)"),
                " ", tonumber(logs[3]:match("line (%d+)")) == 100 - n + 1)
    }
}
--- request
GET /t
--- response_body
true 100 true

=== TEST 5: errors: no lua_capture_error_log, a bad level, no level
--- config
location = /t {
    content_by_lua_block {
        local errlog = require "ngx.errlog"
        ngx.say(errlog.set_filter_level(ngx.WARN))
        ngx.say(errlog.get_logs(10))
        ngx.say(errlog.set_filter_level())
    }
}
--- request
GET /t
--- response_body
nildirective "lua_capture_error_log" is not set
nildirective "lua_capture_error_log" is not set
nilmissing "level" argument

=== TEST 6: set_filter_level refuses a level that does not exist
--- http_config
lua_capture_error_log 4k;
--- config
location = /t {
    content_by_lua_block {
        local errlog = require "ngx.errlog"
        ngx.say(errlog.set_filter_level(9))
        ngx.say(errlog.set_filter_level(-1))
        ngx.say(errlog.set_filter_level(ngx.DEBUG))
    }
}
--- request
GET /t
--- response_body
nilbad log level: 9
nilbad log level: -1
true

=== TEST 7: a buffer smaller than one error-log line is a configuration error
--- http_config
lua_capture_error_log 1k;
--- config
location = /t { return 200; }
--- must_die
--- error_log
qr/\[emerg\] .*invalid capture error log size "1k", minimum size is 2048 in .*nginx\.conf:\d+/

=== TEST 8: the directive once per http{}
--- http_config
lua_capture_error_log 4k;
lua_capture_error_log 8k;
--- config
location = /t { return 200; }
--- must_die
--- error_log
qr/\[emerg\] .*"lua_capture_error_log" directive is duplicate in .*nginx\.conf:\d+/
