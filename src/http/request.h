#pragma once

// One HTTP request as it moves through the phases. Created by the connection (connection.cpp)
// when a request line arrives, owned by it, destroyed after the log phase. Only the worker thread
// that owns the connection touches it.

#include <sys/types.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "http/http_conf.h"

namespace tycho::http {

class Connection;
struct ListenGroup;

struct Header {
    std::string name;   // as received / as set (case preserved)
    std::string value;
};

// A request's headers (in or out): a vector whose removed entries stay behind its end, strings
// and all, for the next request on the connection to reuse. Destroying and reallocating them was
// a malloc/free pair per header longer than the small-string buffer, on every keep-alive request.
// Order is kept by every operation (erase rotates the entry out).
class HeaderList {
public:
    using iterator = Header*;
    using const_iterator = const Header*;

    HeaderList() = default;
    HeaderList(const HeaderList& other) : slots_(other.begin(), other.end()), size_(other.size_) {}
    HeaderList(std::initializer_list<Header> init) : slots_(init), size_(init.size()) {}
    HeaderList(HeaderList&& other) noexcept
        : slots_(std::move(other.slots_)), size_(std::exchange(other.size_, 0)) {}
    HeaderList& operator=(const HeaderList& other) {
        if (this != &other) {
            clear();
            for (const Header& h : other) {
                push_back(h);
            }
        }
        return *this;
    }
    HeaderList& operator=(HeaderList&& other) noexcept {
        slots_ = std::move(other.slots_);
        size_ = std::exchange(other.size_, 0);
        return *this;
    }

    iterator begin() { return slots_.data(); }
    iterator end() { return slots_.data() + size_; }
    const_iterator begin() const { return slots_.data(); }
    const_iterator end() const { return slots_.data() + size_; }
    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    Header& operator[](size_t i) { return slots_[i]; }
    const Header& operator[](size_t i) const { return slots_[i]; }
    Header& back() { return slots_[size_ - 1]; }
    const Header& back() const { return slots_[size_ - 1]; }

    // A new, empty entry at the end (a reused slot keeps its string capacity).
    Header& emplace_back() {
        if (size_ == slots_.size()) {
            slots_.emplace_back();
        }
        Header& h = slots_[size_++];
        h.name.clear();
        h.value.clear();
        return h;
    }
    // Copies into a reused slot (keeping its buffers) even from a temporary.
    void push_back(const Header& h) {
        Header& slot = emplace_back();
        slot.name.assign(h.name);
        slot.value.assign(h.value);
    }
    void pop_back() { size_--; }
    iterator erase(iterator pos) { return erase(pos, pos + 1); }
    iterator erase(iterator first, iterator last) {
        std::rotate(first, last, end());
        size_ -= static_cast<size_t>(last - first);
        return first;
    }
    // Empties the list; at most `keep` slots stay for reuse (one request with many headers
    // does not pin them for the connection's life).
    void clear(size_t keep = SIZE_MAX) {
        size_ = 0;
        if (slots_.size() > keep) {
            slots_.resize(keep);
        }
    }

private:
    std::vector<Header> slots_;
    size_t size_ = 0;
};

// What the phases need to know about the connection a request arrived on.
struct ConnectionInfo {
    uint64_t number = 0;          // $connection, the *N of log lines
    std::string remote_addr;      // $remote_addr ("unix:" for unix sockets)
    int remote_port = 0;          // $remote_port
    std::string server_addr;      // $server_addr (filled lazily by the variable if empty)
    int server_port = 0;          // $server_port
    uint64_t requests = 0;        // $connection_requests (1 for the first request)
    const ListenGroup* group = nullptr;
};

// Result codes of handlers (nginx's NGX_OK ... NGX_DECLINED). Values >= 100 are HTTP statuses
// meaning "finalize the request with this status".
enum : int { kOk = 0, kError = -1, kAgain = -2, kBusy = -3, kDone = -4, kDeclined = -5 };

struct Request {
    Connection* connection = nullptr;
    const ConnectionInfo* conn_info = nullptr;

    // ---- request line and headers (filled by the connection's parser)
    std::string method;           // "GET"
    std::string request_line;     // "GET /a?b HTTP/1.1"   ($request)
    std::string unparsed_uri;     // "/a%20b?x=1"          ($request_uri)
    std::string uri;              // decoded, normalized path "/a b"  ($uri; changes on rewrite)
    std::string args;             // "x=1"                 ($args; changes on rewrite)
    std::string exten;            // extension of uri, lower-case, for MIME lookup
    int http_major = 1;
    int http_minor = 1;
    HeaderList headers_in;
    std::string host;             // from the Host header (lower-cased, port stripped) or absolute URI
    int64_t content_length_in = -1;  // -1: none
    bool chunked_in = false;
    bool expect_continue = false;
    bool keepalive = true;        // the client allows keep-alive (HTTP/1.1 default / 1.0 + keep-alive)
    bool header_only = false;     // HEAD: no body in the response
    // No arguments at all, nginx's NULL r->args: $args is "not found" (nil in Lua) rather than
    // "" (nothing after the '?', an ngx.exec without arguments; not set_uri_args("")).
    bool args_null = true;
    int64_t start_msec = 0;       // when the request line began (ms since epoch)
    std::string raw_header;       // the request line and headers as received (ngx.req.raw_header)

