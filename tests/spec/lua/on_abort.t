# lua_check_client_abort and ngx.on_abort (lua-nginx-module's t/101-on-abort.t): a client that
# closes the connection while a Lua handler runs starts the on_abort function as a light thread,
# or, without one, ends the request with 499.

__DATA__

=== TEST 1: the callback runs when the client goes away; ngx.exit(499) in it ends the request
--- config
location = /t {
    lua_check_client_abort on;
    content_by_lua_block {
        local ok, err = ngx.on_abort(function()
            ngx.log(ngx.WARN, "on abort called")
            ngx.exit(499)
        end)
        if not ok then
            error("cannot set on_abort: " .. err)
        end
        ngx.sleep(0.7)
        ngx.log(ngx.WARN, "main handler done")
    }
    log_by_lua_block { ngx.log(ngx.WARN, "logged status ", ngx.status) }
}
--- request
GET /t
--- timeout: 0.2
--- abort
--- wait: 0.2
--- error_log
client prematurely closed connection
on abort called
logged status 499
--- no_error_log
main handler done
[error]

=== TEST 2: a callback that ignores the event: the handler goes on to its end
--- config
location = /t {
    lua_check_client_abort on;
    content_by_lua_block {
        ngx.on_abort(function()
            ngx.log(ngx.WARN, "on abort called")
        end)
        ngx.sleep(0.4)
        ngx.log(ngx.WARN, "main handler done")
    }
}
--- request
GET /t
--- timeout: 0.2
--- abort
--- wait: 0.4
--- error_log
client prematurely closed connection
on abort called
main handler done
--- no_error_log
[error]

=== TEST 3: without a callback the request ends with 499 and its Lua code stops
--- config
location = /t {
    lua_check_client_abort on;
    access_by_lua_block {
        ngx.thread.spawn(function() ngx.sleep(0.5) ngx.log(ngx.WARN, "thread done") end)
        ngx.sleep(0.5)
        ngx.log(ngx.WARN, "main handler done")
    }
    content_by_lua_block { ngx.say("not reached") }
    log_by_lua_block { ngx.log(ngx.WARN, "logged status ", ngx.status) }
}
--- request
GET /t
--- timeout: 0.2
--- abort
--- wait: 0.5
--- error_log
client prematurely closed connection
logged status 499
--- no_error_log
main handler done
thread done
[error]

=== TEST 4: lua_check_client_abort off (the default): on_abort says so, nothing is noticed
--- config
location = /t {
    content_by_lua_block {
        local ok, err = ngx.on_abort(function() ngx.log(ngx.WARN, "on abort called") end)
        ngx.log(ngx.WARN, "on_abort: ", tostring(ok), " ", err)
        ngx.sleep(0.4)
        ngx.log(ngx.WARN, "main handler done")
    }
}
--- request
GET /t
--- timeout: 0.2
--- abort
--- wait: 0.4
--- error_log
on_abort: nil lua_check_client_abort is off
main handler done
--- no_error_log
client prematurely closed connection
on abort called
[error]

=== TEST 5: a second call is a duplicate; the argument must be a Lua function; no abort, no call
--- config
location = /t {
    lua_check_client_abort on;
    content_by_lua_block {
        ngx.say(select(2, pcall(ngx.on_abort, print)))
        ngx.say(select(2, pcall(ngx.on_abort, nil)))
        ngx.say(ngx.on_abort(function() ngx.log(ngx.WARN, "on abort called") end))
        ngx.say(ngx.on_abort(function() end))
    }
}
--- request
GET /t
--- response_body
bad argument #1 to '?' (Lua function expected)
bad argument #1 to '?' (Lua function expected)
1
nilduplicate call
--- no_error_log
on abort called
[error]

=== TEST 6: not in a timer
--- config
location = /t {
    lua_check_client_abort on;
    content_by_lua_block {
        ngx.timer.at(0, function()
            local ok, err = pcall(ngx.on_abort, function() end)
            package.loaded.on_abort_err = err
        end)
        ngx.sleep(0.01)
        ngx.say(package.loaded.on_abort_err)
    }
}
--- request
GET /t
--- response_body
API disabled in the context of ngx.timer
--- no_error_log
[error]

=== TEST 7: the next request's bytes on a keep-alive connection are no abort
--- config
location = /t {
    lua_check_client_abort on;
    content_by_lua_block {
        ngx.on_abort(function() ngx.log(ngx.WARN, "on abort called") end)
        ngx.sleep(0.05)
        ngx.say("done ", ngx.var.arg_n)
    }
}
--- pipelined_requests
GET /t?n=1
GET /t?n=2
--- response_body
done 1
done 2
--- no_error_log
on abort called
client prematurely closed connection
[error]
