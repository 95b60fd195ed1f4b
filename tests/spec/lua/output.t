# ngx.say, ngx.print, ngx.flush, ngx.eof, ngx.exit and ngx.status in content handlers
# (lua-nginx-module's argument rules, return values and error texts).

__DATA__

=== TEST 1: hello world
--- config
location = /t { content_by_lua_block { ngx.say("hello") } }
--- request
GET /t
--- response_body
hello
--- response_headers
Content-Type: text/plain
--- no_error_log
[error]

=== TEST 2: say and print accept strings, numbers, booleans, nil, ngx.null and nested arrays
--- config
location = /t {
    content_by_lua_block {
        ngx.print("a", 1, 2.5, true, false, nil, ngx.null, "\n")
        ngx.say({"x", {"y", 3, {false}}, ngx.null, nil, "z"})
        ngx.say(-7, " ", 1e15, " ", 0.1, " ", 2^53)
        ngx.say()
        local ok = ngx.print("")
        ngx.say(ok)
    }
}
--- request
GET /t
--- response_body
a12.5truefalsenilnull
xy3falsenullnilz
-7 1e+15 0.1 9.007199254741e+15

1
--- no_error_log
[error]

=== TEST 3: say with a function argument raises OpenResty's error: 500 and the log line
--- config
location = /t { content_by_lua_block { ngx.say("a", function() end) } }
--- request
GET /t
--- error_code: 500
--- error_log
qr/lua entry thread aborted: runtime error: content_by_lua\(nginx\.conf:\d+\):1: bad argument #2 to 'say' \(string, number, boolean, nil, ngx\.null, or array table expected, but got function\)/
stack traceback:
coroutine 0:
	[C]: in function 'say'

=== TEST 4: a non-array table is refused
--- config
location = /t { content_by_lua_block { ngx.print({a = 1}) } }
--- request
GET /t
--- error_code: 500
--- error_log
bad argument #1 to 'print' (non-array table found)

=== TEST 5: a bad value inside a nested table is named
--- config
location = /t { content_by_lua_block { ngx.say({"a", {io.stdout}}) } }
--- request
GET /t
--- error_code: 500
--- error_log
bad argument #1 to 'say' (bad data type userdata found)

=== TEST 6: ngx.flush before any output has nothing to flush; after output it returns 1
--- config
location = /t {
    content_by_lua_block {
        local ok, err = ngx.flush()
        ngx.say(ok, " ", err)
        ngx.say(ngx.flush())
        ngx.say(ngx.flush(true))
    }
}
--- request
GET /t
--- response_body
nil nothing to flush
1
1

=== TEST 7: ngx.flush argument checks
--- config
location = /t { content_by_lua_block { ngx.flush(1, 2) } }
--- request
GET /t
--- error_code: 500
--- error_log
attempt to pass 2 arguments, but accepted 0 or 1

=== TEST 8: after ngx.eof, say returns nil and "seen eof"
--- config
location = /t {
    content_by_lua_block {
        ngx.say("before")
        ngx.eof()
        local ok, err = ngx.say("after")
        ngx.log(ngx.WARN, "say: ", ok, " ", err)
    }
}
--- request
GET /t
--- response_body
before
--- error_log
say: nil seen eof

=== TEST 9: ngx.exit(404) before output sends the error page
--- config
location = /t { content_by_lua_block { ngx.exit(404) ngx.say("not reached") } }
--- request
GET /t
--- error_code: 404
--- response_body_like
<title>404 Not Found</title>

=== TEST 10: ngx.exit(200) sends the header with ngx.status and ends the response
--- config
location = /t { content_by_lua_block { ngx.status = 201 ngx.exit(200) ngx.say("not reached") } }
--- request
GET /t
--- error_code: 201
--- response_body chomp

=== TEST 11: ngx.exit(ngx.OK) in the content phase ends the response
--- config
location = /t { content_by_lua_block { ngx.say("a") ngx.exit(ngx.OK) ngx.say("b") } }
--- request
GET /t
--- response_body
a

