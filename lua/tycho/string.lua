-- The Lua half of ngx's codecs and digests (C half: src/lua/api_string.cpp). Argument shaping
-- follows lua-resty-core's resty.core.base64 / hash / uri, which is what OpenResty runs: nil and
-- false become "", other non-strings go through tostring(); decode_base64 wants a string.
-- Returns a table of functions that inject_string copies into `ngx`.

local ffi = require "ffi"

local C = ffi.C
local ffi_new = ffi.new
local ffi_string = ffi.string
local type = type
local tostring = tostring
local error = error
local floor = math.floor

ffi.cdef[[
size_t tycho_ffi_string_encode_base64(const unsigned char *src, size_t len,
                                      unsigned char *dst, int no_padding);
int tycho_ffi_string_decode_base64(const unsigned char *src, size_t len,
                                   unsigned char *dst, size_t *dlen);
void tycho_ffi_string_md5_bin(const unsigned char *src, size_t len, unsigned char *dst);
void tycho_ffi_string_md5(const unsigned char *src, size_t len, unsigned char *dst);
int tycho_ffi_string_sha1_bin(const unsigned char *src, size_t len, unsigned char *dst);
unsigned int tycho_ffi_string_crc32_short(const unsigned char *src, size_t len);
unsigned int tycho_ffi_string_crc32_long(const unsigned char *src, size_t len);
size_t tycho_ffi_string_uri_escaped_length(const unsigned char *src, size_t len, int type);
void tycho_ffi_string_escape_uri(const unsigned char *src, size_t len,
                                 unsigned char *dst, int type);
size_t tycho_ffi_string_unescape_uri(const unsigned char *src, size_t len,
                                     unsigned char *dst);
]]

local _M = {}

-- One scratch buffer per VM (a VM belongs to one worker thread); large requests get a fresh
-- buffer so a single huge call does not pin memory.
local kBufSize = 4096
local str_buf = ffi_new("unsigned char[?]", kBufSize)
local size_ptr = ffi_new("size_t[1]")

local function get_string_buf(size)
    if size > kBufSize then
        return ffi_new("unsigned char[?]", size)
    end
    return str_buf
end

local function to_str(s)
    if type(s) ~= "string" then
        if not s then
            return ""
        end
        return tostring(s)
    end
    return s
end

local kEscapeUri = 0
local kEscapeUriComponent = 2
local kEscapeMailAuth = 6

function _M.escape_uri(s, esc_type)
    s = to_str(s)
    if esc_type == nil then
        esc_type = kEscapeUriComponent
    else
        if type(esc_type) ~= "number" then
            error("\"type\" is not a number", 3)
        end
        if esc_type < kEscapeUri or esc_type > kEscapeMailAuth then
            error("\"type\" " .. esc_type .. " out of range", 3)
        end
    end
    local slen = #s
    local dlen = C.tycho_ffi_string_uri_escaped_length(s, slen, esc_type)
    if dlen == slen then
        return s
    end
    local dst = get_string_buf(dlen)
    C.tycho_ffi_string_escape_uri(s, slen, dst, esc_type)
    return ffi_string(dst, dlen)
end

function _M.unescape_uri(s)
    s = to_str(s)
    local slen = #s
    local dst = get_string_buf(slen)
    local dlen = C.tycho_ffi_string_unescape_uri(s, slen, dst)
    return ffi_string(dst, dlen)
end

function _M.encode_base64(s, no_padding)
    s = to_str(s)
    local nopad = 0
    if no_padding then
        if no_padding ~= true then
            error("bad no_padding: boolean expected, got " .. type(no_padding), 2)
        end
        nopad = 1
    end
    local slen = #s
    local dlen = nopad == 1 and floor((slen * 8 + 5) / 6) or floor((slen + 2) / 3) * 4
    local dst = get_string_buf(dlen)
    local n = C.tycho_ffi_string_encode_base64(s, slen, dst, nopad)
    return ffi_string(dst, n)
end

function _M.decode_base64(s)
    if type(s) ~= "string" then
        error("string argument only", 2)
    end
    local slen = #s
    local dst = get_string_buf(floor((slen + 3) / 4) * 3)
    if C.tycho_ffi_string_decode_base64(s, slen, dst, size_ptr) == 0 then
        return nil
    end
    return ffi_string(dst, size_ptr[0])
end

local md5_buf = ffi_new("unsigned char[16]")
local md5_hex_buf = ffi_new("unsigned char[32]")
local sha1_buf = ffi_new("unsigned char[20]")

function _M.md5_bin(s)
    s = to_str(s)
    C.tycho_ffi_string_md5_bin(s, #s, md5_buf)
    return ffi_string(md5_buf, 16)
end

function _M.md5(s)
    s = to_str(s)
    C.tycho_ffi_string_md5(s, #s, md5_hex_buf)
    return ffi_string(md5_hex_buf, 32)
end

function _M.sha1_bin(s)
    s = to_str(s)
    C.tycho_ffi_string_sha1_bin(s, #s, sha1_buf)
    return ffi_string(sha1_buf, 20)
end

function _M.crc32_short(s)
    s = to_str(s)
    return C.tycho_ffi_string_crc32_short(s, #s)
end

function _M.crc32_long(s)
    s = to_str(s)
    return C.tycho_ffi_string_crc32_long(s, #s)
end

return _M
