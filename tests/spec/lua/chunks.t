# How handler code is compiled: a chunk behaves as a main chunk (its `...`, its tracebacks, the
# line numbers of a file that starts with a shebang line), whatever Tycho does to let LuaJIT
# trace it (docs/api/core.md, "Handler code").

__DATA__

=== TEST 1: a handler chunk may use `...` at top level (it gets no arguments)
--- config
location = /t { content_by_lua_block { ngx.say("args: ", select("#", ...)) } }
--- request
GET /t
--- response_body
args: 0

=== TEST 2: debug.traceback names the handler "main chunk"
--- config
location = /t {
    content_by_lua_block {
        ngx.say(debug.traceback("here"))
    }
}
--- request
GET /t
--- response_body_like
^here\nstack traceback:\n\tcontent_by_lua\(nginx\.conf:\d+\):2: in main chunk\n$

=== TEST 3: a traceback through a function called by the handler
--- config
location = /t {
    content_by_lua_block {
        local function inner()
            error("deep")
        end
        inner()
    }
}
--- request
GET /t
--- error_code: 500
--- error_log
qr/runtime error: content_by_lua\(nginx\.conf:\d+\):3: deep\nstack traceback:\ncoroutine 0:\n\t\[C\]: in function 'error'\n\tcontent_by_lua\(nginx\.conf:\d+\):3: in function 'inner'\n\tcontent_by_lua\(nginx\.conf:\d+\):5: in main chunk, client: /

=== TEST 4: the global-write warning's traceback ends in the main chunk
--- config
location = /t { content_by_lua_block { g_chunks_t = 1 ngx.say("ok") } }
--- request
GET /t
--- response_body
ok
--- error_log
qr/writing a global Lua variable \('g_chunks_t'\) which may lead to race conditions between concurrent requests, so prefer the use of 'local' variables\nstack traceback:\n\tcontent_by_lua\(nginx\.conf:\d+\):1: in main chunk/

=== TEST 5: a *_by_lua_file that starts with a shebang line keeps its line numbers
--- config
location = /t { content_by_lua_file html/shebang.lua; }
--- user_files
>>> shebang.lua
#!/usr/bin/env luajit
ngx.say("line ", debug.getinfo(1, "l").currentline)
ngx.log(ngx.WARN, "from the file")
--- request
GET /t
--- response_body
line 2
--- error_log
qr/\[lua\] shebang\.lua:3: from the file/

=== TEST 6: a file whose last line is a comment without a newline
--- config
location = /t { content_by_lua_file html/tail.lua; }
--- user_files
>>> tail.lua
ngx.say("tail ok") -- the end
--- request
GET /t
--- response_body
tail ok

=== TEST 7: a handler that returns early
--- config
location = /t {
    content_by_lua_block {
        if ngx.var.arg_x then
            return ngx.say("early")
        end
        ngx.say("late")
    }
}
--- request
GET /t?x=1
--- response_body
early

=== TEST 8: a *_by_lua_file path may hold nginx variables: the file is chosen per request
--- config
location ~ ^/run/(\w+)$ {
    content_by_lua_file html/handlers/$1.lua;
}
--- user_files
>>> handlers/alpha.lua
ngx.say("alpha ran for ", ngx.var.uri)
>>> handlers/beta.lua
ngx.say("beta ran")
--- request
GET /run/alpha
--- response_body
alpha ran for /run/alpha

=== TEST 9: a variable path in rewrite_by_lua_file
--- config
location = /pick {
    rewrite_by_lua_file html/handlers/$arg_h.lua;
    content_by_lua_block { ngx.say("content after ", ngx.ctx.who or "nobody") }
}
--- user_files
>>> handlers/beta.lua
ngx.ctx.who = "beta"
--- request
GET /pick?h=beta
--- response_body
content after beta

=== TEST 10: a variable path that names no file: 404 and OpenResty's log line
--- config
location = /missing {
    content_by_lua_file html/handlers/$arg_h.lua;
}
--- request
GET /missing?h=nothing
--- error_code: 404
--- error_log
qr/failed to load external Lua file "\S+\/html\/handlers\/nothing\.lua": cannot open/

=== TEST 11: an unknown variable in a *_by_lua_file path is a configuration error, as in nginx
--- config
location = /t {
    access_by_lua_file html/handlers/$no_such_thing.lua;
    content_by_lua_block { ngx.say("never") }
}
--- must_die
--- error_log
qr/\[emerg\] (\d+#\d+: )?unknown "no_such_thing" variable/

=== TEST 12: variables in the paths of set_by_lua_file and the filters' _file forms
--- config
location = /t {
    set $which beta;
    set_by_lua_file $v html/set_$which.lua $arg_x;
    header_filter_by_lua_file html/hf_$which.lua;
    body_filter_by_lua_file html/bf_$which.lua;
    content_by_lua_block { ngx.say("v=", ngx.var.v) }
}
--- user_files
>>> set_beta.lua
return "set-beta:" .. ngx.arg[1]
>>> hf_beta.lua
ngx.header["X-Filter"] = "hf-beta"
>>> bf_beta.lua
if ngx.arg[1] ~= "" then ngx.arg[1] = string.upper(ngx.arg[1]) end
--- request
GET /t?x=7
--- response_headers
X-Filter: hf-beta
--- response_body
V=SET-BETA:7

=== TEST 13: an unknown variable among set_by_lua's arguments is a configuration error
--- config
location = /t {
    set_by_lua $v 'return ngx.arg[1]' $no_such_arg;
    content_by_lua_block { ngx.say(ngx.var.v) }
}
--- must_die
--- error_log
qr/\[emerg\] (\d+#\d+: )?unknown "no_such_arg" variable/

=== TEST 14: inline code in an included file is named by its path from the main file's directory
--- config
include ../html/inc.conf;
--- user_files
>>> inc.conf
location = /t {
    content_by_lua_block {
        ngx.log(ngx.WARN, "from include")
        local ok, err = pcall(function() error("boom") end)
        ngx.say(err)
    }
}
--- request
GET /t
--- response_body
content_by_lua(../html/inc.conf:2):3: boom
--- error_log
[lua] inc.conf:2):2: from include

=== TEST 15: a long file name keeps its end after "...", as LuaJIT shows 56 bytes of a name
--- config
include ../html/a-rather-long-configuration-file-name-for-chunks.conf;
--- user_files
>>> a-rather-long-configuration-file-name-for-chunks.conf
location = /t {
    content_by_lua_block {
        local ok, err = pcall(function() error("boom") end)
        ngx.say(err)
    }
}
--- request
GET /t
--- response_body
content_by_lua(...onfiguration-file-name-for-chunks.conf:2):2: boom
