# ngx.req.read_body, get_body_data, get_body_file, discard_body, lua_need_request_body.

__DATA__

=== TEST 1: get_body_data is nil before read_body, the body after; read_body twice is harmless
--- config
location = /t {
    content_by_lua_block {
        -- Nothing is printed before read_body: Tycho discards an unread body once the response
        -- header goes out (nginx keeps it readable).
        local before = tostring(ngx.req.get_body_data()) .. " " ..
                       tostring(ngx.req.get_body_file())
        ngx.req.read_body()
        ngx.req.read_body()
        local data = ngx.req.get_body_data()
        ngx.say(before)
        ngx.say(#data, " [", data, "] ", tostring(ngx.req.get_body_file()))
    }
}
--- request
POST /t
hello world
--- response_body
nil nil
11 [hello world] nil

=== TEST 2: no body (GET) and an empty body: read_body succeeds, get_body_data is nil
--- config
location = /t {
    content_by_lua_block {
        ngx.req.read_body()
        ngx.say(tostring(ngx.req.get_body_data()), " ", tostring(ngx.req.get_body_file()))
    }
}
--- raw_request
POST /t HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n
--- response_body
nil nil

=== TEST 3: GET without a body
--- config
location = /t {
    content_by_lua_block {
        ngx.req.read_body()
        ngx.say(tostring(ngx.req.get_body_data()), " ", tostring(ngx.req.get_body_file()))
    }
}
--- request
GET /t
--- response_body
nil nil

=== TEST 4: a chunked body is read whole
--- config
location = /t {
    content_by_lua_block {
        ngx.req.read_body()
        ngx.say("[", ngx.req.get_body_data(), "]")
    }
}
--- raw_request
POST /t HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n
5\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\n\r\n
--- response_body
[hello world]

=== TEST 5: a body larger than client_body_buffer_size goes to a file: no data, a file path
--- config
location = /t {
    client_body_buffer_size 1k;
    client_body_temp_path $TEST_NGINX_PREFIX/body_tmp;
    content_by_lua_block {
        ngx.req.read_body()
        ngx.say(tostring(ngx.req.get_body_data()))
        local path = ngx.req.get_body_file()
        ngx.say(type(path), " ", path:sub(1, #"$TEST_NGINX_PREFIX/body_tmp/") ==
                "$TEST_NGINX_PREFIX/body_tmp/")
        local f = assert(io.open(path, "rb"))
        local s = f:read("*a")
        f:close()
        ngx.say(#s, " ", s:sub(1, 5), " ", s:sub(-3))
    }
}
--- request
POST /t
a=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
--- response_body
nil
string true
4002 a=xxx xxx
--- error_log
qr/\[warn\] .*a client request body is buffered to a temporary file \S+\/body_tmp\/\d+, client: /

=== TEST 6: discard_body: nothing to read afterwards, the response goes out normally
--- config
location = /t {
    content_by_lua_block {
        ngx.req.discard_body()
        ngx.req.read_body()
        ngx.say(tostring(ngx.req.get_body_data()), " ", tostring(ngx.req.get_body_file()))
    }
}
--- request
POST /t
discard me
--- response_body
nil nil

=== TEST 7: discard_body on a keep-alive connection: the next request is parsed after the body
--- config
keepalive_timeout 1;
location = /t {
    content_by_lua_block {
        ngx.req.discard_body()
        ngx.say("t ", ngx.var.request_method)
    }
}
--- raw_request
POST /t HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nxxxxx
GET /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n
--- response_body
t POST
t GET
--- error_code: 200 200

=== TEST 8: read_body in rewrite, the body is there in access and content
--- config
location = /t {
    rewrite_by_lua_block { ngx.req.read_body() }
    access_by_lua_block { ngx.ctx.a = ngx.req.get_body_data() }
    content_by_lua_block { ngx.say(ngx.ctx.a, " ", ngx.req.get_body_data()) }
}
--- request
POST /t
abc
--- response_body
abc abc

=== TEST 9: lua_need_request_body on: the body is read before content, into a file if big
--- config
location = /t {
    lua_need_request_body on;
    client_body_buffer_size 1k;
    content_by_lua_block {
        ngx.say(tostring(ngx.req.get_body_data()), " ", ngx.req.get_body_file() ~= nil)
    }
}
--- request
POST /t
a=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
--- response_body
nil true

=== TEST 10: lua_need_request_body on with a small body
--- config
location = /t {
    lua_need_request_body on;
    content_by_lua_block {
        ngx.say(ngx.req.get_body_data(), " ", tostring(ngx.req.get_body_file()))
    }
}
--- request
POST /t
small
--- response_body
small nil

=== TEST 11: read_body outside rewrite, access and content raises OpenResty's text
--- http_config
init_worker_by_lua_block {
    local ok, err = pcall(ngx.req.read_body)
    ngx.log(ngx.WARN, "iw read_body: ", err)
}
--- config
location = /t {
    set_by_lua_block $x {
        local ok, err = pcall(ngx.req.read_body)
        return err
    }
    header_filter_by_lua_block {
        local ok, err = pcall(ngx.req.read_body)
        ngx.log(ngx.WARN, "hf read_body: ", err)
    }
    log_by_lua_block {
        local ok, err = pcall(ngx.req.read_body)
        ngx.log(ngx.WARN, "log read_body: ", err)
    }
    content_by_lua_block {
        ngx.say("set: ", ngx.var.x)
    }
}
--- request
POST /t
x
--- response_body
set: API disabled in the context of set_by_lua*
--- error_log
iw read_body: API disabled in the context of init_worker_by_lua*
hf read_body: API disabled in the context of header_filter_by_lua*
log read_body: API disabled in the context of log_by_lua*

=== TEST 12: read_body in init_by_lua has no request
--- http_config
init_by_lua_block {
    local ok, err = pcall(ngx.req.read_body)
    print("init read_body: ", err)
    ok, err = pcall(ngx.req.get_body_data)
    print("init get_body_data: ", err)
    ok, err = pcall(ngx.req.get_body_file)
    print("init get_body_file: ", err)
    ok, err = pcall(ngx.req.discard_body)
    print("init discard_body: ", err)
}
--- config
location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body
ok
--- error_log
init read_body: request object not found
init get_body_data: request object not found
init get_body_file: request object not found
init discard_body: request object not found

=== TEST 13: argument counts
--- config
location = /t {
    content_by_lua_block {
        ngx.say(pcall(ngx.req.read_body, 1))
        ngx.say(pcall(ngx.req.discard_body, 1))
        ngx.say(pcall(ngx.req.get_body_file, 1))
    }
}
--- request
POST /t
x
--- response_body
falseexpecting 0 arguments but seen 1
falseexpecting 0 arguments but seen 1
falseexpecting 0 arguments but seen 1

=== TEST 14: an uncaught read_body in the wrong phase is a 500 in the log
--- config
location = /t {
    set_by_lua_block $x { ngx.req.read_body() }
    return 200 "x\n";
}
--- request
GET /t
--- error_code: 500
--- response_body_like
500 Internal Server Error
--- error_log
API disabled in the context of set_by_lua*

=== TEST 15: a chunked body over client_max_body_size: read_body ends the handler with 413
--- config
location = /t {
    client_max_body_size 8;
    content_by_lua_block {
        ngx.req.read_body()
        ngx.say("not reached")
    }
}
--- raw_request
POST /t HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n
10\r\n0123456789abcdef\r\n0\r\n\r\n
--- error_code: 413
--- response_body_like
413 Request Entity Too Large
--- error_log
client intended to send too large chunked body

=== TEST 16: a Content-Length set before read_body frames the body, as content_length_n does in nginx
--- config
location = /t {
    content_by_lua_block {
        ngx.req.set_header("Content-Length", "3")
        ngx.req.read_body()
        ngx.say(ngx.req.get_body_data(), " ", ngx.var.content_length)
    }
}
--- request
POST /t
hello
--- response_body
hel 3

=== TEST 17: a Content-Length cleared before read_body leaves no body to read
--- config
location = /t {
    content_by_lua_block {
        ngx.req.clear_header("Content-Length")
        ngx.req.read_body()
        ngx.say(tostring(ngx.req.get_body_data()), " ", tostring(ngx.var.content_length))
    }
}
--- request
POST /t
hello
--- response_body
nil nil

=== TEST 18: a Content-Length set after read_body changes the header only
--- config
location = /t {
    content_by_lua_block {
        ngx.req.read_body()
        ngx.req.set_header("Content-Length", "2")
        ngx.say(ngx.req.get_body_data(), " ", ngx.var.content_length)
    }
}
--- request
POST /t
hello
--- response_body
hello 2
--- no_error_log
[error]

=== TEST 19: set_body_data replaces the body read and sets Content-Length; "" leaves no body
--- config
location = /t {
    content_by_lua_block {
        ngx.req.read_body()
        ngx.req.set_body_data("abcdefgh")
        ngx.say(ngx.req.get_body_data(), " ", ngx.var.content_length, " ",
                ngx.req.get_headers()["content-length"], " ", ngx.var.http_content_length)
        ngx.req.set_body_data("")
        ngx.say(tostring(ngx.req.get_body_data()), " ", ngx.req.get_headers()["content-length"])
    }
}
--- request
POST /t
hello
--- response_body
abcdefgh 8 8 8
nil 0
--- no_error_log
[error]

=== TEST 20: set_body_data on a request without a body adds a Content-Length header
--- config
location = /t {
    content_by_lua_block {
        ngx.req.read_body()
        ngx.req.set_body_data(42)
        ngx.say(ngx.req.get_body_data(), " ", ngx.req.get_headers()["content-length"])
    }
}
--- request
GET /t
--- response_body
42 2
--- no_error_log
[error]

=== TEST 21: the body rewriters want a body read first, and lua-nginx-module's arguments
--- config
location = /t {
    content_by_lua_block {
        ngx.say(select(2, pcall(ngx.req.set_body_data, "x")))
        ngx.say(select(2, pcall(ngx.req.set_body_file, "/x")))
        ngx.say(select(2, pcall(ngx.req.init_body)))
        ngx.say(select(2, pcall(ngx.req.append_body, "x")))
        ngx.say(select(2, pcall(ngx.req.finish_body)))
        ngx.req.read_body()
        ngx.say(select(2, pcall(ngx.req.set_body_data)))
        ngx.say(select(2, pcall(ngx.req.set_body_data, "a", "b")))
        ngx.say(select(2, pcall(ngx.req.set_body_data, nil)))
        ngx.say(select(2, pcall(ngx.req.set_body_file)))
        ngx.say(select(2, pcall(ngx.req.set_body_file, "/x", 1)))
        ngx.say(select(2, pcall(ngx.req.init_body, 1, 2)))
        ngx.say(select(2, pcall(ngx.req.init_body, -1)))
        ngx.say(select(2, pcall(ngx.req.append_body)))
        ngx.say(select(2, pcall(ngx.req.finish_body, 1)))
        ngx.say(select(2, pcall(ngx.req.set_body_file, "/nonexistent/file")))
    }
}
--- request
POST /t
hello
--- response_body
request body not read yet
request body not read yet
request body not read yet
request_body not initialized
request_body not initialized
expecting 1 arguments but seen 0
expecting 1 arguments but seen 2
bad argument #1 to '?' (string expected, got nil)
expecting 1 or 2 arguments but seen 0
bad argument #2 to '?' (boolean expected, got number)
expecting 0 or 1 argument but seen 2
bad size argument: -1
expecting 1 arguments but seen 0
expecting 0 argument but seen 1
stat() "/nonexistent/file" failed
--- no_error_log
[error]

=== TEST 22: init_body, append_body and finish_body build a new body; past the buffer size it goes to a file
--- config
location = /t {
    content_by_lua_block {
        ngx.req.read_body()
        ngx.req.init_body()
        ngx.req.append_body("ab")
        ngx.req.append_body("cd")
        ngx.req.finish_body()
        ngx.say(ngx.req.get_body_data(), " ", ngx.var.content_length, " ", tostring(ngx.req.get_body_file()))
        ngx.req.init_body(3)
        ngx.req.append_body("hello, ")
        ngx.req.append_body("world")
        ngx.req.finish_body()
        local name = ngx.req.get_body_file()
        local f = io.open(name)
        ngx.say(tostring(ngx.req.get_body_data()), " ", ngx.req.get_headers()["content-length"],
                " ", f:read("*a"))
        f:close()
    }
}
--- request
POST /t
hello
--- response_body
abcd 4 nil
nil 12 hello, world
--- no_error_log
[error]

=== TEST 23: set_body_file takes a file as the body; with auto_clean it is deleted when the request ends
--- config
location = /t {
    content_by_lua_block {
        local name = ngx.config.prefix() .. "html/body.txt"
        local f = assert(io.open(name, "w"))
        f:write("file body\n")
        f:close()
        ngx.req.read_body()
        ngx.req.set_body_file(name)
        ngx.say(ngx.req.get_body_file() == name, " ", tostring(ngx.req.get_body_data()), " ",
                ngx.var.content_length)
        ngx.req.set_body_file(name, true)
    }
}
location = /u {
    content_by_lua_block {
        ngx.say(io.open(ngx.config.prefix() .. "html/body.txt") == nil)
    }
}
--- pipelined_requests
GET /t
GET /u
--- response_body
true nil 10
true
--- no_error_log
[error]


=== TEST 24: client_body_in_file_only on: a small body goes to a file, an empty one too; the file goes with the request
--- config
client_body_in_file_only on;
location = /t {
    content_by_lua_block {
        ngx.req.read_body()
        local path = ngx.req.get_body_file()
        local f = io.open(path)
        local data = f:read("*a")
        f:close()
        package.loaded.kept_body_file = path
        ngx.say(tostring(ngx.req.get_body_data()), " [", data, "]")
    }
}
location = /check {
    client_body_in_file_only off;
    content_by_lua_block {
        local f = io.open(package.loaded.kept_body_file)
        ngx.say(f ~= nil)
        if f then f:close() os.remove(package.loaded.kept_body_file) end
    }
}
--- raw_request
POST /t HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello
POST /t HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n
GET /check HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n
--- error_code: 200 200 200
--- response_body_like
^nil \[hello\].*nil \[\].*false
--- no_error_log
buffered to a temporary file

=== TEST 25: client_body_in_file_only clean: the file goes with the request
--- config
client_body_in_file_only clean;
location = /t {
    content_by_lua_block {
        ngx.req.read_body()
        package.loaded.clean_body_file = ngx.req.get_body_file()
        ngx.say("ok")
    }
}
location = /check {
    client_body_in_file_only off;
    content_by_lua_block {
        ngx.say(io.open(package.loaded.clean_body_file) == nil)
    }
}
--- raw_request
POST /t HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello
GET /check HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n
--- error_code: 200 200
--- response_body_like
ok.*true
