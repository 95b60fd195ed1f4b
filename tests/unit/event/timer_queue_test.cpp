#include "event/timer_queue.h"

#include <gtest/gtest.h>
#include <malloc.h>

#include <cstdint>
#include <random>
#include <vector>

namespace tycho::event {
namespace {

// A settable monotonic clock in microseconds.
struct FakeClock {
    uint64_t now = 1'000'000'000;
    static uint64_t read(void* ctx) { return static_cast<FakeClock*>(ctx)->now; }
    TimerClock clock() { return TimerClock{&FakeClock::read, this}; }
    void advance_ms(uint64_t ms) { now += ms * 1000; }
};

struct Fired {
    uint64_t user;
    bool premature;
    uint64_t at_us;
};

// The data word of most test timers: records each run.
struct Recorder {
    FakeClock* clock = nullptr;
    std::vector<Fired> fired;
    std::vector<uint64_t> users() const {
        std::vector<uint64_t> u;
        for (const Fired& f : fired) {
            u.push_back(f.user);
        }
        return u;
    }
};

void record(void* data, uint64_t user, bool premature) noexcept {
    auto* r = static_cast<Recorder*>(data);
    r->fired.push_back(Fired{user, premature, r->clock != nullptr ? r->clock->now : 0});
}

class TimerQueueTest : public ::testing::Test {
  protected:
    FakeClock clock_;
    Recorder rec_{&clock_, {}};
    TimerQueue q_{nullptr, clock_.clock()};

