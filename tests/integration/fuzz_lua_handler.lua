-- The Lua half of test_lua_fuzz.py: a content handler that makes random ngx.* calls with random
-- arguments. Loaded with require (once per worker VM) from the test's generated prefix.
--
-- _M.run(seed) performs a few random operations chosen by a deterministic generator seeded by
-- the request's ?seed=, so a request that crashes the server can be replayed alone:
--   curl 'http://127.0.0.1:PORT/fuzz?seed=N'
-- Every operation runs under pcall: Lua errors are expected and fine; what must never happen is
-- a crash, a hang of the worker or an [alert]/[crit] from the server itself.

local ffi = require "ffi"

local type = type
local pcall = pcall
local select = select
local unpack = unpack
local tostring = tostring
local setmetatable = setmetatable

local _M = {}

local rng = require "test_rng"
local new_rng = rng.new

-- ---------------------------------------------------------------- values ---

local bad_mt = {
    __index = function() error("fuzz __index") end,
    __newindex = function() error("fuzz __newindex") end,
    __tostring = function() error("fuzz __tostring") end,
    __len = function() error("fuzz __len") end,
    __call = function() error("fuzz __call") end,
    __concat = function() error("fuzz __concat") end,
    __eq = function() error("fuzz __eq") end,
    __lt = function() error("fuzz __lt") end,
}
local odd_mt = {
    __tostring = function() return "odd" end,
    __call = function(_, ...) return ... end,
}

local long = string.rep("x", 65536)
local cyclic = {"a"}
cyclic[2] = cyclic
cyclic.self = cyclic
local deep = {"d"}
for _ = 1, 300 do
    deep = {deep}
end
local big = {}
for i = 1, 1000 do
    big[i] = tostring(i)
    big["k" .. i] = i
end
local dead_co = coroutine.create(function() end)
coroutine.resume(dead_co)

local strings = {
    "", "a", "hello", "0", "-1", "1e309", "nan", "inf", "0x10", " 12 ", long, string.rep("ab", 5000),
    "\0", "\0\1\2\255\254\r\n\t %\"'\\<>", "\255\254\253", "\xc3\xa9", "%", "%zz%4", "%00%ff%",
    "a=b&c=d&&=&e", "a&b=1&a=2&=x", "a\r\nX-Injected: 1", "a\nb", "Content-Type", "content_type",
    "Content-Length", "Transfer-Encoding", "Set-Cookie", "Location", "Host", "Cookie",
    "X-Fuzz", "x_fuzz", "", "/ping", "/fuzz", "/fuzz?seed=1", "/nowhere", "@named", "/fuzz/x?a=b",
    "http://example.com/x", "https://a.b/c?d=e", "//x", "text/html", "GET", "POST", "HEAD",
    "PUT", "DELETE", "OPTIONS", "uri", "args", "arg_a", "http_host", "1", "$uri", "${x}",
    "foo", "status", "ngx.null", "md5", "truncated", "raw",
    -- regexes, ngx.re options and replacement templates
    "(a+)+$", "(?<n>x)|(?<n>y)", [[\d+]], "(", "[", "x*", "^", "(?<n", [[(\w)=(\w+)]], "jo",
    "ijmsxuUdDaJo", "d", "U", "Dj", "$1${2}$$", "$", "${", "$x", "${10}",
}

local numbers = {
    0, -0.0, 1, -1, 2, 3, 7, 8, 10, 100, 0.5, 1.5, -0.5, 200, 201, 204, 206, 301, 302, 303, 304,
    307, 400, 403, 404, 405, 413, 444, 494, 499, 500, 502, 503, 599, 600, 999, 1000, -200,
    1 / 0, -1 / 0, 0 / 0, 2 ^ 31, 2 ^ 31 - 1, -2 ^ 31, 2 ^ 32, 2 ^ 32 + 1, 2 ^ 53, 2 ^ 63,
    2 ^ 64, -2 ^ 63, 1e308, -1e308, 1e-300, 4294967295, 65535, 65536, 1e9,
    ngx.OK, ngx.ERROR, ngx.AGAIN, ngx.DONE, ngx.DECLINED,
    ngx.STDERR, ngx.EMERG, ngx.ALERT, ngx.CRIT, ngx.ERR, ngx.WARN, ngx.NOTICE, ngx.INFO, ngx.DEBUG,
    ngx.HTTP_GET, ngx.HTTP_POST, ngx.HTTP_HEAD, ngx.HTTP_OK, ngx.HTTP_MOVED_TEMPORARILY,
}

