# set_real_ip_from / real_ip_header / real_ip_recursive (ngx_http_realip_module): a request from
# a trusted address takes its client address from a header, for $remote_addr, $remote_port,
# allow/deny, log lines and ngx.var; $realip_remote_addr keeps the connection's.

__DATA__

=== TEST 1: X-Real-IP from a trusted client replaces $remote_addr; $realip_remote_addr keeps it
--- config
set_real_ip_from 127.0.0.1;
location = /t {
    return 200 "$remote_addr [$remote_port] $realip_remote_addr\n";
}
--- request
GET /t
--- more_headers
X-Real-IP: 203.0.113.7
--- response_body
203.0.113.7 [] 127.0.0.1

=== TEST 2: an untrusted client keeps its address
--- config
set_real_ip_from 10.0.0.0/8;
location = /t {
    return 200 "$remote_addr\n";
}
--- request
GET /t
--- more_headers
X-Real-IP: 203.0.113.7
--- response_body
127.0.0.1

=== TEST 3: X-Forwarded-For without recursion: the last address
--- config
set_real_ip_from 127.0.0.0/8;
set_real_ip_from 192.0.2.0/24;
real_ip_header X-Forwarded-For;
location = /t {
    return 200 "$remote_addr\n";
}
--- request
GET /t
--- more_headers
X-Forwarded-For: 198.51.100.1, 203.0.113.9, 192.0.2.5
--- response_body
192.0.2.5

=== TEST 4: X-Forwarded-For with recursion: the last address that is not a trusted proxy
--- config
set_real_ip_from 127.0.0.0/8;
set_real_ip_from 192.0.2.0/24;
real_ip_header X-Forwarded-For;
real_ip_recursive on;
location = /t {
    return 200 "$remote_addr\n";
}
--- request
GET /t
--- more_headers
X-Forwarded-For: 198.51.100.1, 203.0.113.9, 192.0.2.5
--- response_body
203.0.113.9

=== TEST 5: recursion through trusted addresses to the first one
--- config
set_real_ip_from 0.0.0.0/0;
real_ip_header X-Forwarded-For;
real_ip_recursive on;
location = /t {
    return 200 "$remote_addr\n";
}
--- request
GET /t
--- more_headers
X-Forwarded-For: 198.51.100.1,203.0.113.9 , 192.0.2.5
--- response_body
198.51.100.1

=== TEST 6: a port in the header becomes $remote_port; an IPv6 address in brackets
--- config
set_real_ip_from 127.0.0.1;
real_ip_header X-Client;
location = /t {
    return 200 "$remote_addr $remote_port\n";
}
--- pipelined_requests
GET /t
--- more_headers
X-Client: [2001:db8::1]:8443
--- response_body
2001:db8::1 8443

=== TEST 7: a header that is not an address changes nothing
--- config
set_real_ip_from 127.0.0.1;
location = /t {
    return 200 "$remote_addr\n";
}
--- request
GET /t
--- more_headers
X-Real-IP: not-an-address
--- response_body
127.0.0.1

=== TEST 8: allow/deny and Lua see the replaced address; the error log names it as the client
--- config
set_real_ip_from 127.0.0.1;
location = /t {
    deny 203.0.113.7;
    content_by_lua_block { ngx.say("ok") }
}
location = /lua {
    content_by_lua_block { ngx.say(ngx.var.remote_addr, " ", ngx.var.realip_remote_addr) }
}
--- pipelined_requests
GET /lua
GET /t
--- more_headers
X-Real-IP: 203.0.113.7
--- error_code: 200 403
--- response_body_like
^203\.0\.113\.7 127\.0\.0\.1
--- error_log
access forbidden by rule, client: 203.0.113.7

=== TEST 9: set in a location only: applied before the access phase
--- config
location = /a {
    set_real_ip_from 127.0.0.1;
    allow 203.0.113.7;
    deny all;
    content_by_lua_block { ngx.say("allowed ", ngx.var.remote_addr) }
}
--- pipelined_requests
GET /a
--- more_headers
X-Real-IP: 203.0.113.7
--- response_body
allowed 203.0.113.7

=== TEST 10: "all" is not an address (nginx looks it up as a host name)
--- config
include bad.conf;
--- user_files
>>> ../conf/bad.conf

set_real_ip_from all;
--- must_die
--- error_log
[emerg]
host not found in set_real_ip_from "all" in $TEST_NGINX_CONF_DIR/bad.conf:2
