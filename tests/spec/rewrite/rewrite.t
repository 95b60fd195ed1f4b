# rewrite regex replacement [last|break|redirect|permanent], captures, arguments.

__DATA__

=== TEST 1: rewrite ... last searches the locations again
--- config
location /old/ { rewrite ^/old/(.*)$ /new/$1 last; }
location /new/ { return 200 "new: $uri\n"; }
--- request
GET /old/page
--- response_body
new: /new/page

=== TEST 2: rewrite ... break stays in the location and stops the rewrite directives
--- user_files
>>> new/x
file new/x
--- config
location /old/ {
    rewrite ^/old/(.*)$ /new/$1 break;
    return 200 "not reached\n";
}
location /new/ { return 200 "new location\n"; }
--- request
GET /old/x
--- response_body
file new/x

=== TEST 3: rewrite ... redirect is a 302
--- config
location /r { rewrite ^/r/(.*)$ /target/$1 redirect; }
--- request
GET /r/abc
--- error_code: 302
--- response_headers
Location: http://localhost:$TEST_NGINX_SERVER_PORT/target/abc

=== TEST 4: rewrite ... permanent is a 301
--- config
location /p { rewrite ^ /perm permanent; }
--- request
GET /p
--- error_code: 301
--- response_headers
Location: http://localhost:$TEST_NGINX_SERVER_PORT/perm

=== TEST 5: a replacement starting with http:// redirects
--- config
location /x { rewrite ^/x(.*)$ http://example.com$1; }
--- request
GET /x/y
--- error_code: 302
--- response_headers
Location: http://example.com/y

=== TEST 6: the original arguments are appended
--- config
location /a { rewrite ^/a$ /b last; }
location /b { return 200 "uri=$uri args=$args\n"; }
--- request
GET /a?k=v
--- response_body
uri=/b args=k=v

=== TEST 7: new arguments come first, the original follow
--- config
location /a { rewrite ^/a$ /b?n=1 last; }
location /b { return 200 "args=$args\n"; }
--- request
GET /a?k=v
--- response_body
args=n=1&k=v

=== TEST 8: a trailing ? drops the original arguments
--- config
location /a { rewrite ^/a$ /b? last; }
location /b { return 200 "args=[$args]\n"; }
--- request
GET /a?k=v
--- response_body
args=[]

=== TEST 9: server-level rewrites run before location matching; captures stay set
--- config
rewrite ^/legacy/(.*)$ /modern/$1;
location /modern/ { return 200 "modern $1 $uri\n"; }
location /legacy/ { return 200 "legacy\n"; }
--- request
GET /legacy/z
--- response_body
modern z /modern/z

=== TEST 10: a rewrite that does not match does nothing
--- config
location / {
    rewrite ^/nomatch$ /other last;
    return 200 "$uri\n";
}
--- request
GET /keep
--- response_body
/keep

=== TEST 11: rewrites without a flag continue to the next rewrite
--- config
location / {
    rewrite ^/a$ /b;
    rewrite ^/b$ /c;
    return 200 "$uri\n";
}
--- request
GET /a
--- response_body
/c

=== TEST 12: rewrite loops end in a 500 after 10 cycles
--- config
location / { rewrite ^(.*)$ $1 last; }
--- request
GET /loop
--- error_code: 500
--- error_log
rewrite or internal redirection cycle while processing "/loop"

=== TEST 13: named captures
--- config
location / {
    rewrite "^/user/(?<name>[a-z]+)/(?<id>\d{2,})$" /profile?name=$name&id=$id last;
}
location = /profile { return 200 "$args\n"; }
--- request
GET /user/bob/42
--- response_body
name=bob&id=42

=== TEST 14: a case-insensitive regex
--- config
location / {
    rewrite (?i)^/UPPER$ /lower last;
}
location = /lower { return 200 "lower\n"; }
--- request
GET /upper
--- response_body
lower
