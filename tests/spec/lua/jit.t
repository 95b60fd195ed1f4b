# The hot ngx.* paths are JIT-compiled: a loop over each shows its own trace under jit.v and
# no abort of it. These blocks assert a property of Tycho's implementation (FFI halves written
# for the JIT), not OpenResty behaviour: LuaJIT's trace heuristics differ between the two (in
# OpenResty get_headers' inner loop may keep the caller's loop from compiling as a root trace),
# so this file is left out of the spec-reference run against nginx (tests/CMakeLists.txt).

__DATA__

=== TEST 1: a loop over ngx.var.uri is JIT-compiled
--- config
location = /t {
    content_by_lua_block {
        local path = "$TEST_NGINX_PREFIX/logs/jit_var.txt"
        local v = require "jit.v"
        -- The block runs twice: start from an empty trace cache and fresh hot counters
        -- (setting hotloop, to its default, resets them), and compile a fresh chunk, so both
        -- requests record the loop trace from scratch.
        jit.flush()
        jit.opt.start("hotloop=56")
        v.on(path)
        local n = loadstring("local n = 0 for i = 1, 1000 do n = n + #ngx.var.uri end return n", "=jitloop")()
        v.off()
        local f = io.open(path)
        local s = f:read("*a")
        f:close()
        -- A trace was recorded, and nothing on the path is "not yet implemented" for the JIT.
        -- Which trace LuaJIT starts first depends on hot-counter collisions (fresh chunk
        -- addresses each run): a trace that starts inside a function may abort with "return to
        -- lower frame" or an outer loop with "inner loop in root trace". Those say where the
        -- recording began, not that an API cannot compile, so they are not counted.
        local nyi = false
        for reason in s:gmatch(" %-%- NYI: ([^\n]*)") do
            if not reason:find("^return to lower frame") then
                nyi = true
            end
        end
        ngx.say(n, " ", s:find("%[TRACE%s+%d+ ") ~= nil, " ", not nyi)
    }
}
--- request
GET /t
--- response_body
2000 true true

=== TEST 2: a loop over ngx.header writes is JIT-compiled
--- config
location = /t {
    content_by_lua_block {
        local path = "$TEST_NGINX_PREFIX/logs/jit_header.txt"
        local v = require "jit.v"
        -- Both runs of the block record the trace from scratch (see var.t).
        jit.flush()
        jit.opt.start("hotloop=56")
        v.on(path)
        local n = loadstring([[
            local n = 0
            for i = 1, 1000 do
                ngx.header.X_Loop = "abc"
                n = n + 3
            end
            return n
        ]], "=jitloop")()
        v.off()
        local f = io.open(path)
        local s = f:read("*a")
        f:close()
        -- A trace was recorded, and nothing on the path is "not yet implemented" for the JIT.
        -- Which trace LuaJIT starts first depends on hot-counter collisions (fresh chunk
        -- addresses each run): a trace that starts inside a function may abort with "return to
        -- lower frame" or an outer loop with "inner loop in root trace". Those say where the
        -- recording began, not that an API cannot compile, so they are not counted.
        local nyi = false
        for reason in s:gmatch(" %-%- NYI: ([^\n]*)") do
            if not reason:find("^return to lower frame") then
                nyi = true
            end
        end
        ngx.say(n, " ", s:find("%[TRACE%s+%d+ ") ~= nil, " ", not nyi)
    }
}
--- request
GET /t
--- response_body
3000 true true

