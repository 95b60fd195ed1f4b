# ngx.req.get_headers([max [, raw]]), ngx.req.set_header, ngx.req.clear_header.

__DATA__

=== TEST 1: lower-cased keys, case-insensitive lookup with '_' for '-', multi-values as tables
--- http_config
init_by_lua_block {
    function dump(t)
        local keys = {}
        for k in pairs(t) do keys[#keys + 1] = k end
        table.sort(keys)
        local out = {}
        for _, k in ipairs(keys) do
            local v = t[k]
            if type(v) == "table" then v = "{" .. table.concat(v, ",") .. "}" end
            out[#out + 1] = k .. "=" .. v
        end
        return table.concat(out, " ")
    end
}
--- config
location = /t {
    content_by_lua_block {
        local h = ngx.req.get_headers()
        ngx.say(dump(h))
        ngx.say(h["X-Foo"], " ", h.x_foo, " ", h.X_FOO, " ", h["x-foo"], " ", tostring(h.nope))
        ngx.say(type(h.x_multi), " ", h["X-Multi"][2], " ", getmetatable(h) ~= nil)
        ngx.say(h.user_agent, " ", tostring(h[1]))
    }
}
--- request
GET /t
--- more_headers
X-Foo: bar
X-Multi: a
User-Agent: spec
x-multi: b
X-MULTI: c
Empty:
--- response_body
connection=close empty= host=localhost user-agent=spec x-foo=bar x-multi={a,b,c}
bar bar bar bar nil
table b true
spec nil

=== TEST 2: common and other names, any case and length, single and repeated, keep their order
--- config
location = /t {
    content_by_lua_block {
        local h = ngx.req.get_headers()
        local keys = {}
        for k in pairs(h) do keys[#keys + 1] = k end
        table.sort(keys)
        for _, k in ipairs(keys) do
            local v = h[k]
            ngx.say(k, "=", type(v) == "table" and "{" .. table.concat(v, ",") .. "}" or v)
        end
        ngx.say(h.accept_language[2], " ", h["UPGRADE-INSECURE-REQUESTS"], " ", h.te)
    }
}
--- request
GET /t
--- more_headers
ACCEPT-LANGUAGE: one
Accept-Language: two
accept-languagE: three
X-MiXeD-CaSe-HeAdEr-NaMe-09Az: long
Upgrade-Insecure-Requests: 1
TE: trailers
Cookie: a=1
Cookiee: near
X-Forwarded-Fo: near
X: short
--- response_body
accept-language={one,two,three}
connection=close
cookie=a=1
cookiee=near
host=localhost
te=trailers
upgrade-insecure-requests=1
x=short
x-forwarded-fo=near
x-mixed-case-header-name-09az=long
two 1 trailers

=== TEST 3: raw keeps the names as received and sets no metatable
--- config
location = /t {
    content_by_lua_block {
        local h = ngx.req.get_headers(nil, true)
        ngx.say(h["X-Foo"], " ", tostring(h["x-foo"]), " ", tostring(h.X_Foo), " ",
                getmetatable(h) == nil)
        ngx.say(type(h["X-Multi"]), " ", tostring(h["x-multi"]))
        local v = h["X-Multi"]
        ngx.say(type(v) == "table" and table.concat(v, ",") or v)
    }
}
--- request
GET /t
--- more_headers
X-Foo: bar
X-Multi: a
X-Multi: b
x-multi: c
--- response_body
bar nil nil true
table c
a,b

=== TEST 4: the limit: max, "truncated", 0 = no limit, the default 100
--- config
location = /t {
    content_by_lua_block {
        local function count(t)
            local n = 0
            for _, v in pairs(t) do n = n + (type(v) == "table" and #v or 1) end
            return n
        end
        for _, max in ipairs{1, 2, 3, 4, 5, 0, -1} do
            local h, err = ngx.req.get_headers(max)
            ngx.say(max, ": ", count(h), " ", tostring(err))
        end
        local h, err = ngx.req.get_headers(2)
        ngx.say(h.host, " ", h.connection, " ", tostring(h.a))
    }
}
--- request
GET /t
--- more_headers
A: 1
B: 2
--- response_body
1: 1 truncated
2: 2 truncated
3: 3 truncated
4: 4 nil
5: 4 nil
0: 4 nil
-1: 4 nil
localhost close nil

=== TEST 5: more than 100 headers: the default returns 100 and "truncated"
--- config
location = /t {
    content_by_lua_block {
        local h, err = ngx.req.get_headers()
        local n = 0
        for _ in pairs(h) do n = n + 1 end
        ngx.say(n, " ", err, " ", h.x98, " ", tostring(h.x99))
        h, err = ngx.req.get_headers(0)
        n = 0
        for _ in pairs(h) do n = n + 1 end
        ngx.say(n, " ", tostring(err), " ", h.x100)
    }
}
--- request
GET /t
--- more_headers
X1: 1
X2: 2
X3: 3
X4: 4
X5: 5
X6: 6
X7: 7
X8: 8
X9: 9
X10: 10
X11: 11
X12: 12
X13: 13
X14: 14
X15: 15
X16: 16
X17: 17
X18: 18
X19: 19
X20: 20
X21: 21
X22: 22
X23: 23
X24: 24
X25: 25
X26: 26
X27: 27
X28: 28
X29: 29
X30: 30
X31: 31
X32: 32
X33: 33
X34: 34
X35: 35
X36: 36
X37: 37
X38: 38
X39: 39
X40: 40
X41: 41
X42: 42
X43: 43
X44: 44
X45: 45
X46: 46
X47: 47
X48: 48
X49: 49
X50: 50
X51: 51
X52: 52
X53: 53
X54: 54
X55: 55
X56: 56
X57: 57
X58: 58
X59: 59
X60: 60
X61: 61
X62: 62
X63: 63
X64: 64
X65: 65
X66: 66
X67: 67
X68: 68
X69: 69
X70: 70
X71: 71
X72: 72
X73: 73
X74: 74
X75: 75
X76: 76
X77: 77
X78: 78
X79: 79
X80: 80
X81: 81
X82: 82
X83: 83
X84: 84
X85: 85
X86: 86
X87: 87
X88: 88
X89: 89
X90: 90
X91: 91
X92: 92
X93: 93
X94: 94
X95: 95
X96: 96
X97: 97
X98: 98
X99: 99
X100: 100
--- response_body
100 truncated 98 nil
102 nil 100

=== TEST 6: set_header and clear_header change get_headers and $http_*
--- config
location = /t {
    content_by_lua_block {
        ngx.req.set_header("X-Foo", "new")
        ngx.req.set_header("X-Added", 42)
        ngx.req.set_header("X_Under", "u")
        ngx.req.set_header("X-Multi", {"m1", "m2"})
        ngx.req.clear_header("X-Gone")
        ngx.req.set_header("X-Also-Gone", nil)
        ngx.req.set_header("X-Empty-Table", {})
        local h = ngx.req.get_headers()
        ngx.say(h.x_foo, " ", h.x_added, " ", tostring(h["x-under"]), " ", h.x_under,
                " ", table.concat(h.x_multi, ","))
        ngx.say(tostring(h.x_gone), " ", tostring(h.x_also_gone), " ",
                tostring(h.x_empty_table))
        ngx.say(ngx.var.http_x_foo, " ", ngx.var.http_x_added, " ", ngx.var.http_x_multi,
                " ", tostring(ngx.var.http_x_gone), " ", tostring(ngx.var.http_x_also_gone))
        local raw = ngx.req.get_headers(0, true)
        ngx.say(raw["x-foo"], " ", raw["X-Added"], " ", raw["X_Under"])
    }
}
--- request
GET /t
--- more_headers
x-foo: old
X-Gone: 1
X-Gone: 2
X-Also-Gone: 3
X-Empty-Table: 4
--- response_body
new 42 nil u m1,m2
nil nil nil
new 42 m1 nil nil
new 42 u

=== TEST 7: set_header overrides all same-named headers; Host changes $host
--- config
location = /t {
    content_by_lua_block {
        ngx.req.set_header("x-dup", "one")
        ngx.req.set_header("Host", "Example.COM:8080")
        local h = ngx.req.get_headers()
        ngx.say(h.x_dup, " ", h.host, " ", ngx.var.host, " ", ngx.var.http_host)
    }
}
--- request
GET /t
--- more_headers
X-Dup: a
X-Dup: b
--- response_body
one Example.COM:8080 example.com Example.COM:8080

=== TEST 8: bad arguments
--- config
location = /t {
    content_by_lua_block {
        ngx.say(pcall(ngx.req.set_header))
        ngx.say(pcall(ngx.req.set_header, nil, "x"))
        ngx.say(pcall(ngx.req.get_headers, "x"))
        ngx.say(pcall(ngx.req.get_headers, {}))
        ngx.req.set_header(12, true)
        ngx.req.clear_header(nil)
        ngx.say(ngx.req.get_headers()["12"])
        ngx.say(ngx.var.http_12)
    }
}
--- request
GET /t
--- response_body_like
^falsebad 'name' argument: string expected, got nil
falsebad 'name' argument: string expected, got nil
false.*cannot convert 'string' to 'int'\)
false.*cannot convert 'table' to 'int'\)
true
true$

=== TEST 9: set_header in rewrite is seen by access, content and log
--- config
location = /t {
    rewrite_by_lua_block { ngx.req.set_header("X-R", "r") }
    access_by_lua_block { ngx.req.set_header("X-A", ngx.req.get_headers().x_r .. "a") }
    content_by_lua_block { ngx.say(ngx.req.get_headers().x_a, " ", ngx.var.http_x_a) }
    log_by_lua_block {
        ngx.req.clear_header("X-A")
        ngx.log(ngx.WARN, "log x-a: ", tostring(ngx.req.get_headers().x_a), " ",
                ngx.req.get_headers().x_r)
    }
}
--- request
GET /t
--- response_body
ra ra
--- error_log
log x-a: nil r

=== TEST 10: init has no request, init_worker a fake one
--- http_config
init_by_lua_block {
    local ok, err = pcall(ngx.req.get_headers)
    print("init get_headers: ", err)
    ok, err = pcall(ngx.req.set_header, "a", "b")
    print("init set_header: ", err)
    ok, err = pcall(ngx.req.clear_header, "a")
    print("init clear_header: ", err)
}
init_worker_by_lua_block {
    local ok, err = pcall(ngx.req.get_headers)
    ngx.log(ngx.WARN, "iw get_headers: ", err)
    ok, err = pcall(ngx.req.set_header, "a", "b")
    ngx.log(ngx.WARN, "iw set_header: ", err)
    ok, err = pcall(ngx.req.clear_header, "a")
    ngx.log(ngx.WARN, "iw clear_header: ", err)
}
--- config
location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body
ok
--- error_log
qr/init get_headers: \S+:\d+: no request found/
qr/init set_header: no request found/
qr/init clear_header: \S+:\d+: no request found/
iw get_headers: API disabled in the current context
iw set_header: API disabled in the current context
iw clear_header: API disabled in the current context

=== TEST 11: names in any case, near misses of common names, and every length band
--- config
location = /t {
    content_by_lua_block {
        local h = ngx.req.get_headers()
        local keys = {}
        for k, v in pairs(h) do keys[#keys + 1] = k .. "=" .. v end
        table.sort(keys)
        ngx.say(table.concat(keys, "\n"))
    }
}
--- more_headers
TE: trailers
Dnx: 1
X-FORWARDED-for: 10.0.0.1
X-Forwarded-Fox: fox
Sec-CH-UA-Platform: linux
Sec-Ch-Ua-Platforn: n
UPGRADE-INSECURE-REQUESTS: 1
Upgrade-Insecure-Requestz: z
Accept-Languagf: f
Content-Lengthy: y
A-Very-Long-Header-Name-Beyond-Thirty-Two-Bytes: long
Referer: r
Referes: s
--- request
GET /t
--- response_body
a-very-long-header-name-beyond-thirty-two-bytes=long
accept-languagf=f
connection=close
content-lengthy=y
dnx=1
host=localhost
referer=r
referes=s
sec-ch-ua-platform=linux
sec-ch-ua-platforn=n
te=trailers
upgrade-insecure-requests=1
upgrade-insecure-requestz=z
x-forwarded-for=10.0.0.1
x-forwarded-fox=fox
