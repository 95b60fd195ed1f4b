#include "http/connection.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>

#include "core/clock.h"
#include "core/log.h"
#include "http/http_log.h"
#include "http/phases.h"

namespace tycho::http {
namespace {

// recv(2), send(2) and sendmsg(2) without glibc's wrappers, which are cancellation points: in a
// multi-threaded process each call switches the thread's cancellation type around the system
// call (two atomic operations), and no Tycho thread is ever cancelled. The hot path makes two
// such calls per request.
ssize_t sock_recv(int fd, void* buf, size_t len) {
    return ::syscall(SYS_recvfrom, fd, buf, len, 0, nullptr, nullptr);
}

ssize_t sock_send(int fd, const void* buf, size_t len, int flags) {
    return ::syscall(SYS_sendto, fd, buf, len, flags, nullptr, 0);
}

ssize_t sock_sendmsg(int fd, const msghdr* msg, int flags) {
    return ::syscall(SYS_sendmsg, fd, msg, flags);
}

constexpr size_t kInitialInput = 4096;
constexpr size_t kMaxInput = 1 << 20;
// How much earlier than wanted an armed timer may fire before it is re-armed (set_timer).
constexpr uint64_t kLazyTimerMs = 300;
constexpr size_t kFileChunk = 32768;

std::atomic<uint64_t> g_connections{0};

const LocConf& default_loc() {
    static const LocConf kLoc;
    return kLoc;
}

std::string errno_text(int err) {
    char buf[128];
    std::snprintf(buf, sizeof(buf), " (%d: %s)", err, std::strerror(err));
    return buf;
}

}  // namespace

uint64_t next_connection_number() { return g_connections.fetch_add(1) + 1; }

// ---------------------------------------------------------------- error log context

namespace {

// The error_log sinks of `lc` (null or without its own error_log: the main error log).
const std::vector<core::LogSink>* own_error_log(const LocConf* lc) {
    return lc != nullptr && !lc->error_log_sinks.empty() ? &lc->error_log_sinks : nullptr;
}

}  // namespace

const std::vector<core::LogSink>* request_error_log(const Request& r) {
    // nginx switches the connection's log as the request is routed: the default server's
    // error_log, then the virtual server's, then the location's.
    const LocConf* lc = r.loc;
    if (lc == nullptr) {
        const ServerConf* srv = r.server;
        const ConnectionInfo* ci = r.conn_info;
        if (srv == nullptr && ci != nullptr && ci->group != nullptr) {
            srv = ci->group->default_server;
        }
        lc = srv != nullptr ? &srv->conf : nullptr;
    }
    return own_error_log(lc);
}

void log_request(core::LogLevel level, const Request& r, std::string_view message) {
    const ConnectionInfo* ci = r.conn_info;
    const std::vector<core::LogSink>* sinks = request_error_log(r);
    if (sinks != nullptr ? !core::log_enabled_in(*sinks, level) : !core::log_enabled(level)) {
        return;
    }
    std::string ctx;
    ctx.reserve(160);
    ctx += ", client: ";
    if (ci != nullptr) {
        ctx += ci->remote_addr;
    }
    ctx += ", server: ";
    const ServerConf* s = r.server;
    if (s == nullptr && ci != nullptr && ci->group != nullptr) {
        s = ci->group->default_server;
    }
    if (s != nullptr) {
        ctx += s->first_name;
    }
    if (!r.request_line.empty()) {
        ctx += ", request: \"";
        ctx += r.request_line;
        ctx += '"';
    }
    const std::string* host = nullptr;
    const std::string* referer = nullptr;
    for (const Header& h : r.headers_in) {
        if (host == nullptr && h.name.size() == 4 && strncasecmp(h.name.c_str(), "host", 4) == 0) {
            host = &h.value;
        } else if (referer == nullptr && h.name.size() == 7 &&
                   strncasecmp(h.name.c_str(), "referer", 7) == 0) {
            referer = &h.value;
        }
    }
    if (host != nullptr) {
        ctx += ", host: \"";
        ctx += *host;
        ctx += '"';
    }
    if (referer != nullptr) {
        ctx += ", referrer: \"";
        ctx += *referer;
        ctx += '"';
    }
    if (sinks != nullptr) {
        core::log_error_to(*sinks, level, message, ci != nullptr ? ci->number : 0, ctx);
    } else {
        core::log_error(level, message, ci != nullptr ? ci->number : 0, ctx);
    }
}

void log_connection(core::LogLevel level, const ConnectionInfo& c, std::string_view message) {
    // Before any request: the listening socket's log, the default server's error_log.
    const std::vector<core::LogSink>* sinks = nullptr;
    if (c.group != nullptr && c.group->default_server != nullptr) {
        sinks = own_error_log(&c.group->default_server->conf);
    }
    if (sinks != nullptr ? !core::log_enabled_in(*sinks, level) : !core::log_enabled(level)) {
        return;
    }
    std::string ctx = ", client: " + c.remote_addr + ", server: ";
    if (c.group != nullptr) {
        ctx += c.group->listen.text;
    }
    if (sinks != nullptr) {
        core::log_error_to(*sinks, level, message, c.number, ctx);
    } else {
        core::log_error(level, message, c.number, ctx);
    }
}

// ---------------------------------------------------------------- lifetime

Connection::Connection(uv_loop_t* loop, ConnectionOwner* owner, int fd, const ListenGroup* group,
                       const sockaddr* peer, socklen_t peer_len)
    : loop_(loop), owner_(owner), fd_(fd), group_(group) {
    info_.number = next_connection_number();
    info_.group = group;
    if (group != nullptr) {
        info_.server_port = group->listen.port;
        if (const ServerConf* s = group->default_server) {
            limits_.header_buffer_size = static_cast<size_t>(s->client_header_buffer_size);
            limits_.large_buffer_size = static_cast<size_t>(s->large_client_header_buffers_size);
            limits_.large_buffers = static_cast<size_t>(s->large_client_header_buffers_num);
            limits_.underscores_in_headers = s->underscores_in_headers != 0;
            limits_.ignore_invalid_headers = s->ignore_invalid_headers != 0;
            limits_.merge_slashes = s->merge_slashes != 0;
        }
    }
    char addr[INET6_ADDRSTRLEN] = "";
    if (peer != nullptr && peer_len > 0) {
        if (peer->sa_family == AF_INET) {
            auto* sin = reinterpret_cast<const sockaddr_in*>(peer);
            inet_ntop(AF_INET, &sin->sin_addr, addr, sizeof(addr));
            info_.remote_port = ntohs(sin->sin_port);
            info_.remote_addr = addr;
        } else if (peer->sa_family == AF_INET6) {
            auto* sin6 = reinterpret_cast<const sockaddr_in6*>(peer);
            inet_ntop(AF_INET6, &sin6->sin6_addr, addr, sizeof(addr));
            info_.remote_port = ntohs(sin6->sin6_port);
            info_.remote_addr = addr;
        } else if (peer->sa_family == AF_UNIX) {
            info_.remote_addr = "unix:";
        }
    }
    uv_timer_init(loop_, &timer_);
    timer_.data = this;
    handles_open_++;
    if (uv_poll_init_socket(loop_, &poll_, fd_) == 0) {
        poll_.data = this;
        handles_open_++;
        poll_ok_ = true;
    }
    reset_request();
    parser_.begin(&request_, limits_, this);
}

Connection::~Connection() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

void Connection::start() {
    if (!poll_ok_) {
        close_pending_ = true;
        do_close();
        return;
    }
    icap_ = std::max(kInitialInput, limits_.header_buffer_size);
    ibuf_.reset(new char[icap_]);
    const ServerConf* s = server();
    set_timer(TimerKind::kHeader, s != nullptr ? s->client_header_timeout : 60000);
    want_events(UV_READABLE);
}

void Connection::on_close(uv_handle_t* handle) {
    auto* c = static_cast<Connection*>(handle->data);
    if (--c->handles_open_ == 0) {
        delete c;
    }
}

void Connection::close_now() {
    logged_ = true;  // a fast stop writes no access log for requests in flight
    close_pending_ = true;
    if (depth_ == 0) {
        do_close();
    }
}

void Connection::shutdown_gracefully() {
    if (state_ == State::kIdle && !parser_.header_started()) {
        if (!served_) {
            // A connection accepted just before the listeners stopped usually has its first
            // request on the way (closing it now resets the client: a reload would drop it).
            // Serve it if it comes soon; the header timeout, shortened, closes it otherwise.
            constexpr int64_t kFreshGraceMs = 1000;
            const ServerConf* s = server();
            int64_t t = s != nullptr ? s->client_header_timeout : 60000;
            set_timer(TimerKind::kHeader, std::min(t, kFreshGraceMs));
            return;
        }
        close_pending_ = true;
        if (depth_ == 0) {
            do_close();
        }
    }
}

void Connection::do_close() {
    if (state_ == State::kClosed) {
        return;
    }
    bool in_request = state_ == State::kProcessing;
    state_ = State::kClosed;
    if (in_request && !logged_) {
        logged_ = true;
        depth_++;
        run_log_phase(request_);
        depth_--;
    }
    run_cleanups();
    drop_request_body(request_);
    for (size_t i = files_head_; i < files_.size(); i++) {
        ::close(files_[i].fd);
    }
    files_.clear();
    files_head_ = 0;
    if (poll_ok_) {
        uv_close(reinterpret_cast<uv_handle_t*>(&poll_), on_close);
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&timer_), on_close);
    if (fd_ >= 0) {
        if (reset_on_close_ && loc().reset_timedout_connection == 1) {
            // The kernel drops what is unsent and answers RST: no FIN_WAIT/TIME_WAIT state
            // is kept for a client that stopped reading.
            linger lg{1, 0};
            (void)::setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        }
        ::close(fd_);
        fd_ = -1;
    }
    owner_->on_connection_closed(this);
}

