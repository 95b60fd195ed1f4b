-- The `ngx` table's __index (C half: src/lua/api_ctx.cpp), for ngx.ctx, ngx.status and
-- ngx.headers_sent as lua-resty-core reads them: a Lua function whose usual paths are an FFI
-- call and a table lookup, so code that reads them in a loop, or in a handler the JIT compiles
-- whole, stays compiled (a C function as __index ends the trace there). The first ngx.ctx of a
-- context (which makes its table), ngx.is_subrequest, errors and their texts are the C
-- function's.
-- Returns function(c_index, c_newindex) -> the __index and __newindex functions.

local ffi = require "ffi"

local C = ffi.C
local type = type
local registry = debug.getregistry()

ffi.cdef[[
int tycho_ffi_ctx_ref(void);
int tycho_ffi_get_status(void);
int tycho_ffi_headers_sent(void);
]]

return function(c_index, c_newindex)
    local function index(ngx, key)
        if key == "ctx" then
            local ref = C.tycho_ffi_ctx_ref()  -- the context's ngx.ctx, by registry reference
            if ref > 0 then
                return registry[ref]
            end
            return c_index(ngx, key)
        elseif key == "status" then
            local status = C.tycho_ffi_get_status()
            if status >= 0 then
                return status
            end
            return c_index(ngx, key)
        elseif key == "headers_sent" then
            local sent = C.tycho_ffi_headers_sent()
            if sent >= 0 then
                return sent == 1
            end
            return c_index(ngx, key)
        elseif key == "is_subrequest" then
            return c_index(ngx, key)
        end
        return nil
    end

    -- ngx.ctx = t once the context has a table: the registry slot takes the new one.
    local function newindex(ngx, key, value)
        if key == "ctx" and type(value) == "table" then
            local ref = C.tycho_ffi_ctx_ref()
            if ref > 0 then
                registry[ref] = value
                return
            end
        end
        return c_newindex(ngx, key, value)
    end

    return index, newindex
end
