# header_filter_by_lua* and body_filter_by_lua*: Lua output filters. The header filter runs
# once, just before the response header goes out, and may change the status and headers; the
# body filter sees every piece of the body as ngx.arg[1] and the end flag as ngx.arg[2], and may
# replace, clear or end it. Neither may yield or produce output itself.

__DATA__

=== TEST 1: header filter adds a header and sees the status
--- config
location = /t {
    header_filter_by_lua_block {
        ngx.header["X-Filtered"] = "yes " .. ngx.status .. " " .. ngx.get_phase()
    }
    content_by_lua_block { ngx.say("hi") }
}
--- request
GET /t
--- response_headers
X-Filtered: yes 200 header_filter
--- response_body
hi

=== TEST 2: header filter changes the status of a static response
--- config
location = /t {
    header_filter_by_lua_block { ngx.status = 202 }
    return 200 "static\n";
}
--- request
GET /t
--- error_code: 202
--- response_body
static

=== TEST 3: header filter runs for error pages too, and is inherited from the server
--- config
header_filter_by_lua_block { ngx.header["X-Status"] = ngx.status }
location = /t {
    return 404;
}
--- request
GET /t
--- error_code: 404
--- response_headers
X-Status: 404

=== TEST 4: body filter upper-cases every piece
--- config
location = /t {
    body_filter_by_lua_block { ngx.arg[1] = string.upper(ngx.arg[1]) }
    content_by_lua_block {
        ngx.say("hello")
        ngx.say("world")
    }
}
--- request
GET /t
--- response_body
HELLO
WORLD

=== TEST 5: body filter sees each ngx.say as a piece and the end as an empty last piece
--- config
location = /t {
    body_filter_by_lua_block {
        local ctx = ngx.ctx
        ctx.n = (ctx.n or 0) + 1
        local data, eof = ngx.arg[1], ngx.arg[2]
        ngx.arg[1] = "[" .. ctx.n .. ":" .. data:gsub("\n", "") .. ":" .. tostring(eof) .. "]\n"
    }
    content_by_lua_block {
        ngx.ctx.n = 10
        ngx.say("a")
        ngx.say("b")
    }
}
--- request
GET /t
--- response_body
[11:a:false]
[12:b:false]
[13::true]

=== TEST 6: body filter appends a trailer at the end
--- config
location = /t {
    body_filter_by_lua_block {
        if ngx.arg[2] then
            ngx.arg[1] = ngx.arg[1] .. "-- trailer\n"
        end
    }
    content_by_lua_block { ngx.say("body") }
}
--- request
GET /t
--- response_body
body
-- trailer

=== TEST 7: clearing pieces with nil or ""
--- config
location = /t {
    body_filter_by_lua_block {
        if ngx.arg[1] == "secret\n" then
            ngx.arg[1] = nil
        elseif ngx.arg[1] == "hidden\n" then
            ngx.arg[1] = ""
        end
    }
    content_by_lua_block {
        ngx.say("visible")
        ngx.say("secret")
        ngx.say("hidden")
        ngx.say("end")
    }
}
--- request
GET /t
--- response_body
visible
end

=== TEST 8: setting ngx.arg[2] ends the body early; later output is dropped
--- config
location = /t {
    body_filter_by_lua_block {
        if ngx.arg[1] == "stop\n" then
            ngx.arg[2] = true
        end
    }
    content_by_lua_block {
        ngx.say("one")
        ngx.say("stop")
        ngx.say("never")
    }
}
--- request
GET /t
--- response_body
one
stop

=== TEST 9: body filter accepts a table of strings
--- config
location = /t {
    body_filter_by_lua_block {
        if ngx.arg[1] ~= "" then
            ngx.arg[1] = {"<", ngx.arg[1]:sub(1, -2), ">", 1, "\n"}
        end
    }
    content_by_lua_block { ngx.say("x") }
}
--- request
GET /t
--- response_body
<x>1

=== TEST 10: filters on a static response from `return`, with Content-Length cleared
--- config
location = /t {
    header_filter_by_lua_block { ngx.header.content_length = nil }
    body_filter_by_lua_block { ngx.arg[1] = ngx.arg[1]:gsub("o", "0") }
    return 200 "foo boo\n";
}
--- request
GET /t
--- response_body
f00 b00

=== TEST 11: ngx.ctx is shared by the content handler and both filters
--- config
location = /t {
    header_filter_by_lua_block { ngx.ctx.h = "hdr" }
    body_filter_by_lua_block {
        if ngx.arg[2] then
            ngx.arg[1] = ngx.ctx.c .. " " .. ngx.ctx.h .. "\n"
        end
    }
    content_by_lua_block { ngx.ctx.c = "content" ngx.print("") }
}
--- request
GET /t
--- response_body
content hdr

