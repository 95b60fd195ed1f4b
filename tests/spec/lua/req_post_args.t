# ngx.req.get_post_args([max]) and lua_need_request_body.

__DATA__

=== TEST 1: after read_body: repeated keys, keys without '=', empty keys, unescaping
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
        ngx.req.read_body()
        ngx.say(dump(ngx.req.get_post_args()))
    }
}
--- request
POST /t
a=1&b=2&a=3&c&=x&d=&e%20f=g+h&&k=%zz&m=%41%26%4G&c
--- response_body
[a]={1,3} [b]=2 [c]={true,true} [d]= [e f]=g h [k]=%zz [m]=A&%4G err=nil

=== TEST 2: the limit counts '&'; reaching it reports "truncated"
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
        ngx.req.read_body()
        for _, max in ipairs{1, 2, 3, 4, 5, 0, -1} do
            ngx.say(max, ": ", keys(ngx.req.get_post_args(max)))
        end
        ngx.say("default: ", keys(ngx.req.get_post_args()))
    }
}
--- request
POST /t
a=1&=2&b&c=%26%26%26&
--- response_body
1: a truncated
2: a truncated
3: a,b truncated
4: a,b,c truncated
5: a,b,c nil
0: a,b,c nil
-1: a,b,c nil
default: a,b,c nil

=== TEST 3: 101 pairs: the default limit keeps 100
--- config
location = /t {
    content_by_lua_block {
        ngx.req.read_body()
        local n, args, err = 0, ngx.req.get_post_args()
        for _ in pairs(args) do n = n + 1 end
        ngx.say(n, " ", err, " ", args.k100, " ", tostring(args.k101))
        n, args, err = 0, ngx.req.get_post_args(0)
        for _ in pairs(args) do n = n + 1 end
        ngx.say(n, " ", tostring(err))
    }
}
--- request
POST /t
k1=1&k2=2&k3=3&k4=4&k5=5&k6=6&k7=7&k8=8&k9=9&k10=10&k11=11&k12=12&k13=13&k14=14&k15=15&k16=16&k17=17&k18=18&k19=19&k20=20&k21=21&k22=22&k23=23&k24=24&k25=25&k26=26&k27=27&k28=28&k29=29&k30=30&k31=31&k32=32&k33=33&k34=34&k35=35&k36=36&k37=37&k38=38&k39=39&k40=40&k41=41&k42=42&k43=43&k44=44&k45=45&k46=46&k47=47&k48=48&k49=49&k50=50&k51=51&k52=52&k53=53&k54=54&k55=55&k56=56&k57=57&k58=58&k59=59&k60=60&k61=61&k62=62&k63=63&k64=64&k65=65&k66=66&k67=67&k68=68&k69=69&k70=70&k71=71&k72=72&k73=73&k74=74&k75=75&k76=76&k77=77&k78=78&k79=79&k80=80&k81=81&k82=82&k83=83&k84=84&k85=85&k86=86&k87=87&k88=88&k89=89&k90=90&k91=91&k92=92&k93=93&k94=94&k95=95&k96=96&k97=97&k98=98&k99=99&k100=100&k101=101
--- response_body
100 truncated 100 nil
101 nil

=== TEST 4: without read_body: the error text; an empty body gives an empty table
--- config
location = /t {
    content_by_lua_block {
        local ok, err = pcall(ngx.req.get_post_args)
        ngx.say(ok, " ", err)
        ngx.req.read_body()
        local args, err2 = ngx.req.get_post_args()
        ngx.say(type(args), " ", next(args), " ", err2)
    }
}
--- request
GET /t
--- response_body
false no request body found; maybe you should turn on lua_need_request_body?
table nil nil

=== TEST 5: an uncaught missing body is a 500 with the text in the log
--- config
location = /t {
    content_by_lua_block {
        local args = ngx.req.get_post_args()
    }
}
--- request
POST /t
a=1
--- error_code: 500
--- response_body_like
500 Internal Server Error
--- error_log
no request body found; maybe you should turn on lua_need_request_body?