    TimerId add(uint64_t delay_ms, uint64_t user) { return q_.add(delay_ms, record, &rec_, user); }
};

TEST_F(TimerQueueTest, FiresInDeadlineOrder) {
    add(30, 1);
    add(10, 2);
    add(20, 3);
    add(0, 4);
    add(25, 5);
    EXPECT_EQ(q_.pending(), 5u);
    clock_.advance_ms(100);
    EXPECT_EQ(q_.expire(), 5u);
    EXPECT_EQ(rec_.users(), (std::vector<uint64_t>{4, 2, 3, 5, 1}));
    for (const Fired& f : rec_.fired) {
        EXPECT_FALSE(f.premature);
    }
    EXPECT_EQ(q_.pending(), 0u);
    EXPECT_EQ(q_.expire(), 0u);
}

TEST_F(TimerQueueTest, FifoAmongEqualDeadlines) {
    // Same deadline reached two ways: same delay at the same time, and a shorter delay later.
    std::vector<uint64_t> expected;
    for (uint64_t i = 0; i < 1000; i++) {
        add(50, i);
        expected.push_back(i);
    }
    clock_.advance_ms(20);
    for (uint64_t i = 1000; i < 1100; i++) {
        add(30, i);
        expected.push_back(i);
    }
    clock_.advance_ms(30);
    EXPECT_EQ(q_.expire(), 1100u);
    EXPECT_EQ(rec_.users(), expected);
}

TEST_F(TimerQueueTest, NeverEarly) {
    uint64_t t0 = clock_.now;
    add(10, 1);
    add(0, 2);
    clock_.now = t0 + 10 * 1000 - 1;
    EXPECT_EQ(q_.expire(), 1u);  // only the zero-delay one
    EXPECT_EQ(rec_.users(), (std::vector<uint64_t>{2}));
    clock_.now = t0 + 10 * 1000;
    EXPECT_EQ(q_.expire(), 1u);
    EXPECT_EQ(rec_.users(), (std::vector<uint64_t>{2, 1}));
    EXPECT_EQ(rec_.fired[1].at_us, t0 + 10 * 1000);
}

TEST_F(TimerQueueTest, RandomScheduleNeverEarlyNeverMissedInOrder) {
    std::mt19937_64 rng(42);
    std::vector<uint64_t> deadline_of;  // by user
    size_t added = 0;
    for (int round = 0; round < 200; round++) {
        int n = static_cast<int>(rng() % 50);
        for (int i = 0; i < n; i++) {
            uint64_t delay = rng() % 100;
            deadline_of.push_back(clock_.now + delay * 1000);
            add(delay, added++);
        }
        clock_.now += rng() % 20000;
        size_t before = rec_.fired.size();
        q_.expire();
        for (size_t i = before; i < rec_.fired.size(); i++) {
            const Fired& f = rec_.fired[i];
            ASSERT_GE(f.at_us, deadline_of[f.user]) << "fired early";
            if (i > 0) {
                // Deadline order across the whole run, FIFO (user = add order) on ties.
                uint64_t prev = rec_.fired[i - 1].user;
                ASSERT_TRUE(deadline_of[prev] < deadline_of[f.user] ||
                            (deadline_of[prev] == deadline_of[f.user] && prev < f.user));
            }
        }
        // Nothing due was left behind.
        ASSERT_TRUE(q_.next_deadline_us() > clock_.now) << "a due timer was missed";
    }
    clock_.advance_ms(1000);
    q_.expire();
    EXPECT_EQ(rec_.fired.size(), added);
    EXPECT_EQ(q_.pending(), 0u);
}

TEST_F(TimerQueueTest, PeersRunInOneDeadlineOrder) {
    // Two queues on one clock (ngx.timer's and the waits'): whichever expires, the timers of
    // both run in deadline order.
    TimerQueue other{nullptr, clock_.clock()};
    q_.set_peer(&other);
    other.set_peer(&q_);
    add(10, 1);
    other.add(10, record, &rec_, 2);  // same delay, added later: after 1
    other.add(5, record, &rec_, 3);
    add(20, 4);
    other.add(15, record, &rec_, 5);
    add(0, 6);
    clock_.advance_ms(16);
    EXPECT_EQ(q_.expire(), 2u);  // its own: 6, 1 (4 is not due); the peer's 3, 2, 5 in turn
    EXPECT_EQ(rec_.users(), (std::vector<uint64_t>{6, 3, 1, 2, 5}));
    EXPECT_EQ(other.pending(), 0u);
    // The other way round, and only what is due.
    other.add(10, record, &rec_, 7);
    clock_.advance_ms(10);
    EXPECT_EQ(other.expire(), 1u);
    EXPECT_EQ(rec_.users(), (std::vector<uint64_t>{6, 3, 1, 2, 5, 4, 7}));
    EXPECT_EQ(q_.pending(), 0u);
}

TEST_F(TimerQueueTest, ZeroDelayAddedByCallbackRunsOnNextTurn) {
    struct Ctx {
        TimerQueue* q;
        int runs = 0;
    } ctx{&q_};
    // Re-adds itself with delay 0 forever: must run once per expire(), not loop.
    TimerCallback readd = [](void* data, uint64_t user, bool) noexcept {
        auto* c = static_cast<Ctx*>(data);
        c->runs++;
        c->q->add(0, reinterpret_cast<TimerCallback>(user), data, user);
    };
    q_.add(0, readd, &ctx, reinterpret_cast<uint64_t>(readd));
    EXPECT_EQ(q_.expire(), 1u);
    EXPECT_EQ(ctx.runs, 1);
    EXPECT_EQ(q_.pending(), 1u);
    EXPECT_EQ(q_.expire(), 1u);
    EXPECT_EQ(ctx.runs, 2);
    EXPECT_EQ(q_.expire(), 1u);
    EXPECT_EQ(ctx.runs, 3);
}

TEST_F(TimerQueueTest, CancelBeforeAfterAndTwice) {
    TimerId a = add(10, 1);
    TimerId b = add(20, 2);
    ASSERT_TRUE(a);
    ASSERT_TRUE(b);
    EXPECT_NE(a, b);
    EXPECT_TRUE(q_.is_pending(a));
    EXPECT_TRUE(q_.cancel(a));
    EXPECT_FALSE(q_.is_pending(a));
    EXPECT_EQ(q_.pending(), 1u);
    EXPECT_FALSE(q_.cancel(a));  // twice
    clock_.advance_ms(30);
    EXPECT_EQ(q_.expire(), 1u);
    EXPECT_EQ(rec_.users(), (std::vector<uint64_t>{2}));
    EXPECT_FALSE(q_.cancel(b));  // already ran
    EXPECT_FALSE(q_.cancel(TimerId{}));
    EXPECT_FALSE(q_.cancel(TimerId{~uint64_t{0}}));
    EXPECT_FALSE(q_.cancel(TimerId{uint64_t{1} << 40}));  // a generation, slot never used
    EXPECT_EQ(q_.heap_size(), 0u);                        // the tombstone left with the expiry
}

TEST_F(TimerQueueTest, StaleHandlesNeverReachReusedSlots) {
    TimerId a = add(10, 1);
    EXPECT_TRUE(q_.cancel(a));
    clock_.advance_ms(10);
    q_.expire();  // frees the cancelled node: its slot goes back to the free list
    TimerId b = add(10, 2);
    // Same slot, new generation.
    EXPECT_EQ(a.value & ((1u << 28) - 1), b.value & ((1u << 28) - 1));
    EXPECT_NE(a, b);
    EXPECT_FALSE(q_.cancel(a));
    EXPECT_TRUE(q_.is_pending(b));
    clock_.advance_ms(10);
    EXPECT_EQ(q_.expire(), 1u);
    TimerId c = add(10, 3);
    EXPECT_FALSE(q_.cancel(b));
    EXPECT_FALSE(q_.cancel(a));
    EXPECT_TRUE(q_.cancel(c));

    // After the pool shrank (the queue emptied with more than one chunk in use) old handles
    // still fail, and new timers get fresh handles.
    std::vector<TimerId> many;
    for (uint32_t i = 0; i < 3 * TimerQueue::kChunkNodes; i++) {
        many.push_back(add(1, i));
    }
    clock_.advance_ms(1);
    EXPECT_EQ(q_.expire(), many.size());
    EXPECT_TRUE(q_.trim());
    for (uint32_t i = 0; i < 3 * TimerQueue::kChunkNodes; i++) {
        TimerId fresh = add(1, i);
        EXPECT_NE(fresh, many[i]);
        EXPECT_FALSE(q_.cancel(many[i]));
    }
    EXPECT_EQ(q_.pending(), 3 * TimerQueue::kChunkNodes);
}

struct Reentrant {
    TimerQueue* q;
    std::vector<uint64_t> order;
    TimerId self_id;
    TimerId victim;
    TimerId added;
    bool cancel_self_result = true;
    bool cancel_victim_result = false;
    size_t nested_expire = 99;
};

TEST_F(TimerQueueTest, CallbacksMayAddAndCancel) {
    Reentrant r{&q_, {}, {}, {}, {}};
    TimerCallback plain = [](void* data, uint64_t user, bool) noexcept {
        static_cast<Reentrant*>(data)->order.push_back(user);
    };
    TimerCallback actor = [](void* data, uint64_t user, bool) noexcept {
        auto* r = static_cast<Reentrant*>(data);
        r->order.push_back(user);
        r->cancel_self_result = r->q->cancel(r->self_id);
        r->cancel_victim_result = r->q->cancel(r->victim);  // due in this same run
        r->nested_expire = r->q->expire();
        TimerCallback plain = [](void* data, uint64_t user, bool) noexcept {
            static_cast<Reentrant*>(data)->order.push_back(user);
        };
        r->added = r->q->add(5, plain, data, 100);
    };
    r.self_id = q_.add(10, actor, &r, 1);
    r.victim = q_.add(10, plain, &r, 2);
    q_.add(10, plain, &r, 3);
    clock_.advance_ms(10);
    EXPECT_EQ(q_.expire(), 2u);
    EXPECT_EQ(r.order, (std::vector<uint64_t>{1, 3}));
    EXPECT_FALSE(r.cancel_self_result);  // a running timer is no longer pending
    EXPECT_TRUE(r.cancel_victim_result);
    EXPECT_EQ(r.nested_expire, 0u);
    ASSERT_TRUE(r.added);
    EXPECT_EQ(q_.pending(), 1u);
    clock_.advance_ms(4);
    EXPECT_EQ(q_.expire(), 0u);
    clock_.advance_ms(1);
    EXPECT_EQ(q_.expire(), 1u);
    EXPECT_EQ(r.order, (std::vector<uint64_t>{1, 3, 100}));
}

TEST_F(TimerQueueTest, ExpireAllPremature) {
    add(300, 1);
    TimerId gone = add(100, 2);
    add(100, 3);
    add(0, 4);
    add(3'600'000, 5);
    EXPECT_TRUE(q_.cancel(gone));
    EXPECT_FALSE(q_.exiting());
    EXPECT_EQ(q_.expire_all_premature(), 4u);
    EXPECT_TRUE(q_.exiting());
    EXPECT_EQ(rec_.users(), (std::vector<uint64_t>{4, 3, 1, 5}));
    for (const Fired& f : rec_.fired) {
        EXPECT_TRUE(f.premature);
        EXPECT_EQ(f.at_us, clock_.now);  // at once, no time passed
    }
    EXPECT_EQ(q_.pending(), 0u);
    EXPECT_EQ(q_.heap_size(), 0u);

    // Exiting: non-zero delays are refused, zero delays run normally on the next turn.
    EXPECT_FALSE(add(1, 6));
    TimerId z = add(0, 7);
    ASSERT_TRUE(z);
    EXPECT_EQ(q_.expire(), 1u);
    EXPECT_EQ(rec_.fired.back().user, 7u);
    EXPECT_FALSE(rec_.fired.back().premature);
}

TEST_F(TimerQueueTest, PrematureCallbacksAddingTimers) {
    struct Ctx {
        TimerQueue* q;
        Recorder* rec;
        TimerId refused{1};
        TimerId accepted;
        TimerId later_victim;
        bool cancelled = false;
    } ctx{&q_, &rec_, TimerId{1}, {}, {}, false};
    TimerCallback first = [](void* data, uint64_t user, bool premature) noexcept {
        auto* c = static_cast<Ctx*>(data);
        record(c->rec, user, premature);
        c->refused = c->q->add(10, record, c->rec, 90);
        c->accepted = c->q->add(0, record, c->rec, 91);
        c->cancelled = c->q->cancel(c->later_victim);
    };
    q_.add(50, first, &ctx, 1);
    ctx.later_victim = add(60, 2);
    add(70, 3);
    EXPECT_EQ(q_.expire_all_premature(), 2u);
    EXPECT_EQ(rec_.users(), (std::vector<uint64_t>{1, 3}));
    EXPECT_FALSE(ctx.refused);
    EXPECT_TRUE(ctx.accepted);
    EXPECT_TRUE(ctx.cancelled);
    EXPECT_EQ(q_.pending(), 1u);
    EXPECT_EQ(q_.expire(), 1u);
    EXPECT_EQ(rec_.users(), (std::vector<uint64_t>{1, 3, 91}));
    EXPECT_FALSE(rec_.fired.back().premature);
}

TEST_F(TimerQueueTest, CancelledEntriesAreCompacted) {
    std::vector<TimerId> ids;
    for (uint64_t i = 0; i < 10000; i++) {
        ids.push_back(add(1000 + i % 97, i));
    }
    for (uint64_t i = 0; i < 10000; i++) {
        if (i % 10 != 0) {
            EXPECT_TRUE(q_.cancel(ids[i]));
        }
    }
    EXPECT_EQ(q_.pending(), 1000u);
    // Tombstones never outnumber live entries (beyond the small-heap allowance).
    EXPECT_LE(q_.heap_size(), 2 * q_.pending() + 1024);
    clock_.advance_ms(2000);
    EXPECT_EQ(q_.expire(), 1000u);
    std::vector<uint64_t> users = rec_.users();
    for (size_t i = 1; i < users.size(); i++) {
        uint64_t a = users[i - 1];
        uint64_t b = users[i];
        EXPECT_TRUE(a % 97 < b % 97 || (a % 97 == b % 97 && a < b));
        EXPECT_EQ(b % 10, 0u);
    }
}

TEST_F(TimerQueueTest, ZeroDelayLaneMergesWithHeapAndCompacts) {
    uint64_t t0 = clock_.now;
    add(5, 1);  // deadline t0+5
    clock_.advance_ms(5);
    add(0, 2);  // same deadline, added later: after 1
    add(7, 3);  // t0+12
    clock_.advance_ms(1);
    add(0, 4);  // t0+6
    add(1, 5);  // t0+7
    std::vector<TimerId> zeros;
    for (uint64_t i = 0; i < 5000; i++) {
        zeros.push_back(add(0, 100 + i));  // t0+6, after 4
    }
    for (uint64_t i = 0; i < 5000; i++) {
        if (i % 10 != 0) {
            EXPECT_TRUE(q_.cancel(zeros[i]));
        }
    }
    EXPECT_LE(q_.heap_size(), 2 * q_.pending() + 1024);
    EXPECT_EQ(q_.next_deadline_us(), t0 + 5000);
    clock_.now = t0 + 12000;
    EXPECT_EQ(q_.expire(), 505u);
    std::vector<uint64_t> want{1, 2, 4};
    for (uint64_t i = 0; i < 5000; i += 10) {
        want.push_back(100 + i);
    }
    want.push_back(5);
    want.push_back(3);
    EXPECT_EQ(rec_.users(), want);
}

void count(void* data, uint64_t user, bool premature) noexcept {
    auto* c = static_cast<std::pair<uint64_t, uint64_t>*>(data);
    // first: runs; second: the last deadline-rank seen (users are deadline ranks).
    EXPECT_GE(user, c->second);
    c->second = user;
    c->first++;
}

TEST_F(TimerQueueTest, MillionTimersExactCountsAndMemory) {
    constexpr uint64_t kN = 1'000'000;
    std::pair<uint64_t, uint64_t> counter{0, 0};
    std::vector<TimerId> ids;
    ids.reserve(kN);
    size_t malloc_ids = mallinfo2().uordblks + mallinfo2().hblkhd;
    for (uint64_t i = 0; i < kN; i++) {
        uint64_t delay = (i * 7919) % 1000;
        // user = delay: firing must be non-decreasing in it.
        ids.push_back(q_.add(delay, count, &counter, delay));
    }
    struct mallinfo2 after = mallinfo2();
    size_t grown = (after.uordblks + after.hblkhd) - malloc_ids;
    EXPECT_EQ(q_.pending(), kN);
    double bytes_per_timer = static_cast<double>(q_.memory_bytes()) / kN;
    double malloc_per_timer = static_cast<double>(grown) / kN;
    std::printf("timer engine: %.1f bytes/pending timer (pool), %.1f (malloc)\n", bytes_per_timer,
                malloc_per_timer);
    // 32-byte node + 16-byte heap entry + heap-array growth slack (<= 1/2 entry per timer here).
    EXPECT_LE(bytes_per_timer, 56.0);
    EXPECT_LE(malloc_per_timer, 56.0);

    for (uint64_t i = 0; i < kN; i += 10) {
        ASSERT_TRUE(q_.cancel(ids[i]));
    }
    EXPECT_EQ(q_.pending(), kN - kN / 10);
    clock_.advance_ms(499);
    uint64_t first = q_.expire();
    EXPECT_EQ(counter.first, first);
    EXPECT_GT(first, 0u);
    clock_.advance_ms(501);
    q_.expire();
    EXPECT_EQ(counter.first, kN - kN / 10);
    EXPECT_EQ(q_.pending(), 0u);
    // Once empty the pool gives its chunks back, on trim() (which the loop runs after 1 s idle).
    EXPECT_GT(q_.memory_bytes(), 32u << 20);
    EXPECT_TRUE(q_.trim());
    EXPECT_FALSE(q_.trim());
    EXPECT_LT(q_.memory_bytes(), 1u << 20);
}

// With a real loop and clock: one uv_timer_t drives everything, and nothing fires before its
// delay has passed on CLOCK_MONOTONIC (checked with uv_hrtime, not asserted as a duration).
TEST(TimerQueueLoopTest, DrivesItselfAndNeverFiresEarly) {
    uv_loop_t loop;
    ASSERT_EQ(uv_loop_init(&loop), 0);
    struct Shot {
        uint64_t added_ns;
        uint64_t delay_ms;
        uint64_t fired_ns = 0;
        int order = -1;
    };
    struct Ctx {
        std::vector<Shot> shots;
        int fired = 0;
    } ctx;
    const uint64_t delays[] = {20, 0, 5, 1, 5, 0, 12};
    for (uint64_t d : delays) {
        ctx.shots.push_back(Shot{0, d});
    }
    {
        TimerQueue q(&loop);
        for (size_t i = 0; i < ctx.shots.size(); i++) {
            ctx.shots[i].added_ns = uv_hrtime();
            q.add(
                ctx.shots[i].delay_ms,
                [](void* data, uint64_t user, bool premature) noexcept {
                    auto* c = static_cast<Ctx*>(data);
                    EXPECT_FALSE(premature);
                    c->shots[user].fired_ns = uv_hrtime();
                    c->shots[user].order = c->fired++;
                },
                &ctx, i);
        }
        // The loop ends by itself: the uv_timer_t stops once nothing is pending.
        EXPECT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
        EXPECT_EQ(q.pending(), 0u);
    }
    EXPECT_EQ(ctx.fired, 7);
    for (const Shot& s : ctx.shots) {
        EXPECT_GE(s.fired_ns, s.added_ns + s.delay_ms * 1'000'000) << "delay " << s.delay_ms;
    }
    // Deadline order: 0, 0, 1, 5, 5, 12, 20 (indexes 1, 5, 3, 2, 4, 6, 0).
    EXPECT_EQ(ctx.shots[1].order, 0);
    EXPECT_EQ(ctx.shots[5].order, 1);
    EXPECT_EQ(ctx.shots[3].order, 2);
    EXPECT_EQ(ctx.shots[2].order, 3);
    EXPECT_EQ(ctx.shots[4].order, 4);
    EXPECT_EQ(ctx.shots[6].order, 5);
    EXPECT_EQ(ctx.shots[0].order, 6);
    // The queue's handle was closed by the destructor; the loop frees it and closes cleanly.
    uv_run(&loop, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop), 0);
}

TEST(TimerQueueLoopTest, IdleQueueTrimsItselfWithoutHoldingTheLoop) {
    uv_loop_t loop;
    ASSERT_EQ(uv_loop_init(&loop), 0);
    uint64_t runs = 0;
    size_t hooked = 0;  // what the trim hook was told
    {
        TimerQueue q(&loop);
        q.set_trim_hook(
            [](void* data, size_t released) noexcept { *static_cast<size_t*>(data) += released; },
            &hooked);
        for (uint32_t i = 0; i < 4 * TimerQueue::kChunkNodes; i++) {
            q.add(
                0, [](void* data, uint64_t, bool) noexcept { ++*static_cast<uint64_t*>(data); },
                &runs);
        }
        // Returns once the timers ran: the pending trim does not keep the loop alive.
        EXPECT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
        EXPECT_EQ(runs, 4u * TimerQueue::kChunkNodes);
        size_t busy = q.memory_bytes();
        EXPECT_GT(busy, 4u * TimerQueue::kChunkNodes * 32);
        // Another handle keeps the loop running past the trim delay (1 s).
        uv_timer_t hold;
        uv_timer_init(&loop, &hold);
        uv_timer_start(
            &hold, [](uv_timer_t* t) { uv_close(reinterpret_cast<uv_handle_t*>(t), nullptr); },
            1200, 0);
        uv_run(&loop, UV_RUN_DEFAULT);
        EXPECT_LT(q.memory_bytes(), busy / 2);
        EXPECT_EQ(hooked, busy - q.memory_bytes());
        EXPECT_FALSE(q.trim());  // already done
        // And it still works afterwards.
        q.add(
            1, [](void* data, uint64_t, bool) noexcept { ++*static_cast<uint64_t*>(data); }, &runs);
        EXPECT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
        EXPECT_EQ(runs, 4u * TimerQueue::kChunkNodes + 1);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop), 0);
}

