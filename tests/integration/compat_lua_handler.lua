-- The Lua half of test_lua_compat.py: a content handler that makes random calls to the parts of
-- the ngx.* API whose results are deterministic, and prints what each call returned or raised.
-- The test runs the same seeds against Tycho and against OpenResty (Debian's nginx with
-- lua-nginx-module) and compares the responses: any difference is a compatibility bug, or one
-- of the differences docs/ documents (the test lists those).
--
-- _M.run(seed) performs a few operations chosen by a generator seeded by ?seed=, so a difference
-- can be replayed alone on both servers:  curl 'http://127.0.0.1:PORT/c?seed=N'
-- The body is what the operations printed themselves (ngx.say, ngx.print), then one line per
-- operation: its description and its results, or its error message without the "file:line: "
-- prefix (chunk names differ between the two servers; the text does not).

local type = type
local pcall = pcall
local select = select
local tostring = tostring
local concat = table.concat
local sort = table.sort
local fmt = string.format

local _M = {}

local rng = require "test_rng"
local new_rng = rng.new
local pick = rng.pick

-- ---------------------------------------------------------------- values ---

local strings = {
    "", "a", "hello world", "0", "-1", "12", " 12 ", "1e3", "0x10", "nan", "inf", "1.5",
    "\0", "\0a\1\255", "\r\n", "a\r\nX-Injected: 1", "%", "%zz", "%41%42", "%e2%82%ac", "%00",
    "+", "a+b%20c", "a=b&c=d", "a&b=1&a=2&=x&c=", "&&", "=", "a=1&a=2&a=3", "é", "\xff\xfe",
    "<tag attr=\"v\">'q'</tag>", "~!@#$%^&*()_+-={}[]|\\:;\"'<>,.?/ ", "/a/b/../c",
    "Content-Type", "content_type", "X-Foo", "x_foo", "Set-Cookie", "text/html",
    "Thu, 01 Jan 1970 00:00:00 GMT", "Sun, 06 Nov 1994 08:49:37 GMT", "Sunday, 06-Nov-94 08:49:37 GMT",
    "Sun Nov  6 08:49:37 1994", "Mon, 32 Jan 2000 00:00:00 GMT", "aGVsbG8=", "aGVsbG8", "aGVsbG",
    "YQ==", "YQ", "Y", "!!!!", "a b", "Zm9vYmFy", "-_", "SGk=\n", string.rep("x", 300),
    string.rep("%41", 50), "it's", "back\\slash", "\26", "\b\t\n\r\"",
}

local numbers = {
    0, 1, -1, 2, 3, 7, 8, 10, 100, 0.5, 1.5, -0.5, 3.14159, 1e15, 1e16, 123456789012,
    200, 204, 301, 302, 303, 307, 308, 400, 404, 444, 499, 500, 599, 600, 99, 1000, -200,
    1 / 0, -1 / 0, 2 ^ 31, 2 ^ 31 - 1, -2 ^ 31, 2 ^ 32, 2 ^ 53, 2 ^ 63, 1e308, 1e-300,
    784111777, 1290079511, 0.1, 1 / 3,
}

