#include "http/access_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>

#include "http/variables.h"

namespace tycho::http {
namespace {

bool is_name_char(char ch) {
    return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
           ch == '_';
}

std::mutex g_files_mutex;
// Open files by path; weak so that a file no config uses any more is closed.
std::map<std::string, std::weak_ptr<AccessLogFile>>& files() {
    static auto* map = new std::map<std::string, std::weak_ptr<AccessLogFile>>();
    return *map;
}

std::string open_error(const std::string& path, int err) {
    return "open() \"" + path + "\" failed (" + std::to_string(err) + ": " + std::strerror(err) +
           ")";
}

const char kHex[] = "0123456789ABCDEF";

void append_escaped(std::string& out, std::string_view value, LogFormat::Escape escape) {
    switch (escape) {
        case LogFormat::Escape::kNone:
            out.append(value);
            return;
        case LogFormat::Escape::kDefault:
            // ngx_http_log_escape(): '"', '\\' and bytes outside printable ASCII as \xHH.
            for (unsigned char c : value) {
                if (c == '"' || c == '\\' || c < 0x20 || c >= 0x7f) {
                    out.append("\\x");
                    out.push_back(kHex[c >> 4]);
                    out.push_back(kHex[c & 0xf]);
                } else {
                    out.push_back(static_cast<char>(c));
                }
            }
            return;
        case LogFormat::Escape::kJson:
            for (unsigned char c : value) {
                switch (c) {
                    case '"':
                        out.append("\\\"");
                        break;
                    case '\\':
                        out.append("\\\\");
                        break;
                    case '\n':
                        out.append("\\n");
                        break;
                    case '\r':
                        out.append("\\r");
                        break;
                    case '\t':
                        out.append("\\t");
                        break;
                    case '\b':
                        out.append("\\b");
                        break;
                    case '\f':
                        out.append("\\f");
                        break;
                    default:
                        if (c < 0x20) {
                            // ngx_escape_json(): lower-case hex digits.
                            out.append("\\u00");
                            out.push_back(static_cast<char>('0' + (c >> 4)));
                            out.push_back("0123456789abcdef"[c & 0xf]);
                        } else {
                            out.push_back(static_cast<char>(c));
                        }
                }
            }
            return;
    }
}

}  // namespace

core::Result<std::shared_ptr<LogFormat>> compile_log_format(
    const std::string& name, LogFormat::Escape escape, const std::vector<std::string>& pieces) {
    auto fmt = std::make_shared<LogFormat>();
    fmt->name = name;
    fmt->escape = escape;
    std::string literal;
    for (const std::string& piece : pieces) {
        size_t i = 0;
        while (i < piece.size()) {
            if (piece[i] != '$') {
                literal.push_back(piece[i++]);
                continue;
            }
            // ngx_http_log_compile_format()
            if (++i == piece.size()) {
                return core::Status::error("invalid parameter \"" + piece + "\"");
            }
            bool bracket = false;
            if (piece[i] == '{') {
                bracket = true;
                if (++i == piece.size()) {
                    return core::Status::error("invalid parameter \"" + piece + "\"");
                }
            }
            size_t start = i;
            for (; i < piece.size(); i++) {
                if (bracket && piece[i] == '}') {
                    break;
                }
                if (!is_name_char(piece[i])) {
                    break;
                }
            }
            std::string var = piece.substr(start, i - start);
            if (bracket) {
                if (i == piece.size() || piece[i] != '}') {
                    return core::Status::error("the closing bracket in \"" + var +
                                               "\" variable is missing");
                }
                i++;
            }
            if (var.empty()) {
                return core::Status::error("invalid parameter \"" + piece + "\"");
            }
            if (!literal.empty()) {
                fmt->parts.push_back({false, std::move(literal)});
                literal.clear();
            }
            for (char& c : var) {
                if (c >= 'A' && c <= 'Z') {
                    c = static_cast<char>(c | 0x20);
                }
            }
            fmt->parts.push_back({true, std::move(var)});
        }
    }
    if (!literal.empty()) {
        fmt->parts.push_back({false, std::move(literal)});
    }
    return fmt;
}

std::shared_ptr<const LogFormat> combined_log_format() {
    static const std::shared_ptr<const LogFormat> combined = [] {
        auto r = compile_log_format(
            "combined", LogFormat::Escape::kDefault,
            {"$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent "
             "\"$http_referer\" \"$http_user_agent\""});
        return std::shared_ptr<const LogFormat>(std::move(r.value()));
    }();
    return combined;
}

void format_log_line(Request& r, const LogFormat& format, std::string& out) {
    std::string value;
    for (const LogFormat::Part& p : format.parts) {
        if (!p.is_var) {
            out.append(p.text);
            continue;
        }
        value.clear();
        if (!get_variable(r, p.text, value)) {
            // nginx prints "-" for a missing value (json: an empty string).
            if (format.escape != LogFormat::Escape::kJson) {
                out.push_back('-');
            }
            continue;
        }
        append_escaped(out, value, format.escape);
    }
    out.push_back('\n');
}

AccessLogFile::~AccessLogFile() {
    {
        std::lock_guard<std::mutex> lock(g_files_mutex);
        auto it = files().find(path);
        if (it != files().end() && it->second.expired()) {
            files().erase(it);
        }
    }
    if (fd >= 0) {
        ::close(fd);
    }
}

core::Result<std::shared_ptr<AccessLogFile>> open_access_log_file(const std::string& path) {
    std::lock_guard<std::mutex> lock(g_files_mutex);
    auto it = files().find(path);
    if (it != files().end()) {
        if (auto existing = it->second.lock()) {
            return existing;
        }
    }
    int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        return core::Status::error(open_error(path, errno));
    }
    auto file = std::make_shared<AccessLogFile>();
    file->path = path;
    file->fd = fd;
    files()[path] = file;
    return file;
}

core::Status reopen_access_logs() {
    std::vector<std::shared_ptr<AccessLogFile>> live;
    {
        std::lock_guard<std::mutex> lock(g_files_mutex);
        for (auto& [path, weak] : files()) {
            if (auto f = weak.lock()) {
                live.push_back(std::move(f));
            }
        }
    }
    core::Status first;
    for (const auto& f : live) {
        int fd = ::open(f->path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            if (first.is_ok()) {
                first = core::Status::error(open_error(f->path, errno));
            }
            continue;
        }
        // dup2 swaps the file under the same descriptor number atomically.
        if (::dup2(fd, f->fd) < 0 && first.is_ok()) {
            first = core::Status::error("dup2() \"" + f->path + "\" failed (" +
                                        std::to_string(errno) + ": " + std::strerror(errno) + ")");
        }
        ::close(fd);
    }
    return first;
}

void write_access_logs(Request& r, const LocConf& loc) {
    if (loc.access_log_off || loc.access_logs.empty()) {
        return;
    }
    thread_local std::string line;
    for (const AccessLog& log : loc.access_logs) {
        if (log.file == nullptr || log.format == nullptr) {
            continue;
        }
        if (log.condition != nullptr) {
            std::string cond = log.condition->eval(r);
            if (cond.empty() || cond == "0") {
                continue;
            }
        }
        line.clear();
        format_log_line(r, *log.format, line);
        // One write per line: O_APPEND keeps lines of concurrent writers whole.
        ssize_t n;
        do {
            n = ::write(log.file->fd, line.data(), line.size());
        } while (n < 0 && errno == EINTR);
    }
}

}  // namespace tycho::http
