-- Deferred functions (DESIGN.md §1 extensions; docs/api/defer.md). ngx.defer(fn, ...) is C
-- (Scheduler::add_defer): it appends { n = count, fn, args... } to its context's list, and the
-- scheduler calls run(list) once the context has finished: after a request's log phase (no
-- yielding there) or after a timer's threads have ended (in a new entry thread: they may yield).
-- scope() is the function-scoped form, independent of any context.

local xpcall = xpcall
local traceback = debug.traceback
local unpack = unpack
local error = error
local select = select
local type = type
local tostring = tostring
local pcall = pcall

local _M = {}

-- Set by the C side (inject_thread): logs one error line for the running context.
_M.log_error = nil

local function handler(err)
    return traceback(tostring(err), 2)
end

-- Runs one entry { n = count, fn, args... } protected; an error is logged, never raised.
local function run_entry(e)
    local ok, err = xpcall(e[1], handler, unpack(e, 2, e.n))
    if not ok then
        _M.log_error("failed to run deferred function: " .. err)
    end
end

-- LIFO; an entry registered while they run runs too.
function _M.run(list)
    local n = #list
    while n > 0 do
        local e = list[n]
        list[n] = nil
        run_entry(e)
        n = #list
    end
end

local function unwind(stack, ok, ...)
    for i = stack.n, 1, -1 do
        local e = stack[i]
        stack[i] = nil
        run_entry(e)
    end
    stack.n = 0
    if not ok then
        error((...), 0)
    end
    return ...
end

-- scope(fn, ...): calls fn(defer, ...) where defer(f, ...) registers f(...) to run when fn
-- returns or raises (LIFO, each protected); fn's results are returned, its error re-raised
-- (as is) after the cleanup. Works across yields: pcall here is yield-safe in LuaJIT.
function _M.scope(fn, ...)
    if type(fn) ~= "function" then
        error("bad argument #1 to 'scope' (function expected, got " .. type(fn) .. ")", 2)
    end
    local stack = { n = 0 }
    local function defer(f, ...)
        if type(f) ~= "function" then
            error("bad argument #1 to 'defer' (function expected, got " .. type(f) .. ")", 2)
        end
        local n = stack.n + 1
        stack[n] = { n = select("#", ...) + 1, f, ... }
        stack.n = n
    end
    return unwind(stack, pcall(fn, defer, ...))
end

return _M
