#pragma once

// Access logs: compiled `log_format`s and the log files they are written to. Formats are built
// while loading a config (master thread) and then read-only. Files are shared by every worker
// and every config generation that names the same path, and reopened in place on USR1.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "http/request.h"

namespace tycho::http {

struct LogFormat {
    enum class Escape { kDefault, kJson, kNone };
    struct Part {
        bool is_var = false;
        std::string text;  // literal text or variable name (lower-case, without '$')
    };
    std::string name;
    Escape escape = Escape::kDefault;
    std::vector<Part> parts;
};

// Compiles a log_format's pieces (concatenated without separators, as nginx does). `$name` and
// `${name}` are variables. Errors, nginx-worded, without position: `invalid parameter "..."`,
// `the closing bracket in "x" variable is missing`.
core::Result<std::shared_ptr<LogFormat>> compile_log_format(const std::string& name,
                                                            LogFormat::Escape escape,
                                                            const std::vector<std::string>& pieces);

// The predefined "combined" format (one shared instance).
std::shared_ptr<const LogFormat> combined_log_format();

// Builds one log line (with the trailing '\n'): variables without a value print "-", values
// are escaped per the format (default: '"', '\' and bytes outside 0x20..0x7e as \xHH;
// json: JSON string escapes; none: raw). Worker thread of the request.
void format_log_line(Request& r, const LogFormat& format, std::string& out);

// An open access-log file. The fd stays the same number for the file's lifetime: a reopen
// dup2()s the new descriptor onto it, so writers on other threads never see a closed fd.
struct AccessLogFile {
    std::string path;
    int fd = -1;
    ~AccessLogFile();
};

// Opens (O_WRONLY|O_APPEND|O_CREAT, 0644) or shares the already open file for `path`.
// Error: `open() "PATH" failed (ERRNO: STRERROR)`. Master thread (config load).
core::Result<std::shared_ptr<AccessLogFile>> open_access_log_file(const std::string& path);

// USR1: reopens every access-log file still in use (each path opened anew, then swapped in
// place). Returns the first failure's text, or ok. Any thread.
core::Status reopen_access_logs();

// Writes the request's access-log lines (r.loc's logs, unless `access_log off`), each with a
// single write(2). Called by run_log_phase. Worker thread of the request.
void write_access_logs(Request& r, const LocConf& loc);

}  // namespace tycho::http
