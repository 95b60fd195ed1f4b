# The seed documents' semaphore examples as specs (../shared/seeds/; code written afresh here,
# only the intent and, for seed 002, the printed output order are taken from the seeds):
# - seed 002: a main thread and a sub thread share a semaphore; the sub thread waits, the main
#   thread sleeps 0.1 s, reports the count (-1), posts, reports it again (0) and ends -- and the
#   sub thread's "waited successfully" comes last, because post never wakes anyone synchronously;
# - seed 001: a producer/consumer pair of light threads over a semaphore, and "at most 3
#   concurrent" tasks limited by semaphore.new(3).

__DATA__

=== TEST 1: seed 002: main thread, sub thread, sleep(0.1), post -- in the seed's output order
--- config
location = /t {
    content_by_lua_block {
        local semaphore = require "ngx.semaphore"
        local sema = semaphore.new()
        ngx.say("main thread: count: ", sema:count())

        local function sub()
            ngx.say("sub thread: waiting on sema...")
            local ok, err = sema:wait(1)
            if ok then
                ngx.say("sub thread: waited successfully.")
            else
                ngx.say("sub thread: failed to wait on sema: ", err)
            end
        end

        ngx.thread.spawn(sub)
        ngx.say("main thread: sleeping for a little while...")
        ngx.sleep(0.1)
        ngx.say("main thread: posting to sema...")
        ngx.say("main thread: count: ", sema:count())
        sema:post(1)
        ngx.say("main thread: count: ", sema:count())
        ngx.say("main thread: end.")
    }
}
--- request
GET /t
--- response_body
main thread: count: 0
sub thread: waiting on sema...
main thread: sleeping for a little while...
main thread: posting to sema...
main thread: count: -1
main thread: count: 0
main thread: end.
sub thread: waited successfully.

=== TEST 2: seed 002 variant: a sub thread whose wait times out
--- config
location = /t {
    content_by_lua_block {
        local sema = require("ngx.semaphore").new()
        local t = ngx.thread.spawn(function()
            ngx.say("sub thread: waiting on sema...")
            local ok, err = sema:wait(0.05)
            ngx.say("sub thread: ", ok and "waited successfully." or "failed to wait on sema: " .. err)
        end)
        ngx.say("main thread: not posting")
        ngx.thread.wait(t)
        ngx.say("main thread: count: ", sema:count())
    }
}
--- request
GET /t
--- response_body
sub thread: waiting on sema...
main thread: not posting
sub thread: failed to wait on sema: timeout
main thread: count: 0

=== TEST 3: seed 001: a producer and a consumer light thread
--- config
location = /t {
    content_by_lua_block {
        local items = require("ngx.semaphore").new(0)
        local queue, out = {}, {}

        local producer = ngx.thread.spawn(function()
            for i = 1, 5 do
                ngx.sleep(0.01)
                queue[#queue + 1] = "item" .. i
                items:post(1)
                out[#out + 1] = "produced " .. i
            end
        end)

        local consumer = ngx.thread.spawn(function()
            for i = 1, 5 do
                local ok, err = items:wait(1)
                if not ok then
                    out[#out + 1] = "consumer: " .. err
                    return
                end
                out[#out + 1] = "consumed " .. table.remove(queue, 1)
            end
        end)

        ngx.thread.wait(producer)
        ngx.thread.wait(consumer)
        ngx.say(table.concat(out, "\n"))
        ngx.say("left: ", #queue, ", count: ", items:count())
    }
}
--- request
GET /t
--- response_body
produced 1
consumed item1
produced 2
consumed item2
produced 3
consumed item3
produced 4
consumed item4
produced 5
consumed item5
left: 0, count: 0

=== TEST 4: seed 001: a slow consumer; the semaphore counts the backlog
--- config
location = /t {
    content_by_lua_block {
        local items = require("ngx.semaphore").new(0)
        local backlog = {}
        ngx.thread.spawn(function()
            for i = 1, 4 do items:post(1) end
            backlog[#backlog + 1] = "posted 4, count " .. items:count()
        end)
        local consumer = ngx.thread.spawn(function()
            local n = 0
            while true do
                local ok = items:wait(0.05)
                if not ok then break end
                n = n + 1
                ngx.sleep(0.005)
            end
            return n
        end)
        ngx.say(backlog[1])
        ngx.say(ngx.thread.wait(consumer))
        ngx.say("count: ", items:count())
    }
}
--- request
GET /t
--- response_body
posted 4, count 4
true4
count: 0

=== TEST 5: seed 001: at most 3 of 10 tasks run at once
--- config
location = /t {
    content_by_lua_block {
        local slots = require("ngx.semaphore").new(3)
        local running, peak, finished = 0, 0, {}

        local function task(id)
            local ok, err = slots:wait(10)
            if not ok then return "task " .. id .. ": " .. err end
            running = running + 1
            if running > peak then peak = running end
            ngx.sleep(0.01)
            running = running - 1
            finished[#finished + 1] = id
            slots:post(1)
            return id
        end

        local threads = {}
        for i = 1, 10 do
            threads[i] = ngx.thread.spawn(task, i)
        end
        ngx.say("running right after spawning: ", running, ", count: ", slots:count())
        for i = 1, 10 do ngx.thread.wait(threads[i]) end
        ngx.say("finished: ", #finished, ", peak: ", peak, ", count: ", slots:count())
        ngx.say("order: ", table.concat(finished, " "))
    }
}
--- request
GET /t
--- response_body
running right after spawning: 3, count: -7
finished: 10, peak: 3, count: 3
order: 1 2 3 4 5 6 7 8 9 10

=== TEST 6: seed 001: at most 3 concurrent timers doing work
--- config
location = /t {
    content_by_lua_block {
        local slots = require("ngx.semaphore").new(3)
        local running, peak, done = 0, 0, 0
        for i = 1, 8 do
            ngx.timer.at(0, function()
                assert(slots:wait(10))
                running = running + 1
                if running > peak then peak = running end
                ngx.sleep(0.01)
                running = running - 1
                done = done + 1
                slots:post(1)
            end)
        end
        for _ = 1, 400 do
            if done == 8 then break end
            ngx.sleep(0.005)
        end
        ngx.say("done: ", done, ", peak: ", peak, ", count: ", slots:count())
    }
}
--- request
GET /t
--- response_body
done: 8, peak: 3, count: 3
