#pragma once

// The phase engine: server selection, server rewrite, location match, rewrite, access,
// try_files, content, special responses (error_page), log. phases.cpp implements it; the
// connection calls process_request() once the request header is parsed.

#include <string>
#include <vector>

#include "http/request.h"

namespace tycho::http {

class ComplexValue;  // http/variables.h

// A handler a module installs on a LocConf (lua's content_by_lua, ...). Returns kOk/kDone when
// it produced the whole response, kDeclined to pass to the next handler, kAgain when it will call
// finalize_request() later (asynchronous), kError or an HTTP status to finalize with.
class PhaseHandler {
  public:
    virtual ~PhaseHandler() = default;
    virtual int handle(Request& r) = 0;
    // Adds the values with variables its configuration holds (content_by_lua_file
    // html/$1.lua), which are checked with the others once the whole configuration is read.
    virtual void collect_values(std::vector<const ComplexValue*>& out) const { (void)out; }
};

// A body filter a module installs on a LocConf (lua's body_filter_by_lua). send_body() and
// the other body writers pass every piece of the response body through it before it is
// queued: `data` is the piece (the filter may replace or clear it), `last` says whether it ends
// the body (the filter may set it to end the body early; later pieces are then dropped).
// Returns kOk, or kError to abort the response (the connection is closed). Never yields.
class BodyFilter {
  public:
    virtual ~BodyFilter() = default;
    virtual int filter(Request& r, std::string& data, bool& last) = 0;
    // As PhaseHandler::collect_values.
    virtual void collect_values(std::vector<const ComplexValue*>& out) const { (void)out; }
};

// Runs the phases for a freshly parsed request. May complete synchronously or leave work
// pending (a handler returned kAgain); either way the request ends through finalize_request().
void process_request(Request& r);

// Ends the current handler's work with `rc`:
//   kOk / kDone: the response is complete (or being flushed);
//   kAgain: nothing now; someone calls finalize_request later;
//   kError: abort: close the connection without a response (if none was sent);
//   status >= 300 (or any status when no header was sent yet, e.g. 204): send a special
//     response — error_page if configured (internal redirect / redirect), else the built-in page;
//     if the header was already sent, close the connection.
void finalize_request(Request& r, int rc);

// Internal redirect to `uri` (with `args`): rematches server rewrite? no — restarts at location
// matching like ngx_http_internal_redirect; "@name" jumps to a named location. Returns kDone or
// a status (500 on a redirect cycle, logging "rewrite or internal redirection cycle").
int internal_redirect(Request& r, std::string_view uri, std::string_view args);

// Continues the phases after an asynchronous rewrite or access handler (one that returned
// kAgain) has finished with `rc`: kOk / kDeclined go on with the next phase, anything else
// finalizes the request with `rc`. Worker thread of the request; may run the rest of the
// request synchronously.
void resume_phases(Request& r, int rc);

// Log phase: access logs and the location's log handler. The connection calls it once the
// response is fully sent (or the request is aborted).
void run_log_phase(Request& r);

}  // namespace tycho::http
