# Corner cases where Tycho once answered differently from OpenResty, each found by
# tests/integration/test_lua_compat.py (random ngx.* calls run on both servers, responses
# compared). The reference run checks every block against Debian's nginx + lua-nginx-module.

__DATA__

=== TEST 1: $args is nil without arguments, after an empty '?' and after ngx.exec without arguments; "" after set_uri_args("")
--- config
location = /t {
    content_by_lua_block {
        if ngx.var.arg_x then
            return ngx.exec("/u")
        end
        ngx.say(tostring(ngx.var.args), " ", tostring(ngx.var.query_string), " [",
                ngx.var.is_args, "]")
        ngx.req.set_uri_args("")
        ngx.say("[", tostring(ngx.var.args), "]")
    }
}
location = /u { content_by_lua_block { ngx.say("u ", tostring(ngx.var.args)) } }
--- pipelined_requests
GET /t
GET /t?
GET /t?x=1
--- response_body
nil nil []
[]
nil nil []
[]
u nil
--- no_error_log
[error]

=== TEST 2: $request_body is nil until a body with bytes was read
--- config
location = /t {
    content_by_lua_block {
        ngx.say(tostring(ngx.var.request_body))
        ngx.req.read_body()
        ngx.say(tostring(ngx.var.request_body))
    }
}
--- request
POST /t
a=1
--- response_body
nil
a=1
--- no_error_log
[error]

=== TEST 3: $request_body is nil after reading an empty body
--- config
location = /t {
    content_by_lua_block {
        ngx.req.read_body()
        ngx.say(tostring(ngx.var.request_body), " ", tostring(ngx.req.get_body_data()))
    }
}
--- request
POST /t
--- response_body
nil nil
--- no_error_log
[error]

=== TEST 4: the prefixed variables nginx defines itself are "not changeable"; other prefixed ones are "not found for writing"
--- config
location = /t {
    content_by_lua_block {
        for _, name in ipairs({"http_host", "http_cookie", "sent_http_content_type", "http_accept",
                               "cookie_a", "arg_a"}) do
            local ok, err = pcall(function() ngx.var[name] = true end)
            ngx.say(name, ": ", err:find("not found for writing", 1, true) and "not found"
                                or err:match('not changeable') or err)
        end
    }
}
--- request
GET /t
--- response_body
http_host: not changeable
http_cookie: not changeable
sent_http_content_type: not changeable
http_accept: not found
cookie_a: not found
arg_a: not found
--- no_error_log
[error]

=== TEST 5: set_uri_args with a string escapes control bytes, spaces and DEL only
--- config
location = /t {
    content_by_lua_block {
        ngx.req.set_uri_args("a b\tc%20=+&#\127x")
        ngx.say(ngx.var.args)
        ngx.req.set_uri_args(1.5)
        ngx.say(ngx.var.args)
    }
}
--- request
GET /t
--- response_body
a%20b%09c%20=+&#%7Fx
1.5
--- no_error_log
[error]

