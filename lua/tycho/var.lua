-- The Lua half of ngx.var (C half: src/lua/api_var.cpp), shaped as lua-resty-core's
-- resty.core.var: the metatable's __index / __newindex are Lua functions over FFI, so loops that
-- read ngx.var.NAME JIT-compile. Returns the table inject_var stores as ngx.var.

local ffi = require "ffi"

local C = ffi.C
local ffi_new = ffi.new
local ffi_string = ffi.string
local type = type
local error = error
local tostring = tostring
local tonumber = tonumber
local setmetatable = setmetatable

ffi.cdef[[
int tycho_ffi_var_get(const char *name, size_t name_len, int capture, unsigned char *buf,
                      size_t buf_len, size_t *value_len, unsigned char *err, size_t *err_len);
int tycho_ffi_var_set(const char *name, size_t name_len, const char *value, size_t value_len,
                      int is_nil, unsigned char *err, size_t *err_len);
]]

-- Result codes shared with the C half (api_var.cpp).
local kOk = 0
local kError = -1
local kAgain = -2       -- the value does not fit: *value_len holds its size
local kDeclined = -5    -- no value: nil
local kNoRequest = -100

local kBufSize = 4096
local kErrSize = 256  -- lua-resty-core's ERR_BUF_SIZE: longer messages are cut there too
local buf = ffi_new("unsigned char[?]", kBufSize)
local err_buf = ffi_new("unsigned char[?]", kErrSize)
local value_len = ffi_new("size_t[1]")
local err_len = ffi_new("size_t[1]")

local function var_get(self, name)
    local capture = 0
    local name_len = 0
    if type(name) == "number" then
        capture = name
        name = nil
    elseif type(name) ~= "string" then
        error("bad variable name", 2)
    else
        name_len = #name
    end
    err_len[0] = kErrSize
    local rc = C.tycho_ffi_var_get(name, name_len, capture, buf, kBufSize, value_len, err_buf,
                                   err_len)
    if rc == kOk then
        return ffi_string(buf, value_len[0])
    end
    if rc == kDeclined then
        return nil
    end
    if rc == kAgain then
        -- A value larger than the shared buffer: one more call with a buffer of its size.
        local size = tonumber(value_len[0])
        local big = ffi_new("unsigned char[?]", size)
        rc = C.tycho_ffi_var_get(name, name_len, capture, big, size, value_len, err_buf, err_len)
        if rc == kOk then
            return ffi_string(big, value_len[0])
        end
        if rc == kDeclined then
            return nil
        end
    end
    if rc == kNoRequest then
        error("no request found")
    end
    error(ffi_string(err_buf, err_len[0]), 2)
end

local function var_set(self, name, value)
    if type(name) ~= "string" then
        error("bad variable name", 2)
    end
    local is_nil = 0
    local len = 0
    if value == nil then
        is_nil = 1
    else
        if type(value) ~= "string" then
            value = tostring(value)
        end
        len = #value
    end
    err_len[0] = kErrSize
    local rc = C.tycho_ffi_var_set(name, #name, value, len, is_nil, err_buf, err_len)
    if rc == kOk then
        return
    end
    if rc == kNoRequest then
        error("no request found")
    end
    error(ffi_string(err_buf, err_len[0]), 2)
end

local var = {}
setmetatable(var, { __index = var_get, __newindex = var_set })
return var
