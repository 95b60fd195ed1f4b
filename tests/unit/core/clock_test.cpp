// core::set_cached_time: a thread takes another thread's cached time, strings and all.
#include "core/clock.h"

#include <gtest/gtest.h>

#include <thread>

namespace tycho::core {
namespace {

TEST(Clock, SetCachedTimeGivesThatTimeAndItsStrings) {
    const CachedTime& t = set_cached_time(784111777123);  // Sun, 06 Nov 1994 08:49:37.123 GMT
    EXPECT_EQ(t.sec, 784111777);
    EXPECT_EQ(t.msec, 784111777123);
    EXPECT_EQ(t.http_time, "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_EQ(cached_time().msec, 784111777123);
    // Within the same second only the milliseconds move; the next second re-formats.
    EXPECT_EQ(set_cached_time(784111777999).http_time, "Sun, 06 Nov 1994 08:49:37 GMT");
    EXPECT_EQ(set_cached_time(784111778000).http_time, "Sun, 06 Nov 1994 08:49:38 GMT");
    // The cache is the calling thread's: another thread keeps its own.
    int64_t other = 0;
    std::thread([&other] { other = cached_time().msec; }).join();
    EXPECT_GT(other, 1700000000000);
    EXPECT_EQ(cached_time().msec, 784111778000);
    update_cached_time();
}

}  // namespace
}  // namespace tycho::core
