-- The Lua half of ngx.say / ngx.print (C half: src/lua/api_output.cpp). A call with one string
-- (the usual `ngx.say(s)`) goes through FFI, so a loop or a compiled handler that writes stays
-- compiled; everything else (numbers, tables, several arguments, nil, bad arguments, calls
-- outside an output phase, `tycho run`'s stdout) goes to the classic C function, which has every
-- rule and error text. The FFI call does nothing when it declines (returns 0), so the C
-- function then sees the call exactly as it was made.
--
-- Returns install(say_c, print_c) -> say, print.

local ffi = require "ffi"

local C = ffi.C
local select = select
local type = type
local pcall = pcall
local error = error
local debug = debug

ffi.cdef[[
int tycho_ffi_say(const char *data, size_t len);
int tycho_ffi_print(const char *data, size_t len);
]]

-- Codes from the C half: 1 written; 0 declined; else nil and this text.
local results = {
    [-1] = "header only",
    [-2] = "seen eof",
    [-3] = "nginx output filter error",
}

-- OpenResty's C functions name themselves in argument errors as the caller called them
-- (luaL_argerror): 'say' for ngx.say(...), '?' through pcall(ngx.say, ...). The C half names
-- the API; the error is re-raised with the name this function was called by.
local function rethrow(msg)
    if type(msg) == "string" then
        local info = debug.getinfo(2, "n")
        local name = info and info.name or "?"
        msg = msg:gsub("^(bad argument #%d+ to ')[^']*'", function(head)
            return head .. name .. "'"
        end, 1)
    end
    -- at the caller of ngx.say / ngx.print, where the direct call would have put it
    error(msg, 3)
end

-- ngx.say or ngx.print: `ffi_fn` (an upvalue: compiled code treats it as a constant either
-- way, and interpreted code, e.g. a handler that creates closures, skips the lookup in ffi.C
-- each call) for one string, else its C function `c_fn`, protected so that an error it raises
-- carries no position of this file. Returns 1, or nil and the error, as OpenResty's do.
--
-- The FFI call sits in a fixed-argument function of its own: LuaJIT never starts a trace at a
-- vararg function, so when the caller runs in the interpreter (a handler that makes a closure,
-- FNEW being NYI) the call would go through the interpreter's FFI path, about 700 instructions
-- of argument conversion; `one` gets hot, compiles, and costs a trace entry and exit instead.
-- A compiled caller inlines it.
local function writer(ffi_fn, c_fn)
    local function one(s)
        local rc = ffi_fn(s, #s)
        return rc
    end
    return function(...)
        if select("#", ...) == 1 then
            local s = ...
            if type(s) == "string" then
                local rc = one(s)
                if rc == 1 then
                    return 1
                elseif rc ~= 0 then
                    return nil, results[rc]
                end
            end
        end
        local ok, res, err = pcall(c_fn, ...)
        if not ok then
            rethrow(res)
        end
        if res == nil then
            return nil, err
        end
        return res
    end
end

return function(say_c, print_c)
    return writer(C.tycho_ffi_say, say_c), writer(C.tycho_ffi_print, print_c)
end
