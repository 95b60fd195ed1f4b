-- require and dofile whose module code may block (C half: src/lua/api_package.cpp). LuaJIT's
-- are C functions, so a module whose main chunk calls ngx.sleep, waits on a semaphore or on a
-- light thread fails there with "attempt to yield across C-call boundary" (lua-nginx-module's
-- known issue; drivers that connect at load time hit it). These take the steps of
-- lj_cf_package_require and lj_cf_dofile in Lua, with their error texts and LuaJIT's own
-- loading sentinel in package.loaded, so the chunk is called from Lua and may yield.
--
-- While a module loads in a thread that can wait, a require of it from another thread waits
-- for the load to end (LuaJIT's require would say "loop or previous error loading module").
-- A require from the loading thread itself, a cycle of threads waiting for each other's
-- modules, a load that failed, and a require where waiting is not possible keep LuaJIT's
-- answer: that error.
--
-- Returns a table with install(...), called once per worker VM by inject_package; it returns
-- require, dofile and forget (lua_code_cache off).

local type = type
local tostring = tostring
local rawget = rawget
local pairs = pairs
local error = error
local loadfile = loadfile
local getinfo = debug.getinfo
local getlocal = debug.getlocal
local setmetatable = setmetatable
local co_running = coroutine.running

local _M = {}

-- How often a thread waiting for another thread's load checks that the loader still lives: a
-- load that ends wakes its waiters at once; one whose thread failed or was killed is noticed
-- at the next check, and so is one whose thread caught the error and went on.
local kFirstCheck = 0.001
local kLastCheck = 0.05

-- A function called through another call's result has no name in tracebacks (LuaJIT names a
-- callee after the variable or field it was read from). Never compiled: it runs once per
-- module loaded, yet LuaJIT's hot counters are shared between code positions, so it could
-- start a trace whose side trace runs into a C loader (a stitch) depending on code layout.
local function unnamed(f)
    return f
end
jit.off(unnamed)

-- A bad argument, as LuaJIT words it: named as the caller spelled the function ('?' through
-- pcall), at the caller's position.
local function bad_argument(expected, got)
    local info = getinfo(2, "n")
    error("bad argument #1 to '" .. (info and info.name or "?") .. "' (" .. expected
          .. " expected, got " .. got .. ")", 3)
end

