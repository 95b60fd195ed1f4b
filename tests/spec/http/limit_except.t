# limit_except METHOD ... { allow/deny }: methods it does not list get the block's access rules;
# GET implies HEAD; errors as nginx words them.

__DATA__

=== TEST 1: GET and HEAD pass, POST and an unknown method are denied
--- config
location = /t {
    limit_except GET {
        deny all;
    }
    content_by_lua_block { ngx.say("ok ", ngx.req.get_method()) }
}
--- raw_request
GET /t HTTP/1.1\r\nHost: localhost\r\n\r\n
HEAD /t HTTP/1.1\r\nHost: localhost\r\n\r\n
POST /t HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n
FOO /t HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n
--- error_code: 200 200 403 403
--- response_body_like
^ok GET\n.*403 Forbidden.*403 Forbidden
--- error_log
access forbidden by rule

=== TEST 2: the block's allow lets some clients use the other methods (then the static module's 405)
--- user_files
>>> f.txt
hello
--- config
location = /f.txt {
    limit_except GET {
        allow 127.0.0.1;
        deny all;
    }
}
--- request
DELETE /f.txt
--- error_code: 405

=== TEST 3: the location's own rules still apply to the listed methods
--- user_files
>>> f.txt
hello
--- config
location = /f.txt {
    deny all;
    limit_except GET POST {
        allow all;
    }
}
--- raw_request
GET /f.txt HTTP/1.1\r\nHost: localhost\r\n\r\n
PUT /f.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\nConnection: close\r\n\r\n
--- error_code: 403 405

=== TEST 4: an unknown method name
--- config
include bad.conf;
--- user_files
>>> ../conf/bad.conf
location /x {
    limit_except GET FETCH {
        deny all;
    }
}
--- must_die
--- error_log
[emerg]
invalid method "FETCH" in $TEST_NGINX_CONF_DIR/bad.conf:2

=== TEST 5: not at server level
--- config
include bad.conf;
--- user_files
>>> ../conf/bad.conf
limit_except GET {
    deny all;
}
--- must_die
--- error_log
[emerg]
"limit_except" directive is not allowed here in $TEST_NGINX_CONF_DIR/bad.conf:1
