// Timer engine micro-benchmarks, the engine half of ../shared/bench `timer_throughput` and
// `timer_pending_memory`: create+fire of 1e5 zero-delay timers (loop-less and through a real
// uv loop), insert of 1e6 pending timers with spread deadlines, cancel of 1e6 pending timers.
// Counters: items/s and bytes_per_timer (the engine's own footprint at 1e6 pending). No timing is
// asserted anywhere.

#include "event/timer_queue.h"

#include <benchmark/benchmark.h>
#include <uv.h>

#include <cstdint>
#include <memory>
#include <vector>

namespace {

using tycho::event::TimerId;
using tycho::event::TimerQueue;

void bump(void* data, uint64_t, bool) noexcept {
    ++*static_cast<uint64_t*>(data);
}

// 1e5 zero-delay timers created, then fired by one expire(): the real clock is read per add.
void BM_CreateFireZeroDelay(benchmark::State& state) {
    const int64_t n = state.range(0);
    TimerQueue q(nullptr);
    uint64_t fired = 0;
    for (auto _ : state) {
        for (int64_t i = 0; i < n; i++) {
            q.add(0, bump, &fired, static_cast<uint64_t>(i));
        }
        q.expire();
    }
    if (fired != static_cast<uint64_t>(n * state.iterations())) {
        state.SkipWithError("fired count mismatch");
    }
    state.SetItemsProcessed(n * state.iterations());
}
BENCHMARK(BM_CreateFireZeroDelay)->Arg(100000)->Unit(benchmark::kMillisecond);

// Steady state of a busy worker: 1e5 pending timers, each step adds one and fires or cancels
// one (half each), with the clock advancing.
struct StepClock {
    uint64_t now = 1'000'000;
    static uint64_t read(void* c) { return static_cast<StepClock*>(c)->now; }
};

// As BM_CreateFireZeroDelay with a clock that is a load: the difference is the cost of reading
// CLOCK_MONOTONIC once per add().
void BM_CreateFireZeroDelayFakeClock(benchmark::State& state) {
    const int64_t n = state.range(0);
    StepClock clock;
    TimerQueue q(nullptr, {&StepClock::read, &clock});
    uint64_t fired = 0;
    for (auto _ : state) {
        for (int64_t i = 0; i < n; i++) {
            q.add(0, bump, &fired, static_cast<uint64_t>(i));
        }
        q.expire();
    }
    state.SetItemsProcessed(n * state.iterations());
}
BENCHMARK(BM_CreateFireZeroDelayFakeClock)->Arg(100000)->Unit(benchmark::kMillisecond);

// The same through libuv: adds arm the uv_timer_t once; one loop turn fires them all.
void BM_CreateFireZeroDelayUvLoop(benchmark::State& state) {
    const int64_t n = state.range(0);
    uv_loop_t loop;
    uv_loop_init(&loop);
    uint64_t fired = 0;
    {
        TimerQueue q(&loop);
        for (auto _ : state) {
            for (int64_t i = 0; i < n; i++) {
                q.add(0, bump, &fired, static_cast<uint64_t>(i));
            }
            uv_run(&loop, UV_RUN_DEFAULT);
        }
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    if (fired != static_cast<uint64_t>(n * state.iterations())) {
        state.SkipWithError("fired count mismatch");
    }
    state.SetItemsProcessed(n * state.iterations());
}
BENCHMARK(BM_CreateFireZeroDelayUvLoop)->Arg(100000)->Unit(benchmark::kMillisecond);

// Deadlines spread over an hour (as ngx.timer.at(3600 + jitter) in timer_pending_memory would be,
// plus variety so the heap really sorts).
uint64_t spread_delay(int64_t i) {
    return 3'600'000 + static_cast<uint64_t>((i * 7919) % 600'000);
}

void BM_InsertPending(benchmark::State& state) {
    const int64_t n = state.range(0);
    uint64_t fired = 0;
    double bytes_per_timer = 0;
    for (auto _ : state) {
        state.PauseTiming();
        auto q = std::make_unique<TimerQueue>(nullptr);
        state.ResumeTiming();
        for (int64_t i = 0; i < n; i++) {
            q->add(spread_delay(i), bump, &fired, 0);
        }
        state.PauseTiming();
        bytes_per_timer = static_cast<double>(q->memory_bytes()) / static_cast<double>(n);
        q.reset();
        state.ResumeTiming();
    }
    state.counters["bytes_per_timer"] = bytes_per_timer;
    state.SetItemsProcessed(n * state.iterations());
}
BENCHMARK(BM_InsertPending)->Arg(1000000)->Unit(benchmark::kMillisecond);

void BM_CancelPending(benchmark::State& state) {
    const int64_t n = state.range(0);
    uint64_t fired = 0;
    std::vector<TimerId> ids(static_cast<size_t>(n));
    for (auto _ : state) {
        state.PauseTiming();
        auto q = std::make_unique<TimerQueue>(nullptr);
        for (int64_t i = 0; i < n; i++) {
            ids[static_cast<size_t>(i)] = q->add(spread_delay(i), bump, &fired, 0);
        }
        // Cancel in a scattered order (stride coprime with n), as unrelated requests would.
        state.ResumeTiming();
        size_t idx = 0;
        for (int64_t i = 0; i < n; i++) {
            idx = (idx + 7919) % static_cast<size_t>(n);
            benchmark::DoNotOptimize(q->cancel(ids[idx]));
        }
        state.PauseTiming();
        if (q->pending() != 0) {
            state.SkipWithError("cancel left timers pending");
        }
        q.reset();
        state.ResumeTiming();
    }
    state.SetItemsProcessed(n * state.iterations());
}
BENCHMARK(BM_CancelPending)->Arg(1000000)->Unit(benchmark::kMillisecond);

void BM_SteadyAddFireCancel(benchmark::State& state) {
    const int64_t n = state.range(0);
    StepClock clock;
    TimerQueue q(nullptr, {&StepClock::read, &clock});
    uint64_t fired = 0;
    std::vector<TimerId> ring(static_cast<size_t>(n));
    for (int64_t i = 0; i < n; i++) {
        ring[static_cast<size_t>(i)] = q.add(static_cast<uint64_t>(i % 1000), bump, &fired, 0);
    }
    size_t pos = 0;
    for (auto _ : state) {
        if (pos % 2 == 0) {
            q.cancel(ring[pos]);
        }
        ring[pos] = q.add(static_cast<uint64_t>(pos % 1000), bump, &fired, 0);
        pos = (pos + 1) % static_cast<size_t>(n);
        clock.now += 10;
        q.expire();
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_SteadyAddFireCancel)->Arg(100000);

}  // namespace

BENCHMARK_MAIN();
