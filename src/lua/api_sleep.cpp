// ngx.sleep: the yield protocol of lua-nginx-module's ngx_http_lua_sleep.c. The binding records
// the wait (a timer, or a delayed resume for 0) with its cancel hook in the thread and yields;
// the timer callback hands the coroutine back to the scheduler.

#include <cstdint>
#include <lua.hpp>

#include "event/timer_queue.h"
#include "lua/api_runtime.h"
#include "lua/timers.h"
#include "lua/vm.h"

namespace tycho::lua {
namespace {

// A sleep is an entry in the worker's wait queue (TimerService::wait_queue), which runs in one
// deadline order with ngx.timer's timers, as nginx's single timer tree does. The thread's wait
// holds the entry's handle: killing the thread cancels it, so it never fires for a thread that
// stopped sleeping.
void cancel_sleep(void* data) {
    WorkerRuntime* rt = current_runtime();
    if (TimerService* ts = rt != nullptr ? rt->timer_service() : nullptr; ts != nullptr) {
        ts->wait_queue().cancel(event::TimerId{reinterpret_cast<uintptr_t>(data)});
    }
}

void on_sleep_done(void* data, uint64_t generation, bool) noexcept {
    auto* t = static_cast<LuaThread*>(data);
    if (t->generation != generation || t->wait.cancel != cancel_sleep) {
        return;
    }
    t->wait = {};
    if (WorkerRuntime* rt = current_runtime(); rt != nullptr) {
        rt->scheduler().resume(*t, 0);
    }
}

int ngx_sleep(lua_State* L) {
    int n = lua_gettop(L);
    if (n != 1) {
        return luaL_error(L, "attempt to pass %d arguments, but accepted 1", n);
    }
    Context* ctx = api_context(L);
    // lua-nginx-module checks the argument before the context.
    auto delay = static_cast<int64_t>(luaL_checknumber(L, 1) * 1000);
    if (delay < 0) {
        return luaL_error(L, "invalid sleep duration \"%d\"", static_cast<int>(delay));
    }
    api_check_phase(L, ctx, kYieldPhases);
    Scheduler& sched = current_runtime()->scheduler();
    LuaThread* t = sched.current_thread();
    if (t == nullptr) {
        return luaL_error(L, "no co ctx found");
    }
    if (delay == 0) {
        sched.post_delayed(*t);
        return yield_to_scheduler(L);
    }
    event::TimerId id = current_runtime()->timers().wait_queue().add(
        static_cast<uint64_t>(delay), on_sleep_done, t, t->generation);
    if (!id) {
        return luaL_error(L, "no memory");
    }
    static_assert(sizeof(uintptr_t) >= sizeof(id.value));
    t->wait = Wait{cancel_sleep, reinterpret_cast<void*>(static_cast<uintptr_t>(id.value))};
    return yield_to_scheduler(L);
}

}  // namespace

void inject_sleep(lua_State* L) {
    lua_pushcfunction(L, ngx_sleep);
    lua_setfield(L, -2, "sleep");
}

}  // namespace tycho::lua
