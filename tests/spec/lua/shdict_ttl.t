# ngx.shared.DICT expiry: exptime, ttl, expire, get_stale, flush_all, flush_expired, and the
# add/replace/incr rules for expired entries. Short TTLs and ngx.sleep; every handler starts
# from an emptied dict because each request runs twice against the same server.

__DATA__

=== TEST 1: an entry expires; get_stale still sees it until it is reclaimed
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
        p(d:set("a", "va", 0.1, 3))
        p(d:set("b", "vb"))
        p(d:get("a"))
        p(d:get_stale("a"))
        local ttl = d:ttl("a")
        p(ttl > 0.05 and ttl <= 0.1, d:ttl("b"))
        ngx.sleep(0.15)
        p(d:get_stale("a"))
        p(d:ttl("a") < 0)
        p(d:get("a"))
        p(d:get_stale("b"))
        p(d:flush_expired())
        p(d:get_stale("a"))
        p(d:ttl("a"))
        p(d:ttl("missing"))
    }
}
--- request
GET /t
--- response_body
true nil false
true nil false
va 3
va 3 false
true 0
va 3 true
true
nil
vb nil false
1
nil
nil not found
nil not found
--- no_error_log
[error]

=== TEST 2: expire sets, changes and removes a TTL
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
        p(d:set("c", 1))
        p(d:expire("c", 0.1))
        local ttl = d:ttl("c")
        p(ttl > 0.05 and ttl <= 0.1)
        p(d:expire("c", 0))
        p(d:ttl("c"))
        p(d:expire("c", 0.05))
        ngx.sleep(0.1)
        p(d:get_stale("c"))
        -- expired but not reclaimed yet: expire() revives it
        p(d:expire("c", 10))
        p(d:get("c"))
        -- get reclaims expired entries at the LRU tail first: then c is gone
        p(d:expire("c", 0.05))
        ngx.sleep(0.1)
        p(d:get("c"))
        p(d:expire("c", 10))
        p(d:expire("missing", 1))
        p(d:set("e", "x", 10))
        ttl = d:ttl("e")
        p(ttl > 9.9 and ttl <= 10)
        -- set without exptime removes the TTL
        p(d:set("e", "y"))
        p(d:ttl("e"))
    }
}
--- request
GET /t
--- response_body
true nil false
true
true
true
0
true
1 nil true
true
1
true
nil
nil not found
nil not found
true nil false
true
true nil false
0

=== TEST 3: add, replace and incr treat an expired entry as absent
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
        p(d:set("a", 1, 0.05))
        p(d:set("r", 1, 0.05))
        p(d:set("i", 5, 0.05))
        p(d:set("j", 5, 0.05))
        ngx.sleep(0.1)
        p(d:add("a", 2))
        p(d:get("a"), d:ttl("a"))
        p(d:replace("r", 2))
        p(d:incr("i", 1))
        p(d:incr("j", 1, 100))
        p(d:get("j"), d:ttl("j"))
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
2 0
false not found false
nil not found
101 nil false
101 0

=== TEST 4: incr keeps the TTL of a live entry; init_ttl applies to a created one
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
        p(d:incr("n", 1, 0, 0.1))
        p(d:incr("n", 1, 0, 10))
        local ttl = d:ttl("n")
        p(ttl > 0.05 and ttl <= 0.1)
        ngx.sleep(0.15)
        p(d:get("n"))
        p(d:incr("n", 1, 0))
        p(d:ttl("n"))
    }
}
--- request
GET /t
--- response_body
1 nil false
2 nil false
true
nil
1 nil false
0

=== TEST 5: flush_all expires everything and reclaims the three oldest; flush_expired the rest
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
        for i = 1, 6 do d:set("k" .. i, i) end
        p(d:flush_all())
        p(d:get_stale("k6"))
        p(d:get_stale("k1"))
        p(#d:get_keys(0))
        p(d:flush_expired(1))
        p(d:flush_expired(0))
        p(d:flush_expired())
        p(d:get_stale("k6"))
        for i = 1, 4 do d:set("t" .. i, i, 0.05) end
        d:set("live", 1)
        ngx.sleep(0.1)
        p(d:flush_expired(-1))
        p(table.concat(d:get_keys(), ","))
    }
}
--- request
GET /t
--- response_body

6 nil true
nil
0
1
2
0
nil
4
live

=== TEST 6: fractional and sub-millisecond exptimes
--- http_config
lua_shared_dict dogs 1m;
--- config
location = /t {
    content_by_lua_block {
        local d = ngx.shared.dogs
        d:flush_all()
        d:flush_expired()
        d:set("a", 1, 0.0005)
        d:set("b", 1, 0.3)
        ngx.sleep(0.01)
        -- 0.5 ms truncates to 0 ms: no expiry at all
        ngx.say(d:get("a"), " ", d:ttl("a"))
        ngx.say(d:get("b"))
        ngx.sleep(0.4)
        ngx.say(d:get("b"))
    }
}
--- request
GET /t
--- response_body
1 0
1
nil