-- native_require: LuaJIT's require (to take its sentinel from); package: the package table
-- (package.loaders is read from it on each load, as LuaJIT does); loaded: the registry's
-- _LOADED; thread_self(): a number naming the running scheduler thread, nil when it cannot
-- wait; thread_alive(key): whether that thread still runs.
function _M.install(native_require, package, loaded, thread_self, thread_alive)
    -- LuaJIT marks a module being loaded with a private value (a number to Lua code); the same
    -- value here keeps LuaJIT's own require, if anything still calls it, in step.
    local probe = "tycho.require.sentinel"
    local SENTINEL
    package.preload[probe] = function()
        SENTINEL = loaded[probe]
    end
    native_require(probe)
    package.preload[probe] = nil
    loaded[probe] = nil

    -- name -> { owner = thread key, sema = semaphore or nil, waiters = n }: loads run by a
    -- thread that can wait.
    local loading = {}
    -- load record -> the coroutine whose stack holds the load's require frame; weak both ways,
    -- so a record of a load that failed unwatched holds no coroutine.
    local load_co = setmetatable({}, { __mode = "kv" })
    -- thread key -> the module name it waits for (to find cycles)
    local waiting_for = {}
    local semaphore  -- ngx.semaphore, loaded at the first wait
    -- Modules a searcher other than package.preload's found (files, C libraries): the ones a
    -- fresh VM would load again, which forget() drops from package.loaded.
    local preload_searcher = package.loaders[1]
    local searched = {}

    local require

    local function loop_error(name)
        error("loop or previous error loading module '" .. name .. "'", 0)
    end

    -- Does the load of `l` wait, through the loads their threads wait for, on thread `me`?
    local function leads_to(l, me)
        local owner = l.owner
        for _ = 1, 1000 do
            if owner == me then
                return true
            end
            local next_name = waiting_for[owner]
            local next_load = next_name and loading[next_name]
            if not next_load or not thread_alive(owner) then
                return false
            end
            owner = next_load.owner
        end
        return true
    end

    -- Is the load of record `l` still under way? Its thread lives and the require frame
    -- that made it is still on its coroutine's stack: a load that raised unwinds that frame
    -- even when the thread catches the error and goes on (it may run for a long time).
    local function in_progress(l)
        if not thread_alive(l.owner) then
            return false
        end
        local co = load_co[l]
        if co == nil then
            return false
        end
        local level = 0
        while true do
            local info = getinfo(co, level, "f")
            if info == nil then
                return false
            end
            if info.func == require then
                local i = 1
                while true do
                    local lname, value = getlocal(co, level, i)
                    if lname == nil then
                        break
                    end
                    if value == l and lname == "l" then
                        return true
                    end
                    i = i + 1
                end
            end
            level = level + 1
        end
    end

    local function wait_for_load(name)
        local l = loading[name]
        local me = thread_self()
        if l == nil or me == nil then
            loop_error(name)
        end
        if not in_progress(l) then
            loading[name] = nil  -- it failed or was killed: the sentinel stays, as in LuaJIT
            loop_error(name)
        end
        if leads_to(l, me) then
            loop_error(name)
        end
        if semaphore == nil then
            semaphore = require("ngx.semaphore")
        end
        local sema = l.sema
        if sema == nil then
            sema = semaphore.new(0)
            l.sema = sema
        end
        l.waiters = l.waiters + 1
        waiting_for[me] = name
        local delay = kFirstCheck
        while loaded[name] == SENTINEL and loading[name] == l do
            if not in_progress(l) then
                loading[name] = nil
                break
            end
            sema:wait(delay)
            if delay < kLastCheck then
                delay = delay * 2
            end
        end
        waiting_for[me] = nil
        return require(name)
    end

    -- One fixed argument, as lua-resty-core's require wrapper (resty/core/base.lua), which
    -- OpenResty code runs under: `require()` says "got nil".
    require = function(name)
        if type(name) ~= "string" then
            if type(name) == "number" then
                name = tostring(name)
            else
                bad_argument("string", type(name))
            end
        end
        local value = loaded[name]
        if value then
            if value == SENTINEL then
                return wait_for_load(name)
            end
            return value
        end
        -- The module's chunk is called from this frame (no tail call), which tracebacks show as
        -- LuaJIT's "[C]: in function 'require'" (push_traceback).
        local loaders = package.loaders
        if type(loaders) ~= "table" then
            error("'package.loaders' must be a table", 0)
        end
        local msg = ""
        local loader
        local i = 1
        while true do
            local searcher = rawget(loaders, i)
            if searcher == nil then
                error("module '" .. name .. "' not found:" .. msg, 0)
            end
            local found = searcher(name)
            if type(found) == "function" then
                loader = found
                if searcher ~= preload_searcher then
                    searched[name] = true
                end
                break
            end
            local t = type(found)
            if t == "string" or t == "number" then
                msg = msg .. found
            end
            i = i + 1
        end
        local l
        local me = thread_self()
        if me ~= nil then
            l = { owner = me, waiters = 0 }
            loading[name] = l
            load_co[l] = co_running()
        end
        loaded[name] = SENTINEL
        -- Called through a call's result, the chunk's frame has no name, as when LuaJIT's C
        -- require calls it: a file module's traceback says "in main chunk".
        value = unnamed(loader)(name)
        if value ~= nil then
            loaded[name] = value
        end
        value = loaded[name]
        if value == SENTINEL then
            value = true
            loaded[name] = true
        end
        if l ~= nil and loading[name] == l then
            loading[name] = nil
            if l.sema ~= nil then
                l.sema:post(l.waiters)
            end
        end
        return value
    end

    local function pass(...)
        return ...
    end

    local function dofile(...)
        local filename = ...
        local t = type(filename)
        if t ~= "string" and t ~= "number" and filename ~= nil then
            bad_argument("string", t)
        end
        local chunk, err = loadfile(filename)
        if chunk == nil then
            error(err, 0)
        end
        return pass(unnamed(chunk)())  -- not a tail call: the frame shows as "[C]: in function 'dofile'"
    end

    -- lua_code_cache off: called as each request starts, so that its requires load every
    -- file module again (and a failed load is tried again), as lua-nginx-module's fresh VM
    -- per request does. A load another thread has under way is left to end.
    local function forget()
        for name in pairs(searched) do
            local l = loading[name]
            if loaded[name] ~= SENTINEL or l == nil or not in_progress(l) then
                loaded[name] = nil
                loading[name] = nil
                searched[name] = nil
            end
        end
    end

    return require, dofile, forget
end

return _M
