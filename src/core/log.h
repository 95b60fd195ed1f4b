#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace tycho::core {

// nginx's error-log levels, same numbering (ngx.STDERR .. ngx.DEBUG mirror these values).
enum class LogLevel : int {
    kStderr = 0,
    kEmerg = 1,
    kAlert = 2,
    kCrit = 3,
    kError = 4,
    kWarn = 5,
    kNotice = 6,
    kInfo = 7,
    kDebug = 8,
};

// "emerg", "alert", ..., "debug" ("" for kStderr), as nginx prints them in brackets.
std::string_view log_level_name(LogLevel level);
// Parses a level word of the error_log directive; nullopt if unknown.
std::optional<LogLevel> parse_log_level(std::string_view word);

// One destination of the error log: an open file descriptor and the most verbose level written.
struct LogSink {
    std::string path;  // "stderr" for fd 2; empty for none
    int fd = -1;
    LogLevel level = LogLevel::kError;
};

// Replaces the process-wide set of sinks (used at startup, on reload and on USR1 reopen).
// Thread-safe: loggers on other threads see either the old or the new set. The previous
// descriptors are closed after a grace period is no longer needed (they are retired, not leaked:
// sinks own their fds and close them once no thread can be writing through them).
void set_log_sinks(std::vector<LogSink> sinks);
// Copy of the current sinks (paths and levels), e.g. to reopen them.
std::vector<LogSink> log_sinks();
// Opens `path` for appending (O_APPEND|O_CREAT, 0644) or returns 2 for "stderr"; -1 with errno.
int open_log_file(const std::string& path);

// True if some sink would write a line at `level`. Cheap (one atomic load): call it before
// building an expensive message.
bool log_enabled(LogLevel level);

// Writes one error-log line to every sink that admits `level`, unbuffered, in nginx's format:
//   YYYY/MM/DD HH:MM:SS [level] PID#TID: *CONN message, client: ..., server: ...
// `conn` is the connection number (0 = none: the "*CONN " part is left out); `context` is the
// suffix that follows the message (", client: ..."; may be empty). Any thread may call it.
void log_error(LogLevel level, std::string_view message, uint64_t conn = 0,
               std::string_view context = {});
// Like log_error(), but to `sinks` instead of the process-wide set: the error_log of an
// http/server/location block. The caller keeps the sinks' descriptors open. Any thread.
void log_error_to(const std::vector<LogSink>& sinks, LogLevel level, std::string_view message,
                  uint64_t conn = 0, std::string_view context = {});
// True if some of `sinks` would write a line at `level`.
bool log_enabled_in(const std::vector<LogSink>& sinks, LogLevel level);
// An interceptor of the error-log lines of one thread (lua_capture_error_log): `fn` gets each
// line that some sink writes, as written but without the newline, its level and its time (Unix
// seconds, millisecond precision). `fn` must not log. nullptr removes it. Thread-local: a worker
// captures what its own thread logs.
using LogCaptureFn = void (*)(void* data, LogLevel level, double time, std::string_view line);
void set_thread_log_capture(LogCaptureFn fn, void* data);

// printf-style convenience for lines without connection context.
void log_errorf(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

// Writes all of `data` to `fd`, retrying short writes and EINTR; gives up silently on any other
// error (messages to a terminal or a pipe, where nothing better can be done). Any thread.
void write_all(int fd, std::string_view data);

// The kernel thread id of the calling thread (the TID of log lines; ngx.worker.pid()).
int current_tid();

}  // namespace tycho::core
