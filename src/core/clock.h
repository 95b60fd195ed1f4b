#pragma once

#include <cstdint>
#include <string_view>

namespace tycho::core {

// Per-thread cached wall-clock time, refreshed once per event-loop turn (as nginx's
// ngx_time_update): reading it is a load, not a syscall. Strings are rebuilt only when the
// second changes. Each worker thread calls update_cached_time() at the start of a loop turn;
// any thread may call it at any time.
struct CachedTime {
    int64_t sec = 0;            // Unix seconds
    int64_t msec = 0;           // Unix milliseconds
    std::string_view http_time;   // "Sun, 22 Nov 2026 11:55:37 GMT"  (Date header, http_time)
    std::string_view log_time;    // "2026/11/22 11:55:37"  (error log, local time)
    std::string_view local_time;  // "22/Nov/2026:11:55:37 +0000"  ($time_local)
    std::string_view iso8601;     // "2026-11-22T11:55:37+00:00"   ($time_iso8601)
};

// Re-reads the clock (CLOCK_REALTIME, to the millisecond as nginx's gettimeofday; the coarse
// clock ticks every 4 ms here, which ngx.now(), $msec and $request_time would show) and returns
// the refreshed cache of the calling thread.
const CachedTime& update_cached_time();
// update_cached_time(), unless the event loop's own time (uv_now: refreshed by libuv after
// each poll) is still `loop_ms`, the value of the last call: then nothing can have waited since
// and the cache stands. What the loop's callbacks call, so the clock is read about once per
// poll, as nginx reads it once per epoll_wait.
const CachedTime& update_cached_time_for_loop(uint64_t loop_ms);
// The calling thread's cache as of its last update (updated on first use).
const CachedTime& cached_time();
// Sets the calling thread's cache to Unix milliseconds `msec` (another thread's cached time:
// a task run for that thread sees its clock).
const CachedTime& set_cached_time(int64_t msec);

// Formats `sec` as an HTTP date ("Sun, 06 Nov 1994 08:49:37 GMT") into buf (>= 30 bytes);
// returns the length.
size_t format_http_time(int64_t sec, char* buf);
// Parses an HTTP date (RFC 1123, RFC 850, asctime); -1 if invalid.
int64_t parse_http_time(std::string_view text);

}  // namespace tycho::core
