# Error log lines in nginx's format and level filtering.

__DATA__

=== TEST 1: the line format of a request error
--- request
GET /missing.html
--- error_code: 404
--- error_log
qr/^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d \[error\] \d+#\d+: \*\d+ open\(\) "\S+\/html\/missing\.html" failed \(2: No such file or directory\), client: 127\.0\.0\.1, server: localhost, request: "GET \/missing\.html HTTP\/1\.1", host: "localhost"$/m

=== TEST 2: the host part is left out without a Host header
--- raw_request
GET /missing.html HTTP/1.0\r\n
\r\n
--- error_code: 404
--- error_log
qr/\[error\] .* client: 127\.0\.0\.1, server: localhost, request: "GET \/missing\.html HTTP\/1\.0"$/m

=== TEST 3: the level set on error_log filters lower levels
--- main_config
error_log logs/error.log crit;
--- request
GET /missing.html
--- error_code: 404
--- no_error_log
[error]
[info]
[debug]

=== TEST 4: warn level keeps errors and drops info
--- main_config
error_log logs/error.log warn;
--- request
GET /missing.html
--- error_code: 404
--- error_log
[error]
--- no_error_log
[info]
[notice]

=== TEST 5: the default level is error
--- main_config
error_log logs/error.log;
--- request
GET /missing.html
--- error_code: 404
--- error_log
[error]
--- no_error_log
[warn]
[notice]
[info]

=== TEST 6: error_log at server level routes that server's errors
--- config
error_log logs/server.log warn;
--- request
GET /missing.html
--- error_code: 404
--- no_error_log
open() "
