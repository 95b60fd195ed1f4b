#pragma once

// Error-log lines about a connection or request, with nginx's context suffix:
//   ..., client: 127.0.0.1, server: example.com, request: "GET / HTTP/1.1", host: "example.com"
// (server/request/host only when known). Implemented in connection.cpp.

#include <string_view>
#include <vector>

#include "core/log.h"
#include "http/request.h"

namespace tycho::http {

// Logs `message` at `level` for request `r` (conn number, client, server, request, host).
void log_request(core::LogLevel level, const Request& r, std::string_view message);
// The error_log sinks lines about `r` go to now: its location's or its server's `error_log`
// (owned by the config, which outlives the worker's requests and timers), or null for the
// main error log.
const std::vector<core::LogSink>* request_error_log(const Request& r);
// Logs for a connection that has no request yet (client only).
void log_connection(core::LogLevel level, const ConnectionInfo& c, std::string_view message);

}  // namespace tycho::http