    // ---- request body (connection.cpp: read_client_body)
    std::string body;             // in memory (client_body_buffer_size or smaller)
    std::string body_file;        // temp file path when the body did not fit in memory
    int body_fd = -1;
    bool body_file_clean = true;  // body_file is deleted when the request ends
    bool body_read = false;       // read_client_body completed
    // ngx.req.init_body was called: append_request_body fills `body` up to body_buffer_size,
    // then the body goes to a temp file (0: straight to the file).
    bool body_init = false;
    size_t body_buffer_size = 0;
    bool body_discarding = false;

    // ---- routing (phases.cpp)
    const ServerConf* server = nullptr;
    const Location* location = nullptr;  // matched location (nullptr when none matched)
    const LocConf* loc = nullptr;        // effective conf: location's, else the server's
    std::vector<int> captures;           // ovector pairs of the last regex match ($1..$9)
    std::string captures_subject;        // the string the captures index into
    std::unordered_map<std::string, std::string> variables;  // `set` variables
    int uri_changes = 11;                // rewrite/internal redirect cycle budget (nginx: 10)
    bool internal = false;               // after an internal redirect
    // realip (set_real_ip_from): conn_info then points to realip_info, a copy of the
    // connection's with the client address from the header; realip_orig is the connection's
    // own ($realip_remote_addr), null while realip has not replaced it.
    std::unique_ptr<ConnectionInfo> realip_info;
    const ConnectionInfo* realip_orig = nullptr;
    bool error_page = false;             // an error_page redirect already happened
    bool uri_changed = false;            // rewrite ... last: rematch the location
    int phase = 0;                       // phases.cpp: the next phase (resume point after kAgain)
    // error_page: when nonzero, the status sent instead of r.status by send_header (nginx's
    // r->err_status: the error code, or "=CODE", kept while the error page's location serves it).
    int err_status = 0;

    // ---- response (response.cpp)
    int status = 0;                      // $status
    HeaderList headers_out;              // extra headers (add_header, Location, ETag, ...)
    std::string content_type;            // with charset if any
    // Content-Type was chosen by the handler (ngx.header.content_type, even nil or ""): the
    // location's default type no longer applies (lua-nginx-module's ctx->mime_set).
    bool content_type_set = false;
    // A Lua handler of this location set a response header (lua-nginx-module's ctx->headers_set,
    // reset by an internal redirect): if none did, its output drops Content-Length.
    bool lua_headers_set = false;
    // ngx.exit(status) in a header filter replaced the response (send_header).
    bool filter_finalized = false;
    // content_length_out (below) came from a Content-Length header a handler set (nginx keeps that one
    // in its header list: ngx.resp.get_headers shows it among them).
    bool content_length_header = false;
    int64_t content_length_out = -1;     // -1: unknown -> chunked (HTTP/1.1) or close (1.0)
    int64_t last_modified = -1;          // Unix seconds, -1: none
    std::string location_header;         // Location for redirects (made absolute on output)
    bool header_sent = false;
    bool response_done = false;          // last byte queued
    bool chunked_out = false;
    uint64_t body_bytes_sent = 0;        // $body_bytes_sent
    uint64_t bytes_sent = 0;             // headers + body

    // ---- per-request data of later modules: lua's context (lua/scheduler.h), which the lua
    // module sets and clears (its request cleanup); the module's pool owns it.
    void* module_ctx = nullptr;
    // Set by a handler that wants to hear of a client closing the connection while the request
    // is processed (lua_check_client_abort): the connection then watches it and calls this once.
    void (*on_client_abort)(Request& r) = nullptr;

    // Back to a blank request for the next one on the connection. Strings and lists are
    // cleared, not freed, so a keep-alive request parses and answers without heap traffic
    // (copy-assigning a blank Request cost ~500 instructions a request). The size check
    // below makes a new field fail to compile until it is reset here.
    void reset();
};

inline void Request::reset() {
#if defined(__x86_64__) && defined(__GLIBCXX__) && !defined(_GLIBCXX_DEBUG)
    static_assert(sizeof(Request) == 760, "a Request field was added or changed: reset it in reset()");
#endif
    connection = nullptr;
    conn_info = nullptr;
    realip_orig = nullptr;  // realip_info is kept for the next request to reuse
    method.clear();
    request_line.clear();
    unparsed_uri.clear();
    uri.clear();
    args.clear();
    args_null = true;
    exten.clear();
    http_major = 1;
    http_minor = 1;
    headers_in.clear(32);
    host.clear();
    content_length_in = -1;
    chunked_in = false;
    expect_continue = false;
    keepalive = true;
    header_only = false;
    start_msec = 0;
    raw_header.clear();
    body.clear();
    body_file.clear();
    body_fd = -1;
    body_file_clean = true;
    body_read = false;
    body_init = false;
    body_buffer_size = 0;
    body_discarding = false;
    server = nullptr;
    location = nullptr;
    loc = nullptr;
    captures.clear();
    captures_subject.clear();
    variables.clear();
    uri_changes = 11;
    internal = false;
    error_page = false;
    uri_changed = false;
    phase = 0;
    err_status = 0;
    status = 0;
    headers_out.clear(32);
    content_type.clear();
    content_type_set = false;
    lua_headers_set = false;
    content_length_header = false;
    filter_finalized = false;
    content_length_out = -1;
    last_modified = -1;
    location_header.clear();
    header_sent = false;
    response_done = false;
    chunked_out = false;
    body_bytes_sent = 0;
    bytes_sent = 0;
    module_ctx = nullptr;
    on_client_abort = nullptr;
}

}  // namespace tycho::http
