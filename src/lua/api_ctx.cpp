// The `ngx` table's metatable: ngx.ctx (one table per request, shared by its phases,
// assignable) and ngx.status (get/set with lua-nginx-module's rules). Other keys are plain
// fields of the table.

#include <cstring>
#include <lua.hpp>

#include "core/log.h"
#include "lua/api_runtime.h"
#include "lua/vm.h"

namespace tycho::lua {
namespace {

constexpr uint32_t kStatusSetPhases = Phase::kSet | Phase::kRewrite | Phase::kAccess |
                                      Phase::kContent | Phase::kHeaderFilter | Phase::kBodyFilter |
                                      Phase::kLog;

// __index(ngx, key)
int ngx_index(lua_State* L) {
    size_t len = 0;
    const char* key = lua_tolstring(L, 2, &len);
    if (key == nullptr) {
        return 0;
    }
    if (len == 3 && std::memcmp(key, "ctx", 3) == 0) {
        Context* ctx = api_context(L);
        if (ctx->ctx_ref == LUA_NOREF) {
            lua_newtable(L);
            lua_pushvalue(L, -1);
            ctx->ctx_ref = luaL_ref(L, LUA_REGISTRYINDEX);
            return 1;
        }
        lua_rawgeti(L, LUA_REGISTRYINDEX, ctx->ctx_ref);
        return 1;
    }
    if (len == 6 && std::memcmp(key, "status", 6) == 0) {
        Context* ctx = api_context(L);
        http::Request* r = ctx->r;
        if (r == nullptr) {
            // lua-resty-core: timers and init_worker have a fake request without a connection.
            return luaL_error(L, ctx->phase == Phase::kInit ? "no request found"
                                                            : "API disabled in the current context");
        }
        lua_pushinteger(L, r->err_status != 0 ? r->err_status : r->status);
        return 1;
    }
    return 0;
}

// __newindex(ngx, key, value)
int ngx_newindex(lua_State* L) {
    size_t len = 0;
    const char* key = lua_tolstring(L, 2, &len);
    if (key != nullptr && lua_type(L, 2) == LUA_TSTRING) {
        if (len == 3 && std::memcmp(key, "ctx", 3) == 0) {
            Context* ctx = api_context(L);
            if (lua_type(L, 3) != LUA_TTABLE) {
                return luaL_error(L, "ctx should be a table while getting a %s",
                                  luaL_typename(L, 3));
            }
            lua_pushvalue(L, 3);
            if (ctx->ctx_ref == LUA_NOREF) {
                ctx->ctx_ref = luaL_ref(L, LUA_REGISTRYINDEX);
            } else {
                lua_rawseti(L, LUA_REGISTRYINDEX, ctx->ctx_ref);
            }
            return 0;
        }
        if (len == 6 && std::memcmp(key, "status", 6) == 0) {
            Context* ctx = api_context(L);
            // lua-resty-core's order: no request at all (init_by_lua*), then tonumber() and
            // the FFI's conversion to `int` (what tonumber() refuses, nil, fails it with
            // LuaJIT's text), then the context (timers: a fake request).
            if (ctx->r == nullptr && ctx->phase == Phase::kInit) {
                return luaL_error(L, "no request found");
            }
            if (lua_isnumber(L, 3) == 0) {
                return luaL_error(L,
                                  "bad argument #2 to 'ngx_http_lua_ffi_set_resp_status' "
                                  "(cannot convert 'nil' to 'int')");
            }
            if (ctx->r == nullptr) {
                return luaL_error(L, "API disabled in the current context");
            }
            http::Request* r = ctx->r;
            api_check_phase(L, ctx, kStatusSetPhases);
            if (r->header_sent) {
                constexpr char kMsg[] =
                    "attempt to set ngx.status after sending out response headers";
                log_for(ctx, static_cast<int>(core::LogLevel::kError), kMsg, sizeof(kMsg) - 1);
                return 0;
            }
            r->status = static_cast<int>(lua_tointeger(L, 3));
            r->err_status = 0;
            return 0;
        }
    }
    lua_rawset(L, 1);
    return 0;
}

}  // namespace

void inject_ctx(lua_State* L) {
    lua_createtable(L, 0, 2);
    lua_pushcfunction(L, ngx_index);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, ngx_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_setmetatable(L, -2);
}

}  // namespace tycho::lua
