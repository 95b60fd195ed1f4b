# require and dofile as LuaJIT's behave in OpenResty: argument errors, the "not found" and
# "loop or previous error" texts, the loading sentinel, what package.loaded ends up holding, the
# traceback of a module that fails, dofile's results. Tycho replaces both functions with Lua
# versions whose module code may block (docs/api/require.md, tests/spec/tycho/require_yield.t);
# every block here passes against Debian's nginx too.

__DATA__

=== TEST 1: argument errors: "got nil" even for none (lua-resty-core's wrapper), named as called
--- config
location = /t {
    content_by_lua_block {
        ngx.say(select(2, pcall(require)))
        ngx.say(select(2, pcall(require, nil)))
        ngx.say(select(2, pcall(require, {})))
        ngx.say(select(2, pcall(function() return require() end)))
        ngx.say(select(2, pcall(function() local m = require(true) return m end)))
        ngx.say(select(2, pcall(dofile, {})))
        local req = require
        ngx.say(select(2, pcall(function() local m = req(nil) return m end)))
    }
}
--- request
GET /t
--- response_body_like
^bad argument #1 to '\?' \(string expected, got nil\)
bad argument #1 to '\?' \(string expected, got nil\)
bad argument #1 to '\?' \(string expected, got table\)
bad argument #1 to '\?' \(string expected, got nil\)
content_by_lua\(nginx\.conf:\d+\):6: bad argument #1 to 'require' \(string expected, got boolean\)
bad argument #1 to '\?' \(string expected, got table\)
content_by_lua\(nginx\.conf:\d+\):9: bad argument #1 to 'req' \(string expected, got nil\)
$

=== TEST 2: a missing module lists every place looked at; a number is a name
--- config
location = /t {
    content_by_lua_block {
        local ok, err = pcall(require, "no.such.module")
        ngx.say(ok, " ", err:match("^[^\n]*"))
        ngx.say(err:find("\n\tno field package.preload['no.such.module']", 1, true) ~= nil)
        ngx.say(err:find("/no/such/module.lua'", 1, true) ~= nil)
        package.preload["42"] = function(name) return "module " .. name end
        ngx.say(require(42))
        package.loaded["42"] = nil
        local loaders = package.loaders
        package.loaders = nil
        ngx.say(select(2, pcall(require, "another.missing.module")))
        package.loaders = loaders
    }
}
--- request
GET /t
--- response_body
false module 'no.such.module' not found:
true
true
module 42
'package.loaders' must be a table

=== TEST 3: the loader gets the name; nil stores true; false stays false; the sentinel while loading
--- config
location = /t {
    content_by_lua_block {
        package.loaded.m1, package.loaded.m2, package.loaded.m3 = nil, nil, nil
        package.preload.m1 = function(...)
            ngx.say("args: ", select("#", ...), " ", ...)
            local s = package.loaded.m1
            ngx.say("while loading: ", type(s), " ", s and true)
        end
        ngx.say(require("m1"), " ", package.loaded.m1)
        package.preload.m2 = function() package.loaded.m2 = false end
        ngx.say(require("m2"), " ", package.loaded.m2)
        package.preload.m3 = function() package.loaded.m3 = "set" return nil end
        ngx.say(require("m3"))
        ngx.say(require("m3") == package.loaded.m3)
    }
}
--- request
GET /t
--- response_body
args: 1 m1
while loading: number true
true true
false false
set
true

=== TEST 4: a failed load leaves the module marked: "loop or previous error"; so does a loop
--- config
location = /t {
    content_by_lua_block {
        package.loaded.bad, package.loaded.self = nil, nil
        package.preload.bad = function() error("bad module") end
        ngx.say(select(2, pcall(require, "bad")))
        ngx.say(select(2, pcall(require, "bad")))
        package.preload.self = function() return require("self") end
        ngx.say(select(2, pcall(require, "self")))
    }
}
--- request
GET /t
--- response_body_like
^content_by_lua\(nginx\.conf:\d+\):3: bad module
(\S+:\d+: )?loop or previous error loading module 'bad'
(\S+:\d+: )?loop or previous error loading module 'self'
$

=== TEST 5: an uncaught error in a module file: 500, the error's position, require as a [C] frame
--- http_config
lua_package_path "$prefix/html/?.lua;;";
--- config
location = /t {
    content_by_lua_block {
        package.loaded.failing = nil
        local m = require "failing"
        ngx.say(m)
    }
}
--- user_files
>>> failing.lua
local x = 1
error("failing at load")
--- request
GET /t
--- error_code: 500
--- error_log
failing.lua:2: failing at load
[C]: in function 'require'

=== TEST 6: dofile runs a file and returns all its values; a missing file raises loadfile's text
--- config
location = /t {
    content_by_lua_block {
        local path = ngx.config.prefix() .. "html/values.lua"
        ngx.say(dofile(path))
        ngx.say(select("#", dofile(path)))
        local ok, err = pcall(dofile, ngx.config.prefix() .. "html/missing.lua")
        ngx.say(ok, " ", (err:gsub("/.*/html/", "")))
    }
}
--- user_files
>>> values.lua
return 1, "two", nil, 4
--- request
GET /t
--- response_body
1twonil4
4
false cannot open missing.lua: No such file or directory
