# ngx.redirect (status, Location as given, nginx's page) and ngx.exec (internal redirect with
# args, named locations, ngx.ctx reset), their argument errors and phases.

__DATA__

=== TEST 1: redirect defaults to 302 and keeps a relative Location as given
--- config
location = /t { content_by_lua_block { ngx.redirect("/foo?a=1") } }
--- request
GET /t
--- error_code: 302
--- response_headers
Location: /foo?a=1
Content-Type: text/html
--- response_body_like: <title>302 Found</title>

=== TEST 2: redirect 301 to an absolute URL keeps the headers already set
--- config
location = /t {
    content_by_lua_block {
        ngx.header.X_A = "1"
        ngx.redirect("http://example.com/x", ngx.HTTP_MOVED_PERMANENTLY)
    }
}
--- request
GET /t
--- error_code: 301
--- response_headers
Location: http://example.com/x
X-A: 1
--- response_body_like: <title>301 Moved Permanently</title>

=== TEST 3: redirect 307 from rewrite_by_lua; later phases do not run
--- config
location = /t {
    rewrite_by_lua_block { ngx.redirect("/other", 307) }
    content_by_lua_block { ngx.say("not reached") }
}
--- request
GET /t
--- error_code: 307
--- response_headers
Location: /other
--- response_body_like: <title>307 Temporary Redirect</title>

=== TEST 4: redirect 303 and 308 from access_by_lua
--- config
location = /t {
    access_by_lua_block { ngx.redirect("/other", ngx.var.arg_s + 0) }
    content_by_lua_block { ngx.say("not reached") }
}
--- request
GET /t?s=308
--- error_code: 308
--- response_headers
Location: /other

=== TEST 5: redirect argument errors
--- config
location = /t {
    content_by_lua_block {
        local function try(...)
            local ok, err = pcall(ngx.redirect, ...)
            return err
        end
        local out = {
            try(),
            try("/a", 302, 3),
            try("/a", 200),
            try("/a", "abc"),
            try({}, 302),
            try("/a", 3.5),
        }
        ngx.say(table.concat(out, "\n"))
    }
}
--- request
GET /t
--- response_body
expecting one or two arguments
expecting one or two arguments
only ngx.HTTP_MOVED_TEMPORARILY, ngx.HTTP_MOVED_PERMANENTLY, ngx.HTTP_PERMANENT_REDIRECT, ngx.HTTP_SEE_OTHER, and ngx.HTTP_TEMPORARY_REDIRECT are allowed
bad argument #2 to '?' (number expected, got string)
bad argument #1 to '?' (string expected, got table)
only ngx.HTTP_MOVED_TEMPORARILY, ngx.HTTP_MOVED_PERMANENTLY, ngx.HTTP_PERMANENT_REDIRECT, ngx.HTTP_SEE_OTHER, and ngx.HTTP_TEMPORARY_REDIRECT are allowed

=== TEST 6: an unsafe byte in the redirect URI
--- config
location = /t {
    content_by_lua_block {
        local _, err1 = pcall(ngx.redirect, "/a\r\nSet-Cookie: x")
        local _, err2 = pcall(ngx.redirect, '\rhttp\\://"b"/\127\200')
        ngx.say(err1)
        ngx.say(err2)
    }
}
--- request
GET /t
--- response_body
unsafe byte "0x0d" in redirect uri "/a\x0D\x0ASet-Cookie: x"
unsafe byte "0x0d" in redirect uri "\x0Dhttp\x5C://\x22b\x22/\x7F\xC8"

=== TEST 7: redirect after the header was sent
--- config
location = /t {
    content_by_lua_block {
        ngx.say("body")
        local ok, err = pcall(ngx.redirect, "/a")
        ngx.say(err)
    }
}
--- request
GET /t
--- response_body
body
attempt to call ngx.redirect after sending out the headers

=== TEST 8: an uncaught bad status is a 500
--- config
location = /t { content_by_lua_block { ngx.redirect("/a", 404) } }
--- request
GET /t
--- error_code: 500
--- error_log
only ngx.HTTP_MOVED_TEMPORARILY, ngx.HTTP_MOVED_PERMANENTLY

=== TEST 9: exec with a string of args; the uri's own args come first
--- config
location = /t { content_by_lua_block { ngx.exec("/target?a=1", "b=2") } }
location = /target { content_by_lua_block { ngx.say(ngx.var.uri, " ", ngx.var.args) } }
--- request
GET /t?orig=1
--- response_body
/target a=1&b=2

=== TEST 10: exec with a table of args, and with a number
--- config
location = /t {
    content_by_lua_block {
        if ngx.var.arg_n then
            ngx.exec("/target", 42)
        end
        ngx.exec("/target", {foo = "a b"})
    }
}
location = /target { content_by_lua_block { ngx.say(ngx.var.args) } }
--- request
GET /t
--- response_body
foo=a%20b

