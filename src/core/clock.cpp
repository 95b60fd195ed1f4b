#include "core/clock.h"

#include <time.h>

#include <cstdio>
#include <cstring>

namespace tycho::core {
namespace {

constexpr const char* kWeek[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

struct TimeCache {
    CachedTime view;
    int64_t formatted_sec = -1;
    uint64_t loop_ms = UINT64_MAX;  // update_cached_time_for_loop's last argument
    char http_time[32];
    char log_time[32];
    char local_time[40];
    char iso8601[40];
};

thread_local TimeCache t_cache;

void refresh_strings(TimeCache& c) {
    time_t sec = static_cast<time_t>(c.view.sec);
    struct tm gmt;
    gmtime_r(&sec, &gmt);
    size_t n = format_http_time(c.view.sec, c.http_time);
    c.view.http_time = std::string_view(c.http_time, n);

    struct tm tm;
    localtime_r(&sec, &tm);
    long off = tm.tm_gmtoff / 60;
    char sign = off < 0 ? '-' : '+';
    if (off < 0) {
        off = -off;
    }
    int k = std::snprintf(c.log_time, sizeof(c.log_time), "%04d/%02d/%02d %02d:%02d:%02d",
                          tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                          tm.tm_sec);
    c.view.log_time = std::string_view(c.log_time, k);
    k = std::snprintf(c.local_time, sizeof(c.local_time), "%02d/%s/%d:%02d:%02d:%02d %c%02ld%02ld",
                      tm.tm_mday, kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                      tm.tm_sec, sign, off / 60, off % 60);
    c.view.local_time = std::string_view(c.local_time, k);
    k = std::snprintf(c.iso8601, sizeof(c.iso8601), "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld",
                      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                      tm.tm_sec, sign, off / 60, off % 60);
    c.view.iso8601 = std::string_view(c.iso8601, k);
    c.formatted_sec = c.view.sec;
}

int month_index(const char* p) {
    for (int i = 0; i < 12; i++) {
        if (std::strncmp(p, kMonths[i], 3) == 0) {
            return i;
        }
    }
    return -1;
}

}  // namespace

const CachedTime& update_cached_time() {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    TimeCache& c = t_cache;
    c.view.sec = ts.tv_sec;
    c.view.msec = static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
    if (c.formatted_sec != c.view.sec) {
        refresh_strings(c);
    }
    return c.view;
}

const CachedTime& update_cached_time_for_loop(uint64_t loop_ms) {
    TimeCache& c = t_cache;
    if (c.loop_ms == loop_ms && c.formatted_sec >= 0) {
        return c.view;
    }
    c.loop_ms = loop_ms;
    return update_cached_time();
}

const CachedTime& set_cached_time(int64_t msec) {
    TimeCache& c = t_cache;
    c.view.msec = msec;
    c.view.sec = msec / 1000;  // a Unix time after 1970
    c.loop_ms = UINT64_MAX;
    if (c.formatted_sec != c.view.sec) {
        refresh_strings(c);
    }
    return c.view;
}

const CachedTime& cached_time() {
    if (t_cache.formatted_sec < 0) {
        return update_cached_time();
    }
    return t_cache.view;
}

size_t format_http_time(int64_t sec, char* buf) {
    time_t t = static_cast<time_t>(sec);
    struct tm gmt;
    gmtime_r(&t, &gmt);
    int n = std::snprintf(buf, 30, "%s, %02d %s %04d %02d:%02d:%02d GMT", kWeek[gmt.tm_wday],
                          gmt.tm_mday, kMonths[gmt.tm_mon], gmt.tm_year + 1900, gmt.tm_hour,
                          gmt.tm_min, gmt.tm_sec);
    return n > 0 ? static_cast<size_t>(n) : 0;
}

int64_t parse_http_time(std::string_view text) {
    char buf[64];
    if (text.size() >= sizeof(buf)) {
        return -1;
    }
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    struct tm tm {};
    char wday[16];
    char mon[4];
    int day, year, hh, mm, ss;
    // RFC 1123: "Sun, 06 Nov 1994 08:49:37 GMT"
    if (std::sscanf(buf, "%3s, %2d %3s %4d %2d:%2d:%2d GMT", wday, &day, mon, &year, &hh, &mm,
                    &ss) == 7) {
    } else if (std::sscanf(buf, "%15[A-Za-z], %2d-%3s-%2d %2d:%2d:%2d GMT", wday, &day, mon,
                           &year, &hh, &mm, &ss) == 7) {
        // RFC 850: "Sunday, 06-Nov-94 08:49:37 GMT"
        year += year < 70 ? 2000 : 1900;
    } else if (std::sscanf(buf, "%3s %3s %2d %2d:%2d:%2d %4d", wday, mon, &day, &hh, &mm, &ss,
                           &year) == 7) {
        // asctime: "Sun Nov  6 08:49:37 1994"
    } else {
        return -1;
    }
    int m = month_index(mon);
    if (m < 0 || day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 || year < 1970) {
        return -1;
    }
    tm.tm_year = year - 1900;
    tm.tm_mon = m;
    tm.tm_mday = day;
    tm.tm_hour = hh;
    tm.tm_min = mm;
    tm.tm_sec = ss;
    return static_cast<int64_t>(timegm(&tm));
}

}  // namespace tycho::core
