// Static content at run time: ngx_http_map_uri_to_path(), the try_files phase, the index module,
// the static module, and the parts of the not_modified and range filters that apply to files.
// Directive parsing lives apart, in static_module.cpp.

#include "http/static.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/ascii.h"
#include "core/clock.h"
#include "core/log.h"
#include "http/http_log.h"
#include "http/phases.h"
#include "http/response.h"
#include "http/variables.h"

namespace tycho::http {

namespace {

using core::ascii_lower;
using core::iequals;

// The first request header named `name` (nginx keeps the first of these headers).
const std::string* find_header(const Request& r, std::string_view name) {
    for (const Header& h : r.headers_in) {
        if (iequals(h.name, name)) {
            return &h.value;
        }
    }
    return nullptr;
}

// "(2: No such file or directory)" as nginx appends an errno to a log message.
std::string errno_suffix(int err) {
    return " (" + std::to_string(err) + ": " + std::strerror(err) + ")";
}

void log_failed(Request& r, core::LogLevel level, std::string_view call, const std::string& path,
                int err) {
    if (!core::log_enabled(level)) {
        return;
    }
    std::string msg(call);
    msg += " \"";
    msg += path;
    msg += "\" failed";
    msg += errno_suffix(err);
    log_request(level, r, msg);
}

bool log_not_found(const Request& r) { return r.loc == nullptr || r.loc->log_not_found != 0; }

// The evaluated root or alias, without the URI part. Relative literal roots were made absolute
// against the prefix when the config was loaded; a root starting with a variable may still be
// relative (then it is relative to the working directory; nginx resolves it against the prefix).
std::string document_root(Request& r) {
    if (r.loc == nullptr || r.loc->root == nullptr) {
        return "html";
    }
    return r.loc->root->eval(r);
}

// How many leading bytes of the URI an alias replaces: kAliasWhole for regex locations, the
// location prefix's length otherwise; 0 when the location uses `root`.
size_t alias_length(const Request& r) {
    if (r.loc == nullptr || !r.loc->alias) {
        return 0;
    }
    if (r.loc->alias_len != 0) {
        return r.loc->alias_len;
    }
    // Not merged with an explicit length: derive it from the matched location.
    if (r.location == nullptr) {
        return 0;
    }
    if (r.location->regex != nullptr) {
        return LocConf::kAliasWhole;
    }
    return r.location->pattern.size();
}

std::string eval_arg(Request& r, const std::string& text) {
    if (text.find('$') == std::string::npos) {
        return text;
    }
    auto cv = ComplexValue::compile(text);
    if (!cv) {
        return text;
    }
    return cv.value()->eval(r);
}

struct FileInfo {
    int fd = -1;
    struct stat st {};
};

// Opens `path` for reading, following symlinks (nginx's default `disable_symlinks off`).
// Returns 0 or the errno of the failed call; `call` names it for the log line.
int open_file(const std::string& path, FileInfo& info, const char** call) {
    *call = "open()";
    int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        return errno;
    }
    if (::fstat(fd, &info.st) != 0) {
        int err = errno;
        ::close(fd);
        *call = "fstat()";
        return err;
    }
    info.fd = fd;
    return 0;
}

void push_header(Request& r, std::string name, std::string value) {
    r.headers_out.push_back(Header{std::move(name), std::move(value)});
}

// Ends a response whose header was sent and that has no body to send (HEAD, 304, empty file).
int finish_without_body(Request& r) {
    if (send_body(r, std::string_view(), true) != kOk) {
        return kError;
    }
    return kOk;
}

// nginx's ngx_next_temp_number() stand-in for multipart boundaries: unique per process.
std::atomic<uint64_t> boundary_counter{0};

int send_multipart(Request& r, FileInfo& file, const std::vector<ByteRange>& ranges, int64_t size) {
    char boundary[32];
    std::snprintf(boundary, sizeof(boundary), "%010llu",
                  static_cast<unsigned long long>(boundary_counter.fetch_add(1) + 1));
    std::string part_type =
        r.content_type.empty() ? std::string() : "\r\nContent-Type: " + r.content_type;
    std::vector<std::string> heads;
    int64_t total = 0;
    for (const ByteRange& br : ranges) {
        std::string h = "\r\n--";
        h += boundary;
        h += part_type;
        h += "\r\nContent-Range: bytes " + std::to_string(br.start) + "-" +
             std::to_string(br.end - 1) + "/" + std::to_string(size) + "\r\n\r\n";
        total += static_cast<int64_t>(h.size()) + (br.end - br.start);
        heads.push_back(std::move(h));
    }
    std::string tail = std::string("\r\n--") + boundary + "--\r\n";
    total += static_cast<int64_t>(tail.size());

    r.status = 206;
    r.content_type = std::string("multipart/byteranges; boundary=") + boundary;
    r.content_length_out = total;
    if (send_header(r) != kOk) {
        ::close(file.fd);
        return kError;
    }
    if (r.header_only) {
        ::close(file.fd);
        return finish_without_body(r);
    }
    for (size_t i = 0; i < ranges.size(); i++) {
        if (send_body(r, heads[i], false) != kOk) {
            ::close(file.fd);
            return kError;
        }
        // send_file owns the descriptor it is given: each part gets its own duplicate.
        int fd = ::fcntl(file.fd, F_DUPFD_CLOEXEC, 0);
        if (fd < 0) {
            log_failed(r, core::LogLevel::kAlert, "dup()", std::string(), errno);
            ::close(file.fd);
            return kError;
        }
        if (send_file(r, fd, ranges[i].start, ranges[i].end - ranges[i].start, false) != kOk) {
            ::close(file.fd);
            return kError;
        }
    }
    ::close(file.fd);
    return send_body(r, tail, true) == kOk ? kOk : kError;
}

// The If-Range test of the range filter: true when ranges may be honoured.
bool if_range_allows(const Request& r, std::string_view etag, int64_t mtime) {
    const std::string* h = find_header(r, "If-Range");
    if (h == nullptr) {
        return true;
    }
    if (h->size() >= 2 && h->back() == '"') {
        return *h == etag;
    }
    return core::parse_http_time(*h) == mtime;
}

// ngx_http_index_error().
int index_error(Request& r, const std::string& file, int err) {
    if (err == EACCES) {
        log_request(core::LogLevel::kError, r, "\"" + file + "\" is forbidden" + errno_suffix(err));
        return 403;
    }
    if (log_not_found(r)) {
        log_request(core::LogLevel::kError, r, "\"" + file + "\" is not found" + errno_suffix(err));
    }
    return 404;
}

// The index module (ngx_http_index_handler) for a URI ending in '/'.
int serve_index(Request& r) {
    std::string dir;
    if (!map_uri_to_path(r, r.uri, dir)) {
        return 400;
    }
    static const std::vector<std::string> kDefaultIndex{"index.html"};
    const std::vector<std::string>& names =
        (r.loc != nullptr && !r.loc->index.empty()) ? r.loc->index : kDefaultIndex;
    bool dir_tested = false;
    for (const std::string& raw : names) {
        std::string name = eval_arg(r, raw);
        if (name.empty()) {
            continue;
        }
        if (name[0] == '/') {
            // An absolute index is redirected to without testing (nginx: the last one may be).
            std::string uri = name;
            std::string args = r.args;
            size_t q = uri.find('?');
            if (q != std::string::npos) {
                args = uri.substr(q + 1);
                uri.resize(q);
            }
            return internal_redirect(r, uri, args);
        }
        std::string path = dir + name;
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0) {
            int err = errno;
            if (err == ENOTDIR || err == EACCES) {
                return index_error(r, path, err);
            }
            if (!dir_tested) {
                // ngx_http_index_test_dir(): a missing directory is a 404, not a 403.
                std::string d = dir;
                if (d.size() > 1 && d.back() == '/') {
                    d.pop_back();
                }
                struct stat dst {};
                if (::stat(d.c_str(), &dst) != 0) {
                    int derr = errno;
                    if (derr == ENOENT) {
                        return index_error(r, d, derr);
                    }
                    if (derr != EACCES) {
                        // EACCES: the index lookup already searched the directory; go on.
                        log_failed(r, core::LogLevel::kCrit, "stat()", d, derr);
                        return 500;
                    }
                } else if (!S_ISDIR(dst.st_mode)) {
                    log_request(core::LogLevel::kAlert, r, "\"" + d + "\" is not a directory");
                    return 500;
                }
                dir_tested = true;
            }
            continue;
        }
        std::string uri = r.uri + name;
        std::string args = r.args;
        return internal_redirect(r, uri, args);
    }
    // Nothing to serve and no autoindex: ngx_http_core_content_phase()'s answer.
    log_request(core::LogLevel::kError, r, "directory index of \"" + dir + "\" is forbidden");
    return 403;
}

}  // namespace

