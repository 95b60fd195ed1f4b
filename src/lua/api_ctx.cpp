// The `ngx` table's metatable: ngx.ctx (one table per request, shared by its phases,
// assignable), ngx.status (get/set with lua-nginx-module's rules) and, for reading,
// ngx.headers_sent and ngx.is_subrequest (api_header.cpp). Other keys are plain fields of the
// table. __index is Lua (lua/tycho/ctx.lua) with FFI fast paths; the C functions here make the
// first ngx.ctx table of a context and raise the errors.

#include <cstring>
#include <lua.hpp>

#include "core/log.h"
#include "lua/api.h"
#include "lua/api_runtime.h"
#include "lua/vm.h"

namespace tycho::lua {
namespace {

constexpr uint32_t kStatusSetPhases = Phase::kSet | Phase::kServerRewrite | Phase::kRewrite |
                                      Phase::kAccess | Phase::kContent | Phase::kHeaderFilter |
                                      Phase::kBodyFilter | Phase::kLog;

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
            if (ctx->phase == Phase::kInit) {
                return luaL_error(L, "no request found");
            }
            // lua-resty-core: timers and init_worker have a fake request without a connection,
            // and the error names the code that read ngx.status: level 2 here, past
            // ngx_index_headers (a C level, which lua/tycho/ctx.lua tail-called).
            luaL_where(L, 2);
            lua_pushliteral(L, "API disabled in the current context");
            lua_concat(L, 2);
            return lua_error(L);
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
    // __index and __newindex are lua/tycho/ctx.lua's functions, which fall back on the C
    // functions: ngx_index_headers (headers_sent, is_subrequest), then ngx_index (ctx,
    // status); ngx_newindex.
    require_embedded(L, "tycho.ctx");
    lua_pushcfunction(L, ngx_index);
    lua_pushcclosure(L, ngx_index_headers, 1);
    lua_pushcfunction(L, ngx_newindex);
    lua_call(L, 2, 2);
    lua_setfield(L, -3, "__newindex");
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
}

}  // namespace tycho::lua

// --- FFI half (lua/tycho/ctx.lua) ---------------------------------------------------------------

extern "C" {

// The registry reference of the running context's ngx.ctx table, or -1 when it has none yet
// or there is no context (the C __index then makes it, or raises with the right text).
int tycho_ffi_ctx_ref() noexcept {
    using namespace tycho::lua;
    const Context* ctx = current_context();
    return ctx != nullptr && ctx->ctx_ref > 0 ? ctx->ctx_ref : -1;
}

// ngx.headers_sent: 1 or 0, or -1 outside a request phase (the C __index raises then).
int tycho_ffi_headers_sent() noexcept {
    using namespace tycho::lua;
    const Context* ctx = current_context();
    if (ctx == nullptr || ctx->r == nullptr ||
        (static_cast<uint32_t>(ctx->phase) & kRequestPhases) == 0) {
        return -1;
    }
    return ctx->r->header_sent ? 1 : 0;
}

// ngx.status of the running request, or -1 outside a request (the C __index raises then).
int tycho_ffi_get_status() noexcept {
    using namespace tycho::lua;
    const Context* ctx = current_context();
    if (ctx == nullptr || ctx->r == nullptr) {
        return -1;
    }
    return ctx->r->err_status != 0 ? ctx->r->err_status : ctx->r->status;
}

}  // extern "C"
