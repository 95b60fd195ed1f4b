// ngx.sleep: the yield protocol of lua-nginx-module's ngx_http_lua_sleep.c. The binding records
// the wait (a timer, or a posted resume for 0) with its cancel hook in the context and yields;
// the timer callback hands the coroutine back to the scheduler.

#include <uv.h>

#include <cstdint>
#include <lua.hpp>

#include "lua/api_runtime.h"
#include "lua/vm.h"

namespace tycho::lua {
namespace {

constexpr uint32_t kSleepPhases =
    Phase::kRewrite | Phase::kAccess | Phase::kContent | Phase::kTimer;

// A sleep's timer comes from the scheduler's pool and names the sleeping thread; the thread's
// wait points back at the timer while it sleeps. Killing the thread cancels the wait (which
// gives the timer back), so a timer never fires for a thread that stopped sleeping.
void cancel_sleep(void* data) {
    auto* timer = static_cast<WaitTimer*>(data);
    timer->owner->give_timer(timer);
}

void on_sleep_timer(uv_timer_t* handle) {
    auto* timer = static_cast<WaitTimer*>(handle->data);
    Scheduler& sched = *timer->owner;
    LuaThread* t = timer->thread;
    sched.give_timer(timer);
    if (t == nullptr || t->wait.data != timer) {
        return;
    }
    t->wait = {};
    // Timers due before this wake-up run first, as in nginx (a sleep's timer is one of them).
    uint32_t generation = t->generation;
    current_runtime()->timers().run_due();
    if (t->generation == generation) {
        sched.resume(*t, 0);
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
    api_check_phase(L, ctx, kSleepPhases);
    Scheduler& sched = current_runtime()->scheduler();
    LuaThread* t = sched.current_thread();
    if (t == nullptr) {
        return luaL_error(L, "no co ctx found");
    }
    if (delay == 0) {
        sched.post_delayed(*t);
        return yield_to_scheduler(L);
    }
    WaitTimer* timer = sched.take_timer();
    timer->thread = t;
    uv_timer_start(&timer->handle, on_sleep_timer, static_cast<uint64_t>(delay), 0);
    t->wait = Wait{cancel_sleep, timer};
    return yield_to_scheduler(L);
}

}  // namespace

void inject_sleep(lua_State* L) {
    lua_pushcfunction(L, ngx_sleep);
    lua_setfield(L, -2, "sleep");
}

}  // namespace tycho::lua
