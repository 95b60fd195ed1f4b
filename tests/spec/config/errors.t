# Configuration errors: nginx's exact texts with FILE:LINE, stderr/error log, exit status 1.
# Errors are placed in an included file (conf/bad.conf) so the line numbers are exact.

__DATA__

=== TEST 1: unknown directive
--- config
include bad.conf;
--- user_files
>>> ../conf/bad.conf
# line 1
    foo bar;
--- must_die
--- error_log
[emerg]
unknown directive "foo" in $TEST_NGINX_CONF_DIR/bad.conf:2

=== TEST 2: unknown directive inline in nginx.conf
--- config
location = /t {
    frobnicate on;
}
--- must_die
--- error_log
[emerg]
qr/unknown directive "frobnicate" in \S+\/conf\/nginx\.conf:\d+/

=== TEST 3: directive not allowed here (listen in location)
--- config
include bad.conf;
--- user_files
>>> ../conf/bad.conf
location / {

    listen 8081;
}
--- must_die
--- error_log
[emerg]
"listen" directive is not allowed here in $TEST_NGINX_CONF_DIR/bad.conf:3

=== TEST 4: directive not allowed here (server at main level)
--- main_config
include bad.conf;
--- user_files
>>> ../conf/bad.conf
server {
}
--- must_die
--- error_log
[emerg]
"server" directive is not allowed here in $TEST_NGINX_CONF_DIR/bad.conf:1

=== TEST 5: directive not allowed here (worker_processes in http)
--- http_config
include bad.conf;
--- user_files
>>> ../conf/bad.conf
worker_processes 2;
--- must_die
--- error_log
[emerg]
"worker_processes" directive is not allowed here in $TEST_NGINX_CONF_DIR/bad.conf:1

=== TEST 6: invalid number of arguments (too few)
--- config
include bad.conf;
--- user_files
>>> ../conf/bad.conf
location / {
    root;
}
--- must_die
--- error_log
[emerg]
invalid number of arguments in "root" directive in $TEST_NGINX_CONF_DIR/bad.conf:2

=== TEST 7: invalid number of arguments (too many)
--- config
include bad.conf;
--- user_files
>>> ../conf/bad.conf
index a b;
root /a /b;
--- must_die
--- error_log
[emerg]
invalid number of arguments in "root" directive in $TEST_NGINX_CONF_DIR/bad.conf:2

=== TEST 8: invalid number of arguments for a block directive
--- config
include bad.conf;
--- user_files
>>> ../conf/bad.conf
location {
}
--- must_die
--- error_log
[emerg]
invalid number of arguments in "location" directive in $TEST_NGINX_CONF_DIR/bad.conf:1

=== TEST 9: unexpected "}"
--- config
include bad.conf;
--- user_files
>>> ../conf/bad.conf
location / {
}
}
--- must_die
--- error_log
[emerg]
unexpected "}" in $TEST_NGINX_CONF_DIR/bad.conf:3

=== TEST 10: unexpected "}" after a directive without ";"
--- config
include bad.conf;
--- user_files
>>> ../conf/bad.conf
location / {
    root html
}
--- must_die
--- error_log
[emerg]
unexpected "}" in $TEST_NGINX_CONF_DIR/bad.conf:3

=== TEST 11: unexpected end of file, expecting ";" or "}"
--- config
include bad.conf;
--- user_files
>>> ../conf/bad.conf
root html;
index index.html
--- must_die
--- error_log
[emerg]
qr/unexpected end of file, expecting ";" or "\}" in \S+\/conf\/bad\.conf:3/

