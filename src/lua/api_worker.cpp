// ngx.worker (id, count, pid, exiting) and ngx.config (prefix, nginx_version, ngx_lua_version,
// subsystem, debug, nginx_configure), after lua-nginx-module's ngx_http_lua_worker.c and
// ngx_http_lua_config.c. Tycho's workers are threads: pid() is the worker thread's kernel tid
// (the #TID of its log lines), the per-worker identity libraries expect (DESIGN.md §3).

#include <unistd.h>

#include <lua.hpp>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "core/log.h"
#include "lua/api.h"
#include "lua/api_runtime.h"
#include "lua/vm.h"

namespace tycho::lua {
namespace {

// The versions whose behaviour Tycho follows (lua-resty-core checks ngx_lua_version).
constexpr int kNginxVersion = 1022001;
constexpr int kNgxLuaVersion = 10023;

thread_local int t_worker_count = 1;
std::string g_configure_arguments;  // written once before workers start

// ngx.worker.pids(): the kernel thread ids (ngx.worker.pid()) of the workers running, in worker
// id order, as lua-nginx-module lists its worker processes' pids.
std::mutex g_pids_mu;
std::map<std::pair<int, int>, int>& live_workers() {  // (worker id, tid) -> tid
    static auto* m = new std::map<std::pair<int, int>, int>;
    return *m;
}

int ngx_worker_pids(lua_State* L) {
    std::vector<int> tids;
    {
        std::lock_guard<std::mutex> lock(g_pids_mu);
        for (const auto& [key, tid] : live_workers()) {
            tids.push_back(tid);
        }
    }
    lua_createtable(L, static_cast<int>(tids.size()), 0);
    for (size_t i = 0; i < tids.size(); i++) {
        lua_pushinteger(L, tids[i]);
        lua_rawseti(L, -2, static_cast<int>(i + 1));
    }
    return 1;
}

int ngx_config_prefix(lua_State* L) {
    WorkerRuntime* rt = current_runtime();
    if (rt == nullptr) {
        lua_pushliteral(L, "");
        return 1;
    }
    const std::string& prefix = rt->conf().prefix;
    lua_pushlstring(L, prefix.data(), prefix.size());
    return 1;
}

int ngx_config_nginx_configure(lua_State* L) {
    // nginx returns NGX_CONFIGURE, which starts with a space.
    std::string text = " " + g_configure_arguments;
    lua_pushlstring(L, text.data(), text.size());
    return 1;
}

// package.preload["tycho.process_c"]: what lua/ngx/process.lua needs from C, without an
// ffi.cdef of getpid that could clash with the application's own.
int open_process_c(lua_State* L) {
    lua_createtable(L, 0, 1);
    lua_pushinteger(L, static_cast<lua_Integer>(::getpid()));
    lua_setfield(L, -2, "master_pid");
    return 1;
}

}  // namespace

void set_worker_count(int count) {
    t_worker_count = count > 0 ? count : 1;
}

int worker_count() {
    return t_worker_count;
}

void set_configure_arguments(const std::string& text) {
    g_configure_arguments = text;
}

const std::string& configure_arguments() {
    return g_configure_arguments;
}

void inject_worker(lua_State* L) {
    require_embedded(L, "tycho.worker");
    lua_pushcfunction(L, ngx_worker_pids);
    lua_setfield(L, -2, "pids");
    lua_setfield(L, -2, "worker");

    lua_createtable(L, 0, 6);
    lua_pushcfunction(L, ngx_config_prefix);
    lua_setfield(L, -2, "prefix");
    lua_pushinteger(L, kNginxVersion);
    lua_setfield(L, -2, "nginx_version");
    lua_pushinteger(L, kNgxLuaVersion);
    lua_setfield(L, -2, "ngx_lua_version");
    lua_pushliteral(L, "http");
    lua_setfield(L, -2, "subsystem");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "debug");
    lua_pushcfunction(L, ngx_config_nginx_configure);
    lua_setfield(L, -2, "nginx_configure");
    lua_setfield(L, -2, "config");

    lua_getglobal(L, "package");
    lua_getfield(L, -1, "preload");
    lua_pushcfunction(L, open_process_c);
    lua_setfield(L, -2, "tycho.process_c");
    lua_pop(L, 2);
}

void register_worker_pid(int worker_id, bool live) {
    std::lock_guard<std::mutex> lock(g_pids_mu);
    int tid = core::current_tid();
    if (live) {
        live_workers()[{worker_id, tid}] = tid;
    } else {
        live_workers().erase({worker_id, tid});
    }
}

}  // namespace tycho::lua

// --- FFI halves (lua/tycho/worker.lua) ---------------------------------------------------------

extern "C" {

int tycho_ffi_worker_id() noexcept {
    tycho::lua::WorkerRuntime* rt = tycho::lua::current_runtime();
    return rt != nullptr ? rt->worker_id() : -1;
}

int tycho_ffi_worker_count() noexcept {
    return tycho::lua::worker_count();
}

int tycho_ffi_worker_pid() noexcept {
    return static_cast<int>(tycho::core::current_tid());
}

int tycho_ffi_worker_exiting() noexcept {
    tycho::lua::WorkerRuntime* rt = tycho::lua::current_runtime();
    return rt != nullptr && rt->exiting() ? 1 : 0;
}

}  // extern "C"
