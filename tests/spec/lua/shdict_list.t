# ngx.shared.DICT lists: lpush, rpush, lpop, rpop, llen, their errors, and how lists mix with
# scalar values and expiry. Each request runs twice: handlers start from an emptied dict.

__DATA__

=== TEST 1: push and pop at both ends
--- http_config
lua_shared_dict dogs 1m;
--- config
location = /t {
    content_by_lua_block {
        local function p(...)
            local t = {}
            for i = 1, select("#", ...) do t[#t + 1] = tostring((select(i, ...))) end
            ngx.say(table.concat(t, " "))
        end
        local d = ngx.shared.dogs
        d:flush_all()
        d:flush_expired()
        p(d:lpush("l", "b"))
        p(d:lpush("l", "a"))
        p(d:rpush("l", "c"))
        p(d:rpush("l", 4.5))
        p(d:llen("l"))
        p(d:lpop("l"))
        p(d:rpop("l"), type(d:llen("l")))
        p(d:rpop("l"))
        p(d:lpop("l"))
        p(d:llen("l"))
        p(d:lpop("l"))
        p(d:rpop("missing"))
        p(d:llen("missing"))
        -- an emptied list is gone: add works again
        p(d:add("l", 1))
        local long = string.rep("x", 5000)
        p(d:rpush("big", long))
        p(d:rpush("big", ""))
        p(d:lpop("big") == long)
        p(d:lpop("big") == "")
    }
}
--- request
GET /t
--- response_body
1
2
3
4
4
a
4.5 number
c
b
0
nil
nil
0
true nil false
1
2
true
true
--- no_error_log
[error]

=== TEST 2: lists and scalars do not mix
--- http_config
lua_shared_dict dogs 1m;
--- config
location = /t {
    content_by_lua_block {
        local function p(...)
            local t = {}
            for i = 1, select("#", ...) do t[#t + 1] = tostring((select(i, ...))) end
            ngx.say(table.concat(t, " "))
        end
        local d = ngx.shared.dogs
        d:flush_all()
        d:flush_expired()
        p(d:set("s", "scalar"))
        p(d:lpush("s", 1))
        p(d:rpush("s", 1))
        p(d:lpop("s"))
        p(d:rpop("s"))
        p(d:llen("s"))
        p(d:rpush("l", "x"))
        p(d:get("l"))
        p(d:get_stale("l"))
        p(d:incr("l", 1))
        p(d:add("l", 1))
        p(d:replace("l", "now a string"))
        p(d:get("l"))
        p(d:rpush("l2", "x"))
        p(d:set("l2", 1))
        p(d:get("l2"))
        p(d:rpush("l3", "x"))
        p(d:delete("l3"))
        p(d:llen("l3"))
    }
}
--- request
GET /t
--- response_body
true nil false
nil value not a list
nil value not a list
nil value not a list
nil value not a list
nil value not a list
1
nil value is a list
nil value is a list
nil not a number
false exists false
true nil false
now a string
1
true nil false
1
1
true nil false
0

=== TEST 3: argument errors
--- http_config
lua_shared_dict dogs 1m;
--- config
location = /t {
    content_by_lua_block {
        local function p(...)
            local t = {}
            for i = 1, select("#", ...) do t[#t + 1] = tostring((select(i, ...))) end
            ngx.say(table.concat(t, " "))
        end
        local d = ngx.shared.dogs
        local long = string.rep("k", 65536)
        p(d:lpush(nil, 1))
        p(d:rpush("", 1))
        p(d:lpush(long, 1))
        p(d:lpush("k", true))
        p(d:rpush("k", {}))
        p(d:lpush("k", nil))
        p(d:lpop(nil))
        p(d:rpop(""))
        p(d:llen(long))
        p(d:lpush(12, "numeric key"), d:lpop("12"))
        p(pcall(d.lpush, d, "k"))
        p(pcall(d.rpush, d, "k", 1, 2))
        p(pcall(d.lpop, d))
        p(pcall(d.rpop, d, "k", 1))
        p(pcall(d.llen, d))
        p(pcall(d.lpush, {}, "k", 1))
        p(pcall(d.llen, "x", "k"))
        p(pcall(d.lpush, d, {}, 1))
    }
}
--- request
GET /t
--- response_body
nil nil key
nil empty key
nil key too long
nil bad value type
nil bad value type
nil bad value type
nil nil key
nil empty key
nil key too long
1 numeric key
false expecting 3 arguments, but only seen 2
false expecting 3 arguments, but only seen 4
false expecting 2 arguments, but only seen 1
false expecting 2 arguments, but only seen 3
false expecting 2 arguments, but only seen 1
false bad "zone" argument
false bad "zone" argument
false bad argument #2 to '?' (string expected, got table)

=== TEST 4: pushing onto an expired entry starts a new list
--- http_config
lua_shared_dict dogs 1m;
--- config
location = /t {
    content_by_lua_block {
        local d = ngx.shared.dogs
        d:flush_all()
        d:flush_expired()
        d:rpush("l", "old1")
        d:rpush("l", "old2")
        d:expire("l", 0.05)
        d:set("s", "scalar", 0.05)
        ngx.sleep(0.1)
        ngx.say(d:llen("l"), " ", tostring(d:lpop("s")))
        ngx.say(d:rpush("l", "new"), " ", d:rpush("s", "new"))
        ngx.say(d:ttl("l"), " ", d:lpop("l"), " ", d:lpop("s"))
    }
}
--- request
GET /t
--- response_body
0 nil
1 1
0 new new

=== TEST 5: a full zone: a push onto a list that exists gives nil, "no memory", as lua-nginx-module
--- http_config
lua_shared_dict dogs 100k;
--- config
location = /t {
    content_by_lua_block {
        local dogs = ngx.shared.dogs
        local len, err
        for i = 1, 100000 do
            len, err = dogs:lpush("foo", "bar")
            if not len then break end
        end
        ngx.say(tostring(len), " ", err, " ", dogs:llen("foo") > 1000)
        local len2, err2 = dogs:rpush("foo", string.rep("x", 1000))
        ngx.say(tostring(len2), " ", err2)
    }
}
--- request
GET /t
--- response_body
nil no memory true
nil no memory
