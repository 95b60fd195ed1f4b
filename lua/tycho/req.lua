-- The Lua half of ngx.req (C half: src/lua/api_req.cpp), shaped as lua-resty-core 0.1.25's
-- resty.core.request and the ngx.req.is_internal of resty.core.misc: the hot getters are FFI
-- calls that fill caller-owned arrays (so a loop over them JIT-compiles), with OpenResty's
-- argument errors and error levels. The C side finds the request through the worker's current
-- context, so no request pointer crosses the FFI. Returns a table of functions that inject_req
-- copies into ngx.req.

local ffi = require "ffi"

local C = ffi.C
local ffi_cast = ffi.cast
local ffi_new = ffi.new
local ffi_string = ffi.string
local ffi_sizeof = ffi.sizeof
local type = type
local error = error
local tostring = tostring
local tonumber = tonumber
local rawget = rawget
local setmetatable = setmetatable
local lower = string.lower
local str_gsub = string.gsub
local new_tab = require "table.new"
local clear_tab = require "table.clear"

ffi.cdef[[
typedef struct {
    const unsigned char *data;
    int len;
} tycho_ffi_req_str_t;

typedef struct {
    tycho_ffi_req_str_t key;
    tycho_ffi_req_str_t value;
} tycho_ffi_req_elt_t;

int tycho_ffi_req_status(void);
int tycho_ffi_req_get_headers_count(int max, int *truncated);
int tycho_ffi_req_get_headers(tycho_ffi_req_elt_t *out, int count, int raw);
const char *tycho_ffi_req_known_header(int i);
size_t tycho_ffi_req_header_key(const unsigned char *key, size_t len, unsigned char *out);
int tycho_ffi_req_get_uri_args_count(int max, int *truncated);
size_t tycho_ffi_req_get_querystring_len(void);
int tycho_ffi_req_get_uri_args(unsigned char *buf, tycho_ffi_req_elt_t *out, int count);
int tycho_ffi_req_get_method_name(const unsigned char **name, size_t *len);
int tycho_ffi_req_set_method(int method);
int tycho_ffi_req_set_header(const unsigned char *key, size_t key_len,
                             const unsigned char *value, size_t value_len,
                             const tycho_ffi_req_str_t *mvals, size_t mvals_len, int override,
                             const char **errmsg);
double tycho_ffi_req_start_time(void);
int tycho_ffi_req_is_internal(void);
]]