void Connection::run_cleanups() {
    // Index loops over the members (not swapped-out copies) so the vectors keep their capacity
    // across keep-alive requests; a cleanup may add cleanups (they run too) or re-enter.
    for (size_t i = 0; i < plain_cleanups_.size(); i++) {
        PlainCleanup pc = plain_cleanups_[i];
        pc.fn(pc.a, pc.b);
    }
    plain_cleanups_.clear();
    for (size_t i = 0; i < cleanups_.size(); i++) {
        std::function<void()> fn = std::move(cleanups_[i]);
        if (fn) {
            fn();
        }
    }
    cleanups_.clear();
}

void Connection::reset_request() {
    Request& r = request_;
    // Only an in-memory body may be big: it is not kept.
    if (r.body.capacity() > kInitialInput) {
        std::string().swap(r.body);
    }
    r.reset();
    r.connection = this;
    r.conn_info = &info_;
    r.server = group_ != nullptr ? group_->default_server : nullptr;
    r.loc = r.server != nullptr ? &r.server->conf : nullptr;
    body_ = BodyState{};
    response_done_ = false;
    flushed_ = false;
    logged_ = false;
    abort_checked_ = false;
}

const ServerConf* Connection::server() const {
    if (request_.server != nullptr) {
        return request_.server;
    }
    return group_ != nullptr ? group_->default_server : nullptr;
}

