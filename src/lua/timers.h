#pragma once

// ngx.timer.* of one worker (issue 4, DESIGN.md §4): the event::TimerQueue that orders timers,
// a slot per pending timer (its handle generation and every-interval), and the Lua table that
// holds each pending timer's callback and arguments. A pending timer holds no coroutine: the
// scheduler starts a timer context only when it fires. The Lua half (lua/tycho/timer.lua) calls
// the tycho_ffi_timer_* functions; everything runs on the worker thread that owns the VM.

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/log.h"
#include "event/timer_queue.h"

struct lua_State;

namespace tycho::http {
struct ConnectionInfo;
}

namespace tycho::lua {

class WorkerRuntime;

class TimerService {
  public:
    // The codes tycho_ffi_timer_add returns besides a slot (the Lua half turns them into
    // OpenResty's error values).
    static constexpr int kTooMany = -1;     // nil, "too many pending timers"
    static constexpr int kExiting = -2;     // nil, "process exiting"
    static constexpr int kZeroEvery = -3;   // error "delay cannot be zero"
    static constexpr int kNoContext = -4;   // error "no request" (no Lua context running)
    static constexpr int kBadDelay = -5;    // error: delay out of range

    // `callbacks_ref`: registry reference of the Lua half's callbacks table; `renew_ref`: of its
    // function that replaces that table with an empty one and returns it (inject_timer).
    TimerService(WorkerRuntime& rt, uv_loop_t* loop, int callbacks_ref, int renew_ref);
    ~TimerService();
    TimerService(const TimerService&) = delete;
    TimerService& operator=(const TimerService&) = delete;

    // Reserves a slot for a new timer firing after `delay_s` seconds (every: then again every
    // delay_s). The caller stores the callback (and arguments) at that index of callbacks()
    // before any Lua code runs. Returns the slot (>= 1) and its generation in *gen, or a k* code.
    int add(double delay_s, bool every, uint32_t* gen);
    // Cancels the pending timer (slot, gen): true if it was pending (the caller clears the
    // callback), false if it ran, is running (an at-timer) or was cancelled.
    bool cancel(uint32_t slot, uint32_t gen);

    // Runs the ngx.timer timers already due (zero-delay ones above all) now, as nginx runs
    // expired timers before the posted events of a loop turn: a resume that would otherwise come
    // first (a posted or delayed resume, ngx.sleep's wake-up) calls this before it resumes, so
    // `ngx.timer.at(0, f); ngx.sleep(d)` returns after f ran, as in OpenResty.
    void run_due() { queue_.expire_if_due(); }

    size_t pending() const { return pending_timers_; }
    // A second queue for the timeouts of blocking waits (ngx.sleep, semaphores): unlike
    // ngx.timer's, it is not expired prematurely when the worker exits. The two are peers:
    // their timers run in one deadline order.
    event::TimerQueue& wait_queue() { return waits_; }
    size_t running() const { return running_; }

    // Worker shutdown: runs every pending timer now with premature = true (every-timers once);
    // from then on timers with a delay are refused ("process exiting"). `drained` runs (once)
    // when no timer is pending and no timer context is running any more.
    void begin_exit(std::function<void()> drained);
    // worker_shutdown_timeout expired: ends running timer contexts without more Lua.
    void abort_running();

    // Runs fn(data) once, just before the loop next waits for I/O (a uv_prepare_t): blocking
    // waits arm their timeouts there, so a wait satisfied within the same loop turn (semaphore
    // ping-pong) never touches a timer queue or the clock. Calls queued before the first runs
    // run in order; one queued while they run waits for the next turn.
    void before_poll(void (*fn)(void* data), void* data);

    // The registry reference of the callbacks table (slot -> function, or {n, fn, args...}).
    int callbacks_ref() const { return callbacks_ref_; }

    // Origins: the ", client: ..., server: ..." suffix of the log lines of timers made (directly
    // or through other timers) by requests of one client on one listening address, and the
    // error_log those lines go to (the request's location's or server's, as lua-nginx-module's
    // timers keep the request's log; null for the main one), interned per worker with a
    // reference count, so a pending timer carries 4 bytes for it. 0 is none.
    // origin_for returns the id with one reference taken for the caller.
    uint32_t origin_for(const http::ConnectionInfo& ci, const std::vector<core::LogSink>* log);
    void ref_origin(uint32_t id) { origins_[id].refs++; }
    void unref_origin(uint32_t id) {
        if (--origins_[id].refs == 0) {
            free_origin(id);
        }
    }
    std::string_view origin_suffix(uint32_t id) const { return origins_[id].suffix; }
    const std::vector<core::LogSink>* origin_log(uint32_t id) const { return origins_[id].log; }

  private:
    // Below this many slots an idle service keeps them (see on_trim).
    static constexpr size_t kKeptSlots = 4096;

    struct Slot {
        event::TimerId id;
        uint32_t gen = 1;
        uint32_t every_ms = 0;  // 0 for ngx.timer.at
        bool pending = false;
        uint32_t origin = 0;    // one reference held while the slot is pending
    };
    // origin_for's slow path
    uint32_t intern_origin(const http::ConnectionInfo& ci, const std::vector<core::LogSink>* log);
    void free_origin(uint32_t id);
    struct Origin {
        std::string key;     // client address, '\0', listening address, '\0', log; "" when free
        std::string suffix;  // ", client: ..., server: ..."
        const std::vector<core::LogSink>* log = nullptr;
        uint32_t refs = 0;
    };

    static void on_fire(void* data, uint64_t user, bool premature) noexcept;
    static void on_trim(void* data, size_t released) noexcept;
    static void on_done(void* data, bool ok);
    void fire(uint32_t slot, bool premature);
    void free_slot(uint32_t slot);
    void check_drained();

    WorkerRuntime& rt_;
    event::TimerQueue queue_;
    event::TimerQueue waits_;
    std::vector<Slot> slots_;        // index 0 unused
    std::vector<uint32_t> free_;     // free slot indexes (LIFO)
    int callbacks_ref_ = -2;
    int renew_ref_ = -2;
    // The generation new slots start at: above every generation handed out before the slots
    // were last released, so no old handle matches a new timer.
    uint32_t gen_floor_ = 1;
    size_t running_ = 0;
    size_t pending_timers_ = 0;  // ngx.timer entries in queue_
    std::function<void()> drained_;
    struct BeforePoll {
        void (*fn)(void*);
        void* data;
    };
    std::vector<BeforePoll> before_poll_;
    std::vector<Origin> origins_ = std::vector<Origin>(1);  // index 0 unused
    // The origins of recent connections by connection number (each entry holds a reference):
    // keep-alive connections making a timer per request find theirs without building a key.
    struct RecentOrigin {
        uint64_t conn = 0;
        const std::vector<core::LogSink>* log = nullptr;
        uint32_t id = 0;
    };
    static constexpr size_t kRecentOrigins = 64;
    RecentOrigin recent_origins_[kRecentOrigins];
    std::vector<uint32_t> free_origins_;
    std::unordered_map<std::string, uint32_t> origin_ids_;
    uv_prepare_t* prepare_ = nullptr;  // freed by its close callback
    bool prepare_active_ = false;
    static void on_prepare(uv_prepare_t* handle);
};

}  // namespace tycho::lua