=== TEST 3: a loop calling ngx.req.get_headers() is JIT-compiled
--- config
location = /t {
    content_by_lua_block {
        local path = "$TEST_NGINX_PREFIX/logs/jit_req_headers.txt"
        local v = require "jit.v"
        -- The block runs twice: start from an empty trace cache and fresh hot counters
        -- (setting hotloop, to its default, resets them), and compile a fresh chunk, so both
        -- requests record the loop trace from scratch.
        jit.flush()
        jit.opt.start("hotloop=56")
        v.on(path)
        local n = loadstring([[
            local n = 0
            for i = 1, 1000 do
                local h = ngx.req.get_headers()
                n = n + #h.host + #h["X-Foo"]
            end
            return n
        ]], "=jitloop")()
        v.off()
        local f = io.open(path)
        local s = f:read("*a")
        f:close()
        -- A trace was recorded, and nothing on the path is "not yet implemented" for the JIT.
        -- Which trace LuaJIT starts first depends on hot-counter collisions (fresh chunk
        -- addresses each run): a trace that starts inside a function may abort with "return to
        -- lower frame" or an outer loop with "inner loop in root trace". Those say where the
        -- recording began, not that an API cannot compile, so they are not counted.
        local nyi = false
        for reason in s:gmatch(" %-%- NYI: ([^\n]*)") do
            if not reason:find("^return to lower frame") then
                nyi = true
            end
        end
        ngx.say(n, " ", s:find("%[TRACE%s+%d+ ") ~= nil, " ", not nyi)
    }
}
--- request
GET /t
--- more_headers
X-Foo: bar
--- response_body
12000 true true

=== TEST 4: a loop over ngx.shared.DICT set/get/incr is JIT-compiled
--- http_config
lua_shared_dict dogs 1m;
--- config
location = /t {
    content_by_lua_block {
        local path = "$TEST_NGINX_PREFIX/logs/jit_shdict.txt"
        local v = require "jit.v"
        -- Both runs of the block record the trace from scratch (see TEST 1).
        jit.flush()
        jit.opt.start("hotloop=56")
        v.on(path)
        local n = loadstring([[
            local d = ngx.shared.dogs
            local n = 0
            for i = 1, 1000 do
                d:set("k", i)
                d:set("s", "str")
                n = n + d:get("k") - i + #d:get("s") + d:incr("c", 1, 0) * 0
            end
            return n
        ]], "=jitloop")()
        v.off()
        local f = io.open(path)
        local s = f:read("*a")
        f:close()
        -- A trace was recorded, and nothing on the path is "not yet implemented" for the JIT
        -- (see TEST 1 for the aborts that are not counted).
        local nyi = false
        for reason in s:gmatch(" %-%- NYI: ([^\n]*)") do
            if not reason:find("^return to lower frame") then
                nyi = true
            end
        end
        ngx.say(n, " ", s:find("%[TRACE%s+%d+ ") ~= nil, " ", not nyi)
    }
}
--- request
GET /t
--- response_body
3000 true true

=== TEST 5: handler code is a fixed-argument function, so LuaJIT can trace it from its entry
--- config
location = /t {
    content_by_lua_block {
        -- LuaJIT counts calls (to start a trace) only at FUNCF, never at a vararg (FUNCV) main
        -- chunk; JFUNCF means it is already compiled.
        local ins = require("jit.util").funcbc(debug.getinfo(1, "f").func, 0)
        local op = bit.band(ins, 0xff)
        ngx.say(require("jit.vmdef").bcnames:sub(op * 6 + 1, op * 6 + 6))
    }
}
--- request
GET /t
--- response_body_like
^J?FUNCF\s*$

=== TEST 6: a handler without a loop is JIT-compiled once hot
--- config
location = /t {
    content_by_lua_block {
        local ctx = ngx.ctx
        if ctx.calls then
            ctx.calls = ctx.calls + 1
            return
        end
        local path = "$TEST_NGINX_PREFIX/logs/jit_handler.txt"
        local v = require "jit.v"
        ctx.calls = 0
        local handler = debug.getinfo(1, "f").func
        -- The block runs twice: the second run starts from an empty trace cache and fresh hot
        -- counters too (see TEST 1).
        jit.flush()
        jit.opt.start("hotloop=56")
        v.on(path)
        -- Called from C 300 times (a Lua loop would compile first, with the handler inlined).
        string.gsub(string.rep("x", 300), "x", handler)
        v.off()
        local f = io.open(path)
        local s = f:read("*a")
        f:close()
        -- A root trace from the handler's entry (its line 1) to its return, not a loop trace.
        ngx.say(ctx.calls, " ", s:find("%[TRACE%s+%d+ content_by_lua%(nginx%.conf:%d+%):1 return%]") ~= nil)
    }
}
--- request
GET /t
--- response_body
300 true

