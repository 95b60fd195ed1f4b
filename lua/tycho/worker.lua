-- ngx.worker.id / count / pid / exiting over the FFI (C half: src/lua/api_worker.cpp), as
-- lua-resty-core's resty.core.worker: calls that JIT-compile, where classic C functions end or
-- stitch a trace at every call. Returns the table inject_worker stores as ngx.worker.

local ffi = require "ffi"

local C = ffi.C

ffi.cdef[[
int tycho_ffi_worker_id(void);
int tycho_ffi_worker_pid(void);
int tycho_ffi_worker_count(void);
int tycho_ffi_worker_exiting(void);
]]

local worker = {}

-- nil outside a worker (init_by_lua*), as in OpenResty.
function worker.id()
    local id = C.tycho_ffi_worker_id()
    if id < 0 then
        return nil
    end
    return id
end

function worker.count()
    return C.tycho_ffi_worker_count()
end

function worker.pid()
    return C.tycho_ffi_worker_pid()
end

function worker.exiting()
    return C.tycho_ffi_worker_exiting() ~= 0
end

return worker
