-- The Lua half of ngx.header (C half: src/lua/api_header.cpp), shaped as lua-resty-core's
-- resty.core.response: __index / __newindex are Lua functions over FFI, so header reads and
-- writes JIT-compile. Returns { header = the table inject_header stores as ngx.header,
-- set_resp_header = its setter with lua-resty-core's no_override flag, for ngx.resp }.

local ffi = require "ffi"
local new_tab = require "table.new"

local C = ffi.C
local ffi_new = ffi.new
local ffi_string = ffi.string
local type = type
local error = error
local tostring = tostring
local setmetatable = setmetatable

ffi.cdef[[
typedef struct {
    const char *data;
    size_t len;
} tycho_ffi_str_t;

int tycho_ffi_header_set(const char *key, size_t key_len, int mode, const char *sval,
                         size_t sval_len, const tycho_ffi_str_t *mvals, size_t mvals_len,
                         unsigned char *err, size_t *err_len, double num);
int tycho_ffi_header_get(const char *key, size_t key_len, tycho_ffi_str_t *values,
                         int max_values, unsigned char *err, size_t *err_len);
]]

-- Result codes and modes shared with the C half (api_header.cpp).
local kDeclined = -5
local kNotInteger = -6
local kNoRequest = -100
local kModeString = 0
local kModeTable = 1
local kModeNil = 2
local kModeNumber = 3
local kModeAppend = 16  -- or'ed in: add the values to the header's (ngx.resp.add_header)

local kMaxValues = 100   -- lua-resty-core's MAX_HEADER_VALUES
local kErrSize = 256
local kSmallTable = 16

local values = ffi_new("tycho_ffi_str_t[?]", kMaxValues)
local mvals_small = ffi_new("tycho_ffi_str_t[?]", kSmallTable)
local err_buf = ffi_new("unsigned char[?]", kErrSize)
local err_len = ffi_new("size_t[1]")

-- ngx.header's __newindex, and with `no_override` ngx.resp.add_header, which adds the values
-- to those the header has: resty.core.response's set_resp_header, frame for frame, so that
-- errors name the same callers.
local function set_resp_header(tb, key, value, no_override)
    if type(key) ~= "string" then
        key = tostring(key)
    end
    err_len[0] = kErrSize
    local append = no_override and kModeAppend or 0
    local rc
    if value == nil then
        if no_override then
            error("invalid header value", 3)
        end
        rc = C.tycho_ffi_header_set(key, #key, kModeNil, nil, 0, nil, 0, err_buf, err_len, 0)
    elseif type(value) == "table" then
        local n = #value
        if n == 0 and no_override then
            return
        end
        local mvals = mvals_small
        if n > kSmallTable then
            mvals = ffi_new("tycho_ffi_str_t[?]", n)
        end
        for i = 1, n do
            local s = value[i]
            if type(s) ~= "string" then
                s = tostring(s)
                value[i] = s    -- keeps the string alive for the call, as lua-resty-core does
            end
            local str = mvals[i - 1]
            str.data = s
            str.len = #s
        end
        rc = C.tycho_ffi_header_set(key, #key, kModeTable + append, nil, 0, mvals, n, err_buf,
                                    err_len, 0)
    else
        if type(value) == "number" then
            -- Integer digits are written by the C half (tostring's general float formatting
            -- costs hundreds of instructions); it declines any other number.
            rc = C.tycho_ffi_header_set(key, #key, kModeNumber + append, nil, 0, nil, 0, err_buf,
                                        err_len, value)
        else
            rc = kNotInteger
        end
        if rc == kNotInteger then
            if type(value) ~= "string" then
                value = tostring(value)
            end
            rc = C.tycho_ffi_header_set(key, #key, kModeString + append, value, #value, nil, 0,
                                        err_buf, err_len, 0)
        end
    end
    if rc == 0 or rc == kDeclined then
        return
    end
    if rc == kNoRequest then
        error("no request found")
    end
    error(ffi_string(err_buf, err_len[0]), 2)
end

local function get_header(tb, key)
    if type(key) ~= "string" then
        key = tostring(key)
    end
    err_len[0] = kErrSize
    local n = C.tycho_ffi_header_get(key, #key, values, kMaxValues, err_buf, err_len)
    if n == 0 then
        return nil
    end
    if n == 1 then
        local v = values[0]
        return ffi_string(v.data, v.len)
    end
    if n > 0 then
        local ret = new_tab(n, 0)
        for i = 1, n do
            local v = values[i - 1]
            ret[i] = ffi_string(v.data, v.len)
        end
        return ret
    end
    if n == kNoRequest then
        error("no request found")
    end
    error(ffi_string(err_buf, err_len[0]), 2)
end

local header = {}
setmetatable(header, { __index = get_header, __newindex = set_resp_header })
return { header = header, set_resp_header = set_resp_header }
