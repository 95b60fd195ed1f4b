# The configuration grammar: comments, several directives per line, quoting and escapes,
# variables kept for run time, size and time units, include with globs, free top-level order.

__DATA__

=== TEST 1: comments and several directives per line
--- config
# a comment line
location = /t { default_type text/plain; return 200 "one\n"; }   # trailing comment
location = /u { return 200 "# not a comment\n"; }
--- request
GET /t
--- response_body
one

=== TEST 2: a hash inside a quoted string is not a comment
--- config
location = /u { return 200 "# not a comment\n"; }
--- request
GET /u
--- response_body
# not a comment

=== TEST 3: double quotes with escapes
--- config
location = /t { return 200 "a\"b\\c\td\n"; }
--- request
GET /t
--- response_body_like
^a"b\\c\td\n$

=== TEST 4: single quotes with escapes
--- config
location = /t { return 200 'it\'s "fine"\n'; }
--- request
GET /t
--- response_body
it's "fine"

=== TEST 5: a quoted argument may hold spaces and semicolons
--- config
location = /t { return 200 "x; y { z }\n"; }
--- request
GET /t
--- response_body
x; y { z }

=== TEST 6: a directive may span lines
--- config
location = /t {
    return
        200
        "multi\n"
    ;
}
--- request
GET /t
--- response_body
multi

=== TEST 7: variables in strings are evaluated per request
--- config
location = /t { return 200 "uri=$uri args=$args\n"; }
--- request
GET /t?a=1
--- response_body
uri=/t args=a=1

=== TEST 8: braced variable names
--- config
location = /t { return 200 "[${uri}x]\n"; }
--- request
GET /t
--- response_body
[/tx]

=== TEST 9: size units k and m
--- config
client_max_body_size 1k;
location = /t { return 200 "ok\n"; }
--- request
POST /t
01234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789
--- error_code: 413

=== TEST 10: size units: 1m accepts what 1k refuses
--- config
client_max_body_size 1m;
large_client_header_buffers 4 8k;
client_header_buffer_size 1k;
location = /t { return 200 "ok\n"; }
--- request
POST /t
01234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789
--- response_body
ok

=== TEST 11: time units
--- config
keepalive_timeout 1m 60s;
client_header_timeout 500ms;
client_body_timeout 1h;
send_timeout 1d;
location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body
ok

=== TEST 12: include with a glob, relative to the config's directory
--- config
include sites/*.conf;
--- user_files
>>> ../conf/sites/a.conf
location = /a { return 200 "from a\n"; }
>>> ../conf/sites/b.conf
location = /b { return 200 "from b\n"; }
>>> ../conf/sites/c.txt
this_is_not_included;
--- request
GET /b
--- response_body
from b

=== TEST 13: a glob that matches nothing is not an error
--- config
include nothing/*.conf;
location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body
ok

=== TEST 14: nested include
--- http_config
include outer.conf;
--- user_files
>>> ../conf/outer.conf
include inner.conf;
>>> ../conf/inner.conf
server {
    listen 127.0.0.1:$TEST_NGINX_SERVER_PORT;
    server_name inner.test;
    return 200 "inner\n";
}
--- request
GET /
--- more_headers
Host: inner.test
--- response_body
inner

=== TEST 15: events may follow http at the top level
--- main_config
env TYCHO_SPEC_ENV;
--- request
GET /nothing
--- error_code: 404
