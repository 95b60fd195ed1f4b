#include "event/thread_pool.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <atomic>
#include <set>
#include <thread>
#include <vector>

namespace tycho::event {
namespace {

struct Job {
    std::atomic<int>* ran_on_pool;
    std::thread::id pool_thread;
    std::vector<int>* done;  // on the loop's thread only
    int n;
    std::atomic<int>* dropped;
};

void work(void* data) {
    auto* job = static_cast<Job*>(data);
    job->pool_thread = std::this_thread::get_id();
    (*job->ran_on_pool)++;
}

void done(void* data, bool dropped) {
    auto* job = static_cast<Job*>(data);
    if (dropped) {
        (*job->dropped)++;
    } else {
        job->done->push_back(job->n);
    }
    delete job;
}

TEST(ThreadPool, DefineOnceFindByName) {
    ThreadPool* a = ThreadPool::define("unit-a", 2, 10);
    EXPECT_EQ(ThreadPool::define("unit-a", 9, 10), a);
    EXPECT_EQ(a->threads(), 2);
    EXPECT_EQ(ThreadPool::find("unit-a"), a);
    EXPECT_EQ(ThreadPool::find("unit-none"), nullptr);
}

// Work runs on the pool's threads; every completion comes back on the loop's thread.
TEST(ThreadPool, TasksRunOffTheLoopAndCompleteOnIt) {
    ThreadPool* pool = ThreadPool::define("unit-run", 3, 1000);
    uv_loop_t loop;
    uv_loop_init(&loop);
    uv_timer_t keep;
    uv_timer_init(&loop, &keep);
    uv_timer_start(&keep, [](uv_timer_t*) {}, 60000, 0);
    auto inbox = Inbox::open(&loop);
    std::atomic<int> ran{0};
    std::atomic<int> dropped{0};
    std::vector<int> completed;
    std::vector<Job*> jobs;
    for (int i = 0; i < 200; i++) {
        auto* job = new Job{&ran, {}, &completed, i, &dropped};
        ASSERT_TRUE(pool->post(work, inbox, done, job));
    }
    while (completed.size() < 200) {
        uv_run(&loop, UV_RUN_ONCE);
    }
    EXPECT_EQ(ran.load(), 200);
    EXPECT_EQ(std::set<int>(completed.begin(), completed.end()).size(), 200u);
    EXPECT_EQ(dropped.load(), 0);
    inbox->close();
    uv_close(reinterpret_cast<uv_handle_t*>(&keep), nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop), 0);
}

// A full queue refuses a task; a closed inbox gets its completions dropped (on the pool thread).
TEST(ThreadPool, FullQueueRefusesAndClosedInboxDrops) {
    ThreadPool* pool = ThreadPool::define("unit-full", 1, 1);
    uv_loop_t loop;
    uv_loop_init(&loop);
    auto inbox = Inbox::open(&loop);
    std::atomic<bool> release{false};
    std::atomic<bool> started{false};
    struct Blocker {
        std::atomic<bool>* release;
        std::atomic<bool>* started;
    } blocker{&release, &started};
    std::atomic<int> dropped{0};
    ASSERT_TRUE(pool->post(
        [](void* d) {
            auto* b = static_cast<Blocker*>(d);
            *b->started = true;
            while (!*b->release) {
                std::this_thread::yield();
            }
        },
        inbox, [](void*, bool) {}, &blocker));
    while (!started) {
        std::this_thread::yield();
    }
    std::atomic<int> ran{0};
    std::vector<int> completed;
    auto* queued = new Job{&ran, {}, &completed, 1, &dropped};
    ASSERT_TRUE(pool->post(work, inbox, done, queued));  // waits: the queue is full now
    auto* refused = new Job{&ran, {}, &completed, 2, &dropped};
    EXPECT_FALSE(pool->post(work, inbox, done, refused));
    delete refused;
    inbox->close();
    release = true;
    while (dropped.load() < 1) {
        std::this_thread::yield();
    }
    EXPECT_EQ(ran.load(), 1);
    EXPECT_TRUE(completed.empty());
    uv_run(&loop, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop), 0);
}

}  // namespace
}  // namespace tycho::event
