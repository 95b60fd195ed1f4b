#pragma once

// One client connection of a worker: a raw non-blocking socket driven by a uv_poll_t, an input
// buffer parsed by RequestParser, one reusable Request, an output buffer flushed with one
// writev/sendmsg per response when the socket accepts it (sendfile(2) for files), and one
// uv_timer_t for every timeout (header, keep-alive, body, send, lingering close).
//
// Everything runs on the owning worker's loop thread. The object frees itself once both libuv
// handles are closed (their close callbacks are the only place memory is released).

#include <sys/socket.h>
#include <sys/uio.h>
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "http/request.h"
#include "http/request_parser.h"
#include "http/response.h"

namespace tycho::http {

class Connection;

// What a connection needs from the worker that accepted it.
class ConnectionOwner {
  public:
    virtual ~ConnectionOwner() = default;
    // Called once, when `c` has closed its socket (its memory goes away right after).
    virtual void on_connection_closed(Connection* c) = 0;
    // True once the worker stops: keep-alive ends after the current response.
    virtual bool shutting_down() const = 0;
};

// Process-wide connection counter ($connection, the *N of log lines); starts at 1.
uint64_t next_connection_number();

// State of reading or discarding the current request's body (body.cpp).
struct BodyState {
    enum class Mode { kNone, kRead, kDiscard };
    Mode mode = Mode::kNone;
    BodyHandler done;          // read_client_body's continuation
    int64_t received = 0;      // decoded body bytes so far
    bool complete = false;     // the parser saw the end of the body
    bool continue_sent = false;
    bool in_file = false;
    int error = 0;             // status that stopped reading (413, 400), 0 if none
};

class Connection final : private BodySink {
  public:
    // Takes ownership of `fd` (connected, non-blocking). `group` and the conf it points into
    // outlive the connection (the worker holds the HttpConf).
    Connection(uv_loop_t* loop, ConnectionOwner* owner, int fd, const ListenGroup* group,
               const sockaddr* peer, socklen_t peer_len);
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // Starts reading (client_header_timeout runs until the first request arrives).
    void start();
    // Closes at once, without a response or log phase (fast stop). Safe at any time.
    void close_now();
    // Graceful stop: idle connections close now, busy ones after their response.
    void shutdown_gracefully();
    bool idle() const { return state_ == State::kIdle && !parser_.header_started(); }

    const ConnectionInfo& info() const { return info_; }
    Request& request() { return request_; }

    // ---- output, used by response.cpp (same thread, any phase)
    // True when the socket failed: further output is dropped.
    bool broken() const { return broken_; }
    // The output buffer: append serialized bytes, then call write_out().
    std::string& out() { return obuf_; }
    // Writes what is buffered plus `extra` (not copied unless the socket does not take it all).
    void write_out(const iovec* extra = nullptr, int count = 0);
    // Queues `length` bytes of `fd` from `offset` after the buffered bytes; owns `fd`.
    void queue_file(int fd, int64_t offset, int64_t length, bool use_sendfile);
    // The last byte of the response is queued: once it is flushed, the log phase runs and the
    // connection goes on with the next request (or closes).
    void response_finished();
    // Ends the request without (more) response: log phase, then close. `reset`: as nginx's
    // NGX_HTTP_CLOSE (444), the close is a reset when reset_timedout_connection is on.
    void abort_request(bool reset = false);
    void add_cleanup(std::function<void()> fn) { cleanups_.push_back(std::move(fn)); }
    // The same without std::function: fn(a, b). Runs before the std::function ones.
    void add_cleanup(void (*fn)(void* a, void* b), void* a, void* b) {
        plain_cleanups_.push_back({fn, a, b});
    }
    // True while buffered output waits for the socket to take it (ngx.flush(true) then waits).
    bool write_blocked() const { return write_blocked_; }
    // Calls fn(data, ok) once, when the buffered output is all written (ok) or the socket
    // failed (!ok). remove_drain_waiter drops a waiter without calling it.
    void add_drain_waiter(void (*fn)(void* data, bool ok), void* data) {
        drain_waiters_.push_back({fn, data});
    }
    void remove_drain_waiter(void* data);

    // ---- body, used by body.cpp
    BodyState& body() { return body_; }
    // Starts parsing body bytes (buffered and from the socket) under client_body_timeout; the
    // BodyState's mode says where they go. Completion calls body_complete() (body.cpp).
    void start_body_input();
    // Sends "HTTP/1.1 100 Continue" now (ahead of any response).
    void send_continue();
    bool body_pending() const { return parser_.body_pending(); }
    // See RequestParser::set_content_length.
    void set_content_length_in(int64_t n) { parser_.set_content_length(n); }
    bool in_callback() const { return depth_ > 0; }
    bool shutting_down() const { return owner_->shutting_down(); }

