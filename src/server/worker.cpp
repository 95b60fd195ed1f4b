#include "server/worker.h"

#include <pthread.h>
#include <signal.h>

#include <cstdio>
#include <exception>
#include <utility>

#include "core/clock.h"
#include "core/log.h"

namespace tycho::server {

WorkerThread::WorkerThread(int id, std::shared_ptr<const Config> config,
                           std::vector<WorkerListener> listeners, std::function<void()> on_exit)
    : id_(id),
      config_(std::move(config)),
      listeners_(std::move(listeners)),
      on_exit_(std::move(on_exit)) {}

WorkerThread::~WorkerThread() {
    if (thread_.joinable()) {
        if (!exited_.load()) {
            fast_stop();
        }
        thread_.join();
    }
}

core::Status WorkerThread::start() {
    // Signals belong to the master's loop: worker threads never take them.
    sigset_t block, old;
    sigemptyset(&block);
    for (int s : {SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGCHLD, SIGWINCH}) {
        sigaddset(&block, s);
    }
    pthread_sigmask(SIG_BLOCK, &block, &old);
    thread_ = std::thread([this] { run(); });
    pthread_sigmask(SIG_SETMASK, &old, nullptr);

    std::unique_lock<std::mutex> lock(start_mutex_);
    start_cv_.wait(lock, [this] { return started_; });
    if (!start_status_) {
        lock.unlock();
        thread_.join();
        return start_status_;
    }
    return core::Status::ok();
}

template <bool kFast>
void WorkerThread::stop_command(void* self, bool dropped) {
    if (!dropped) {
        static_cast<WorkerThread*>(self)->begin_graceful(kFast);
    }
}

void WorkerThread::graceful_stop() {
    if (commands_) {
        commands_->post(&stop_command<false>, this);
    }
}
void WorkerThread::fast_stop() {
    if (commands_) {
        commands_->post(&stop_command<true>, this);
    }
}

bool WorkerThread::exited() const {
    return exited_.load();
}

void WorkerThread::join() {
    if (thread_.joinable()) {
        thread_.join();
    }
}

void WorkerThread::run() {
    tid_ = core::current_tid();
    // What `top -H`, `ps -L` and perf show for the thread (the kernel keeps 15 bytes): nginx's
    // workers are told apart by their process title, Tycho's by this.
    char name[16];
    std::snprintf(name, sizeof(name), "tycho worker %d", id_);
    pthread_setname_np(pthread_self(), name);
    core::Status status;
    uv_loop_init(&loop_);
    loop_.data = this;
    uv_timer_init(&loop_, &shutdown_timer_);
    core::update_cached_time();

    try {
        if (config_->http && lua::uses_lua(*config_->http)) {
            // Before accepting: init_by_lua* and init_worker_by_lua* run first.
            lua::set_worker_count(config_->main.worker_processes);
            lua_ = lua::start_worker_runtime(&loop_, lua::lua_main_conf(*config_->http), id_);
            if (!lua_) {
                status = core::Status::error("failed to run init_by_lua*");
            }
        }
        if (config_->http && status) {
            // The HttpConf lives inside the Config: share ownership of the whole generation.
            std::shared_ptr<const http::HttpConf> http_conf(config_, config_->http.get());
            http_ = std::make_unique<http::HttpWorker>(&loop_, std::move(http_conf), id_,
                                                       config_->main.worker_connections);
            if (lua_ && !lua_->init_worker_done()) {
                // init_worker_by_lua* code waits (Tycho lets it block): requests are taken
                // only once it has ended, as after OpenResty's init_worker.
                lua_->on_init_worker_done([this] {
                    if (stopping_) {
                        return;
                    }
                    if (core::Status s = listen_all(); !s) {
                        core::log_error(core::LogLevel::kAlert, s.message());
                    }
                });
            } else {
                status = listen_all();
            }
        }
    } catch (const std::exception& e) {
        status = core::Status::error(std::string("worker start failed: ") + e.what());
    }

    {
        std::lock_guard<std::mutex> lock(start_mutex_);
        if (status) {
            commands_ = event::Inbox::open(&loop_, event::Inbox::Liveness::kKeepsLoopAlive);
        }
        start_status_ = status;
        started_ = true;
    }
    start_cv_.notify_one();

    if (status) {
        uv_run(&loop_, UV_RUN_DEFAULT);
        core::log_error(core::LogLevel::kNotice, "exiting");
    }
    teardown();
    exited_.store(true);
    if (status && on_exit_) {
        on_exit_();
    }
}

core::Status WorkerThread::listen_all() {
    for (const WorkerListener& l : listeners_) {
        if (core::Status s = http_->listen(l.fd, l.group); !s) {
            return s;
        }
    }
    return core::Status::ok();
}

void WorkerThread::teardown() {
    // The HttpWorker closes its handles; their close callbacks need the loop to turn.
    http_.reset();
    lua_.reset();  // after the connections: their cleanups release Lua contexts
    uv_close(reinterpret_cast<uv_handle_t*>(&shutdown_timer_), nullptr);
    if (commands_) {
        commands_->close();
    }
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_walk(
        &loop_,
        [](uv_handle_t* h, void*) {
            if (!uv_is_closing(h)) {
                uv_close(h, nullptr);
            }
        },
        nullptr);
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_loop_close(&loop_);
}

void WorkerThread::begin_graceful(bool fast) {
    if (fast) {
        if (http_) {
            http_->close_all();
        }
        if (lua_) {
            lua_->set_exiting();  // ngx.worker.exiting()
        }
        if (stopping_ && lua_waiting_) {
            // A fast stop during a graceful one: running timers are not waited for.
            uv_stop(&loop_);
            return;
        }
    } else if (!stopping_) {
        core::log_error(core::LogLevel::kNotice, "gracefully shutting down");
        int64_t timeout = config_->main.worker_shutdown_timeout_ms;
        if (timeout > 0) {
            uv_timer_start(
                &shutdown_timer_,
                [](uv_timer_t* t) {
                    auto* self = static_cast<WorkerThread*>(t->loop->data);
                    if (self->http_) {
                        self->http_->close_all();
                    }
                    if (self->lua_waiting_) {
                        // Timers still running past worker_shutdown_timeout end here.
                        self->lua_->timers().abort_running();
                        uv_stop(&self->loop_);
                    }
                },
                static_cast<uint64_t>(timeout), 0);
        }
    }
    if (stopping_) {
        return;
    }
    stopping_ = true;
    // The loop stops once the connections are done and (graceful stop) the timers have run:
    // pending ones at once with premature = true, running ones to their end.
    waiting_ = http_ ? 1 : 0;
    if (lua_ && !fast) {
        waiting_++;
        lua_waiting_ = true;
        lua_->begin_exit([this] {
            lua_waiting_ = false;
            part_done();
        });
    }
    if (waiting_ == 0) {
        uv_stop(&loop_);
        return;
    }
    if (http_) {
        http_->shutdown_gracefully([this] { part_done(); });
    }
}

void WorkerThread::part_done() {
    if (--waiting_ == 0) {
        uv_timer_stop(&shutdown_timer_);
        uv_stop(&loop_);
    }
}

}  // namespace tycho::server