bool uri_is_safe(std::string_view uri) {
    if (uri.find('\0') != std::string_view::npos) {
        return false;
    }
    size_t i = 0;
    while (i <= uri.size()) {
        size_t slash = uri.find('/', i);
        if (slash == std::string_view::npos) {
            slash = uri.size();
        }
        std::string_view seg = uri.substr(i, slash - i);
        if (seg == ".." || seg == ".") {
            return false;
        }
        i = slash + 1;
    }
    return true;
}

bool map_uri_to_path(Request& r, std::string_view uri, std::string& path) {
    if (!uri_is_safe(uri)) {
        return false;
    }
    path = document_root(r);
    size_t alias = alias_length(r);
    if (alias == LocConf::kAliasWhole) {
        // A regex location's alias is the complete path, captures expanded.
        return uri_is_safe(path);
    }
    if (alias > 0 && uri.size() >= alias) {
        uri.remove_prefix(alias);
    } else if (alias > 0) {
        uri = std::string_view();
    }
    path.append(uri);
    return true;
}

int run_try_files(Request& r) {
    if (r.loc == nullptr || r.loc->try_files.size() < 2) {
        return kDeclined;
    }
    const std::vector<std::string>& tf = r.loc->try_files;
    size_t alias = alias_length(r);
    std::string root = document_root(r);
    for (size_t i = 0; i + 1 < tf.size(); i++) {
        std::string name = tf[i];
        bool test_dir = !name.empty() && name.back() == '/';
        if (test_dir) {
            name.pop_back();
        }
        name = eval_arg(r, name);
        if (!uri_is_safe(name)) {
            continue;
        }
        // ngx_http_core_try_files_phase(): the candidate is appended to the root; with a
        // prefix alias, the location prefix is cut off first when the candidate starts with it.
        std::string rel = name;
        if (alias != 0 && alias != LocConf::kAliasWhole && rel.size() >= alias &&
            r.location != nullptr && rel.compare(0, alias, r.uri, 0, alias) == 0) {
            rel.erase(0, alias);
        }
        std::string path = root + rel;
        struct stat st {};
        if (::stat(path.c_str(), &st) != 0) {
            int err = errno;
            if (err != ENOENT && err != ENOTDIR && err != ENAMETOOLONG) {
                log_failed(r, core::LogLevel::kCrit, "stat()", path, err);
            }
            continue;
        }
        if (S_ISDIR(st.st_mode) != test_dir) {
            continue;
        }
        if (alias == 0) {
            r.uri = name;
        } else if (alias == LocConf::kAliasWhole) {
            if (!test_dir) {
                r.uri = name;
            }
        } else {
            r.uri = r.uri.substr(0, alias) + rel;
        }
        set_uri_extension(r.uri, r.exten);
        return kDeclined;
    }

    // The fallback: =CODE, @named or a URI (with its own args, else the request's).
    const std::string& last = tf.back();
    if (!last.empty() && last[0] == '=') {
        return std::atoi(last.c_str() + 1);
    }
    std::string target = eval_arg(r, last);
    if (!target.empty() && target[0] == '@') {
        return internal_redirect(r, target, r.args);
    }
    std::string args = r.args;
    size_t q = target.find('?');
    if (q != std::string::npos) {
        args = target.substr(q + 1);
        target.resize(q);
    }
    return internal_redirect(r, target, args);
}

