# require "ngx.base64" (lua-resty-core's base64url codec): RFC 4648 vectors, round trips,
# invalid input, argument errors.

__DATA__

=== TEST 1: encode_base64url: RFC 4648 vectors, the URL alphabet, no padding
--- config
location = /t {
    content_by_lua_block {
        local b64 = require "ngx.base64"
        for _, s in ipairs({"", "f", "fo", "foo", "foob", "fooba", "foobar", "\255\254\253",
                            "a\0b", "\251\255"}) do
            ngx.say("[", b64.encode_base64url(s), "]")
        end
    }
}
--- request
GET /t
--- response_body
[]
[Zg]
[Zm8]
[Zm9v]
[Zm9vYg]
[Zm9vYmE]
[Zm9vYmFy]
[__79]
[YQBi]
[-_8]

=== TEST 2: decode_base64url: round trips, padding accepted and ignored, invalid input
--- config
location = /t {
    content_by_lua_block {
        local b64 = require "ngx.base64"
        local s = string.rep("\1\2\3xyz\255", 700)
        ngx.say(b64.decode_base64url(b64.encode_base64url(s)) == s)
        ngx.say(b64.decode_base64url("Zm9vYg"), " ", b64.decode_base64url("Zm9vYg=="))
        ngx.say(b64.decode_base64url("-_8") == "\251\255")
        for _, bad in ipairs({"     ", "Zm9v+", "ab/c", "Z", "Zm9vY"}) do
            local res, err = b64.decode_base64url(bad)
            ngx.say(tostring(res), " ", err)
        end
    }
}
--- request
GET /t
--- response_body
true
foob foob
true
nil invalid input
nil invalid input
nil invalid input
nil invalid input
nil invalid input

=== TEST 3: a non-string argument gives nil, "must provide a string" (returned, not raised)
--- config
location = /t {
    content_by_lua_block {
        local b64 = require "ngx.base64"
        for _, f in ipairs({b64.encode_base64url, b64.decode_base64url}) do
            for _, v in ipairs({123, true}) do
                ngx.say(f(v))
            end
            ngx.say(f())
        end
    }
}
--- request
GET /t
--- response_body
nilmust provide a string
nilmust provide a string
nilmust provide a string
nilmust provide a string
nilmust provide a string
nilmust provide a string
