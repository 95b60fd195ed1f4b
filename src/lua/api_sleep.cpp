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

struct SleepWait {
    uv_timer_t timer;
    LuaThread* thread;
    uint32_t generation;
};

void close_sleep(SleepWait* w) {
    uv_timer_stop(&w->timer);
    uv_close(reinterpret_cast<uv_handle_t*>(&w->timer),
             [](uv_handle_t* h) { delete static_cast<SleepWait*>(h->data); });
}

void cancel_sleep(void* data) {
    close_sleep(static_cast<SleepWait*>(data));
}

void on_sleep_timer(uv_timer_t* timer) {
    auto* w = static_cast<SleepWait*>(timer->data);
    LuaThread* t = w->thread;
    bool current = t->generation == w->generation && t->wait.data == w;
    close_sleep(w);
    if (!current) {
        return;
    }
    t->wait = {};
    WorkerRuntime* rt = current_runtime();
    if (rt != nullptr) {
        rt->scheduler().resume(*t, 0);
    }
}

int ngx_sleep(lua_State* L) {
    int n = lua_gettop(L);
    if (n != 1) {
        return luaL_error(L, "attempt to pass %d arguments, but accepted 1", n);
    }
    Context* ctx = api_context(L);
    api_check_phase(L, ctx, kSleepPhases);
    auto delay = static_cast<int64_t>(luaL_checknumber(L, 1) * 1000);
    if (delay < 0) {
        return luaL_error(L, "invalid sleep duration \"%d\"", static_cast<int>(delay));
    }
    Scheduler& sched = current_runtime()->scheduler();
    LuaThread* t = sched.current_thread();
    if (t == nullptr) {
        return luaL_error(L, "no co ctx found");
    }
    if (delay == 0) {
        sched.post_delayed(*t);
        return yield_to_scheduler(L);
    }
    auto* w = new SleepWait;
    uv_timer_init(sched.loop(), &w->timer);
    w->timer.data = w;
    w->thread = t;
    w->generation = t->generation;
    uv_timer_start(&w->timer, on_sleep_timer, static_cast<uint64_t>(delay), 0);
    t->wait = Wait{cancel_sleep, w};
    return yield_to_scheduler(L);
}

}  // namespace

void inject_sleep(lua_State* L) {
    lua_pushcfunction(L, ngx_sleep);
    lua_setfield(L, -2, "sleep");
}

}  // namespace tycho::lua