const LocConf& Connection::loc() const {
    if (request_.loc != nullptr) {
        return *request_.loc;
    }
    const ServerConf* s = server();
    return s != nullptr ? s->conf : default_loc();
}

int64_t Connection::conf_ms(int64_t value, int64_t dflt) const { return value < 0 ? dflt : value; }

// ---------------------------------------------------------------- events

void Connection::want_events(int events) {
    if (state_ == State::kClosed || !poll_ok_ || events == poll_events_) {
        return;
    }
    poll_events_ = events;
    if (events == 0) {
        uv_poll_stop(&poll_);
    } else {
        uv_poll_start(&poll_, events, on_poll);
    }
}

// The uv timer is re-armed lazily, as nginx's NGX_TIMER_LAZY_DELAY, but kept exact: stopping
// only forgets the kind, and a new deadline at most kLazyTimerMs after the armed one keeps the
// armed timer, which then fires early and re-arms for the rest (on_timer). A keep-alive request
// thus costs no timer-heap work (it was two heap operations per request).
void Connection::set_timer(TimerKind kind, int64_t ms) {
    if (state_ == State::kClosed) {
        return;
    }
    uint64_t delay = static_cast<uint64_t>(ms < 0 ? 0 : ms);
    uint64_t now = uv_now(loop_);
    timer_kind_ = kind;
    timer_due_ = now + delay;
    if (delay > 0 && uv_is_active(reinterpret_cast<uv_handle_t*>(&timer_)) != 0) {
        uint64_t armed = now + uv_timer_get_due_in(&timer_);
        if (armed <= timer_due_ && timer_due_ - armed < kLazyTimerMs) {
            return;
        }
    }
    uv_timer_start(&timer_, on_timer, delay, 0);
}

void Connection::stop_timer() {
    timer_kind_ = TimerKind::kNone;
}

void Connection::on_poll(uv_poll_t* handle, int status, int events) {
    auto* c = static_cast<Connection*>(handle->data);
    core::update_cached_time_for_loop(uv_now(c->loop_));
    c->depth_++;
    if (status < 0) {
        // The socket is in error: a read reports what happened.
        events = UV_READABLE;
    }
    if ((events & UV_WRITABLE) != 0 && c->state_ != State::kClosed) {
        c->handle_writable();
    }
    if ((events & UV_READABLE) != 0 && c->state_ != State::kClosed && !c->close_pending_) {
        c->handle_readable();
    }
    c->depth_--;
    c->after_event();
}

