-- ngx.get_phase over the FFI (C half: src/lua/api_phase.cpp), as lua-resty-core's
-- resty.core.phase: a call that JIT-compiles, where a classic C function ends a trace (or
-- stitches it) at every call, in a loop or in a function as small as the _G write guard.
-- Returns the function, which inject_phase stores as ngx.get_phase.

local ffi = require "ffi"

local C = ffi.C

ffi.cdef[[
int tycho_ffi_get_phase(void);
]]

-- Indexed by the bit number of the phase (scheduler.h's Phase; 0 for code outside any context,
-- which OpenResty runs in the init phase).
local names = {
    [0] = "init", "init_worker", "set", "rewrite", "access", "content", "header_filter",
    "body_filter", "log", "timer", "exit_worker", "server_rewrite",
}

return function()
    return names[C.tycho_ffi_get_phase()]
end