int static_handler(Request& r) {
    const std::string& m = r.method;
    if (m != "GET" && m != "HEAD" && m != "POST") {
        return 405;
    }
    if (r.uri.empty()) {
        return 404;
    }
    if (r.uri.back() == '/') {
        return serve_index(r);
    }

    std::string path;
    if (!map_uri_to_path(r, r.uri, path)) {
        return 400;
    }

    FileInfo file;
    const char* call = "open()";
    int err = open_file(path, file, &call);
    if (err != 0) {
        int rc;
        core::LogLevel level = core::LogLevel::kError;
        switch (err) {
            case ENOENT:
            case ENOTDIR:
            case ENAMETOOLONG:
                rc = 404;
                break;
            case EACCES:
            case EMLINK:
            case ELOOP:
                rc = 403;
                break;
            default:
                level = core::LogLevel::kCrit;
                rc = 500;
                break;
        }
        if (rc != 404 || log_not_found(r)) {
            log_failed(r, level, call, path, err);
        }
        return rc;
    }

    if (S_ISDIR(file.st.st_mode)) {
        ::close(file.fd);
        std::string location = r.uri + "/";
        if (!r.args.empty()) {
            location += "?" + r.args;
        }
        r.location_header = std::move(location);
        return 301;
    }
    if (!S_ISREG(file.st.st_mode)) {
        ::close(file.fd);
        log_request(core::LogLevel::kCrit, r, "\"" + path + "\" is not a regular file");
        return 404;
    }
    if (m == "POST") {
        ::close(file.fd);
        return 405;
    }
    int rc = discard_request_body(r);
    if (rc != kOk) {
        ::close(file.fd);
        return rc;
    }

    const int64_t size = file.st.st_size;
    const int64_t mtime = file.st.st_mtime;
    // etag off: none; conditions then see a response without one, as nginx's.
    const std::string etag =
        r.loc == nullptr || r.loc->etag != 0 ? make_etag(mtime, size) : std::string();

    // An error page served from a file (error_page 404 /404.html) answers with its error status:
    // conditional requests and ranges concern the resource that was asked for, not this file.
    const bool error_page = r.err_status != 0;
    int cond = error_page ? 0 : check_conditions(r, etag, mtime);
    if (cond == 412) {
        ::close(file.fd);
        return 412;
    }

    r.status = 200;
    r.last_modified = mtime;
    if (!etag.empty()) {
        push_header(r, "ETag", etag);
    }
    if (r.content_type.empty()) {
        r.content_type = mime_type_for(r, uri_extension(r.uri));
    }

    if (cond == 304) {
        ::close(file.fd);
        r.status = 304;
        r.content_type.clear();
        r.content_length_out = -1;
        if (send_header(r) != kOk) {
            return kError;
        }
        return finish_without_body(r);
    }

    // The range filter: only for HTTP/1.0+ and a Range header starting with "bytes=".
    const std::string* range = find_header(r, "Range");
    if (range != nullptr && !error_page && r.http_major >= 1 && if_range_allows(r, etag, mtime)) {
        std::vector<ByteRange> ranges;
        switch (parse_range(*range, size, ranges)) {
            case RangeParse::kOk:
                if (ranges.size() > 1) {
                    return send_multipart(r, file, ranges, size);
                }
                r.status = 206;
                push_header(r, "Content-Range",
                            "bytes " + std::to_string(ranges[0].start) + "-" +
                                std::to_string(ranges[0].end - 1) + "/" + std::to_string(size));
                r.content_length_out = ranges[0].end - ranges[0].start;
                if (send_header(r) != kOk) {
                    ::close(file.fd);
                    return kError;
                }
                if (r.header_only) {
                    ::close(file.fd);
                    return finish_without_body(r);
                }
                return send_file(r, file.fd, ranges[0].start, r.content_length_out, true) == kOk
                           ? kOk
                           : kError;
            case RangeParse::kNotSatisfiable:
                ::close(file.fd);
                // The error page carries Content-Range only, not this file's validators.
                if (!etag.empty()) {
                    r.headers_out.pop_back();  // the ETag pushed above
                }
                push_header(r, "Content-Range", "bytes */" + std::to_string(size));
                r.content_length_out = -1;
                r.last_modified = -1;
                r.content_type.clear();
                r.status = 0;
                return 416;
            case RangeParse::kDeclined:
                break;
        }
    }

    push_header(r, "Accept-Ranges", "bytes");
    r.content_length_out = size;
    if (send_header(r) != kOk) {
        ::close(file.fd);
        return kError;
    }
    if (r.header_only || size == 0) {
        ::close(file.fd);
        return finish_without_body(r);
    }
    return send_file(r, file.fd, 0, size, true) == kOk ? kOk : kError;
}

