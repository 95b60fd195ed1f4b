# absolute_redirect, port_in_redirect, server_name_in_redirect: how a Location that is a path is
# sent (return, rewrite redirects, directory redirects, ngx.redirect).

__DATA__

=== TEST 1: by default: the request's Host and the port
--- config
location = /t { return 301 /x; }
--- request
GET /t
--- more_headers
Host: example.test
--- error_code: 301
--- response_headers
Location: http://example.test:$TEST_NGINX_SERVER_PORT/x

=== TEST 2: absolute_redirect off: the path as is, for return, a directory and ngx.redirect
--- user_files
>>> dir/index.html
hi
--- config
absolute_redirect off;
location = /t { return 302 /x?a=1; }
location = /lua { content_by_lua_block { ngx.redirect("/y") } }
--- raw_request
GET /t HTTP/1.1\r\nHost: example.test\r\n\r\n
GET /dir HTTP/1.1\r\nHost: example.test\r\n\r\n
GET /lua HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n
--- error_code: 302 301 302
--- response_headers
Location: /y

=== TEST 3: port_in_redirect off
--- config
port_in_redirect off;
location = /t { return 301 /x; }
--- request
GET /t
--- more_headers
Host: example.test
--- error_code: 301
--- response_headers
Location: http://example.test/x

=== TEST 4: server_name_in_redirect on: the server's first name, not the Host
--- config
server_name_in_redirect on;
location = /t { return 301 /x; }
--- request
GET /t
--- more_headers
Host: other.test
--- error_code: 301
--- response_headers
Location: http://localhost:$TEST_NGINX_SERVER_PORT/x

=== TEST 5: absolute_redirect off: a directory's redirect
--- user_files
>>> dir/index.html
hi
--- config
absolute_redirect off;
--- request
GET /dir
--- error_code: 301
--- response_headers
Location: /dir/
