# Tycho-only (NOT run against nginx: tests/CMakeLists.txt leaves tests/spec/tycho/ out of the
# reference run). The parts of lua-nginx-module's API that Tycho does not build yet exist as
# functions that raise "<name> is not implemented in Tycho yet" (docs/README.md), so code
# written for OpenResty fails with that message instead of "attempt to index field 're' (a nil
# value)"; nothing that is built is shadowed.

__DATA__

=== TEST 1: every unbuilt function raises its own name
--- config
location = /t {
    content_by_lua_block {
        local names = {
            {"socket", "tcp"}, {"socket", "udp"}, {"socket", "stream"}, {"socket", "connect"},
            {"location", "capture"}, {"location", "capture_multi"}, {"req", "socket"},
        }
        for _, n in ipairs(names) do
            local f = n[2] and ngx[n[1]][n[2]] or ngx[n[1]]
            local ok, err = pcall(f, "x")
            ngx.say(ok, " ", err)
        end
        ngx.say(type(ngx.req.get_headers), " ", type(ngx.worker.id), " ", ngx.worker.count())
    }
}
--- request
GET /t
--- response_body
false ngx.socket.tcp is not implemented in Tycho yet
false ngx.socket.udp is not implemented in Tycho yet
false ngx.socket.stream is not implemented in Tycho yet
false ngx.socket.connect is not implemented in Tycho yet
false ngx.location.capture is not implemented in Tycho yet
false ngx.location.capture_multi is not implemented in Tycho yet
false ngx.req.socket is not implemented in Tycho yet
function function 1

=== TEST 2: an uncaught call is a runtime error at the caller's line: 500 and the log line
--- config
location = /t {
    content_by_lua_block {
        local res = ngx.location.capture("/sub")
        ngx.say("not reached")
    }
}
--- request
GET /t
--- error_code: 500
--- error_log
qr/\[error\] .*lua entry thread aborted: runtime error: content_by_lua\(nginx\.conf:\d+\):2: ngx\.location\.capture is not implemented in Tycho yet\nstack traceback:/

=== TEST 3: lua-resty-core's ngx.* modules Tycho does not embed raise on require, at the caller's line
--- http_config
lua_package_path "/usr/share/lua/5.1/?.lua;;";
--- config
location = /t {
    content_by_lua_block {
        for _, name in ipairs({"ngx.pipe", "ngx.balancer", "ngx.ocsp",
                               "ngx.ssl", "ngx.ssl.session", "ngx.ssl.clienthello"}) do
            ngx.say(select(2, pcall(require, name)))
        end
        ngx.say(type(require("ngx.semaphore").new), " ", type(require("ngx.process").type), " ",
                type(require("ngx.base64").encode_base64url), " ",
                type(require("ngx.req").add_header), " ", type(require("ngx.resp").add_header),
                " ", type(require("ngx.re").split), " ", type(require("ngx.errlog").raw_log))
        local ok, err = pcall(function()
            local pipe = require "ngx.pipe"
            return pipe
        end)
        ngx.say(err)
    }
}
--- request
GET /t
--- response_body_like
^module 'ngx.pipe' is not implemented in Tycho yet
module 'ngx.balancer' is not implemented in Tycho yet
module 'ngx.ocsp' is not implemented in Tycho yet
module 'ngx.ssl' is not implemented in Tycho yet
module 'ngx.ssl.session' is not implemented in Tycho yet
module 'ngx.ssl.clienthello' is not implemented in Tycho yet
function function function function function function function
content_by_lua\(nginx\.conf:\d+\):11: module 'ngx.pipe' is not implemented in Tycho yet
$

=== TEST 4: the cosocket and lua_ssl directives load with a warning that they do nothing yet
--- http_config
lua_socket_log_errors off;
lua_ssl_trusted_certificate /etc/ssl/certs/ca-certificates.crt;
--- config
location = /t { content_by_lua_block { ngx.say("ok") } }
--- request
GET /t
--- response_body
ok
--- error_log
qr/\[warn\] .*"lua_socket_log_errors" has no effect: cosockets are not implemented in Tycho yet in .*nginx\.conf:\d+/
qr/\[warn\] .*"lua_ssl_trusted_certificate" has no effect: cosockets are not implemented in Tycho yet in .*nginx\.conf:\d+/

