// require and dofile whose module code may yield: the Lua half (lua/tycho/require.lua) takes
// LuaJIT's steps; this file tells it which scheduler thread runs and whether one still lives.

#include <atomic>

#include <lua.hpp>

#include "core/log.h"
#include "lua/api_runtime.h"
#include "lua/api.h"
#include "lua/scheduler.h"
#include "lua/vm.h"

namespace tycho::lua {

namespace {

// The same in every VM (the embedded source is the binary's); written by each worker.
std::atomic<int> g_dofile_line{0};

// Registry key of tycho.require's forget().
char g_forget_key;

// thread_self(): the running scheduler thread's key, or nothing when no thread that may wait
// runs (init, filters, log, set_by_lua, a worker-thread VM).
int package_thread_self(lua_State* L) {
    WorkerRuntime* rt = current_runtime();
    if (rt == nullptr) {
        return 0;
    }
    const Context* ctx = rt->scheduler().current();
    const LuaThread* t = rt->scheduler().current_thread();
    if (ctx == nullptr || t == nullptr || (static_cast<uint32_t>(ctx->phase) & kYieldPhases) == 0) {
        return 0;
    }
    lua_pushnumber(L, static_cast<lua_Number>(Scheduler::thread_key(*t)));
    return 1;
}

// thread_alive(key)
int package_thread_alive(lua_State* L) {
    WorkerRuntime* rt = current_runtime();
    auto key = static_cast<uint64_t>(lua_tonumber(L, 1));
    lua_pushboolean(L, rt != nullptr && rt->scheduler().thread_alive(key) ? 1 : 0);
    return 1;
}

}  // namespace

int package_dofile_line() {
    return g_dofile_line.load(std::memory_order_relaxed);
}

void inject_package(lua_State* L) {
    require_embedded(L, "tycho.require");
    lua_getfield(L, -1, "install");
    lua_getglobal(L, "require");
    lua_getglobal(L, "package");
    lua_getfield(L, LUA_REGISTRYINDEX, "_LOADED");
    lua_pushcfunction(L, package_thread_self);
    lua_pushcfunction(L, package_thread_alive);
    lua_call(L, 5, 3);
    lua_pushlightuserdata(L, &g_forget_key);
    lua_insert(L, -2);
    lua_rawset(L, LUA_REGISTRYINDEX);
    lua_Debug ar;
    lua_pushvalue(L, -1);
    if (lua_getinfo(L, ">S", &ar) != 0) {
        g_dofile_line.store(ar.linedefined, std::memory_order_relaxed);
    }
    lua_setglobal(L, "dofile");
    lua_setglobal(L, "require");
    lua_pop(L, 1);
}

void forget_file_modules(lua_State* L) {
    lua_pushlightuserdata(L, &g_forget_key);
    lua_rawget(L, LUA_REGISTRYINDEX);
    if (lua_pcall(L, 0, 0, 0) != 0) {
        core::log_errorf(core::LogLevel::kError, "failed to reset the loaded Lua modules: %s",
                         lua_tostring(L, -1));
        lua_pop(L, 1);
    }
}

}  // namespace tycho::lua
