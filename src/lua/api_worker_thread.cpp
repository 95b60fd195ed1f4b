// ngx.run_worker_thread(threadpool, module, func, ...), after lua-nginx-module 0.10.23: runs
// module.func(...) in a Lua VM of its own on a thread of a `thread_pool`, while the calling
// coroutine waits; the results come back as `true, results...`, a failure as `false, err`.
// Arguments and results are copied between the VMs (nil, booleans, numbers, strings, light
// userdata and tables of those; no cycles: at most 100 tables deep).
//
// Each worker keeps up to lua_worker_thread_vm_pool_size such VMs (a worker thread here is an
// nginx worker process there). A VM has the standard libraries, the worker VM's package paths
// at its creation, and an `ngx` table with what needs no request: the string codecs, time,
// ngx.re, ngx.shared, ngx.config and get_phase ("init"). It is used by one thread at a time:
// the worker while it loads the module and copies the arguments, then the pool's thread, then
// the worker again for the results. The module is loaded with `require` in that VM, so it is
// loaded once per VM; globals persist between the tasks a VM runs.

#include <lua.hpp>

#include <cstdio>
#include <string>
#include <vector>

#include "core/clock.h"
#include "event/thread_pool.h"
#include "lua/api.h"
#include "lua/api_runtime.h"
#include "lua/vm.h"

