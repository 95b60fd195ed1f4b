-- require "ngx.base64": lua-resty-core's base64url codec (RFC 4648 §5, no padding) over Tycho's
-- FFI half (src/lua/api_string.cpp). Same results as lua-resty-core 0.1.25: a non-string
-- (numbers too) gives nil, "must provide a string" (returned, not raised); input outside the
-- alphabet, or of a length no encoder makes, gives nil, "invalid input".

local ffi = require "ffi"
local C = ffi.C
local ffi_new = ffi.new
local ffi_string = ffi.string
local type = type
local floor = math.floor

ffi.cdef[[
size_t tycho_ffi_string_encode_base64url(const unsigned char *src, size_t len,
                                         unsigned char *dst);
int tycho_ffi_string_decode_base64url(const unsigned char *src, size_t len,
                                      unsigned char *dst, size_t *dlen);
]]

local _M = { version = require("resty.core.base").version }

local kBufSize = 4096
local buf = ffi_new("unsigned char[?]", kBufSize)
local size_ptr = ffi_new("size_t[1]")

local function get_buf(n)
    if n <= kBufSize then
        return buf
    end
    return ffi_new("unsigned char[?]", n)
end

function _M.encode_base64url(s)
    if type(s) ~= "string" then
        return nil, "must provide a string"
    end
    local slen = #s
    local dst = get_buf(floor((slen * 8 + 5) / 6))
    return ffi_string(dst, C.tycho_ffi_string_encode_base64url(s, slen, dst))
end

function _M.decode_base64url(s)
    if type(s) ~= "string" then
        return nil, "must provide a string"
    end
    local slen = #s
    local dst = get_buf(floor((slen + 3) / 4) * 3)
    if C.tycho_ffi_string_decode_base64url(s, slen, dst, size_ptr) == 0 then
        return nil, "invalid input"
    end
    return ffi_string(dst, size_ptr[0])
end

return _M
