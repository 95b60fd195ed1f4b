// Request bodies: reading into memory or a temp file (ngx_http_read_client_request_body) and
// discarding (ngx_http_discard_request_body). The bytes come from the connection's parser.

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>

#include "core/log.h"
#include "http/connection.h"
#include "http/http_log.h"
#include "http/phases.h"
#include "http/response.h"

namespace tycho::http {
namespace {

std::atomic<uint32_t> g_temp_seq{0};

const LocConf& loc_of(const Request& r) {
    static const LocConf kDefault;
    if (r.loc != nullptr) {
        return *r.loc;
    }
    if (r.server != nullptr) {
        return r.server->conf;
    }
    return kDefault;
}

int64_t max_body_size(const LocConf& lc) {
    return lc.client_max_body_size < 0 ? 1024 * 1024 : lc.client_max_body_size;
}

size_t body_buffer_size(const LocConf& lc) {
    return static_cast<size_t>(lc.client_body_buffer_size < 0 ? 16384
                                                              : lc.client_body_buffer_size);
}

void mkdir_p(const std::string& dir) {
    for (size_t i = 1; i <= dir.size(); i++) {
        if (i == dir.size() || dir[i] == '/') {
            std::string part = dir.substr(0, i);
            ::mkdir(part.c_str(), 0700);
        }
    }
}

std::string errno_text(int err) {
    char buf[128];
    std::snprintf(buf, sizeof(buf), " (%d: %s)", err, std::strerror(err));
    return buf;
}

// With client_body_in_file_only the body goes to a file whatever its size, silently, and the
// file goes with the request for "on" as for "clean": what OpenResty does when Lua reads the
// body (checked on Debian's build; nginx documents "on" as keeping the file).
bool open_temp_file(Request& r) {
    const bool file_only = loc_of(r).client_body_in_file_only > 0;
    std::string dir = loc_of(r).client_body_temp_path;
    if (dir.empty()) {
        dir = "client_body_temp";
    }
    while (dir.size() > 1 && dir.back() == '/') {
        dir.pop_back();
    }
    bool created_dir = false;
    for (int attempt = 0; attempt < 100; attempt++) {
        char name[32];
        std::snprintf(name, sizeof(name), "/%010u", g_temp_seq.fetch_add(1) + 1);
        std::string path = dir + name;
        int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
        if (fd >= 0) {
            // nginx's ngx_create_temp_file warns so: a body that spills is worth knowing about
            // (client_body_buffer_size may be too small).
            if (!file_only) {
                log_request(core::LogLevel::kWarn, r,
                            "a client request body is buffered to a temporary file " + path);
            }
            r.body_file = std::move(path);
            r.body_fd = fd;
            return true;
        }
        if (errno == ENOENT && !created_dir) {
            created_dir = true;
            mkdir_p(dir);
            continue;
        }
        if (errno != EEXIST) {
            log_request(core::LogLevel::kCrit, r,
                        "open() \"" + path + "\" failed" + errno_text(errno));
            return false;
        }
    }
    return false;
}

bool write_all(Request& r, const char* data, size_t len) {
    while (len > 0) {
        ssize_t w = ::write(r.body_fd, data, len);
        if (w < 0) {
            if (errno == EINTR) {
                continue;
            }
            log_request(core::LogLevel::kCrit, r,
                        "write() \"" + r.body_file + "\" failed" + errno_text(errno));
            return false;
        }
        data += w;
        len -= static_cast<size_t>(w);
    }
    return true;
}

}  // namespace

int body_data(Connection& c, Request& r, const char* data, size_t len) {
    BodyState& b = c.body();
    const LocConf& lc = loc_of(r);
    int64_t max = max_body_size(lc);
    if (max > 0 && b.received + static_cast<int64_t>(len) > max) {
        log_request(core::LogLevel::kError, r,
                    "client intended to send too large chunked body: " +
                        std::to_string(b.received) + "+" + std::to_string(len) + " bytes");
        return 413;
    }
    b.received += static_cast<int64_t>(len);
    if (!b.in_file &&
        (lc.client_body_in_file_only > 0 || r.body.size() + len > body_buffer_size(lc))) {
        // Larger than client_body_buffer_size (or client_body_in_file_only): the whole body goes
        // to a temp file, as in nginx.
        if (!open_temp_file(r) || !write_all(r, r.body.data(), r.body.size())) {
            return 500;
        }
        r.body.clear();
        r.body.shrink_to_fit();
        b.in_file = true;
    }
    if (b.in_file) {
        return write_all(r, data, len) ? 0 : 500;
    }
    r.body.append(data, len);
    return 0;
}

void body_complete(Connection& c, Request& r) {
    BodyState& b = c.body();
    if (b.mode != BodyState::Mode::kRead) {
        return;
    }
    b.mode = BodyState::Mode::kNone;
    BodyHandler done = std::move(b.done);
    b.done = nullptr;
    if (b.error != 0) {
        r.keepalive = false;
        finalize_request(r, b.error);
        return;
    }
    r.body_read = true;
    if (r.body_fd >= 0) {
        ::lseek(r.body_fd, 0, SEEK_SET);
    }
    if (done) {
        done(r);
    }
}

void drop_request_body(Request& r) {
    r.body.clear();
    if (r.body_fd >= 0) {
        ::close(r.body_fd);
        r.body_fd = -1;
    }
    if (!r.body_file.empty() && r.body_file_clean) {
        ::unlink(r.body_file.c_str());
    }
    r.body_file.clear();
    r.body_file_clean = true;
}

void init_request_body(Request& r, int64_t size) {
    drop_request_body(r);
    r.body_init = true;
    r.body_buffer_size = size < 0 ? body_buffer_size(loc_of(r)) : static_cast<size_t>(size);
}

bool append_request_body(Request& r, const char* data, size_t len) {
    if (r.body_fd < 0 && r.body.size() + len > r.body_buffer_size) {
        // As ngx_http_lua_write_request_body: a full buffer goes to the temp file.
        if (!open_temp_file(r) || !write_all(r, r.body.data(), r.body.size())) {
            return false;
        }
        r.body.clear();
    }
    if (r.body_fd >= 0) {
        return write_all(r, data, len);
    }
    r.body.append(data, len);
    return true;
}

void finish_request_body(Request& r) {
    if (r.body_fd >= 0) {
        ::lseek(r.body_fd, 0, SEEK_SET);
    }
}

int read_client_body(Request& r, BodyHandler done) {
    Connection* c = r.connection;
    if (c == nullptr) {
        return kError;
    }
    BodyState& b = c->body();
    if (b.mode == BodyState::Mode::kRead) {
        b.done = std::move(done);  // already reading: the latest continuation wins
        return kAgain;
    }
    if (r.body_read || b.mode == BodyState::Mode::kDiscard || r.body_discarding ||
        !c->body_pending()) {
        // No body, already read, or being discarded (nginx then reports an empty body).
        if (!r.body_read && r.content_length_in == 0 && r.body_fd < 0 &&
            loc_of(r).client_body_in_file_only > 0 && !open_temp_file(r)) {
            // client_body_in_file_only makes a file for an empty body too.
            finalize_request(r, 500);
            return kDone;
        }
        r.body_read = true;
        if (done) {
            done(r);
        }
        return kOk;
    }
    const LocConf& lc = loc_of(r);
    int64_t max = max_body_size(lc);
    if (max > 0 && r.content_length_in > max) {
        log_request(core::LogLevel::kError, r,
                    "client intended to send too large body: " +
                        std::to_string(r.content_length_in) + " bytes");
        r.keepalive = false;
        finalize_request(r, 413);
        return kDone;
    }
    if (r.expect_continue) {
        c->send_continue();
    }
    b.mode = BodyState::Mode::kRead;
    b.done = std::move(done);
    c->start_body_input();
    return r.body_read ? kOk : kAgain;
}

int discard_request_body(Request& r) {
    Connection* c = r.connection;
    if (c == nullptr) {
        return kError;
    }
    BodyState& b = c->body();
    if (r.body_read || r.body_discarding || b.mode != BodyState::Mode::kNone) {
        return kOk;
    }
    if (!c->body_pending()) {
        return kOk;
    }
    if (r.expect_continue) {
        c->send_continue();
    }
    b.mode = BodyState::Mode::kDiscard;
    r.body_discarding = true;
    c->start_body_input();
    // Like nginx, the bytes already received are checked at once: a broken body (a bad chunk)
    // is the caller's error status (400), not a silent close after the response.
    return b.error != 0 ? b.error : kOk;
}

void add_request_cleanup(Request& r, std::function<void()> fn) {
    if (r.connection != nullptr) {
        r.connection->add_cleanup(std::move(fn));
    }
}

void add_request_cleanup(Request& r, void (*fn)(void* a, void* b), void* a, void* b) {
    if (r.connection != nullptr) {
        r.connection->add_cleanup(fn, a, b);
    }
}

}  // namespace tycho::http
