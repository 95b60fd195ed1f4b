# Tycho-only (OpenResty differs): with limit_except, a method the block lets through still runs
# the location's Lua content handler. nginx swaps in the block's own location configuration,
# which lua-nginx-module's handler is not copied into, so OpenResty serves such a request with
# the static module (405 or 404) instead (docs/directives/http.md).

__DATA__

=== TEST 1: an allowed other method reaches content_by_lua
--- config
location = /t {
    limit_except GET {
        allow 127.0.0.1;
        deny all;
    }
    content_by_lua_block { ngx.say("ok ", ngx.req.get_method()) }
}
--- request
DELETE /t
--- response_body
ok DELETE
