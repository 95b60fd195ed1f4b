# access_log and log_format: the combined default, custom formats, escaping, off, levels.

__DATA__

=== TEST 1: the default format is combined
--- config
location = /t { return 200 "hello\n"; }
--- request
GET /t?x=1
--- more_headers
Referer: http://ref.test/
User-Agent: spec-agent
--- access_log
qr/^127\.0\.0\.1 - - \[\d\d\/\w\w\w\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "GET \/t\?x=1 HTTP\/1\.1" 200 6 "http:\/\/ref\.test\/" "spec-agent"$/m

=== TEST 2: empty referer and user agent are logged as "-"
--- config
location = /t { return 200 "hello\n"; }
--- request
GET /t
--- access_log
qr/"GET \/t HTTP\/1\.1" 200 6 "-" "-"$/m

=== TEST 3: a named log_format
--- http_config
log_format spec '$request_method $uri $status [$arg_a] "$http_x_h"';
--- config
access_log logs/access.log spec;
location = /t { return 200 "hello\n"; }
--- request
GET /t?a=1
--- more_headers
X-H: hdr
--- access_log
qr/^GET \/t 200 \[1\] "hdr"$/m

=== TEST 4: log_format may span several strings
--- http_config
log_format multi '$status '
                 '$request_method '
                 '$uri';
--- config
access_log logs/access.log multi;
location = /t { return 200 "hello\n"; }
--- request
GET /t
--- access_log
qr/^200 GET \/t$/m

=== TEST 5: an empty variable is logged as "-"
--- http_config
log_format dash '[$arg_none] [$http_x_none]';
--- config
access_log logs/access.log dash;
location = /t { return 200 "hello\n"; }
--- request
GET /t
--- access_log
[-] [-]

=== TEST 6: quotes and control characters are escaped as \xHH
--- http_config
log_format esc '$http_x_evil';
--- config
access_log logs/access.log esc;
location = /t { return 200 "hello\n"; }
--- request
GET /t
--- more_headers
X-Evil: a"b\c
--- access_log
qr/^a\\x22b\\x5Cc$/m

=== TEST 7: access_log off in a location
--- config
location = /quiet { access_log off; return 200 "hello\n"; }
location = /loud { return 200 "hello\n"; }
--- pipelined_requests
GET /quiet
GET /loud
--- access_log
GET /loud
--- no_access_log
GET /quiet

=== TEST 8: several access_log directives at one level all write
--- http_config
log_format short '$status $uri';
--- config
access_log logs/access.log short;
access_log logs/second.log combined;
location = /t { return 200 "hello\n"; }
--- request
GET /t
--- access_log
200 /t

=== TEST 9: access log records the final status of an error page
--- http_config
log_format st '$status $uri $request_uri';
--- config
access_log logs/access.log st;
error_page 404 /nf;
location = /nf { return 200 "nf\n"; }
--- request
GET /missing
--- error_code: 404
--- access_log
404 /nf /missing

=== TEST 10: $request_time and $msec in the access log
--- http_config
log_format t '$request_time $msec';
--- config
access_log logs/access.log t;
location = /t { return 200 "hello\n"; }
--- request
GET /t
--- access_log
qr/^\d+\.\d{3} \d{10}\.\d{3}$/m

=== TEST 11: a bad request is logged with status 400
--- http_config
log_format st '$status "$request"';
--- config
access_log logs/access.log st;
--- raw_request
GET /t HTTP/1.1\r\n
\r\n
--- error_code: 400
--- access_log
400 "GET /t HTTP/1.1"