  private:
    enum class State {
        kIdle,          // waiting for a request (first or keep-alive)
        kHeader,        // reading a request header
        kProcessing,    // a request is being handled (may read its body)
        kDiscarding,    // response done; dropping the rest of the body before the next request
        kLingering,     // response done, closing: write side shut, draining input
        kClosed,
    };
    enum class TimerKind { kNone, kHeader, kKeepalive, kBody, kSend, kLinger, kFinish };

    ~Connection() override;
    int on_body_data(const char* data, size_t len) override;

    static void on_poll(uv_poll_t* handle, int status, int events);
    static void on_timer(uv_timer_t* handle);
    static void on_close(uv_handle_t* handle);

    void handle_readable();
    void handle_writable();
    void handle_timeout();
    void handle_eof();
    void handle_read_error(int err);
    void check_client_abort();
    bool watching_abort() const {
        return state_ == State::kProcessing && request_.on_client_abort != nullptr &&
               !abort_checked_ && !response_done_;
    }
    bool read_some();  // false: nothing more now (EAGAIN, EOF or error handled)
    void process_input();
    void parse_body_input();
    void start_request();
    void handle_parse_error();
    void finish_request();
    void next_request();
    void after_event();
    void flush();
    void write_failed(int err, const char* what);
    void lingering_close();
    void arm_linger_timer();
    void do_close();
    void set_timer(TimerKind kind, int64_t ms);
    void stop_timer();
    void want_events(int events);
    void reset_request();
    void run_cleanups();
    int64_t conf_ms(int64_t value, int64_t dflt) const;
    const ServerConf* server() const;
    const LocConf& loc() const;

    uv_loop_t* loop_;
    ConnectionOwner* owner_;
    int fd_;
    const ListenGroup* group_;
    uv_poll_t poll_;
    uv_timer_t timer_;
    int handles_open_ = 0;
    bool poll_ok_ = false;
    int64_t keepalive_ms_ = 75000;
    uint64_t linger_deadline_ = 0;  // uv_now() past which a lingering close stops reading
    // A request timed out (header, body, send) or was closed with 444: with
    // reset_timedout_connection on, the close resets the connection.
    bool reset_on_close_ = false;
    int poll_events_ = 0;
    TimerKind timer_kind_ = TimerKind::kNone;
    uint64_t timer_due_ = 0;  // loop time timer_kind_ expires at (timer_ may be armed earlier)
    State state_ = State::kIdle;
    ConnectionInfo info_;
    RequestParser parser_;
    ParserLimits limits_;
    Request request_;
    BodyState body_;
    std::vector<std::function<void()>> cleanups_;
    struct PlainCleanup {
        void (*fn)(void* a, void* b);
        void* a;
        void* b;
    };
    std::vector<PlainCleanup> plain_cleanups_;
    struct DrainWaiter {
        void (*fn)(void* data, bool ok);
        void* data;
    };
    std::vector<DrainWaiter> drain_waiters_;
    void notify_drained(bool ok);

    std::unique_ptr<char[]> ibuf_;
    size_t icap_ = 0;
    size_t ipos_ = 0;
    size_t iend_ = 0;

    struct FileSeg {
        size_t at;  // obuf_ offset the file's bytes follow
        int fd;
        int64_t offset;
        int64_t length;
        bool use_sendfile;
    };
    std::string obuf_;
    size_t opos_ = 0;
    std::vector<FileSeg> files_;
    size_t files_head_ = 0;
    bool write_blocked_ = false;

    int depth_ = 0;
    bool response_done_ = false;
    bool flushed_ = false;
    bool logged_ = false;
    bool abort_checked_ = false;  // Request::on_client_abort was called, or data came instead
    bool broken_ = false;
    bool close_pending_ = false;
    bool served_ = false;  // a response was completed on this connection
    bool closing_after_response_ = false;
    bool first_request_ = true;
};

// body.cpp: called by the connection when the body parser finished (or failed) while a
// BodyState mode is active.
void body_complete(Connection& c, Request& r);
// body.cpp: stores decoded body bytes per the BodyState; returns 0 or a status (413).
int body_data(Connection& c, Request& r, const char* data, size_t len);

}  // namespace tycho::http
