// ngx.semaphore (lua/ngx/semaphore.lua over FFI), after lua-nginx-module's ngx_http_lua_semaphore.c
// and seed 002: a per-worker counter with a FIFO queue of waiting threads. post() never resumes
// anyone synchronously: it adds the resources and posts the semaphore's event, which the
// scheduler runs after the current resume; the event hands the resources to the waiters in
// queue order, resuming each in turn. Until then a wait(0) fails and a wait(t) queues behind
// them (the queue keeps its order), and a waiter killed meanwhile takes nothing with it. A wait
// with a timeout holds one entry in the worker's timer queue; a waiter whose thread is killed
// or whose request ends leaves the queue through its cancel hook.
//
// A shared semaphore (the `shared(name, n)` extension) is the same Lua object over an
// event::SharedSemaphore: its units and queue are the process's, its grants reach this worker
// through the worker's Inbox (event/shared_semaphore.h has the protocol).

#include <lua.hpp>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "event/inbox.h"
#include "event/shared_semaphore.h"
#include "event/timer_queue.h"
#include "lua/api_runtime.h"
#include "lua/timers.h"
#include "lua/vm.h"

namespace tycho::lua {
namespace {

struct Semaphore;

struct Waiter {
    LuaThread* thread = nullptr;
    uint32_t generation = 0;
    uint32_t seq = 0;       // distinguishes uses of a recycled record
    uint32_t wait_ms = 0;   // the timeout, armed before the loop polls (arm_waiters)
    Semaphore* sem = nullptr;
    event::TimerId timer;
    Waiter* next = nullptr;
    Waiter* prev = nullptr;
};

struct Semaphore {
    event::SharedSemaphore* shared = nullptr;  // set: a proxy; the fields below are unused
    int64_t resources = 0;
    int64_t waiting = 0;
    Waiter* head = nullptr;
    Waiter* tail = nullptr;
    bool collected = false;  // the Lua object is gone; freed when the last waiter leaves
    bool event_posted = false;  // on_event is queued: the semaphore must outlive it
    bool in_event = false;      // on_event is running
};

// Waiter records are recycled per worker thread (a VM never migrates between threads).
thread_local Waiter* t_free_waiters = nullptr;
thread_local uint32_t t_waiter_seq = 0;

// Waiters whose timeout is not armed yet, with the seq they had when queued.
struct Unarmed {
    Waiter* w;
    uint32_t seq;
};
thread_local std::vector<Unarmed> t_unarmed;

Waiter* new_waiter() {
    Waiter* w = t_free_waiters;
    if (w != nullptr) {
        t_free_waiters = w->next;
        *w = Waiter{};
    } else {
        w = new Waiter;
    }
    w->seq = ++t_waiter_seq;
    return w;
}

void free_waiter(Waiter* w) {
    w->thread = nullptr;
    w->seq = 0;
    w->next = t_free_waiters;
    t_free_waiters = w;
}

void unlink(Waiter* w) {
    Semaphore* s = w->sem;
    if (w->prev != nullptr) {
        w->prev->next = w->next;
    } else {
        s->head = w->next;
    }
    if (w->next != nullptr) {
        w->next->prev = w->prev;
    } else {
        s->tail = w->prev;
    }
    w->next = w->prev = nullptr;
    s->waiting--;
}

void maybe_free(Semaphore* s) {
    if (s->collected && s->waiting == 0 && !s->event_posted && !s->in_event) {
        delete s;
    }
}

event::TimerQueue* queue() {
    WorkerRuntime* rt = current_runtime();
    TimerService* ts = rt != nullptr ? rt->timer_service() : nullptr;
    return ts != nullptr ? &ts->wait_queue() : nullptr;
}

// The waiting thread is killed or its context ends: leave the queue quietly.
void cancel_wait(void* data) {
    auto* w = static_cast<Waiter*>(data);
    Semaphore* s = w->sem;
    if (w->timer) {
        if (event::TimerQueue* q = queue(); q != nullptr) {
            q->cancel(w->timer);
        }
    }
    unlink(w);
    free_waiter(w);
    maybe_free(s);
}

// A waiter's timeout expired: its thread resumes with false, "timeout".
void resume_timed_out(LuaThread& t) {
    t.wait = {};
    lua_pushboolean(t.co, 0);
    lua_pushliteral(t.co, "timeout");
    if (WorkerRuntime* rt = current_runtime(); rt != nullptr) {
        rt->scheduler().resume(t, 2);
    }
}

void on_timeout(void* data, uint64_t, bool) noexcept {
    auto* w = static_cast<Waiter*>(data);
    LuaThread* t = w->thread;
    Semaphore* s = w->sem;
    bool current = t != nullptr && t->generation == w->generation && t->wait.data == w;
    w->timer = {};
    unlink(w);
    free_waiter(w);
    maybe_free(s);
    if (current) {
        resume_timed_out(*t);
    }
}

// Before the loop polls: the waiters still waiting get their timeouts, measured from now (a
// wait never times out early; it may time out later by what remained of the loop turn).
void arm_waiters(void*) {
    WorkerRuntime* rt = current_runtime();
    std::vector<Unarmed> list;
    list.swap(t_unarmed);
    for (const Unarmed& u : list) {
        Waiter* w = u.w;
        if (w->seq != u.seq || w->thread == nullptr || w->timer) {
            continue;  // satisfied or cancelled meanwhile
        }
        if (rt != nullptr) {
            w->timer = rt->timers().wait_queue().add(w->wait_ms, on_timeout, w);
        }
    }
    list.clear();
    if (t_unarmed.empty()) {
        t_unarmed.swap(list);  // keep the capacity
    }
}

// The semaphore's posted event (lua-nginx-module's ngx_http_lua_semaphore_handler): while
// threads wait and resources are left, the first waiter takes one and runs at once, until it
// yields or ends; then the next. What the resumed code posts meanwhile posts the event again.
void on_event(void* data) {
    auto* s = static_cast<Semaphore*>(data);
    s->event_posted = false;
    s->in_event = true;
    WorkerRuntime* rt = current_runtime();
    while (s->head != nullptr && s->resources > 0 && rt != nullptr) {
        Waiter* w = s->head;
        if (w->timer) {
            rt->timers().wait_queue().cancel(w->timer);
        }
        LuaThread* t = w->thread;
        bool current = t != nullptr && t->generation == w->generation && t->wait.data == w;
        unlink(w);
        free_waiter(w);
        if (!current) {
            continue;  // (cancel_wait takes waiters out; this one was stale)
        }
        s->resources--;
        t->wait = {};
        lua_pushboolean(t->co, 1);
        rt->scheduler().resume(*t, 1);
    }
    s->in_event = false;
    maybe_free(s);
}

// Shared semaphores: their grants reach this worker through its runtime's inbox.

bool waits_for(const LuaThread* t, const event::SemaWaiter* w) {
    return t != nullptr && t->generation == w->owner_word && t->wait.data == w;
}

void stop_shared_timer(event::SemaWaiter* w) {
    if (w->timer != 0) {
        if (event::TimerQueue* q = queue(); q != nullptr) {
            q->cancel(event::TimerId{w->timer});
        }
        w->timer = 0;
    }
}

void cancel_shared_wait(void* data) {
    auto* w = static_cast<event::SemaWaiter*>(data);
    stop_shared_timer(w);
    event::SharedSemaphore::cancel(w);
}

void on_shared_timeout(void* data, uint64_t, bool) noexcept {
    auto* w = static_cast<event::SemaWaiter*>(data);
    w->timer = 0;
    auto* t = static_cast<LuaThread*>(w->owner);
    bool current = waits_for(t, w);
    if (!event::SharedSemaphore::expire(w)) {
        return;  // a post granted it a unit meanwhile: the grant is on its way
    }
    if (current) {
        resume_timed_out(*t);
    }
}

void on_shared_grant(event::SemaWaiter* w) {
    auto* t = static_cast<LuaThread*>(w->owner);
    WorkerRuntime* rt = current_runtime();
    stop_shared_timer(w);
    if (!waits_for(t, w) || rt == nullptr) {
        return;  // (a thread that stops waiting cancels first: the unit went back then)
    }
    t->wait = {};
    lua_pushboolean(t->co, 1);
    rt->scheduler().resume(*t, 1);
}

// tycho_ffi_sema_wait's shared half, after its context checks.
int shared_wait(Semaphore* s, WorkerRuntime* rt, LuaThread* t, int wait_ms) {
    event::SemaWaiter* w = nullptr;
    if (s->shared->take(wait_ms != 0, rt->inbox().get(), &w)) {
        return 0;
    }
    if (w == nullptr) {
        return -1;
    }
    w->on_grant = on_shared_grant;
    w->owner = t;
    w->owner_word = t->generation;
    w->timer = rt->timers()
                   .wait_queue()
                   .add(static_cast<uint64_t>(wait_ms), on_shared_timeout, w)
                   .value;
    t->wait = Wait{cancel_shared_wait, w};
    return 1;
}

}  // namespace


void release_waiter_cache() {
    while (Waiter* w = t_free_waiters) {
        t_free_waiters = w->next;
        delete w;
    }
}

}  // namespace tycho::lua

