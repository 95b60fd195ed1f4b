-- require "ngx.semaphore": lua-resty-core's API (new, post, wait, count) over Tycho's FFI half
-- (src/lua/api_semaphore.cpp). The argument checks and results follow lua-resty-core 0.1.25,
-- including its quirks (a missing timeout fails on the arithmetic; a context that cannot yield
-- gets nil and the error instead of a raise). A wait that must block yields the scheduler's
-- sentinel, so it works inside user coroutines too (DESIGN.md §4).

local ffi = require "ffi"
local C = ffi.C
local ffi_gc = ffi.gc
local ffi_string = ffi.string
local ffi_new = ffi.new
local type = type
local error = error
local tonumber = tonumber
local setmetatable = setmetatable
local tycho_coroutine = require "tycho.coroutine"
local co_yield = tycho_coroutine.raw_yield
local SENTINEL = tycho_coroutine.SENTINEL

ffi.cdef[[
void *tycho_ffi_sema_new(int n);
void *tycho_ffi_sema_shared(const char *name, size_t len, int n);
void tycho_ffi_sema_gc(void *sem);
int tycho_ffi_sema_count(void *sem);
void tycho_ffi_sema_post(void *sem, int n);
int tycho_ffi_sema_wait(void *sem, int wait_ms, char *err, size_t *errlen);
]]

local kErrSize = 128
local errbuf = ffi_new("char[?]", kErrSize)
local errlen = ffi_new("size_t[1]")

local _M = { version = "0.1.25" }
local mt = { __index = _M }

function _M.new(n)
    n = tonumber(n) or 0
    if n < 0 then
        error("no negative number", 2)
    end
    local sem = C.tycho_ffi_sema_new(n)
    if sem == nil then
        return nil, "no memory"
    end
    return setmetatable({ sem = ffi_gc(sem, C.tycho_ffi_sema_gc) }, mt)
end

-- Tycho extension: the cross-worker semaphore called `name`, made with `n` units (default 0) the
-- first time the process asks for that name; later calls (any worker) get the same one and
-- leave its count alone. Same methods as new()'s; waiters of all workers queue in one FIFO.
function _M.shared(name, n)
    if type(name) ~= "string" or name == "" then
        error("bad argument #1 to 'shared' (non-empty string expected, got "
              .. (name == "" and "empty string" or type(name)) .. ")", 2)
    end
    n = tonumber(n) or 0
    if n < 0 then
        error("no negative number", 2)
    end
    local sem = C.tycho_ffi_sema_shared(name, #name, n)
    if sem == nil then
        return nil, "no memory"
    end
    return setmetatable({ sem = ffi_gc(sem, C.tycho_ffi_sema_gc) }, mt)
end

function _M.wait(self, seconds)
    if type(self) ~= "table" or type(self.sem) ~= "cdata" then
        error("not a semaphore instance", 2)
    end
    local ms = tonumber(seconds) * 1000
    if ms < 0 then
        error("no negative number", 2)
    end
    local sem = self.sem
    errlen[0] = kErrSize
    local rc = C.tycho_ffi_sema_wait(sem, ms, errbuf, errlen)
    if rc == 0 then
        return true
    elseif rc == -1 then
        return nil, "timeout"
    elseif rc == -2 then
        return nil, ffi_string(errbuf, errlen[0])
    elseif rc == -3 then
        error("no request found")
    end
    -- `self` stays referenced by this frame while it waits, so the semaphore cannot be
    -- collected under its waiters: no tail call here.
    local ok, err = co_yield(SENTINEL)
    return ok, err
end

function _M.post(self, n)
    if type(self) ~= "table" or type(self.sem) ~= "cdata" then
        error("not a semaphore instance", 2)
    end
    local num = n and tonumber(n) or 1
    if num < 1 then
        error("positive number required", 2)
    end
    C.tycho_ffi_sema_post(self.sem, num)
    return true
end

function _M.count(self)
    if type(self) ~= "table" or type(self.sem) ~= "cdata" then
        error("not a semaphore instance", 2)
    end
    return C.tycho_ffi_sema_count(self.sem)
end

return _M