=== TEST 12: unexpected end of file, expecting "}"
--- config
include bad.conf;
--- user_files
>>> ../conf/bad.conf
location / {
    root html;
--- must_die
--- error_log
[emerg]
qr/unexpected end of file, expecting "\}" in \S+\/conf\/bad\.conf:3/

=== TEST 13: block directive without "{"
--- config
include bad.conf;
--- user_files
>>> ../conf/bad.conf
location /;
--- must_die
--- error_log
[emerg]
directive "location" has no opening "{" in $TEST_NGINX_CONF_DIR/bad.conf:1

=== TEST 14: simple directive given a block
--- config
include bad.conf;
--- user_files
>>> ../conf/bad.conf
root html {
}
--- must_die
--- error_log
[emerg]
directive "root" is not terminated by ";" in $TEST_NGINX_CONF_DIR/bad.conf:1

=== TEST 15: duplicate directive
--- config
include bad.conf;
--- user_files
>>> ../conf/bad.conf
root html;
root html;
--- must_die
--- error_log
[emerg]
"root" directive is duplicate in $TEST_NGINX_CONF_DIR/bad.conf:2

=== TEST 16: duplicate location
--- config
include bad.conf;
--- user_files
>>> ../conf/bad.conf
location = /a { }
location = /a { }
--- must_die
--- error_log
[emerg]
duplicate location "/a" in $TEST_NGINX_CONF_DIR/bad.conf:2

=== TEST 17: unknown variable
--- config
include bad.conf;
--- user_files
>>> ../conf/bad.conf
location = /t {
    return 200 $no_such_variable_here;
}
--- must_die
--- error_log
[emerg]
unknown "no_such_variable_here" variable

=== TEST 18: invalid size value
--- config
include bad.conf;
--- user_files
>>> ../conf/bad.conf
client_max_body_size 10q;
--- must_die
--- error_log
[emerg]
"client_max_body_size" directive invalid value in $TEST_NGINX_CONF_DIR/bad.conf:1

=== TEST 19: invalid time value
--- config
include bad.conf;
--- user_files
>>> ../conf/bad.conf
keepalive_timeout soon;
--- must_die
--- error_log
[emerg]
"keepalive_timeout" directive invalid value in $TEST_NGINX_CONF_DIR/bad.conf:1

=== TEST 20: invalid flag value
--- config
include bad.conf;
--- user_files
>>> ../conf/bad.conf
sendfile maybe;
--- must_die
--- error_log
[emerg]
invalid value "maybe" in "sendfile" directive, it must be "on" or "off" in $TEST_NGINX_CONF_DIR/bad.conf:1

=== TEST 21: invalid number at main level
--- main_config
include bad.conf;
--- user_files
>>> ../conf/bad.conf
worker_rlimit_nofile many;
--- must_die
--- error_log
[emerg]
"worker_rlimit_nofile" directive invalid number in $TEST_NGINX_CONF_DIR/bad.conf:1

=== TEST 22: include of a missing file
--- config
include no_such_file.conf;
--- must_die
--- error_log
[emerg]
qr/open\(\) "\S+\/conf\/no_such_file\.conf" failed \(2: No such file or directory\) in \S+\/conf\/nginx\.conf:\d+/

=== TEST 23: unknown log format
--- config
access_log logs/a.log nosuchformat;
--- must_die
--- error_log
[emerg]
unknown log format "nosuchformat"

=== TEST 24: invalid return code
--- config
location = /t { return abc; }
--- must_die
--- error_log
[emerg]
invalid return code "abc"

=== TEST 25: invalid rewrite flag
--- config
rewrite ^/a /b sometimes;
--- must_die
--- error_log
[emerg]
invalid parameter "sometimes"

=== TEST 26: the first error stops the load
--- config
include bad.conf;
--- user_files
>>> ../conf/bad.conf
first_bad_directive;
second_bad_directive;
--- must_die
--- error_log
unknown directive "first_bad_directive"
--- no_error_log
second_bad_directive

=== TEST 27: a hash-sizing directive twice in one block
--- config
include bad.conf;
--- user_files
>>> ../conf/bad.conf
location / {
    types_hash_max_size 512;
    types_hash_max_size 1024;
}
--- must_die
--- error_log
[emerg]
"types_hash_max_size" directive is duplicate in $TEST_NGINX_CONF_DIR/bad.conf:3

=== TEST 28: a hash-sizing directive with a size where nginx wants a number
--- config
include bad.conf;
--- user_files
>>> ../conf/bad.conf

    types_hash_bucket_size 64k;
--- must_die
--- error_log
[emerg]
"types_hash_bucket_size" directive invalid number in $TEST_NGINX_CONF_DIR/bad.conf:2
