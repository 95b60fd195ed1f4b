#pragma once

// nginx's `thread_pool NAME threads=N [max_queue=M]`: named pools of threads that run blocking
// or CPU-bound work off the event loops (ngx.run_worker_thread). One pool per name for the
// whole process, shared by the worker threads; its threads start at the first task. A task's
// completion goes back to the loop that posted it through that loop's Inbox.

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "event/inbox.h"

namespace tycho::event {

class ThreadPool {
  public:
    // The pool called `name`, made with these sizes if it does not exist yet (a reload that
    // changes them keeps the first ones: the pool's threads may be busy). Never freed.
    static ThreadPool* define(std::string_view name, int threads, int max_queue);
    // The pool called `name`, or null.
    static ThreadPool* find(std::string_view name);

    const std::string& name() const { return name_; }
    int threads() const { return threads_; }

    // Runs work(data) on one of the pool's threads, then done(data, false) on the loop of
    // `inbox` (done(data, true) on the pool's thread if that inbox was closed meanwhile). False,
    // and nothing runs, when max_queue tasks are waiting already.
    bool post(void (*work)(void* data), std::shared_ptr<Inbox> inbox, Inbox::Fn done,
              void* data);

  private:
    ThreadPool(std::string name, int threads, int max_queue)
        : name_(std::move(name)), threads_(threads), max_queue_(max_queue) {}
    void run();

    struct Task {
        void (*work)(void*);
        std::shared_ptr<Inbox> inbox;
        Inbox::Fn done;
        void* data;
    };
    std::string name_;
    int threads_;
    int max_queue_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<Task> queue_;
    int idle_ = 0;  // threads waiting for a task
    std::atomic<size_t> queued_{0};  // queue_.size(), read without the lock by spinning threads
    // How long an idle thread looks for work before it sleeps: 50 µs. Measured here with
    // ngx.run_worker_thread, one call at a time: 20-23 k -> 58-64 k calls/s, 36-41 -> 26-28 µs
    // of CPU per call (nginx 24 k, 36 µs); eight at a time: 43-63 k -> 115-237 k calls/s,
    // 14-20 -> 5-10 µs per call (nginx 113-131 k, 9-10 µs).
    static constexpr int64_t kSpinNs = 50'000;
    std::vector<std::thread> workers_;
};

}  // namespace tycho::event