void Connection::on_timer(uv_timer_t* handle) {
    auto* c = static_cast<Connection*>(handle->data);
    if (c->timer_kind_ == TimerKind::kNone) {
        return;  // stopped lazily
    }
    uint64_t now = uv_now(c->loop_);
    if (now < c->timer_due_) {
        uv_timer_start(&c->timer_, on_timer, c->timer_due_ - now, 0);  // armed early: the rest
        return;
    }
    core::update_cached_time_for_loop(uv_now(c->loop_));
    c->depth_++;
    c->handle_timeout();
    c->depth_--;
    c->after_event();
}

void Connection::after_event() {
    if (depth_ != 0) {
        return;
    }
    for (;;) {
        if (state_ == State::kClosed) {
            return;
        }
        if (close_pending_) {
            do_close();
            return;
        }
        if (state_ == State::kProcessing && response_done_ && flushed_) {
            depth_++;
            finish_request();
            process_input();
            depth_--;
            continue;
        }
        // Drop poll interest that is no longer needed (lazily: one spurious wake-up at most).
        bool want_read = state_ == State::kIdle || state_ == State::kHeader ||
                         state_ == State::kDiscarding || state_ == State::kLingering ||
                         (state_ == State::kProcessing && body_.mode != BodyState::Mode::kNone &&
                          parser_.body_pending() && body_.error == 0) ||
                         watching_abort();
        int desired = (want_read ? UV_READABLE : 0) | (write_blocked_ ? UV_WRITABLE : 0);
        if ((poll_events_ & ~desired) != 0) {
            want_events(desired);
        }
        return;
    }
}

void Connection::handle_writable() {
    if (write_blocked_) {
        flush();
    }
}

bool Connection::read_some() {
    if (iend_ == icap_) {
        if (ipos_ > 0) {
            std::memmove(ibuf_.get(), ibuf_.get() + ipos_, iend_ - ipos_);
            iend_ -= ipos_;
            ipos_ = 0;
        } else if (icap_ < kMaxInput) {
            size_t ncap = std::min(icap_ * 2, kMaxInput);
            std::unique_ptr<char[]> nb(new char[ncap]);
            std::memcpy(nb.get(), ibuf_.get(), iend_);
            ibuf_ = std::move(nb);
            icap_ = ncap;
        } else {
            return false;
        }
    }
    ssize_t n;
    do {
        n = sock_recv(fd_, ibuf_.get() + iend_, icap_ - iend_);
    } while (n < 0 && errno == EINTR);
    if (n > 0) {
        iend_ += static_cast<size_t>(n);
        return true;
    }
    if (n == 0) {
        handle_eof();
        return false;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return false;
    }
    handle_read_error(errno);
    return false;
}

void Connection::handle_readable() {
    switch (state_) {
        case State::kIdle:
        case State::kHeader:
            if (read_some()) {
                process_input();
            }
            break;
        case State::kProcessing:
            if (body_.mode != BodyState::Mode::kNone && parser_.body_pending() &&
                body_.error == 0) {
                if (read_some()) {
                    if (body_.mode == BodyState::Mode::kRead) {
                        const LocConf& lc = loc();
                        set_timer(TimerKind::kBody, conf_ms(lc.client_body_timeout, 60000));
                    }
                    parse_body_input();
                }
            } else if (watching_abort()) {
                check_client_abort();
            }
            break;
        case State::kDiscarding:
            if (read_some()) {
                parse_body_input();
                if (state_ == State::kIdle) {
                    process_input();
                } else if (state_ == State::kDiscarding) {
                    arm_linger_timer();
                }
            }
            break;
        case State::kLingering: {
            char buf[4096];
            for (;;) {
                ssize_t n = ::recv(fd_, buf, sizeof(buf), 0);
                if (n > 0) {
                    continue;
                }
                if (n < 0 && errno == EINTR) {
                    continue;
                }
                if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) {
                    close_pending_ = true;
                }
                break;
            }
            if (!close_pending_) {
                arm_linger_timer();
            }
            break;
        }
        case State::kClosed:
            break;
    }
}

// ngx_http_lua_check_broken_connection: a peek tells a closed connection (or a reset) from the
// next request's bytes, which end the watch (level-triggered polling would spin on them).
void Connection::check_client_abort() {
    char c;
    ssize_t n = ::recv(fd_, &c, 1, MSG_PEEK);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        return;
    }
    abort_checked_ = true;
    if (n > 0) {
        return;
    }
    log_request(core::LogLevel::kInfo, request_,
                "client prematurely closed connection" + (n < 0 ? errno_text(errno) : ""));
    request_.on_client_abort(request_);
}

