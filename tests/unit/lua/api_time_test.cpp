#include <time.h>

#include <cstdio>
#include <string>

#include "core/clock.h"
#include "unit/lua/api_test_util.h"

namespace tycho::lua::testing {
namespace {

using TimeApiTest = ApiTest;

std::string format_local(int64_t sec, const char* fmt) {
    time_t t = static_cast<time_t>(sec);
    struct tm tm;
    localtime_r(&t, &tm);
    char buf[64];
    strftime(buf, sizeof(buf), fmt, &tm);
    return buf;
}

TEST_F(TimeApiTest, NowAndTimeReadTheCachedClock) {
    const core::CachedTime& c = core::update_cached_time();
    EXPECT_EQ(eval("return ngx.time()"), std::to_string(c.sec));
    EXPECT_EQ(eval("return math.floor(ngx.now() * 1000 + 0.5)"), std::to_string(c.msec));
    EXPECT_EQ(eval("return type(ngx.time()) .. type(ngx.now())"), "numbernumber");
    // Cached: two reads within one turn agree exactly.
    EXPECT_EQ(eval("local a = ngx.now() for i = 1, 1e5 do end return ngx.now() == a"), "true");
    EXPECT_EQ(eval("return math.floor(ngx.now()) == ngx.time()"), "true");
}

TEST_F(TimeApiTest, UpdateTimeRefreshesTheCache) {
    core::update_cached_time();
    struct timespec ts = {0, 30 * 1000 * 1000};
    nanosleep(&ts, nullptr);
    EXPECT_EQ(eval("local a = ngx.now() ngx.update_time() local b = ngx.now() "
                   "return b - a >= 0.02"),
              "true");
    EXPECT_EQ(eval("return ngx.update_time()"), "nil");
}

TEST_F(TimeApiTest, TodayLocaltimeUtctime) {
    int64_t sec = core::update_cached_time().sec;
    EXPECT_EQ(eval("return ngx.today()"), format_local(sec, "%Y-%m-%d"));
    EXPECT_EQ(eval("return ngx.localtime()"), format_local(sec, "%Y-%m-%d %H:%M:%S"));
    time_t t = static_cast<time_t>(sec);
    struct tm tm;
    gmtime_r(&t, &tm);
    char buf[64];
    strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S", &tm);
    EXPECT_EQ(eval("return ngx.utctime()"), buf);
}

TEST_F(TimeApiTest, HttpTimeAndCookieTime) {
    EXPECT_EQ(eval("return ngx.http_time(1290079655)"), "Thu, 18 Nov 2010 11:27:35 GMT");
    EXPECT_EQ(eval("return ngx.cookie_time(1290079655)"), "Thu, 18-Nov-10 11:27:35 GMT");
    EXPECT_EQ(eval("return ngx.http_time(0)"), "Thu, 01 Jan 1970 00:00:00 GMT");
    // After 2037 cookie_time switches to a four-digit year, as nginx does.
    EXPECT_EQ(eval("return ngx.cookie_time(2200000000)"), "Sun, 18-Sep-2039 23:06:40 GMT");
    EXPECT_EQ(eval("return ngx.http_time(1290079655.9)"), "Thu, 18 Nov 2010 11:27:35 GMT");
    // Absurd input stays well-formed instead of overflowing.
    EXPECT_EQ(eval("return #ngx.http_time(1e300) <= 64"), "true");
    EXPECT_EQ(eval("return #ngx.cookie_time(0/0) <= 64"), "true");
}

TEST_F(TimeApiTest, TimeArgumentErrors) {
    EXPECT_EQ(error_of("ngx.http_time('1290079655')"), "test:1: number argument only");
    EXPECT_EQ(error_of("ngx.http_time()"), "test:1: number argument only");
    EXPECT_EQ(error_of("ngx.cookie_time({})"), "test:1: number argument only");
    EXPECT_EQ(error_of("ngx.parse_http_time(12)"), "test:1: string argument only");
    EXPECT_EQ(error_of("ngx.parse_http_time()"), "test:1: string argument only");
}

TEST_F(TimeApiTest, ParseHttpTime) {
    EXPECT_EQ(eval("return ngx.parse_http_time('Thu, 18 Nov 2010 11:27:35 GMT')"), "1290079655");
    EXPECT_EQ(eval("return ngx.parse_http_time('Thursday, 18-Nov-10 11:27:35 GMT')"), "1290079655");
    EXPECT_EQ(eval("return ngx.parse_http_time('Thu Nov 18 11:27:35 2010')"), "1290079655");
    EXPECT_EQ(eval("return ngx.parse_http_time('Sun Nov  6 08:49:37 1994')"), "784111777");
    EXPECT_EQ(eval("return ngx.parse_http_time(ngx.http_time(1700000000))"), "1700000000");
    EXPECT_EQ(eval("return ngx.parse_http_time('Tue, 29 Feb 2000 00:00:00 GMT')"), "951782400");
    EXPECT_EQ(eval("return ngx.parse_http_time('Thu, 01 Jan 1970 00:00:00 GMT')"), "0");
}

TEST_F(TimeApiTest, ParseHttpTimeRejects) {
    const char* bad[] = {
        "",
        "garbage",
        "Thu, 18 Nov 2010 11:27:35",      // no zone: nginx stops after the seconds
        "Thu, 18 Nov 2010 24:00:00 GMT",  // hour
        "Thu, 18 Nov 2010 11:60:00 GMT",  // minute
        "Thu, 18 Nov 2010 11:27:60 GMT",  // second
        "Wed, 29 Feb 2001 00:00:00 GMT",  // not a leap year
        "Mon, 29 Feb 1900 00:00:00 GMT",  // century rule
        "Thu, 31 Apr 2010 00:00:00 GMT",  // April has 30 days
        "Thu, 18 Xyz 2010 11:27:35 GMT",  // month
        "Thu, 1x Nov 2010 11:27:35 GMT",  // day
        "Thu, 18 Nov 20x0 11:27:35 GMT",  // year
    };
    for (const char* s : bad) {
        std::string code = std::string("return ngx.parse_http_time('") + s + "')";
        if (std::string(s) == "Thu, 18 Nov 2010 11:27:35") {
            // nginx ignores what follows the seconds: a missing " GMT" still parses.
            EXPECT_EQ(eval(code), "1290079655");
            continue;
        }
        EXPECT_EQ(eval(code), "nil") << s;
    }
}

TEST_F(TimeApiTest, FfiSymbolsResolve) {
    EXPECT_EQ(eval("local ffi = require 'ffi' local n = 0 "
                   "for _, s in ipairs({'now', 'time', 'update_time', 'today', 'localtime', "
                   "'utctime', 'cookie_time', 'http_time', 'parse_http_time'}) do "
                   "  assert(ffi.C['tycho_ffi_time_' .. s]) n = n + 1 end return n"),
              "9");
}

TEST_F(TimeApiTest, HotLoopsCompile) {
    std::string path = ::testing::TempDir() + "luaapi_time_jit.txt";
    std::string code = "local v = require 'jit.v' v.on('" + path +
                       "') "
                       "local acc = 0 for i = 1, 300 do acc = acc + ngx.now() + ngx.time() end "
                       "v.off() local f = io.open('" +
                       path + "') local s = f:read('*a') f:close() os.remove('" + path +
                       "') "
                       "return tostring(s:find('[TRACE', 1, true) ~= nil) .. ',' .. "
                       "tostring(s:find('NYI', 1, true) == nil)";
    EXPECT_EQ(eval(code), "true,true");
}

}  // namespace
}  // namespace tycho::lua::testing