std::string_view mime_type_for(const Request& r, std::string_view exten) {
    if (!exten.empty()) {
        thread_local std::string ext;
        ext.assign(exten);
        for (char& c : ext) {
            c = ascii_lower(c);
        }
        if (r.loc != nullptr && r.loc->types != nullptr) {
            auto it = r.loc->types->by_extension.find(ext);
            if (it != r.loc->types->by_extension.end()) {
                return it->second;
            }
        } else {
            // nginx's ngx_http_core_default_types, used when no `types` is configured anywhere.
            if (ext == "html") {
                return "text/html";
            }
            if (ext == "gif") {
                return "image/gif";
            }
            if (ext == "jpg") {
                return "image/jpeg";
            }
        }
    }
    if (r.loc == nullptr || !r.loc->default_type_set) {
        return "text/plain";
    }
    return r.loc->default_type;
}

void set_uri_extension(std::string_view uri, std::string& ext) {
    ext.clear();
    // ngx_http_set_exten(): scan back to the last '/', skipping a dot that starts a segment.
    for (size_t i = uri.size(); i-- > 1;) {
        if (uri[i] == '.' && uri[i - 1] != '/') {
            ext.assign(uri.substr(i + 1));
            for (char& c : ext) {
                c = ascii_lower(c);
            }
            return;
        }
        if (uri[i] == '/') {
            return;
        }
    }
}

