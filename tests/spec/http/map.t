# map $source $name { ... }: plain keys (any case), default, regexes with captures, hostnames
# masks, variables in values, volatile, set and ngx.var on a map variable, configuration errors.

__DATA__

=== TEST 1: plain keys match regardless of case; default; no default gives ""
--- http_config
map $arg_k $kind {
    default  other;
    apple    fruit;
    Carrot   vegetable;
    \default escaped;
}
map $arg_k $nodefault {
    apple yes;
}
--- config
location = /t {
    return 200 "$kind [$nodefault]\n";
}
--- pipelined_requests
GET /t?k=apple
GET /t?k=APPLE
GET /t?k=carrot
GET /t?k=pear
GET /t?k=default
GET /t
--- response_body
fruit [yes]
fruit [yes]
vegetable []
other []
escaped []
other []

=== TEST 2: regexes in order after the plain keys; their captures in the value, ~* ignores case
--- http_config
map $uri $section {
    /exact/api         plain;
    ~^/api/v(\d+)/     api-v$1;
    ~*^/IMG/(?<f>.+)$  image-$f;
    ~^/api/            api-any;
    default            none;
}
--- config
location / {
    return 200 "$section\n";
}
--- pipelined_requests
GET /exact/api
GET /api/v2/users
GET /api/x
GET /img/a.png
GET /other
--- response_body
plain
api-v2
api-any
image-a.png
none

=== TEST 3: hostnames: exact names, *.masks (longest wins), .masks, tail masks, trailing dot
--- http_config
map $http_host $site {
    hostnames;
    default           unknown;
    example.com       main;
    *.example.com     sub;
    *.api.example.com api;
    .example.org      org;
    www.example.*     www-any;
}
--- config
location = /t {
    return 200 "$site\n";
}
--- raw_request
GET /t HTTP/1.1\r\nHost: example.com\r\n\r\n
GET /t HTTP/1.1\r\nHost: a.example.com\r\n\r\n
GET /t HTTP/1.1\r\nHost: x.api.example.com\r\n\r\n
GET /t HTTP/1.1\r\nHost: example.org\r\n\r\n
GET /t HTTP/1.1\r\nHost: b.example.org\r\n\r\n
GET /t HTTP/1.1\r\nHost: www.example.net\r\n\r\n
GET /t HTTP/1.1\r\nHost: EXAMPLE.COM.\r\n\r\n
GET /t HTTP/1.1\r\nHost: nothing.net\r\nConnection: close\r\n\r\n
--- error_code: 200 200 200 200 200 200 200 200
--- response_body
main
sub
api
org
org
www-any
main
unknown

=== TEST 4: a source made of several variables, a value with variables, used in add_header and a log format
--- http_config
map "$request_method:$arg_mode" $decision {
    GET:fast   "fast for $remote_addr";
    POST:fast  post;
    default    slow;
}
--- config
location = /t {
    add_header X-Decision $decision;
    return 200 "$decision\n";
}
--- request
GET /t?mode=fast
--- response_headers
X-Decision: fast for 127.0.0.1
--- response_body
fast for 127.0.0.1

=== TEST 5: the value is kept for the request; volatile looks it up at every use
--- http_config
map $arg_x $kept {
    default "x=$arg_x";
}
map $arg_x $fresh {
    volatile;
    default "x=$arg_x";
}
--- config
location = /t {
    set $a $kept;
    set $b $fresh;
    set $args "x=2";
    return 200 "$a $kept $b $fresh\n";
}
--- request
GET /t?x=1
--- response_body
x=1 x=1 x=1 x=2

=== TEST 6: a map variable is changeable: set and ngx.var assign it
--- http_config
map $arg_k $m {
    default d;
}
--- config
location = /set {
    set $m changed;
    return 200 "$m\n";
}
location = /lua {
    content_by_lua_block {
        ngx.say(ngx.var.m)
        ngx.var.m = "from lua"
        ngx.say(ngx.var.m)
    }
}
--- pipelined_requests
GET /set
GET /lua
--- response_body
changed
d
from lua

=== TEST 7: a map in an included file, used by a server defined before it; map_hash_* accepted
--- config
location = /t {
    return 200 "$color\n";
}
--- http_config
map_hash_max_size 2048;
map_hash_bucket_size 64;
include colors.conf;
--- user_files
>>> ../conf/colors.conf
map $arg_c $color {
    r red;
    g green;
    default none;
}
--- request
GET /t?c=g
--- response_body
green

=== TEST 8: a line of the block with three words
--- http_config
include bad.conf;
--- user_files
>>> ../conf/bad.conf
map $uri $a {
    one two three;
}
--- config
--- must_die
--- error_log
[emerg]
invalid number of the map parameters in $TEST_NGINX_CONF_DIR/bad.conf:2

=== TEST 9: duplicate default
--- http_config
include bad.conf;
--- user_files
>>> ../conf/bad.conf
map $uri $a {
    default x;
    default y;
}
--- config
--- must_die
--- error_log
[emerg]
duplicate default map parameter in $TEST_NGINX_CONF_DIR/bad.conf:3

=== TEST 10: the same key twice, in another case
--- http_config
include bad.conf;
--- user_files
>>> ../conf/bad.conf
map $uri $a {
    Key x;
    key y;
}
--- config
--- must_die
--- error_log
[emerg]
conflicting parameter "key" in $TEST_NGINX_CONF_DIR/bad.conf:3

=== TEST 11: the target must be a variable
--- http_config
include bad.conf;
--- user_files
>>> ../conf/bad.conf
map $uri a {
    default x;
}
--- config
--- must_die
--- error_log
[emerg]
invalid variable name "a" in $TEST_NGINX_CONF_DIR/bad.conf:1
