// ngx.thread.spawn / wait / kill and ngx.defer: thin bindings over the scheduler, which owns
// light threads and deferred functions (their semantics live in scheduler.cpp).

#include <lua.hpp>

#include "core/log.h"
#include "lua/api.h"
#include "lua/api_runtime.h"
#include "lua/vm.h"

namespace tycho::lua {
namespace {

int ngx_thread_spawn(lua_State* L) {
    return current_runtime()->scheduler().spawn(L);
}

int ngx_thread_wait(lua_State* L) {
    return current_runtime()->scheduler().wait_threads(L);
}

int ngx_thread_kill(lua_State* L) {
    return current_runtime()->scheduler().kill_thread(L);
}

int ngx_on_abort(lua_State* L) {
    return current_runtime()->scheduler().on_abort(L);
}

int ngx_defer(lua_State* L) {
    return current_runtime()->scheduler().add_defer(L);
}

// tycho.defer's logger: one [error] line for the running context (timer or request).
int defer_log_error(lua_State* L) {
    size_t len = 0;
    const char* msg = luaL_checklstring(L, 1, &len);
    const Context* ctx = current_context();
    log_for(ctx, static_cast<int>(core::LogLevel::kError), msg, len);
    return 0;
}

}  // namespace

void inject_thread(lua_State* L) {
    lua_createtable(L, 0, 3);
    lua_pushcfunction(L, ngx_thread_spawn);
    lua_setfield(L, -2, "spawn");
    lua_pushcfunction(L, ngx_thread_wait);
    lua_setfield(L, -2, "wait");
    lua_pushcfunction(L, ngx_thread_kill);
    lua_setfield(L, -2, "kill");
    lua_setfield(L, -2, "thread");
    lua_pushcfunction(L, ngx_defer);
    lua_setfield(L, -2, "defer");
    lua_pushcfunction(L, ngx_on_abort);
    lua_setfield(L, -2, "on_abort");
    require_embedded(L, "tycho.defer");
    lua_pushcfunction(L, defer_log_error);
    lua_setfield(L, -2, "log_error");
    lua_pop(L, 1);
}

}  // namespace tycho::lua
