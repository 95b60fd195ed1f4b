-- User coroutines that may block in ngx.* APIs (C half: src/lua/api_coroutine.cpp, the
-- scheduler's yield_to_scheduler()). DESIGN.md section 4: a blocking API records its wait in the
-- context and yields a private sentinel. The resume wrappers below pass every other yield
-- through untouched (plain Lua semantics, native coroutine speed), but when a resumed coroutine
-- hands back the sentinel they yield it further up: the whole chain of coroutines unwinds to
-- the scheduler. When the wait completes, the scheduler resumes the entry coroutine with the
-- API's results, and each wrapper on the way down resumes its child with them, so the blocked
-- call returns them as if nothing happened.
--
-- Returns a table with install(sentinel), called once per VM by inject_coroutine.

local coroutine = coroutine
local co_create = coroutine.create
local co_resume = coroutine.resume
local co_yield = coroutine.yield
local co_status = coroutine.status
local co_running = coroutine.running
local type = type
local error = error
local select = select
local unpack = unpack
local setmetatable = setmetatable
local rawequal = rawequal
local find = string.find
local sub = string.sub

local _M = {}

-- lua-nginx-module's argument errors (its C functions have no registered names).
local kBadCoroutine = "bad argument #1 to '?' (coroutine expected)"
local kBadFunction = "bad argument #1 to '?' (Lua function expected)"
-- The position error(msg, 2) takes in a coroutine's function: the line of `body` (install)
-- that calls it.
local body_prefix

local light_thread_status  -- install's thread_status

-- LuaJIT says "non-suspended" (OpenResty's fork: "running") for a running and for a normal
-- coroutine alike; lua-nginx-module names the actual status. A light thread that ended in its
-- first run and was not waited for yet is natively dead but a zombie for lua-nginx-module.
local function resume_error(co, err)
    if type(err) == "string" and find(err, body_prefix, 1, true) == 1 then
        -- error(msg, 2) in the coroutine's own function blames its caller: the counting body
        -- below here, where lua-nginx-module's coroutine has no caller and adds no position.
        return sub(err, #body_prefix + 1)
    end
    if err == "cannot resume non-suspended coroutine"
            or err == "cannot resume running coroutine" then
        return "cannot resume " .. co_status(co) .. " coroutine"
    end
    if err == "cannot resume dead coroutine" and light_thread_status(co) == "zombie" then
        return "cannot resume zombie coroutine"
    end
    return err
end

-- `light`: weak-keyed map of coroutine -> mark: a number > 0 for a live light thread, false for
-- an ended one, true while a user coroutine is blocked in an ngx.* call; nil for the others.
-- `thread_status(co)`: "zombie" / "dead" for an ended light thread, "running" for a live one,
-- nil if unknown. Light threads are the scheduler's: user code cannot resume them.
function _M.install(SENTINEL, light, thread_status, guard)
    -- What blocking Lua halves (ngx.semaphore) yield to reach the scheduler.
    _M.SENTINEL = SENTINEL
    _M.raw_yield = co_yield
    light_thread_status = thread_status

    -- Why counts: LuaJIT compiles a call to coroutine.resume/yield by "stitching" the trace
    -- around it, but only when what follows the call takes a fixed number of values, and only
    -- when the function it returns through takes a fixed number of arguments. A wrapper that
    -- passes the results on as `...` ends every trace at the switch (an exit to the
    -- interpreter per resume: ~25 % of a resume/yield pair). So the fast paths below take up
    -- to six values in fixed slots and learn how many there really were from `nvals`:
    -- coroutine.yield and the end of a body made by coroutine.create/wrap set it right before
    -- the switch, the resumer reads and clears it right after. More than six values travel in
    -- `spill`. -1: not known (the coroutine switched from C, e.g. the scheduler's sentinel).
    local nvals = -1
    local spill

    -- coroutine.create/wrap run the user's function under a body that counts its results.
    -- Tracebacks leave its frame out (push_traceback), and resume_error takes its position
    -- off what error(msg, 2) in the user's function raises (OpenResty: no prefix).
    local function ended(...)
        local n = select("#", ...)
        if n > 6 then
            spill = { n = n, ... }
        end
        nvals = n
        return ...
    end

    -- The body gets the user's function from a first resume made here, and waits for the
    -- real first resume's values: cheaper than a closure per coroutine.
    local function body(fn)
        return ended(fn(co_yield()))
    end
    body_prefix = "lua/tycho/coroutine.lua:" .. debug.getinfo(body, "S").linedefined + 1 .. ": "

    local function new_coroutine(fn)
        local co = co_create(body)
        co_resume(co, fn)
        return co
    end

    coroutine.yield = function(...)
        local n = select("#", ...)
        if n > 6 then
            spill = { n = n, ... }
        end
        nvals = n
        return co_yield(...)
    end

    -- While a user coroutine is blocked in an ngx.* call, `light` marks it true: it is the
    -- scheduler's until the call returns, and coroutine.resume from elsewhere is refused.
    -- `resuming` maps each coroutine on the way up to the one it resumed: it is "normal" (as in
    -- lua-nginx-module), not "running" like the one that made the call.
    local resuming = setmetatable({}, { __mode = "k" })
    local function block(co)
        light[co] = true
        resuming[co_running()] = co
        return co_yield(SENTINEL)
    end
    local function unblock(co, ...)
        light[co] = nil
        resuming[co_running()] = nil
        nvals = -1
        return ...
    end

    -- The general path: any number of values, exact by passing `...` on.
    -- Tail calls only: a coroutine that blocks any number of times grows no stack.
    local resume_ret
    resume_ret = function(co, ok, ...)
        nvals = -1
        if ok then
            if ... == SENTINEL then
                return resume_ret(co, co_resume(co, unblock(co, block(co))))
            end
            return true, ...
        end
        return false, resume_error(co, ...)
    end

    local function resume_any(co, ...)
        if type(co) ~= "thread" then
            error(kBadCoroutine, 2)
        end
        local mark = light[co]
        if mark ~= nil then
            if mark == true then
                return false, "cannot resume running coroutine"  -- blocked in ngx.*
            end
            local s = thread_status(co)
            if s then
                return false, "cannot resume " .. s .. " coroutine"
            end
        end
        nvals = -1
        return resume_ret(co, co_resume(co, ...))
    end

    -- After a fast-path switch: the values, exactly as many as were passed.
    local resumed
    resumed = function(co, n, ok, a, b, c, d, e, f)
        nvals = -1
        if ok then
            if a == SENTINEL then  -- blocked in an ngx.* call: up to the scheduler, and back
                local ok2, a2, b2, c2, d2, e2, f2 = co_resume(co, unblock(co, block(co)))
                return resumed(co, nvals, ok2, a2, b2, c2, d2, e2, f2)
            end
            if n == 1 then
                return true, a
            elseif n == 2 then
                return true, a, b
            elseif n == 0 then
                return true
            elseif n == 3 then
                return true, a, b, c
            elseif n == 4 then
                return true, a, b, c, d
            elseif n == 5 then
                return true, a, b, c, d, e
            elseif n == 6 then
                return true, a, b, c, d, e, f
            elseif n > 6 then
                local sp = spill
                spill = nil
                return true, unpack(sp, 1, sp.n)
            end
            -- Not counted: a coroutine made by a C module that returned, or a C function that
            -- yielded with lua_yield. Trailing nils are dropped (docs/api/coroutine.md).
            if f ~= nil then
                return true, a, b, c, d, e, f
            elseif e ~= nil then
                return true, a, b, c, d, e
            elseif d ~= nil then
                return true, a, b, c, d
            elseif c ~= nil then
                return true, a, b, c
            elseif b ~= nil then
                return true, a, b
            elseif a ~= nil then
                return true, a
            end
            return true
        end
        return false, resume_error(co, a)
    end

    -- The switch itself, with up to three values. A tail call: the results land in the
    -- caller's fixed slots, so the trace stitches there.
    local function switch_to(co, n, x, y, z)
        nvals = -1
        if n == 0 then
            return co_resume(co)
        elseif n == 1 then
            return co_resume(co, x)
        elseif n == 2 then
            return co_resume(co, x, y)
        end
        return co_resume(co, x, y, z)
    end

    -- Up to three values into a coroutine: fixed slots, see `nvals`. The common counts are
    -- handled here, the rest by `resumed` (one call fewer for the interpreter).
    local function resume_fast(co, n, x, y, z)
        local ok, a, b, c, d, e, f = switch_to(co, n, x, y, z)
        local k = nvals
        if ok and a ~= SENTINEL then
            nvals = -1
            if k == 1 then
                return true, a
            elseif k == 2 then
                return true, a, b
            elseif k == 0 then
                return true
            elseif k == 3 then
                return true, a, b, c
            end
        end
        return resumed(co, k, ok, a, b, c, d, e, f)
    end

    coroutine.resume = function(co, ...)
        local n = select("#", ...)
        if n <= 3 and type(co) == "thread" and light[co] == nil then
            return resume_fast(co, n, ...)
        end
        return resume_any(co, ...)
    end

    -- Where lua-nginx-module's coroutine.wrap runs (phases that can yield, and Tycho's
    -- init_worker); elsewhere (set_by_lua, the filters, log_by_lua, init) it hands over to
    -- LuaJIT's own.
    local yielding_phases = {server_rewrite = true, rewrite = true, access = true, content = true,
                             timer = true, init_worker = true}

    local function raise(co, ok, ...)
        if ok then
            return ...
        end
        -- Re-raised as is, without the caller's position: the text lua-nginx-module logs. In a
        -- phase that cannot yield LuaJIT's wrap runs there, and it prefixes a string with the
        -- position of the call (level 2: the wrapper's frames were tail calls).
        local err = ...
        if type(err) == "string" and not yielding_phases[ngx.get_phase()] then
            error(err, 2)
        end
        -- The coroutines the error went up through, innermost first: if it ends a scheduler
        -- thread, its log line shows a "coroutine N:" traceback section for each
        -- (lua-nginx-module walks its parent links; the scheduler reads guard.wrap_chain).
        local chain = guard.wrap_chain
        if chain ~= nil and chain[chain.n] == co and rawequal(chain.err, err) then
            chain.n = chain.n + 1
            chain[chain.n] = co_running()
        else
            guard.wrap_chain = { co, co_running(), n = 2, err = err }
        end
        error(err, 0)
    end

    -- coroutine.wrap's fast path: resume_fast with the results unwrapped, still in fixed slots
    -- so that generator loops compile whole.
    local function wrap_fast(co, n, x, y, z)
        local ok, a, b, c, d, e, f = switch_to(co, n, x, y, z)
        local k = nvals
        if ok and a ~= SENTINEL then
            nvals = -1
            if k == 1 then
                return a
            elseif k == 2 then
                return a, b
            elseif k == 0 then
                return
            elseif k == 3 then
                return a, b, c
            end
        end
        return raise(co, resumed(co, k, ok, a, b, c, d, e, f))
    end

    -- lua-nginx-module refuses coroutines in set_by_lua*, log_by_lua*, init_worker_by_lua* and
    -- exit_worker_by_lua* (the header and body filters get LuaJIT's own): the scheduler names
    -- the phase in guard.disabled while such code runs.
    local function check_phase()
        local disabled = guard.disabled
        if disabled then
            error("API disabled in the context of " .. disabled, 3)
        end
    end

    coroutine.wrap = function(fn)
        if type(fn) ~= "function" then
            error(kBadFunction, 2)
        end
        check_phase()
        local co = new_coroutine(fn)
        return function(...)
            local n = select("#", ...)
            if n <= 3 and light[co] == nil then
                return wrap_fast(co, n, ...)
            end
            return raise(co, resume_any(co, ...))
        end
    end

    coroutine.create = function(fn)
        if type(fn) ~= "function" then
            error(kBadFunction, 2)
        end
        check_phase()
        return new_coroutine(fn)
    end

    coroutine.status = function(co)
        if type(co) ~= "thread" then
            error(kBadCoroutine, 2)
        end
        check_phase()
        if resuming[co] ~= nil then
            return "normal"
        end
        local mark = light[co]
        if mark ~= nil then
            if mark == true then
                return "running"  -- blocked in ngx.*, as lua-nginx-module reports it
            end
            local s = thread_status(co)
            if s == "zombie" or s == "dead" then
                return s
            end
            -- lua-nginx-module reports a live light thread as "running" even while it waits
            -- on the scheduler (ngx.sleep, a semaphore, a coroutine.yield of its own), and as
            -- "normal" while it resumes another coroutine (co_status says so).
            if co_status(co) == "suspended" then
                return "running"
            end
        end
        local s = co_status(co)
        if s == "dead" and thread_status(co) == "zombie" then
            return "zombie"  -- a light thread that ended in its first run, not waited for yet
        end
        return s
    end

    if coroutine.isyieldable == nil then
        -- Every coroutine Lua code can see is yieldable here; the main thread is not.
        coroutine.isyieldable = function()
            return co_running() ~= nil
        end
    end
end

return _M
