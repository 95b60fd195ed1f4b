# Debian's packaged OpenResty libraries run unchanged (cjson and lrucache: directives.t 5-6).
# lua-nginx-string is lua-resty-string (modules renamed nginx.*): its digests call OpenSSL and
# nginx's ngx_hex_dump/ngx_atoi through ffi.C. lua-nginx-cookie is lua-resty-cookie.

__DATA__

=== TEST 1: lua-resty-string: to_hex over md5, sha1, sha256, sha512; atoi
--- http_config
lua_package_path "/usr/share/lua/5.1/?.lua;;";
--- config
location = /t {
    content_by_lua_block {
        local str = require "nginx.string"
        for _, name in ipairs({"md5", "sha1", "sha256", "sha512"}) do
            local h = require("nginx." .. name):new()
            h:update("hel")
            h:update("lo")
            ngx.say(name, " ", str.to_hex(h:final()))
        end
        ngx.say(str.to_hex(""), "|", str.to_hex("\0\255\16"))
        ngx.say(str.atoi("0"), " ", str.atoi("123"), " ", str.atoi(""), " ", str.atoi("12a"),
                " ", str.atoi("-1"), " ", str.atoi("9223372036854775807") > 0,
                " ", str.atoi("9223372036854775808"))
    }
}
--- request
GET /t
--- response_body
md5 5d41402abc4b2a76b9719d911017c592
sha1 aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d
sha256 2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824
sha512 9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043
|00ff10
0 123 -1 -1 -1 true -1

=== TEST 2: lua-resty-string: random bytes and an AES round trip
--- http_config
lua_package_path "/usr/share/lua/5.1/?.lua;;";
--- config
location = /t {
    content_by_lua_block {
        local random = require "nginx.random"
        local str = require "nginx.string"
        local a, b = random.bytes(16, true), random.bytes(16)
        ngx.say(#a, " ", #b, " ", a ~= random.bytes(16, true))
        local aes = require "nginx.aes"
        local cipher = aes:new("secret", "salt1234", aes.cipher(256, "cbc"), aes.hash.sha256, 5)
        local enc = cipher:encrypt("hello world")
        ngx.say(#enc, " ", cipher:decrypt(enc))
        ngx.say(str.to_hex(aes:new("secret"):encrypt("hello")))
    }
}
--- request
GET /t
--- response_body
16 16 true
16 hello world
7b47a4dbb11e2cddb2f3740c9e3a552b

=== TEST 3: lua-resty-cookie reads the Cookie header and appends Set-Cookie lines
--- http_config
lua_package_path "/usr/share/lua/5.1/?.lua;;";
--- config
location = /t {
    content_by_lua_block {
        local ck = require "nginx.cookie"
        local cookie = assert(ck:new())
        assert(cookie:set({ key = "a", value = "1", path = "/", httponly = true }))
        assert(cookie:set({ key = "b", value = "2", max_age = 60, secure = true }))
        local _, err = cookie:set({ value = "x" })
        ngx.say(cookie:get("lang"), " ", cookie:get("session"), " ", tostring(cookie:get("x")))
        local all = cookie:get_all()
        local keys = {}
        for k in pairs(all) do keys[#keys + 1] = k end
        table.sort(keys)
        ngx.say(table.concat(keys, ","))
        ngx.say(err)
    }
}
--- request
GET /t
--- more_headers
Cookie: lang=en; session=abc123
--- response_body
en abc123 nil
lang,session
missing cookie field "key" or "value"
--- response_headers
Set-Cookie: a=1; Path=/; HttpOnly, b=2; Max-Age=60; Secure

=== TEST 4: lua-resty-cookie without a Cookie header
--- http_config
lua_package_path "/usr/share/lua/5.1/?.lua;;";
--- config
location = /t {
    content_by_lua_block {
        local ck = require "nginx.cookie"
        local cookie = assert(ck:new())
        ngx.say(cookie:get("lang"))
        ngx.say(cookie:get_all())
    }
}
--- request
GET /t
--- response_body
nilno cookie found in the current request
nilno cookie found in the current request