std::string uri_extension(std::string_view uri) {
    std::string ext;
    set_uri_extension(uri, ext);
    return ext;
}

std::string make_etag(int64_t mtime, int64_t size) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "\"%llx-%llx\"", static_cast<unsigned long long>(mtime),
                  static_cast<unsigned long long>(size));
    return buf;
}

bool etag_list_matches(std::string_view header, std::string_view etag, bool weak) {
    // ngx_http_test_if_match(): "*" matches any response, one without an ETag too.
    if (header == "*") {
        return true;
    }
    if (etag.empty()) {
        return false;
    }
    size_t p = 0;
    const size_t end = header.size();
    while (p < end) {
        if (weak && end - p > 2 && header[p] == 'W' && header[p + 1] == '/') {
            p += 2;
        }
        if (etag.size() > end - p) {
            return false;
        }
        if (header.compare(p, etag.size(), etag) == 0) {
            p += etag.size();
            while (p < end && (header[p] == ' ' || header[p] == '\t')) {
                p++;
            }
            if (p == end || header[p] == ',') {
                return true;
            }
        }
        while (p < end && header[p] != ',') {
            p++;
        }
        while (p < end && (header[p] == ' ' || header[p] == '\t' || header[p] == ',')) {
            p++;
        }
    }
    return false;
}