-- Result codes, mirrored once from src/lua/api_req.cpp (lua-resty-core's values).
local FFI_OK = 0
local FFI_DECLINED = -5
local FFI_NO_REQUEST = -100
local FFI_BAD_CONTEXT = -101

local _M = {}

-- One scratch buffer per VM (one VM per worker thread), grown on demand up to kMaxCached;
-- larger requests get a one-off buffer so a single huge call does not pin memory.
local kMaxCached = 64 * 1024
local buf_size = 4096
local str_buf = ffi_new("unsigned char[?]", buf_size)

local function get_string_buf(size)
    if size <= buf_size then
        return str_buf
    end
    if size > kMaxCached then
        return ffi_new("unsigned char[?]", size)
    end
    buf_size = size
    str_buf = ffi_new("unsigned char[?]", size)
    return str_buf
end

local elt_ptr_type = ffi.typeof("tycho_ffi_req_elt_t*")
local elt_size = ffi_sizeof("tycho_ffi_req_elt_t")
local str_ptr_type = ffi.typeof("tycho_ffi_req_str_t*")
local str_size = ffi_sizeof("tycho_ffi_req_str_t")
local truncated = ffi_new("int[1]")
local namep = ffi_new("const unsigned char *[1]")
local sizep = ffi_new("size_t[1]")
local errmsg = ffi_new("const char *[1]")

-- Header tables look keys up case-insensitively with '_' for '-' (h.user_agent), as OpenResty's
-- headers metatable does; only misses reach __index. Programs look up the same few spellings
-- (h["User-Agent"]) on every request: their normal forms are remembered, so a repeated miss is
-- two table lookups instead of an FFI call and a new string (the cache is dropped when full, so
-- keys built from request data cannot grow it without bound).
local kMaxKeyCache = 256
local key_cache = new_tab(0, 32)
local key_cache_n = 0

local req_headers_mt = {
    __index = function(tb, key)
        local norm = key_cache[key]
        if norm == nil then
            if type(key) ~= "string" then
                return rawget(tb, (str_gsub(lower(key), "_", "-")))
            end
            local n = #key
            local buf = get_string_buf(n)
            n = C.tycho_ffi_req_header_key(key, n, buf)
            norm = ffi_string(buf, n)
            if key_cache_n >= kMaxKeyCache then
                clear_tab(key_cache)
                key_cache_n = 0
            end
            key_cache[key] = norm
            key_cache_n = key_cache_n + 1
        end
        return rawget(tb, norm)
    end
}

-- ngx.resp.get_headers (src/lua/api_req.cpp) gives its tables this metatable too.
_M.headers_mt = req_headers_mt

-- The names get_headers may pass by index (a NULL key whose len is the index).
local known_headers = {}
do
    local i = 1
    while true do
        local name = C.tycho_ffi_req_known_header(i)
        if name == nil then
            break
        end
        known_headers[i] = ffi_string(name)
        i = i + 1
    end
end

function _M.get_headers(max_headers, raw)
    if not max_headers then
        max_headers = -1
    end
    raw = raw and 1 or 0
    local n = C.tycho_ffi_req_get_headers_count(max_headers, truncated)
    if n < 0 then
        if n == FFI_NO_REQUEST then
            error("no request found")
        end
        error("API disabled in the current context", 2)
    end
    if n == 0 then
        local headers = {}
        if raw == 0 then
            headers = setmetatable(headers, req_headers_mt)
        end
        return headers
    end
    local out = ffi_cast(elt_ptr_type, get_string_buf(n * elt_size))
    C.tycho_ffi_req_get_headers(out, n, raw)
    local headers = new_tab(0, n)
    for i = 0, n - 1 do
        local h = out[i]
        local key
        if h.key.data == nil then
            key = known_headers[h.key.len]
        else
            key = ffi_string(h.key.data, h.key.len)
        end
        local value = ffi_string(h.value.data, h.value.len)
        local existing = headers[key]
        if existing then
            if type(existing) == "table" then
                existing[#existing + 1] = value
            else
                headers[key] = {existing, value}
            end
        else
            headers[key] = value
        end
    end
    if raw == 0 then
        headers = setmetatable(headers, req_headers_mt)
    end
    if truncated[0] ~= 0 then
        return headers, "truncated"
    end
    return headers
end

function _M.get_uri_args(max_args, tab)
    if not max_args then
        max_args = -1
    end
    if tab then
        clear_tab(tab)
    end
    local n = C.tycho_ffi_req_get_uri_args_count(max_args, truncated)
    if n < 0 then
        if n == FFI_NO_REQUEST then
            error("no request found")
        end
        error("API disabled in the current context", 2)
    end
    if n == 0 then
        return tab or {}
    end
    -- The query string is unescaped into the front of the buffer, the pairs after it (aligned).
    local args_len = tonumber(C.tycho_ffi_req_get_querystring_len())
    local kv_off = args_len + 7 - (args_len + 7) % 8
    local strbuf = get_string_buf(kv_off + n * elt_size)
    local kv = ffi_cast(elt_ptr_type, strbuf + kv_off)
    local nargs = C.tycho_ffi_req_get_uri_args(strbuf, kv, n)
    local args = tab or new_tab(0, nargs)
    for i = 0, nargs - 1 do
        local arg = kv[i]
        local key = ffi_string(arg.key.data, arg.key.len)
        local len = arg.value.len
        local value
        if len == -1 then
            value = true
        else
            value = ffi_string(arg.value.data, len)
        end
        local existing = args[key]
        if existing then
            if type(existing) == "table" then
                existing[#existing + 1] = value
            else
                args[key] = {existing, value}
            end
        else
            args[key] = value
        end
    end
    if truncated[0] ~= 0 then
        return args, "truncated"
    end
    return args
end

function _M.get_method()
    local rc = C.tycho_ffi_req_get_method_name(namep, sizep)
    if rc ~= FFI_OK then
        if rc == FFI_NO_REQUEST then
            error("no request found")
        end
        error("API disabled in the current context", 2)
    end
    return ffi_string(namep[0], sizep[0])
end

function _M.set_method(method)
    if type(method) ~= "number" then
        -- lua-resty-core looks the request up before it checks the argument.
        if C.tycho_ffi_req_status() == FFI_NO_REQUEST then
            error("no request found")
        end
        error("bad method number", 2)
    end
    local rc = C.tycho_ffi_req_set_method(method)
    if rc == FFI_OK then
        return
    end
    if rc == FFI_NO_REQUEST then
        error("no request found")
    end
    if rc == FFI_BAD_CONTEXT then
        error("API disabled in the current context", 2)
    end
    if rc == FFI_DECLINED then
        error("unsupported HTTP method: " .. method, 2)
    end
    error("unknown error: " .. rc)
end

-- ngx.req.set_header and ngx.req.clear_header; `override` false appends (ngx.req.add_header).
-- Errors are raised at level 3: the caller of the public function.
local function set_req_header(name, value, override)
    if C.tycho_ffi_req_status() == FFI_NO_REQUEST then
        error("no request found", 3)
    end
    if name == nil then
        error("bad 'name' argument: string expected, got nil", 3)
    end
    if type(name) ~= "string" then
        name = tostring(name)
    end
    local rc
    if value == nil then
        if not override then
            error("bad 'value' argument: string or table expected, got nil", 3)
        end
        rc = C.tycho_ffi_req_set_header(name, #name, nil, 0, nil, 0, 1, errmsg)
    else
        local sval, sval_len, mvals, mvals_len
        if type(value) == "table" then
            mvals_len = #value
            if mvals_len == 0 and not override then
                error("bad 'value' argument: non-empty table expected", 3)
            end
            mvals = ffi_cast(str_ptr_type, get_string_buf(str_size * mvals_len))
            for i = 1, mvals_len do
                local s = value[i]
                if type(s) ~= "string" then
                    s = tostring(s)
                    value[i] = s  -- keeps the string alive while C reads it
                end
                local str = mvals[i - 1]
                str.data = s
                str.len = #s
            end
            sval_len = 0
        else
            sval = type(value) == "string" and value or tostring(value)
            sval_len = #sval
            mvals_len = 0
        end
        rc = C.tycho_ffi_req_set_header(name, #name, sval, sval_len, mvals, mvals_len,
                                        override and 1 or 0, errmsg)
    end
    if rc == FFI_OK or rc == FFI_DECLINED then
        return
    end
    if rc == FFI_BAD_CONTEXT then
        error("API disabled in the current context", 3)
    end
    error(ffi_string(errmsg[0]))
end

_M.set_req_header = set_req_header

function _M.set_header(name, value)
    set_req_header(name, value, true)
end

function _M.clear_header(name)
    if C.tycho_ffi_req_status() == FFI_NO_REQUEST then
        error("no request found")
    end
    if type(name) ~= "string" then
        name = tostring(name)
    end
    local rc = C.tycho_ffi_req_set_header(name, #name, nil, 0, nil, 0, 1, errmsg)
    if rc == FFI_OK or rc == FFI_DECLINED then
        return
    end
    if rc == FFI_BAD_CONTEXT then
        error("API disabled in the current context", 2)
    end
    error(ffi_string(errmsg[0]))
end

function _M.start_time()
    local t = C.tycho_ffi_req_start_time()
    if t < 0 then
        error("no request found")
    end
    return tonumber(t)
end

function _M.is_internal()
    local rc = C.tycho_ffi_req_is_internal()
    if rc == FFI_NO_REQUEST then
        error("no request found")
    end
    if rc == FFI_BAD_CONTEXT then
        error("API disabled in the current context")
    end
    return rc == 1
end

return _M
