# server_rewrite_by_lua_block / server_rewrite_by_lua_file (lua-nginx-module 0.10.22+): Lua in
# the server rewrite phase, before the location is chosen. Every block also passes on nginx with
# lua-nginx-module 0.10.23.

__DATA__

=== TEST 1: http level: runs for every request before the location; ngx.ctx carries over
--- http_config
server_rewrite_by_lua_block {
    ngx.ctx.seen = ngx.get_phase() .. " " .. ngx.var.uri
}
--- config
location = /t { content_by_lua_block { ngx.say(ngx.ctx.seen, " / ", ngx.get_phase()) } }
--- request
GET /t
--- response_body
server_rewrite /t / content
--- no_error_log
[error]

=== TEST 2: a server's own block replaces the http one
--- http_config
server_rewrite_by_lua_block { ngx.log(ngx.WARN, "from http") }
--- config
server_rewrite_by_lua_block { ngx.log(ngx.WARN, "from server") }
location = /t { content_by_lua_block { ngx.say("ok") } }
--- request
GET /t
--- response_body
ok
--- error_log
qr/\[lua\] server_rewrite_by_lua\(nginx\.conf:\d+\):1: from server/
--- no_error_log
from http

=== TEST 3: it runs before the server's rewrite directives
--- config
server_rewrite_by_lua_block { ngx.log(ngx.WARN, "uri before: ", ngx.var.uri) }
rewrite ^/old$ /new;
location = /new { content_by_lua_block { ngx.say("new ", ngx.var.uri) } }
--- request
GET /old
--- response_body
new /new
--- error_log
uri before: /old

=== TEST 4: ngx.exit(ngx.OK) leaves the phase; the request goes on to its location
--- config
server_rewrite_by_lua_block {
    ngx.exit(ngx.OK)
    ngx.log(ngx.ERR, "not reached")
}
location = /t { content_by_lua_block { ngx.say("content ran") } }
--- request
GET /t
--- response_body
content ran
--- no_error_log
not reached

=== TEST 5: ngx.exit(403) answers 403; the location's code never runs
--- config
server_rewrite_by_lua_block { ngx.exit(403) }
location = /t { content_by_lua_block { ngx.log(ngx.ERR, "content ran") ngx.say("no") } }
--- request
GET /t
--- error_code: 403
--- response_body_like
403 Forbidden
--- no_error_log
content ran

=== TEST 6: output sends the response; the location's handler is skipped
--- config
server_rewrite_by_lua_block {
    ngx.header["X-From"] = "server-rewrite"
    ngx.say("early")
}
location = /t { content_by_lua_block { ngx.log(ngx.ERR, "content ran") ngx.say("late") } }
--- request
GET /t
--- response_headers
X-From: server-rewrite
--- response_body
early
--- no_error_log
content ran

=== TEST 7: ngx.redirect
--- config
server_rewrite_by_lua_block {
    if ngx.var.uri == "/old" then
        return ngx.redirect("/new", 301)
    end
}
location / { content_by_lua_block { ngx.say("at ", ngx.var.uri) } }
--- request
GET /old
--- error_code: 301
--- response_headers
Location: /new

=== TEST 8: it can yield: ngx.sleep, then the request goes on
--- config
server_rewrite_by_lua_block {
    local t = ngx.now()
    ngx.sleep(0.01)
    ngx.ctx.slept = ngx.now() > t
}
location = /t { content_by_lua_block { ngx.say("slept: ", ngx.ctx.slept) } }
--- request
GET /t
--- response_body
slept: true

=== TEST 9: ngx.req.set_uri(uri, true) picks the location of the new URI
--- config
server_rewrite_by_lua_block {
    if ngx.var.uri == "/a" then
        ngx.req.set_uri_args("x=1")
        ngx.req.set_uri("/b", true)
    end
}
location = /a { content_by_lua_block { ngx.say("a") } }
location = /b { content_by_lua_block { ngx.say("b ", ngx.var.args) } }
--- request
GET /a
--- response_body
b x=1

=== TEST 10: ngx.exec: the server rewrite phase runs again for the new URI
--- config
server_rewrite_by_lua_block {
    ngx.log(ngx.WARN, "server rewrite for ", ngx.var.uri)
    if ngx.var.uri == "/a" then
        return ngx.exec("/b")
    end
}
location = /b { content_by_lua_block { ngx.say("b") } }
--- request
GET /a
--- response_body
b
--- error_log
server rewrite for /a
server rewrite for /b

=== TEST 11: ngx.req.read_body
--- config
server_rewrite_by_lua_block {
    ngx.req.read_body()
    ngx.ctx.body = ngx.req.get_body_data()
}
location = /t { content_by_lua_block { ngx.say("[", ngx.ctx.body, "]") } }
--- request
POST /t
hello
--- response_body
[hello]

=== TEST 12: an error is a 500 with the chunk name and a traceback
--- config
server_rewrite_by_lua_block { error("boom") }
location = /t { content_by_lua_block { ngx.say("no") } }
--- request
GET /t
--- error_code: 500
--- error_log
qr/server_rewrite_by_lua\(nginx\.conf:\d+\):1: boom/
stack traceback:

=== TEST 13: server_rewrite_by_lua_file, relative to the prefix
--- http_config
server_rewrite_by_lua_file html/sr.lua;
--- config
location = /t { content_by_lua_block { ngx.say(ngx.ctx.from_file) } }
--- user_files
>>> sr.lua
ngx.ctx.from_file = "file " .. ngx.get_phase()
--- request
GET /t
--- response_body
file server_rewrite

=== TEST 14: a syntax error fails the request with OpenResty's log line
--- config
server_rewrite_by_lua_block {
    'for end';
}
location = /t { content_by_lua_block { ngx.say("no") } }
--- request
GET /t
--- error_code: 500
--- error_log
qr/failed to load inlined Lua code: server_rewrite_by_lua\(nginx\.conf:\d+\):2: unexpected symbol near ''for end''/

=== TEST 15: not allowed in a location
--- config
location = /t {
    server_rewrite_by_lua_block { ngx.exit(403) }
    content_by_lua_block { ngx.say("no") }
}
--- must_die
--- error_log
qr/"server_rewrite_by_lua_block" directive is not allowed here in .*nginx\.conf:\d+/

=== TEST 16: twice at one level is an error
--- config
server_rewrite_by_lua_block { ngx.log(ngx.WARN, 1) }
server_rewrite_by_lua_block { ngx.log(ngx.WARN, 2) }
location = /t { content_by_lua_block { ngx.say("no") } }
--- must_die
--- error_log
qr/\[emerg\] .*: is duplicate in .*nginx\.conf:\d+/

=== TEST 17: there is no quoted form
--- config
server_rewrite_by_lua 'ngx.exit(403)';
location = /t { content_by_lua_block { ngx.say("no") } }
--- must_die
--- error_log
qr/unknown directive "server_rewrite_by_lua" in .*nginx\.conf:\d+/
