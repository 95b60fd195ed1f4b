# set $var value: evaluated in the rewrite phase, in order, with variables inside values.

__DATA__

=== TEST 1: set a variable and use it
--- config
location = /t {
    set $greeting "hello";
    return 200 "$greeting world\n";
}
--- request
GET /t
--- response_body
hello world

=== TEST 2: values may contain variables
--- config
location = /t {
    set $a "[$uri]";
    set $b "$a-$a";
    return 200 "$b\n";
}
--- request
GET /t
--- response_body
[/t]-[/t]

=== TEST 3: set runs in order and may overwrite
--- config
location = /t {
    set $v one;
    set $v "$v two";
    return 200 "$v\n";
}
--- request
GET /t
--- response_body
one two

=== TEST 4: server-level set is seen in locations
--- config
set $from_server "srv";
location = /t { return 200 "$from_server\n"; }
--- request
GET /t
--- response_body
srv

=== TEST 5: a variable declared by set elsewhere is empty where it is not set
--- config
location = /a { set $only_a "a"; return 200 "a=$only_a\n"; }
location = /t { return 200 "[$only_a]\n"; }
--- request
GET /t
--- response_body
[]
--- error_log
using uninitialized "only_a" variable
--- no_error_log
[error]

=== TEST 6: a value from a request argument
--- config
location = /t {
    set $name $arg_name;
    return 200 "hi $name\n";
}
--- request
GET /t?name=ann
--- response_body
hi ann

=== TEST 7: set values survive an internal redirect (rewrite last)
--- config
location = /a {
    set $carried "yes";
    rewrite ^ /b last;
}
location = /b { return 200 "carried=$carried\n"; }
--- request
GET /a
--- response_body
carried=yes

=== TEST 8: set uses regex captures from a rewrite
--- config
location / {
    rewrite ^/item/(\d+)$ /show;
    set $id $1;
    return 200 "id=$id\n";
}
--- request
GET /item/77
--- response_body
id=77

=== TEST 9: uninitialized_variable_warn off: no warning
--- config
location = /a { set $only_a "a"; return 200 "a=$only_a\n"; }
location = /t {
    uninitialized_variable_warn off;
    return 200 "[$only_a]\n";
}
--- request
GET /t
--- response_body
[]
--- no_error_log
using uninitialized
