# Tycho-only (issue 4, "OpenResty's semantics without OpenResty's limits"; not run against
# nginx). A running timer in lua-nginx-module holds a fake connection taken from
# worker_connections: with the connections gone, timers fail to run ("lua failed to run timer
# ... could not create fake connection", lua-nginx-module#1338) and clients find no connection
# left. Tycho's timer contexts take no connection: only lua_max_running_timers bounds them.

__DATA__

=== TEST 1: fifty timers sleeping at once in a worker of 8 connections all run; requests are still served
--- main_config
events {
    worker_connections 8;
}
--- config
location = /start {
    content_by_lua_block {
        package.loaded.conn_done = 0
        for i = 1, 50 do
            local ok, err = ngx.timer.at(0, function()
                ngx.sleep(0.2)
                package.loaded.conn_done = package.loaded.conn_done + 1
            end)
            if not ok then
                ngx.say("failed: ", err)
                return
            end
        end
        ngx.sleep(0.05)
        ngx.say("running: ", ngx.timer.running_count())
    }
}
location = /count {
    content_by_lua_block {
        ngx.sleep(0.4)
        ngx.say("running: ", ngx.timer.running_count(), ", done: ", package.loaded.conn_done)
    }
}
--- pipelined_requests
GET /start
GET /count
--- response_body
running: 50
running: 0, done: 50
--- no_error_log
worker_connections are not enough
lua failed to run timer
[alert]
