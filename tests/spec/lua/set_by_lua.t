# set_by_lua, set_by_lua_block, set_by_lua_file: Lua code as a rewrite-module instruction. It
# runs in the rewrite phase at its position among `set` / `rewrite` / `return`, receives the
# directive's arguments (as `...` and ngx.arg[n]) and its first result becomes the variable.

__DATA__

=== TEST 1: set_by_lua with arguments, as ngx.arg and as varargs
--- config
location = /t {
    set $a 32;
    set $b 56;
    set_by_lua $sum 'return tonumber(ngx.arg[1]) + tonumber(ngx.arg[2])' $a $b;
    set_by_lua $cat 'local x, y = ... return x .. "-" .. y .. "-" .. tostring(ngx.arg[3])' $a $b;
    return 200 "$sum $cat\n";
}
--- request
GET /t
--- response_body
88 32-56-nil

=== TEST 2: set_by_lua_block, and its position among set instructions
--- config
location = /t {
    set $x "first";
    set_by_lua_block $y { return ngx.var.x .. "+lua" }
    set $x "second";
    set_by_lua_block $z { return ngx.var.x .. "+" .. ngx.var.y }
    return 200 "$x $y $z\n";
}
--- request
GET /t
--- response_body
second first+lua second+first+lua

=== TEST 3: set_by_lua_file with arguments from variables
--- config
location = /t {
    set_by_lua_file $res html/calc.lua $arg_a $arg_b;
    return 200 "res=$res\n";
}
--- user_files
>>> calc.lua
local a, b = ngx.arg[1], ngx.arg[2]
return a * b
--- request
GET /t?a=6&b=7
--- response_body
res=42

=== TEST 4: nil and non-string results become empty; numbers become strings
--- config
location = /t {
    set_by_lua $n 'return nil';
    set_by_lua $t 'return {}';
    set_by_lua $f 'return 1.5';
    set_by_lua $none 'local x = 1';
    return 200 "[$n][$t][$f][$none]\n";
}
--- request
GET /t
--- response_body
[][][1.5][]

=== TEST 5: runs before the content handler, and ngx.var sees the variable
--- config
location = /t {
    set_by_lua_block $greeting { return "hello " .. (ngx.var.arg_name or "nobody") }
    content_by_lua_block {
        ngx.say(ngx.var.greeting, " in ", ngx.get_phase())
    }
}
--- request
GET /t?name=tycho
--- response_body
hello tycho in content

=== TEST 6: ngx.get_phase() is "set"
--- config
location = /t {
    set_by_lua $p 'return ngx.get_phase()';
    return 200 "$p\n";
}
--- request
GET /t
--- response_body
set

=== TEST 7: a Lua error gives 500 and OpenResty's log line
--- config
location = /t {
    set_by_lua_block $r { error("set failed") }
    return 200 "not reached\n";
}
--- request
GET /t
--- error_code: 500
--- error_log
failed to run set_by_lua*: set_by_lua(nginx.conf:
: set failed

=== TEST 8: yielding APIs are disabled in set_by_lua
--- config
location = /t {
    set_by_lua_block $r { ngx.sleep(0.001) }
    return 200 "not reached\n";
}
--- request
GET /t
--- error_code: 500
--- error_log
API disabled in the context of set_by_lua*

=== TEST 9: a rewrite ... last re-runs the new location's set_by_lua
--- config
location = /t {
    set_by_lua $v 'return "t"';
    rewrite ^ /u last;
}
location = /u {
    set_by_lua $w 'return ngx.var.uri';
    return 200 "$w\n";
}
--- request
GET /t
--- response_body
/u

=== TEST 10: set_by_lua at server level runs in the server rewrite phase
--- config
set_by_lua $srv 'return "server-" .. ngx.var.uri';
location = /t {
    return 200 "$srv\n";
}
--- request
GET /t
--- response_body
server-/t

=== TEST 11: ngx.arg can not be written in set_by_lua
--- config
location = /t {
    set_by_lua $r 'ngx.arg[1] = "x" return "ok"' a;
    return 200 "$r\n";
}
--- request
GET /t
--- error_code: 500
--- error_log
API disabled in the context of set_by_lua*

=== TEST 12: ngx.arg is not available in content_by_lua
--- config
location = /t {
    content_by_lua_block {
        ngx.say(pcall(function() return ngx.arg[1] end))
    }
}
--- request
GET /t
--- response_body_like
\Afalse\S*: API disabled in the current context$

=== TEST 13: an empty argument reads as nil
--- config
location = /t {
    set_by_lua $r 'return tostring(ngx.arg[1]) .. "," .. tostring(ngx.arg[2])' $arg_missing x;
    return 200 "$r\n";
}
--- request
GET /t
--- response_body
nil,x
