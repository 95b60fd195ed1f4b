# ngx.req.get_uri_args([max [, tab]]) and ngx.req.set_uri_args(args).

__DATA__

=== TEST 1: parsing: repeated keys, keys without '=', empty keys, unescaping
--- http_config
init_by_lua_block {
    function dump(t, err)
        local keys = {}
        for k in pairs(t) do keys[#keys + 1] = k end
        table.sort(keys)
        local out = {}
        for _, k in ipairs(keys) do
            local v = t[k]
            if type(v) == "table" then
                local parts = {}
                for i, x in ipairs(v) do parts[i] = tostring(x) end
                v = "{" .. table.concat(parts, ",") .. "}"
            end
            out[#out + 1] = "[" .. k .. "]=" .. tostring(v)
        end
        return table.concat(out, " ") .. " err=" .. tostring(err)
    end
}
--- config
location = /t {
    content_by_lua_block {
        ngx.say(dump(ngx.req.get_uri_args()))
    }
}
--- request
GET /t?a=1&b=2&a=3&c&=x&d=&e%20f=g+h&&k=%zz&m=%41%4a%4G&n=%&o=%2&c
--- response_body
[a]={1,3} [b]=2 [c]={true,true} [d]= [e f]=g h [k]=%zz [m]=AJ%4G [n]=% [o]=%2 err=nil

=== TEST 2: the limit counts pairs kept, truncated when '&'-pieces exceed it; 0: no limit, default 100
--- http_config
init_by_lua_block {
    function keys(t, err)
        local ks = {}
        for k in pairs(t) do ks[#ks + 1] = k end
        table.sort(ks)
        return table.concat(ks, ",") .. " " .. tostring(err)
    end
}
--- config
location = /t {
    content_by_lua_block {
        for _, max in ipairs{1, 2, 3, 4, 5, 6, 0, -1} do
            ngx.say(max, ": ", keys(ngx.req.get_uri_args(max)))
        end
        ngx.say("nil: ", keys(ngx.req.get_uri_args(nil)))
        ngx.req.set_uri_args("x=1&y=2&")
        ngx.say("x=1&y=2& 2: ", keys(ngx.req.get_uri_args(2)))
        ngx.say("x=1&y=2& 3: ", keys(ngx.req.get_uri_args(3)))
        local many = {}
        for i = 1, 101 do many[i] = "k" .. i .. "=" .. i end
        ngx.req.set_uri_args(table.concat(many, "&"))
        local n, args, err = 0, ngx.req.get_uri_args()
        for _ in pairs(args) do n = n + 1 end
        ngx.say("101 args: ", n, " ", err, " ", args.k100, " ", tostring(args.k101))
        n, args, err = 0, ngx.req.get_uri_args(0)
        for _ in pairs(args) do n = n + 1 end
        ngx.say("101 args, no limit: ", n, " ", tostring(err))
    }
}
--- request
GET /t?a=1&=2&b&&c=3
--- response_body
1: a truncated
2: a,b truncated
3: a,b,c truncated
4: a,b,c truncated
5: a,b,c nil
6: a,b,c nil
0: a,b,c nil
-1: a,b,c nil
nil: a,b,c nil
x=1&y=2& 2: x,y truncated
x=1&y=2& 3: x,y nil
101 args: 100 truncated 100 nil
101 args, no limit: 101 nil

=== TEST 3: a table to fill is cleared and returned
--- config
location = /t {
    content_by_lua_block {
        local t = {stale = 1}
        local r = ngx.req.get_uri_args(10, t)
        ngx.say(r == t, " ", tostring(t.stale), " ", t.a)
        ngx.req.set_uri_args("")
        r = ngx.req.get_uri_args(10, t)
        ngx.say(r == t, " ", next(t) == nil)
        local fresh = ngx.req.get_uri_args()
        ngx.say(type(fresh), " ", next(fresh) == nil)
    }
}
--- request
GET /t?a=b
--- response_body
true nil b
true true
table true

=== TEST 4: bad arguments
--- config
location = /t {
    content_by_lua_block {
        local ok, err = pcall(ngx.req.get_uri_args, "x")
        ngx.say(ok, " ", err:find("cannot convert 'string' to 'int'", 1, true) ~= nil)
        ok, err = pcall(ngx.req.get_uri_args, {})
        ngx.say(ok, " ", err:find("cannot convert 'table' to 'int'", 1, true) ~= nil)
        ok, err = pcall(ngx.req.get_uri_args, 1, 2)
        ngx.say(ok, " ", err:find("bad argument #1 to 'clear_tab' (table expected, got number)", 1, true) ~= nil)
        ngx.say(pcall(ngx.req.set_uri_args))
        ngx.say(pcall(ngx.req.set_uri_args, "a", "b"))
        ngx.say(pcall(ngx.req.set_uri_args, nil))
        ngx.say(pcall(ngx.req.set_uri_args, true))
        ngx.say(pcall(ngx.req.set_uri_args, {a = function() end}))
        ngx.say(pcall(ngx.req.set_uri_args, {[1] = "x"}))
        ngx.say(ngx.var.args)
    }
}
--- request
GET /t?q=1
--- response_body
false true
false true
false true
falseexpecting 1 argument but seen 0
falseexpecting 1 argument but seen 2
falsebad argument #1 to '?' (string, number, or table expected, but got nil)
falsebad argument #1 to '?' (string, number, or table expected, but got boolean)
falseattempt to use function as query arg value
falseattempt to use a non-string key in the "args" option table
q=1

=== TEST 5: set_uri_args with a string, a number and tables
--- config
location = /t {
    content_by_lua_block {
        ngx.req.set_uri_args("x=1&y=%20")
        local args = ngx.req.get_uri_args()
        ngx.say(args.x, "|", args.y, "|", ngx.var.args, "|", ngx.var.arg_x, "|", ngx.var.is_args,
                "|", ngx.var.request_uri)
        ngx.req.set_uri_args(42)
        ngx.say(ngx.var.args)
        ngx.req.set_uri_args({a = "b c"})
        ngx.say(ngx.var.args)
        ngx.req.set_uri_args({l = {1, "z", true}})
        ngx.say(ngx.var.args)
        ngx.req.set_uri_args({f = true})
        ngx.say(ngx.var.args)
        ngx.req.set_uri_args({f = false, g = {}})
        ngx.say("[", ngx.var.args, "]")
        ngx.req.set_uri_args("")
        ngx.say("[", ngx.var.args, "][", ngx.var.is_args, "]")
    }
}
--- request
GET /t?q=1
--- response_body
1| |x=1&y=%20|1|?|/t?q=1
42
a=b%20c
l=1&l=z&l
f
[]
[][]

=== TEST 6: set in rewrite, read in access, content and log
--- config
location = /t {
    rewrite_by_lua_block { ngx.req.set_uri_args("r=1") }
    access_by_lua_block { ngx.ctx.a = ngx.req.get_uri_args().r }
    content_by_lua_block { ngx.say(ngx.ctx.a, " ", ngx.req.get_uri_args().r) }
    log_by_lua_block { ngx.log(ngx.WARN, "log args: ", ngx.req.get_uri_args().r) }
}
--- request
GET /t?r=0
--- response_body
1 1
--- error_log
log args: 1

=== TEST 7: init_worker has no request to work on, init none at all
--- http_config
init_by_lua_block {
    local ok, err = pcall(ngx.req.get_uri_args)
    print("init get_uri_args: ", err)
    ok, err = pcall(ngx.req.set_uri_args, "a=1")
    print("init set_uri_args: ", err)
}
init_worker_by_lua_block {
    local ok, err = pcall(ngx.req.get_uri_args)
    ngx.log(ngx.WARN, "iw get_uri_args: ", err)
    ok, err = pcall(ngx.req.set_uri_args, "a=1")
    ngx.log(ngx.WARN, "iw set_uri_args: ", err)
}
--- config
location = /t { return 200 "ok\n"; }
--- request
GET /t
--- response_body
ok
--- error_log
qr/init get_uri_args: \S+:\d+: no request found/
init set_uri_args: no request object found
iw get_uri_args: API disabled in the current context
iw set_uri_args: API disabled in the current context