=== TEST 11: exec to a static location
--- config
location = /t { content_by_lua_block { ngx.exec("/index.html") } }
--- user_files
>>> index.html
static page
--- request
GET /t
--- response_body
static page

=== TEST 12: exec to a named location ignores args (with a warning)
--- config
location = /t { content_by_lua_block { ngx.exec("@named", "a=1") } }
location @named { content_by_lua_block { ngx.say("named ", ngx.var.uri, " ", tostring(ngx.var.args)) } }
--- request
GET /t?x=y
--- response_body
named /t x=y
--- error_log
query strings a=1 ignored when exec'ing named location @named

=== TEST 13: ngx.ctx does not survive ngx.exec; rewrite_by_lua can exec
--- config
location = /t {
    rewrite_by_lua_block {
        ngx.ctx.foo = "set before exec"
        ngx.exec("/target")
    }
}
location = /target {
    content_by_lua_block { ngx.say("ctx: ", tostring(ngx.ctx.foo), ", internal") }
}
--- request
GET /t
--- response_body
ctx: nil, internal

=== TEST 14: exec from access_by_lua after ngx.sleep
--- config
location = /t {
    access_by_lua_block {
        ngx.sleep(0.001)
        ngx.exec("/target")
    }
    content_by_lua_block { ngx.say("not reached") }
}
location = /target { content_by_lua_block { ngx.say("target") } }
--- request
GET /t
--- response_body
target

=== TEST 15: exec argument errors
--- config
location = /t {
    content_by_lua_block {
        local function try(...)
            local ok, err = pcall(ngx.exec, ...)
            return err
        end
        local out = {
            try(),
            try("/a", {}, 3),
            try(""),
            try({}),
            try("/a", true),
            try("/../a"),
            try("/a/.."),
            try("/a\0b"),
            try("/a", {[1] = "x"}),
        }
        ngx.say(table.concat(out, "\n"))
    }
}
--- request
GET /t
--- response_body
expecting one or two arguments, but got 0
expecting one or two arguments, but got 3
The uri argument is empty
bad argument #1 to '?' (string expected, got table)
bad argument #2 to '?' (string, number, or table expected, but got boolean)
unsafe uri
unsafe uri
unsafe uri
attempt to use a non-string key in the "args" option table
--- error_log
unsafe URI "/../a" was detected

=== TEST 16: exec after the header was sent
--- config
location = /t {
    content_by_lua_block {
        ngx.send_headers()
        local ok, err = pcall(ngx.exec, "/a")
        ngx.say(err)
    }
}
--- request
GET /t
--- response_body
attempt to call ngx.exec after sending out response headers

=== TEST 17: an exec cycle ends in a 500
--- config
location = /t { content_by_lua_block { ngx.exec("/t") } }
--- request
GET /t
--- error_code: 500
--- error_log
rewrite or internal redirection cycle while internally redirecting to "/t"

=== TEST 18: redirect, exec and send_headers are disabled in log_by_lua
--- config
location = /t {
    content_by_lua_block { ngx.say("ok") }
    log_by_lua_block {
        local ok, err = pcall(ngx.redirect, "/a")
        ngx.log(ngx.WARN, "redirect: ", err)
        ok, err = pcall(ngx.exec, "/a")
        ngx.log(ngx.WARN, "exec: ", err)
    }
}
--- request
GET /t
--- response_body
ok
--- error_log
redirect: API disabled in the context of log_by_lua*
exec: API disabled in the context of log_by_lua*

=== TEST 19: redirect and exec in init_worker_by_lua
--- http_config
init_worker_by_lua_block {
    local ok, err = pcall(ngx.redirect, "/a")
    ngx.log(ngx.WARN, "redirect: ", err)
    ok, err = pcall(ngx.exec, "/a")
    ngx.log(ngx.WARN, "exec: ", err)
}
--- config
location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body
ok
--- error_log
redirect: API disabled in the context of init_worker_by_lua*
exec: API disabled in the context of init_worker_by_lua*

=== TEST 20: exec and redirect from inside a user coroutine
--- config
location = /t {
    content_by_lua_block {
        local co = coroutine.wrap(function()
            if ngx.var.arg_r then
                ngx.redirect("/r")
            end
            ngx.exec("/target")
        end)
        co()
        ngx.say("not reached")
    }
}
location = /target { content_by_lua_block { ngx.say("target") } }
--- request
GET /t
--- response_body
target

=== TEST 21: a named location's Lua output starts without the headers the first handler set
--- config
location = /t {
    content_by_lua_block {
        ngx.header["Content-Length"] = "0"
        ngx.header.content_type = nil
        return ngx.exec("@named")
    }
}
location @named {
    content_by_lua_block { ngx.say("named") }
}
--- request
GET /t
--- response_body
named
--- response_headers
Content-Type: text/plain
--- no_error_log
[error]
