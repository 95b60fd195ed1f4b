#pragma once

// Static content: mapping URIs to files (root/alias), try_files, index, and the static file
// handler (MIME types, ETag/Last-Modified, conditional requests, single Range, sendfile).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/request.h"

namespace tycho::http {

// Maps `uri` to a filesystem path with r.loc's root or alias (alias replaces the matched location
// prefix, or is the whole path for regex locations with captures). Returns false when the URI
// is not a safe path (contains a ".." segment after decoding, or NUL): the caller answers 400
// (nginx's behaviour for URIs that climb above the root).
bool map_uri_to_path(Request& r, std::string_view uri, std::string& path);

// try_files phase: tests each argument (file, "dir/" as directory) against the mapped path;
// the first that exists becomes the URI served; else the last argument is an internal redirect
// (URI or @named) or "=CODE". Returns kDeclined to continue to the content phase, or what
// internal_redirect / the status returned.
int run_try_files(Request& r);

// The default content handler: serves the file for r.uri; a directory URI without a trailing
// slash gets 301 to uri + "/"; a URI ending in "/" tries each `index` file (internal redirect
// to it) else 403 (no autoindex); 404 when missing, 403 when unreadable; only GET and HEAD
// (405 otherwise). Adds ETag, Last-Modified, Accept-Ranges; honours If-Modified-Since,
// If-None-Match (304), If-Match/If-Unmodified-Since (412), a single Range (206 / 416).
int static_handler(Request& r);

// Content-Type for the extension (any case, no dot) from r.loc->types, else default_type. The
// view points into the configuration (or a literal): it lives as long as the request's config.
std::string_view mime_type_for(const Request& r, std::string_view exten);

// ---- Pure helpers of the static handler, exposed for unit tests. No I/O, any thread.

// The extension of `uri` as nginx's ngx_http_set_exten() finds it (after the last '.' of the last
// path segment, a leading dot does not count), lower-cased; "" when none.
std::string uri_extension(std::string_view uri);
// The same, into `ext` (whose buffer is reused).
void set_uri_extension(std::string_view uri, std::string& ext);

// nginx's ETag for a file: "\"<hex mtime>-<hex size>\"" (quotes included).
std::string make_etag(int64_t mtime, int64_t size);

// nginx's ngx_http_test_if_match(): true if the If-Match / If-None-Match header value `header`
// ("*" or a list of entity tags) names `etag`. `weak` (If-None-Match) ignores a "W/" prefix.
bool etag_list_matches(std::string_view header, std::string_view etag, bool weak);

// nginx's not_modified filter (ngx_http_not_modified_filter_module) for a 200 response with
// entity tag `etag` ("" for none) and Last-Modified `mtime` (-1 for none): 0 to go on, or 304
// or 412 after the request's If-Unmodified-Since / If-Match / If-Modified-Since /
// If-None-Match. It applies to every 200 response, files and Lua output alike.
int check_conditions(const Request& r, std::string_view etag, int64_t mtime);

// One satisfiable byte range [start, end) of a Range request.
struct ByteRange {
    int64_t start = 0;
    int64_t end = 0;  // exclusive
};

enum class RangeParse {
    kOk,              // `ranges` holds one or more ranges: answer 206
    kNotSatisfiable,  // answer 416 with Content-Range: bytes */size
    kDeclined,        // ignore the header: answer 200 with the whole file
};

// Parses a Range header value ("bytes=0-99,200-") against a body of `size` bytes, step for step
// as nginx's ngx_http_range_parse(): a value not starting with "bytes=" (any case) is declined;
// syntax errors are "not satisfiable"; ranges that overlap past the size are declined.
// `max_ranges` 0 means unlimited (nginx's max_ranges default).
RangeParse parse_range(std::string_view header, int64_t size, std::vector<ByteRange>& ranges,
                       int max_ranges = 0);

// True if `uri` is safe to append to a root: no NUL byte and no "." / ".." path segment.
bool uri_is_safe(std::string_view uri);

}  // namespace tycho::http

namespace tycho::core {
class DirectiveTable;
}

namespace tycho::http {
// Registers root, alias, index, try_files, types, default_type, sendfile, tcp_nopush (the
// static module's directives). Called by register_http_directives.
void register_static_directives(core::DirectiveTable& table);
}  // namespace tycho::http
