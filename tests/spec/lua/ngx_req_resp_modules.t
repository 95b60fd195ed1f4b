# require "ngx.req" and require "ngx.resp" (lua-resty-core): add_header adds a value where
# ngx.req.set_header / ngx.header.X = v replace.

__DATA__

=== TEST 1: ngx.req add_header appends to a request header, empty and non-string values too
--- config
location = /t {
    content_by_lua_block {
        local ngx_req = require "ngx.req"
        ngx.req.set_header("Foo", "bar")
        ngx_req.add_header("Foo", "baz")
        ngx_req.add_header("Foo", 2)
        ngx_req.add_header("Foo", "")
        ngx_req.add_header("Foo", {"x", "y"})
        ngx.say("Foo: [", table.concat(ngx.req.get_headers()["Foo"], ", "), "]")
        ngx_req.add_header("New", "one")
        ngx.say("New: ", ngx.req.get_headers()["New"])
    }
}
--- request
GET /t
--- response_body
Foo: [bar, baz, 2, , x, y]
New: one

=== TEST 2: ngx.req add_header argument errors name the caller
--- config
location = /t {
    content_by_lua_block {
        local ngx_req = require "ngx.req"
        for _, args in ipairs({{nil, "v"}, {"Foo", nil}, {"Foo", {}}}) do
            local ok, err = pcall(ngx_req.add_header, args[1], args[2])
            ngx.say(ok, " ", err)
        end
    }
}
--- request
GET /t
--- response_body
false bad 'name' argument: string expected, got nil
false bad 'value' argument: string or table expected, got nil
false bad 'value' argument: non-empty table expected

=== TEST 3: ngx.resp add_header adds to a response header; a single-valued one is replaced
--- config
location = /t {
    content_by_lua_block {
        local ngx_resp = require "ngx.resp"
        ngx.header["X-Foo"] = "a"
        ngx_resp.add_header("X-Foo", "b")
        ngx_resp.add_header("X-Foo", {"c", 4})
        ngx_resp.add_header("X-Foo", {})
        ngx_resp.add_header("X-New", "n")
        ngx.header.content_type = "text/plain"
        ngx_resp.add_header("Content-Type", "text/html")
        local v = ngx.header["X-Foo"]
        ngx.say(type(v) == "table" and table.concat(v, ",") or v)
        ngx.say(ngx.header["X-New"], " ", ngx.header.content_type)
    }
}
--- request
GET /t
--- response_headers
X-New: n
Content-Type: text/html
--- response_body
a,b,c,4
n text/html

=== TEST 4: ngx.resp add_header with a nil value raises "invalid header value" at its caller
--- config
location = /t {
    content_by_lua_block {
        local ngx_resp = require "ngx.resp"
        local function f()
            ngx_resp.add_header("X-Foo", nil)
        end
        local ok, err = pcall(f)
        ngx.say(ok, " ", err)
    }
}
--- request
GET /t
--- response_body_like
^false content_by_lua\(nginx\.conf:\d+\):4: invalid header value