using tycho::lua::Semaphore;
using tycho::lua::Waiter;

extern "C" {

void* tycho_ffi_sema_new(int n) noexcept {
    auto* s = new (std::nothrow) Semaphore;
    if (s != nullptr) {
        s->resources = n;
    }
    return s;
}

void* tycho_ffi_sema_shared(const char* name, size_t len, int n) noexcept {
    auto* s = new (std::nothrow) Semaphore;
    if (s != nullptr) {
        s->shared = tycho::event::SharedSemaphore::get(std::string_view(name, len), n);
    }
    return s;
}

void tycho_ffi_sema_gc(void* p) noexcept {
    auto* s = static_cast<Semaphore*>(p);
    s->collected = true;
    tycho::lua::maybe_free(s);
}

int tycho_ffi_sema_count(void* p) noexcept {
    auto* s = static_cast<Semaphore*>(p);
    if (s->shared != nullptr) {
        return static_cast<int>(s->shared->count());
    }
    return static_cast<int>(s->resources - s->waiting);
}

void tycho_ffi_sema_post(void* p, int n) noexcept {
    using namespace tycho::lua;
    auto* s = static_cast<Semaphore*>(p);
    if (s->shared != nullptr) {
        s->shared->post(n);
        return;
    }
    s->resources += n;
    WorkerRuntime* rt = current_runtime();
    if (s->head != nullptr && !s->event_posted && rt != nullptr) {
        s->event_posted = true;
        rt->scheduler().post_event(on_event, s);
    }
}

// 0: acquired; 1: queued, the caller yields to the scheduler; -1: timed out at once (wait 0);
// -2: error, `err` (size *errlen) holds the text.
int tycho_ffi_sema_wait(void* p, int wait_ms, char* err, size_t* errlen) noexcept {
    using namespace tycho::lua;
    auto* s = static_cast<Semaphore*>(p);
    WorkerRuntime* rt = current_runtime();
    Context* ctx = rt != nullptr ? rt->scheduler().current() : nullptr;
    if (ctx == nullptr || ctx->phase == Phase::kInit) {
        return -3;  // lua-resty-core raises "no request found" (no request object at all)
    }
    LuaThread* t = rt->scheduler().current_thread();
    if ((static_cast<uint32_t>(ctx->phase) & kYieldPhases) == 0 || t == nullptr) {
        int len = std::snprintf(err, *errlen, "API disabled in the context of %s",
                                phase_context_name(ctx->phase));
        *errlen = std::min(static_cast<size_t>(len), *errlen - 1);
        return -2;
    }
    if (s->shared != nullptr) {
        return shared_wait(s, rt, t, wait_ms);
    }
    if (s->head == nullptr && s->resources > 0) {
        s->resources--;
        return 0;
    }
    if (wait_ms == 0) {
        return -1;
    }
    Waiter* w = new_waiter();
    w->thread = t;
    w->generation = t->generation;
    w->sem = s;
    w->prev = s->tail;
    if (s->tail != nullptr) {
        s->tail->next = w;
    } else {
        s->head = w;
    }
    s->tail = w;
    s->waiting++;
    w->wait_ms = static_cast<uint32_t>(wait_ms);
    if (t_unarmed.empty()) {
        rt->timers().before_poll(arm_waiters, nullptr);
    }
    t_unarmed.push_back(Unarmed{w, w->seq});
    t->wait = Wait{cancel_wait, w};
    return 1;
}

}  // extern "C"