=== TEST 6: bad arguments
--- config
location = /t {
    content_by_lua_block {
        ngx.req.read_body()
        ngx.say(pcall(ngx.req.get_post_args, 1, 2))
        ngx.say(pcall(ngx.req.get_post_args, "x"))
        ngx.say(pcall(ngx.req.get_post_args, {}))
        local args = ngx.req.get_post_args("2")
        ngx.say(args.a, " ", args.b)
    }
}
--- request
POST /t
a=1&b=2
--- response_body
falseexpecting 0 or 1 arguments but seen 2
falsebad argument #1 to '?' (number expected, got string)
falsebad argument #1 to '?' (number expected, got table)
1 2

=== TEST 7: a body in a temp file (larger than client_body_buffer_size) is not parsed
--- config
location = /t {
    client_body_buffer_size 1k;
    content_by_lua_block {
        ngx.req.read_body()
        ngx.say(ngx.req.get_post_args())
        ngx.say(ngx.req.get_body_data())
        ngx.say(ngx.req.get_body_file() ~= nil)
    }
}
--- request
POST /t
a=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx
--- response_body
nilrequest body in temp file not supported
nil
true

=== TEST 8: lua_need_request_body on: rewrite, access and content see the body
--- config
location = /t {
    lua_need_request_body on;
    rewrite_by_lua_block { ngx.ctx.r = ngx.req.get_post_args().a }
    access_by_lua_block { ngx.ctx.a = ngx.req.get_body_data() }
    content_by_lua_block {
        ngx.say(ngx.ctx.r, " ", ngx.ctx.a, " ", ngx.req.get_post_args().b)
    }
}
--- request
POST /t
a=1&b=2
--- response_body
1 a=1&b=2 2

=== TEST 9: lua_need_request_body is inherited, and off turns it off again
--- http_config
lua_need_request_body on;
--- config
location = /on {
    content_by_lua_block { ngx.say(ngx.req.get_post_args().a) }
}
--- request
POST /on
a=x
--- response_body
x

=== TEST 10: lua_need_request_body off in a location overrides http{}
--- http_config
lua_need_request_body on;
--- config
location = /off {
    lua_need_request_body off;
    content_by_lua_block { ngx.say(pcall(ngx.req.get_post_args)) }
}
--- request
POST /off
a=x
--- response_body
falseno request body found; maybe you should turn on lua_need_request_body?

=== TEST 11: lua_need_request_body takes a flag
--- config
location = /t {
    lua_need_request_body yes;
}
--- must_die
--- error_log
invalid value "yes" in "lua_need_request_body" directive, it must be "on" or "off"

=== TEST 12: read_body after discard_body: an empty table, no data
--- config
location = /t {
    content_by_lua_block {
        ngx.req.discard_body()
        ngx.req.read_body()
        local args = ngx.req.get_post_args()
        ngx.say(type(args), " ", next(args), " ", ngx.req.get_body_data())
    }
}
--- request
POST /t
a=1
--- response_body
table nil nil

=== TEST 13: log phase reads what content read; init and init_worker cannot
--- http_config
init_by_lua_block {
    local ok, err = pcall(ngx.req.get_post_args)
    print("init get_post_args: ", err)
}
init_worker_by_lua_block {
    local ok, err = pcall(ngx.req.get_post_args)
    ngx.log(ngx.WARN, "iw get_post_args: ", err)
}
--- config
location = /t {
    content_by_lua_block { ngx.req.read_body() ngx.say("ok") }
    log_by_lua_block { ngx.log(ngx.WARN, "log post a: ", ngx.req.get_post_args().a) }
}
--- request
POST /t
a=42
--- response_body
ok
--- error_log
init get_post_args: no request object found
iw get_post_args: API disabled in the current context
log post a: 42
