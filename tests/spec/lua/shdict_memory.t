# ngx.shared.DICT memory: capacity, free_space, LRU eviction with `forcible`, safe_* refusing to
# evict, and get_keys. free_space() values differ from OpenResty by design (Tycho counts bytes,
# OpenResty whole free slab pages; docs/api/shdict.md), so only relations are asserted.

__DATA__

=== TEST 1: capacity is the configured size; free_space shrinks as the dict fills
--- http_config
lua_shared_dict dogs 1m;
--- config
location = /t {
    content_by_lua_block {
        local d = ngx.shared.dogs
        d:flush_all()
        d:flush_expired()
        local cap = d:capacity()
        local empty = d:free_space()
        ngx.say(cap, " ", empty <= cap, " ", empty > cap / 2)
        local v = string.rep("v", 10000)
        local forcible_seen = false
        for i = 1, 150 do
            local ok, err, forcible = d:set("key" .. i, v)
            if not ok then
                ngx.say("failed: ", err)
            end
            forcible_seen = forcible_seen or forcible
        end
        local full = d:free_space()
        ngx.say(forcible_seen, " ", full < empty, " ", full < 16384)
        d:flush_all()
        d:flush_expired()
        ngx.say(d:free_space() == empty)
    }
}
--- request
GET /t
--- response_body
1048576 true true
true true true
true

=== TEST 2: a full dict evicts the least recently used entries and says forcible
--- http_config
lua_shared_dict small 64k;
--- config
location = /t {
    content_by_lua_block {
        local function p(...)
            local t = {}
            for i = 1, select("#", ...) do t[#t + 1] = tostring((select(i, ...))) end
            ngx.say(table.concat(t, " "))
        end
        local d = ngx.shared.small
        d:flush_all()
        d:flush_expired()
        local v = string.rep("v", 900)
        -- fill until the first eviction
        local n = 0
        while true do
            n = n + 1
            local ok, err, forcible = d:set("k" .. n, v)
            if not ok then
                ngx.say("failed: ", err)
                return
            end
            if forcible then
                break
            end
        end
        p(n > 20 and n < 70, d:get("k1"), d:get("k" .. n) == v)
        -- k2 is now the oldest: touch it, and the next insert evicts k3 instead
        p(d:get("k2") == v)
        p(d:set("new1", v))
        p(d:get("k2") == v, d:get("k3"))
        -- safe_set and safe_add never evict
        p(d:safe_set("new2", v))
        p(d:safe_add("new3", v))
        p(d:get("new2"), d:get("new3"))
        -- add evicts like set: k4 is the oldest now
        p(d:add("new4", v))
        p(d:get("k4"), d:get("k5") == v)
        -- a value bigger than the whole dict is refused (OpenResty evicts up to 30 entries
        -- trying, Tycho none: forcible differs)
        local ok, err = d:set("huge", string.rep("h", 70000))
        p(ok, err)
        p(d:get("new4") == v)
    }
}
--- request
GET /t
--- response_body
true nil true
true
true nil true
true nil
false no memory false
false no memory false
nil nil
true nil true
nil true
false no memory
true

=== TEST 3: get_keys lists live keys, least recently used first, 1024 by default
--- http_config
lua_shared_dict dogs 4m;
--- config
location = /t {
    content_by_lua_block {
        local d = ngx.shared.dogs
        d:flush_all()
        d:flush_expired()
        ngx.say(#d:get_keys(), " ", type(d:get_keys()))
        d:set("a", 1)
        d:set("b", 2)
        d:set("c", 3)
        d:get("a")
        ngx.say(table.concat(d:get_keys(), ","))
        ngx.say(table.concat(d:get_keys(2), ","))
        d:set("short", 1, 0.05)
        ngx.sleep(0.1)
        ngx.say(table.concat(d:get_keys(0), ","))
        for i = 1, 1100 do d:set("n" .. i, i) end
        ngx.say(#d:get_keys(), " ", #d:get_keys(0), " ", #d:get_keys(-1), " ", #d:get_keys(10))
        ngx.say(pcall(d.get_keys, d, "x"))
        ngx.say(pcall(d.get_keys, d, 1, 2))
        ngx.say(pcall(d.flush_expired, d, 1, 2))
        ngx.say(pcall(d.get_keys, d, nil))
    }
}
--- request
GET /t
--- response_body
0 table
b,c,a
b,c
b,c,a
1024 1103 1103 10
falsebad argument #2 to '?' (number expected, got string)
falseexpecting 1 or 2 argument(s), but saw 3
falseexpecting 1 or 2 argument(s), but saw 3
falsebad argument #2 to '?' (number expected, got nil)
