# add_header name value [always]: only on 200 201 204 206 301 302 303 304 307 308 unless
# `always`; inherited from the outer level only when the inner level has none.

__DATA__

=== TEST 1: add_header on a 200
--- config
location = /t {
    add_header X-Spec "one";
    add_header X-Uri $uri;
    return 200 "ok\n";
}
--- request
GET /t
--- response_headers
X-Spec: one
X-Uri: /t

=== TEST 2: add_header is not added to a 404 without always
--- config
add_header X-Plain plain;
add_header X-Always yes always;
--- request
GET /missing
--- error_code: 404
--- response_headers
!X-Plain
X-Always: yes

=== TEST 3: add_header is added to redirects
--- config
location = /t {
    add_header X-Redirect yes;
    return 302 /elsewhere;
}
--- request
GET /t
--- error_code: 302
--- response_headers
X-Redirect: yes

=== TEST 4: an inner level with add_header replaces the outer ones
--- config
add_header X-Server server;
location = /inner {
    add_header X-Location location;
    return 200 "ok\n";
}
location = /plain { return 200 "ok\n"; }
--- request
GET /inner
--- response_headers
X-Location: location
!X-Server

=== TEST 5: a level without add_header inherits the outer ones
--- http_config
add_header X-Http http;
--- config
location = /plain { return 200 "ok\n"; }
--- request
GET /plain
--- response_headers
X-Http: http

=== TEST 6: an empty value adds nothing
--- config
location = /t {
    add_header X-Empty "";
    add_header X-Var $arg_missing;
    return 200 "ok\n";
}
--- request
GET /t
--- response_headers
!X-Empty
!X-Var

=== TEST 7: add_header on static files and on 304
--- user_files
>>> f.txt 1700000000
hello
--- config
add_header Cache-Control "max-age=60";
--- request
GET /f.txt
--- more_headers
If-None-Match: "6553f100-6"
--- error_code: 304
--- response_headers
Cache-Control: max-age=60

=== TEST 8: the same name twice gives two header lines
--- config
location = /t {
    add_header X-Multi a;
    add_header X-Multi b;
    return 200 "ok\n";
}
--- request
GET /t
--- response_headers
X-Multi: a, b

=== TEST 9: always on a 500
--- config
location = /t {
    add_header X-Err yes always;
    return 500;
}
--- request
GET /t
--- error_code: 500
--- response_headers
X-Err: yes
