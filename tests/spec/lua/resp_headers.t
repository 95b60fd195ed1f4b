# ngx.resp.get_headers: the response headers as they stand, in every phase with a request
# (lua-nginx-module 0.10.23's C function: its extras, truncation and errors).

__DATA__

=== TEST 1: the headers set so far, the default Content-Type, Connection; lower-cased, multi-values as tables
--- config
location = /t {
    content_by_lua_block {
        ngx.header["X-One"] = "1"
        ngx.header["X-Multi"] = {"a", "b"}
        ngx.header.cache_control = "no-cache"
        local h = ngx.resp.get_headers()
        local keys = {}
        for k in pairs(h) do keys[#keys + 1] = k end
        table.sort(keys)
        for _, k in ipairs(keys) do
            local v = h[k]
            ngx.say(k, ": ", type(v) == "table" and table.concat(v, ",") or v)
        end
        ngx.say(h.X_One, " ", h["Cache-Control"], " ", tostring(h.missing))
    }
}
--- request
GET /t
--- response_body
cache-control: no-cache
connection: close
x-multi: a,b
x-one: 1
1 no-cache nil
--- no_error_log
[error]

=== TEST 2: raw keeps the spelling and has no metatable; max truncates (Connection counts, a Content-Length set by Lua is one of the list)
--- config
location = /t {
    content_by_lua_block {
        ngx.header["X-One"] = "1"
        ngx.header["X-Two"] = "2"
        ngx.header["X-Three"] = "3"
        ngx.header.content_length = 10
        local h = ngx.resp.get_headers(nil, true)
        local out = {h["X-One"], tostring(h["x-one"]), tostring(getmetatable(h)), h["content-length"]}
        for _, max in ipairs({0, 1, 3, 4, 5}) do
            local t, err = ngx.resp.get_headers(max)
            local keys = {}
            for k in pairs(t) do keys[#keys + 1] = k end
            table.sort(keys)
            out[#out + 1] = max .. ": " .. table.concat(keys, ",") .. " " .. tostring(err)
        end
        out[#out + 1] = select(2, pcall(ngx.resp.get_headers, "x"))
        ngx.header.content_length = nil
        ngx.say(table.concat(out, "\n"))
    }
}
--- request
GET /t
--- response_body
1
nil
nil
10
0: connection,content-length,x-one,x-three,x-two nil
1: connection,x-one truncated
3: connection,x-one,x-two truncated
4: connection,x-one,x-three,x-two truncated
5: connection,content-length,x-one,x-three,x-two nil
bad argument #1 to '?' (number expected, got string)
--- no_error_log
[error]

=== TEST 3: in the header filter and the log phase (Transfer-Encoding once the header went out, Connection close by then); a redirect's Location
--- config
location = /t {
    content_by_lua_block { ngx.header["X-A"] = "a" ngx.say("x") }
    header_filter_by_lua_block {
        local h = ngx.resp.get_headers()
        ngx.log(ngx.WARN, "filter sees ", h["x-a"], " ", h.connection, " ", tostring(h["transfer-encoding"]))
    }
    log_by_lua_block {
        local h = ngx.resp.get_headers()
        ngx.log(ngx.WARN, "log sees ", h["x-a"], " ", h["transfer-encoding"], " ", h.connection)
    }
}
location = /r {
    content_by_lua_block { ngx.redirect("/elsewhere", 302) }
    log_by_lua_block {
        local h = ngx.resp.get_headers()
        ngx.log(ngx.WARN, "redirect location ", tostring(h.location))
    }
}
--- pipelined_requests
GET /t
GET /r
--- error_code: 200 302
--- error_log
filter sees a keep-alive nil
log sees a chunked close
redirect location /elsewhere
--- no_error_log
[error]

=== TEST 4: no request in init_by_lua; a timer has none either
--- http_config
init_by_lua_block {
    local ok, err = pcall(ngx.resp.get_headers)
    package.loaded.init_err = err
}
--- config
location = /t {
    content_by_lua_block {
        ngx.say(package.loaded.init_err)
        ngx.timer.at(0, function()
            local ok, err = pcall(ngx.resp.get_headers)
            package.loaded.timer_err = err
        end)
        ngx.sleep(0.01)
        ngx.say(package.loaded.timer_err)
    }
}
--- request
GET /t
--- response_body
no request object found
API disabled in the current context
--- no_error_log
[error]

=== TEST 5: $sent_http_cache_control and $sent_http_link join their values (nginx 1.22: other names give the first); add_header's headers are in the response's headers once it is sent
--- config
location = /t {
    add_header X-Added "from-config";
    content_by_lua_block {
        ngx.header.cache_control = { "no-cache", "no-store" }
        ngx.header.link = { "</a.css>; rel=preload", "</b.js>; rel=preload" }
        ngx.header.x_multi = { "one", "two" }
        ngx.send_headers()
        ngx.say(ngx.var.sent_http_cache_control)
        ngx.say(ngx.var.sent_http_link)
        ngx.say(ngx.var.sent_http_x_multi)
        ngx.say(ngx.var.sent_http_x_added)
        ngx.say(ngx.header.x_added)
    }
}
--- request
GET /t
--- response_headers
Cache-Control: no-cache, no-store
X-Added: from-config
--- response_body
no-cache, no-store
</a.css>; rel=preload, </b.js>; rel=preload
one
from-config
from-config

=== TEST 6: a header cleared with {} and set again by add_header: the variable sees add_header's value
--- config
location = /t {
    add_header Cache-Control "from-config";
    content_by_lua_block {
        ngx.header.cache_control = { "a", "b", "c" }
        ngx.header.cache_control = {}
        ngx.send_headers()
        ngx.say(ngx.var.sent_http_cache_control)
    }
}
--- request
GET /t
--- response_headers
Cache-Control: from-config
--- response_body
from-config
