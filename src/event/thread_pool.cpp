#include "event/thread_pool.h"

#include <chrono>
#include <unordered_map>
#include <utility>

namespace tycho::event {
namespace {

struct Registry {
    std::mutex mu;
    std::unordered_map<std::string, std::unique_ptr<ThreadPool>> pools;
};

// Never destroyed: its threads wait on the pools' condition variables until the process exits.
Registry& registry() {
    static auto* r = new Registry;
    return *r;
}

}  // namespace

ThreadPool* ThreadPool::define(std::string_view name, int threads, int max_queue) {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mu);
    auto it = r.pools.find(std::string(name));
    if (it != r.pools.end()) {
        return it->second.get();
    }
    auto pool = std::unique_ptr<ThreadPool>(new ThreadPool(std::string(name), threads, max_queue));
    ThreadPool* p = pool.get();
    r.pools.emplace(p->name_, std::move(pool));
    return p;
}

ThreadPool* ThreadPool::find(std::string_view name) {
    Registry& r = registry();
    std::lock_guard<std::mutex> lock(r.mu);
    auto it = r.pools.find(std::string(name));
    return it != r.pools.end() ? it->second.get() : nullptr;
}

bool ThreadPool::post(void (*work)(void* data), std::shared_ptr<Inbox> inbox, Inbox::Fn done,
                      void* data) {
    bool wake;
    {
        std::lock_guard<std::mutex> lock(mu_);
        // nginx counts the tasks waiting for a thread against max_queue.
        if (static_cast<int>(queue_.size()) - idle_ >= max_queue_) {
            return false;
        }
        queue_.push_back(Task{work, std::move(inbox), done, data});
        queued_.store(queue_.size(), std::memory_order_relaxed);
        wake = idle_ > 0;
        // All of them at the first task, as nginx starts them with its worker: one call at a
        // time then wakes the longest-idle of several threads instead of the one that has just
        // gone to sleep, which took twice the CPU per call here (bench/scenarios/worker_thread.conf:
        // 15 k calls/s with one thread, 23-33 k with four).
        while (static_cast<int>(workers_.size()) < threads_) {
            // Detached in effect: the pool lives as long as the process.
            workers_.emplace_back([this] { run(); }).detach();
        }
    }
    if (wake) {
        cv_.notify_one();  // after the unlock: the woken thread does not block on mu_ at once
    }
    return true;
}

void ThreadPool::run() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
        if (queue_.empty()) {
            // Out of work: look for more for a short while before sleeping. The next task of a
            // worker that is turning a result into a new call arrives within microseconds, and
            // a condition-variable sleep and wake-up costs more CPU than the spin (measured:
            // see kSpinNs).
            lock.unlock();
            auto until = std::chrono::steady_clock::now() + std::chrono::nanoseconds(kSpinNs);
            while (queued_.load(std::memory_order_relaxed) == 0) {
                for (int i = 0; i < 32; i++) {
                    __builtin_ia32_pause();
                }
                if (std::chrono::steady_clock::now() >= until) {
                    break;
                }
            }
            lock.lock();
        }
        while (queue_.empty()) {
            idle_++;
            cv_.wait(lock);
            idle_--;
        }
        Task task = std::move(queue_.front());
        queue_.pop_front();
        queued_.store(queue_.size(), std::memory_order_relaxed);
        lock.unlock();
        task.work(task.data);
        task.inbox->post(task.done, task.data);
        task.inbox.reset();
        lock.lock();
    }
}

}  // namespace tycho::event
