# ngx.req.get_method / ngx.req.set_method and the ngx.HTTP_* method constants.

__DATA__

=== TEST 1: get_method returns the request's method
--- config
location = /t {
    content_by_lua_block { ngx.say(ngx.req.get_method()) }
}
--- request
DELETE /t
--- response_body
DELETE

=== TEST 2: set_method changes get_method and $request_method for every constant
--- config
location = /t {
    content_by_lua_block {
        local out = {}
        for _, m in ipairs{"HTTP_GET", "HTTP_HEAD", "HTTP_POST", "HTTP_PUT", "HTTP_DELETE",
                           "HTTP_MKCOL", "HTTP_COPY", "HTTP_MOVE", "HTTP_OPTIONS",
                           "HTTP_PROPFIND", "HTTP_PROPPATCH", "HTTP_LOCK", "HTTP_UNLOCK",
                           "HTTP_PATCH", "HTTP_TRACE"} do
            ngx.req.set_method(ngx[m])
            out[#out + 1] = m .. "=" .. ngx[m] .. " " .. ngx.req.get_method() .. " "
                            .. ngx.var.request_method
        end
        -- back to GET before any output (HEAD would make the response header-only)
        ngx.req.set_method(ngx.HTTP_GET)
        ngx.say(table.concat(out, "\n"))
        ngx.say(ngx.req.set_method(ngx.HTTP_GET) == nil)
    }
}
--- request
POST /t
--- response_body
HTTP_GET=2 GET GET
HTTP_HEAD=4 HEAD HEAD
HTTP_POST=8 POST POST
HTTP_PUT=16 PUT PUT
HTTP_DELETE=32 DELETE DELETE
HTTP_MKCOL=64 MKCOL MKCOL
HTTP_COPY=128 COPY COPY
HTTP_MOVE=256 MOVE MOVE
HTTP_OPTIONS=512 OPTIONS OPTIONS
HTTP_PROPFIND=1024 PROPFIND PROPFIND
HTTP_PROPPATCH=2048 PROPPATCH PROPPATCH
HTTP_LOCK=4096 LOCK LOCK
HTTP_UNLOCK=8192 UNLOCK UNLOCK
HTTP_PATCH=16384 PATCH PATCH
HTTP_TRACE=32768 TRACE TRACE
true

=== TEST 3: bad arguments
--- config
location = /t {
    content_by_lua_block {
        ngx.say(pcall(ngx.req.set_method, "GET"))
        ngx.say(pcall(ngx.req.set_method))
        ngx.say(pcall(ngx.req.set_method, 3))
        ngx.say(pcall(ngx.req.set_method, 12345))
        ngx.say(pcall(ngx.req.get_method, "ignored"))
        ngx.say(ngx.req.get_method())
    }
}
--- request
GET /t
--- response_body
falsebad method number
falsebad method number
falseunsupported HTTP method: 3
falseunsupported HTTP method: 12345
trueGET
GET

=== TEST 4: an uncaught bad method is reported at the caller's line
--- config
location = /t {
    content_by_lua_block {
        ngx.req.set_method("x")
    }
}
--- request
GET /t
--- error_code: 500
--- response_body_like
500 Internal Server Error
--- error_log
qr/content_by_lua\(nginx\.conf:\d+\):2: bad method number/

=== TEST 5: rewrite, access and log phases
--- config
location = /t {
    rewrite_by_lua_block { ngx.req.set_method(ngx.HTTP_PUT) }
    access_by_lua_block { ngx.ctx.a = ngx.req.get_method() }
    content_by_lua_block { ngx.say(ngx.ctx.a, " ", ngx.req.get_method()) }
    log_by_lua_block {
        ngx.req.set_method(ngx.HTTP_PATCH)
        ngx.log(ngx.WARN, "log method: ", ngx.req.get_method())
    }
}
--- request
GET /t
--- response_body
PUT PUT
--- error_log
log method: PATCH

=== TEST 6: init_worker has no request to work on, init none at all
--- http_config
init_by_lua_block {
    local ok, err = pcall(ngx.req.get_method)
    print("init get_method: ", err)
    ok, err = pcall(ngx.req.set_method, ngx.HTTP_GET)
    print("init set_method: ", err)
}
init_worker_by_lua_block {
    local ok, err = pcall(ngx.req.get_method)
    ngx.log(ngx.WARN, "iw get_method: ", err)
    ok, err = pcall(ngx.req.set_method, ngx.HTTP_GET)
    ngx.log(ngx.WARN, "iw set_method: ", err)
    ok, err = pcall(ngx.req.set_method, "x")
    ngx.log(ngx.WARN, "iw bad set_method: ", err)
}
--- config
location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body
ok
--- error_log
qr/init get_method: \S+:\d+: no request found/
qr/init set_method: \S+:\d+: no request found/
iw get_method: API disabled in the current context
iw set_method: API disabled in the current context
iw bad set_method: bad method number
