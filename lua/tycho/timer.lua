-- ngx.timer.* (C half: src/lua/api_timer.cpp). ngx.timer.at/every reserve a slot in the worker's
-- TimerService over FFI and keep the callback (or {n, callback, args...}) at that index of
-- `callbacks`, which the C side reads when the timer fires: a pending timer costs a slot, a queue
-- node and one table entry, no coroutine. The handle returned (OpenResty returns 1) is a small
-- table with :cancel() and tostring(); code testing `if not ok` works unchanged.
-- Returns { api = <the ngx.timer table>, init, renew } for inject_timer.

local ffi = require "ffi"
local C = ffi.C
local select = select
local type = type
local tonumber = tonumber
local error = error
local getinfo = debug.getinfo
local setmetatable = setmetatable
local string_format = string.format

ffi.cdef[[
int tycho_ffi_timer_add(double delay, int every, uint32_t *gen);
int tycho_ffi_timer_cancel(uint32_t slot, uint32_t gen);
long tycho_ffi_timer_count(int running);
]]

local callbacks = {}
local gen_out = ffi.new("uint32_t[1]")

-- lua_iscfunction, set by inject_timer (C API, not FFI: a function cannot cross FFI). A new
-- closure per call (the usual `ngx.timer.at(0, function() ... end)`) makes any cache useless,
-- and debug.getinfo allocates.
local iscfunction
local last_checked  -- the last callback found to be a Lua function

-- The handle is a small table: ngx.log() and ngx.say() accept it (ngx.log prints it through
-- __tostring, as it does any table with one), unlike a cdata.
local handle_mt = {
    __index = {
        -- true, or nil and "not found" when the timer already ran or was cancelled.
        cancel = function(self)
            local slot = self[1]
            if C.tycho_ffi_timer_cancel(slot, self[2]) == 1 then
                callbacks[slot] = nil
                return true
            end
            return nil, "not found"
        end,
    },
    __tostring = function(self)
        return string_format("timer: %d.%d", self[1], self[2])
    end,
}

local errors = {
    [-1] = "too many pending timers",
    [-2] = "process exiting",
}

-- Raises as lua-nginx-module's C function would: argument errors name the function as the
-- caller spelled it ('?' through pcall), and the position is the caller's.
local function raise(msg, narg)
    if narg then
        local info = getinfo(3, "n")
        msg = "bad argument #" .. narg .. " to '" .. (info and info.name or "?") .. "' ("
              .. msg .. ")"
    end
    error(msg, 4)
end

-- Not a tail call from at()/every(): raise() counts on their frame being there. Fixed
-- arguments (`packed` holds {n - 2, callback, args...} when there are extra ones): LuaJIT starts
-- traces at the entry of hot fixed-argument functions, never of vararg ones, so this compiles
-- even when its caller runs in the interpreter (a handler that makes a closure per call).
local function create(every, n, delay, callback, packed, cfunc)
    if n < 2 then
        raise("expecting at least 2 arguments but got " .. n)
    end
    local d = tonumber(delay)
    if d == nil or (type(delay) ~= "number" and type(delay) ~= "string") then
        raise("number expected, got " .. (n >= 1 and type(delay) or "no value"), 1)
    end
    if cfunc or type(callback) ~= "function" then
        raise("Lua function expected", 2)
    end
    local slot = C.tycho_ffi_timer_add(d, every, gen_out)
    if slot < 0 then
        if slot == -3 then
            raise("delay cannot be zero")
        elseif slot == -4 then
            raise("no request")
        elseif slot == -5 then
            raise("invalid delay", 1)
        end
        return nil, errors[slot]
    end
    callbacks[slot] = packed or callback
    -- Not a tail call: a trace that starts here cannot end in a fast function's return to an
    -- interpreted caller ("leaving loop in root trace"), only in a RET of its own.
    local h = setmetatable({ slot, gen_out[0] }, handle_mt)
    return h
end

local api = {}

local function pack(callback, ...)
    return { select("#", ...), callback, ... }
end

-- ngx.timer.at (every = 0) and ngx.timer.every (1). create() is called from a frame that stands
-- where the user's call did (the vararg function, or two() tail-called from it), so raise()
-- finds the caller two frames up.
local function arming(every)
    -- The usual two-argument call goes on in a fixed-argument function: the vararg function runs
    -- in the interpreter whenever its caller does (a handler that makes a closure per call), and
    -- the less it does there, the better; two() compiles on its own.
    local function two(delay, callback, cfunc)
        local h, err = create(every, 2, delay, callback, nil, cfunc)
        return h, err
    end
    return function(...)
        local n = select("#", ...)
        local delay, callback = ...
        -- lua-nginx-module refuses C functions; create() raises for them, in its order of
        -- checks. The classic C call that tells is made here, not in create(): in a compiled
        -- trace it is a stitch, and after one the rest of create() ran in the interpreter (its
        -- return to an interpreted caller is NYI). A loop arming one function skips it after the
        -- first time; whatever else it remembers (not a function) create() refuses anyway.
        local cfunc = false
        if callback ~= last_checked then
            cfunc = iscfunction(callback)
            if not cfunc then
                last_checked = callback
            end
        end
        if n == 2 then
            return two(delay, callback, cfunc)
        end
        local h, err
        if n < 2 then
            h, err = create(every, n, delay, callback, nil, cfunc)
        else
            h, err = create(every, n, delay, callback, pack(select(2, ...)), cfunc)
        end
        return h, err
    end
end

api.at = arming(0)
api.every = arming(1)

function api.running_count()
    return tonumber(C.tycho_ffi_timer_count(1))
end

function api.pending_count()
    return tonumber(C.tycho_ffi_timer_count(0))
end

return {
    api = api,
    init = function(f)
        iscfunction = f
    end,
    -- A new, empty callbacks table, returned for the C half to reference: it takes the first at
    -- start, and another whenever no timer is pending after a burst (a Lua table never shrinks
    -- its array part, which stays as large as the largest burst was).
    renew = function()
        callbacks = {}
        return callbacks
    end,
}