void Connection::handle_eof() {
    switch (state_) {
        case State::kHeader:
            if (parser_.header_started()) {
                const char* action = request_.raw_header.find('\n') == std::string::npos
                                         ? " while reading client request line"
                                         : " while reading client request headers";
                if (request_.request_line.empty()) {
                    size_t e = request_.raw_header.find_first_of("\r\n");
                    request_.request_line = request_.raw_header.substr(0, e);
                }
                log_request(core::LogLevel::kInfo, request_,
                            std::string("client prematurely closed connection") + action);
                // nginx finalizes such a request with 400: it shows up in the access log.
                info_.requests++;
                request_.status = 400;
                state_ = State::kProcessing;
                logged_ = false;
            }
            break;
        case State::kProcessing:
            if (body_.mode != BodyState::Mode::kNone) {
                log_request(core::LogLevel::kInfo, request_,
                            "client prematurely closed connection");
                if (!request_.header_sent) {
                    request_.status = 400;
                }
            }
            break;
        default:
            break;
    }
    close_pending_ = true;
}

void Connection::handle_read_error(int err) {
    if (state_ == State::kHeader || state_ == State::kProcessing) {
        const char* action = state_ == State::kHeader ? " while reading client request headers"
                                                      : "";
        if (state_ == State::kHeader && request_.raw_header.find('\n') == std::string::npos) {
            action = " while reading client request line";
        }
        log_request(core::LogLevel::kInfo, request_, "recv() failed" + errno_text(err) + action);
    }
    broken_ = true;
    close_pending_ = true;
}

void Connection::handle_timeout() {
    TimerKind kind = timer_kind_;
    timer_kind_ = TimerKind::kNone;
    switch (kind) {
        case TimerKind::kHeader:
            if (state_ != State::kIdle && state_ != State::kHeader) {
                return;
            }
            if (!parser_.header_started()) {
                log_connection(core::LogLevel::kInfo, info_,
                               "client timed out" + errno_text(ETIMEDOUT) +
                                   " while waiting for request");
                close_pending_ = true;
                return;
            }
            {
                const char* action = request_.raw_header.find('\n') == std::string::npos
                                         ? " while reading client request line"
                                         : " while reading client request headers";
                if (request_.request_line.empty()) {
                    size_t e = request_.raw_header.find_first_of("\r\n");
                    request_.request_line = request_.raw_header.substr(0, e);
                }
                log_request(core::LogLevel::kInfo, request_,
                            "client timed out" + errno_text(ETIMEDOUT) + action);
            }
            // nginx closes the request with 408 (no response is sent, the access log has it).
            info_.requests++;
            request_.status = 408;
            state_ = State::kProcessing;
            reset_on_close_ = true;
            close_pending_ = true;
            return;
        case TimerKind::kKeepalive:
            if (state_ == State::kIdle && !parser_.header_started()) {
                close_pending_ = true;
            }
            return;
        case TimerKind::kBody:
            if (state_ != State::kProcessing) {
                return;
            }
            log_request(core::LogLevel::kInfo, request_,
                        "client timed out" + errno_text(ETIMEDOUT));
            if (!request_.header_sent) {
                request_.status = 408;
            }
            request_.keepalive = false;
            reset_on_close_ = true;
            close_pending_ = true;
            return;
        case TimerKind::kSend:
            log_request(core::LogLevel::kInfo, request_,
                        "client timed out" + errno_text(ETIMEDOUT) +
                            " while sending response to client");
            request_.keepalive = false;
            reset_on_close_ = true;
            close_pending_ = true;
            return;
        case TimerKind::kLinger:
            close_pending_ = true;
            return;
        case TimerKind::kFinish:
        case TimerKind::kNone:
            return;
    }
}

// ---------------------------------------------------------------- requests

void Connection::process_input() {
    while (state_ == State::kIdle || state_ == State::kHeader) {
        if (close_pending_) {
            return;
        }
        if (ipos_ == iend_) {
            ipos_ = iend_ = 0;
            want_events(poll_events_ | UV_READABLE);
            return;
        }
        if (state_ == State::kIdle) {
            state_ = State::kHeader;
        }
        size_t used = 0;
        RequestParser::Result res = parser_.execute(ibuf_.get() + ipos_, iend_ - ipos_, &used);
        ipos_ += used;
        if (ipos_ == iend_) {
            ipos_ = iend_ = 0;
        }
        switch (res) {
            case RequestParser::Result::kNeedMore:
                if (parser_.header_started() && timer_kind_ != TimerKind::kHeader) {
                    const ServerConf* s = server();
                    set_timer(TimerKind::kHeader,
                              s != nullptr ? s->client_header_timeout : 60000);
                }
                want_events(poll_events_ | UV_READABLE);
                return;
            case RequestParser::Result::kError:
                handle_parse_error();
                return;
            case RequestParser::Result::kHeaderDone:
                start_request();
                if (state_ == State::kProcessing && response_done_ && flushed_ &&
                    !close_pending_) {
                    finish_request();
                    continue;
                }
                return;
            case RequestParser::Result::kBodyDone:
                return;  // not in the header state
        }
    }
}

