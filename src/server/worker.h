#pragma once

// One worker thread: its own libuv loop and http::HttpWorker, fed listening descriptors by the
// master. The master talks to it only through commands posted to the loop's event::Inbox.

#include <uv.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "core/status.h"
#include "event/inbox.h"
#include "http/http_conf.h"
#include "http/http_worker.h"
#include "lua/vm.h"
#include "server/config.h"

namespace tycho::server {

// A listening descriptor (owned by the master) and the servers reachable through it.
struct WorkerListener {
    int fd = -1;
    const http::ListenGroup* group = nullptr;  // points into the worker's Config
};

class WorkerThread {
  public:
    // `on_exit` runs on the worker thread as its very last action (the loop is closed by then);
    // the master uses it to wake its own loop and join the thread. `config` is kept alive for
    // the thread's lifetime. Master thread only.
    WorkerThread(int id, std::shared_ptr<const Config> config,
                 std::vector<WorkerListener> listeners, std::function<void()> on_exit);
    ~WorkerThread();  // joins the thread if it is still running (after asking it to stop fast)
    WorkerThread(const WorkerThread&) = delete;
    WorkerThread& operator=(const WorkerThread&) = delete;

    // Spawns the thread and waits until it accepts on every listener (or failed to). On failure
    // the thread has ended and been joined, and on_exit has not run. When init_worker_by_lua*
    // code waits on something, the worker is started but accepts only once that code ended
    // (the kernel queues connections meanwhile). Master thread only.
    core::Status start();

    // Commands, asynchronous, any thread after start() succeeded. Graceful: stop accepting,
    // finish in-flight requests (forced after worker_shutdown_timeout), then exit. Fast: close
    // every connection and exit.
    void graceful_stop();
    void fast_stop();

    // True once the thread has finished (on_exit ran or is running). Any thread.
    bool exited() const;
    // Waits for the thread to end. Master thread only.
    void join();

    int id() const { return id_; }
    int tid() const { return tid_; }  // the kernel tid, valid after start()
    const std::shared_ptr<const Config>& config() const { return config_; }

  private:
    void run();
    // An event::Inbox::Fn: begins the stop on the worker's loop.
    template <bool kFast>
    static void stop_command(void* self, bool dropped);
    void begin_graceful(bool fast);
    // One of the things a stop waits for (connections, timers) is done.
    void part_done();
    void teardown();
    // Starts accepting on every listener; stops at the first failure.
    core::Status listen_all();

    int id_;
    std::shared_ptr<const Config> config_;
    std::vector<WorkerListener> listeners_;
    std::function<void()> on_exit_;
    std::thread thread_;
    int tid_ = 0;

    // Written by the worker before it signals `started_` (read by start() afterwards).
    std::mutex start_mutex_;
    std::condition_variable start_cv_;
    bool started_ = false;
    core::Status start_status_;
    // Commands go here (any thread); it keeps the loop alive until teardown closes it, after
    // which commands are dropped. Set before `started_`, only when the start succeeded.
    std::shared_ptr<event::Inbox> commands_;
    std::atomic<bool> exited_{false};

    // Worker-thread state.
    uv_loop_t loop_{};
    uv_timer_t shutdown_timer_{};
    std::unique_ptr<http::HttpWorker> http_;
    std::unique_ptr<lua::WorkerRuntime> lua_;  // null when the config uses no Lua
    bool stopping_ = false;
    int waiting_ = 0;            // parts a stop still waits for
    bool lua_waiting_ = false;   // ... among them the Lua timers
};

}  // namespace tycho::server
