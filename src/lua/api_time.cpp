// ngx.now/time/today/... : C halves of lua/tycho/time.lua (lua-resty-core's resty.core.time
// split). All read the calling worker thread's cached clock, which the loop refreshes once per
// turn, so they cost a load, not a syscall.

#include <time.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <lua.hpp>

#include "core/clock.h"
#include "lua/api.h"

namespace tycho::lua {
namespace {

constexpr const char* kWeek[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

// nginx's ngx_gmtime: negative times are the epoch, and four year digits at most: later times
// are December 31, 9999, 23:59:59 (so ngx.http_time(1e15) is that date, as in OpenResty).
void safe_gmtime(long t, struct tm* tm) {
    constexpr long kLast = 253402300799;  // 9999-12-31 23:59:59
    time_t tt = static_cast<time_t>(t < 0 ? 0 : t > kLast ? kLast : t);
    gmtime_r(&tt, tm);
}

// Copies at most `size` bytes of the formatted text; returns the copied length.
int copy_out(unsigned char* buf, size_t size, const char* text, int n) {
    if (n < 0) {
        return 0;
    }
    size_t len = static_cast<size_t>(n) < size ? static_cast<size_t>(n) : size;
    std::memcpy(buf, text, len);
    return static_cast<int>(len);
}

void format_ymd_hms(unsigned char* buf, const struct tm& tm, bool with_time) {
    char tmp[64];
    int n = with_time ? std::snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d %02d:%02d:%02d",
                                      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                                      tm.tm_min, tm.tm_sec)
                      : std::snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d", tm.tm_year + 1900,
                                      tm.tm_mon + 1, tm.tm_mday);
    copy_out(buf, with_time ? 19 : 10, tmp, n);
}

// nginx's ngx_http_parse_time (RFC 1123, RFC 850 and asctime dates), ported as is so that
// what it rejects (Feb 29 of a common year, 60 seconds, ...) matches. Returns -1 on error.
int64_t parse_http_time(const unsigned char* value, size_t len) {
    static const int kMday[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    enum Fmt { kNone, kRfc822, kRfc850, kIsoc } fmt = kNone;
    const unsigned char* p = value;
    const unsigned char* end = value + len;
    int day = 32;
    int month = 0;
    int year = 2038;
    auto digit = [](unsigned char c) { return c >= '0' && c <= '9'; };

    for (; p < end; p++) {
        if (*p == ',') {
            break;
        }
        if (*p == ' ') {
            fmt = kIsoc;
            break;
        }
    }
    for (p++; p < end; p++) {
        if (*p != ' ') {
            break;
        }
    }
    if (p > end || end - p < 18) {
        return -1;
    }
    if (fmt != kIsoc) {
        if (!digit(p[0]) || !digit(p[1])) {
            return -1;
        }
        day = (p[0] - '0') * 10 + p[1] - '0';
        p += 2;
        if (*p == ' ') {
            if (end - p < 18) {
                return -1;
            }
            fmt = kRfc822;
        } else if (*p == '-') {
            fmt = kRfc850;
        } else {
            return -1;
        }
        p++;
    }
    switch (*p) {
        case 'J':
            month = p[1] == 'a' ? 0 : p[2] == 'n' ? 5 : 6;
            break;
        case 'F':
            month = 1;
            break;
        case 'M':
            month = p[2] == 'r' ? 2 : 4;
            break;
        case 'A':
            month = p[1] == 'p' ? 3 : 7;
            break;
        case 'S':
            month = 8;
            break;
        case 'O':
            month = 9;
            break;
        case 'N':
            month = 10;
            break;
        case 'D':
            month = 11;
            break;
        default:
            return -1;
    }
    p += 3;
    if ((fmt == kRfc822 && *p != ' ') || (fmt == kRfc850 && *p != '-')) {
        return -1;
    }
    p++;
    if (fmt == kRfc822) {
        if (!digit(p[0]) || !digit(p[1]) || !digit(p[2]) || !digit(p[3])) {
            return -1;
        }
        year = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + p[3] - '0';
        p += 4;
    } else if (fmt == kRfc850) {
        if (!digit(p[0]) || !digit(p[1])) {
            return -1;
        }
        year = (p[0] - '0') * 10 + p[1] - '0';
        year += year < 70 ? 2000 : 1900;
        p += 2;
    }
    if (fmt == kIsoc) {
        if (*p == ' ') {
            p++;
        }
        if (!digit(*p)) {
            return -1;
        }
        day = *p++ - '0';
        if (*p != ' ') {
            if (!digit(*p)) {
                return -1;
            }
            day = day * 10 + *p++ - '0';
        }
        if (end - p < 14) {
            return -1;
        }
    }
    if (*p++ != ' ') {
        return -1;
    }
    if (!digit(p[0]) || !digit(p[1])) {
        return -1;
    }
    int hour = (p[0] - '0') * 10 + p[1] - '0';
    p += 2;
    if (*p++ != ':') {
        return -1;
    }
    if (!digit(p[0]) || !digit(p[1])) {
        return -1;
    }
    int min = (p[0] - '0') * 10 + p[1] - '0';
    p += 2;
    if (*p++ != ':') {
        return -1;
    }
    if (!digit(p[0]) || !digit(p[1])) {
        return -1;
    }
    int sec = (p[0] - '0') * 10 + p[1] - '0';
    if (fmt == kIsoc) {
        p += 2;
        if (*p++ != ' ') {
            return -1;
        }
        if (!digit(p[0]) || !digit(p[1]) || !digit(p[2]) || !digit(p[3])) {
            return -1;
        }
        year = (p[0] - '0') * 1000 + (p[1] - '0') * 100 + (p[2] - '0') * 10 + p[3] - '0';
    }
    if (hour > 23 || min > 59 || sec > 59) {
        return -1;
    }
    if (day == 29 && month == 1) {
        if ((year & 3) || ((year % 100 == 0) && (year % 400) != 0)) {
            return -1;
        }
    } else if (day > kMday[month]) {
        return -1;
    }
    // Gauss's formula, with the year shifted to start on March 1.
    if (--month <= 0) {
        month += 12;
        year -= 1;
    }
    int64_t days = 365LL * year + year / 4 - year / 100 + year / 400 + 367LL * month / 12 - 31 +
                   day - 719527 + 31 + 28;
    return days * 86400 + hour * 3600 + min * 60 + sec;
}

}  // namespace

void inject_time(lua_State* L) {
    int ngx_index = lua_gettop(L);
    require_embedded(L, "tycho.time");
    lua_pushnil(L);
    while (lua_next(L, -2) != 0) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_settable(L, ngx_index);
    }
    lua_pop(L, 1);
}

}  // namespace tycho::lua