void Connection::start_request() {
    state_ = State::kProcessing;
    stop_timer();
    info_.requests++;
    first_request_ = false;
    depth_++;
    process_request(request_);
    depth_--;
}

void Connection::handle_parse_error() {
    const ParseError& e = parser_.error();
    state_ = State::kProcessing;
    stop_timer();
    info_.requests++;
    if (!e.message.empty()) {
        log_request(e.level, request_, e.message);
    }
    if (e.status == 0) {
        logged_ = true;
        close_pending_ = true;
        return;
    }
    request_.keepalive = false;
    closing_after_response_ = true;
    depth_++;
    send_special_response(request_, e.status);
    depth_--;
}

void Connection::finish_request() {
    stop_timer();
    served_ = true;
    if (!logged_) {
        logged_ = true;
        run_log_phase(request_);
    }
    run_cleanups();
    drop_request_body(request_);
    bool keep = request_.keepalive && !broken_ && !owner_->shutting_down() &&
                !closing_after_response_ && body_.error == 0;
    if (!keep) {
        lingering_close();
        return;
    }
    keepalive_ms_ = conf_ms(loc().keepalive_timeout, 75000);
    if (parser_.body_pending()) {
        // Nobody read the body: drop it before the next request is parsed.
        body_.mode = BodyState::Mode::kDiscard;
        state_ = State::kDiscarding;
        parse_body_input();
        if (state_ == State::kDiscarding) {
            // As nginx's discarded-body reader: lingering_timeout per wait, lingering_time in all.
            linger_deadline_ =
                uv_now(loop_) + static_cast<uint64_t>(conf_ms(loc().lingering_time, 30000));
            arm_linger_timer();
            want_events(poll_events_ | UV_READABLE);
        }
        return;
    }
    next_request();
}

void Connection::next_request() {
    reset_request();
    parser_.begin(&request_, limits_, this);
    state_ = State::kIdle;
    if (owner_->shutting_down() && ipos_ == iend_) {
        close_pending_ = true;
        return;
    }
    if (ipos_ == iend_) {
        set_timer(TimerKind::kKeepalive, keepalive_ms_);
        want_events(poll_events_ | UV_READABLE);
    }
}

void Connection::lingering_close() {
    // nginx's ngx_http_finalize_connection: "on" lingers when the client may still be sending
    // (input left unread, a body not read, a response cut short), "always" every time.
    const LocConf& lc = loc();
    int mode = lc.lingering_close < 0 ? 1 : lc.lingering_close;
    bool unread = ipos_ < iend_ || parser_.body_pending() || closing_after_response_;
    state_ = State::kLingering;
    if (mode == 0 || (mode == 1 && !unread) || broken_ || fd_ < 0) {
        close_pending_ = true;
        return;
    }
    ::shutdown(fd_, SHUT_WR);
    ipos_ = iend_ = 0;
    linger_deadline_ = uv_now(loop_) + static_cast<uint64_t>(conf_ms(lc.lingering_time, 30000));
    arm_linger_timer();
    want_events(UV_READABLE);
}

void Connection::arm_linger_timer() {
    // Each wait for more input lasts lingering_timeout, and all of them lingering_time.
    uint64_t now = uv_now(loop_);
    if (now >= linger_deadline_) {
        close_pending_ = true;
        return;
    }
    auto timeout = static_cast<uint64_t>(conf_ms(loc().lingering_timeout, 5000));
    set_timer(TimerKind::kLinger, static_cast<int64_t>(std::min(timeout, linger_deadline_ - now)));
}

void Connection::abort_request(bool reset) {
    request_.keepalive = false;
    reset_on_close_ = reset_on_close_ || reset;
    if (!logged_ && state_ == State::kProcessing) {
        logged_ = true;
        depth_++;
        run_log_phase(request_);
        depth_--;
    }
    close_pending_ = true;
    if (depth_ == 0) {
        set_timer(TimerKind::kFinish, 0);
    }
}

// ---------------------------------------------------------------- body input

int Connection::on_body_data(const char* data, size_t len) {
    if (body_.mode == BodyState::Mode::kRead) {
        return body_data(*this, request_, data, len);
    }
    body_.received += static_cast<int64_t>(len);
    return 0;
}

void Connection::start_body_input() {
    if (body_.mode == BodyState::Mode::kRead) {
        set_timer(TimerKind::kBody, conf_ms(loc().client_body_timeout, 60000));
    }
    parse_body_input();
    if (state_ == State::kProcessing && parser_.body_pending() && body_.error == 0 &&
        body_.mode != BodyState::Mode::kNone) {
        want_events(poll_events_ | UV_READABLE);
    }
}