// A timer that keeps re-adding itself with delay 0 must not starve I/O: each generation waits
// for a later loop iteration (libuv 1.44 re-runs a timer restarted with timeout 0 inside the
// same timer phase, so the queue must not rely on that).
TEST(TimerQueueLoopTest, ZeroDelayChainsYieldToTheLoop) {
    uv_loop_t loop;
    ASSERT_EQ(uv_loop_init(&loop), 0);
    struct Ctx {
        TimerQueue* q = nullptr;
        int runs = 0;
        int iterations = 0;
        int iterations_at_end = -1;
    } ctx;
    uv_prepare_t prepare;
    uv_prepare_init(&loop, &prepare);
    prepare.data = &ctx;
    uv_prepare_start(&prepare, [](uv_prepare_t* p) { static_cast<Ctx*>(p->data)->iterations++; });
    uv_unref(reinterpret_cast<uv_handle_t*>(&prepare));
    {
        TimerQueue q(&loop);
        ctx.q = &q;
        TimerCallback chain = [](void* data, uint64_t user, bool) noexcept {
            auto* c = static_cast<Ctx*>(data);
            if (++c->runs < 100) {
                c->q->add(0, reinterpret_cast<TimerCallback>(user), data, user);
            } else {
                c->iterations_at_end = c->iterations;
            }
        };
        q.add(0, chain, &ctx, reinterpret_cast<uint64_t>(chain));
        uv_run(&loop, UV_RUN_DEFAULT);
    }
    EXPECT_EQ(ctx.runs, 100);
    EXPECT_GE(ctx.iterations_at_end, 49);
    uv_close(reinterpret_cast<uv_handle_t*>(&prepare), nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop), 0);
}

