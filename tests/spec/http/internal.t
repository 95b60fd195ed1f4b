# internal: a location only internal requests reach (error_page, ngx.exec, try_files, rewrite);
# a client's request for it is a 404.

__DATA__

=== TEST 1: a client's request is 404
--- config
location /private/ {
    internal;
    return 200 "secret\n";
}
--- request
GET /private/x
--- error_code: 404

=== TEST 2: error_page reaches it (the status stays the error's)
--- config
error_page 404 /private/404;
location /private/ {
    internal;
    return 200 "custom not found\n";
}
--- request
GET /missing
--- error_code: 404
--- response_body
custom not found

=== TEST 3: ngx.exec, try_files and rewrite reach it
--- config
location = /lua {
    content_by_lua_block { ngx.exec("/private/lua") }
}
location = /try {
    try_files /nothing /private/try;
}
location = /rw {
    rewrite ^ /private/rw last;
}
location /private/ {
    internal;
    return 200 "$uri\n";
}
--- pipelined_requests
GET /lua
GET /try
GET /rw
--- response_body
/private/lua
/private/try
/private/rw

=== TEST 4: twice in a location
--- config
include bad.conf;
--- user_files
>>> ../conf/bad.conf
location /x {
    internal;
    internal;
}
--- must_die
--- error_log
[emerg]
"internal" directive is duplicate in $TEST_NGINX_CONF_DIR/bad.conf:3
