# One dict shared by every worker: two workers incr the same keys from init_worker_by_lua and
# no update is lost. nginx's worker processes run init_worker_by_lua at the same time; Tycho
# starts its worker threads one after the other, so there this block checks that both see one
# dict, and tests/integration/test_shdict.py covers incr racing from two workers.

__DATA__

=== TEST 1: concurrent incr from two workers ends with the exact total
--- main_config
master_process on;
worker_processes 2;
--- http_config
lua_shared_dict counters 1m;
init_worker_by_lua_block {
    local d = ngx.shared.counters
    for i = 1, 200000 do
        d:incr("hits", 1, 0)
        d:incr("float", 0.5, 0)
    end
    d:incr("workers", 1, 0)
}
--- config
location = /t {
    content_by_lua_block {
        local d = ngx.shared.counters
        -- both workers must have finished their loops
        for _ = 1, 500 do
            if d:get("workers") == 2 then
                break
            end
            ngx.sleep(0.01)
        end
        ngx.say(d:get("workers"), " ", d:get("hits"), " ", d:get("float"))
    }
}
--- request
GET /t
--- timeout: 10
--- response_body
2 400000 200000
--- no_error_log
[error]
