// ngx.var and ngx.header / redirect / exec on a bare VM (no worker runtime, so no request): the
// FFI symbols of their Lua halves resolve, the Lua-side argument checks run before any request
// lookup, and a missing request reads as OpenResty's "no request found". Request behaviour is
// covered by tests/spec/lua/{var,header,redirect_exec}.t.

#include "lua/api_runtime.h"
#include "unit/lua/api_test_util.h"

namespace tycho::lua::testing {
namespace {

class VarHeaderApiTest : public ApiTest {
  protected:
    void SetUp() override {
        ApiTest::SetUp();
        lua_getglobal(L_, "ngx");
        inject_var(L_);
        inject_header(L_);
        ASSERT_EQ(lua_gettop(L_), 1) << "inject_* must be stack neutral";
        lua_pop(L_, 1);
    }
};

TEST_F(VarHeaderApiTest, FfiSymbolsResolve) {
    EXPECT_EQ(eval("local ffi = require 'ffi' local n = 0 "
                   "for _, s in ipairs({'var_get', 'var_set', 'header_get', 'header_set'}) do "
                   "  assert(ffi.C['tycho_ffi_' .. s]) n = n + 1 end return n"),
              "4");
}

TEST_F(VarHeaderApiTest, VarNeedsARequest) {
    EXPECT_NE(error_of("return ngx.var.uri").find("no request found"), std::string::npos);
    EXPECT_NE(error_of("ngx.var.foo = 1").find("no request found"), std::string::npos);
    EXPECT_NE(error_of("return ngx.var[1]").find("no request found"), std::string::npos);
}

TEST_F(VarHeaderApiTest, BadVariableNamesRaiseAtTheCaller) {
    EXPECT_EQ(error_of("return ngx.var[true]"), "test:1: bad variable name");
    EXPECT_EQ(error_of("return ngx.var[{}]"), "test:1: bad variable name");
    EXPECT_EQ(error_of("ngx.var[1] = 'x'"), "test:1: bad variable name");
}

TEST_F(VarHeaderApiTest, HeaderNeedsARequest) {
    EXPECT_NE(error_of("return ngx.header.foo").find("no request found"), std::string::npos);
    EXPECT_NE(error_of("ngx.header.foo = {'a', 1}").find("no request found"), std::string::npos);
    EXPECT_NE(error_of("ngx.header[1] = nil").find("no request found"), std::string::npos);
}

TEST_F(VarHeaderApiTest, RedirectChecksItsArgumentsFirst) {
    EXPECT_EQ(error_of("ngx.redirect()"), "test:1: expecting one or two arguments");
    EXPECT_EQ(error_of("ngx.redirect('/a', 200)"),
              "test:1: only ngx.HTTP_MOVED_TEMPORARILY, ngx.HTTP_MOVED_PERMANENTLY, "
              "ngx.HTTP_PERMANENT_REDIRECT, ngx.HTTP_SEE_OTHER, and "
              "ngx.HTTP_TEMPORARY_REDIRECT are allowed");
    EXPECT_EQ(error_of("ngx.redirect({})"),
              "test:1: bad argument #1 to 'redirect' (string expected, got table)");
    EXPECT_EQ(error_of("ngx.redirect('/a', 301)"), "test:1: no request found");
}

TEST_F(VarHeaderApiTest, ExecChecksItsArgumentCount) {
    EXPECT_EQ(error_of("ngx.exec()"), "test:1: expecting one or two arguments, but got 0");
    EXPECT_EQ(error_of("ngx.exec('/a')"), "test:1: no request found");
    EXPECT_EQ(error_of("ngx.send_headers()"), "test:1: no request found");
}

}  // namespace
}  // namespace tycho::lua::testing
