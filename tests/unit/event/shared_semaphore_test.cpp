#include "event/shared_semaphore.h"

#include "event/inbox.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <atomic>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace tycho::event {
namespace {

// One loop and its inbox; grants are recorded by their owner word. The inbox does not keep its
// loop alive (a worker's waits do, through their timeouts): a long timer stands for them.
struct Worker {
    uv_loop_t loop{};
    uv_timer_t keep{};
    std::vector<uint64_t> granted;
    std::shared_ptr<Inbox> inbox;
    Inbox* box = nullptr;

    Worker() {
        uv_loop_init(&loop);
        uv_timer_init(&loop, &keep);
        uv_timer_start(&keep, [](uv_timer_t*) {}, 60000, 60000);
        inbox = Inbox::open(&loop);
        box = inbox.get();
    }
    ~Worker() {
        inbox->close();
        uv_close(reinterpret_cast<uv_handle_t*>(&keep), nullptr);
        uv_run(&loop, UV_RUN_DEFAULT);  // the handles close
        EXPECT_EQ(uv_loop_close(&loop), 0);
    }
    SemaWaiter* queue(SharedSemaphore* s, uint64_t word) {
        SemaWaiter* w = nullptr;
        EXPECT_FALSE(s->take(true, box, &w));
        EXPECT_NE(w, nullptr);
        if (w != nullptr) {
            set_owner(w, word);
        }
        return w;
    }
    void set_owner(SemaWaiter* w, uint64_t word) {
        w->owner = this;
        w->owner_word = word;
        w->on_grant = [](SemaWaiter* g) {
            static_cast<Worker*>(g->owner)->granted.push_back(g->owner_word);
        };
    }
};

std::string unique_name(const char* base) {
    static int n = 0;
    return std::string(base) + "-" + std::to_string(++n);
}

TEST(SharedSemaphore, OneNameIsOneSemaphoreAndKeepsItsCount) {
    std::string name = unique_name("one");
    SharedSemaphore* a = SharedSemaphore::get(name, 2);
    SharedSemaphore* b = SharedSemaphore::get(name, 7);
    EXPECT_EQ(a, b);
    EXPECT_EQ(a->name(), name);
    EXPECT_EQ(b->count(), 2);
    EXPECT_NE(SharedSemaphore::get(unique_name("other"), 0), a);
}

TEST(SharedSemaphore, TakeWithoutQueueingFailsWhenEmpty) {
    SharedSemaphore* s = SharedSemaphore::get(unique_name("take"), 1);
    SemaWaiter* w = nullptr;
    EXPECT_TRUE(s->take(false, nullptr, &w));
    EXPECT_FALSE(s->take(false, nullptr, &w));
    EXPECT_EQ(w, nullptr);
    EXPECT_EQ(s->count(), 0);
    s->post(3);
    EXPECT_EQ(s->count(), 3);
}

TEST(SharedSemaphore, GrantsGoInQueueOrderAcrossInboxesAndOnlyOnTheirLoop) {
    SharedSemaphore* s = SharedSemaphore::get(unique_name("fifo"), 0);
    Worker w1;
    Worker w2;
    w1.queue(s, 1);
    w2.queue(s, 2);
    w1.queue(s, 3);
    EXPECT_EQ(s->count(), -3);
    s->post(2);
    EXPECT_EQ(s->count(), -1);
    EXPECT_TRUE(w1.granted.empty());  // nothing runs synchronously
    uv_run(&w1.loop, UV_RUN_NOWAIT);
    uv_run(&w2.loop, UV_RUN_NOWAIT);
    EXPECT_EQ(w1.granted, std::vector<uint64_t>{1});
    EXPECT_EQ(w2.granted, std::vector<uint64_t>{2});
    s->post(1);
    w1.box->drain();
    EXPECT_EQ(w1.granted, (std::vector<uint64_t>{1, 3}));
    EXPECT_EQ(s->count(), 0);
}

TEST(SharedSemaphore, AQueuedWaiterThatIsCancelledLeavesTheQueue) {
    SharedSemaphore* s = SharedSemaphore::get(unique_name("cancel"), 0);
    Worker w;
    SemaWaiter* a = w.queue(s, 1);
    w.queue(s, 2);
    EXPECT_TRUE(SharedSemaphore::cancel(a));
    EXPECT_EQ(s->count(), -1);
    s->post(1);
    w.box->drain();
    EXPECT_EQ(w.granted, std::vector<uint64_t>{2});
}

TEST(SharedSemaphore, AUnitGrantedToAWaiterCancelledInFlightGoesBack) {
    SharedSemaphore* s = SharedSemaphore::get(unique_name("inflight"), 0);
    Worker w1;
    SemaWaiter* a = w1.queue(s, 1);
    s->post(1);                                // granted to a, not yet delivered
    EXPECT_EQ(s->count(), 0);
    EXPECT_FALSE(SharedSemaphore::cancel(a));  // the inbox frees it
    EXPECT_EQ(s->count(), 1);                  // the unit is back
    w1.box->drain();
    EXPECT_TRUE(w1.granted.empty());
    SemaWaiter* none = nullptr;
    EXPECT_TRUE(s->take(true, w1.box, &none));
}

TEST(SharedSemaphore, AUnitGrantedToAWaiterCancelledInFlightGoesToTheNextInQueue) {
    SharedSemaphore* s = SharedSemaphore::get(unique_name("next"), 0);
    Worker w1;
    Worker w2;
    w1.queue(s, 1);
    SemaWaiter* b = w1.queue(s, 2);
    w2.queue(s, 3);
    s->post(2);  // 1 and 2 granted, both in w1's inbox
    EXPECT_FALSE(SharedSemaphore::cancel(b));
    uv_run(&w2.loop, UV_RUN_NOWAIT);  // 3 got 2's unit
    EXPECT_EQ(w2.granted, std::vector<uint64_t>{3});
    w1.box->drain();
    EXPECT_EQ(w1.granted, std::vector<uint64_t>{1});
    EXPECT_EQ(s->count(), 0);
}

TEST(SharedSemaphore, ExpireTimesOutOnlyAQueuedWaiter) {
    SharedSemaphore* s = SharedSemaphore::get(unique_name("expire"), 0);
    Worker w;
    SemaWaiter* a = w.queue(s, 1);
    EXPECT_TRUE(SharedSemaphore::expire(a));
    EXPECT_EQ(s->count(), 0);
    SemaWaiter* b = w.queue(s, 2);
    s->post(1);
    EXPECT_FALSE(SharedSemaphore::expire(b));  // the grant is on its way: the wait succeeds
    w.box->drain();
    EXPECT_EQ(w.granted, std::vector<uint64_t>{2});
}

// Threads with their own loops take and give back units of one semaphore of 3; some give up
// waiting (cancel) at random. No more than 3 hold a unit at any time and none is lost: the
// count ends where it started. Run under ThreadSanitizer by scripts/test.sh.
TEST(SharedSemaphore, ThreadsNeverHoldMoreUnitsThanThereAreAndLoseNone) {
    constexpr int kThreads = 4;
    constexpr int kRounds = 3000;
    SharedSemaphore* s = SharedSemaphore::get(unique_name("stress"), 3);
    std::atomic<int> holders{0};
    std::atomic<int> max_holders{0};
    std::atomic<int> cancelled{0};
    auto run = [&](unsigned seed) {
        Worker w;
        std::mt19937 rng(seed);
        for (int i = 0; i < kRounds; i++) {
            SemaWaiter* q = nullptr;
            bool held = s->take(true, w.box, &q);
            if (!held) {
                w.set_owner(q, static_cast<uint64_t>(i));
                if (rng() % 8 == 0) {
                    SharedSemaphore::cancel(q);
                    cancelled++;
                    w.box->drain();  // frees it if it had been granted meanwhile
                    w.granted.clear();
                    continue;
                }
                while (w.granted.empty()) {
                    uv_run(&w.loop, UV_RUN_ONCE);
                }
                EXPECT_EQ(w.granted.back(), static_cast<uint64_t>(i));
                w.granted.clear();
            }
            int now = ++holders;
            int seen = max_holders.load();
            while (now > seen && !max_holders.compare_exchange_weak(seen, now)) {
            }
            std::this_thread::yield();
            holders--;
            s->post(1);
        }
    };
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; t++) {
        threads.emplace_back(run, 17u + static_cast<unsigned>(t));
    }
    for (std::thread& t : threads) {
        t.join();
    }
    EXPECT_LE(max_holders.load(), 3);
    EXPECT_GE(max_holders.load(), 2);
    EXPECT_EQ(s->count(), 3);
}

}  // namespace
}  // namespace tycho::event
