# ngx.ctx across the phases of one request, and ngx.get_phase.

__DATA__

=== TEST 1: one table shared by rewrite, access, content and log
--- config
location = /t {
    rewrite_by_lua_block { ngx.ctx.trail = ngx.get_phase() }
    access_by_lua_block { ngx.ctx.trail = ngx.ctx.trail .. "," .. ngx.get_phase() }
    content_by_lua_block {
        ngx.ctx.trail = ngx.ctx.trail .. "," .. ngx.get_phase()
        ngx.say(ngx.ctx.trail)
    }
    log_by_lua_block { ngx.log(ngx.WARN, "trail at log: ", ngx.ctx.trail) }
}
--- request
GET /t
--- response_body
rewrite,access,content
--- error_log
trail at log: rewrite,access,content

=== TEST 2: each request starts with an empty ctx (the block runs twice)
--- config
location = /t {
    content_by_lua_block {
        ngx.say(ngx.ctx.seen)
        ngx.ctx.seen = true
    }
}
--- request
GET /t
--- response_body
nil

=== TEST 3: ngx.ctx is assignable
--- config
location = /t {
    rewrite_by_lua_block { ngx.ctx = {v = "replaced"} }
    content_by_lua_block { ngx.say(ngx.ctx.v) }
}
--- request
GET /t
--- response_body
replaced

=== TEST 4: a server-level rewrite_by_lua is inherited by the location
--- config
rewrite_by_lua_block { ngx.ctx.from = "server" }
location = /t { content_by_lua_block { ngx.say(ngx.ctx.from) } }
--- request
GET /t
--- response_body
server
