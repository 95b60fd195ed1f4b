-- The Lua half of ngx's time functions (C half: src/lua/api_time.cpp), shaped as
-- lua-resty-core's resty.core.time: FFI calls that JIT-compile, OpenResty's argument errors.
-- Returns a table of functions that inject_time copies into `ngx`.

local ffi = require "ffi"

local C = ffi.C
local ffi_new = ffi.new
local ffi_string = ffi.string
local tonumber = tonumber
local type = type
local error = error

ffi.cdef[[
double tycho_ffi_time_now(void);
long tycho_ffi_time_time(void);
void tycho_ffi_time_update_time(void);
void tycho_ffi_time_today(unsigned char *buf);
void tycho_ffi_time_localtime(unsigned char *buf);
void tycho_ffi_time_utctime(unsigned char *buf);
int tycho_ffi_time_cookie_time(unsigned char *buf, size_t size, long t);
int tycho_ffi_time_http_time(unsigned char *buf, size_t size, long t);
long tycho_ffi_time_parse_http_time(const unsigned char *str, size_t len);
]]

local _M = {}

local kBufSize = 64
local buf = ffi_new("unsigned char[?]", kBufSize)

function _M.now()
    return tonumber(C.tycho_ffi_time_now())
end

function _M.time()
    return tonumber(C.tycho_ffi_time_time())
end

function _M.update_time()
    C.tycho_ffi_time_update_time()
end

function _M.today()
    C.tycho_ffi_time_today(buf)
    return ffi_string(buf, 10)
end

function _M.localtime()
    C.tycho_ffi_time_localtime(buf)
    return ffi_string(buf, 19)
end

function _M.utctime()
    C.tycho_ffi_time_utctime(buf)
    return ffi_string(buf, 19)
end

function _M.cookie_time(sec)
    if type(sec) ~= "number" then
        error("number argument only", 2)
    end
    local n = C.tycho_ffi_time_cookie_time(buf, kBufSize, sec)
    return ffi_string(buf, n)
end

function _M.http_time(sec)
    if type(sec) ~= "number" then
        error("number argument only", 2)
    end
    local n = C.tycho_ffi_time_http_time(buf, kBufSize, sec)
    return ffi_string(buf, n)
end

function _M.parse_http_time(str)
    if type(str) ~= "string" then
        error("string argument only", 2)
    end
    local t = C.tycho_ffi_time_parse_http_time(str, #str)
    if t == -1 then
        return nil
    end
    return tonumber(t)
end

return _M
