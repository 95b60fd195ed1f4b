# ngx.header (response headers: set, append, clear, case-insensitive get, underscores,
# Content-Type / Content-Length, escaping, after the header is sent), ngx.send_headers and
# ngx.headers_sent.

__DATA__

=== TEST 1: set, multi-value tables, case-insensitive get with underscores
--- config
location = /t {
    content_by_lua_block {
        ngx.header.X_Foo = "a"
        ngx.header["X-Bar"] = {"b1", "b2"}
        ngx.header.X_Num = 12
        local bar = ngx.header.x_bar
        ngx.say(ngx.header["x-foo"], " ", type(bar), " ", table.concat(bar, ","), " ",
                ngx.header.X_NUM, " ", type(ngx.header.x_num), " ", tostring(ngx.header.X_None))
    }
}
--- request
GET /t
--- response_body
a table b1,b2 12 string nil
--- response_headers
X-Foo: a
X-Bar: b1, b2
X-Num: 12

=== TEST 2: overriding keeps the first header's spelling; a table appends after it
--- config
location = /t {
    content_by_lua_block {
        ngx.header.X_Foo = "a"
        ngx.header["x-foo"] = {"b", "c"}
        ngx.header.X_M = {"m1", "m2"}
        ngx.header.X_M = "m3"
        ngx.say("ok")
    }
}
--- request
GET /t
--- response_body
ok
--- response_headers
X-Foo: b, c
X-M: m3

=== TEST 3: nil, {} and "" clear a header
--- config
location = /t {
    content_by_lua_block {
        ngx.header.X_A = "1"
        ngx.header.X_B = "2"
        ngx.header.X_C = "3"
        ngx.header.X_A = nil
        ngx.header.X_B = {}
        ngx.header.X_C = ""
        ngx.say(tostring(ngx.header.X_A), tostring(ngx.header.X_B), tostring(ngx.header.X_C))
    }
}
--- request
GET /t
--- response_body
nilnilnil
--- response_headers
!X-A
!X-B
!X-C

=== TEST 4: Content-Type: nil until set, then sent as set
--- config
location = /t {
    default_type text/html;
    content_by_lua_block {
        local before = tostring(ngx.header["Content-Type"])
        ngx.header.content_type = "text/my-plain; charset=utf-8"
        ngx.say(before, " ", ngx.header["content-type"])
    }
}
--- request
GET /t
--- response_body
nil text/my-plain; charset=utf-8
--- response_headers
Content-Type: text/my-plain; charset=utf-8

=== TEST 5: Content-Length: set, read back as a string, cleared
--- config
location = /t {
    content_by_lua_block {
        ngx.header.content_length = 3
        local v = ngx.header["Content-Length"]
        ngx.header.content_length = nil
        local cleared = tostring(ngx.header.content_length)
        ngx.header.content_length = 13
        ngx.say(v, " ", type(v), " ", cleared)
    }
}
--- request
GET /t
--- response_body
3 string nil
--- response_headers
Content-Length: 13

=== TEST 6: a bad Content-Length raises "failed to set header"
--- config
location = /t {
    content_by_lua_block {
        local ok, err = pcall(function() ngx.header.content_length = "abc" end)
        ngx.say((err:gsub("^content_by_lua%(nginx%.conf:%d+%)", "")))
    }
}
--- request
GET /t
--- response_body
:2: failed to set header

=== TEST 7: Server can be replaced and Date removed
--- config
location = /t {
    content_by_lua_block {
        ngx.header.Server = "mine"
        ngx.header.Date = nil
        ngx.say(ngx.header.server, " ", tostring(ngx.header.date))
    }
}
--- request
GET /t
--- response_body
mine nil
--- response_headers
Server: mine
!Date

=== TEST 8: control bytes in values and unsafe bytes in names are %-escaped
--- config
location = /t {
    content_by_lua_block {
        ngx.header.X_Crlf = "a\r\nb\tc\0d\127"
        ngx.header["X Sp:c"] = "v"
        ngx.say(ngx.header.x_crlf)
    }
}
--- request
GET /t
--- response_body
a%0D%0Ab	c%00d%7F
--- response_headers
X-Crlf: a%0D%0Ab	c%00d%7F
X%20Sp%3Ac: v

=== TEST 9: lua_transform_underscores_in_response_headers off
--- config
lua_transform_underscores_in_response_headers off;
location = /t {
    content_by_lua_block {
        ngx.header.X_Foo = "a"
        ngx.say(ngx.header.X_Foo, " ", tostring(ngx.header["X-Foo"]))
    }
}
--- request
GET /t
--- response_body
a nil
--- response_headers
X_Foo: a
!X-Foo

=== TEST 10: send_headers, headers_sent, and setting a header afterwards
--- config
location = /t {
    content_by_lua_block {
        ngx.header.X_Early = "1"
        local before = ngx.headers_sent
        local r1 = ngx.send_headers()
        local after = ngx.headers_sent
        ngx.header.X_Late = "1"
        local r2 = ngx.send_headers()
        ngx.say(before, " ", r1, " ", after, " ", tostring(ngx.header.X_Late), " ", r2)
    }
}
--- request
GET /t
--- response_body
false 1 true nil 1
--- response_headers
X-Early: 1
!X-Late
--- error_log
attempt to set ngx.header.HEADER after sending out response headers

=== TEST 11: rewrite and access phases set headers for the content phase
--- config
location = /t {
    rewrite_by_lua_block { ngx.header.X_Rewrite = "r" }
    access_by_lua_block { ngx.header.X_Access = ngx.header.X_Rewrite .. "a" }
    content_by_lua_block { ngx.say(ngx.header.x_access) }
}
--- request
GET /t
--- response_body
ra
--- response_headers
X-Rewrite: r
X-Access: ra

