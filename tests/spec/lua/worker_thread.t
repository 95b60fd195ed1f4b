# ngx.run_worker_thread with `thread_pool` and lua_worker_thread_vm_pool_size: results, errors,
# what crosses between the VMs, the `ngx` API inside the worker-thread VM, the VM pool, and a
# waiting thread that is killed. Also run against Debian's nginx (lua-nginx-module 0.10.23).

__DATA__

=== TEST 1: the function runs in a worker thread; its results come back after true
--- main_config
thread_pool tp threads=4;
--- http_config
lua_package_path "$TEST_NGINX_HTML_DIR/?.lua;;";
--- user_files
>>> wt1.lua
local _M = {}
function _M.add(a, b)
    return a + b, "sum"
end
function _M.echo(...)
    return select("#", ...), ...
end
function _M.nothing()
end
return _M
--- config
location = /t {
    content_by_lua_block {
        ngx.say(ngx.run_worker_thread("tp", "wt1", "add", 40, 2))
        local ok, n, a, b, c, d = ngx.run_worker_thread("tp", "wt1", "echo", "x", nil, true, ngx.null)
        ngx.say(ok, " ", n, " ", a, " ", b, " ", c, " ", d == ngx.null)
        local ok2, n2, t = ngx.run_worker_thread("tp", "wt1", "echo",
                                                 { 1, "two", k = { deep = { 3.5 } }, [true] = "b" })
        ngx.say(ok2, " ", n2, " ", t[1], " ", t[2], " ", t.k.deep[1], " ", t[true])
        ngx.say(select("#", ngx.run_worker_thread("tp", "wt1", "nothing")))
        local ok3, n3, s, f, big = ngx.run_worker_thread("tp", "wt1", "echo", "a\0b", -1.25, 2^53)
        ngx.say(ok3, " ", n3, " ", #s, " ", s:byte(2), " ", f, " ", big == 2^53)
    }
}
--- request
GET /t
--- response_body
true42sum
true 4 x nil true true
true 1 1 two 3.5 b
1
true 3 3 0 -1.25 true

=== TEST 2: failures come back as false and a message
--- main_config
thread_pool tp threads=2;
--- http_config
lua_package_path "$TEST_NGINX_HTML_DIR/?.lua;;";
--- user_files
>>> wt2.lua
local _M = {}
function _M.boom()
    error("kaboom")
end
function _M.boom_table()
    error({})
end
function _M.give_function()
    return function() end
end
function _M.nest(n)
    local t = {}
    local cur = t
    for _ = 1, n do
        cur.x = {}
        cur = cur.x
    end
    return t
end
function _M.noop()
end
_M.number = 5
return _M
>>> wt2_not_table.lua
return 42
--- config
location = /t {
    content_by_lua_block {
        local run = ngx.run_worker_thread
        ngx.say(run("tp", "wt2"))
        ngx.say(run(function() end, "wt2", "noop"))
        ngx.say(run("nope", "wt2", "noop"))
        ngx.say(run(7, "wt2", "noop"))
        ngx.say(run("tp", {}, "noop"))
        ngx.say(run("tp", "wt2", {}))
        ngx.say(run("tp", "wt2_not_table", "noop"))
        ngx.say(run("tp", "wt2", "number"))
        ngx.say(run("tp", "wt2", "missing"))
        ngx.say(run("tp", "wt2", "boom"))
        ngx.say(run("tp", "wt2", "boom_table"))
        ngx.say(run("tp", "wt2", "noop", function() end))
        ngx.say(run("tp", "wt2", "noop", { f = coroutine.create(function() end) }))
        ngx.say(run("tp", "wt2", "noop", io.stdout))
        local cyc = {}
        cyc.self = cyc
        ngx.say(run("tp", "wt2", "noop", cyc))
        ngx.say(run("tp", "wt2", "give_function"))
        local ok98, t98 = run("tp", "wt2", "nest", 98)
        ngx.say(ok98, " ", type(t98))
        ngx.say(run("tp", "wt2", "nest", 99))
        local ok, err = run("tp", "wt2_missing", "noop")
        ngx.say(ok, " ", err:match("^module 'wt2_missing' not found:") ~= nil)
    }
}
--- request
GET /t
--- response_body_like
^falseexpecting at least 3 arguments
falsethreadpool should be a string
falsethread pool nope not found
falsethread pool 7 not found
falsemodule name should be a string
falsefunction name should be a string
falseinvalid lua module
falseinvalid function
falseinvalid function
false/.*/wt2\.lua:3: kaboom
false
falseunsupported Lua type: LUA_TFUNCTION in the argument
falseunsupported Lua type: LUA_TTHREAD in the argument
falseunsupported Lua type: LUA_TUSERDATA in the argument
falsesuspicious circular references, table depth exceed max depth: 100 in the argument
falseunsupported Lua type: LUA_TFUNCTION in the return value
true table
falsesuspicious circular references, table depth exceed max depth: 100 in the return value
false true
$

=== TEST 3: the ngx API of a worker thread: codecs, time, ngx.re, ngx.shared, ngx.config; no output or logging
--- main_config
thread_pool tp threads=2;
--- http_config
lua_package_path "$TEST_NGINX_HTML_DIR/?.lua;;";
lua_shared_dict dogs 1m;
--- user_files
>>> wt3.lua
local _M = {}
function _M.api()
    local m = ngx.re.match("hello, 1234", "([0-9])[0-9]+")
    local dogs = ngx.shared.dogs
    local n = dogs:incr("n", 1, 0)
    dogs:set("from_thread", "yes")
    return {
        md5 = ngx.md5("hello"),
        b64 = ngx.encode_base64(ngx.hmac_sha1("key", "data")),
        crc = ngx.crc32_short("hello, world"),
        args = ngx.encode_args({ a = 1 }),
        decoded = ngx.decode_args("x=y").x,
        sql = ngx.quote_sql_str("it's"),
        match = m[0] .. "/" .. m[1],
        gsub = (ngx.re.gsub("a-b-c", "-", "+")),
        now = type(ngx.now()) == "number" and ngx.now() > 1e9,
        http_time = ngx.http_time(0),
        phase = ngx.get_phase(),
        subsystem = ngx.config.subsystem,
        version = ngx.config.ngx_lua_version,
        jim = dogs:get("jim"),
        n = n,
        say = type(ngx.say),
        log = type(ngx.log),
        sleep = type(ngx.sleep),
        timer = type(ngx.timer),
        var = type(ngx.var),
    }
end
return _M
--- config
location = /t {
    content_by_lua_block {
        ngx.shared.dogs:set("jim", 8)
        local ok, r = ngx.run_worker_thread("tp", "wt3", "api")
        if not ok then
            ngx.say("failed: ", r)
            return
        end
        for _, k in ipairs({"md5", "b64", "crc", "args", "decoded", "sql", "match", "gsub",
                            "now", "http_time", "phase", "subsystem", "version", "jim", "say",
                            "log", "sleep", "timer", "var"}) do
            ngx.say(k, ": ", tostring(r[k]))
        end
        ngx.say("set in the thread: ", ngx.shared.dogs:get("from_thread"))
    }
}
--- request
GET /t
--- response_body
md5: 5d41402abc4b2a76b9719d911017c592
b64: EEFSxb/coHvGM+69RhmfAlXJ9J0=
crc: 4289425978
args: a=1
decoded: y
sql: 'it\'s'
match: 1234/1
gsub: a+b+c
now: true
http_time: Thu, 01 Jan 1970 00:00:00 GMT
phase: init
subsystem: http
version: 10023
jim: 8
say: nil
log: nil
sleep: nil
timer: nil
var: nil
set in the thread: yes

=== TEST 4: a worker has at most lua_worker_thread_vm_pool_size VMs; a VM keeps its globals
--- main_config
thread_pool tp threads=4;
--- http_config
lua_package_path "$TEST_NGINX_HTML_DIR/?.lua;;";
lua_worker_thread_vm_pool_size 1;
--- user_files
>>> wt4.lua
local _M = {}
function _M.slow()
    local t0 = os.time()
    os.execute("sleep 0.3")
    return "slow done"
end
function _M.count()
    calls = (calls or 0) + 1
    return calls
end
return _M
--- config
location = /t {
    content_by_lua_block {
        local results = {}
        local function call(name)
            local ok, r = ngx.run_worker_thread("tp", "wt4", name)
            results[#results + 1] = name .. ": " .. tostring(ok) .. " " .. tostring(r)
        end
        local t1 = ngx.thread.spawn(call, "slow")
        local t2 = ngx.thread.spawn(call, "count")
        ngx.thread.wait(t1)
        ngx.thread.wait(t2)
        ngx.say(table.concat(results, "\n"))
        local _, a = ngx.run_worker_thread("tp", "wt4", "count")
        local _, b = ngx.run_worker_thread("tp", "wt4", "count")
        ngx.say(b - a)
    }
}
--- request
GET /t
--- timeout: 10
--- response_body
count: false no available Lua vm
slow: true slow done
1

=== TEST 5: a waiting thread that is killed gets nothing; its VM is free again once the task ends
--- main_config
thread_pool tp threads=2;
--- http_config
lua_package_path "$TEST_NGINX_HTML_DIR/?.lua;;";
lua_worker_thread_vm_pool_size 1;
--- user_files
>>> wt5.lua
local _M = {}
function _M.slow()
    os.execute("sleep 0.2")
    return "slow done"
end
function _M.fast()
    return "fast done"
end
return _M
--- config
location = /t {
    content_by_lua_block {
        local t = ngx.thread.spawn(function()
            local ok, r = ngx.run_worker_thread("tp", "wt5", "slow")
            ngx.say("never: ", ok, " ", r)
        end)
        ngx.say("kill: ", ngx.thread.kill(t))
        ngx.say(ngx.run_worker_thread("tp", "wt5", "fast"))
        ngx.sleep(0.5)
        ngx.say(ngx.run_worker_thread("tp", "wt5", "fast"))
    }
}
--- request
GET /t
--- timeout: 10
--- response_body
kill: 1
falseno available Lua vm
truefast done

=== TEST 6: allowed in timers; refused where Lua cannot yield
--- main_config
thread_pool tp threads=2;
--- http_config
lua_package_path "$TEST_NGINX_HTML_DIR/?.lua;;";
--- user_files
>>> wt6.lua
return { id = function(x) return x end }
--- config
location = /t {
    content_by_lua_block {
        ngx.timer.at(0, function()
            local ok, r = ngx.run_worker_thread("tp", "wt6", "id", "ok")
            ngx.log(ngx.WARN, "in a timer: ", ok, " ", r)
        end)
        ngx.sleep(0.1)
        ngx.say("done")
    }
    header_filter_by_lua_block {
        local ok, err = pcall(ngx.run_worker_thread, "tp", "wt6", "id", 1)
        ngx.log(ngx.WARN, "header filter: ", err)
    }
}
--- request
GET /t
--- response_body
done
--- error_log
in a timer: true ok
header filter: API disabled in the context of header_filter_by_lua*

=== TEST 7: thread_pool needs threads
--- main_config
thread_pool tp max_queue=10;
--- config
location = /t { return 200; }
--- must_die
--- error_log
qr/\[emerg\] .*"thread_pool" must have "threads" parameter in .*nginx\.conf:\d+/

=== TEST 8: a thread pool name once
--- main_config
thread_pool tp threads=1;
thread_pool tp threads=2;
--- config
location = /t { return 200; }
--- must_die
--- error_log
qr/\[emerg\] .*duplicate thread pool "tp" in .*nginx\.conf:\d+/

=== TEST 9: thread_pool's parameters are checked
--- main_config
thread_pool tp threads=x;
--- config
location = /t { return 200; }
--- must_die
--- error_log
qr/\[emerg\] .*invalid threads value "threads=x" in .*nginx\.conf:\d+/

=== TEST 10: the task's clock is the worker's: a TTL it sets is no longer than asked (166-worker-thread.t TEST 50)
--- main_config
thread_pool tp threads=4;
--- http_config
lua_shared_dict wt_dogs 1m;
lua_package_path "$TEST_NGINX_HTML_DIR/?.lua;;";
--- user_files
>>> wt_clock.lua
return {
    expire = function(key)
        local ok, err = ngx.shared.wt_dogs:expire(key, 1)
        return ok, err, ngx.now()
    end,
}
--- config
location = /t {
    content_by_lua_block {
        local dogs = ngx.shared.wt_dogs
        dogs:set("Jim", 8)
        local before = ngx.now()
        local ok, done, err, task_now = ngx.run_worker_thread("tp", "wt_clock", "expire", "Jim")
        local ttl = dogs:ttl("Jim")
        ngx.say(ok, " ", done, " ", err, " ", ttl > 0 and ttl <= 1,
                " ", task_now >= before and task_now <= ngx.now())
    }
}
--- request
GET /t
--- response_body
true true nil true true
