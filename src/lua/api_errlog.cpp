// require "ngx.errlog" (lua/ngx/errlog.lua over FFI): raw_log, get_sys_filter_level, and the
// lua_capture_error_log buffer behind set_filter_level / get_logs, after lua-nginx-module's
// ngx_http_lua_log.c and ngx_http_lua_log_ringbuf.c. OpenResty's nginx hands every error-log
// line to the buffer (its intercept_error_log patch); Tycho's logger does the same through a
// thread-local interceptor, so each worker captures the lines its own thread writes, as each
// nginx worker process does.

#include <algorithm>
#include <cstdio>
#include <deque>
#include <string>
#include <string_view>

#include "core/log.h"
#include "lua/api_runtime.h"

namespace tycho::lua {
namespace {

// The captured lines, oldest first, within `size` bytes; a line costs its text plus the
// header lua-nginx-module's ring buffer stores with it (length, level, time). When a new line
// does not fit, the oldest go, as in the ring buffer.
class CaptureBuffer {
  public:
    static constexpr size_t kHeader = 24;

    explicit CaptureBuffer(size_t size) : size_(size) {}

    void add(core::LogLevel level, double time, std::string_view line) {
        if (static_cast<int>(level) > filter_) {
            return;
        }
        size_t cost = line.size() + kHeader;
        if (cost > size_) {
            return;  // larger than the whole buffer: not captured
        }
        while (used_ + cost > size_) {
            used_ -= lines_.front().text.size() + kHeader;
            lines_.pop_front();
        }
        lines_.push_back(Line{static_cast<int>(level), time, std::string(line)});
        used_ += cost;
    }

    // The oldest line, removed from the buffer; its text stays valid until the next call.
    bool pop(int* level, double* time, std::string_view* text) {
        if (lines_.empty()) {
            return false;
        }
        Line& l = lines_.front();
        used_ -= l.text.size() + kHeader;
        *level = l.level;
        *time = l.time;
        last_ = std::move(l.text);
        lines_.pop_front();
        *text = last_;
        return true;
    }

    void set_filter(int level) { filter_ = level; }

  private:
    struct Line {
        int level;
        double time;
        std::string text;
    };
    size_t size_;
    size_t used_ = 0;
    int filter_ = static_cast<int>(core::LogLevel::kDebug);  // all, until set_filter_level
    std::deque<Line> lines_;
    std::string last_;
};

thread_local CaptureBuffer* t_buffer = nullptr;

void capture(void* data, core::LogLevel level, double time, std::string_view line) {
    static_cast<CaptureBuffer*>(data)->add(level, time, line);
}

constexpr int kMinLevel = static_cast<int>(core::LogLevel::kStderr);
constexpr int kMaxLevel = static_cast<int>(core::LogLevel::kDebug);

int set_error(char* err, size_t* errlen, const char* text, int level = 0) {
    int n = std::snprintf(err, *errlen, text, level);
    *errlen = std::min(static_cast<size_t>(std::max(n, 0)), *errlen - 1);
    return -1;
}

}  // namespace

void start_error_log_capture(size_t size) {
    stop_error_log_capture();
    if (size == 0) {
        return;
    }
    t_buffer = new CaptureBuffer(size);
    core::set_thread_log_capture(capture, t_buffer);
}

void stop_error_log_capture() {
    if (t_buffer != nullptr) {
        core::set_thread_log_capture(nullptr, nullptr);
        delete t_buffer;
        t_buffer = nullptr;
    }
}

}  // namespace tycho::lua

using tycho::lua::t_buffer;

extern "C" {

// 0, or -1 with the error in err/errlen.
int tycho_ffi_errlog_set_filter_level(int level, char* err, size_t* errlen) noexcept {
    using namespace tycho::lua;
    if (t_buffer == nullptr) {
        return set_error(err, errlen, "directive \"lua_capture_error_log\" is not set");
    }
    if (level > kMaxLevel || level < kMinLevel) {
        return set_error(err, errlen, "bad log level: %d", level);
    }
    t_buffer->set_filter(level);
    return 0;
}

// The oldest captured line's length (its text in *log until the next call), -1 with the error
// in err/errlen, or -2 when none is left.
int tycho_ffi_errlog_get_msg(const char** log, int* level, char* err, size_t* errlen,
                             double* time) noexcept {
    using namespace tycho::lua;
    if (t_buffer == nullptr) {
        return set_error(err, errlen, "directive \"lua_capture_error_log\" is not set");
    }
    std::string_view text;
    if (!t_buffer->pop(level, time, &text)) {
        return -2;
    }
    *log = text.data();
    return static_cast<int>(text.size());
}

// The most verbose level the error log writes.
// The level of the log the caller's lines go to: a request's (and its timers') follows its
// location's or server's error_log, as r->connection->log in lua-nginx-module.
int tycho_ffi_errlog_get_sys_filter_level(void) noexcept {
    using namespace tycho::lua;
    const Context* ctx = current_context();
    for (int level = kMaxLevel; level > kMinLevel; level--) {
        if (log_enabled_for(ctx, static_cast<tycho::core::LogLevel>(level))) {
            return level;
        }
    }
    return kMinLevel;
}

// Logs `s` as it is (no "[lua] file:line:" prefix), with the request's context when there is
// one. -1 for a bad level.
int tycho_ffi_raw_log(int level, const char* s, size_t len) noexcept {
    using namespace tycho::lua;
    if (level > kMaxLevel || level < kMinLevel) {
        return -1;
    }
    log_for(current_context(), level, s, len);
    return 0;
}

}  // extern "C"