local tables = {
    {}, {1, 2, 3}, {"a", {"b", {"c"}}}, {a = "b"}, {a = {"x", "y"}}, {a = true}, {a = false},
    {[1] = "x", [3] = "z"}, {b = -1}, {["a b"] = "c d"}, {a = ""}, {a = {}},
    {["="] = "&"}, {a = {true, "v"}}, {a = {1, {2}}}, {"x", nil, "z"}, {[true] = 1},
    {[""] = "x"}, {a = ngx.null}, {c = {"3", "4"}}, {a = 1.5},
}
-- (One hash key each: LuaJIT seeds its string hash per process, so the order pairs() visits
-- several keys in differs between the two servers, and so would encode_args' output.)

local function copy(v)
    if type(v) ~= "table" then
        return v
    end
    local t = {}
    for k, x in pairs(v) do
        t[k] = copy(x)
    end
    return t
end

local function rand_value(r)
    local k = r(12)
    if k == 1 then
        return nil
    elseif k == 2 then
        return r(2) == 1
    elseif k <= 5 then
        return pick(r, numbers)
    elseif k <= 9 then
        return pick(r, strings)
    elseif k <= 11 then
        -- a fresh copy: some APIs write into the tables they are given (set_header does)
        return copy(pick(r, tables))
    end
    return ngx.null
end

-- A value that is not a table: tostring() of a table shows its address, which differs.
local function scalar(r)
    local v = rand_value(r)
    if type(v) == "table" then
        return pick(r, strings)
    end
    return v
end

-- Mostly a value of the kind the API wants, sometimes anything.
local function str(r)
    if r(6) == 1 then
        return scalar(r)
    end
    return pick(r, strings)
end

local function num(r)
    if r(6) == 1 then
        return rand_value(r)
    end
    return pick(r, numbers)
end

local function opt(r, gen)
    if r(3) == 1 then
        return nil
    end
    return gen(r)
end

-- --------------------------------------------------------------- printing ---

local ser

local function ser_table(t, depth)
    if depth > 3 then
        return "{...}"
    end
    local keys = {}
    for k in pairs(t) do
        keys[#keys + 1] = k
    end
    sort(keys, function(a, b)
        local ta, tb = type(a), type(b)
        if ta ~= tb then
            return ta < tb
        end
        if ta == "number" or ta == "string" then
            return a < b
        end
        return false
    end)
    local out = {}
    for i = 1, #keys do
        local k = keys[i]
        out[i] = "[" .. ser(k, depth + 1) .. "]=" .. ser(t[k], depth + 1)
    end
    return "{" .. concat(out, ",") .. "}"
end

ser = function(v, depth)
    local t = type(v)
    if t == "string" then
        if #v > 120 then
            return fmt("<%d bytes, md5 %s>", #v, ngx.md5(v))
        end
        return (fmt("%q", v):gsub("\n", "n"):gsub("(%a: )0x%x+", "%1ADDR"))
    elseif t == "number" then
        if v ~= v then
            return "nan"
        end
        return fmt("%.17g", v)
    elseif t == "table" then
        return ser_table(v, depth or 0)
    elseif v == ngx.null then
        return "ngx.null"
    elseif t == "nil" or t == "boolean" then
        return tostring(v)
    end
    return t
end

local function ser_args(...)
    local out = {}
    for i = 1, select("#", ...) do
        out[i] = ser((select(i, ...)))
    end
    return concat(out, ", ")
end

-- "ok r1, r2" or "error <message>"; the position prefix is not compared, nor the name of the
-- FFI function whose argument LuaJIT could not convert (lua-resty-core's functions take the
-- request as argument #1, Tycho's find it themselves: docs/api/README.md).
local function outcome(ok, ...)
    if not ok then
        local msg = ...
        if type(msg) == "string" then
            msg = msg:gsub("^[^\n]-:%d+: ", "")
                     :gsub("^bad argument #%d+ to '[%w_]*ffi_[%w_]+' %(cannot convert",
                           "bad argument to an FFI function (cannot convert")
        end
        return "error " .. ser(msg)
    end
    return "ok " .. ser_args(...)
end

-- --------------------------------------------------------------- operations ---

local var_names = {
    "uri", "args", "arg_a", "arg_b", "arg_seed", "arg_", "arg_A", "http_host", "http_x_foo",
    "http_x_compat", "cookie_a", "cookie_b", "request_uri", "request_method", "host",
    "remote_addr", "content_length", "content_type", "scheme", "server_name",
    "query_string", "is_args", "document_uri", "request", "server_protocol", "foo",
    "nonexistent", "FOO", "Uri", "https", "1", "0", "request_body", "http_cookie",
}

local header_names = {
    "Content-Type", "content_type", "Content-Length", "X-Foo", "x_foo", "X-Multi", "Set-Cookie",
    "Location", "Cache-Control", "Last-Modified", "ETag", "Content-Encoding", "Link",
    "Content-Disposition", "X-Empty", "A", "a-b_c",
}

-- Header names for the "header set" operation's random picks: strings only, not empty (known
-- difference: OpenResty ignores ngx.header[""] = v, Tycho sets it) and not digits alone
-- (OpenResty's get_headers misses a request header called "12"; not investigated further).
local function header_name(r, names)
    if r(6) == 1 then
        local v = scalar(r)
        if type(v) == "string" and v ~= "" and not v:find("^%d+$") then
            return v
        end
    end
    return pick(r, names)
end

-- (not Content-Length: a larger one than the client sent makes read_body wait for the bytes, in
-- both servers; tests/spec/lua/req_body.t and openresty_parity.t cover it)
local req_header_names = {
    "X-Compat", "x_compat", "x-compat", "Host", "User-Agent", "Cookie", "Content-Type",
    "X-New", "Accept", "If-None-Match", "Connection", "X-Empty",
}

-- (not HEAD: a response that turns header-only after its header went out leaves the client
-- waiting for a body, in both servers)
local http_methods = {
    ngx.HTTP_GET, ngx.HTTP_PUT, ngx.HTTP_POST, ngx.HTTP_DELETE, ngx.HTTP_OPTIONS,
    ngx.HTTP_MKCOL, ngx.HTTP_COPY, ngx.HTTP_MOVE, ngx.HTTP_PROPFIND, ngx.HTTP_PROPPATCH,
    ngx.HTTP_LOCK, ngx.HTTP_UNLOCK, ngx.HTTP_PATCH, ngx.HTTP_TRACE, 0, 3, 12345, -1,
}

local esc_types = {0, 1, 2, 3, 4, 5, 6, 7, -1, 8, 2.5}

-- Each operation: name, and a function(r) returning a description and the call to protect.
local ops = {}

local function op(name, weight, fn)
    for _ = 1, weight do
        ops[#ops + 1] = {name, fn}
    end
end

local function call1(fname, f, ...)
    local n = select("#", ...)
    local args = {...}
    return fname .. "(" .. ser_args(...) .. ")", function()
        return f(unpack(args, 1, n))
    end
end

op("escape_uri", 3, function(r)
    if r(2) == 1 then
        return call1("ngx.escape_uri", ngx.escape_uri, str(r))
    end
    return call1("ngx.escape_uri", ngx.escape_uri, str(r), pick(r, esc_types))
end)
op("unescape_uri", 3, function(r) return call1("ngx.unescape_uri", ngx.unescape_uri, str(r)) end)
op("encode_args", 3, function(r)
    local t = r(5) == 1 and rand_value(r) or copy(pick(r, tables))
    return call1("ngx.encode_args", ngx.encode_args, t)
end)
op("decode_args", 3, function(r)
    return call1("ngx.decode_args", ngx.decode_args, str(r), opt(r, num))
end)
op("encode_base64", 2, function(r)
    return call1("ngx.encode_base64", ngx.encode_base64, str(r), opt(r, rand_value))
end)
op("decode_base64", 2, function(r) return call1("ngx.decode_base64", ngx.decode_base64, str(r)) end)
op("digests", 3, function(r)
    local k = r(6)
    if k == 1 then
        return call1("ngx.md5", ngx.md5, scalar(r))
    elseif k == 2 then
        return call1("ngx.md5_bin", ngx.md5_bin, scalar(r))
    elseif k == 3 then
        return call1("ngx.sha1_bin", ngx.sha1_bin, scalar(r))
    elseif k == 4 then
        return call1("ngx.hmac_sha1", ngx.hmac_sha1, scalar(r), scalar(r))
    elseif k == 5 then
        return call1("ngx.crc32_short", ngx.crc32_short, scalar(r))
    end
    return call1("ngx.crc32_long", ngx.crc32_long, scalar(r))
end)
op("quote_sql_str", 2, function(r) return call1("ngx.quote_sql_str", ngx.quote_sql_str, str(r)) end)
op("time formats", 3, function(r)
    local k = r(3)
    if k == 1 then
        return call1("ngx.http_time", ngx.http_time, num(r))
    elseif k == 2 then
        return call1("ngx.cookie_time", ngx.cookie_time, num(r))
    end
    return call1("ngx.parse_http_time", ngx.parse_http_time, str(r))
end)
op("get_uri_args", 2, function(r)
    return call1("ngx.req.get_uri_args", ngx.req.get_uri_args, opt(r, num))
end)
op("set_uri_args", 2, function(r)
    local v = r(2) == 1 and str(r) or (r(4) == 1 and rand_value(r) or copy(pick(r, tables)))
    return "ngx.req.set_uri_args(" .. ser(v) .. ") then args, arg_a", function()
        ngx.req.set_uri_args(v)
        return ngx.var.args, ngx.var.arg_a, ngx.req.get_uri_args()
    end
end)
op("get_headers", 2, function(r)
    local max, raw = opt(r, num), r(3) == 1 and true or nil
    local name = pick(r, req_header_names)
    return "ngx.req.get_headers(" .. ser_args(max, raw) .. ") and [" .. ser(name) .. "]",
        function()
            local h, err = ngx.req.get_headers(max, raw)
            return h, err, h[name]
        end
end)
op("set_header", 3, function(r)
    local name = header_name(r, req_header_names)
    local value = r(4) == 1 and rand_value(r) or str(r)
    return "ngx.req.set_header(" .. ser_args(name, value) .. ") then get_headers",
        function()
            ngx.req.set_header(name, value)
            local h = ngx.req.get_headers()
            return h[name], ngx.var.http_x_compat, ngx.var.http_host, ngx.var.http_cookie
        end
end)
op("clear_header", 1, function(r)
    local name = header_name(r, req_header_names)
    return "ngx.req.clear_header(" .. ser(name) .. ") then get_headers", function()
        ngx.req.clear_header(name)
        return ngx.req.get_headers()
    end
end)
op("method", 2, function(r)
    local m = r(5) == 1 and rand_value(r) or pick(r, http_methods)
    return "ngx.req.set_method(" .. ser(m) .. ") then get_method", function()
        local before = ngx.req.get_method()
        ngx.req.set_method(m)
        return before, ngx.req.get_method(), ngx.var.request_method
    end
end)
op("req misc", 2, function(r)
    local k = r(4)
    if k == 1 then
        return call1("ngx.req.http_version", ngx.req.http_version)
    elseif k == 2 then
        return call1("ngx.req.is_internal", ngx.req.is_internal)
    elseif k == 3 then
        return call1("ngx.req.raw_header", ngx.req.raw_header, opt(r, rand_value))
    end
    return "type(ngx.req.start_time())", function() return type(ngx.req.start_time()) end
end)
op("set_uri", 2, function(r)
    local uri = r(4) == 1 and rand_value(r) or pick(r, {"/a", "/a b", "/x?y", "", "/%41", "a", "/é"})
    local jump = r(4) == 1 and rand_value(r) or nil
    return "ngx.req.set_uri(" .. ser_args(uri, jump) .. ") then uri", function()
        ngx.req.set_uri(uri, jump)
        return ngx.var.uri, ngx.var.request_uri
    end
end)
op("var read", 4, function(r)
    local name = r(8) == 1 and rand_value(r) or pick(r, var_names)
    return "ngx.var[" .. ser(name) .. "]", function() return ngx.var[name] end
end)
op("var write", 2, function(r)
    local name = r(6) == 1 and rand_value(r) or pick(r, var_names)
    local value = r(4) == 1 and rand_value(r) or str(r)
    return "ngx.var[" .. ser(name) .. "] = " .. ser(value), function()
        ngx.var[name] = value
        return ngx.var[name]
    end
end)
op("header set", 4, function(r)
    local name = header_name(r, header_names)
    local value
    local k = r(6)
    if k == 1 then
        value = rand_value(r)
    elseif k == 2 then
        value = {str(r), str(r)}
    else
        value = str(r)
    end
    if type(value) == "table" and type(name) == "string" and name:lower() == "location" then
        value = value[1]  -- (known difference: nginx sends every value of Location, Tycho one)
    end
    return "ngx.header[" .. ser(name) .. "] = " .. ser(value), function()
        ngx.header[name] = value
        return ngx.header[name]
    end
end)
op("header get", 1, function(r)
    local name = r(6) == 1 and rand_value(r) or pick(r, header_names)
    return "ngx.header[" .. ser(name) .. "]", function() return ngx.header[name] end
end)
-- (not raw: a Content-Length set with ngx.header keeps its spelling there in nginx only)
op("resp headers", 1, function(r)
    local max = pick(r, {false, 0, 1, 2, 4, 100, "x"})
    if max == false then
        max = nil
    end
    return "ngx.resp.get_headers(" .. ser(max) .. ")", function()
        return ngx.resp.get_headers(max)
    end
end)
-- Statuses nginx can write: OpenResty stores any int, and writes a 100-continue, a 2^31 or a
-- negative number as garbage or as a response the client waits on forever (and Tycho sends a
-- status below 100 at once, unbuffered).
local status_values = {0, 200, 201, 204, 206, 301, 302, 304, 400, 404, 444, 499, 500, 503,
                       599, 600, 999, 200.5, "200", "404", "abc", "", true, {}, ngx.null}

op("status", 2, function(r)
    local v = r(8) == 1 and nil or pick(r, status_values)
    if v == 0 and ngx.get_phase() == "header_filter" then
        v = 200  -- (OpenResty then writes a status line the client cannot parse)
    end
    return "ngx.status = " .. ser(v), function()
        ngx.status = v
        return ngx.status
    end
end)
op("output", 3, function(r)
    local f = r(2) == 1 and "ngx.say" or "ngx.print"
    local n = r(3)
    local args = {}
    for i = 1, n do
        args[i] = r(3) == 1 and rand_value(r) or str(r)
    end
    return call1(f, f == "ngx.say" and ngx.say or ngx.print, unpack(args, 1, n))
end)
op("misc", 2, function(r)
    local k = r(8)
    if k == 1 then
        return call1("ngx.get_phase", ngx.get_phase)
    elseif k == 2 then
        return "ngx.headers_sent", function() return ngx.headers_sent end
    elseif k == 3 then
        return "ngx.is_subrequest", function() return ngx.is_subrequest end
    elseif k == 4 then
        -- (not ngx.config.debug: Debian builds nginx --with-debug, Tycho has no such build)
        return "ngx.config", function()
            return ngx.config.subsystem, ngx.config.ngx_lua_version, ngx.config.nginx_version,
                type(ngx.config.debug)
        end
    elseif k == 5 then
        return "ngx.worker", function()
            return ngx.worker.count(), ngx.worker.id(), ngx.worker.exiting()
        end
    elseif k == 6 then
        return "ngx.null", function()
            return tostring(ngx.null), type(ngx.null), ngx.null == ngx.null
        end
    elseif k == 7 then
        return "time types", function()
            return type(ngx.time()), type(ngx.now()), #ngx.today(), #ngx.localtime(),
                #ngx.utctime(), #ngx.http_time(ngx.time())
        end
    end
    return "constants", function()
        return ngx.OK, ngx.ERROR, ngx.AGAIN, ngx.DONE, ngx.DECLINED, ngx.HTTP_OK,
            ngx.HTTP_NOT_FOUND, ngx.HTTP_INTERNAL_SERVER_ERROR, ngx.HTTP_GET, ngx.HTTP_PATCH,
            ngx.DEBUG, ngx.STDERR, ngx.HTTP_CONTINUE, ngx.HTTP_SWITCHING_PROTOCOLS,
            ngx.HTTP_TOO_MANY_REQUESTS, ngx.HTTP_GATEWAY_TIMEOUT, ngx.HTTP_VERSION_NOT_SUPPORTED,
            ngx.HTTP_INSUFFICIENT_STORAGE, ngx.HTTP_TRACE
    end
end)
op("log", 1, function(r)
    local level = r(4) == 1 and rand_value(r) or pick(r, {ngx.ERR, ngx.WARN, ngx.NOTICE, ngx.INFO})
    local v = rand_value(r)
    return call1("ngx.log", ngx.log, level, "compat ", v)
end)
op("shdict", 4, function(r)
    local d = ngx.shared.compat
    local key = r(8) == 1 and rand_value(r) or ("k" .. r(4))
    local value = r(3) == 1 and rand_value(r) or pick(r, {1, 2.5, "v", "", true, false, -3})
    local k = r(12)
    local prefix = "s" .. _M.seed .. ":"
    if type(key) == "string" then
        key = prefix .. key
    end
    local name, f, a
    if k == 1 then
        name, f, a = "set", d.set, {key, value, opt(r, num), opt(r, num)}
    elseif k == 2 then
        name, f, a = "add", d.add, {key, value}
    elseif k == 3 then
        name, f, a = "replace", d.replace, {key, value}
    elseif k == 4 then
        name, f, a = "get", d.get, {key}
    elseif k == 5 then
        name, f, a = "incr", d.incr, {key, num(r), opt(r, num)}
    elseif k == 6 then
        name, f, a = "delete", d.delete, {key}
    elseif k == 7 then
        name, f, a = "safe_set", d.safe_set, {key, value}
    elseif k == 8 then
        name, f, a = "lpush", d.lpush, {key, value}
    elseif k == 9 then
        name, f, a = "rpop", d.rpop, {key}
    elseif k == 10 then
        name, f, a = "llen", d.llen, {key}
    elseif k == 11 then
        name, f, a = "get_stale", d.get_stale, {key}
    else
        name, f, a = "safe_add", d.safe_add, {key, value, nil, opt(r, num)}
    end
    local self = r(10) == 1 and rand_value(r) or d
    local desc = "dict:" .. name .. "(" .. ser_args(unpack(a, 1, 4)):gsub(prefix, "") .. ")"
    if self ~= d then
        desc = desc .. " self=" .. ser(self)
    end
    return desc, function()
        -- get_stale's third result says whether the value expired: a race with the clock.
        local r1, r2, r3 = f(self, unpack(a, 1, 4))
        return r1, r2, name ~= "get_stale" and r3 or nil
    end
end)
op("semaphore", 2, function(r)
    local semaphore = require "ngx.semaphore"
    local k = r(4)
    local n = r(3) == 1 and rand_value(r) or pick(r, {0, 1, 2, 5, -1, 0.5, 1e10})
    if k == 1 then
        return "semaphore.new(" .. ser(n) .. ")", function()
            local s, err = semaphore.new(n)
            if not s then
                return s, err
            end
            return s:count()
        end
    elseif k == 2 then
        return "semaphore.new(1):post(" .. ser(n) .. ")", function()
            local s = semaphore.new(1)
            local ok, err = s:post(n)
            return ok, err, s:count()
        end
    end
    return "semaphore.new(" .. ser(n) .. "):wait(0)", function()
        local s = semaphore.new(1)
        local ok, err = s:wait(n)
        return ok, err, s:count()
    end
end)
op("timer args", 1, function(r)
    local delay = r(3) == 1 and rand_value(r) or pick(r, {0, 0.001, -1, "0", 1e10})
    local cb = r(3) == 1 and rand_value(r) or function() end
    local d = tonumber(delay)
    if d ~= d then
        delay = 0  -- a NaN delay raises in Tycho on purpose (docs/api/timer.md)
    end
    return "ngx.timer.at(" .. ser(delay) .. ", " .. ser(cb) .. ")", function()
        local ok, err = ngx.timer.at(delay, cb)
        return not not ok, err
    end
end)
op("thread", 2, function(r)
    local k = r(3)
    if k == 1 then
        local v = rand_value(r)
        return "spawn+wait returning " .. ser(v), function()
            local t = ngx.thread.spawn(function(x) ngx.sleep(0) return x, "two" end, v)
            return ngx.thread.wait(t)
        end
    elseif k == 2 then
        local v = rand_value(r)
        return "ngx.thread.wait(" .. ser(v) .. ")", function() return ngx.thread.wait(v) end
    end
    local v = rand_value(r)
    return "ngx.thread.kill(" .. ser(v) .. ")", function() return ngx.thread.kill(v) end
end)
op("sleep args", 1, function(r)
    local v = r(2) == 1 and rand_value(r) or pick(r, {0, 0.001, -1, "0", "x"})
    if type(v) == "number" and v > 0.01 then
        v = 0.001
    end
    return call1("ngx.sleep", ngx.sleep, v)
end)
op("coroutine", 1, function(r)
    local v = rand_value(r)
    return "coroutine.wrap with sleep yielding " .. ser(v), function()
        local co = coroutine.wrap(function(a)
            ngx.sleep(0)
            local b = coroutine.yield(a)
            return b, coroutine.status(coroutine.running())
        end)
        local x = co(v)
        return x, co("b")
    end
end)
op("ctx", 1, function(r)
    local v = rand_value(r)
    return "ngx.ctx.k = " .. ser(v), function()
        ngx.ctx.k = v
        return ngx.ctx.k
    end
end)
op("body", 1, function(r)
    local k = r(6)
    -- (not after discard_body, see below; nor in the filters and log_by_lua, where whether
    -- nginx has begun discarding an unread body by then is its own business)
    local phase = ngx.get_phase()
    if (_M.discarded or phase == "header_filter" or phase == "body_filter" or phase == "log")
            and (k >= 2 and k <= 5) then
        return "get_post_args or a body rewrite (not compared here)", function() end
    end
    if k == 1 then
        return "read_body, get_body_data", function()
            ngx.req.read_body()
            return ngx.req.get_body_data(), ngx.req.get_body_file()
        end
    elseif k == 2 then
        local max = opt(r, num)
        return "read_body, get_post_args(" .. ser(max) .. ")", function()
            ngx.req.read_body()
            return ngx.req.get_post_args(max)
        end
    elseif k == 3 then
        return "get_post_args without read_body", function() return ngx.req.get_post_args() end
    elseif k == 4 then
        local v = rand_value(r)
        return "set_body_data(" .. ser(v) .. ")", function()
            ngx.req.set_body_data(v)
            return ngx.req.get_body_data(), ngx.req.get_headers()["content-length"]
        end
    elseif k == 5 then
        -- (small sizes: nginx allocates the whole buffer at once)
        local size, a, b = pick(r, {nil, 0, 1, 3, 100, -1, "2"}), rand_value(r), rand_value(r)
        return "init_body(" .. ser(size) .. "), append_body(" .. ser(a) .. "), append_body("
               .. ser(b) .. "), finish_body", function()
            ngx.req.init_body(size)
            ngx.req.append_body(a)
            ngx.req.append_body(b)
            ngx.req.finish_body()
            return ngx.req.get_body_data(), ngx.req.get_headers()["content-length"]
        end
    end
    -- (then the request's body is gone: nothing reads it again. Known difference: after
    -- discard_body, get_post_args returns {} in Tycho; OpenResty raises "no request body
    -- found" when the body had arrived whole with the header)
    return "discard_body", function()
        _M.discarded = true
        ngx.req.discard_body()
        return ngx.req.get_body_data()
    end
end)

-- How the handler ends: returning, or one of the calls that finish the request.
local function finish(r, lines)
    local k = r(14)
    -- (ngx.DECLINED in a content handler hands the request to nginx's static module: not a
    -- Lua behaviour, and Tycho has no module after the Lua content handler to decline to.)
    local status = pick(r, {200, 201, 204, 301, 302, 400, 403, 404, 444, 499, 500, 503, 0,
                            ngx.OK, ngx.ERROR, 600, 408, 202, 206})
    -- (after output, OpenResty leaves a 204's chunked body unterminated: the client hangs)
    if status == 204 and ngx.headers_sent then
        status = 200
    end
    -- What ran, for replaying a seed whose response does not show it (exit, exec, redirect).
    ngx.log(ngx.INFO, "compat ", concat(lines, " | "), " | finish ", k, " ", status)
    if k == 1 then
        -- (after output, OpenResty leaves a 204's chunked body unterminated: the client hangs)
        if status == 204 then
            status = 200
        end
        lines[#lines + 1] = "exit " .. ser(status)
        ngx.say(concat(lines, "\n"))
        return ngx.exit(status)
    elseif k == 2 then
        -- before any output: the status page is the response
        return ngx.exit(status)
    elseif k == 3 then
        -- (not "": nginx then sends an empty Location line, Tycho none)
        local uri = pick(r, {"/x", "http://example.com/a?b", "/é", "a\r\nb"})
        local st = pick(r, {301, 302, 303, 307, 308, 200, 404, nil})
        local ok, err = pcall(ngx.redirect, uri, st)
        lines[#lines + 1] = "redirect " .. ser_args(uri, st) .. " " .. outcome(ok, err)
        if not ok then
            ngx.say(concat(lines, "\n"))
        end
        return
    elseif k == 4 then
        return ngx.exec(pick(r, {"/named_target", "@named", "/named_target?x=1"}),
                        r(2) == 1 and copy(pick(r, tables)) or nil)
    end
    lines[#lines + 1] = "end"
    local ok, err = pcall(ngx.say, concat(lines, "\n"))
    if not ok then
        ngx.log(ngx.ERR, "compat: final say failed: ", err)
    end
end

-- The operations for `seed`, each run protected: the lines describing them.
local function run_ops(seed, r)
    _M.seed = seed
    _M.discarded = false
    local lines = {"seed " .. seed}
    for i = 1, r(8) do
        local o = pick(r, ops)
        local desc, f = o[2](r)
        lines[#lines + 1] = i .. " " .. desc .. " -> " .. outcome(pcall(f))
    end
    return lines
end

-- A content handler: the operations, then a random way to end the request.
function _M.run(seed)
    local r = new_rng(seed)
    return finish(r, run_ops(seed, r))
end

-- What a log handler or a timer stored under `key` in the shared dict, waiting for it a while.
function _M.fetch(key)
    local d = ngx.shared.compat
    for _ = 1, 500 do
        local v = d:get(key)
        if v then
            return v
        end
        ngx.sleep(0.002)
    end
    return "nothing stored under " .. key
end

-- The operations in another phase or context (which APIs work there, and their errors): the
-- lines as one string, for the test's locations to carry to the response.
function _M.collect(seed)
    return concat(run_ops(seed, new_rng(seed)), "\n")
end

return _M
