// ngx.log, print and the log-level constants, with lua-nginx-module's prefix
// ("[lua] <chunk>:<line>: [<function>(): ]") and argument rules (ngx_http_lua_log.c).

#include <cstring>
#include <lua.hpp>
#include <string>

#include "core/log.h"
#include "lua/api_runtime.h"
#include "lua/vm.h"

namespace tycho::lua {
namespace {

// Builds and writes the line for the values at stack indexes 1..top.
int log_wrapper(lua_State* L, int level) {
    if (!log_enabled_for(current_context(), static_cast<core::LogLevel>(level))) {
        return 0;
    }
    lua_Debug ar;
    std::memset(&ar, 0, sizeof(ar));
    const char* src = "";
    int line = 0;
    const char* fname = nullptr;
    if (lua_getstack(L, 1, &ar) != 0 && lua_getinfo(L, "Snl", &ar) != 0) {
        // The basename of the chunk: "content_by_lua(nginx.conf:40)", "foo.lua".
        src = ar.short_src;
        for (const char* p = ar.short_src; *p != '\0'; p++) {
            if (*p == '/' || *p == '\\') {
                src = p + 1;
            }
        }
        line = ar.currentline > 0 ? ar.currentline : ar.linedefined;
        if (ar.namewhat != nullptr && *ar.namewhat != '\0' && ar.what != nullptr &&
            *ar.what == 'L') {
            fname = ar.name;
        }
    }
    int nargs = lua_gettop(L);
    std::string msg = "[lua] ";
    msg += src;
    msg += ':';
    msg += std::to_string(line);
    msg += ": ";
    if (fname != nullptr) {
        msg += fname;
        msg += "(): ";
    }
    for (int i = 1; i <= nargs; i++) {
        int type = lua_type(L, i);
        switch (type) {
            case LUA_TNUMBER:
            case LUA_TSTRING: {
                size_t len;
                const char* s = lua_tolstring(L, i, &len);
                msg.append(s, len);
                break;
            }
            case LUA_TNIL:
                msg += "nil";
                break;
            case LUA_TBOOLEAN:
                msg += lua_toboolean(L, i) ? "true" : "false";
                break;
            case LUA_TTABLE: {
                if (luaL_callmeta(L, i, "__tostring") == 0) {
                    return luaL_argerror(L, i, "expected table to have __tostring metamethod");
                }
                size_t len;
                const char* s = lua_tolstring(L, -1, &len);
                if (s != nullptr) {
                    msg.append(s, len);
                }
                lua_pop(L, 1);
                break;
            }
            case LUA_TLIGHTUSERDATA:
                if (lua_touserdata(L, i) == nullptr) {
                    msg += "null";
                }
                break;
            default:
                return luaL_argerror(L, i,
                                     lua_pushfstring(L,
                                                     "string, number, boolean, or nil expected, "
                                                     "got %s",
                                                     lua_typename(L, type)));
        }
    }
    const Context* ctx = current_context();
    log_for(ctx, level, msg.data(), msg.size());
    return 0;
}

int ngx_log(lua_State* L) {
    int level = static_cast<int>(luaL_checkinteger(L, 1));
    if (level < static_cast<int>(core::LogLevel::kStderr) ||
        level > static_cast<int>(core::LogLevel::kDebug)) {
        return luaL_argerror(L, 1, lua_pushfstring(L, "bad log level: %d", level));
    }
    lua_remove(L, 1);
    return log_wrapper(L, level);
}

int lua_print(lua_State* L) {
    return log_wrapper(L, static_cast<int>(core::LogLevel::kNotice));
}

}  // namespace

void inject_log(lua_State* L) {
    static const struct {
        const char* name;
        core::LogLevel level;
    } kLevels[] = {
        {"STDERR", core::LogLevel::kStderr}, {"EMERG", core::LogLevel::kEmerg},
        {"ALERT", core::LogLevel::kAlert},   {"CRIT", core::LogLevel::kCrit},
        {"ERR", core::LogLevel::kError},     {"WARN", core::LogLevel::kWarn},
        {"NOTICE", core::LogLevel::kNotice}, {"INFO", core::LogLevel::kInfo},
        {"DEBUG", core::LogLevel::kDebug},
    };
    for (const auto& l : kLevels) {
        lua_pushinteger(L, static_cast<int>(l.level));
        lua_setfield(L, -2, l.name);
    }
    lua_pushcfunction(L, ngx_log);
    lua_setfield(L, -2, "log");
    lua_pushcfunction(L, lua_print);
    lua_setglobal(L, "print");
}

}  // namespace tycho::lua
