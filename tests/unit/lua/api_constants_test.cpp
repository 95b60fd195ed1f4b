#include <string>

#include "unit/lua/api_test_util.h"

namespace tycho::lua::testing {
namespace {

using ConstantsApiTest = ApiTest;

TEST_F(ConstantsApiTest, CoreCodes) {
    EXPECT_EQ(eval("return table.concat({ngx.OK, ngx.ERROR, ngx.AGAIN, ngx.DONE, "
                   "ngx.DECLINED}, ',')"),
              "0,-1,-2,-4,-5");
}

TEST_F(ConstantsApiTest, Null) {
    EXPECT_EQ(eval("return type(ngx.null)"), "userdata");
    EXPECT_EQ(eval("return tostring(ngx.null)"), "userdata: NULL");
    EXPECT_EQ(eval("return ngx.null == ngx.null and ngx.null ~= nil"), "true");
    lua_pushlightuserdata(L_, nullptr);
    lua_setglobal(L_, "c_null");
    EXPECT_EQ(eval("return ngx.null == c_null"), "true");
}

TEST_F(ConstantsApiTest, Methods) {
    EXPECT_EQ(eval("return table.concat({ngx.HTTP_GET, ngx.HTTP_HEAD, ngx.HTTP_POST, "
                   "ngx.HTTP_PUT, ngx.HTTP_DELETE, ngx.HTTP_MKCOL, ngx.HTTP_COPY, "
                   "ngx.HTTP_MOVE, ngx.HTTP_OPTIONS, ngx.HTTP_PROPFIND, ngx.HTTP_PROPPATCH, "
                   "ngx.HTTP_LOCK, ngx.HTTP_UNLOCK, ngx.HTTP_PATCH, ngx.HTTP_TRACE}, ',')"),
              "2,4,8,16,32,64,128,256,512,1024,2048,4096,8192,16384,32768");
}

TEST_F(ConstantsApiTest, Statuses) {
    const std::pair<const char*, int> statuses[] = {
        {"HTTP_CONTINUE", 100},
        {"HTTP_SWITCHING_PROTOCOLS", 101},
        {"HTTP_OK", 200},
        {"HTTP_CREATED", 201},
        {"HTTP_ACCEPTED", 202},
        {"HTTP_NO_CONTENT", 204},
        {"HTTP_PARTIAL_CONTENT", 206},
        {"HTTP_SPECIAL_RESPONSE", 300},
        {"HTTP_MOVED_PERMANENTLY", 301},
        {"HTTP_MOVED_TEMPORARILY", 302},
        {"HTTP_FOUND", 302},
        {"HTTP_SEE_OTHER", 303},
        {"HTTP_NOT_MODIFIED", 304},
        {"HTTP_TEMPORARY_REDIRECT", 307},
        {"HTTP_PERMANENT_REDIRECT", 308},
        {"HTTP_BAD_REQUEST", 400},
        {"HTTP_UNAUTHORIZED", 401},
        {"HTTP_PAYMENT_REQUIRED", 402},
        {"HTTP_FORBIDDEN", 403},
        {"HTTP_NOT_FOUND", 404},
        {"HTTP_NOT_ALLOWED", 405},
        {"HTTP_NOT_ACCEPTABLE", 406},
        {"HTTP_REQUEST_TIMEOUT", 408},
        {"HTTP_CONFLICT", 409},
        {"HTTP_GONE", 410},
        {"HTTP_UPGRADE_REQUIRED", 426},
        {"HTTP_TOO_MANY_REQUESTS", 429},
        {"HTTP_CLOSE", 444},
        {"HTTP_ILLEGAL", 451},
        {"HTTP_INTERNAL_SERVER_ERROR", 500},
        {"HTTP_METHOD_NOT_IMPLEMENTED", 501},
        {"HTTP_NOT_IMPLEMENTED", 501},
        {"HTTP_BAD_GATEWAY", 502},
        {"HTTP_SERVICE_UNAVAILABLE", 503},
        {"HTTP_GATEWAY_TIMEOUT", 504},
        {"HTTP_VERSION_NOT_SUPPORTED", 505},
        {"HTTP_INSUFFICIENT_STORAGE", 507},
    };
    for (const auto& [name, value] : statuses) {
        EXPECT_EQ(eval(std::string("return ngx.") + name), std::to_string(value)) << name;
    }
    EXPECT_EQ(eval("return type(ngx.HTTP_OK)"), "number");
}

TEST_F(ConstantsApiTest, LogLevels) {
    EXPECT_EQ(eval("return table.concat({ngx.STDERR, ngx.EMERG, ngx.ALERT, ngx.CRIT, ngx.ERR, "
                   "ngx.WARN, ngx.NOTICE, ngx.INFO, ngx.DEBUG}, ',')"),
              "0,1,2,3,4,5,6,7,8");
}

TEST_F(ConstantsApiTest, TableExtensions) {
    // A fresh LuaJIT state has no table.new field until the helper installs it.
    install_table_extensions(L_);
    EXPECT_EQ(lua_gettop(L_), 0);
    EXPECT_EQ(eval("local t = table.new(4, 2) t[1] = 'a' t.x = 1 return #t"), "1");
    EXPECT_EQ(eval("local t = {1, 2, a = 3} table.clear(t) return tostring(next(t))"), "nil");
    EXPECT_EQ(eval("return require('table.new') == table.new and "
                   "require('table.clear') == table.clear"),
              "true");
    install_table_extensions(L_);  // idempotent
    EXPECT_EQ(eval("return type(table.new)"), "function");
}

TEST_F(ConstantsApiTest, RequireEmbeddedCachesTheModule) {
    EXPECT_EQ(eval("return type(package.loaded['tycho.string']) .. "
                   "type(package.loaded['tycho.time'])"),
              "tabletable");
    require_embedded(L_, "tycho.string");
    lua_getfield(L_, LUA_REGISTRYINDEX, "_LOADED");
    lua_getfield(L_, -1, "tycho.string");
    EXPECT_TRUE(lua_rawequal(L_, -1, -3));
    lua_settop(L_, 0);
    lua_pushcfunction(L_, [](lua_State* L) -> int {
        require_embedded(L, "tycho.nope");
        return 1;
    });
    ASSERT_NE(lua_pcall(L_, 0, 1, 0), 0);
    EXPECT_STREQ(lua_tostring(L_, -1), "embedded module 'tycho.nope' not found");
    lua_settop(L_, 0);
}

}  // namespace
}  // namespace tycho::lua::testing
