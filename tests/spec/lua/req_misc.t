# ngx.req.http_version, raw_header, start_time, is_internal, set_uri, set_uri_args, and
# get_post_args' truncation.

__DATA__

=== TEST 1: http_version 1.1
--- config
location = /t {
    content_by_lua_block {
        local v = ngx.req.http_version()
        ngx.say(type(v), " ", string.format("%.1f", v))
    }
}
--- request
GET /t
--- response_body
number 1.1

=== TEST 2: http_version 1.0
--- config
location = /t {
    content_by_lua_block {
        local v = ngx.req.http_version()
        ngx.say(type(v), " ", string.format("%.1f", v), " ", v == 1)
    }
}
--- request
GET /t HTTP/1.0
--- response_body
number 1.0 true

=== TEST 3: raw_header: the header as received, with and without the request line
--- config
location = /t {
    content_by_lua_block {
        local function show(s) return (s:gsub("\r", "\\r"):gsub("\n", "\\n")) end
        ngx.say(show(ngx.req.raw_header()))
        ngx.say(show(ngx.req.raw_header(true)))
        ngx.say(show(ngx.req.raw_header(false)))
    }
}
--- raw_request
GET /t?a=b HTTP/1.1\r\nHost: localhost\r\nX-Foo:   bar\r\nx-foo:baz\r\nX-E:\r\nConnection: close\r\n\r\n
--- response_body
GET /t?a=b HTTP/1.1\r\nHost: localhost\r\nX-Foo:   bar\r\nx-foo:baz\r\nX-E:\r\nConnection: close\r\n\r\n
Host: localhost\r\nX-Foo:   bar\r\nx-foo:baz\r\nX-E:\r\nConnection: close\r\n\r\n
GET /t?a=b HTTP/1.1\r\nHost: localhost\r\nX-Foo:   bar\r\nx-foo:baz\r\nX-E:\r\nConnection: close\r\n\r\n

=== TEST 4: raw_header is rebuilt from nginx's parsed buffer: a value's trailing spaces start with LF
--- config
location = /t {
    content_by_lua_block {
        local function show(s) return (s:gsub("\r", "\\r"):gsub("\n", "\\n")) end
        ngx.say(show(ngx.req.raw_header(true)))
    }
}
--- raw_request
GET /t HTTP/1.1\r\nHost: localhost\r\nX-Foo:   bar  \r\nX-Bar: a b \r\nX-Sp:   \r\nX_U: v \r\nConnection: close\r\n\r\n
--- response_body
Host: localhost\r\nX-Foo:   bar\n \r\nX-Bar: a b\n\r\nX-Sp:   \r\nX_U: v \r\nConnection: close\r\n\r\n

=== TEST 5: raw_header leaves the body out
--- config
location = /t {
    content_by_lua_block {
        local function show(s) return (s:gsub("\r", "\\r"):gsub("\n", "\\n")) end
        ngx.req.read_body()
        ngx.say(show(ngx.req.raw_header()))
        ngx.say(show(ngx.req.raw_header(true)))
        ngx.say(ngx.req.get_body_data())
    }
}
--- raw_request
POST /t HTTP/1.0\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello
--- response_body
POST /t HTTP/1.0\r\nHost: localhost\r\nContent-Length: 5\r\n\r\n
Host: localhost\r\nContent-Length: 5\r\n\r\n
hello

=== TEST 6: start_time is the request's start: a number close to ngx.now() that does not move
--- config
location = /t {
    content_by_lua_block {
        local t = ngx.req.start_time()
        ngx.update_time()
        local now = ngx.now()
        ngx.say(type(t), " ", t <= now, " ", now - t < 1)
        ngx.sleep(0.2)
        ngx.update_time()
        ngx.say(ngx.req.start_time() == t, " ", ngx.now() - t >= 0.19)
    }
}
--- request
GET /t
--- response_body
number true true
true true

=== TEST 7: is_internal: false for the client's request, true after ngx.exec
--- config
location = /t {
    content_by_lua_block {
        ngx.req.set_header("X-T", tostring(ngx.req.is_internal()))
        ngx.exec("/exec")
    }
}
location = /exec {
    content_by_lua_block {
        ngx.say("t ", ngx.var.http_x_t, ", exec ", ngx.req.is_internal())
    }
}
--- request
GET /t
--- response_body
t false, exec true