local tables = {
    {}, {1, 2, 3}, {"a", {"b", {"c"}}}, {a = "b", c = {"d", "e"}}, {[1] = true, [2] = false},
    {1.5, -1 / 0, 0 / 0}, {[true] = "x", [2.5] = "y"}, {"x", nil, "z"}, {n = 1}, {max = 1},
    {"a", {}}, {{}, {{}}}, {"k", 1, true}, {a = {"x", "y"}, b = true, c = 1, d = ""},
    cyclic, deep, big, setmetatable({}, bad_mt), setmetatable({"a"}, odd_mt),
}

local misc = {
    ngx.null, dead_co, coroutine.create(function() end), ffi.new("int[4]"),
    ffi.new("int64_t", -1), ffi.new("uint64_t", 2 ^ 63), ffi.cast("void *", 0),
    ffi.new("char[8]"), newproxy(true), newproxy(false),
}

local run_ops  -- forward: functions in the value pool run more random operations

local pick = rng.pick

local rand_value

-- A function argument: most do something harmless or raise; some yield, exit, or (with depth
-- left) run more random operations in whatever context calls them (a timer, a light thread, a
-- user coroutine, a metamethod...).
local function rand_function(r, depth)
    local k = r(14)
    if k == 1 then
        return function() end
    elseif k == 2 then
        return function() error("fuzz boom") end
    elseif k == 3 then
        return function() error({}) end
    elseif k == 4 then
        return function() error() end
    elseif k == 5 then
        return function(...) return ... end
    elseif k == 6 then
        return function() return 1, "x", nil, {} end
    elseif k == 7 then
        return function() coroutine.yield() end
    elseif k == 8 then
        return function() coroutine.yield(1, 2) end
    elseif k == 9 then
        return function() ngx.sleep(0) end
    elseif k == 10 then
        return function() ngx.sleep(0.001) return "slept" end
    elseif k == 11 then
        return function() ngx.exit(200) end
    elseif k == 12 then
        return function() ngx.say("from a function") end
    end
    if depth >= 2 then
        return function() return rand_value(r, depth) end
    end
    local seed = r(2147483646)
    return function()
        run_ops(new_rng(seed), 2, depth + 1)
    end
end

-- nil, booleans, numbers, strings, tables (fixed and generated), functions, userdata, cdata.
rand_value = function(r, depth)
    local k = r(20)
    if k == 1 then
        return nil
    elseif k == 2 then
        return r(2) == 1
    elseif k <= 6 then
        return pick(r, numbers)
    elseif k <= 7 then
        return r(2 ^ 31) - 2 ^ 30
    elseif k <= 12 then
        return pick(r, strings)
    elseif k == 13 then
        local n = r(40)
        local t = {}
        for i = 1, n do
            t[i] = string.char(r(256) - 1)
        end
        return table.concat(t)
    elseif k <= 15 then
        return pick(r, tables)
    elseif k == 16 and depth < 3 then
        local t = {}
        for i = 1, r(4) do
            t[i] = rand_value(r, depth + 1)
        end
        if r(2) == 1 then
            t[pick(r, strings)] = rand_value(r, depth + 1)
        end
        return t
    elseif k <= 18 then
        return rand_function(r, depth)
    end
    return pick(r, misc)
end

-- ---------------------------------------------------------------- targets ---

-- Every function reachable from ngx (and the coroutine table, which OpenResty replaces), found
-- once per VM, sorted by name so a seed means the same calls in every worker.
local targets = {}

