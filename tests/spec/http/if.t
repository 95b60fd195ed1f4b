# The rewrite module's `if` and `break`: conditions on variables (plain, =, !=, ~, ~*, !~, !~*
# with captures), file tests (-f, -d, -e, -x and their ! forms), the block's settings taking over
# when the condition holds (an own add_header list, content_by_lua), the location's content
# handler kept otherwise, `if` at server level, and nginx's configuration errors. Every block
# passes against Debian's nginx too.

__DATA__

=== TEST 1: a method test that does not hold: the location goes on
--- config
location = /t {
    if ($request_method = POST) {
        return 405;
    }
    return 200 "method $request_method\n";
}
--- request
GET /t
--- response_body
method GET

=== TEST 2: ... and one that holds
--- config
location = /t {
    if ($request_method = POST) {
        return 405;
    }
    return 200 "method $request_method\n";
}
--- request
POST /t
--- error_code: 405

=== TEST 3: a plain variable is false when empty or "0"
--- config
location = /t {
    if ($arg_x) {
        return 200 "x is set to $arg_x\n";
    }
    return 200 "x is not set\n";
}
--- request
GET /t?x=0
--- response_body
x is not set

=== TEST 4: a plain variable that is set
--- config
location = /t {
    if ($arg_x) {
        return 200 "x is set to $arg_x\n";
    }
    return 200 "x is not set\n";
}
--- request
GET /t?x=abc
--- response_body
x is set to abc

=== TEST 5: != against a value made of variables
--- config
location = /t {
    set $want "a-$arg_b";
    if ($arg_a != $want) {
        return 403;
    }
    return 200 "equal\n";
}
--- request
GET /t?a=a-1&b=1
--- response_body
equal

=== TEST 6: a regex condition sets $1 for what follows; ~* ignores case; !~ negates
--- config
location /user/ {
    if ($uri ~ ^/user/(\d+)$) {
        set $id $1;
    }
    if ($http_x_mode ~* ^FAST$) {
        set $mode fast;
    }
    if ($http_x_mode !~ slow) {
        set $not_slow yes;
    }
    return 200 "id=$id mode=$mode not_slow=$not_slow\n";
}
--- request
GET /user/42
--- more_headers
X-Mode: fast
--- response_body
id=42 mode=fast not_slow=yes

=== TEST 7: named captures become variables
--- config
location = /t {
    if ($http_x_version ~ "^v(?<major>\d+)\.(?<minor>\d+)") {
        return 200 "major=$major minor=$minor\n";
    }
    return 200 "no version\n";
}
--- request
GET /t
--- more_headers
X-Version: v3.14
--- response_body
major=3 minor=14

=== TEST 8: file tests
--- config
location /files/ {
    if (-f $request_filename) {
        return 200 "file\n";
    }
    if (-d $request_filename) {
        return 200 "directory\n";
    }
    if (!-e $request_filename) {
        return 200 "missing\n";
    }
    return 200 "other\n";
}
location = /t {
    if (!-x $document_root/files/a.txt) {
        return 200 "not executable\n";
    }
    return 200 "executable\n";
}
--- user_files
>>> files/a.txt
hello
>>> files/sub/b.txt
hello
--- pipelined_requests
GET /files/a.txt
GET /files/sub
GET /files/none
GET /t
--- response_body
file
directory
missing
not executable

=== TEST 9: the block's own add_header list takes over when the condition holds
--- config
location = /t {
    add_header X-Loc yes;
    if ($arg_h) {
        add_header X-If yes;
    }
    return 200 "ok\n";
}
--- request
GET /t?h=1
--- response_headers
X-If: yes
!X-Loc
--- response_body
ok

=== TEST 10: an if block without a content handler keeps the location's; with one, its own
--- config
location = /t {
    set $x none;
    if ($arg_a) {
        set $x a;
        add_header X-A 1;
    }
    if ($arg_lua) {
        content_by_lua_block {
            ngx.say("the if block's handler, x = ", ngx.var.x)
        }
    }
    content_by_lua_block {
        ngx.say("the location's handler, x = ", ngx.var.x)
    }
}
--- pipelined_requests
GET /t?a=1
GET /t?lua=1
GET /t
--- response_body
the location's handler, x = a
the if block's handler, x = none
the location's handler, x = none