=== TEST 12: output and yielding APIs are disabled in filters
--- config
location = /t {
    header_filter_by_lua_block {
        local ok, err = pcall(ngx.sleep, 0.001)
        ngx.header["X-Sleep"] = err
    }
    body_filter_by_lua_block {
        if ngx.arg[2] then
            local ok, err = pcall(ngx.say, "x")
            ngx.arg[1] = err .. "\n"
        end
    }
    content_by_lua_block { ngx.print("") }
}
--- request
GET /t
--- response_headers
X-Sleep: API disabled in the context of header_filter_by_lua*
--- response_body
API disabled in the context of body_filter_by_lua*

=== TEST 13: body filter on a static file
--- config
location /f {
    alias html/;
    body_filter_by_lua_block { ngx.arg[1] = ngx.arg[1]:upper() }
    header_filter_by_lua_block { ngx.header.content_length = nil }
}
--- user_files
>>> a.txt
static file content
--- request
GET /f/a.txt
--- response_body
STATIC FILE CONTENT

=== TEST 14: an error in the body filter is logged with OpenResty's words
--- config
location = /t {
    body_filter_by_lua_block { error("bf failed") }
    content_by_lua_block { ngx.say("x") }
}
--- request
GET /t
--- no_response
--- error_log
failed to run body_filter_by_lua*: body_filter_by_lua(nginx.conf:
: bf failed

=== TEST 15: an error in the header filter is logged with OpenResty's words
--- config
location = /t {
    header_filter_by_lua_block { error("hf failed") }
    content_by_lua_block { ngx.say("x") }
}
--- request
GET /t
--- no_response
--- error_log
failed to run header_filter_by_lua*: header_filter_by_lua(nginx.conf:
: hf failed

=== TEST 16: ngx.exit(200) in a header filter: an empty 200 with the headers set so far; the code goes on
--- config
location = /t {
    content_by_lua_block { ngx.say("body") }
    header_filter_by_lua_block {
        ngx.header["X-A"] = "1"
        ngx.exit(200)
        ngx.log(ngx.WARN, "after exit")
        ngx.header["X-B"] = "2"
    }
}
--- request
GET /t
--- response_headers
Content-Length: 0
!Content-Type
X-A: 1
X-B: 2
--- response_body
--- error_log
[lua] header_filter_by_lua
after exit

=== TEST 17: ngx.exit(404) in a header filter: the 404 page, keeping the filter's headers
--- config
location = /t {
    content_by_lua_block { ngx.say("body") }
    header_filter_by_lua_block { ngx.header["X-A"] = "1" ngx.exit(404) }
}
--- request
GET /t
--- error_code: 404
--- response_headers
Content-Type: text/html
X-A: 1
--- response_body_like
<center><h1>404 Not Found</h1></center>

=== TEST 18: the last ngx.exit wins; ngx.exit(ngx.OK) lets the response through
--- config
location = /t {
    content_by_lua_block { ngx.say("body") }
    header_filter_by_lua_block { ngx.exit(404) ngx.exit(ngx.OK) }
}
--- request
GET /t
--- response_body
body

=== TEST 19: ngx.exit(500) in the header filter of a static response
--- config
location = /t {
    return 200 "static\n";
    header_filter_by_lua_block { ngx.exit(500) }
}
--- request
GET /t
--- error_code: 500
--- response_headers
Connection: close
--- response_body_like
500 Internal Server Error

=== TEST 20: ngx.exit(204) in a header filter
--- config
location = /t {
    content_by_lua_block { ngx.say("body") }
    header_filter_by_lua_block { ngx.exit(204) }
}
--- request
GET /t
--- error_code: 204
--- response_body

=== TEST 21: ngx.exit(ngx.ERROR) in a header filter closes the connection
--- config
location = /t {
    content_by_lua_block { ngx.say("body") }
    header_filter_by_lua_block { ngx.exit(ngx.ERROR) }
}
--- request
GET /t
--- no_response

=== TEST 22: ngx.exit(ngx.DONE) in a header filter is an argument error
--- config
location = /t {
    content_by_lua_block { ngx.say("body") }
    header_filter_by_lua_block { ngx.exit(ngx.DONE) }
}
--- request
GET /t
--- no_response
--- error_log
qr/failed to run header_filter_by_lua\*: header_filter_by_lua\(nginx\.conf:\d+\):1: bad argument to 'ngx\.exit': does not accept NGX_AGAIN or NGX_DONE/

=== TEST 23: ngx.say(s) in a loop with header and body filters (no re-entry into Lua from an FFI call: it crashed the worker)
--- config
location = /t {
    header_filter_by_lua_block { ngx.header["X-HF"] = "1" }
    body_filter_by_lua_block {
        local s = ngx.arg[1]
        if s then
            ngx.arg[1] = s:upper()
        end
    }
    content_by_lua_block {
        for i = 1, 200 do
            ngx.say("a")
            ngx.print("b")
        end
        ngx.print("\n")
    }
}
--- request
GET /t
--- response_headers
X-HF: 1
--- response_body_like
^(A\nB){200}\n$
--- no_error_log
[error]
