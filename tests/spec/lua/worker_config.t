# ngx.worker.*, ngx.config.*, require "ngx.process", the resty.core shim and
# exit_worker_by_lua*. ngx.worker.pid() is the worker's kernel thread id in Tycho (the #TID of
# its log lines), the process id in nginx: both are what the log line shows after '#'.

__DATA__

=== TEST 1: ngx.config constants
--- config
location = /t {
    content_by_lua_block {
        ngx.say(ngx.config.nginx_version)
        ngx.say(ngx.config.ngx_lua_version)
        ngx.say(ngx.config.subsystem)
        ngx.say(type(ngx.config.debug))
        ngx.say(ngx.config.prefix() == "$TEST_NGINX_PREFIX/")
        local conf = ngx.config.nginx_configure()
        ngx.say(type(conf), " ", conf:sub(1, 1) == " ", " ", conf:find("--prefix=", 1, true) ~= nil)
    }
}
--- request
GET /t
--- response_body
1022001
10023
http
boolean
true
string true true

=== TEST 2: ngx.worker in a single worker
--- config
location = /t {
    content_by_lua_block {
        ngx.say(ngx.worker.id(), " ", ngx.worker.count(), " ", ngx.worker.exiting())
        local pid = ngx.worker.pid()
        ngx.say(type(pid), " ", pid > 0, " ", pid == ngx.worker.pid())
        ngx.log(ngx.ERR, "worker pid=", pid, ";")
    }
}
--- request
GET /t
--- response_body
0 1 false
number true true
--- error_log
qr/#(\d+): \*\d+ \[lua\] [^\n]*worker pid=\1;/

=== TEST 3: two workers: ids are 0 or 1, count is 2
--- main_config
master_process on;
worker_processes 2;
--- config
location = /t {
    content_by_lua_block {
        local id = ngx.worker.id()
        ngx.say(id == 0 or id == 1, " ", ngx.worker.count())
    }
}
--- request
GET /t
--- response_body
true 2

=== TEST 4: ngx.process.type() in a worker
--- main_config
master_process on;
--- config
location = /t {
    content_by_lua_block {
        local process = require "ngx.process"
        ngx.say(process.type())
        ngx.say(type(process.get_master_pid()))
        ngx.say(process.enable_privileged_agent())
    }
}
--- request
GET /t
--- response_body
worker
number
nilAPI disabled in the current context

=== TEST 5: require "resty.core" works and gives a version
--- config
location = /t {
    content_by_lua_block {
        local core = require "resty.core"
        ngx.say(type(core), " ", core.version)
        local base = require "resty.core.base"
        ngx.say(base.FFI_OK, " ", base.FFI_ERROR, " ", base.FFI_AGAIN, " ", base.FFI_DECLINED)
        local t = base.new_tab(4, 4)
        t[1] = 1
        base.clear_tab(t)
        ngx.say(next(t))
        ngx.say(pcall(base.allows_subsystem, "http"))
        ngx.say(pcall(base.allows_subsystem, "stream"))
    }
}
--- request
GET /t
--- response_body
table 0.1.25
0 -1 -2 -5
nil
true
falseunsupported subsystem: http

=== TEST 6: resty.core in init_by_lua, and a library using resty.core.base buffers
--- http_config
init_by_lua_block {
    require "resty.core"
}
--- config
location = /t {
    content_by_lua_block {
        local base = require "resty.core.base"
        local ffi = require "ffi"
        local buf = base.get_string_buf(16)
        ffi.copy(buf, "abc", 3)
        ngx.say(ffi.string(buf, 3), " ", base.get_string_buf_size() >= 16)
        local big = base.get_string_buf(base.get_string_buf_size() + 1)
        ngx.say(big ~= buf)
    }
}
--- request
GET /t
--- response_body
abc true
true

=== TEST 7: exit_worker_by_lua_block runs when the worker exits
--- main_config
master_process on;
--- http_config
exit_worker_by_lua_block {
    ngx.log(ngx.NOTICE, "exit worker ", ngx.worker.id(), " phase ", ngx.get_phase(),
            " exiting ", ngx.worker.exiting())
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
exit worker 0 phase exit_worker exiting true

=== TEST 8: exit_worker_by_lua_file, and its errors are logged
--- http_config
exit_worker_by_lua_file html/exit.lua;
--- config
location = /t {
    return 200 "ok\n";
}
--- user_files
>>> exit.lua
error("exit failed")
--- request
GET /t
--- response_body
ok
--- error_log
exit failed

=== TEST 9: ngx.worker.pids lists every worker's ngx.worker.pid
--- main_config
master_process on;
worker_processes 2;
--- config
location = /t {
    content_by_lua_block {
        local pids = ngx.worker.pids()
        local mine = false
        for _, pid in ipairs(pids) do
            mine = mine or pid == ngx.worker.pid()
        end
        ngx.say(type(pids), " ", #pids, " ", type(pids[1]), " ", pids[1] ~= pids[2], " ", mine)
    }
}
--- request
GET /t
--- response_body
table 2 number true true

=== TEST 10: ngx.worker.pid() is $pid, in a handler and in init_worker
--- http_config
init_worker_by_lua_block { worker_pid_at_start = ngx.worker.pid() }
--- config
location = /t {
    content_by_lua_block {
        local pid = tonumber(ngx.var.pid)
        ngx.say(ngx.worker.pid() == pid, " ", worker_pid_at_start == pid)
    }
}
--- request
GET /t
--- response_body
true true

=== TEST 11: resty.core is loaded into the VM before any code asks for it
--- config
location = /t {
    content_by_lua_block {
        local before = package.loaded["resty.core"]
        ngx.say(before ~= nil, " ", before == require("resty.core"))
    }
}
--- request
GET /t
--- response_body
true true
