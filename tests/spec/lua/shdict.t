# lua_shared_dict and ngx.shared.DICT: the directive, ngx.shared, get/set/add/replace/delete,
# value types, flags, incr, and the argument errors (lua-resty-core's texts). Each request runs
# twice against the same server, so every handler starts from an emptied dict.

__DATA__

=== TEST 1: set and get each value type, with and without flags
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
        p(d:set("s", "hello"))
        p(d:set("n", 3.5))
        p(d:set("i", -7))
        p(d:set("t", true))
        p(d:set("f", false))
        p(d:set("e", ""))
        p(d:set("fl", "x", 0, 42))
        p(d:get("s"))
        p(d:get("n"))
        p(d:get("i"))
        p(d:get("t"))
        p(d:get("f"))
        p(d:get("e"), #d:get("e"))
        p(d:get("fl"))
        p(d:get("missing"))
        p(d:set("fl", "y"))
        p(d:get("fl"))
        p(d:set(12, "num key"))
        p(d:get("12"), d:get(12))
        local big = string.rep("abcdefgh", 1000)
        p(d:set("big", big))
        p(d:get("big") == big)
        p(d:set("bin", "a\0b"))
        p(#d:get("bin"))
    }
}
--- request
GET /t
--- response_body
true nil false
true nil false
true nil false
true nil false
true nil false
true nil false
true nil false
hello
3.5
-7
true
false
 0
x 42
nil
true nil false
y
true nil false
num key num key
true nil false
true
true nil false
3
--- no_error_log
[error]

=== TEST 2: ngx.shared lists every dict; a dict is reached by field access
--- http_config
lua_shared_dict dogs 1m;
lua_shared_dict cats 64k;
--- config
location = /t {
    content_by_lua_block {
        local names = {}
        for name, dict in pairs(ngx.shared) do
            names[#names + 1] = name .. "=" .. type(dict)
        end
        table.sort(names)
        ngx.say(table.concat(names, " "))
        ngx.say(ngx.shared.mice == nil)
        ngx.say(type(ngx.shared.dogs[1]))
        ngx.say(getmetatable(ngx.shared.dogs) == getmetatable(ngx.shared.cats))
        ngx.say(type(getmetatable(ngx.shared.dogs).__index.get))
        ngx.shared.dogs:set("k", 1)
        ngx.shared.cats:set("k", 2)
        ngx.say(ngx.shared.dogs:get("k"), " ", ngx.shared.cats:get("k"))
    }
}
--- request
GET /t
--- response_body
cats=table dogs=table
true
userdata
true
function
1 2

=== TEST 3: no lua_shared_dict: ngx.shared is an empty table
--- config
location = /t {
    content_by_lua_block {
        ngx.say(type(ngx.shared), " ", next(ngx.shared))
    }
}
--- request
GET /t
--- response_body
table nil

=== TEST 4: add, safe_add, replace, delete
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
        p(d:add("a", 1))
        p(d:add("a", 2))
        p(d:safe_add("a", 3))
        p(d:safe_add("b", 4))
        p(d:get("a"), d:get("b"))
        p(d:replace("a", "one", 0, 5))
        p(d:get("a"))
        p(d:replace("zz", 1))
        p(d:add("n", nil))
        p(d:replace("a", nil))
        p(d:safe_set("c", "x"))
        p(d:delete("a"))
        p(d:get("a"))
        p(d:delete("never"))
        p(d:set("b", nil))
        p(d:get("b"))
        p(d:safe_set("c", nil))
        p(d:get("c"))
    }
}
--- request
GET /t
--- response_body
true nil false
false exists false
false exists false
true nil false
1 4
true nil false
one 5
false not found false
false attempt to add or replace nil values false
false attempt to add or replace nil values false
true nil false
true nil false
nil
true nil false
true nil false
nil
true nil false
nil