RangeParse parse_range(std::string_view header, int64_t size, std::vector<ByteRange>& ranges,
                       int max_ranges) {
    ranges.clear();
    if (header.size() < 7 || !iequals(header.substr(0, 6), "bytes=")) {
        return RangeParse::kDeclined;
    }
    constexpr int64_t kMax = INT64_MAX;
    const int64_t cutoff = kMax / 10;
    const int64_t cutlim = kMax % 10;
    // nginx walks a NUL-terminated buffer: `at` yields '\0' past the end.
    std::string_view s = header.substr(6);
    size_t p = 0;
    auto at = [&](size_t i) { return i < s.size() ? s[i] : '\0'; };
    auto digit = [](char c) { return c >= '0' && c <= '9'; };
    int64_t total = 0;
    int64_t budget = max_ranges > 0 ? max_ranges : INT64_MAX;

    for (;;) {
        int64_t start = 0;
        int64_t end = 0;
        bool suffix = false;
        bool open_end = false;
        while (at(p) == ' ') {
            p++;
        }
        if (at(p) != '-') {
            if (!digit(at(p))) {
                return RangeParse::kNotSatisfiable;
            }
            while (digit(at(p))) {
                int d = at(p) - '0';
                if (start >= cutoff && (start > cutoff || d > cutlim)) {
                    return RangeParse::kNotSatisfiable;
                }
                start = start * 10 + d;
                p++;
            }
            while (at(p) == ' ') {
                p++;
            }
            if (at(p++) != '-') {
                return RangeParse::kNotSatisfiable;
            }
            while (at(p) == ' ') {
                p++;
            }
            if (at(p) == ',' || at(p) == '\0') {
                end = size;
                open_end = true;
            }
        } else {
            suffix = true;
            p++;
        }
        if (!open_end) {
            if (!digit(at(p))) {
                return RangeParse::kNotSatisfiable;
            }
            while (digit(at(p))) {
                int d = at(p) - '0';
                if (end >= cutoff && (end > cutoff || d > cutlim)) {
                    return RangeParse::kNotSatisfiable;
                }
                end = end * 10 + d;
                p++;
            }
            while (at(p) == ' ') {
                p++;
            }
            if (at(p) != ',' && at(p) != '\0') {
                return RangeParse::kNotSatisfiable;
            }
            if (suffix) {
                start = (end < size) ? size - end : 0;
                end = size - 1;
            }
            if (end >= size) {
                end = size;
            } else {
                end++;
            }
        }
        if (start < end) {
            ranges.push_back(ByteRange{start, end});
            if (total > kMax - (end - start)) {
                return RangeParse::kNotSatisfiable;
            }
            total += end - start;
            if (budget-- == 0) {
                ranges.clear();
                return RangeParse::kDeclined;
            }
        } else if (start == 0) {
            ranges.clear();
            return RangeParse::kDeclined;
        }
        if (at(p++) != ',') {
            break;
        }
    }
    if (ranges.empty()) {
        return RangeParse::kNotSatisfiable;
    }
    if (total > size) {
        ranges.clear();
        return RangeParse::kDeclined;
    }
    return RangeParse::kOk;
}

int check_conditions(const Request& r, std::string_view etag, int64_t mtime) {
    if (const std::string* h = find_header(r, "If-Unmodified-Since")) {
        int64_t t = core::parse_http_time(*h);
        // ngx_http_test_if_unmodified(): an unparsable date (-1) is never >= mtime, and a
        // response without Last-Modified always fails the test.
        if (mtime == -1 || !(t != -1 && t >= mtime)) {
            return 412;
        }
    }
    if (const std::string* h = find_header(r, "If-Match")) {
        if (!etag_list_matches(*h, etag, false)) {
            return 412;
        }
    }
    const std::string* ims = find_header(r, "If-Modified-Since");
    const std::string* inm = find_header(r, "If-None-Match");
    if (ims == nullptr && inm == nullptr) {
        return 0;
    }
    // ngx_http_test_if_modified(): a response without Last-Modified is always modified;
    // if_modified_since off ignores the header, exact (the default) wants the very mtime, before
    // also takes a later date.
    if (ims != nullptr) {
        int mode = r.loc != nullptr ? r.loc->if_modified_since : 1;
        int64_t t = core::parse_http_time(*ims);
        if (mtime == -1 || mode == 0 || (t != mtime && (mode == 1 || t < mtime))) {
            return 0;
        }
    }
    if (inm != nullptr && !etag_list_matches(*inm, etag, true)) {
        return 0;
    }
    return 304;
}

}  // namespace tycho::http