local function walk(name, t, seen, depth)
    if seen[t] or depth > 4 then
        return
    end
    seen[t] = true
    local keys = {}
    for k in next, t do
        if type(k) == "string" then
            keys[#keys + 1] = k
        end
    end
    table.sort(keys)
    for _, k in ipairs(keys) do
        local v = rawget(t, k)
        local full = name .. "." .. k
        if type(v) == "function" then
            targets[#targets + 1] = {full, v}
        elseif type(v) == "table" then
            walk(full, v, seen, depth + 1)
        end
    end
    -- Methods of objects (shared dicts): called with the object as self most of the time.
    local mt = getmetatable(t)
    if name:find("^ngx%.shared%.") and type(mt) == "table" and type(mt.__index) == "table" then
        local methods = {}
        for k, v in next, mt.__index do
            if type(k) == "string" and type(v) == "function" then
                methods[#methods + 1] = k
            end
        end
        table.sort(methods)
        for _, k in ipairs(methods) do
            targets[#targets + 1] = {name .. ":" .. k, mt.__index[k], t}
        end
    end
end

walk("ngx", ngx, {}, 0)
walk("coroutine", coroutine, {}, 0)
-- lua-resty-core modules Tycho embeds, which are not reachable from ngx.
walk("ngx_re", require("ngx.re"), {}, 0)
for _, d in pairs(ngx.shared or {}) do
    misc[#misc + 1] = d
end

_M.targets = targets

local var_names = {
    "uri", "args", "arg_a", "arg_seed", "arg_", "http_host", "http_x_fuzz", "cookie_a",
    "request_uri", "request_method", "request_body", "host", "remote_addr", "binary_remote_addr",
    "content_length", "content_type", "status", "scheme", "server_name", "server_port",
    "query_string", "is_args", "document_uri", "request", "limit_rate", "foo", "nonexistent",
    "", "FOO", "Uri", "sent_http_content_type", "upstream_addr", "time_local", "msec",
    "request_time", "connection", "connection_requests", "https", "1", "0", "9",
}

local header_names = {
    "Content-Type", "content_type", "Content-Length", "X-Fuzz", "x_fuzz", "Set-Cookie",
    "Location", "Cache-Control", "Server", "Date", "Connection", "Transfer-Encoding",
    "Last-Modified", "ETag", "Content-Encoding", "", "a\r\nb", "X-Multi", "\0",
}

-- Adjusts arguments that would only make the request wait (ngx.sleep(1e9)) or keep the worker
-- busy forever (ngx.timer.every(0, ...)): the fuzzer looks for crashes, not for slow requests.
local sleep_args = {0, 0.001, 0.003, -1, "0.001", "x", {}, true, nil}

local function fix_args(name, args, r)
    if name == "ngx.sleep" then
        args[1] = sleep_args[r(#sleep_args)]
    elseif name == "ngx.timer.every" then
        if type(args[1]) ~= "number" or args[1] == args[1] and args[1] < 30 then
            args[1] = 30
        end
    elseif name == "ngx.req.set_body_file" and args[1] ~= nil then
        -- A name from the pools could be a file in the server's working directory, which
        -- auto_clean would delete: always a file of the test's own prefix.
        args[1] = ngx.config.prefix() .. "logs/fuzz_body_file"
    elseif name == "ngx.thread.wait" or name == "ngx.req.socket" then
        -- fine as they are: waits end when the light threads (short sleeps) do
    end
end

-- --------------------------------------------------------------- operations ---

-- ?trace=1 logs each call (for replaying one seed by hand; requests interleave otherwise).
local tracing = false

local function describe(v)
    if type(v) == "string" then
        return string.format("%q", #v > 40 and v:sub(1, 40) .. "..." or v)
    end
    return type(v) == "number" and tostring(v) or type(v)
end

local function call_target(r, depth)
    local t = targets[r(#targets)]
    local name, fn = t[1], t[2]
    local n = r(5) - 1
    local args = {}
    for i = 1, n do
        args[i] = rand_value(r, depth)
    end
    fix_args(name, args, r)
    if tracing then
        local d = {}
        for i = 1, n do
            d[i] = describe(args[i])
        end
        ngx.log(ngx.NOTICE, "fuzz call ", name, "(", table.concat(d, ", "), ") depth ", depth)
    end
    if t[3] and r(5) > 1 then
        return pcall(fn, t[3], unpack(args, 1, n))
    end
    return pcall(fn, unpack(args, 1, n))
end

local ops = {
    -- weights: a call of a random target is the common case
    call_target, call_target, call_target, call_target, call_target, call_target, call_target,
    function(r, depth)  -- ngx.var read / write
        local name = var_names[r(#var_names)]
        if r(3) == 1 then
            return pcall(function() ngx.var[name] = rand_value(r, depth) end)
        end
        return pcall(function() return ngx.var[name] end)
    end,
    function(r, depth)  -- ngx.var with a random key type
        local key = rand_value(r, depth)
        return pcall(function() return ngx.var[key] end)
    end,
    function(r, depth)  -- ngx.header read / write / clear
        local name = r(4) == 1 and rand_value(r, depth) or header_names[r(#header_names)]
        local k = r(4)
        if k == 1 then
            return pcall(function() return ngx.header[name] end)
        elseif k == 2 then
            return pcall(function() ngx.header[name] = nil end)
        end
        return pcall(function() ngx.header[name] = rand_value(r, depth) end)
    end,
    function(r, depth)  -- ngx.status
        if r(2) == 1 then
            return pcall(function() return ngx.status end)
        end
        return pcall(function() ngx.status = rand_value(r, depth) end)
    end,
    function(r, depth)  -- ngx.ctx
        local k = r(3)
        if k == 1 then
            return pcall(function() ngx.ctx = rand_value(r, depth) end)
        elseif k == 2 then
            return pcall(function() ngx.ctx[pick(r, strings)] = rand_value(r, depth) end)
        end
        return pcall(function() return ngx.ctx.x end)
    end,
    function(r, depth)  -- ngx.arg (no meaning in a content handler: errors or nil)
        local key = rand_value(r, depth)
        if r(2) == 1 then
            return pcall(function() ngx.arg[key] = rand_value(r, depth) end)
        end
        return pcall(function() return ngx.arg[key] end)
    end,
    function(r, depth)  -- request headers through the table get_headers returns
        return pcall(function()
            local h = ngx.req.get_headers(rand_value(r, depth), rand_value(r, depth))
            local key = rand_value(r, depth)
            return h[key], h.x_fuzz, h["X-FUZZ"]
        end)
    end,
    function(r, depth)  -- random operations inside a user coroutine
        if depth >= 2 then
            return
        end
        local seed = r(2147483646)
        local co = coroutine.create(function(...)
            run_ops(new_rng(seed), 3, depth + 1)
            return ...
        end)
        local ok, a = coroutine.resume(co, rand_value(r, depth))
        while ok and coroutine.status(co) == "suspended" and r(4) > 1 do
            ok, a = coroutine.resume(co, rand_value(r, depth))
        end
        return ok, a
    end,
    function(r, depth)  -- ... and inside coroutine.wrap
        if depth >= 2 then
            return
        end
        local seed = r(2147483646)
        return pcall(coroutine.wrap(function()
            run_ops(new_rng(seed), 3, depth + 1)
        end))
    end,
}

run_ops = function(r, count, depth)
    for _ = 1, count do
        local i = r(#ops)
        if tracing then
            ngx.log(ngx.NOTICE, "fuzz op ", i, " depth ", depth)
        end
        pcall(ops[i], r, depth)
    end
end

function _M.run(seed, trace)
    tracing = trace ~= nil
    local r = new_rng(seed)
    run_ops(r, 1 + r(8), 0)
    pcall(ngx.say, "done ", seed)
end

return _M
