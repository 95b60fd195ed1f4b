#pragma once

// A loop's inbox: any thread posts fn(data), the loop's thread runs it on a later loop turn, in
// post order (an uv_async_t wakes the loop). What crosses threads to a worker goes through
// here: cross-worker semaphore grants (shared_semaphore.h), thread-pool results
// (thread_pool.h), the master's stop commands (server/worker.h). Shared ownership: a poster
// keeps the inbox's core alive, and once the loop's owner closes the inbox, later posts are
// dropped at once, on the posting thread.

#include <uv.h>

#include <memory>
#include <mutex>

namespace tycho::event {

class Inbox {
  public:
    // Runs on the loop's thread with dropped = false; with dropped = true when the inbox was
    // closed first: then on whichever thread posted or closed, and it must only free `data`.
    using Fn = void (*)(void* data, bool dropped);

    // Made and closed on the loop's thread. Unless told to, the inbox does not keep the loop
    // alive: whoever waits for a post usually does (a timeout, a pending task's handle).
    enum class Liveness { kWeak, kKeepsLoopAlive };
    static std::shared_ptr<Inbox> open(uv_loop_t* loop, Liveness liveness = Liveness::kWeak);
    ~Inbox();
    Inbox(const Inbox&) = delete;
    Inbox& operator=(const Inbox&) = delete;

    // Any thread.
    void post(Fn fn, void* data);
    // The loop's thread: drops what is pending (fn(data, true)) and every later post; the loop
    // must run once more (the handle closes).
    void close();
    // The loop's thread: runs what was posted so far (the async callback does the same).
    void drain();

  private:
    Inbox() = default;
    struct Item {
        Fn fn;
        void* data;
        Item* next;
    };
    Item* take_all();

    std::mutex mu_;
    Item* head_ = nullptr;
    Item* tail_ = nullptr;
    uv_async_t* async_ = nullptr;  // null once closed
};

}  // namespace tycho::event