=== TEST 12: ngx.exit with an error status after output logs and keeps the status sent
--- config
location = /t { content_by_lua_block { ngx.say("a") ngx.exit(404) } }
--- request
GET /t
--- response_body
a
--- error_log
attempt to set status 404 via ngx.exit after sending out the response status 200

=== TEST 13: ngx.exit in rewrite_by_lua: OK goes on, a status finalizes
--- config
location = /t {
    rewrite_by_lua_block { ngx.ctx.r = 1 ngx.exit(ngx.OK) }
    access_by_lua_block { if ngx.ctx.r then ngx.exit(403) end }
    content_by_lua_block { ngx.say("not reached") }
}
--- request
GET /t
--- error_code: 403

=== TEST 14: ngx.status reads 0 before output, the sent status after; setting it late logs
--- config
location = /t {
    content_by_lua_block {
        local before = ngx.status
        ngx.status = 202
        ngx.say(before, " ", ngx.status)
        ngx.status = 404
        ngx.say(ngx.status)
    }
}
--- request
GET /t
--- error_code: 202
--- response_body
0 202
202
--- error_log
attempt to set ngx.status after sending out response headers

=== TEST 15: output in access_by_lua ends the request; content does not run
--- config
location = /t {
    access_by_lua_block { ngx.say("from access") }
    content_by_lua_block { ngx.say("content") }
}
--- request
GET /t
--- response_body
from access

=== TEST 16: ngx.say is disabled in log_by_lua
--- config
location = /t {
    content_by_lua_block { ngx.say("ok") }
    log_by_lua_block { ngx.say("x") }
}
--- request
GET /t
--- response_body
ok
--- error_log
qr/failed to run log_by_lua\*: log_by_lua\(nginx\.conf:\d+\):1: API disabled in the context of log_by_lua\*/

=== TEST 17: HEAD: the first say sends the header, later ones return nil, "header only"
--- config
location = /t {
    content_by_lua_block {
        local ok, err = ngx.say("x")
        ngx.log(ngx.WARN, "head 1: ", ok, " ", err)
        ok, err = ngx.say("y")
        ngx.log(ngx.WARN, "head 2: ", ok, " ", err)
    }
}
--- request
HEAD /t
--- response_body chomp
--- error_log
head 1: 1 nil
head 2: nil header only

=== TEST 18: ngx.exit inside a user coroutine ends the request
--- config
location = /t {
    content_by_lua_block {
        ngx.say("a")
        local f = coroutine.wrap(function()
            ngx.say("b")
            ngx.exit(200)
            ngx.say("not reached")
        end)
        f()
        ngx.say("not reached either")
    }
}
--- request
GET /t
--- response_body
a
b

=== TEST 19: ngx.exit(404) inside coroutine.resume before any output
--- config
location = /t {
    content_by_lua_block {
        local co = coroutine.create(function() ngx.exit(404) end)
        coroutine.resume(co)
        ngx.say("not reached")
    }
}
--- request
GET /t
--- error_code: 404
--- response_body_like
404 Not Found

=== TEST 20: ngx.flush(true) returns once the socket took all the output
--- config
location = /t {
    content_by_lua_block {
        -- More than the socket buffers hold: without waiting, part of it would still be queued.
        ngx.print(string.rep("x", 64 * 1024 * 1024))
        local ok, err = ngx.flush(true)
        local sent = tonumber(ngx.var.bytes_sent)
        ngx.log(ngx.WARN, "flush: ", ok, " ", err, " all out: ", sent > 64 * 1024 * 1024)
    }
}
--- request
GET /t
--- error_log
flush: 1 nil all out: true

=== TEST 21: ngx.exit(444) closes the connection without a response; the access log has 444
--- config
location = /t { content_by_lua_block { ngx.exit(444) } }
--- request
GET /t
--- no_response
--- access_log
qr/"GET \/t HTTP\/1\.1" 444 0 /
--- no_error_log
[error]