=== TEST 8: is_internal in an error_page handler
--- config
error_page 404 = /err;
location = /err {
    content_by_lua_block { ngx.say("err ", ngx.req.is_internal(), " ", ngx.var.uri) }
}
--- request
GET /missing
--- response_body
err true /err

=== TEST 9: set_uri without jump changes $uri but not the location; is_internal turns true
--- config
location = /t {
    rewrite_by_lua_block {
        ngx.req.set_uri("/other.html")
        ngx.ctx.r = ngx.var.uri .. " " .. tostring(ngx.req.is_internal())
    }
    content_by_lua_block {
        ngx.say(ngx.ctx.r, " ", ngx.var.uri, " ", ngx.var.request_uri, " ", ngx.var.args)
        ngx.req.set_uri("/again")
        ngx.say(ngx.var.uri)
    }
}
location = /other.html {
    return 200 "wrong location\n";
}
--- request
GET /t?a=1
--- response_body
/other.html true /other.html /t?a=1 a=1
/again

=== TEST 10: set_uri with jump re-matches locations after rewrite; the rest of the handler is skipped
--- config
location = /t {
    rewrite_by_lua_block {
        ngx.req.set_uri("/new", true)
        ngx.log(ngx.ERR, "not reached")
    }
    content_by_lua_block { ngx.say("old") }
}
location = /new {
    content_by_lua_block {
        ngx.say("new ", ngx.var.uri, " ", ngx.var.args, " ", ngx.var.request_uri, " ",
                ngx.req.is_internal())
    }
}
--- request
GET /t?x=y
--- response_body
new /new x=y /t?x=y true
--- no_error_log
not reached

=== TEST 11: a jump runs the new location's rewrite_by_lua, with a fresh ngx.ctx
--- config
location = /t {
    rewrite_by_lua_block {
        ngx.ctx.old = true
        ngx.req.set_uri("/new", true)
    }
}
location = /new {
    rewrite_by_lua_block { ngx.ctx.r = "rewrite " .. tostring(ngx.ctx.old) }
    content_by_lua_block { ngx.say(ngx.ctx.r, " ", ngx.var.uri) }
}
--- request
GET /t
--- response_body
rewrite nil /new

=== TEST 12: set_uri with jump false behaves as without
--- config
location = /t {
    rewrite_by_lua_block { ngx.req.set_uri("/new", false) ngx.ctx.x = 1 }
    content_by_lua_block { ngx.say("t ", ngx.var.uri, " ", ngx.ctx.x) }
}
location = /new {
    return 200 "new\n";
}
--- request
GET /t
--- response_body
t /new 1

=== TEST 13: set_uri with jump outside rewrite_by_lua raises OpenResty's text
--- config
location = /t {
    access_by_lua_block {
        local ok, err = pcall(ngx.req.set_uri, "/a", true)
        ngx.ctx.a = err
    }
    content_by_lua_block {
        ngx.say("access: ", ngx.ctx.a)
        ngx.say("content: ", select(2, pcall(ngx.req.set_uri, "/c", true)))
        ngx.say(ngx.var.uri)
    }
}
--- request
GET /t
--- response_body
access: API disabled in the context of access_by_lua*
content: API disabled in the context of content_by_lua*
/t

=== TEST 14: set_uri argument errors
--- config
location = /t {
    content_by_lua_block {
        ngx.say(pcall(ngx.req.set_uri))
        ngx.say(pcall(ngx.req.set_uri, "/a", false, false, 1))
        ngx.say(pcall(ngx.req.set_uri, ""))
        ngx.say(pcall(ngx.req.set_uri, {}))
        ngx.say(pcall(ngx.req.set_uri, "/a", 1))
        ngx.say(pcall(ngx.req.set_uri, "/a", false, 1))
        ngx.say(pcall(ngx.req.set_uri, "/a\nb"))
        ngx.say(pcall(ngx.req.set_uri, "/a\tb"))
        ngx.say(ngx.var.uri == "/a\tb")
        ngx.say(pcall(ngx.req.set_uri, "/a\0b", false, true))
        ngx.say(ngx.var.uri == "/a\0b")
        ngx.say(pcall(ngx.req.set_uri, 12))
        ngx.say(ngx.var.uri)
    }
}
--- request
GET /t
--- response_body
falseexpecting 1, 2 or 3 arguments but seen 0
falseexpecting 1, 2 or 3 arguments but seen 4
falseattempt to use zero-length uri
falsebad argument #1 to '?' (string expected, got table)
falsebad argument #2 to '?' (boolean expected, got number)
falsebad argument #3 to '?' (boolean expected, got number)
falseunsafe byte "0x0a" in uri "/a\x0Ab" (maybe you want to set the 'binary' argument?)
true
true
true
true
true
12

