// coroutine.create/resume/wrap/status/isyieldable for code that may block in ngx.* APIs: the
// wrappers live in lua/tycho/coroutine.lua; this file hands them the scheduler's sentinel.

#include <lua.hpp>

#include "lua/api.h"
#include "lua/api_runtime.h"
#include "lua/scheduler.h"
#include "lua/vm.h"

namespace tycho::lua {

namespace {

int light_thread_status(lua_State* L) {
    WorkerRuntime* rt = current_runtime();
    const char* s = rt != nullptr ? rt->scheduler().thread_status(L, 1) : nullptr;
    if (s == nullptr) {
        return 0;
    }
    lua_pushstring(L, s);
    return 1;
}

}  // namespace

void inject_coroutine(lua_State* L) {
    require_embedded(L, "tycho.coroutine");
    lua_getfield(L, -1, "install");
    lua_pushlightuserdata(L, scheduler_yield_sentinel());
    // The light-thread coroutines, weak-keyed: coroutine -> its scheduler record (a light
    // userdata) while it lives, false once it was waited for or killed.
    lua_createtable(L, 0, 0);
    lua_createtable(L, 0, 1);
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);
    lua_pushvalue(L, -1);
    int ref = luaL_ref(L, LUA_REGISTRYINDEX);
    if (WorkerRuntime* rt = current_runtime(); rt != nullptr) {
        rt->scheduler().set_light_threads_ref(ref);
    }
    lua_pushcfunction(L, light_thread_status);
    lua_createtable(L, 0, 1);  // the scheduler's guard: see Scheduler::set_coroutine_guard_ref
    lua_pushvalue(L, -1);
    int guard = luaL_ref(L, LUA_REGISTRYINDEX);
    if (WorkerRuntime* rt = current_runtime(); rt != nullptr) {
        rt->scheduler().set_coroutine_guard_ref(guard);
    }
    lua_call(L, 4, 0);
    lua_pop(L, 1);
}

}  // namespace tycho::lua
