// Several threads on one zone: no lost update, no torn value, consistent structures at the end.
// Meant to run under ThreadSanitizer too (-DTYCHO_SANITIZE=thread), so iteration counts stay
// modest.

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "shdict/zone.h"
#include "unit/shdict/test_util.h"

namespace tycho::shdict {
namespace {

using testing::FakeClock;

constexpr int kThreads = 4;

// Starts `n` threads running fn(index) together (a spin barrier, so they overlap even when
// thread creation is slow) and joins them.
template <typename Fn>
void run_threads(int n, Fn fn) {
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < n; t++) {
        threads.emplace_back([&, t] {
            ready++;
            while (ready.load() < n) {
                std::this_thread::yield();
            }
            fn(t);
        });
    }
    for (auto& th : threads) {
        th.join();
    }
}

TEST(ZoneStress, ConcurrentIncrNeverLosesAnUpdate) {
    FakeClock clock;
    Zone zone("counters", 1 << 20, &clock);
    constexpr int kPerThread = 200000;
    constexpr int kKeys = 8;
    std::atomic<int> failures{0};
    run_threads(kThreads, [&](int t) {
        char key[8];
        for (int i = 0; i < kPerThread; i++) {
            // Every thread creates the keys through init, so the unlock-allocate-retry path
            // races with other creators.
            int k = (i + t) % kKeys;
            int len = std::snprintf(key, sizeof(key), "c%d", k);
            double init = 0;
            double result = 0;
            bool forcible = false;
            if (zone.incr(key, static_cast<size_t>(len), 1, &init, 0, &result, &forcible) !=
                    Code::kOk ||
                forcible) {
                failures++;
            }
            if (zone.incr("hot", 3, 2, &init, 0, &result, &forcible) != Code::kOk) {
                failures++;
            }
        }
    });
    EXPECT_EQ(failures.load(), 0);
    double total = 0;
    for (int k = 0; k < kKeys; k++) {
        std::string key = "c" + std::to_string(k);
        testing::Got g = testing::get(zone, key);
        ASSERT_EQ(g.type, ValueType::kNumber);
        total += g.number;
    }
    EXPECT_EQ(total, static_cast<double>(kThreads) * kPerThread);
    EXPECT_EQ(testing::get(zone, "hot").number, 2.0 * kThreads * kPerThread);
    EXPECT_EQ(zone.check_invariants(), "");
}

// A value names its key and carries a repeated byte, so a torn or misplaced copy shows.
std::string make_value(const std::string& key, size_t len, char fill) {
    std::string v = key + "|" + std::string(1, fill);
    v.append(len, fill);
    return v;
}

bool valid_value(const std::string& key, const std::string& v) {
    if (v.size() < key.size() + 2 || v.compare(0, key.size(), key) != 0 || v[key.size()] != '|') {
        return false;
    }
    char fill = v[key.size() + 1];
    for (size_t i = key.size() + 2; i < v.size(); i++) {
        if (v[i] != fill) {
            return false;
        }
    }
    return true;
}

TEST(ZoneStress, MixedOperationsUnderContentionStayConsistent) {
    FakeClock clock;
    Zone zone("mixed", 64 * 1024, &clock);  // small: eviction happens all the time
    constexpr int kPerThread = 100000;
    std::atomic<bool> stop{false};
    std::atomic<int> corrupt{0};
    std::atomic<int> unexpected{0};
    std::thread ticker([&] {
        while (!stop.load()) {
            clock.advance(1);
            std::this_thread::yield();
        }
    });
    run_threads(kThreads, [&](int t) {
        std::mt19937 rng(static_cast<unsigned>(t) * 7919u + 1);
        char buf[64];
        for (int i = 0; i < kPerThread; i++) {
            std::string key = "k" + std::to_string(rng() % 200);
            std::string list_key = "l" + std::to_string(rng() % 20);
            bool forcible = false;
            size_t len = 0;
            switch (rng() % 10) {
                case 0:
                case 1:
                case 2: {
                    std::string v = make_value(key, rng() % 300, static_cast<char>('a' + t));
                    Code rc =
                        zone.store(rng() % 4 == 0 ? StoreOp::kSafeSet : StoreOp::kSet, key.data(),
                                   key.size(), ValueIn::of_string(v), rng() % 3 == 0 ? 5 : 0,
                                   static_cast<uint32_t>(t), &forcible);
                    if (rc != Code::kOk && rc != Code::kNoMemory) {
                        unexpected++;
                    }
                    break;
                }
                case 3:
                case 4:
                case 5: {
                    ValueOut out;
                    out.buf = buf;
                    out.buf_size = sizeof(buf);
                    Code rc = rng() % 2 == 0 ? zone.get(key.data(), key.size(), &out)
                                             : zone.get_stale(key.data(), key.size(), &out);
                    testing::Got g = testing::from_out(rc, out);
                    if (g.rc == Code::kOk && g.type == ValueType::kString &&
                        (!valid_value(key, g.str) || g.flags > kThreads)) {
                        corrupt++;
                    }
                    if (g.rc != Code::kOk && g.rc != Code::kValueIsList) {
                        unexpected++;
                    }
                    break;
                }
                case 6:
                    zone.remove(key.data(), key.size());
                    break;
                case 7: {
                    std::string v = make_value(list_key, rng() % 40, static_cast<char>('A' + t));
                    Code rc = zone.push(rng() % 2 == 0, list_key.data(), list_key.size(),
                                        ValueIn::of_string(v), &len);
                    if (rc != Code::kOk && rc != Code::kNoMemory && rc != Code::kNotAList) {
                        unexpected++;
                    }
                    break;
                }
                case 8: {
                    testing::Got g = testing::pop(zone, list_key, rng() % 2 == 0, 16);
                    if (g.type == ValueType::kString && !valid_value(list_key, g.str)) {
                        corrupt++;
                    }
                    break;
                }
                default: {
                    double init = 0;
                    double r = 0;
                    Code rc = zone.incr(key.data(), key.size(), 1, &init, 0, &r, &forcible);
                    if (rc != Code::kOk && rc != Code::kNotANumber) {
                        unexpected++;
                    }
                    if (rng() % 50 == 0) {
                        zone.flush_expired(rng() % 4);
                    }
                    if (rng() % 500 == 0) {
                        zone.get_keys(16);
                    }
                    break;
                }
            }
        }
    });
    stop = true;
    ticker.join();
    EXPECT_EQ(corrupt.load(), 0);
    EXPECT_EQ(unexpected.load(), 0);
    EXPECT_EQ(zone.check_invariants(), "");
    EXPECT_LE(zone.free_space(), zone.capacity() - zone.overhead());
    zone.flush_all();
    zone.flush_expired(0);
    EXPECT_EQ(zone.count(), 0u);
    EXPECT_EQ(zone.free_space(), zone.capacity() - zone.overhead());
    EXPECT_EQ(zone.check_invariants(), "");
}

}  // namespace
}  // namespace tycho::shdict
