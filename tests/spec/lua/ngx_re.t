# ngx.re.match / find / gmatch / sub / gsub and require "ngx.re" (split, opt): captures, named
# and duplicate names, options, ctx.pos, nth, replacement templates and functions, empty
# matches, errors returned and raised, lua_regex_match_limit, the JIT stack option. Each block
# gives the same output on Debian's OpenResty (PCRE 8); where Tycho differs on purpose (PCRE2's
# compile errors, a non-string regex) is tests/spec/tycho/regex.t.

__DATA__

=== TEST 1: match: whole match, groups, unmatched groups are false, named groups, no match
--- config
location = /t {
    content_by_lua_block {
        local m = ngx.re.match("hello, 1234 world", [[(\d+)\s+(?<word>\w+)(x)?]])
        ngx.say(m[0], "|", m[1], "|", m[2], "|", m.word, "|", tostring(m[3]), "|", #m)
        m = ngx.re.match("hello", "(h)(z)?(e)")
        ngx.say(m[1], " ", tostring(m[2]), " ", m[3])
        ngx.say(tostring(ngx.re.match("hello", "\\d")))
        ngx.say(ngx.re.match(12345, "3(4)")[1])
        m = ngx.re.match("abc", "b", "jo")
        ngx.say(m[0], " ", tostring(m[1]))
    }
}
--- request
GET /t
--- response_body
1234 world|1234|world|world|false|3
h false e
nil
4
b nil

=== TEST 2: options: i, m, s, x, a, u, D (duplicate names), d (DFA: the longest match)
--- config
location = /t {
    content_by_lua_block {
        ngx.say(ngx.re.match("HeLLo", "hello", "i")[0])
        ngx.say(ngx.re.match("a\nb", "^b$", "m")[0])
        ngx.say(tostring(ngx.re.match("a\nb", "a.b")), " ", #ngx.re.match("a\nb", "a.b", "s")[0])
        ngx.say(ngx.re.match("abc", "a b  # comment\n c", "x")[0])
        ngx.say(tostring(ngx.re.match("xabc", "abc", "a")), " ", ngx.re.match("abcx", "abc", "a")[0])
        ngx.say(tostring(ngx.re.match("\xe4\xbd\xa0\xe5\xa5\xbd", "^.$", "u")))
        ngx.say(ngx.re.match("\xe4\xbd\xa0", "^.$", "u")[0] == "\xe4\xbd\xa0")
        local m = ngx.re.match("hello world", [[(?<w>h\w+) (?<w>w\w+)]], "D")
        ngx.say(type(m.w), " ", m.w[1], " ", m.w[2])
        m = ngx.re.match("hello", [[(?<w>x)?(?<w>h)]], "D")
        ngx.say(#m.w, " ", m.w[1])
        m = ngx.re.match("hello", "he|hell|hello", "d")
        ngx.say(m[0], " ", tostring(m[1]))
    }
}
--- request
GET /t
--- response_body
HeLLo
b
nil 3
abc
nil abc
nil
true
table hello world
1 h
hello nil

=== TEST 3: an unknown option letter raises
--- config
location = /t {
    content_by_lua_block {
        local ok, err = pcall(ngx.re.match, "abc", "b", "jqo")
        ngx.say(ok, " ", err:find('unknown flag "q" (flags "jqo")', 1, true) ~= nil)
        ok, err = pcall(ngx.re.gsub, "abc", "b", "c", "H")
        ngx.say(ok, " ", err:match('unknown flag "H" %(flags "H"%)$'))
    }
}
--- request
GET /t
--- response_body
false true
false unknown flag "H" (flags "H")

=== TEST 4: ctx.pos: where to start (1-based), moved past each match; res_table is filled
--- config
location = /t {
    content_by_lua_block {
        local ctx = {}
        local s = "a1b22c333"
        while true do
            local m = ngx.re.match(s, [[\d+]], "jo", ctx)
            if not m then break end
            ngx.say(m[0], " ", ctx.pos)
        end
        ctx = { pos = 5 }
        ngx.say(ngx.re.match(s, [[\d+]], nil, ctx)[0], " ", ctx.pos)
        local res = { "old" }
        local r = ngx.re.match("xyz", "(y)(z)", nil, nil, res)
        ngx.say(r == res, " ", res[0], res[1], res[2])
    }
}
--- request
GET /t
--- response_body
1 3
22 6
333 10
2 6
true yzyz

=== TEST 5: find: from and to of the match or of the nth group, ctx.pos, nth out of bound
--- config
location = /t {
    content_by_lua_block {
        ngx.say(ngx.re.find("hello, 1234", [[\d+]]))
        ngx.say(ngx.re.find("hello, 1234", [[(\d)(\d+)]], "jo", nil, 2))
        ngx.say(ngx.re.find("hello", [[\d+]]))
        ngx.say(ngx.re.find("hello", "(z)?h", nil, nil, 1))
        ngx.say(ngx.re.find("hello", "h", nil, nil, 1))
        local ctx = { pos = 3 }
        local from, to = ngx.re.find("abab", "ab", nil, ctx)
        ngx.say(from, " ", to, " ", ctx.pos)
        ngx.say(ngx.re.find("abc", "", nil, nil))
    }
}
--- request
GET /t
--- response_body
811
911
nil
nilnil
nilnilnth out of bound
3 4 5
10

=== TEST 6: gmatch: each match's captures in turn, empty matches, errors from the iterator
--- config
location = /t {
    content_by_lua_block {
        for m in ngx.re.gmatch("k1=v1, k2=v2", [[(\w+)=(?<v>\w+)]], "jo") do
            ngx.say(m[0], " ", m[1], " ", m.v)
        end
        local it = ngx.re.gmatch("ab", "x*")
        for i = 1, 4 do
            local m = it()
            ngx.say(i, " ", m and ("[" .. m[0] .. "]") or "nil")
        end
        local iter, err = ngx.re.gmatch("abc", "(")
        ngx.say(tostring(iter), " ", err ~= nil)
    }
}
--- request
GET /t
--- response_body
k1=v1 k1 v1
k2=v2 k2 v2
1 []
2 []
3 []
4 nil
nil true

=== TEST 7: sub / gsub with templates: $0, $N, ${N}, $$, missing groups are empty
--- config
location = /t {
    content_by_lua_block {
        ngx.say(ngx.re.sub("hello world", "o", "[$0]"))
        ngx.say(ngx.re.gsub("hello world", "(o)", "<$1>"))
        ngx.say(ngx.re.gsub("a1b2", [[(\d)]], "${1}0$$"))
        ngx.say(ngx.re.gsub("abc", "(x)?b", "[$1$2]"))
        ngx.say(ngx.re.gsub("hello", "z", "y"))
        ngx.say(ngx.re.gsub("abc", "", "-"))
        ngx.say(ngx.re.gsub("abc", "b*", "-"))
        ngx.say(ngx.re.sub(123, "2", 5))
        ngx.say(ngx.re.gsub("aaa", "a", "", "jo"))
    }
}
--- request
GET /t
--- response_body
hell[o] world1
hell<o> w<o>rld2
a10$b20$2
a[]c1
hello0
-a-b-c-4
-a--c-4
1531
3

=== TEST 8: sub / gsub with a function: gets the captures, its result is tostring'ed; it may use ngx.re itself
--- config
location = /t {
    content_by_lua_block {
        ngx.say(ngx.re.gsub("hello world", [[(?<c>o)]], function(m)
            return m.c:upper() .. m[0]
        end))
        ngx.say(ngx.re.gsub("a b c", [[\w]], function(m)
            return ngx.re.sub(m[0], "(.)", "<$1>")
        end))
        ngx.say(ngx.re.sub("x", "x", function() return 42 end))
        ngx.say(ngx.re.gsub("ab", "", function(m) return "." end))
    }
}
--- request
GET /t
--- response_body
hellOo wOorld2
<a> <b> <c>3
421
.a.b.3

=== TEST 9: a bad replacement template: nil, nil, the error, and an [error] line naming the fault
--- config
location = /t {
    content_by_lua_block {
        ngx.say(ngx.re.gsub("abc", "b", "$x"))
        ngx.say(ngx.re.sub("abc", "b", "${1"))
        ngx.say(ngx.re.sub("abc", "b", "x$"))
    }
}
--- request
GET /t
--- response_body
nilnilfailed to compile the replacement template
nilnilfailed to compile the replacement template
nilnilfailed to compile the replacement template
--- error_log
attempt to use named capturing variable "x" (named captures not supported yet)
the closing bracket in "1" variable is missing
lua script: invalid capturing variable name found in "x$"

=== TEST 10: lua_regex_match_limit: a catastrophic pattern fails with PCRE's match-limit error
--- http_config
lua_regex_match_limit 5000;
--- config
location = /t {
    content_by_lua_block {
        local s = string.rep("a", 30) .. "X"
        ngx.say(ngx.re.match(s, "^(a+)+$"))
        ngx.say(ngx.re.find(s, "^(a+)+$", "j"))
        ngx.say(ngx.re.gsub(s, "^(a|aa)+$", ""))
        ngx.say(ngx.re.match("aa", "^(a+)+$")[0])
    }
}
--- request
GET /t
--- response_body
nilpcre_exec() failed: -8
nilnilpcre_exec() failed: -8
nilnilpcre_exec() failed: -8
aa

=== TEST 11: split: pieces between matches, the first capture kept, max, trailing empties dropped
--- config
location = /t {
    content_by_lua_block {
        local split = require "ngx.re".split
        local function show(res, err)
            if not res then return ngx.say("error: ", err) end
            local t = {}
            for i = 1, #res do t[i] = "[" .. res[i] .. "]" end
            ngx.say(#res, " ", table.concat(t))
        end
        show(split("a,b,,c,,", ","))
        show(split("a,b,c,d", ",", nil, nil, 2))
        show(split("a1b22c", [[(\d+)]]))
        show(split("abc", ""))
        show(split(",a", ","))
        show(split("a, b,c", [[\s*,\s*]], "jo"))
        local ctx = { pos = 3 }
        show(split("a,b,c", ",", nil, ctx))
        local res = { "x", "y", "z", "w" }
        local r = split("1-2", "-", nil, nil, nil, res)
        ngx.say(r == res, " ", res[1], res[2], tostring(res[3]), res[4])
        ngx.say(pcall(split, "a", ",", nil, nil, nil, "bad"))
    }
}
--- request
GET /t
--- response_body
4 [a][b][][c]
2 [a][b,c,d]
5 [a][1][b][22][c]
3 [a][b][c]
2 [][a]
3 [a][b][c]
2 [b][c]
true 12nilw
falseres is not a table

=== TEST 12: opt: jit_stack_size in init_by_lua (before any regex is cached); unknown options raise
--- http_config
init_by_lua_block {
    local re = require "ngx.re"
    opt_ok = { pcall(re.opt, "jit_stack_size", 256 * 1024) }
}
--- config
location = /t {
    content_by_lua_block {
        local re = require "ngx.re"
        ngx.say(opt_ok[1], " ", tostring(opt_ok[2]))
        ngx.say(ngx.re.match(string.rep("a", 5000), [[(a|b)*]], "j")[0]:len())
        ngx.re.match("x", "x", "o")
        ngx.say(pcall(re.opt, "jit_stack_size", 1024 * 1024))
        ngx.say(pcall(re.opt, "foo", 1))
    }
}
--- request
GET /t
--- response_body
true nil
5000
falsechanging jit stack size is not allowed when some regexs have already been compiled and cached
falseunrecognized option name

=== TEST 13: ngx.re works in init_by_lua, timers and every request phase
--- http_config
init_by_lua_block {
    init_m = ngx.re.match("init42", [[\d+]], "jo")[0]
}
--- config
location = /t {
    set_by_lua_block $v { return ngx.re.sub("abc", "b", "B") }
    rewrite_by_lua_block { ngx.ctx.r = ngx.re.gsub("xx", "x", "r") }
    content_by_lua_block {
        local done
        ngx.timer.at(0, function() done = ngx.re.match("t7", [[\d]])[0] end)
        ngx.sleep(0.01)
        ngx.say(init_m, " ", ngx.var.v, " ", ngx.ctx.r, " ", done)
    }
    header_filter_by_lua_block { ngx.header["X-Re"] = ngx.re.sub("h1", [[\d]], "2") }
}
--- request
GET /t
--- response_headers
X-Re: h2
--- response_body
42 aBc rr 7
