#pragma once

#include <gtest/gtest.h>

#include <lua.hpp>
#include <string>

#include "lua/api.h"

namespace tycho::lua::testing {

// A bare LuaJIT state with the standard libraries and a global `ngx` table filled by the
// inject_* functions under test; no server, no request.
class ApiTest : public ::testing::Test {
  protected:
    void SetUp() override {
        L_ = luaL_newstate();
        ASSERT_NE(L_, nullptr);
        luaL_openlibs(L_);
        lua_newtable(L_);
        inject_constants(L_);
        inject_string(L_);
        inject_time(L_);
        ASSERT_EQ(lua_gettop(L_), 1) << "inject_* must be stack neutral";
        lua_setglobal(L_, "ngx");
    }

    void TearDown() override { lua_close(L_); }

    // Runs `code` (chunk name "test", so error positions read "test:LINE: ") and returns its
    // first result as a string: strings raw, other values through tostring(). A Lua error fails
    // the test and returns "<error: msg>".
    std::string eval(const std::string& code) {
        int top = lua_gettop(L_);
        if (luaL_loadbuffer(L_, code.data(), code.size(), "=test") != 0 ||
            lua_pcall(L_, 0, 1, 0) != 0) {
            std::string msg = lua_tostring(L_, -1) ? lua_tostring(L_, -1) : "?";
            lua_settop(L_, top);
            ADD_FAILURE() << "Lua error: " << msg << "\nin: " << code;
            return "<error: " + msg + ">";
        }
        std::string out;
        if (lua_type(L_, -1) == LUA_TSTRING) {
            size_t n = 0;
            const char* s = lua_tolstring(L_, -1, &n);
            out.assign(s, n);
        } else {
            lua_getglobal(L_, "tostring");
            lua_pushvalue(L_, -2);
            lua_call(L_, 1, 1);
            out = lua_tostring(L_, -1);
        }
        lua_settop(L_, top);
        return out;
    }

    // Runs `code`, expecting a Lua error; returns its message ("" and a failure if none).
    std::string error_of(const std::string& code) {
        int top = lua_gettop(L_);
        if (luaL_loadbuffer(L_, code.data(), code.size(), "=test") != 0) {
            std::string msg = lua_tostring(L_, -1);
            lua_settop(L_, top);
            return msg;
        }
        if (lua_pcall(L_, 0, 0, 0) == 0) {
            lua_settop(L_, top);
            ADD_FAILURE() << "expected a Lua error from: " << code;
            return "";
        }
        std::string msg = lua_tostring(L_, -1) ? lua_tostring(L_, -1) : "(non-string error)";
        lua_settop(L_, top);
        return msg;
    }

    lua_State* L_ = nullptr;
};

}  // namespace tycho::lua::testing