=== TEST 15: a set_uri jump loop ends in a 500
--- config
location = /t {
    rewrite_by_lua_block { ngx.req.set_uri("/t", true) }
}
--- request
GET /t
--- error_code: 500
--- response_body_like
500 Internal Server Error
--- error_log
rewrite or internal redirection cycle while processing "/t"

=== TEST 16: set_uri_args with a string and a table; set_uri with jump keeps the new args
--- config
location = /t {
    rewrite_by_lua_block {
        ngx.req.set_uri_args("a=1&b=%20")
        ngx.req.set_header("X-S", ngx.var.args .. " [" .. ngx.req.get_uri_args().b .. "]")
        ngx.req.set_uri_args({k = {"x y", "z"}})
        ngx.req.set_header("X-T", ngx.var.args)
        ngx.ctx.gone = true
        ngx.req.set_uri("/new", true)
    }
}
location = /new {
    content_by_lua_block {
        -- The jump starts the new location with a fresh ngx.ctx.
        ngx.say(ngx.var.http_x_s, " ", ngx.var.http_x_t, " ", tostring(ngx.ctx.gone))
        ngx.say(ngx.var.args, " ", ngx.var.query_string, " ", ngx.var.request_uri)
        ngx.say(table.concat(ngx.req.get_uri_args().k, ","))
    }
}
--- request
GET /t?orig=1
--- response_body
a=1&b=%20 [ ] k=x%20y&k=z nil
k=x%20y&k=z k=x%20y&k=z /t?orig=1
x y,z

=== TEST 17: init_worker_by_lua has no real request; init_by_lua has none at all
--- http_config
init_by_lua_block {
    for _, name in ipairs{"http_version", "raw_header", "start_time", "is_internal",
                          "set_uri", "set_uri_args"} do
        local ok, err = pcall(ngx.req[name], "/x")
        print("init ", name, ": ", err)
    end
}
init_worker_by_lua_block {
    for _, name in ipairs{"http_version", "raw_header", "start_time", "is_internal",
                          "set_uri", "set_uri_args"} do
        local ok, err = pcall(ngx.req[name], "/x")
        ngx.log(ngx.WARN, "iw ", name, ": ", ok, " ", err)
    end
}
--- config
location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body
ok
--- error_log
init http_version: no request object found
init raw_header: no request object found
qr/init start_time: \S*:\d+: no request found/
qr/init is_internal: \S*:\d+: no request found/
init set_uri: no request found
init set_uri_args: no request object found
iw http_version: false API disabled in the current context
iw raw_header: false API disabled in the current context
iw start_time: true 0
qr/iw is_internal: false \S*:\d+: API disabled in the current context/
iw set_uri: false API disabled in the current context
iw set_uri_args: false API disabled in the current context

=== TEST 18: get_post_args truncation: max pairs and exactly max pairs
--- http_config
init_by_lua_block {
    function count(t, err)
        local n = 0
        for _ in pairs(t) do n = n + 1 end
        return n .. " " .. tostring(err)
    end
}
--- config
location = /t {
    content_by_lua_block {
        ngx.req.read_body()
        ngx.say("3: ", count(ngx.req.get_post_args(3)))
        ngx.say("2: ", count(ngx.req.get_post_args(2)))
        ngx.say("4: ", count(ngx.req.get_post_args(4)))
    }
}
--- request
POST /t
a=1&b=2&c=3
--- response_body
3: 3 nil
2: 2 truncated
4: 3 nil

=== TEST 19: get_post_args truncation with a trailing '&' and empty pairs
--- http_config
init_by_lua_block {
    function count(t, err)
        local n = 0
        for _ in pairs(t) do n = n + 1 end
        return n .. " " .. tostring(err)
    end
}
--- config
location = /t {
    content_by_lua_block {
        ngx.req.read_body()
        for _, max in ipairs{1, 2, 3, 4} do
            ngx.say(max, ": ", count(ngx.req.get_post_args(max)))
        end
    }
}
--- request
POST /t
a=1&b=2&
--- response_body
1: 1 truncated
2: 2 truncated
3: 2 nil
4: 2 nil