void Connection::parse_body_input() {
    while (parser_.body_pending() && ipos_ < iend_) {
        size_t used = 0;
        RequestParser::Result res = parser_.execute(ibuf_.get() + ipos_, iend_ - ipos_, &used);
        ipos_ += used;
        if (res == RequestParser::Result::kError) {
            const ParseError& e = parser_.error();
            if (!e.message.empty()) {
                log_request(e.level, request_, e.message);
            }
            int status = e.status != 0 ? e.status : 400;
            ipos_ = iend_ = 0;
            if (state_ == State::kDiscarding) {
                close_pending_ = true;
                return;
            }
            body_.error = status;
            request_.keepalive = false;
            if (timer_kind_ == TimerKind::kBody) {
                stop_timer();
            }
            if (body_.mode == BodyState::Mode::kRead) {
                body_complete(*this, request_);
            }
            return;
        }
        if (res == RequestParser::Result::kBodyDone) {
            body_.complete = true;
            if (state_ == State::kDiscarding) {
                next_request();
                return;
            }
            if (timer_kind_ == TimerKind::kBody) {
                stop_timer();
            }
            if (body_.mode == BodyState::Mode::kRead) {
                body_complete(*this, request_);
            }
            break;
        }
    }
    if (ipos_ == iend_) {
        ipos_ = iend_ = 0;
    }
}

void Connection::send_continue() {
    if (body_.continue_sent || request_.header_sent || request_.http_minor < 1) {
        return;
    }
    body_.continue_sent = true;
    obuf_.append("HTTP/1.1 100 Continue\r\n\r\n");
    write_out();
}

// ---------------------------------------------------------------- output

void Connection::write_out(const iovec* extra, int count) {
    if (broken_ || state_ == State::kClosed) {
        obuf_.clear();
        opos_ = 0;
        return;
    }
    if (write_blocked_ || files_head_ < files_.size()) {
        for (int i = 0; i < count; i++) {
            obuf_.append(static_cast<const char*>(extra[i].iov_base), extra[i].iov_len);
        }
        if (!write_blocked_) {
            flush();
        }
        return;
    }
    iovec iov[8];
    int n = 0;
    size_t mem = obuf_.size() - opos_;
    if (mem > 0) {
        iov[n++] = {obuf_.data() + opos_, mem};
    }
    for (int i = 0; i < count && n < 8; i++) {
        if (extra[i].iov_len > 0) {
            iov[n++] = extra[i];
        }
    }
    if (n == 0) {
        obuf_.clear();
        opos_ = 0;
        if (response_done_) {
            flushed_ = true;
        }
        return;
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = static_cast<size_t>(n);
    ssize_t w;
    do {
        // One buffer (the usual small response): send(2) skips sendmsg(2)'s msghdr and iovec
        // import in the kernel.
        w = n == 1 ? sock_send(fd_, iov[0].iov_base, iov[0].iov_len, MSG_NOSIGNAL)
                   : sock_sendmsg(fd_, &msg, MSG_NOSIGNAL);
    } while (w < 0 && errno == EINTR);
    if (w < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK) {
            write_failed(errno, "writev()");
            return;
        }
        w = 0;
    }
    size_t left = static_cast<size_t>(w);
    request_.bytes_sent += left;
    if (left >= mem) {
        left -= mem;
        obuf_.clear();
        opos_ = 0;
    } else {
        opos_ += left;
        left = 0;
    }
    for (int i = 0; i < count; i++) {
        size_t len = extra[i].iov_len;
        if (left >= len) {
            left -= len;
            continue;
        }
        obuf_.append(static_cast<const char*>(extra[i].iov_base) + left, len - left);
        left = 0;
    }
    if (opos_ < obuf_.size()) {
        if (opos_ > 0) {
            obuf_.erase(0, opos_);
            opos_ = 0;
        }
        write_blocked_ = true;
        set_timer(TimerKind::kSend, conf_ms(loc().send_timeout, 60000));
        want_events(poll_events_ | UV_WRITABLE);
        return;
    }
    if (response_done_) {
        flushed_ = true;
    }
}

void Connection::queue_file(int fd, int64_t offset, int64_t length, bool use_sendfile) {
    if (broken_ || state_ == State::kClosed || length <= 0) {
        ::close(fd);
        return;
    }
    files_.push_back(FileSeg{obuf_.size(), fd, offset, length, use_sendfile});
}

