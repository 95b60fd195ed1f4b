#pragma once

// One HTTP request as it moves through the phases. Created by the connection (connection.cpp)
// when a request line arrives, owned by it, destroyed after the log phase. Only the worker thread
// that owns the connection touches it.

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "http/http_conf.h"

namespace tycho::http {

class Connection;
struct ListenGroup;

struct Header {
    std::string name;   // as received / as set (case preserved)
    std::string value;
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
    std::vector<Header> headers_in;
    std::string host;             // from the Host header (lower-cased, port stripped) or absolute URI
    int64_t content_length_in = -1;  // -1: none
    bool chunked_in = false;
    bool expect_continue = false;
    bool keepalive = true;        // the client allows keep-alive (HTTP/1.1 default / 1.0 + keep-alive)
    bool header_only = false;     // HEAD: no body in the response
    int64_t start_msec = 0;       // when the request line began (ms since epoch)
    std::string raw_header;       // the request line and headers as received (ngx.req.raw_header)

    // ---- request body (connection.cpp: read_client_body)
    std::string body;             // in memory (client_body_buffer_size or smaller)
    std::string body_file;        // temp file path when the body did not fit in memory
    int body_fd = -1;
    bool body_read = false;       // read_client_body completed
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
    bool error_page = false;             // an error_page redirect already happened
    bool uri_changed = false;            // rewrite ... last: rematch the location
    int phase = 0;                       // phases.cpp: the next phase (resume point after kAgain)
    // error_page: when nonzero, the status sent instead of r.status by send_header (nginx's
    // r->err_status: the error code, or "=CODE", kept while the error page's location serves it).
    int err_status = 0;

    // ---- response (response.cpp)
    int status = 0;                      // $status
    std::vector<Header> headers_out;     // extra headers (add_header, Location, ETag, ...)
    std::string content_type;            // with charset if any
    // Content-Type was chosen by the handler (ngx.header.content_type, even nil or ""): the
    // location's default type no longer applies (lua-nginx-module's ctx->mime_set).
    bool content_type_set = false;
    // ngx.exit(status) in a header filter replaced the response (send_header).
    bool filter_finalized = false;
    int64_t content_length_out = -1;     // -1: unknown -> chunked (HTTP/1.1) or close (1.0)
    int64_t last_modified = -1;          // Unix seconds, -1: none
    std::string location_header;         // Location for redirects (made absolute on output)
    bool header_sent = false;
    bool response_done = false;          // last byte queued
    bool chunked_out = false;
    uint64_t body_bytes_sent = 0;        // $body_bytes_sent
    uint64_t bytes_sent = 0;             // headers + body

    // ---- per-request data of later modules (lua stores its context here)
    std::shared_ptr<void> module_ctx;
};

}  // namespace tycho::http
