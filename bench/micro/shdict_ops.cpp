// Shared dict engine micro-benchmarks, the engine half of ../shared/bench `shdict_ops`:
// 1e6 set then 1e6 get on distinct pre-built keys ("key:N", numeric values) in a 256m zone,
// and incr on one hot key from 1 and 2 threads (lock contention). No timing is asserted.

#include <benchmark/benchmark.h>

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "shdict/zone.h"

namespace {

using tycho::shdict::Code;
using tycho::shdict::StoreOp;
using tycho::shdict::ValueIn;
using tycho::shdict::ValueOut;
using tycho::shdict::Zone;

constexpr size_t kKeys = 1'000'000;
constexpr size_t kZoneSize = 256u << 20;

const std::vector<std::string>& keys() {
    static const std::vector<std::string> k = [] {
        std::vector<std::string> v;
        v.reserve(kKeys);
        for (size_t i = 1; i <= kKeys; i++) {
            v.push_back("key:" + std::to_string(i));
        }
        return v;
    }();
    return k;
}

void fill(Zone& zone, benchmark::State& state) {
    const auto& k = keys();
    for (size_t i = 0; i < kKeys; i++) {
        bool forcible = false;
        Code rc = zone.store(StoreOp::kSet, k[i].data(), k[i].size(),
                             ValueIn::of_number(static_cast<double>(i + 1)), 0, 0, &forcible);
        if (rc != Code::kOk || forcible) {
            state.SkipWithError("set failed or evicted: dict too small");
            return;
        }
    }
}

void BM_Set1e6DistinctKeys(benchmark::State& state) {
    keys();
    for (auto _ : state) {
        state.PauseTiming();
        auto zone = std::make_unique<Zone>("bench", kZoneSize);
        state.ResumeTiming();
        fill(*zone, state);
        state.PauseTiming();
        zone.reset();
        state.ResumeTiming();
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kKeys));
}
BENCHMARK(BM_Set1e6DistinctKeys)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_Get1e6DistinctKeys(benchmark::State& state) {
    const auto& k = keys();
    Zone zone("bench", kZoneSize);
    fill(zone, state);
    size_t misses = 0;
    for (auto _ : state) {
        for (size_t i = 0; i < kKeys; i++) {
            ValueOut out;
            zone.get(k[i].data(), k[i].size(), &out);
            if (out.number != static_cast<double>(i + 1)) {
                misses++;
            }
            benchmark::DoNotOptimize(out.number);
        }
    }
    if (misses > 0) {
        state.SkipWithError("get missed");
    }
    state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kKeys));
}
BENCHMARK(BM_Get1e6DistinctKeys)->Unit(benchmark::kMillisecond)->UseRealTime();

// One zone shared by the benchmark's threads; every thread hammers the same key.
Zone* hot_zone() {
    static Zone zone("hot", 1 << 20);
    return &zone;
}

void BM_IncrHotKey(benchmark::State& state) {
    Zone* zone = hot_zone();
    const double init = 0;
    for (auto _ : state) {
        double result = 0;
        bool forcible = false;
        zone->incr("hot", 3, 1, &init, 0, &result, &forcible);
        benchmark::DoNotOptimize(result);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_IncrHotKey)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