TEST(TimerQueueLoopTest, UnreferencedTimerDoesNotHoldTheLoop) {
    uv_loop_t loop;
    ASSERT_EQ(uv_loop_init(&loop), 0);
    int runs = 0;
    {
        TimerQueue q(&loop);
        q.set_keeps_loop_alive(false);
        q.add(
            60'000, [](void* data, uint64_t, bool) noexcept { ++*static_cast<int*>(data); }, &runs);
        EXPECT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);  // returns at once
        EXPECT_EQ(q.pending(), 1u);
        EXPECT_EQ(q.expire_all_premature(), 1u);
        EXPECT_EQ(runs, 1);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop), 0);
}

TEST(TimerQueueLoopTest, EarlierTimerRearmsAndCancelledHeadIsSkipped) {
    uv_loop_t loop;
    ASSERT_EQ(uv_loop_init(&loop), 0);
    std::vector<uint64_t> order;
    TimerCallback push = [](void* data, uint64_t user, bool) noexcept {
        static_cast<std::vector<uint64_t>*>(data)->push_back(user);
    };
    {
        TimerQueue q(&loop);
        q.add(10'000, push, &order, 1);             // armed for 10 s...
        TimerId head = q.add(30, push, &order, 2);  // ...re-armed earlier
        q.add(40, push, &order, 3);
        EXPECT_TRUE(q.cancel(head));
        TimerId far = q.add(20'000, push, &order, 4);
        // Stop once timer 3 ran: the 10 s and 20 s ones stay pending.
        while (order.empty()) {
            uv_run(&loop, UV_RUN_ONCE);
        }
        EXPECT_EQ(order, (std::vector<uint64_t>{3}));  // 1 would have come along at 10 s
        EXPECT_TRUE(q.cancel(far));
        EXPECT_EQ(q.expire_all_premature(), 1u);
        EXPECT_EQ(order, (std::vector<uint64_t>{3, 1}));
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop), 0);
}

}  // namespace
}  // namespace tycho::event