=== TEST 22: ngx.exit(499) after buffered output closes the connection without a response too
--- config
location = /t { content_by_lua_block { ngx.say("x") ngx.exit(499) } }
--- request
GET /t
--- no_response
--- access_log
qr/"GET \/t HTTP\/1\.1" 499 0 /
--- no_error_log
[error]

=== TEST 23: ngx.exit(408) in access_by_lua closes the connection without a response
--- config
location = /t { access_by_lua_block { ngx.exit(408) } content_by_lua_block { ngx.say("no") } }
--- request
GET /t
--- no_response
--- access_log
qr/"GET \/t HTTP\/1\.1" 408 0 /

=== TEST 24: ngx.exit(201) answers 201 with an empty body
--- config
location = /t { content_by_lua_block { ngx.exit(201) } }
--- request
GET /t
--- error_code: 201
--- response_body
--- no_error_log
[error]

=== TEST 25: ngx.exit(2xx) keeps a status ngx.status chose; in access_by_lua it answers too
--- config
location = /t { content_by_lua_block { ngx.status = 404 ngx.exit(202) } }
location = /u { access_by_lua_block { ngx.exit(206) } content_by_lua_block { ngx.say("no") } }
--- pipelined_requests
GET /t
GET /u
--- error_code: 404 206
--- response_body
--- no_error_log
[error]

=== TEST 26: say and print return 1 alone; an argument error names the function as the caller called it
--- config
location = /t {
    content_by_lua_block {
        ngx.say(select("#", ngx.say("a")), " ", select("#", ngx.print("b", 1, {"c"}, "\n")))
        local ok, err = pcall(ngx.say, {a = 1})
        ngx.say(err)
        local out = ngx.print
        ok, err = pcall(function() out("x", {b = 2}) end)
        ngx.say((err:gsub("^.-:%d+: ", "")))
    }
}
--- request
GET /t
--- response_body
a
b1c
1 1
bad argument #1 to '?' (non-array table found)
bad argument #2 to 'out' (non-array table found)
--- no_error_log
[error]

=== TEST 27: a status below 100 goes out in three digits, as nginx prints it ("%03ui")
--- config
location = /t { content_by_lua_block { ngx.status = 99 ngx.say("x") } }
--- request
GET /t
--- error_code: 99
--- no_error_log
[error]

=== TEST 28: lua_http10_buffering: an HTTP/1.0 client gets the output at the end, with a Content-Length; until then the header is not out
--- config
location = /t {
    content_by_lua_block {
        ngx.say("first line")
        ngx.say("headers sent: ", tostring(ngx.headers_sent))
        local ok, err = ngx.flush()
        ngx.say("flush: ", tostring(ok), " ", err)
        ngx.header["X-Set-Late"] = "still possible"
        ngx.print("end")
    }
}
--- request
GET /t HTTP/1.0
--- response_headers
Content-Length: 55
X-Set-Late: still possible
Connection: close
--- response_body chomp
first line
headers sent: false
flush: nil buffering
end

=== TEST 29: lua_http10_buffering: rewrite and content output go out together; keep-alive works for HTTP/1.0
--- config
keepalive_timeout 300ms;
location = /t {
    rewrite_by_lua_block {
        ngx.say("from rewrite")
    }
    content_by_lua_block {
        ngx.say("from content")
    }
}
--- raw_request
GET /t HTTP/1.0\r\nHost: localhost\r\nConnection: keep-alive\r\n\r\n
--- response_headers
Content-Length: 26
Connection: keep-alive
--- response_body
from rewrite
from content

=== TEST 30: lua_http10_buffering: ngx.exit(404) after held output sends that output, with status 200
--- config
location = /t {
    content_by_lua_block {
        ngx.say("held")
        ngx.exit(404)
    }
}
--- request
GET /t HTTP/1.0
--- error_code: 200
--- response_headers
Content-Length: 5
--- response_body
held

