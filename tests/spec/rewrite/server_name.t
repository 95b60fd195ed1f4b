# Virtual server selection by Host: exact name, leading wildcard *.x, trailing wildcard x.*,
# regex (~), in nginx's order; unknown hosts go to the default server of the listen socket
# (the first one, or the one marked default_server). The runner's own server is
# "localhost" and comes after the http_config servers.

__DATA__

=== TEST 1: exact name
--- http_config
server {
    listen 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    server_name www.example.test;
    return 200 "exact $server_name\n";
}
--- request
GET /
--- more_headers
Host: www.example.test
--- response_body
exact www.example.test

=== TEST 2: Host matching is case-insensitive and ignores the port
--- http_config
server {
    listen 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    server_name www.example.test;
    return 200 "exact\n";
}
--- request
GET /
--- more_headers
Host: WWW.Example.TEST:8080
--- response_body
exact

=== TEST 3: exact wins over a leading wildcard
--- http_config
server {
    listen 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    server_name *.example.test;
    return 200 "wildcard\n";
}
server {
    listen 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    server_name api.example.test;
    return 200 "exact\n";
}
--- request
GET /
--- more_headers
Host: api.example.test
--- response_body
exact

=== TEST 4: leading wildcard
--- http_config
server {
    listen 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    server_name *.example.test;
    return 200 "wildcard\n";
}
--- request
GET /
--- more_headers
Host: a.b.example.test
--- response_body
wildcard

=== TEST 5: the longest leading wildcard wins
--- http_config
server {
    listen 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    server_name *.test;
    return 200 "short\n";
}
server {
    listen 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    server_name *.example.test;
    return 200 "long\n";
}
--- request
GET /
--- more_headers
Host: a.example.test
--- response_body
long

=== TEST 6: trailing wildcard
--- http_config
server {
    listen 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    server_name mail.*;
    return 200 "trailing\n";
}
--- request
GET /
--- more_headers
Host: mail.example.org
--- response_body
trailing

=== TEST 7: leading wildcard wins over trailing
--- http_config
server {
    listen 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    server_name www.*;
    return 200 "trailing\n";
}
server {
    listen 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    server_name *.example.test;
    return 200 "leading\n";
}
--- request
GET /
--- more_headers
Host: www.example.test
--- response_body
leading

=== TEST 8: regex names, with captures
--- http_config
server {
    listen 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    server_name ~^(?<sub>[a-z]+)\.regex\.test$;
    return 200 "regex sub=$sub\n";
}
--- request
GET /
--- more_headers
Host: shop.regex.test
--- response_body
regex sub=shop

=== TEST 9: wildcards win over regexes
--- http_config
server {
    listen 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    server_name ~^www\..*$;
    return 200 "regex\n";
}
server {
    listen 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    server_name www.*;
    return 200 "wildcard\n";
}
--- request
GET /
--- more_headers
Host: www.foo.test
--- response_body
wildcard

=== TEST 10: an unknown host goes to the first server of the port
--- http_config
server {
    listen 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    server_name first.test;
    return 200 "first\n";
}
--- request
GET /
--- more_headers
Host: nobody.test
--- response_body
first

=== TEST 11: default_server overrides the order
--- http_config
server {
    listen 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    server_name first.test;
    return 200 "first\n";
}
server {
    listen 127.0.0.1:$TEST_NGINX_SERVER_PORT default_server;
    server_name chosen.test;
    return 200 "default\n";
}
--- request
GET /
--- more_headers
Host: nobody.test
--- response_body
default

=== TEST 12: a request without Host (HTTP/1.0) goes to the default server
--- http_config
server {
    listen 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    server_name first.test;
    return 200 "first [$host]\n";
}
--- raw_request
GET / HTTP/1.0\r\n
\r\n
--- response_body
first [first.test]

=== TEST 13: several names in one server_name
--- http_config
server {
    listen 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    server_name a.test b.test;
    return 200 "server_name=$server_name host=$host\n";
}
--- request
GET /
--- more_headers
Host: b.test
--- response_body
server_name=a.test host=b.test

=== TEST 14: the empty name "" matches requests without Host
--- http_config
server {
    listen 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    server_name first.test;
    return 200 "first\n";
}
server {
    listen 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    server_name "";
    return 200 "no host\n";
}
--- raw_request
GET / HTTP/1.0\r\n
\r\n
--- response_body
no host