=== TEST 7: a loop over ngx.print / ngx.say of strings is JIT-compiled
--- config
location = /t {
    content_by_lua_block {
        local path = "$TEST_NGINX_PREFIX/logs/jit_say.txt"
        local v = require "jit.v"
        -- Both runs of the block record the trace from scratch (see TEST 1).
        jit.flush()
        jit.opt.start("hotloop=56")
        v.on(path)
        local n = loadstring([[
            local n = 0
            for i = 1, 500 do
                ngx.print("x")
                ngx.say("y")
                n = n + 2
            end
            return n
        ]], "=jitloop")()
        v.off()
        local f = io.open(path)
        local s = f:read("*a")
        f:close()
        local nyi = false
        for reason in s:gmatch(" %-%- NYI: ([^\n]*)") do
            if not reason:find("^return to lower frame") then
                nyi = true
            end
        end
        -- A trace that closes its loop: a classic C function there would end it ("stitch").
        ngx.say(n, " ", s:find("%[TRACE%s+%d+ jitloop:%d+ loop%]") ~= nil, " ", not nyi)
    }
}
--- request
GET /t
--- response_body_like
^(xy\n){500}1000 true true\n$

=== TEST 8: resume/yield loops compile whole: traces stitch around each switch and link back
--- config
location = /t {
    content_by_lua_block {
        local path = "$TEST_NGINX_PREFIX/logs/jit_co.txt"
        local v = require "jit.v"
        -- Both runs of the block record the traces from scratch (see TEST 1).
        jit.flush()
        jit.opt.start("hotloop=56")
        v.on(path)
        local n = loadstring([[
            local yield = coroutine.yield
            local co = coroutine.create(function()
                local i = 0
                while true do i = i + 1 yield(i) end
            end)
            local resume = coroutine.resume
            local ok, last
            for i = 1, 2000 do ok, last = resume(co) end
            local gen = coroutine.wrap(function(a)
                while true do a = yield(a + 1) end
            end)
            local x = 0
            for i = 1, 2000 do x = gen(x) end
            return last + x
        ]], "=jitloop")()
        v.off()
        local f = io.open(path)
        local s = f:read("*a")
        f:close()
        local nyi = false
        for reason in s:gmatch(" %-%- NYI: ([^\n]*)") do
            if not reason:find("^return to lower frame") then
                nyi = true
            end
        end
        -- With a wrapper that passed the results on as `...`, the loops' traces would end at
        -- the switch with a return to the interpreter ("jitloop:N return]").
        ngx.say(n, " ", s:find("stitch coroutine.resume]", 1, true) ~= nil, " ",
                s:find("%[TRACE%s+%d+ jitloop:%d+ return%]") == nil, " ", not nyi)
    }
}
--- request
GET /t
--- response_body
4000 true true true

=== TEST 9: ngx.say from a handler the JIT cannot compile (it makes a closure) writes through a compiled FFI call
--- config
location = /t {
    content_by_lua_block {
        local path = "$TEST_NGINX_PREFIX/logs/jit_say_interp.txt"
        local v = require "jit.v"
        -- Both runs of the block record from scratch (see TEST 1).
        jit.flush()
        jit.opt.start("hotloop=56")
        v.on(path)
        -- FNEW is NYI: this function runs in the interpreter, and so does ngx.say's vararg
        -- wrapper (LuaJIT never starts a trace at a vararg function). Called from C 300 times.
        local made = 0
        local function handler()
            local f = function() made = made + 1 end
            f()
            ngx.print("x")
        end
        string.gsub(string.rep("x", 300), "x", handler)
        v.off()
        local f = io.open(path)
        local s = f:read("*a")
        f:close()
        -- The FFI call's own fixed-argument function became a root trace of its own.
        ngx.say(" ", made, " ", s:find("%[TRACE%s+%d+ output%.lua:%d+ return%]") ~= nil)
    }
}
--- request
GET /t
--- response_body_like
^x{300} 300 true\n$

