// ngx.arg: the arguments of set_by_lua* (ngx.arg[n]) and the body piece of
// body_filter_by_lua* (ngx.arg[1] data, ngx.arg[2] eof, both assignable), after
// lua-nginx-module's ngx_http_lua_param_get / ngx_http_lua_body_filter_param_set.

#include <lua.hpp>
#include <string>

#include "lua/api_runtime.h"

namespace tycho::lua {
namespace {

// Appends the strings and numbers of table `idx` (array part, nested tables flattened) to
// `out`, or raises as lua-nginx-module's strict ngx_http_lua_calc_strlen_in_table does.
void append_table(lua_State* L, int idx, std::string& out, int depth) {
    if (depth > 100) {
        luaL_error(L, "table too deep");
    }
    int n = static_cast<int>(lua_objlen(L, idx));
    for (int i = 1; i <= n; i++) {
        lua_rawgeti(L, idx, i);
        switch (lua_type(L, -1)) {
            case LUA_TSTRING:
            case LUA_TNUMBER: {
                size_t len = 0;
                const char* s = lua_tolstring(L, -1, &len);
                out.append(s, len);
                break;
            }
            case LUA_TTABLE:
                append_table(L, lua_gettop(L), out, depth + 1);
                break;
            default:
                luaL_error(L, "bad argument #3 to '?' (bad data type %s found)",
                           luaL_typename(L, -1));
                return;
        }
        lua_pop(L, 1);
    }
}

// __index(ngx.arg, key)
int ngx_arg_get(lua_State* L) {
    Context* ctx = api_context(L);
    if (ctx->phase != Phase::kSet && ctx->phase != Phase::kBodyFilter) {
        // lua-resty-core's resty.core.param text.
        return luaL_error(L, "API disabled in the current context");
    }
    int idx = static_cast<int>(luaL_checkinteger(L, 2));
    if (ctx->phase == Phase::kSet) {
        const std::vector<std::string>* args = ctx->set_args;
        // An empty argument reads as nil, as through lua-resty-core.
        if (args == nullptr || idx < 1 || static_cast<size_t>(idx) > args->size() ||
            (*args)[static_cast<size_t>(idx - 1)].empty()) {
            lua_pushnil(L);
            return 1;
        }
        const std::string& v = (*args)[static_cast<size_t>(idx - 1)];
        lua_pushlstring(L, v.data(), v.size());
        return 1;
    }
    if (idx == 1 && ctx->filter_data != nullptr) {
        lua_pushlstring(L, ctx->filter_data->data(), ctx->filter_data->size());
        return 1;
    }
    if (idx == 2 && ctx->filter_eof != nullptr) {
        lua_pushboolean(L, *ctx->filter_eof ? 1 : 0);
        return 1;
    }
    lua_pushnil(L);
    return 1;
}

// __newindex(ngx.arg, key, value)
int ngx_arg_set(lua_State* L) {
    Context* ctx = api_context(L);
    api_check_phase(L, ctx, static_cast<uint32_t>(Phase::kBodyFilter));
    int idx = static_cast<int>(luaL_checkinteger(L, 2));
    if (ctx->filter_data == nullptr || ctx->filter_eof == nullptr) {
        return 0;
    }
    if (idx == 2) {
        // Ending the body early drops what follows; un-ending the real end is not possible
        // (the response could never finish), so false only clears an early end.
        *ctx->filter_eof = lua_toboolean(L, 3) != 0;
        return 0;
    }
    if (idx != 1) {
        return luaL_error(L, "bad index: %d", idx);
    }
    switch (lua_type(L, 3)) {
        case LUA_TNIL:
            ctx->filter_data->clear();
            return 0;
        case LUA_TSTRING:
        case LUA_TNUMBER: {
            size_t len = 0;
            const char* s = lua_tolstring(L, 3, &len);
            ctx->filter_data->assign(s, len);
            return 0;
        }
        case LUA_TTABLE: {
            std::string out;
            append_table(L, 3, out, 0);
            *ctx->filter_data = std::move(out);
            return 0;
        }
        default:
            return luaL_error(L, "bad chunk data type: %s", luaL_typename(L, 3));
    }
}

}  // namespace

void inject_arg(lua_State* L) {
    lua_createtable(L, 0, 0);
    lua_createtable(L, 0, 2);
    lua_pushcfunction(L, ngx_arg_get);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, ngx_arg_set);
    lua_setfield(L, -2, "__newindex");
    lua_setmetatable(L, -2);
    lua_setfield(L, -2, "arg");
}

}  // namespace tycho::lua