=== TEST 11: break ends the rewrite instructions
--- config
location = /t {
    set $v start;
    if ($arg_b) {
        set $v b;
        break;
    }
    set $v after;
    content_by_lua_block {
        ngx.say(ngx.var.v)
    }
}
--- pipelined_requests
GET /t?b=1
GET /t
--- response_body
b
after

=== TEST 12: if at server level runs before the location is chosen
--- config
if ($http_x_block) {
    return 403;
}
location = /t {
    return 200 "through\n";
}
--- request
GET /t
--- more_headers
X-Block: 1
--- error_code: 403

=== TEST 13: an operator nginx does not know
--- config
location = /t {
    if ($arg_a == b) {
        return 403;
    }
}
--- must_die
--- error_log
qr/unexpected "==" in condition in \S+nginx\.conf:\d+/

=== TEST 14: a condition without parentheses
--- config
location = /t {
    if $arg_a {
        return 403;
    }
}
--- must_die
--- error_log
qr/invalid condition "\$arg_a" in \S+nginx\.conf:\d+/

=== TEST 15: an unknown file test
--- config
location = /t {
    if (-z $arg_a) {
        return 403;
    }
}
--- must_die
--- error_log
qr/invalid condition "-z" in \S+nginx\.conf:\d+/

=== TEST 16: an unknown variable
--- config
location = /t {
    if ($no_such_variable) {
        return 403;
    }
}
--- must_die
--- error_log
qr/unknown "no_such_variable" variable/

=== TEST 17: if inside if is not allowed
--- config
location = /t {
    if ($arg_a) {
        if ($arg_b) {
            return 403;
        }
    }
}
--- must_die
--- error_log
qr/"if" directive is not allowed here in \S+nginx\.conf:\d+/

=== TEST 18: spaces inside the parentheses, a quoted value, and a rewrite in the block
--- config
location = /t {
    if ( $arg_a = "x y" ) {
        rewrite ^ /other last;
    }
    return 200 "t\n";
}
location = /other {
    return 200 "other $arg_a\n";
}
--- request
GET /t?a=x%20y
--- response_body
t

=== TEST 19: ... the same with the value the variable really holds
--- config
location = /t {
    set $v "x y";
    if ( $v = "x y" ) {
        rewrite ^ /other last;
    }
    return 200 "t\n";
}
location = /other {
    return 200 "other\n";
}
--- request
GET /t
--- response_body
other

=== TEST 20: a server-level if takes the rewrite module's directives
--- config
if ($arg_srv) {
    set $who "server if";
    set_by_lua_block $twice { return ngx.var.arg_srv .. ngx.var.arg_srv }
    return 200 "$who $twice\n";
}
location = /t {
    return 200 "location\n";
}
--- request
GET /t?srv=ab
--- response_body
server if abab

=== TEST 21: ... but not add_header, which nginx allows only in a location's if
--- config
if ($arg_srv) {
    add_header X-Srv yes;
}
location = /t {
    return 200 "location\n";
}
--- must_die
--- error_log
qr/"add_header" directive is not allowed here in \S+nginx\.conf:\d+/

=== TEST 22: ... nor content_by_lua_block
--- config
if ($arg_srv) {
    content_by_lua_block { ngx.say("no") }
}
location = /t {
    return 200 "location\n";
}
--- must_die
--- error_log
qr/"content_by_lua_block" directive is not allowed here in \S+nginx\.conf:\d+/

=== TEST 23: an if inside an if is refused
--- config
location = /t {
    if ($arg_a) {
        if ($arg_b) {
            return 403;
        }
    }
    return 200 "t\n";
}
--- must_die
--- error_log
qr/"if" directive is not allowed here in \S+nginx\.conf:\d+/
