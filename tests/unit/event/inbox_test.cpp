#include "event/inbox.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <atomic>
#include <thread>
#include <vector>

namespace tycho::event {
namespace {

struct Record {
    std::vector<int> ran;
    std::atomic<int> dropped{0};
};

struct Item {
    Record* rec;
    int n;
};

void run_item(void* data, bool dropped) {
    auto* item = static_cast<Item*>(data);
    if (dropped) {
        item->rec->dropped++;
    } else {
        item->rec->ran.push_back(item->n);
    }
    delete item;
}

// Posts from another thread run on the loop's thread, in post order, on a later loop turn.
TEST(Inbox, PostsFromAnyThreadRunOnTheLoopInOrder) {
    uv_loop_t loop;
    uv_loop_init(&loop);
    uv_timer_t keep;  // the inbox does not keep the loop alive
    uv_timer_init(&loop, &keep);
    uv_timer_start(&keep, [](uv_timer_t*) {}, 60000, 0);
    Record rec;
    auto inbox = Inbox::open(&loop);
    std::thread([&] {
        for (int i = 1; i <= 100; i++) {
            inbox->post(run_item, new Item{&rec, i});
        }
    }).join();
    EXPECT_TRUE(rec.ran.empty());
    while (rec.ran.size() < 100) {
        uv_run(&loop, UV_RUN_ONCE);
    }
    for (int i = 0; i < 100; i++) {
        EXPECT_EQ(rec.ran[i], i + 1);
    }
    inbox->close();
    uv_close(reinterpret_cast<uv_handle_t*>(&keep), nullptr);
    uv_run(&loop, UV_RUN_DEFAULT);
    EXPECT_EQ(uv_loop_close(&loop), 0);
}

// Closing drops what is pending and every later post, which a poster may still hold.
TEST(Inbox, CloseDropsPendingAndLaterPosts) {
    uv_loop_t loop;
    uv_loop_init(&loop);
    Record rec;
    auto inbox = Inbox::open(&loop);
    inbox->post(run_item, new Item{&rec, 1});
    inbox->close();
    EXPECT_EQ(rec.dropped.load(), 1);
    std::thread([inbox, &rec] { inbox->post(run_item, new Item{&rec, 2}); }).join();
    EXPECT_EQ(rec.dropped.load(), 2);
    uv_run(&loop, UV_RUN_DEFAULT);
    EXPECT_TRUE(rec.ran.empty());
    EXPECT_EQ(uv_loop_close(&loop), 0);
}

// By default an open inbox alone lets uv_run return; one that keeps the loop alive (a worker's
// command inbox) holds uv_run until a post arrives and the inbox is closed.
TEST(Inbox, KeepsTheLoopAliveOnlyWhenAskedTo) {
    uv_loop_t loop;
    uv_loop_init(&loop);
    auto weak = Inbox::open(&loop);
    EXPECT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);
    weak->close();
    uv_run(&loop, UV_RUN_DEFAULT);

    Record rec;
    auto strong = Inbox::open(&loop, Inbox::Liveness::kKeepsLoopAlive);
    EXPECT_NE(uv_run(&loop, UV_RUN_NOWAIT), 0);
    struct Closer {
        Record* rec;
        Inbox* inbox;
    };
    std::thread poster([&] {
        strong->post(
            [](void* data, bool dropped) {
                auto* c = static_cast<Closer*>(data);
                c->rec->ran.push_back(dropped ? -1 : 1);
                c->inbox->close();  // from its own drain: what keeps uv_run going goes
                delete c;
            },
            new Closer{&rec, strong.get()});
    });
    EXPECT_EQ(uv_run(&loop, UV_RUN_DEFAULT), 0);  // returns only after the post closed it
    poster.join();
    ASSERT_EQ(rec.ran.size(), 1u);
    EXPECT_EQ(rec.ran[0], 1);
    EXPECT_EQ(uv_loop_close(&loop), 0);
}

}  // namespace
}  // namespace tycho::event
