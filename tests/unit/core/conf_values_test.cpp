#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "core/conf.h"

namespace tycho::core {
namespace {

constexpr int64_t kMax = INT64_MAX;

int64_t size_ok(std::string_view s) {
    auto r = parse_size(s);
    EXPECT_TRUE(r.is_ok()) << "\"" << s << "\"";
    return r.is_ok() ? *r : -1;
}

int64_t ms_ok(std::string_view s) {
    auto r = parse_time_ms(s);
    EXPECT_TRUE(r.is_ok()) << "\"" << s << "\"";
    return r.is_ok() ? *r : -1;
}

int64_t sec_ok(std::string_view s) {
    auto r = parse_time_sec(s);
    EXPECT_TRUE(r.is_ok()) << "\"" << s << "\"";
    return r.is_ok() ? *r : -1;
}

TEST(ConfValues, Size) {
    EXPECT_EQ(size_ok("0"), 0);
    EXPECT_EQ(size_ok("1024"), 1024);
    EXPECT_EQ(size_ok("8k"), 8 * 1024);
    EXPECT_EQ(size_ok("8K"), 8 * 1024);
    EXPECT_EQ(size_ok("1m"), 1024 * 1024);
    EXPECT_EQ(size_ok("16M"), 16 * 1024 * 1024);
    EXPECT_EQ(size_ok("2g"), 2LL * 1024 * 1024 * 1024);
    EXPECT_EQ(size_ok("3G"), 3LL * 1024 * 1024 * 1024);
    EXPECT_EQ(size_ok("9223372036854775807"), kMax);
    for (const char* bad : {"", "k", "m", "-1", "+1", "1.5k", "1kb", "1 k", " 1", "1t", "0x10",
                            "9223372036854775808", "9007199254740992k", "8589934592g", "1kk"}) {
        auto r = parse_size(bad);
        EXPECT_FALSE(r.is_ok()) << "\"" << bad << "\"";
    }
}

TEST(ConfValues, TimeMilliseconds) {
    EXPECT_EQ(ms_ok("0"), 0);
    EXPECT_EQ(ms_ok("30"), 30000);
    EXPECT_EQ(ms_ok("500ms"), 500);
    EXPECT_EQ(ms_ok("1s"), 1000);
    EXPECT_EQ(ms_ok("2m"), 120000);
    EXPECT_EQ(ms_ok("1h"), 3600000);
    EXPECT_EQ(ms_ok("1d"), 86400000);
    EXPECT_EQ(ms_ok("1w"), 7 * 86400000LL);
    EXPECT_EQ(ms_ok("1h 30m"), 5400000);
    EXPECT_EQ(ms_ok("1h30m"), 5400000);
    EXPECT_EQ(ms_ok("1s 500ms"), 1500);
    EXPECT_EQ(ms_ok("1d 2h 3m 4s 5ms"), 86400000LL + 2 * 3600000 + 3 * 60000 + 4000 + 5);
    EXPECT_EQ(ms_ok("1m 5"), 65000);  // a bare trailing number is seconds
    EXPECT_EQ(ms_ok("30 "), 30000);   // nginx accepts a trailing space after a bare number
    EXPECT_EQ(ms_ok("1 2"), 3000);    // and adds up bare numbers separated by spaces
    // Years and months are refused in the millisecond variant, as in nginx.
    for (const char* bad : {"", " ", "ms", "s", "1y", "1M", "1x", "1m 1h", "1s1s", "1ms 1s", "-1",
                            "1.5s", "9223372036854775807", "1ss", "5 s"}) {
        auto r = parse_time_ms(bad);
        EXPECT_FALSE(r.is_ok()) << "\"" << bad << "\"";
    }
}

TEST(ConfValues, TimeSeconds) {
    EXPECT_EQ(sec_ok("10"), 10);
    EXPECT_EQ(sec_ok("2m"), 120);
    EXPECT_EQ(sec_ok("1h 1s"), 3601);
    EXPECT_EQ(sec_ok("1y"), 365 * 86400LL);
    EXPECT_EQ(sec_ok("1M"), 30 * 86400LL);
    EXPECT_EQ(sec_ok("1y 1M 1w 1d"), (365 + 30 + 7 + 1) * 86400LL);
    EXPECT_EQ(sec_ok("9223372036854775807"), kMax);
    for (const char* bad : {"500ms", "1s 500ms", "", "1M 1y", "9223372036854775808", "1z"}) {
        auto r = parse_time_sec(bad);
        EXPECT_FALSE(r.is_ok()) << "\"" << bad << "\"";
    }
}

ConfNode flag_node(std::string value) {
    ConfNode n;
    n.name = "sendfile";
    n.args.push_back(std::move(value));
    return n;
}

TEST(ConfValues, Flag) {
    for (const char* on : {"on", "ON", "On"}) {
        auto r = parse_flag(flag_node(on));
        ASSERT_TRUE(r.is_ok()) << on;
        EXPECT_TRUE(*r);
    }
    for (const char* off : {"off", "OFF", "oFf"}) {
        auto r = parse_flag(flag_node(off));
        ASSERT_TRUE(r.is_ok()) << off;
        EXPECT_FALSE(*r);
    }
    auto r = parse_flag(flag_node("yes"));
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.message(),
              "invalid value \"yes\" in \"sendfile\" directive, it must be \"on\" or \"off\"");
    r = parse_flag(flag_node(""));
    EXPECT_EQ(r.message(),
              "invalid value \"\" in \"sendfile\" directive, it must be \"on\" or \"off\"");
    r = parse_flag(flag_node("onn"));
    EXPECT_FALSE(r.is_ok());
}

}  // namespace
}  // namespace tycho::core