=== TEST 6: decode_args returns "truncated" when it stops at the '&' ending the max-th pair
--- config
location = /t {
    content_by_lua_block {
        local function show(t, err)
            local keys = {}
            for k in pairs(t) do keys[#keys + 1] = k end
            table.sort(keys)
            return table.concat(keys, ",") .. " " .. tostring(err)
        end
        ngx.say(show(ngx.decode_args("a=1", 1)))
        ngx.say(show(ngx.decode_args("a=1&", 1)))
        ngx.say(show(ngx.decode_args("a=1&b=2&c", 2)))
        ngx.say(show(ngx.decode_args("a=1&b=2", 2)))
        ngx.say(show(ngx.decode_args("&&a", 2)))
    }
}
--- request
GET /t
--- response_body
a nil
a truncated
a,b truncated
a,b nil
 truncated
--- no_error_log
[error]

=== TEST 7: http_time and cookie_time clamp as nginx's ngx_gmtime: the epoch below it, 9999-12-31 23:59:59 above
--- config
location = /t {
    content_by_lua_block {
        ngx.say(ngx.http_time(-1))
        ngx.say(ngx.cookie_time(-86400))
        ngx.say(ngx.http_time(253402300799))
        ngx.say(ngx.http_time(1e15))
        ngx.say(ngx.cookie_time(1e15))
    }
}
--- request
GET /t
--- response_body
Thu, 01 Jan 1970 00:00:00 GMT
Thu, 01-Jan-70 00:00:00 GMT
Fri, 31 Dec 9999 23:59:59 GMT
Fri, 31 Dec 9999 23:59:59 GMT
Fri, 31-Dec-9999 23:59:59 GMT
--- no_error_log
[error]

=== TEST 8: a Last-Modified value reads back as the date nginx parsed from it, or nil; it is sent as given
--- config
location = /t {
    content_by_lua_block {
        ngx.header["Last-Modified"] = "Sunday, 06-Nov-94 08:49:37 GMT"
        local parsed = ngx.header["Last-Modified"]
        ngx.header["Last-Modified"] = "yesterday"
        ngx.say(parsed)
        ngx.say(tostring(ngx.header["Last-Modified"]))
    }
}
--- request
GET /t
--- response_headers
Last-Modified: yesterday
--- response_body
Sun, 06 Nov 1994 08:49:37 GMT
nil
--- no_error_log
[error]

=== TEST 9: ngx.req.set_header refuses a Content-Length that is not a number: "failed to set header"
--- config
location = /t {
    content_by_lua_block {
        for _, v in ipairs({"12a", "-1", " 1", "99999999999999999999"}) do
            local ok, err = pcall(ngx.req.set_header, "Content-Length", v)
            ngx.say(v, ": ", ok and "ok" or err:match("failed to set header"),
                    " ", tostring(ngx.var.http_content_length))
        end
    }
}
--- request
GET /t
--- response_body
12a: failed to set header nil
-1: failed to set header nil
 1: failed to set header nil
99999999999999999999: failed to set header nil
--- no_error_log
[error]

=== TEST 10: a Lua response with status 304 gets no default Content-Type
--- config
location = /t { content_by_lua_block { ngx.status = 304 ngx.exit(200) } }
--- raw_request
GET /t HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n
--- error_code: 304
--- response_headers
!Content-Type
--- no_error_log
[error]

=== TEST 11: ngx.timer.at takes a huge delay (a timer that never comes due)
--- config
location = /t {
    content_by_lua_block {
        local ok, err = ngx.timer.at(1e10, function() end)
        ngx.say(ok and "ok" or err)
    }
}
--- request
GET /t
--- response_body
ok
--- no_error_log
[error]

=== TEST 12: set_header with a table keeps the last value for the headers nginx parses itself, all of them for others
--- config
location = /t {
    content_by_lua_block {
        ngx.req.set_header("User-Agent", {"a", "b"})
        ngx.req.set_header("Accept", {"c", "d"})
        ngx.req.set_header("X-Any", {"e", "f"})
        local h = ngx.req.get_headers()
        ngx.say(h["User-Agent"], " ", table.concat(h.accept, ","), " ", table.concat(h.x_any, ","),
                " ", ngx.var.http_user_agent)
    }
}
--- request
GET /t
--- response_body
b c,d e,f b
--- no_error_log
[error]

=== TEST 13: set_header refuses a Host nginx would refuse: "failed to set header"; a valid one changes $host
--- config
location = /t {
    content_by_lua_block {
        local ok, err = pcall(ngx.req.set_header, "Host", "/a/b/../c")
        ngx.say(ok, " ", err:match("failed to set header"), " ", ngx.var.host)
        ngx.req.set_header("Host", "Example.COM.:8080")
        ngx.say(ngx.var.host, " ", ngx.var.http_host)
    }
}
--- request
GET /t
--- response_body
false failed to set header localhost
example.com Example.COM.:8080
--- no_error_log
[error]

=== TEST 14: ngx.exit with a code nginx has no page for sends no body and no Content-Type; error pages drop Last-Modified and ETag
--- config
location = /t {
    content_by_lua_block {
        ngx.header.content_type = "application/json"
        ngx.header["Last-Modified"] = "Sun, 06 Nov 1994 08:49:37 GMT"
        ngx.exit(600)
    }
}
location = /u {
    content_by_lua_block {
        ngx.header["Last-Modified"] = "Sun, 06 Nov 1994 08:49:37 GMT"
        ngx.header.etag = "abc"
        ngx.exit(404)
    }
}
--- pipelined_requests
GET /t
GET /u
--- error_code: 600 404
--- response_headers
!Last-Modified
!ETag
Content-Type: text/html
--- no_error_log
[error]

=== TEST 15: after ngx.exec the new location's output gets a default Content-Type even if the old one cleared it
--- config
location = /t {
    content_by_lua_block {
        ngx.header.content_type = nil
        ngx.exec("/u")
    }
}
location = /u { content_by_lua_block { ngx.say("u") } }
--- request
GET /t
--- response_headers
Content-Type: text/plain
--- response_body
u
--- no_error_log
[error]

=== TEST 16: a variable-writing error is cut at lua-resty-core's 256-byte buffer
--- config
location = /t {
    content_by_lua_block {
        local ok, err = pcall(function() ngx.var[string.rep("x", 150)] = 1 end)
        ngx.say(#err:gsub("^.-:%d+: ", ""))
    }
}
--- request
GET /t
--- response_body
256
--- no_error_log
[error]

=== TEST 17: ngx.exit(600) sends no Content-Type, whatever the handler set
--- config
location = /t {
    content_by_lua_block {
        ngx.header.content_type = "application/json"
        ngx.exit(600)
    }
}
--- request
GET /t
--- error_code: 600
--- response_headers
!Content-Type
Content-Length: 0
--- no_error_log
[error]

=== TEST 18: with ngx.status 400 the request headers are left alone, as lua-nginx-module does
--- config
location = /t {
    content_by_lua_block {
        ngx.status = 400
        ngx.req.set_header("X-E", "v")
        ngx.req.clear_header("X-Keep")
        ngx.status = 200
        ngx.req.set_header("X-F", "w")
        local h = ngx.req.get_headers()
        ngx.say(tostring(h["X-E"]), " ", h["X-F"], " ", h["X-Keep"])
    }
}
--- request
GET /t
--- more_headers
X-Keep: k
--- response_body
nil w k
--- no_error_log
[error]

=== TEST 19: nginx's not_modified filter applies to Lua output: a matching If-None-Match gets 304 without a body
--- config
location = /t {
    content_by_lua_block {
        ngx.header.etag = '"v1"'
        ngx.say("body")
    }
}
--- request
GET /t
--- more_headers
If-None-Match: "v0", "v1"
--- error_code: 304
--- response_headers
ETag: "v1"
!Content-Type
--- response_body
--- no_error_log
[error]

=== TEST 20: a Last-Modified set from Lua and the same If-Modified-Since give 304; another date gives the body
--- config
location = /t {
    content_by_lua_block {
        ngx.header["Last-Modified"] = ngx.http_time(1700000000)
        ngx.say("body")
    }
}
--- pipelined_requests
GET /t
GET /t
--- more_headers
If-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT
--- error_code: 304 304
--- no_error_log
[error]

=== TEST 21: If-None-Match that does not match, or no ETag at all: the response as usual
--- config
location = /t {
    content_by_lua_block {
        if ngx.var.arg_e then
            ngx.header.etag = '"v2"'
        end
        ngx.say("body")
    }
}
--- pipelined_requests
GET /t?e=1
GET /t
--- more_headers
If-None-Match: "v1"
--- error_code: 200 200
--- response_body
body
body
--- no_error_log
[error]

=== TEST 22: If-Unmodified-Since on a Lua response without Last-Modified answers 412 and closes the connection (nginx's rule)
--- config
location = /t { content_by_lua_block { ngx.say("body") } }
--- pipelined_requests
GET /t
GET /t
--- more_headers
If-Unmodified-Since: Tue, 14 Nov 2023 22:13:20 GMT
--- error_code: 412
--- response_body_like
412 Precondition Failed
--- no_error_log
[error]

=== TEST 23: If-Match on a `return` response (no ETag) answers 412 too
--- config
location = /u { return 200 "x\n"; }
--- request
GET /u
--- more_headers
If-Match: "x"
--- error_code: 412
--- response_body_like
412 Precondition Failed

=== TEST 24: ngx.sleep checks its argument before the phase
--- config
location = /t {
    set_by_lua_block $r {
        local ok, err = pcall(ngx.sleep, "x")
        local ok2, err2 = pcall(ngx.sleep, 0)
        return err .. "|" .. err2
    }
    content_by_lua_block { ngx.say((ngx.var.r:gsub("[^|]-:%d+: ", ""))) }
}
--- request
GET /t
--- response_body
bad argument #1 to '?' (number expected, got string)|API disabled in the context of set_by_lua*
--- no_error_log
[error]

=== TEST 25: coroutine.wrap / create / status raise "API disabled" in set_by_lua* and log_by_lua*
--- config
location = /t {
    set_by_lua_block $r {
        local ok, err = pcall(coroutine.wrap, function() end)
        local ok2, err2 = pcall(coroutine.create, function() end)
        return err .. "|" .. err2
    }
    content_by_lua_block { ngx.say((ngx.var.r:gsub("[^|]-:%d+: ", ""))) }
    log_by_lua_block {
        local ok, err = pcall(coroutine.wrap, function() end)
        local ok2, err2 = pcall(coroutine.status, nil)
        ngx.log(ngx.WARN, "log: ", err, " | ", err2)
    }
}
--- request
GET /t
--- response_body
API disabled in the context of set_by_lua*|API disabled in the context of set_by_lua*
--- error_log
log: API disabled in the context of log_by_lua* | bad argument #1 to '?' (coroutine expected)

=== TEST 26: in the body filter, coroutine.wrap is LuaJIT's: a string error comes back with the position of a Lua caller
--- config
location = /t {
    content_by_lua_block { ngx.say("body") }
    body_filter_by_lua_block {
        if ngx.arg[2] then
            local f = coroutine.wrap(function() error("boom") end)
            local g = coroutine.wrap(function() error("bang") end)
            local _, err = pcall(f)
            local _, err2 = pcall(function() g() end)
            ngx.arg[1] = ngx.arg[1] .. err .. "\n" .. err2 .. "\n"
        end
    }
}
--- request
GET /t
--- response_body_like
^body
body_filter_by_lua\(nginx\.conf:\d+\):3: boom
body_filter_by_lua\(nginx\.conf:\d+\):6: body_filter_by_lua\(nginx\.conf:\d+\):4: bang
$
--- no_error_log
[error]

=== TEST 27: ngx.status in a timer: "API disabled in the current context" (a value tonumber refuses: the conversion error first)
--- config
location = /t {
    content_by_lua_block {
        local res = {}
        ngx.timer.at(0, function()
            res[1] = select(2, pcall(function() ngx.status = 200 end))
            res[2] = select(2, pcall(function() ngx.status = "x" end))
        end)
        ngx.sleep(0.05)
        ngx.say((res[1]:gsub("^.-:%d+: ", "")))
        ngx.say((res[2]:gsub("^.-:%d+: ", "")))
    }
}
--- request
GET /t
--- response_body
API disabled in the current context
bad argument #2 to 'ngx_http_lua_ffi_set_resp_status' (cannot convert 'nil' to 'int')
--- no_error_log
[error]

=== TEST 28: after ngx.exec, a Content-Length the first handler set is dropped unless the new one sets a header
--- config
location = /t {
    content_by_lua_block {
        ngx.header.content_length = 12
        ngx.exec("/u")
    }
}
location = /u { content_by_lua_block { ngx.say("u") } }
--- request
GET /t
--- response_headers
!Content-Length
Transfer-Encoding: chunked
--- response_body
u
--- no_error_log
[error]
