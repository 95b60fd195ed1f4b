#pragma once

#include <sched.h>

#include <atomic>

namespace tycho::shdict {

// A test-and-test-and-set lock shaped like nginx's ngx_shmtx_lock: spin with a CPU pause for a
// short while, then give the core away with sched_yield(). A zone's critical sections are a
// hash probe and a few pointer swaps (tens of nanoseconds), so a waiter almost always gets the
// lock while spinning; std::mutex would park it in the kernel for far longer than the hold time.
// The yield keeps a preempted holder from being starved on an oversubscribed machine.
// Not recursive. Satisfies Lockable, so std::lock_guard works. Any thread.
class SpinLock {
  public:
    void lock() noexcept {
        for (;;) {
            if (!locked_.exchange(true, std::memory_order_acquire)) {
                return;
            }
            for (int spins = 0; locked_.load(std::memory_order_relaxed); spins++) {
                if (spins < kSpinLimit) {
                    cpu_relax();
                } else {
                    sched_yield();
                }
            }
        }
    }

    bool try_lock() noexcept {
        return !locked_.load(std::memory_order_relaxed) &&
               !locked_.exchange(true, std::memory_order_acquire);
    }

    void unlock() noexcept { locked_.store(false, std::memory_order_release); }

  private:
    static constexpr int kSpinLimit = 1024;

    static void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#elif defined(__aarch64__)
        asm volatile("yield" ::: "memory");
#endif
    }

    std::atomic<bool> locked_{false};
};

}  // namespace tycho::shdict
