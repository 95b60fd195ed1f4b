# ngx.var: reading builtin, prefix, `set` and capture variables, writing `set` variables and
# $args, OpenResty's error texts, the phases where ngx.var works; the JIT check is in jit.t.

__DATA__

=== TEST 1: builtin and prefix variables, any case; missing ones are nil
--- config
location = /t {
    content_by_lua_block {
        ngx.say(ngx.var.uri, " ", ngx.var.args, " ", ngx.var.request_method, " ", ngx.var.URI)
        ngx.say(ngx.var.arg_a, " ", tostring(ngx.var.arg_none), " ", ngx.var.ARG_B)
        ngx.say(ngx.var.http_x_foo, " ", ngx.var.cookie_c, " ", tostring(ngx.var.http_none))
        ngx.say(tostring(ngx.var.no_such_variable), " ", tostring(ngx.var.cookie_none))
    }
}
--- request
GET /t?a=1&b=two
--- more_headers
X-Foo: bar
Cookie: c=ck; d=dd
--- response_body
/t a=1&b=two GET /t
1 nil two
bar ck nil
nil nil

=== TEST 2: regex captures by number; out of range, 0 and "1" are nil
--- config
location ~ ^/t/(\w+)$ {
    content_by_lua_block {
        ngx.say(ngx.var[1], " ", tostring(ngx.var[2]), " ", tostring(ngx.var[0]), " ",
                tostring(ngx.var[-1]), " ", tostring(ngx.var["1"]))
    }
}
--- request
GET /t/hello
--- response_body
hello nil nil nil nil

=== TEST 3: no regex match, no captures
--- config
location = /t {
    content_by_lua_block { ngx.say(tostring(ngx.var[1])) }
}
--- request
GET /t
--- response_body
nil

=== TEST 4: set variables: numbers become strings, nil undefines, names are case-insensitive
--- config
location = /t {
    set $foo 'init';
    content_by_lua_block {
        ngx.say(ngx.var.foo)
        ngx.var.foo = "v1"
        ngx.say(ngx.var.foo)
        ngx.var.foo = 32
        ngx.say(ngx.var.foo, " ", type(ngx.var.foo))
        ngx.var.foo = true
        ngx.say(ngx.var.foo)
        ngx.var.foo = nil
        ngx.say(tostring(ngx.var.foo))
        ngx.var.FOO = "upper"
        ngx.say(ngx.var.Foo)
    }
}
--- request
GET /t
--- response_body
init
v1
32 string
true
nil
upper

=== TEST 5: a `set` variable this request never assigned reads "" and warns
--- config
location = /t {
    content_by_lua_block { ngx.say("[", ngx.var.other, "]") }
}
location = /u {
    set $other 1;
    return 200;
}
--- request
GET /t
--- response_body
[]
--- error_log
using uninitialized "other" variable

=== TEST 6: writing $args changes $arg_*
--- config
location = /t {
    content_by_lua_block {
        ngx.var.args = "x=1&y=2"
        ngx.say(ngx.var.args, " ", ngx.var.arg_y)
    }
}
--- request
GET /t?a=b
--- response_body
x=1&y=2 2

=== TEST 7: errors: read-only builtins, undefined variables, bad names
--- config
location = /t {
    set $foo '';
    content_by_lua_block {
        local function try(f)
            local ok, err = pcall(f)
            -- the chunk's config line differs between servers; the Lua line does not
            ngx.say((err:gsub("^content_by_lua%(nginx%.conf:%d+%)", "")))
        end
        try(function() ngx.var.uri = "/x" end)
        try(function() ngx.var.request_method = "POST" end)
        try(function() ngx.var.nope = "x" end)
        try(function() ngx.var.arg_a = "x" end)
        try(function() ngx.var[1] = "x" end)
        try(function() return ngx.var[true] end)
        try(function() return ngx.var[{}] end)
    }
}
--- request
GET /t
--- response_body
:7: variable "uri" not changeable
:8: variable "request_method" not changeable
:9: variable "nope" not found for writing; maybe it is a built-in variable that is not changeable or you forgot to use "set $nope '';" in the config file to define it first
:10: variable "arg_a" not found for writing; maybe it is a built-in variable that is not changeable or you forgot to use "set $arg_a '';" in the config file to define it first
:11: bad variable name
:12: bad variable name
:13: bad variable name

=== TEST 8: an uncaught write error is a 500 with the text in the log
--- config
location = /t {
    content_by_lua_block { ngx.var.undefined_var = 1 }
}
--- request
GET /t
--- error_code: 500
--- error_log
variable "undefined_var" not found for writing

=== TEST 9: values cross phases: rewrite writes, access and content read, log reads
--- config
location = /t {
    set $trail '';
    rewrite_by_lua_block { ngx.var.trail = "rewrite" }
    access_by_lua_block { ngx.var.trail = ngx.var.trail .. ",access" }
    content_by_lua_block { ngx.say(ngx.var.trail) }
    log_by_lua_block { ngx.log(ngx.WARN, "at log: ", ngx.var.trail, " ", ngx.var.status) }
}
--- request
GET /t
--- response_body
rewrite,access
--- error_log
at log: rewrite,access 200

=== TEST 10: a value larger than the shared buffer
--- config
location = /t {
    set $big '';
    content_by_lua_block {
        ngx.var.big = string.rep("x", 10000)
        ngx.say(#ngx.var.big)
    }
}
--- request
GET /t
--- response_body
10000

=== TEST 11: init_worker_by_lua: no request
--- http_config
init_worker_by_lua_block {
    local ok, err = pcall(function() return ngx.var.uri end)
    ngx.log(ngx.WARN, "get: ", err)
    ok, err = pcall(function() ngx.var.uri = "x" end)
    ngx.log(ngx.WARN, "set: ", err)
}
--- config
location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body
ok
--- error_log
qr/get: init_worker_by_lua\(nginx\.conf:\d+\):2: API disabled in the current context/
qr/set: init_worker_by_lua\(nginx\.conf:\d+\):4: API disabled in the current context/

=== TEST 12: init_by_lua: no request found
--- http_config
init_by_lua_block {
    local ok, err = pcall(function() return ngx.var.uri end)
    ngx.log(ngx.WARN, "get: ", err)
    ok, err = pcall(function() ngx.var.uri = "x" end)
    ngx.log(ngx.WARN, "set: ", err)
}
--- config
location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body
ok
--- error_log
qr/get: \S*var\.lua:\d+: no request found/
qr/set: \S*var\.lua:\d+: no request found/

=== TEST 13: writing nil to $args leaves no arguments ($args not found); "" leaves empty ones
--- config
location = /t {
    content_by_lua_block {
        ngx.var.args = nil
        ngx.say(tostring(ngx.var.args), " [", ngx.var.is_args, "] ", tostring(ngx.var.arg_a),
                " ", tostring(ngx.var.query_string), " ", #ngx.req.get_uri_args())
        ngx.var.args = ""
        ngx.say("[", tostring(ngx.var.args), "] [", ngx.var.is_args, "]")
        local ok, err = pcall(function() ngx.var.query_string = nil end)
        ngx.say(ok, " ", (err:gsub("^.-:%d+: ", "")))
    }
}
--- request
GET /t?a=b
--- response_body
nil [] nil nil 0
[] []
false variable "query_string" not changeable
