#pragma once

// Cross-worker semaphores (DESIGN.md §1's extension; Lua: `require("ngx.semaphore").shared`). A
// SharedSemaphore is named and lives for the process, like a shared dictionary zone; any worker
// thread may post or wait. Waiters queue in FIFO order across workers. A post hands units to
// waiters under the semaphore's lock and delivers each grant through the Inbox of the waiter's
// loop (event/inbox.h), so the waiter resumes on its own thread, on a later loop turn (a post
// never resumes anyone synchronously, as with ngx.semaphore). The Lua binding lives in
// src/lua/api_semaphore.cpp; nothing here knows Lua.
//
// Who touches what: a Waiter is created, cancelled and timed out by its owner thread (the
// inbox's loop); posters on other threads only move it from the semaphore's queue to the inbox,
// under the semaphore's lock (and then the inbox's). The inbox frees it after its grant ran.
// The owner cancels all its waiters before it closes its inbox. A unit granted to a waiter that is cancelled before the grant arrives goes back to the
// semaphore (to the next waiter), so no unit is ever lost in flight.

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

namespace tycho::event {

class SharedSemaphore;
class Inbox;

struct SemaWaiter {
    enum class State : uint8_t {
        kQueued,     // in the semaphore's queue
        kGranted,    // took a unit; on its way through the inbox
        kAbandoned,  // cancelled after the grant: the unit went back; the inbox frees it
    };
    SharedSemaphore* sem = nullptr;
    Inbox* box = nullptr;
    // Runs on the owner's loop when the grant arrives (not for an abandoned waiter); the
    // waiter is freed after it returns.
    void (*on_grant)(SemaWaiter* w) = nullptr;
    State state = State::kQueued;
    SemaWaiter* next = nullptr;  // the semaphore's queue
    SemaWaiter* prev = nullptr;
    // The owner's words (the binding keeps its thread and generation here).
    void* owner = nullptr;
    uint64_t owner_word = 0;
    uint64_t timer = 0;
};

class SharedSemaphore {
  public:
    // The semaphore called `name`, created with `resources` units if it does not exist yet (the
    // count of an existing one is left alone). Never freed: it lives as long as the process.
    static SharedSemaphore* get(std::string_view name, int64_t resources);

    const std::string& name() const { return name_; }

    // Units left minus waiters queued (negative while threads wait), as ngx.semaphore's count.
    int64_t count();
    // Adds `n` units and grants them to the oldest waiters.
    void post(int64_t n);
    // Takes a unit if one is free and nobody queues before the caller: true. Else, when `queue`
    // is set, a new waiter of `box` joins the queue (*queued, owned by the caller until it is
    // granted; set its on_grant); returns false.
    bool take(bool queue, Inbox* box, SemaWaiter** queued);
    // The owner gives up waiting: a queued waiter leaves the queue and is freed (true); a
    // granted one returns its unit to the semaphore and is freed by its inbox (false).
    static bool cancel(SemaWaiter* w);
    // The owner's timeout: true if the waiter left the queue (and was freed) — it timed out;
    // false if a grant is already on its way (the wait succeeds).
    static bool expire(SemaWaiter* w);

    // Semaphores that exist (tests).
    static size_t registry_size();

  private:
    SharedSemaphore(std::string name, int64_t resources)
        : name_(std::move(name)), resources_(resources) {}
    void grant_locked();
    void unlink_locked(SemaWaiter* w);

    std::mutex mu_;
    std::string name_;
    int64_t resources_;
    int64_t waiting_ = 0;
    SemaWaiter* head_ = nullptr;
    SemaWaiter* tail_ = nullptr;
};

}  // namespace tycho::event
