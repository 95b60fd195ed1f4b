-- resty.core.base shim: the helpers of lua-resty-core's lib/resty/core/base.lua that pure-Lua
-- libraries use (new_tab, clear_tab, string buffers, FFI return codes, allows_subsystem),
-- without binding any ngx_http_lua_ffi_* symbol. get_request() returns nil: Tycho's FFI
-- functions take no request argument (DESIGN.md section 4).

local ffi = require "ffi"
local ffi_new = ffi.new
local error = error
local select = select
local ceil = math.ceil
local subsystem = ngx.config.subsystem

local ok, new_tab = pcall(require, "table.new")
if not ok then
    new_tab = function() return {} end
end

local clear_tab
ok, clear_tab = pcall(require, "table.clear")
if not ok then
    local pairs = pairs
    clear_tab = function(tab)
        for k in pairs(tab) do
            tab[k] = nil
        end
    end
end

local c_buf_type = ffi.typeof("char[?]")
local str_buf_size = 4096
local str_buf
local size_ptr
local errmsg

local _M = new_tab(0, 24)

_M.version = "0.1.25"
_M.new_tab = new_tab
_M.clear_tab = clear_tab

_M.FFI_OK = 0
_M.FFI_NO_REQ_CTX = -100
_M.FFI_BAD_CONTEXT = -101
_M.FFI_ERROR = -1
_M.FFI_AGAIN = -2
_M.FFI_BUSY = -3
_M.FFI_DONE = -4
_M.FFI_DECLINED = -5

function _M.get_errmsg_ptr()
    if not errmsg then
        errmsg = ffi_new("char *[1]")
    end
    return errmsg
end

function _M.set_string_buf_size(size)
    if size <= 0 then
        return
    end
    if str_buf then
        str_buf = nil
    end
    str_buf_size = ceil(size)
end

function _M.get_string_buf_size()
    return str_buf_size
end

function _M.get_size_ptr()
    if not size_ptr then
        size_ptr = ffi_new("size_t[1]")
    end
    return size_ptr
end

function _M.get_string_buf(size, must_alloc)
    if size > str_buf_size or must_alloc then
        return ffi_new(c_buf_type, size)
    end
    if not str_buf then
        str_buf = ffi_new(c_buf_type, str_buf_size)
    end
    return str_buf
end

function _M.ref_in_table(tb, key)
    if key == nil then
        return -1
    end
    local ref = tb[0]  -- the free list
    if ref and ref ~= 0 then
        tb[0] = tb[ref]
    else
        ref = #tb + 1
    end
    tb[ref] = key
    return ref
end

function _M.allows_subsystem(...)
    for i = 1, select("#", ...) do
        if select(i, ...) == subsystem then
            return
        end
    end
    error("unsupported subsystem: " .. subsystem, 2)
end

function _M.get_request()
    return nil
end

return _M