=== TEST 5: key and value errors
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
        p(d:set(nil, 1))
        p(d:set("", 1))
        p(d:set(long, 1))
        p(d:set(string.rep("k", 65535), 1))
        p(d:get(nil))
        p(d:get(""))
        p(d:get(long))
        p(d:get_stale(nil))
        p(d:get_stale(""))
        p(d:set("k", {}))
        p(d:set("k", print))
        p(d:add("k", {}))
        p(d:safe_set("k", ngx.null))
        p(d:delete(nil))
        p(d:delete(""))
        p(d:incr(nil, 1))
        p(d:incr("", 1))
        p(d:incr(long, 1))
        p(d:ttl(nil))
        p(d:ttl(""))
        p(d:ttl(long))
        p(d:expire(nil, 1))
        p(d:expire("", 1))
        p(d:expire(long, 1))
        p(pcall(d.set, d, "k", 1, -1))
        p(pcall(d.get, nil, "k"))
        p(pcall(d.get, {}, "k"))
        p(pcall(d.expire, d, "k"))
        p(pcall(d.incr, d, "k", 1, {}))
        p(pcall(d.incr, d, "k", 1, 0, "x"))
        p(pcall(d.incr, d, "k", 1, 0, -1))
        p(pcall(d.incr, d, "k", 1, nil, 1))
        p(pcall(d.capacity, "x"))
        -- Called from Lua code, the errors point at the caller's line.
        p(select(2, pcall(function() local ok = d:set("k", 1, -1) return ok end)))
        p(select(2, pcall(function() local v = d.get(nil, "k") return v end)))
    }
}
--- request
GET /t
--- response_body_like
^nil nil key
nil empty key
nil key too long
true nil false
nil nil key
nil empty key
nil key too long
nil nil key
nil empty key
nil bad value type
nil bad value type
nil bad value type
nil bad value type
nil nil key
nil empty key
nil nil key
nil empty key
nil key too long
nil nil key
nil empty key
nil key too long
nil nil key
nil empty key
nil key too long
false bad "exptime" argument
false bad "zone" argument
false bad "zone" argument
false bad "exptime" argument
false bad init arg: number expected, got table
false bad init_ttl arg: number expected, got string
false bad "init_ttl" argument
false must provide "init" when providing "init_ttl"
false bad "zone" argument
content_by_lua\(nginx.conf:\d+\):\d+: bad "exptime" argument
content_by_lua\(nginx.conf:\d+\):\d+: bad "zone" argument
$

=== TEST 6: incr
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
        p(d:incr("n", 1))
        p(d:incr("n", 1, 10))
        p(d:incr("n", 1, 10))
        p(d:incr("n", -2.5))
        p(d:incr("n", "3"))
        p(d:set("s", "str"))
        p(d:incr("s", 1))
        p(d:incr("s", 1, 0))
        p(d:set("f", 5, 0, 7))
        p(d:incr("f", 1))
        p(d:get("f"))
        p(d:incr("new", 2, "40"))
        p(d:incr("t", 1, 0, 100))
        p(d:ttl("t") > 99, d:ttl("t") <= 100)
        p(d:incr("t", 1, 0, 1))
        p(d:ttl("t") > 99)
        p(select(2, pcall(d.incr, d, "n", nil)):match("cannot convert.*"))
    }
}
--- request
GET /t
--- response_body
nil not found
11 nil false
12 nil false
9.5
12.5
true nil false
nil not a number
nil not a number
true nil false
6
6 7
42 nil false
1 nil false
true true
2 nil false
true
cannot convert 'nil' to 'double'

=== TEST 7: lua_shared_dict size and name errors
--- http_config
lua_shared_dict ok 1m;
include bad.conf;
--- config
--- user_files
>>> ../conf/bad.conf
lua_shared_dict dogs 8191;
--- must_die
--- error_log
invalid lua shared dict size "8191" in $TEST_NGINX_CONF_DIR/bad.conf:1

