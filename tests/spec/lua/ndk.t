# The global `ndk` (NGX_DEVEL_KIT's ndk.set_var), as in lua-nginx-module built with NDK. Tycho has
# no nginx module with ndk_set_var_value directives, like Debian's nginx without set-misc: every
# directive is "not found" (lua-nginx-module's 018-ndk.t TESTs 2-4, 062-count.t TEST 4).

__DATA__

=== TEST 1: ndk has one entry, set_var
--- config
location = /t {
    content_by_lua_block {
        local n = 0
        for k, v in pairs(ndk) do
            n = n + 1
            ngx.say(k, " ", type(v))
        end
        ngx.say("n = ", n)
    }
}
--- request
GET /t
--- response_body
set_var table
n = 1

=== TEST 2: a directive that is not there raises at the line that names it
--- config
location = /t {
    content_by_lua_block {
        local ok, err = pcall(function()
            return ndk.set_var.set_escape_uri
        end)
        ngx.say(ok, " ", (err:gsub("nginx%.conf:%d+", "nginx.conf:N")))
        ok, err = pcall(function() return ndk.set_var[42] end)
        ngx.say(ok, " ", (err:gsub("^.-: ndk", "ndk")))
    }
}
--- request
GET /t
--- response_body
false content_by_lua(nginx.conf:N):3: ndk.set_var: directive "set_escape_uri" not found or does not use ndk_set_var_value
false ndk.set_var: directive "42" not found or does not use ndk_set_var_value

=== TEST 3: uncaught, it is the handler's runtime error
--- config
location = /t {
    content_by_lua_block {
        local s = ndk.set_var.set_quote_sql_str("a'b")
        ngx.say(s)
    }
}
--- request
GET /t
--- error_code: 500
--- error_log
qr/lua entry thread aborted: runtime error: content_by_lua\(nginx\.conf:\d+\):2: ndk\.set_var: directive "set_quote_sql_str" not found or does not use ndk_set_var_value/
