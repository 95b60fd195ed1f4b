# Main, events and http directives that are accepted with nginx's syntax (some only accepted:
# their effect is not visible from a request). Each block must start and serve.

__DATA__

=== TEST 1: worker_processes auto
--- main_config
worker_processes auto;
--- config
location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body
ok

=== TEST 2: worker_processes N
--- main_config
worker_processes 2;
--- config
location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body
ok

=== TEST 3: env, worker_rlimit_nofile, master_process, daemon
--- main_config
env TYCHO_SPEC_A;
env TYCHO_SPEC_B=value;
worker_rlimit_nofile 4096;
master_process off;
daemon off;
--- config
location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body
ok

=== TEST 4: events directives
--- main_config
events {
    worker_connections 512;
    accept_mutex off;
    use epoll;
}
--- config
location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body
ok

=== TEST 5: several error_log directives, each with its level
--- main_config
error_log logs/second.log warn;
error_log logs/third.log;
--- config
location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body
ok

=== TEST 6: http-level directives that tune I/O are accepted
--- http_config
sendfile on;
tcp_nopush on;
tcp_nodelay on;
client_body_buffer_size 16k;
client_header_buffer_size 1k;
large_client_header_buffers 4 8k;
client_body_temp_path client_body_temp;
proxy_temp_path proxy_temp;
keepalive_requests 100;
keepalive_timeout 30s;
send_timeout 10s;
server_tokens on;
default_type application/octet-stream;
--- config
location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body
ok

=== TEST 7: listen parameters: default_server, backlog, reuseport
--- http_config
server {
    listen 127.0.0.1:$TEST_NGINX_SERVER_PORT default_server backlog=128 reuseport;
    server_name other.test;
    return 200 "default\n";
}
--- request
GET /
--- more_headers
Host: unknown.test
--- response_body
default

=== TEST 8: listen on a unix socket is accepted
--- http_config
server {
    listen unix:$TEST_NGINX_PREFIX/logs/spec.sock;
    return 200 "unix\n";
}
--- config
location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body
ok

=== TEST 9: the hash-sizing directives of Debian's nginx.conf are accepted where nginx takes them
--- http_config
types_hash_max_size 2048;
types_hash_bucket_size 64;
server_names_hash_max_size 1024;
server_names_hash_bucket_size 128;
variables_hash_max_size 2048;
variables_hash_bucket_size 64;
--- config
types_hash_max_size 512;
location = /t {
    types_hash_bucket_size 128;
    return 200 "ok\n";
}
--- request
GET /t
--- response_body
ok

=== TEST 10: load_module of lua-nginx-module and NDK, as Debian's modules-enabled/ writes it
--- main_config
load_module /usr/share/nginx/modules/ndk_http_module.so;
load_module /usr/share/nginx/modules/ngx_http_lua_module.so;
--- config
location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body
ok