namespace tycho::lua {
namespace {

constexpr int kMaxTableDepth = 100;  // lua-nginx-module's
// A worker-thread VM. `zones` keeps the worker's dicts alive while a task that outlives its
// worker (a fast stop) still runs.
struct TaskVm {
    lua_State* L = nullptr;
    std::vector<std::shared_ptr<shdict::Zone>> zones;
    TaskVm() = default;
    TaskVm(const TaskVm&) = delete;
    TaskVm& operator=(const TaskVm&) = delete;
    ~TaskVm() {
        if (L != nullptr) {
            lua_close(L);
        }
    }
};

// The worker's VMs: the idle ones, and how many exist (idle or in a task).
struct VmPool {
    std::vector<TaskVm*> idle;
    size_t count = 0;
};
thread_local VmPool t_vms;
thread_local const std::vector<std::shared_ptr<shdict::Zone>>* t_task_zones = nullptr;

struct Task {
    TaskVm* vm;
    int nargs;
    int rc = 0;
    // The waiting thread, on the worker thread only; null once it stopped waiting.
    LuaThread* owner;
    uint32_t generation;
    // The worker's cached time at the call: the task's clock (nginx's threads share one cached
    // time), so an expiry a task sets is as far from the worker's now as the one it asked for.
    int64_t now_ms;
};

const char* type_label(int type) {
    switch (type) {
        case LUA_TFUNCTION:
            return "LUA_TFUNCTION";
        case LUA_TUSERDATA:
            return "LUA_TUSERDATA";
        case LUA_TTHREAD:
            return "LUA_TTHREAD";
        default:
            return "LUA_TNONE";
    }
}

// Pushes a copy of `from`'s value at `idx` on `to`. `level` counts the tables around it. False
// with the reason in *err for what cannot cross (functions, userdata, coroutines, a table
// nested kMaxTableDepth deep, which any cycle is).
bool copy_value(lua_State* from, lua_State* to, int idx, int level, std::string* err) {
    if (!lua_checkstack(to, 3) || !lua_checkstack(from, 3)) {
        *err = "no memory";
        return false;
    }
    int type = lua_type(from, idx);
    switch (type) {
        case LUA_TNIL:
            lua_pushnil(to);
            return true;
        case LUA_TBOOLEAN:
            lua_pushboolean(to, lua_toboolean(from, idx));
            return true;
        case LUA_TNUMBER:
            lua_pushnumber(to, lua_tonumber(from, idx));
            return true;
        case LUA_TLIGHTUSERDATA:
            lua_pushlightuserdata(to, lua_touserdata(from, idx));
            return true;
        case LUA_TSTRING: {
            size_t len;
            const char* s = lua_tolstring(from, idx, &len);
            lua_pushlstring(to, s, len);
            return true;
        }
        case LUA_TTABLE: {
            if (level + 1 >= kMaxTableDepth) {
                *err = "suspicious circular references, table depth exceed max depth: " +
                       std::to_string(kMaxTableDepth);
                return false;
            }
            int abs = idx > 0 ? idx : lua_gettop(from) + idx + 1;
            lua_newtable(to);
            lua_pushnil(from);
            while (lua_next(from, abs) != 0) {
                if (!copy_value(from, to, -2, level + 1, err) ||
                    !copy_value(from, to, -1, level + 1, err)) {
                    lua_pop(from, 2);
                    return false;
                }
                lua_rawset(to, -3);
                lua_pop(from, 1);
            }
            return true;
        }
        default:
            *err = std::string("unsupported Lua type: ") + type_label(type);
            return false;
    }
}

int build_task_ngx(lua_State* L) {
    auto* prefix = static_cast<const std::string*>(lua_touserdata(L, 1));
    lua_settop(L, 0);
    lua_createtable(L, 0, 32);
    inject_string(L);
    inject_time(L);
    inject_regex(L);
    inject_shdict(L);
    inject_phase(L);
    inject_worker(L);
    lua_pushnil(L);
    lua_setfield(L, -2, "worker");  // no worker here
    // ngx.config.prefix() without a runtime to ask: the worker's prefix, fixed.
    lua_getfield(L, -1, "config");
    lua_pushlstring(L, prefix->data(), prefix->size());
    lua_pushcclosure(
        L,
        [](lua_State* co) {
            lua_pushvalue(co, lua_upvalueindex(1));
            return 1;
        },
        1);
    lua_setfield(L, -2, "prefix");
    lua_pop(L, 1);
    publish_ngx(L);
    return 0;
}

// A VM made on the worker thread (inject_shdict finds the worker's dicts there).
TaskVm* new_vm(lua_State* worker_L, WorkerRuntime& rt) {
    lua_State* L = luaL_newstate();
    if (L == nullptr) {
        return nullptr;
    }
    auto* vm = new TaskVm;
    vm->L = L;
    vm->zones = rt.conf().shared_dicts;
    luaL_openlibs(L);
    lua_getglobal(worker_L, "package");
    lua_getglobal(L, "package");
    for (const char* field : {"path", "cpath"}) {
        lua_getfield(worker_L, -1, field);
        size_t len = 0;
        const char* s = lua_tolstring(worker_L, -1, &len);
        if (s != nullptr) {
            lua_pushlstring(L, s, len);
            lua_setfield(L, -2, field);
        }
        lua_pop(worker_L, 1);
    }
    lua_pop(worker_L, 1);
    lua_pop(L, 1);
    install_embedded_preload(L);
    std::string prefix = rt.conf().prefix;
    if (lua_cpcall(L, build_task_ngx, &prefix) != 0) {
        core::log_errorf(core::LogLevel::kError, "failed to build a worker thread's Lua VM: %s",
                         lua_tostring(L, -1));
        delete vm;
        return nullptr;
    }
    lua_settop(L, 0);
    return vm;
}

TaskVm* acquire_vm(lua_State* L, WorkerRuntime& rt) {
    if (!t_vms.idle.empty()) {
        TaskVm* vm = t_vms.idle.back();
        t_vms.idle.pop_back();
        return vm;
    }
    if (t_vms.count >= static_cast<size_t>(rt.conf().worker_thread_vm_pool_size)) {
        return nullptr;
    }
    TaskVm* vm = new_vm(L, rt);
    if (vm != nullptr) {
        t_vms.count++;
    }
    return vm;
}

void release_vm(TaskVm* vm) {
    lua_settop(vm->L, 0);
    t_vms.idle.push_back(vm);
}

int fail(lua_State* L, const char* msg, size_t len) {
    lua_pushboolean(L, 0);
    lua_pushlstring(L, msg, len);
    return 2;
}

int fail(lua_State* L, const std::string& msg) {
    return fail(L, msg.data(), msg.size());
}

// On a thread of the pool.
void run_task(void* data) {
    auto* task = static_cast<Task*>(data);
    core::set_cached_time(task->now_ms);  // this thread's clock for ngx.now() and shdict TTLs
    t_task_zones = &task->vm->zones;
    task->rc = lua_pcall(task->vm->L, task->nargs, LUA_MULTRET, 0);
    t_task_zones = nullptr;
}

// Back on the worker thread (or, dropped, on the pool's thread when the worker is gone).
void task_done(void* data, bool dropped) {
    auto* task = static_cast<Task*>(data);
    if (dropped) {
        delete task->vm;
        delete task;
        return;
    }
    TaskVm* vm = task->vm;
    LuaThread* t = task->owner;
    WorkerRuntime* rt = current_runtime();
    if (t == nullptr || t->generation != task->generation || t->wait.data != task ||
        rt == nullptr) {
        release_vm(vm);
        delete task;
        return;
    }
    lua_State* co = t->co;
    int base = lua_gettop(co);
    int nresults;
    if (task->rc != 0) {
        size_t len = 0;
        const char* s = lua_tolstring(vm->L, -1, &len);
        lua_pushboolean(co, 0);
        lua_pushlstring(co, s != nullptr ? s : "", s != nullptr ? len : 0);
        nresults = 2;
    } else {
        int n = lua_gettop(vm->L);
        lua_checkstack(co, n + 2);
        lua_pushboolean(co, 1);
        nresults = n + 1;
        std::string err;
        for (int i = 1; i <= n; i++) {
            if (!copy_value(vm->L, co, i, 0, &err)) {
                lua_settop(co, base);
                lua_pushboolean(co, 0);
                err += " in the return value";
                lua_pushlstring(co, err.data(), err.size());
                nresults = 2;
                break;
            }
        }
    }
    release_vm(vm);
    delete task;
    t->wait = {};
    rt->scheduler().resume(*t, nresults);
}

// The waiting thread was killed or its context ended: the task runs on, its results go.
void cancel_task(void* data) {
    static_cast<Task*>(data)->owner = nullptr;
}

int ngx_run_worker_thread(lua_State* L) {
    Context* ctx = api_context(L);
    api_check_phase(L, ctx, kYieldPhases);
    WorkerRuntime* rt = current_runtime();
    LuaThread* t = rt->scheduler().current_thread();
    if (t == nullptr) {
        return luaL_error(L, "no co ctx found");
    }
    int n = lua_gettop(L);
    if (n < 3) {
        return fail(L, std::string("expecting at least 3 arguments"));
    }
    size_t pool_len = 0;
    const char* pool_name = lua_tolstring(L, 1, &pool_len);
    if (pool_name == nullptr) {
        return fail(L, std::string("threadpool should be a string"));
    }
    event::ThreadPool* pool = event::ThreadPool::find(std::string_view(pool_name, pool_len));
    if (pool == nullptr) {
        return fail(L, "thread pool " + std::string(pool_name, pool_len) + " not found");
    }
    size_t mod_len = 0;
    const char* mod = lua_tolstring(L, 2, &mod_len);
    if (mod == nullptr) {
        return fail(L, std::string("module name should be a string"));
    }
    const char* func = lua_tostring(L, 3);
    if (func == nullptr) {
        return fail(L, std::string("function name should be a string"));
    }
    TaskVm* vm = acquire_vm(L, *rt);
    if (vm == nullptr) {
        return fail(L, std::string("no available Lua vm"));
    }
    lua_State* V = vm->L;
    lua_getglobal(V, "require");
    lua_pushlstring(V, mod, mod_len);
    if (lua_pcall(V, 1, 1, 0) != 0) {
        size_t len = 0;
        const char* err = lua_tolstring(V, -1, &len);
        lua_pushboolean(L, 0);
        lua_pushlstring(L, err != nullptr ? err : "", err != nullptr ? len : 0);
        release_vm(vm);
        return 2;
    }
    if (!lua_istable(V, -1)) {
        release_vm(vm);
        return fail(L, std::string("invalid lua module"));
    }
    lua_getfield(V, -1, func);
    if (!lua_isfunction(V, -1)) {
        release_vm(vm);
        return fail(L, std::string("invalid function"));
    }
    lua_remove(V, -2);
    std::string err;
    for (int i = 4; i <= n; i++) {
        if (!copy_value(L, V, i, 0, &err)) {
            release_vm(vm);
            return fail(L, err + " in the argument");
        }
    }
    auto* task = new Task{vm, n - 3, 0, t, t->generation, core::cached_time().msec};
    if (!pool->post(run_task, rt->inbox(), task_done, task)) {
        release_vm(vm);
        delete task;
        return fail(L, std::string("ngx_thread_task_post failed"));
    }
    t->wait = Wait{cancel_task, task};
    return yield_to_scheduler(L);
}

}  // namespace

const std::vector<std::shared_ptr<shdict::Zone>>* task_zones() {
    return t_task_zones;
}

void inject_worker_thread(lua_State* L) {
    lua_pushcfunction(L, ngx_run_worker_thread);
    lua_setfield(L, -2, "run_worker_thread");
}

void release_worker_thread_vms() {
    for (TaskVm* vm : t_vms.idle) {
        delete vm;
    }
    t_vms.idle.clear();
    t_vms.count = 0;  // those in a task close as their task ends (dropped)
}

}  // namespace tycho::lua