// --- FFI halves (lua/tycho/time.lua) -----------------------------------------------------------

extern "C" {

double tycho_ffi_time_now() noexcept {
    return static_cast<double>(tycho::core::cached_time().msec) / 1000.0;
}

long tycho_ffi_time_time() noexcept {
    return static_cast<long>(tycho::core::cached_time().sec);
}

void tycho_ffi_time_update_time() noexcept {
    (void)tycho::core::update_cached_time();
}

// 10 bytes: "2010-11-19", local time.
void tycho_ffi_time_today(unsigned char* buf) noexcept {
    time_t t = static_cast<time_t>(tycho::core::cached_time().sec);
    struct tm tm;
    localtime_r(&t, &tm);
    tycho::lua::format_ymd_hms(buf, tm, false);
}

// 19 bytes: "2010-11-19 20:56:31", local time.
void tycho_ffi_time_localtime(unsigned char* buf) noexcept {
    time_t t = static_cast<time_t>(tycho::core::cached_time().sec);
    struct tm tm;
    localtime_r(&t, &tm);
    tycho::lua::format_ymd_hms(buf, tm, true);
}

// 19 bytes: "2010-11-19 20:56:31", UTC.
void tycho_ffi_time_utctime(unsigned char* buf) noexcept {
    struct tm tm;
    tycho::lua::safe_gmtime(static_cast<long>(tycho::core::cached_time().sec), &tm);
    tycho::lua::format_ymd_hms(buf, tm, true);
}

// nginx's ngx_http_cookie_time: a two-digit year up to 2037 (for old Netscape), four digits
// after. Writes at most `size` bytes; returns the length.
int tycho_ffi_time_cookie_time(unsigned char* buf, size_t size, long t) noexcept {
    struct tm tm;
    tycho::lua::safe_gmtime(t, &tm);
    int year = tm.tm_year + 1900;
    char tmp[64];
    int n = std::snprintf(
        tmp, sizeof(tmp),
        year > 2037 ? "%s, %02d-%s-%d %02d:%02d:%02d GMT" : "%s, %02d-%s-%02d %02d:%02d:%02d GMT",
        tycho::lua::kWeek[tm.tm_wday], tm.tm_mday, tycho::lua::kMonths[tm.tm_mon],
        year > 2037 ? year : year % 100, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return tycho::lua::copy_out(buf, size, tmp, n);
}

// "Thu, 18 Nov 2010 11:27:35 GMT". Writes at most `size` bytes; returns the length.
int tycho_ffi_time_http_time(unsigned char* buf, size_t size, long t) noexcept {
    struct tm tm;
    tycho::lua::safe_gmtime(t, &tm);
    char tmp[64];
    int n = std::snprintf(tmp, sizeof(tmp), "%s, %02d %s %04d %02d:%02d:%02d GMT",
                          tycho::lua::kWeek[tm.tm_wday], tm.tm_mday, tycho::lua::kMonths[tm.tm_mon],
                          tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return tycho::lua::copy_out(buf, size, tmp, n);
}

// Unix seconds of an HTTP date, or -1 (NGX_ERROR) if `str` is not one.
long tycho_ffi_time_parse_http_time(const unsigned char* str, size_t len) noexcept {
    return static_cast<long>(tycho::lua::parse_http_time(str, len));
}

}  // extern "C"
