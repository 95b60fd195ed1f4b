#pragma once

// Static content: mapping URIs to files (root/alias), try_files, index, and the static file
// handler (MIME types, ETag/Last-Modified, conditional requests, single Range, sendfile).

#include <string>
#include <string_view>

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

// Content-Type for the extension (lower-case, no dot) from r.loc->types, else default_type.
std::string mime_type_for(const Request& r, std::string_view exten);

}  // namespace tycho::http

namespace tycho::core {
class DirectiveTable;
}

namespace tycho::http {
// Registers root, alias, index, try_files, types, default_type, sendfile, tcp_nopush (the
// static module's directives). Called by register_http_directives.
void register_static_directives(core::DirectiveTable& table);
}  // namespace tycho::http