=== TEST 8: a size that is not a size
--- http_config
lua_shared_dict ok 1m;
include bad.conf;
--- config
--- user_files
>>> ../conf/bad.conf
lua_shared_dict dogs 12q;
--- must_die
--- error_log
invalid lua shared dict size "12q" in $TEST_NGINX_CONF_DIR/bad.conf:1

=== TEST 9: a dict declared twice
--- http_config
lua_shared_dict ok 1m;
include bad.conf;
--- config
--- user_files
>>> ../conf/bad.conf
lua_shared_dict dogs 1m;
lua_shared_dict dogs 1m;
--- must_die
--- error_log
lua_shared_dict "dogs" is already defined as "dogs" in $TEST_NGINX_CONF_DIR/bad.conf:2

=== TEST 10: a dict declared twice with another size
--- http_config
lua_shared_dict ok 1m;
include bad.conf;
--- config
--- user_files
>>> ../conf/bad.conf
lua_shared_dict dogs 1m;
lua_shared_dict dogs 2m;
--- must_die
--- error_log
the size 2097152 of shared memory zone "dogs" conflicts with already declared size 1048576 in $TEST_NGINX_CONF_DIR/bad.conf:2

=== TEST 11: an empty name
--- http_config
lua_shared_dict ok 1m;
include bad.conf;
--- config
--- user_files
>>> ../conf/bad.conf
lua_shared_dict "" 1m;
--- must_die
--- error_log
invalid lua shared dict name "" in $TEST_NGINX_CONF_DIR/bad.conf:1

=== TEST 12: lua_shared_dict takes two arguments
--- http_config
lua_shared_dict ok 1m;
include bad.conf;
--- config
--- user_files
>>> ../conf/bad.conf
lua_shared_dict dogs;
--- must_die
--- error_log
invalid number of arguments in "lua_shared_dict" directive in $TEST_NGINX_CONF_DIR/bad.conf:1

=== TEST 13: lua_shared_dict is an http-level directive
--- http_config
lua_shared_dict ok 1m;
--- config
include bad.conf;
--- user_files
>>> ../conf/bad.conf
lua_shared_dict dogs 1m;
--- must_die
--- error_log
"lua_shared_dict" directive is not allowed here in $TEST_NGINX_CONF_DIR/bad.conf:1

=== TEST 14: k and m units
--- http_config
lua_shared_dict a 64k;
lua_shared_dict b 1M;
lua_shared_dict c 20000;
--- config
location = /t {
    content_by_lua_block {
        ngx.say(ngx.shared.a:capacity(), " ", ngx.shared.b:capacity(), " ",
                ngx.shared.c:capacity())
    }
}
--- request
GET /t
--- response_body
65536 1048576 20000

=== TEST 15: usable in every phase and in init_by_lua
--- http_config
lua_shared_dict dogs 1m;
init_by_lua_block {
    ngx.shared.dogs:set("init", "from init")
}
init_worker_by_lua_block {
    ngx.shared.dogs:set("init_worker", "from init_worker")
}
--- config
location = /t {
    set_by_lua_block $v { return ngx.shared.dogs:get("init") }
    rewrite_by_lua_block { ngx.shared.dogs:set("rewrite", 1) }
    access_by_lua_block { ngx.shared.dogs:incr("rewrite", 1) }
    header_filter_by_lua_block { ngx.shared.dogs:set("hf", true) }
    body_filter_by_lua_block { ngx.shared.dogs:set("bf", true) }
    log_by_lua_block { ngx.shared.dogs:set("log", true) }
    content_by_lua_block {
        local d = ngx.shared.dogs
        ngx.say(ngx.var.v, " ", d:get("init_worker"), " ", d:get("rewrite"))
    }
}
location = /after {
    content_by_lua_block {
        local d = ngx.shared.dogs
        ngx.say(d:get("hf"), " ", d:get("bf"), " ", d:get("log"))
    }
}
--- pipelined_requests
GET /t
GET /after
--- response_body
from init from init_worker 2
true true true
