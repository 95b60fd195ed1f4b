#pragma once

// The llhttp glue of the connection layer: turns a client's byte stream into Requests (request
// line, headers, URI normalization, framing checks, limits) and body bytes. Kept apart from
// Connection so it has no dependency on the phase engine (unit tests and the fuzzer drive it
// alone). Owned by one Connection; single-threaded.

#include <llhttp.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/log.h"
#include "http/request.h"

namespace tycho::http {

// Header size limits (client_header_buffer_size, large_client_header_buffers) and name rules.
struct ParserLimits {
    size_t header_buffer_size = 1024;
    size_t large_buffer_size = 8192;
    size_t large_buffers = 4;
    bool underscores_in_headers = false;  // '_' in a name is valid
    bool ignore_invalid_headers = true;   // a line with an invalid name is dropped (and logged)
    bool merge_slashes = true;            // "//" in the path is one '/'
};

// Why a request was rejected: the status to answer with (0 = close silently) and the info-level
// log line in nginx's words, including the " while reading ..." action.
struct ParseError {
    int status = 0;
    std::string message;
    core::LogLevel level = core::LogLevel::kInfo;
};

// Receives body bytes as they are decoded (de-chunked). Returns 0 to go on, or an HTTP status
// (e.g. 413) to stop parsing with that error.
class BodySink {
  public:
    virtual ~BodySink() = default;
    virtual int on_body_data(const char* data, size_t len) = 0;
};

class RequestParser {
  public:
    enum class Result {
        kNeedMore,    // all input consumed, the current part (header or body) is not complete
        kHeaderDone,  // the header of the request is complete: the request fields are filled
        kBodyDone,    // the request body is complete (only for requests that have one)
        kError,       // see error(); the connection must not parse further
    };

    RequestParser();
    RequestParser(const RequestParser&) = delete;
    RequestParser& operator=(const RequestParser&) = delete;

    // Starts a new request: its fields are filled into `r` (which the caller has reset), body
    // bytes go to `sink` (may be null: dropped). Leftover bytes of the previous request's stream
    // may follow; llhttp's state carries over between requests of one connection.
    void begin(Request* r, const ParserLimits& limits, BodySink* sink);

    // Parses up to `len` bytes; `*consumed` tells how many were used (the rest belongs to a
    // later request or part and must be fed again). Stops after the header and after the body.
    Result execute(const char* data, size_t len, size_t* consumed);

    const ParseError& error() const { return error_; }
    // True while the header of the current request is incomplete.
    bool in_header() const { return in_header_; }
    // True once any byte of the current request (other than leading empty lines) arrived.
    bool header_started() const { return started_ || method_pending_; }
    // True if the current request has a body still to be parsed.
    bool body_pending() const { return body_expected_ && !body_done_; }
    // True if the current request had (or has) a body.
    bool has_body() const { return body_expected_; }
    // The request's Content-Length header was set (n >= 0) or removed (n < 0) after the header
    // was parsed (ngx.req.set_header): as in nginx, the body still to be read is framed by the
    // new value. Does nothing once the body was read, discarded or began to be parsed, or for a
    // chunked body (chunked wins).
    void set_content_length(int64_t n);

    // llhttp callbacks (public for the C settings table only).
    int cb_message_begin();
    int cb_url(const char* at, size_t len);
    int cb_method(const char* at, size_t len);
    int cb_version_complete();
    int cb_header_field(const char* at, size_t len);
    int cb_header_value(const char* at, size_t len);
    int cb_header_value_complete();
    int cb_headers_complete();
    int cb_body(const char* at, size_t len);
    int cb_message_complete();

  private:
    enum class Pause { kNone, kHeaders, kMessage };

    bool check_header_limits();
    bool finish_header();
    void set_error(int status, std::string message);
    void map_llhttp_error(llhttp_errno_t e, const char* pos, const char* data, size_t len);
    size_t substitute_method(const char* data, size_t len);
    void note_tail(const char* data, size_t used);
    int header_value_other(const char* at, size_t len);
    std::string_view request_line_so_far() const;

    llhttp_t parser_;
    Request* r_ = nullptr;
    BodySink* sink_ = nullptr;
    ParserLimits limits_;
    ParseError error_;
    Pause pause_ = Pause::kNone;
    bool in_header_ = true;
    bool started_ = false;
    bool line_done_ = false;
    bool method_substituted_ = false;  // llhttp saw "GET" for a method it does not know
    // The bytes so far are the start of a method word: kept unparsed until the word is whole.
    bool method_pending_ = false;
    const char* exec_begin_ = nullptr;  // where the bytes of the current llhttp run begin
    // The byte llhttp took in an earlier run before the blanks that ended it (prev_blanks_, which
    // may be the whole of that run and of runs before it): a value that starts a new run learns
    // from them what llhttp skipped before it.
    char prev_last_ = '\0';
    std::string prev_blanks_;
    unsigned unique_seen_ = 0;         // bits: which of nginx's once-only headers came
    bool in_field_ = false;
    bool body_expected_ = false;
    bool body_done_ = false;
    bool body_begun_ = false;  // execute() ran after the header: the framing is fixed
    int host_index_ = -1;
    int te_index_ = -1;
    int cl_index_ = -1;
    int connection_index_ = -1;
    std::string url_;
    size_t buf_end_ = 0;     // raw_header offset where nginx's current header buffer ends
    size_t large_used_ = 0;  // large header buffers taken so far
    int body_error_ = 0;
};

// Decodes %XX and normalizes `path` as nginx does (merge slashes, resolve "." and ".."), writing
// the result to `out`. Returns false for an invalid path: not starting with '/', a bad %-escape,
// an encoded NUL, or ".." above the root. (The extension is set_uri_extension()'s, once the
// server is known.)
bool normalize_uri(std::string_view path, std::string& out, bool merge_slashes = true);

// Validates a Host value as ngx_http_validate_host does and returns it lower-cased without port
// and trailing dot in `out`; false if invalid.
bool validate_host(std::string_view host, std::string& out);

}  // namespace tycho::http