=== TEST 12: log_by_lua reads headers; setting one logs the error; send_headers is disabled
--- config
location = /t {
    content_by_lua_block { ngx.header.X_Foo = "bar" ngx.say("ok") }
    log_by_lua_block {
        ngx.log(ngx.WARN, "log reads: ", ngx.header.X_Foo, " sent: ", tostring(ngx.headers_sent))
        ngx.header.X_Foo = "late"
        local ok, err = pcall(ngx.send_headers)
        ngx.log(ngx.WARN, "send_headers: ", err)
    }
}
--- request
GET /t
--- response_body
ok
--- error_log
log reads: bar sent: true
attempt to set ngx.header.HEADER after sending out response headers
send_headers: API disabled in the context of log_by_lua*

=== TEST 13: init_worker_by_lua: no request
--- http_config
init_worker_by_lua_block {
    local ok, err = pcall(function() return ngx.header.foo end)
    ngx.log(ngx.WARN, "get: ", err)
    ok, err = pcall(function() ngx.header.foo = 1 end)
    ngx.log(ngx.WARN, "set: ", err)
    ok, err = pcall(ngx.send_headers)
    ngx.log(ngx.WARN, "send_headers: ", err)
    ok, err = pcall(function() return ngx.headers_sent end)
    ngx.log(ngx.WARN, "headers_sent: ", err)
}
--- config
location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body
ok
--- error_log
qr/get: init_worker_by_lua\(nginx\.conf:\d+\):2: API disabled in the current context/
qr/set: init_worker_by_lua\(nginx\.conf:\d+\):4: API disabled in the current context/
send_headers: API disabled in the context of init_worker_by_lua*
qr/headers_sent: init_worker_by_lua\(nginx\.conf:\d+\):8: API disabled in the current context/

=== TEST 14: ngx.header.content_type = nil: no Content-Type at all (the default type is not applied)
--- config
location = /t {
    default_type text/plain;
    content_by_lua_block {
        ngx.header.content_type = "text/foo"
        ngx.header.content_type = nil
        ngx.say(tostring(ngx.header.content_type))
    }
}
--- request
GET /t
--- response_headers
!Content-Type
--- response_body
nil

=== TEST 15: an empty Content-Type also stops the default type
--- config
location = /t { default_type text/plain; content_by_lua_block { ngx.header["Content-Type"] = "" ngx.say("x") } }
--- request
GET /t
--- response_headers
!Content-Type
--- response_body
x

=== TEST 16: setting another header keeps the default type
--- config
location = /t { default_type text/plain; content_by_lua_block { ngx.header["X-Foo"] = "1" ngx.say("x") } }
--- request
GET /t
--- response_headers
Content-Type: text/plain
X-Foo: 1

=== TEST 17: content_type = nil in a header filter removes it
--- config
location = /t {
    default_type text/plain;
    content_by_lua_block { ngx.say("x") }
    header_filter_by_lua_block { ngx.header.content_type = nil }
}
--- request
GET /t
--- response_headers
!Content-Type
--- response_body
x

=== TEST 18: headers larger than a kilobyte, alone and together, arrive whole
--- config
location = /t {
    content_by_lua_block {
        ngx.header["X-A"] = string.rep("a", 1000)
        ngx.header["X-B"] = string.rep("b", 3000)
        ngx.header["X-C"] = {string.rep("c", 700), string.rep("d", 700)}
        ngx.header["X-E"] = "e"
        ngx.say("ok")
    }
}
--- request
GET /t
--- response_headers_like
X-A: a{1000}
X-B: b{3000}
X-C: c{700}
X-C: d{700}
X-E: e
--- response_body
ok

=== TEST 19: number values are written as tostring writes them
--- config
location = /t {
    content_by_lua_block {
        ngx.header["X-Int"] = 42
        ngx.header["X-Neg"] = -7
        ngx.header["X-Zero"] = 0
        ngx.header["X-Negzero"] = -0.0
        ngx.header["X-Frac"] = 1.5
        ngx.header["X-Big"] = 99999999999999
        ngx.header["X-Bigger"] = 123456789012345
        ngx.header["X-Huge"] = 2^53
        ngx.header["X-Tiny"] = 1e-5
        ngx.header["X-Inf"] = math.huge
        ngx.header["X-List"] = {1, 2.25, -3}
        ngx.header.content_length = 3
        ngx.print("ok\n")
        ngx.header["X-Late"] = 7
        ngx.header["X-Late"] = 7.5
    }
}
--- request
GET /t
--- response_headers
X-Int: 42
X-Neg: -7
X-Zero: 0
X-Negzero: -0
X-Frac: 1.5
X-Big: 99999999999999
X-Bigger: 1.2345678901235e+14
X-Huge: 9.007199254741e+15
X-Tiny: 1e-05
X-Inf: inf
Content-Length: 3
--- response_headers_like
X-List: 1
X-List: 2.25
X-List: -3
--- response_body
ok
--- error_log
attempt to set ngx.header.HEADER after sending out response headers

=== TEST 20: a static file's Last-Modified reads back in a header filter
--- config
location = /a.txt {
    header_filter_by_lua_block {
        local lm = ngx.header["Last-Modified"]
        ngx.header["X-LM"] = lm
        ngx.header["X-Age-Ok"] = lm and ngx.time() - ngx.parse_http_time(lm) >= 0 and "yes" or "no"
    }
}
--- user_files
>>> a.txt
Foo
--- request
GET /a.txt
--- response_headers_like
X-LM: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT
X-Age-Ok: yes
--- response_body
Foo