=== TEST 10: loops over ngx.get_phase(), ngx.ctx (read, write, replace), ngx.status and ngx.headers_sent close their traces: FFI calls, as in lua-resty-core (a C function, or a C __index on ngx, would stitch or end the trace there)
--- config
location = /t {
    content_by_lua_block {
        local log = "$TEST_NGINX_PREFIX/logs/jit_ngx_fields.txt"
        jit.flush()
        jit.opt.start("hotloop=56")
        require("jit.v").on(log)
        ngx.ctx.n = 0
        local result = loadstring([[
            local phases, status = 0, 0
            for _ = 1, 300 do
                if ngx.get_phase() == "content" then phases = phases + 1 end
            end
            for _ = 1, 300 do
                ngx.ctx.n = ngx.ctx.n + 1
                if not ngx.headers_sent then status = status + ngx.status end
            end
            for i = 1, 300 do
                ngx.ctx = { n = i }
            end
            return phases .. " " .. status .. " " .. ngx.ctx.n
        ]], "=jitfields")()
        require("jit.v").off()
        local text = assert(io.open(log)):read("*a")
        local loops = 0
        for _ in text:gmatch("%[TRACE%s+%d+ jitfields:%d+ loop%]") do
            loops = loops + 1
        end
        text = text:gsub("[^\n]*v%.lua:%d+ stitch[^\n]*", "")  -- jit.v's own off(), as TEST 12
        ngx.say(result, " loop traces: ", loops, ", stitched: ", text:find("stitch") ~= nil)
    }
}
--- request
GET /t
--- response_body
300 0 300 loop traces: 3, stitched: false

=== TEST 11: loops over ngx.worker.exiting(), pid(), id() and count() close their traces (FFI calls, as in lua-resty-core)
--- config
location = /t {
    content_by_lua_block {
        local log = "$TEST_NGINX_PREFIX/logs/jit_worker.txt"
        jit.flush()
        jit.opt.start("hotloop=56")
        require("jit.v").on(log)
        local result = loadstring([[
            local w = ngx.worker
            local n, pid = 0, 0
            for _ = 1, 300 do
                if not w.exiting() then n = n + 1 end
            end
            for _ = 1, 300 do
                pid = w.pid()
            end
            for _ = 1, 300 do
                n = n + w.id() + w.count()
            end
            return n .. " " .. tostring(pid == w.pid())
        ]], "=jitworker")()
        require("jit.v").off()
        local text = assert(io.open(log)):read("*a")
        local loops = 0
        for _ in text:gmatch("%[TRACE%s+%d+ jitworker:%d+ loop%]") do
            loops = loops + 1
        end
        text = text:gsub("[^\n]*v%.lua:%d+ stitch[^\n]*", "")  -- jit.v's own off(), as TEST 12
        ngx.say(result, " loop traces: ", loops, ", stitched: ", text:find("stitch") ~= nil)
    }
}
--- request
GET /t
--- response_body
600 true loop traces: 3, stitched: false

=== TEST 12: the first shared-dict call of a worker, inside a hot loop, does not stitch its trace
--- http_config
lua_shared_dict dogs 1m;
--- config
location = /t {
    content_by_lua_block {
        local log = "$TEST_NGINX_PREFIX/logs/jit_shdict.txt"
        jit.flush()
        jit.opt.start("hotloop=1")
        require("jit.v").on(log)
        local result = loadstring([[
            local dogs = ngx.shared.dogs
            for _ = 1, 150 do
                dogs:set("foo", 3.1415926, 0, 78)
                dogs:delete("foo")
            end
            return tostring(dogs:get("foo"))
        ]], "=jitshdict")()
        require("jit.v").off()
        local text = assert(io.open(log)):read("*a")
        -- jit.v's own off() may be traced too with hotloop=1 (a stitch at v.lua, depending on
        -- where unrelated code put the hot counters): only the loop's stitches count.
        text = text:gsub("[^\n]*v%.lua:%d+ stitch[^\n]*", "")
        ngx.say(result, " loop trace: ", text:find("jitshdict:%d+ loop%]") ~= nil,
                ", stitched: ", text:find("stitch") ~= nil)
    }
}
--- request
GET /t
--- response_body
nil loop trace: true, stitched: false
