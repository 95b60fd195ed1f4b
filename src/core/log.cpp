#include "core/log.h"

#include <fcntl.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <memory>
#include <mutex>

namespace tycho::core {
namespace {

// nginx's err_levels[]: ngx.log(ngx.STDERR, ...) prints "[]" (its name is the empty string).
constexpr std::string_view kLevelNames[] = {"",     "emerg",  "alert", "crit", "error",
                                             "warn", "notice", "info",  "debug"};

// A sink set owns its descriptors; retired sets stay alive while a writer may still hold them.
struct SinkSet {
    std::vector<LogSink> sinks;
    ~SinkSet() {
        for (const LogSink& s : sinks) {
            if (s.fd > 2) {
                ::close(s.fd);
            }
        }
    }
};

std::shared_ptr<const SinkSet> initial_sinks() {
    auto set = std::make_shared<SinkSet>();
    set->sinks.push_back(LogSink{"stderr", 2, LogLevel::kNotice});
    return set;
}

std::atomic<std::shared_ptr<const SinkSet>> g_sinks{initial_sinks()};
std::atomic<int> g_max_level{static_cast<int>(LogLevel::kNotice)};

}  // namespace

std::string_view log_level_name(LogLevel level) {
    int i = static_cast<int>(level);
    if (i < 0 || i > 8) {
        return "unknown";
    }
    return kLevelNames[i];
}

std::optional<LogLevel> parse_log_level(std::string_view word) {
    for (int i = 1; i <= 8; i++) {
        if (kLevelNames[i] == word) {
            return static_cast<LogLevel>(i);
        }
    }
    if (word == "stderr") {
        return LogLevel::kStderr;
    }
    return std::nullopt;
}

void set_log_sinks(std::vector<LogSink> sinks) {
    auto set = std::make_shared<SinkSet>();
    int max_level = 0;
    for (const LogSink& s : sinks) {
        max_level = std::max(max_level, static_cast<int>(s.level));
    }
    set->sinks = std::move(sinks);
    g_sinks.store(std::move(set));
    g_max_level.store(max_level, std::memory_order_relaxed);
}

std::vector<LogSink> log_sinks() {
    auto set = g_sinks.load();
    std::vector<LogSink> copy = set->sinks;
    for (LogSink& s : copy) {
        s.fd = -1;  // the caller does not own these
    }
    return copy;
}

int open_log_file(const std::string& path) {
    if (path == "stderr") {
        return 2;
    }
    return ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
}

bool log_enabled(LogLevel level) {
    return static_cast<int>(level) <= g_max_level.load(std::memory_order_relaxed);
}

namespace {
thread_local int t_tid = 0;
// A forked child (daemon mode) continues on a thread with a new id: forget the cached one.
const int g_atfork_registered = pthread_atfork(nullptr, nullptr, [] { t_tid = 0; });
}  // namespace

int current_tid() {
    if (t_tid == 0) {
        t_tid = static_cast<int>(::syscall(SYS_gettid));
    }
    return t_tid;
}

namespace {

thread_local LogCaptureFn t_capture = nullptr;
thread_local void* t_capture_data = nullptr;

// Formats one line and writes it to each sink that admits `level`.
void write_line(const std::vector<LogSink>& sinks, LogLevel level, std::string_view message,
                uint64_t conn, std::string_view context) {
    char head[128];
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    localtime_r(&ts.tv_sec, &tm);
    int n = std::snprintf(head, sizeof(head), "%04d/%02d/%02d %02d:%02d:%02d [%.*s] %d#%d: ",
                          tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                          tm.tm_sec, static_cast<int>(log_level_name(level).size()),
                          log_level_name(level).data(), static_cast<int>(::getpid()),
                          current_tid());
    if (conn != 0) {
        n += std::snprintf(head + n, sizeof(head) - n, "*%llu ",
                           static_cast<unsigned long long>(conn));
    }
    struct iovec iov[4];
    iov[0] = {head, static_cast<size_t>(n)};
    iov[1] = {const_cast<char*>(message.data()), message.size()};
    iov[2] = {const_cast<char*>(context.data()), context.size()};
    iov[3] = {const_cast<char*>("\n"), 1};

    for (const LogSink& s : sinks) {
        if (s.fd >= 0 && static_cast<int>(level) <= static_cast<int>(s.level)) {
            // One writev per line: with O_APPEND, lines from several threads never interleave.
            ssize_t r = ::writev(s.fd, iov, 4);
            (void)r;
        }
    }
    if (t_capture != nullptr) {
        LogCaptureFn fn = t_capture;
        t_capture = nullptr;  // nothing the interceptor does is captured again
        std::string line;
        line.reserve(iov[0].iov_len + message.size() + context.size());
        line.append(head, static_cast<size_t>(n)).append(message).append(context);
        double now = static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec / 1000000) / 1e3;
        fn(t_capture_data, level, now, line);
        t_capture = fn;
    }
}

}  // namespace

void set_thread_log_capture(LogCaptureFn fn, void* data) {
    t_capture = fn;
    t_capture_data = data;
}

void log_error(LogLevel level, std::string_view message, uint64_t conn,
               std::string_view context) {
    if (!log_enabled(level)) {
        return;
    }
    auto set = g_sinks.load();
    write_line(set->sinks, level, message, conn, context);
}

void log_error_to(const std::vector<LogSink>& sinks, LogLevel level, std::string_view message,
                  uint64_t conn, std::string_view context) {
    if (log_enabled_in(sinks, level)) {
        write_line(sinks, level, message, conn, context);
    }
}

bool log_enabled_in(const std::vector<LogSink>& sinks, LogLevel level) {
    for (const LogSink& s : sinks) {
        if (s.fd >= 0 && static_cast<int>(level) <= static_cast<int>(s.level)) {
            return true;
        }
    }
    return false;
}

void log_errorf(LogLevel level, const char* fmt, ...) {
    if (!log_enabled(level)) {
        return;
    }
    char buf[4096];
    va_list ap;
    va_start(ap, fmt);
    int n = std::vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (n < 0) {
        return;
    }
    log_error(level, std::string_view(buf, std::min<size_t>(n, sizeof(buf) - 1)));
}

void write_all(int fd, std::string_view data) {
    while (!data.empty()) {
        ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return;
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
}

}  // namespace tycho::core