void Connection::flush() {
    if (broken_ || state_ == State::kClosed) {
        return;
    }
    for (;;) {
        size_t mem_end = files_head_ < files_.size() ? files_[files_head_].at : obuf_.size();
        if (opos_ < mem_end) {
            ssize_t w = sock_send(fd_, obuf_.data() + opos_, mem_end - opos_, MSG_NOSIGNAL);
            if (w < 0) {
                if (errno == EINTR) {
                    continue;
                }
                if (errno == EAGAIN || errno == EWOULDBLOCK) {
                    break;
                }
                write_failed(errno, "writev()");
                return;
            }
            opos_ += static_cast<size_t>(w);
            request_.bytes_sent += static_cast<uint64_t>(w);
            continue;
        }
        if (files_head_ < files_.size()) {
            FileSeg& f = files_[files_head_];
            bool blocked = false;
            while (f.length > 0) {
                ssize_t w;
                if (f.use_sendfile) {
                    off_t off = static_cast<off_t>(f.offset);
                    size_t chunk = static_cast<size_t>(std::min<int64_t>(f.length, 0x7ffff000));
                    w = ::sendfile(fd_, f.fd, &off, chunk);
                } else {
                    char buf[kFileChunk];
                    size_t chunk = static_cast<size_t>(
                        std::min<int64_t>(f.length, static_cast<int64_t>(sizeof(buf))));
                    ssize_t rd = ::pread(f.fd, buf, chunk, static_cast<off_t>(f.offset));
                    if (rd <= 0) {
                        write_failed(rd < 0 ? errno : 0, "pread()");
                        return;
                    }
                    w = ::send(fd_, buf, static_cast<size_t>(rd), MSG_NOSIGNAL);
                }
                if (w < 0) {
                    if (errno == EINTR) {
                        continue;
                    }
                    if (errno == EAGAIN || errno == EWOULDBLOCK) {
                        blocked = true;
                        break;
                    }
                    write_failed(errno, f.use_sendfile ? "sendfile()" : "writev()");
                    return;
                }
                if (w == 0) {
                    write_failed(0, "sendfile()");
                    return;
                }
                f.offset += w;
                f.length -= w;
                request_.bytes_sent += static_cast<uint64_t>(w);
            }
            if (blocked) {
                break;
            }
            ::close(f.fd);
            f.fd = -1;
            files_head_++;
            continue;
        }
        // Everything is out.
        obuf_.clear();
        opos_ = 0;
        files_.clear();
        files_head_ = 0;
        if (write_blocked_) {
            write_blocked_ = false;
            if (timer_kind_ == TimerKind::kSend) {
                stop_timer();
            }
        }
        if (response_done_) {
            flushed_ = true;
        }
        notify_drained(true);
        return;
    }
    // The socket is full.
    if (files_head_ == files_.size() && opos_ > 0) {
        obuf_.erase(0, opos_);
        opos_ = 0;
    }
    write_blocked_ = true;
    set_timer(TimerKind::kSend, conf_ms(loc().send_timeout, 60000));
    want_events(poll_events_ | UV_WRITABLE);
}

void Connection::write_failed(int err, const char* what) {
    if (err == 0) {
        log_request(core::LogLevel::kAlert, request_,
                    std::string(what) + " reported that the file was truncated");
    } else {
        log_request(core::LogLevel::kInfo, request_,
                    std::string(what) + " failed" + errno_text(err) +
                        " while sending response to client");
    }
    broken_ = true;
    request_.keepalive = false;
    obuf_.clear();
    opos_ = 0;
    for (size_t i = files_head_; i < files_.size(); i++) {
        ::close(files_[i].fd);
    }
    files_.clear();
    files_head_ = 0;
    write_blocked_ = false;
    if (timer_kind_ == TimerKind::kSend) {
        stop_timer();
    }
    if (response_done_) {
        flushed_ = true;
    }
    notify_drained(false);
}

void Connection::remove_drain_waiter(void* data) {
    std::erase_if(drain_waiters_, [data](const DrainWaiter& w) { return w.data == data; });
}

void Connection::notify_drained(bool ok) {
    if (drain_waiters_.empty()) {
        return;
    }
    std::vector<DrainWaiter> waiters;
    waiters.swap(drain_waiters_);  // a callback may add a waiter for the next drain
    for (const DrainWaiter& w : waiters) {
        w.fn(w.data, ok);
    }
}

void Connection::response_finished() {
    response_done_ = true;
    if (broken_) {
        flushed_ = true;
    } else if (!write_blocked_) {
        flush();
    }
    if (flushed_ && depth_ == 0) {
        // Called from outside the connection's own events (a timer of a module): finish on the
        // next loop turn, never under the caller's feet.
        set_timer(TimerKind::kFinish, 0);
    }
}

}  // namespace tycho::http
