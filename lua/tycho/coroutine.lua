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

local _M = {}

-- lua-nginx-module's argument errors (its C functions have no registered names).
local kBadCoroutine = "bad argument #1 to '?' (coroutine expected)"
local kBadFunction = "bad argument #1 to '?' (Lua function expected)"

local light_thread_status  -- install's thread_status

-- LuaJIT says "non-suspended" (OpenResty's fork: "running") for a running and for a normal
-- coroutine alike; lua-nginx-module names the actual status. A light thread that ended in its
-- first run and was not waited for yet is natively dead but a zombie for lua-nginx-module.
local function resume_error(co, err)
    if err == "cannot resume non-suspended coroutine"
            or err == "cannot resume running coroutine" then
        return "cannot resume " .. co_status(co) .. " coroutine"
    end
    if err == "cannot resume dead coroutine" and light_thread_status(co) == "zombie" then
        return "cannot resume zombie coroutine"
    end
    return err
end

-- `light`: weak-keyed map of the light-thread coroutines (non-nil for them);
-- `thread_status(co)`: "zombie" / "dead" for an ended light thread, "running" for a live one,
-- nil if unknown. Light threads are the scheduler's: user code cannot resume them.
function _M.install(SENTINEL, light, thread_status)
    -- What blocking Lua halves (ngx.semaphore) yield to reach the scheduler.
    _M.SENTINEL = SENTINEL
    light_thread_status = thread_status
    -- While a user coroutine is blocked in an ngx.* call, `light` marks it true: it is the
    -- scheduler's until the call returns, and coroutine.resume from elsewhere is refused.
    local function unblock(co, ...)
        light[co] = nil
        return ...
    end

    local resume_ret
    -- Tail calls only: a coroutine that blocks any number of times grows no stack.
    resume_ret = function(co, ok, ...)
        if ok then
            if ... == SENTINEL then
                light[co] = true
                return resume_ret(co, co_resume(co, unblock(co, co_yield(SENTINEL))))
            end
            return true, ...
        end
        return false, resume_error(co, ...)
    end

    local wrap_ret
    wrap_ret = function(co, ok, ...)
        if ok then
            if ... == SENTINEL then
                light[co] = true
                return wrap_ret(co, co_resume(co, unblock(co, co_yield(SENTINEL))))
            end
            return ...
        end
        -- Re-raised as is, without the caller's position: the text lua-nginx-module logs.
        error(resume_error(co, ...), 0)
    end

    coroutine.resume = function(co, ...)
        if type(co) ~= "thread" then
            error(kBadCoroutine, 2)
        end
        local mark = light[co]
        if mark ~= nil then
            if mark == true then
                return false, "cannot resume running coroutine"  -- blocked in ngx.*
            end
            local s = thread_status(co)
            if s == "zombie" or s == "dead" then
                return false, "cannot resume " .. s .. " coroutine"
            elseif s then
                return false, "cannot resume " .. s .. " coroutine"
            end
        end
        return resume_ret(co, co_resume(co, ...))
    end

    coroutine.wrap = function(f)
        if type(f) ~= "function" then
            error(kBadFunction, 2)
        end
        local co = co_create(f)
        return function(...)
            return wrap_ret(co, co_resume(co, ...))
        end
    end

    coroutine.create = function(f)
        if type(f) ~= "function" then
            error(kBadFunction, 2)
        end
        return co_create(f)
    end

    coroutine.status = function(co)
        if type(co) ~= "thread" then
            error(kBadCoroutine, 2)
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
