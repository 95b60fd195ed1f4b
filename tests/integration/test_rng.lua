-- The random numbers of the Lua-side tests (fuzz_lua_handler.lua, compat_lua_handler.lua):
-- Park-Miller's "minimal standard" generator, exact in doubles (products < 2^46) and private to
-- each request, unlike math.random whose state concurrent (yielding) requests would share, so a
-- seed means the same calls on every server and every run.

local _M = {}

-- A generator r for `seed`: r(n) is an integer in [1, n].
function _M.new(seed)
    local x = seed % 2147483646 + 1
    return function(n)
        x = x * 16807 % 2147483647
        return x % n + 1
    end
end

-- An element of `list` chosen by r.
function _M.pick(r, list)
    return list[r(#list)]
end

return _M
