# Built-in variables.

__DATA__

=== TEST 1: request line variables
--- config
location /v {
    return 200 "uri=$uri
request_uri=$request_uri
args=$args
query_string=$query_string
is_args=$is_args
request_method=$request_method
request=$request
server_protocol=$server_protocol
scheme=$scheme
";
}
--- request
GET /v/p%41th?a=1&b=two
--- response_body
uri=/v/pAth
request_uri=/v/p%41th?a=1&b=two
args=a=1&b=two
query_string=a=1&b=two
is_args=?
request_method=GET
request=GET /v/p%41th?a=1&b=two HTTP/1.1
server_protocol=HTTP/1.1
scheme=http

=== TEST 2: $is_args and $args without a query
--- config
location /v { return 200 "[$is_args][$args]\n"; }
--- request
GET /v
--- response_body
[][]

=== TEST 3: $arg_NAME
--- config
location /v { return 200 "a=$arg_a b=$arg_b missing=[$arg_missing] first=$arg_dup\n"; }
--- request
GET /v?a=1&b=x%20y&dup=one&dup=two
--- response_body
a=1 b=x%20y missing=[] first=one

=== TEST 4: $http_NAME, dashes become underscores, case-insensitive
--- config
location /v { return 200 "ua=$http_user_agent custom=$http_x_custom_header\n"; }
--- request
GET /v
--- more_headers
User-Agent: spec-agent/1.0
X-Custom-Header: Value 1
--- response_body
ua=spec-agent/1.0 custom=Value 1

=== TEST 5: $cookie_NAME
--- config
location /v { return 200 "sid=$cookie_sid theme=$cookie_theme none=[$cookie_none]\n"; }
--- request
GET /v
--- more_headers
Cookie: sid=abc123; theme=dark
--- response_body
sid=abc123 theme=dark none=[]

=== TEST 6: $host from the Host header, lowercased, without port
--- config
location /v { return 200 "$host\n"; }
--- request
GET /v
--- more_headers
Host: Example.TEST:1234
--- response_body
example.test

=== TEST 7: connection addresses
--- config
location /v {
    return 200 "remote_addr=$remote_addr server_addr=$server_addr server_port=$server_port\n";
}
--- request
GET /v
--- response_body
remote_addr=127.0.0.1 server_addr=127.0.0.1 server_port=$TEST_NGINX_SERVER_PORT

=== TEST 8: $remote_port is a number
--- config
location /v { return 200 "$remote_port\n"; }
--- request
GET /v
--- response_body_like
^\d{2,5}\n$

=== TEST 9: $server_name is the server's primary name
--- config
location /v { return 200 "$server_name\n"; }
--- request
GET /v
--- response_body
localhost

=== TEST 10: $content_length and $content_type
--- config
location /v { return 200 "len=$content_length type=$content_type\n"; }
--- request
POST /v
hello
--- more_headers
Content-Type: text/x-spec
--- response_body
len=5 type=text/x-spec

=== TEST 11: $document_root and $request_filename with root
--- config
location /v {
    root $TEST_NGINX_HTML_DIR/docs;
    return 200 "$document_root $request_filename\n";
}
--- request
GET /v/file.txt
--- response_body
$TEST_NGINX_HTML_DIR/docs $TEST_NGINX_HTML_DIR/docs/v/file.txt

=== TEST 12: $connection and $connection_requests
--- config
location /v { return 200 "$connection $connection_requests\n"; }
--- request
GET /v
--- response_body_like
^\d+ 1\n$

=== TEST 13: $nginx_version
--- config
location /v { return 200 "$nginx_version\n"; }
--- request
GET /v
--- response_body
1.22.1

=== TEST 14: $msec, $time_local, $request_time formats
--- config
location /v { return 200 "$msec|$time_local|$request_time\n"; }
--- request
GET /v
--- response_body_like
^\d{10}\.\d{3}\|\d\d/(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\|\d+\.\d{3}\n$

=== TEST 15: $status and $body_bytes_sent in a log are the final values
--- http_config
log_format spec "$status $body_bytes_sent";
--- config
access_log logs/access.log spec;
location /v { return 200 "12345\n"; }
--- request
GET /v
--- access_log
200 6

=== TEST 16: $uri changes after a rewrite, $request_uri does not
--- config
location /a { rewrite ^ /b last; }
location /b { return 200 "$uri $request_uri\n"; }
--- request
GET /a?x=1
--- response_body
/b /a?x=1

=== TEST 17: $args is the query string, undecoded
--- config
location /v { return 200 "$args\n"; }
--- request
GET /v?q=a%20b+c
--- response_body
q=a%20b+c
