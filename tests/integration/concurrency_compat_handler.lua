-- The Lua half of test_concurrency_compat.py: a random program of light threads, semaphores,
-- zero-delay timers and coroutines, drawn from ?seed=, that records each step into a trace; the
-- response is the trace. The test runs the same seeds on Tycho and on OpenResty (Debian's nginx
-- with lua-nginx-module) and compares the traces: the order in which the runtime runs things is
-- part of the API (DESIGN.md §4, issue 4), and a difference is a bug or a documented choice.
--
-- Only orders both runtimes fix are drawn. Everything happens "at once" (no sleep with a delay),
-- but semaphore waits with timeout L: those all share L, so they time out in the order they
-- began, and an actor whose wait timed out stops there (what it did next could race another
-- timeout by microseconds). ngx.sleep(0) is left out: Debian's nginx has no delayed-event queue
-- (OpenResty's own nginx has), so there it is a zero-delay timer and its order differs by build.
--
-- _M.program(seed) is the program as data (drawn before anything runs, so a different order of
-- execution cannot change what runs); _M.run(seed) runs it in the current request and prints the
-- trace, _M.run(seed, true) keeps it for _M.print(seed) (a rewrite or access phase, then the
-- content handler).

local semaphore = require "ngx.semaphore"
local rng = require "test_rng"

local tostring = tostring
local concat = table.concat
local pcall = pcall
local select = select

local _M = {}

local L = 0.1  -- the one wait timeout that is not 0

-- ------------------------------------------------------------- the program ---

-- An actor's steps. Kinds: mark, post, wait, count, spawn, wait_thread, kill, timer, co, yield,
-- error. `ctx` counts names and semaphores; `kind` is the actor's kind (main, thread, timer, co).
local function steps(r, ctx, kind, depth)
    local list = {}
    for _ = 1, r(5) do
        local k = r(20)
        if k <= 2 then
            list[#list + 1] = { "mark" }
        elseif k <= 5 then
            list[#list + 1] = { "post", r(ctx.nsemas), r(3) }
        elseif k <= 8 then
            list[#list + 1] = { "wait", r(ctx.nsemas), r(3) == 1 and L or 0 }
        elseif k == 9 then
            list[#list + 1] = { "count", r(ctx.nsemas) }
        elseif k <= 12 and depth < 3 then
            ctx.nthreads = ctx.nthreads + 1
            local name = "th" .. ctx.nthreads
            list[#list + 1] = { "spawn", name, steps(r, ctx, "thread", depth + 1) }
        elseif k <= 14 then
            local n = r(2)
            list[#list + 1] = { "wait_thread", r(ctx.nthreads + 1), n == 2 and r(ctx.nthreads + 1) or nil }
        elseif k == 15 then
            list[#list + 1] = { "kill", r(ctx.nthreads + 1) }
        elseif k == 16 and depth < 3 and not ctx.in_timer and not ctx.exits then
            -- (Not from a timer: nginx runs a zero-delay timer made by a timer callback in the
            -- same pass, before the turn's posted events; Tycho on the next turn. See
            -- docs/api/timer.md.)
            ctx.ntimers = ctx.ntimers + 1
            local name = "tm" .. ctx.ntimers
            ctx.in_timer = true
            list[#list + 1] = { "timer", name, steps(r, ctx, "timer", depth + 1) }
            ctx.in_timer = false
        elseif k == 17 and depth < 3 then
            ctx.ncos = ctx.ncos + 1
            local name = "co" .. ctx.ncos
            local wrap = r(2) == 1
            list[#list + 1] = { "co", name, steps(r, ctx, wrap and "wrap" or "co", depth + 1),
                                r(4), wrap }
        elseif k == 18 and (kind == "co" or kind == "wrap") then
            list[#list + 1] = { "yield" }
        elseif k == 19 and kind ~= "main" and kind ~= "wrap" then
            -- (Not in a coroutine.wrap function: lua-nginx-module 0.10.23 lets its error
            -- escape the caller's pcall and abort the calling thread. docs/api/coroutine.md.)
            list[#list + 1] = { "error" }
        elseif k == 20 and ctx.exits and r(3) == 1 then
            list[#list + 1] = { "exit" }
        else
            list[#list + 1] = { "mark" }
        end
    end
    return list
end

function _M.program(seed)
    local r = rng.new(seed)
    -- Half the programs may call ngx.exit, and those make no timers: when a request that
    -- lua-nginx-module 0.10.23 ended by ngx.exit leaves a timer waiting on one of its
    -- semaphores, that timer's later lines turned up in another request's trace there.
    local ctx = { nsemas = r(3), nthreads = 0, ntimers = 0, ncos = 0, exits = r(2) == 1 }
    local counts = {}
    for i = 1, ctx.nsemas do
        counts[i] = r(3) - 1
    end
    return { counts = counts, main = steps(r, ctx, "main", 0) }
end

-- ------------------------------------------------------------- running it ---

local function clean(v)
    -- Error values carry "file:line: " of the chunk; chunk names differ between the servers.
    local s = tostring(v)
    return (s:gsub("^[^\n]-:%d+: ", ""))
end

local function show(...)
    local n = select("#", ...)
    local out = {}
    for i = 1, n do
        local v = select(i, ...)
        if type(v) == "thread" then
            out[i] = "<thread>"
        else
            out[i] = clean(v)
        end
    end
    return concat(out, " ")
end

-- Kept traces by seed. (Not in ngx.ctx: under load, lua-nginx-module 0.10.23 showed a content
-- handler a trace with a line from another request's timer.)
local traces = {}

function _M.print(seed)
    ngx.say(concat(traces[seed] or {}, "\n"))
    traces[seed] = nil
end

function _M.run(seed, keep)
    local prog = _M.program(seed)
    local trace = {}
    local late = false        -- a wait with timeout L timed out: the "at once" part is over
    local last_deadline = 0   -- when the last wait with a timeout may end
    local timed = 0           -- waits with a timeout under way
    local semas = {}
    for i, n in ipairs(prog.counts) do
        semas[i] = semaphore.new(n)
    end
    local threads = {}        -- by number: the thread object of "th<number>", once spawned
    local parent = {}         -- by number: the actor that spawned it
    local ended = {}          -- by number: its function returned, raised or stopped, or it was killed
    local in_co = {}          -- by actor name: how many of its coroutines are running
    local root = { main = "main" }  -- by actor name: the context it runs in (main or a timer)
    local ctx_over = {}       -- by context: its entry raised, which killed its light threads

    -- Once a wait has timed out, only the timeouts themselves are recorded: what they wake (a
    -- parent waiting for a thread that stopped) may interleave with another timeout due within
    -- the same millisecond in an order neither runtime fixes.
    local function ev(...)
        if not late then
            trace[#trace + 1] = show(...)
        end
    end

    local run_actor

    local function mark_ended(name)
        if name:sub(1, 2) == "th" then
            ended[tonumber(name:sub(3))] = true
        end
    end

    -- Waiting for or killing another actor's thread raises "only the parent ..." in both, but
    -- once that thread has ended Tycho no longer knows its parent and answers as for a thread
    -- ended and reaped ("already waited or killed"): a difference docs/api/thread.md lists.
    -- A thread whose context ended first (its timer's callback raised) counts as ended: there
    -- lua-nginx-module reads the freed context of the thread (Tycho has reaped it).
    local function not_mine(name, num)
        return parent[num] ~= name and (ended[num] or ctx_over[root["th" .. num]])
    end

    local function step(name, a)
        local kind = a[1]
        if kind == "mark" then
            ev(name, "mark")
        elseif kind == "post" then
            semas[a[2]]:post(a[3])
            ev(name, "post", a[2], a[3], "count", semas[a[2]]:count())
        elseif kind == "wait" then
            if a[3] > 0 then
                ngx.update_time()
                last_deadline = math.max(last_deadline, ngx.now() + a[3])
                timed = timed + 1
            end
            local ok, err = semas[a[2]]:wait(a[3])
            if a[3] > 0 then
                timed = timed - 1
            end
            if not ok and a[3] > 0 then
                late = true
                trace[#trace + 1] = show(name, "wait", a[2], a[3], "->", ok, err)
                return false
            end
            ev(name, "wait", a[2], a[3], "->", ok, err)
        elseif kind == "count" then
            ev(name, "count", a[2], semas[a[2]]:count())
        elseif kind == "spawn" then
            local num = tonumber(a[2]:sub(3))
            parent[num] = name
            root[a[2]] = root[name]
            local ok, t = pcall(ngx.thread.spawn, run_actor, a[2], a[3])
            if ok then
                threads[num] = t
                ev(name, "spawned", a[2])
            else
                ev(name, "spawn failed", a[2], t)
            end
        elseif kind == "wait_thread" then
            local t1, t2 = threads[a[2]], a[3] and threads[a[3]]
            if not t1 then
                ev(name, "wait_thread: no th" .. a[2])
            elseif a[3] and not t2 then
                ev(name, "wait_thread: no th" .. a[3])
            elseif not_mine(name, a[2]) or (a[3] and not_mine(name, a[3])) then
                ev(name, "wait_thread: skipped")
            else
                -- (Two arguments only when there are two threads: OpenResty marks the first as
                -- waited for before it finds a bad second one, and the parent is then resumed
                -- from whatever it waits on next when that thread ends.)
                if t2 then
                    ev(name, "wait_thread", "th" .. a[2], "th" .. a[3], "->",
                       pcall(ngx.thread.wait, t1, t2))
                else
                    ev(name, "wait_thread", "th" .. a[2], "->", pcall(ngx.thread.wait, t1))
                end
            end
        elseif kind == "kill" then
            local t = threads[a[2]]
            if not t then
                ev(name, "kill: no th" .. a[2])
            elseif not_mine(name, a[2]) or (in_co["th" .. a[2]] or 0) > 0 then
                -- (OpenResty 0.10.23 kills a thread that spawned from inside a coroutine only
                -- in name: the posted coroutine runs on.)
                ev(name, "kill: skipped")
            else
                local res = { pcall(ngx.thread.kill, t) }
                if res[2] == 1 then
                    ended[a[2]] = true
                end
                ev(name, "kill", "th" .. a[2], "->", unpack(res, 1, table.maxn(res)))
            end
        elseif kind == "timer" then
            root[a[2]] = a[2]
            local ok, err = ngx.timer.at(0, function(premature)
                run_actor(a[2], a[3])
            end)
            ev(name, "timer", a[2], ok and "ok" or "failed", err)
        elseif kind == "co" then
            -- a[4] resumes; a[5]: through coroutine.wrap (errors come back through pcall).
            in_co[name] = (in_co[name] or 0) + 1
            root[a[2]] = root[name]
            local co, f
            if a[5] then
                f = coroutine.wrap(run_actor)
            else
                co = coroutine.create(run_actor)
            end
            for i = 1, a[4] do
                local args = i == 1 and { a[2], a[3] } or { "again" }
                if f then
                    local res = { pcall(f, unpack(args)) }
                    ev(name, "call", a[2], "->", unpack(res, 1, table.maxn(res)))
                    if type(res[2]) == "string" and res[2]:find(" result$") then
                        -- Calling it again raises in Tycho (plain Lua) and returns false and
                        -- the error in lua-nginx-module: a documented difference.
                        break
                    end
                else
                    local res = { coroutine.resume(co, unpack(args)) }
                    ev(name, "resume", a[2], "->", unpack(res, 1, table.maxn(res)))
                    ev(name, "status", a[2], coroutine.status(co))
                end
            end
            in_co[name] = in_co[name] - 1
        elseif kind == "yield" then
            local v = coroutine.yield(name .. " yields")
            ev(name, "yield returned", v)
        elseif kind == "exit" then
            -- ngx.exit ends the request at once and kills its other threads: the trace so far
            -- is the response.
            ev(name, "exits")
            ngx.say(concat(trace, "\n"))
            ngx.exit(200)
        elseif kind == "error" then
            ev(name, "raises")
            mark_ended(name)
            if root[name] == name then
                ctx_over[name] = true
            end
            error(name .. " failed", 0)
        end
        return true
    end

    run_actor = function(name, list)
        ev(name, "starts")
        for _, a in ipairs(list) do
            if late or not step(name, a) then
                mark_ended(name)
                return name .. " stopped"
            end
        end
        ev(name, "ends")
        mark_ended(name)
        return name .. " result"
    end

    run_actor("main", prog.main)

    -- Settle: everything else ran at once, or ends by the last wait's timeout. Not before
    -- every timed wait has returned (unless its thread was killed: then by the clock): a
    -- request that ends while a timer still waits on one of its semaphores lets
    -- lua-nginx-module collect the semaphore and the waiting coroutine under the wait, and its
    -- timeout then runs in freed memory (seen as a line from one request in another's trace).
    local n = -1
    repeat
        n = #trace
        ngx.sleep(0.02)
        ngx.update_time()
    until #trace == n and (timed == 0 or ngx.now() > last_deadline + 0.5)
        and ngx.now() > last_deadline + 0.03
    if keep then
        traces[seed] = trace  -- a rewrite or access phase: _M.print(seed) prints it
    else
        ngx.say(concat(trace, "\n"))
    end
end

return _M
