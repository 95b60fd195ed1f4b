#pragma once

// Writing a response and reading a request body. Implemented by the connection layer
// (response.cpp, connection.cpp). All functions run on the request's worker thread and never
// block: output is queued and flushed as the socket accepts it; send_timeout applies.

#include <cstdint>
#include <functional>
#include <string_view>

#include "http/request.h"

namespace tycho::http {

// Serializes and queues the status line and headers once: "HTTP/1.1 <status> <reason>", Server
// (server_tokens), Date, Content-Type, Content-Length (when known) or Transfer-Encoding: chunked
// (HTTP/1.1, unknown length), Last-Modified, Location, Connection: keep-alive|close and
// Keep-Alive: timeout=N (when keepalive_timeout has a header value), then r.headers_out, then
// add_header values (only for 200/201/204/206/301/302/303/304/307/308 unless `always`).
// HEAD requests and 204/304 get no body. Returns kOk, or kError if the connection is gone.
int send_header(Request& r);

// Queues body bytes (copied). `last` ends the response (writes the chunked terminator).
// Sends the header first if it was not sent yet. Returns kOk or kError.
int send_body(Request& r, std::string_view data, bool last);

// Pushes the queued output to the socket now instead of waiting for more (ngx.flush). Sends the
// header first if needed. Returns kOk or kError.
int send_flush(Request& r);

// Registers `fn` to run once when `r` ends: after its log phase, or when its connection is torn
// down without one (client timeout, fast stop). A module with pending work for the request (a
// coroutine waiting for the body) cancels it there. Worker thread only.
void add_request_cleanup(Request& r, std::function<void()> fn);
// The same as fn(a, b), without a std::function (the per-request path of the lua module).
void add_request_cleanup(Request& r, void (*fn)(void* a, void* b), void* a, void* b);

// Queues `length` bytes of the open file `fd` from `offset` (sendfile(2) when `sendfile on`,
// else read+write). Takes ownership of `fd` (closed when sent or on abort). Returns kOk/kError.
int send_file(Request& r, int fd, int64_t offset, int64_t length, bool last);

// Sends nginx's built-in page for `status` (e.g. "<html>\r\n<head><title>404 Not Found</title>
// </head>\r\n..." with the server signature per server_tokens) and ends the response. For
// 301/302/303/307/308 the Location header is r.location_header. Statuses that close the
// connection in nginx (400, 408, 413, 414, 494/431, 500, 501, 503...) set keepalive = false.
void send_special_response(Request& r, int status);

// Reason phrase of a status code ("Not Found"); empty for unknown codes.
std::string_view status_reason(int status);

// Reads the whole request body (Content-Length or chunked), honouring client_max_body_size
// (413), client_body_buffer_size (spill to a temp file under client_body_temp_path),
// client_body_timeout (408) and Expect: 100-continue (sends "HTTP/1.1 100 Continue" first).
// Calls `done(r)` once r.body / r.body_file hold the body — synchronously if it is already
// there. On failure finalizes the request with the status itself and does not call `done`.
using BodyHandler = std::function<void(Request& r)>;
int read_client_body(Request& r, BodyHandler done);

// Reads and drops the body (the default for handlers that ignore it), so keep-alive works.
// Returns kOk, or the error status (400) when the body bytes already received are invalid.
int discard_request_body(Request& r);

// The body store behind ngx.req.set_body_data/set_body_file/init_body/append_body/finish_body.
// Forgets the body read so far: memory, and the file (closed; deleted if it is a temp file).
void drop_request_body(Request& r);
// Starts a new, empty body that appends fill: in memory up to `size` bytes (< 0:
// client_body_buffer_size), then in a temp file under client_body_temp_path.
void init_request_body(Request& r, int64_t size);
// False if the temp file could not be made or written (logged at crit).
bool append_request_body(Request& r, const char* data, size_t len);
// Rewinds the temp file (if any) for readers of the body.
void finish_request_body(Request& r);

}  // namespace tycho::http