=== TEST 31: lua_http10_buffering off: the response has no length (the end of the connection ends it)
--- config
location = /t {
    lua_http10_buffering off;
    content_by_lua_block {
        ngx.say("not held")
    }
}
--- request
GET /t HTTP/1.0
--- response_headers
!Content-Length
Connection: close
--- response_body
not held

=== TEST 32: lua_http10_buffering leaves HEAD alone: the header goes out at the first output, without a length
--- config
location = /t {
    content_by_lua_block {
        ngx.print("not sent for HEAD")
    }
}
--- request
HEAD /t HTTP/1.0
--- response_headers
!Content-Length
--- response_body

=== TEST 33: postpone_output 1: the header goes out alone, so ngx.say to a client that left fails
--- config
location = /t {
    postpone_output 1;
    content_by_lua_block {
        ngx.sleep(0.3)
        local ok, err = ngx.say("hello")
        if not ok then
            ngx.log(ngx.WARN, "say failed: ", err)
        end
    }
}
--- request
GET /t
--- timeout: 0.1
--- abort
--- wait: 0.5
--- error_log
say failed: nginx output filter error
--- no_error_log
[error]

=== TEST 34: by default (postpone_output 1460) the small header and body wait together: the same ngx.say succeeds
--- config
location = /t {
    content_by_lua_block {
        ngx.sleep(0.3)
        local ok, err = ngx.say("hello")
        ngx.log(ngx.WARN, "say returned ", tostring(ok), " ", tostring(err))
    }
}
--- request
GET /t
--- timeout: 0.1
--- abort
--- wait: 0.5
--- error_log
say returned 1 nil
--- no_error_log
[error]

=== TEST 35: chunked_transfer_encoding off: no chunking; the connection's end ends the body
--- config
chunked_transfer_encoding off;
location = /t {
    content_by_lua_block {
        ngx.say("one")
        ngx.flush(true)
        ngx.say("two")
    }
}
--- pipelined_requests
GET /t
GET /t
--- error_code: 200
--- response_headers
!Transfer-Encoding
!Content-Length
Connection: close
--- response_body
one
two

=== TEST 36: ngx.exit(ngx.AGAIN) in a content handler is an argument error (lua-nginx-module's 005-exit.t TEST 29)
--- config
location = /t {
    content_by_lua_block { ngx.exit(ngx.AGAIN) }
}
--- request
GET /t
--- error_code: 500
--- error_log
qr/\[error\] .*lua entry thread aborted: runtime error: content_by_lua\(nginx\.conf:\d+\):1: bad argument to 'ngx\.exit': does not accept NGX_AGAIN or NGX_DONE/

=== TEST 37: ngx.exit(ngx.DONE) in an access handler is an argument error, checked before the phase (005-exit.t TEST 30)
--- config
location = /t {
    access_by_lua_block { ngx.exit(ngx.DONE) }
    content_by_lua_block { ngx.say("not reached") }
}
--- request
GET /t
--- error_code: 500
--- error_log
qr/\[error\] .*lua entry thread aborted: runtime error: access_by_lua\(nginx\.conf:\d+\):1: bad argument to 'ngx\.exit': does not accept NGX_AGAIN or NGX_DONE/

=== TEST 38: output whose header turns into a 412 (If-Unmodified-Since) fails: nil, "nginx output filter error"
--- config
location = /t {
    content_by_lua_block {
        ngx.header.last_modified = "Thu, 10 May 2012 07:50:48 GMT"
        local ok, err = ngx.say("hello")
        ngx.log(ngx.WARN, "first say: ", tostring(ok), " ", tostring(err))
    }
}
--- more_headers
If-Unmodified-Since: Thu, 10 May 2012 07:50:47 GMT
--- request
GET /t
--- error_code: 412
--- response_body_like
412 Precondition Failed
--- error_log
first say: nil nginx output filter error
