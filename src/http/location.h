#pragma once

// Request routing: which server{} of a listening socket serves a Host, and which location{} of
// that server serves a URI, in nginx's order. Pure functions over the immutable HttpConf: any
// worker thread may call them concurrently.

#include <string>
#include <string_view>
#include <vector>

#include "http/http_conf.h"

namespace tycho::http {

// The captures of a regex that matched (a regex location or server name), for $1..$9 and named
// captures. `ovector` indexes into `subject`.
struct RegexCaptures {
    std::vector<int> ovector;
    std::string subject;
    std::vector<std::pair<std::string, std::string>> named;  // (name, value) of named groups
    bool matched = false;
};

// nginx's location lookup (ngx_http_core_find_location) for `uri` in `server`:
//   1. among the exact (`=`) and prefix locations of a level, an exact match wins at once;
//      otherwise the longest matching prefix is remembered and its nested locations searched
//      the same way (a nested result, when any, replaces it);
//   2. unless that prefix is `^~`, the level's regex locations (`~`, `~*`) are tried in config
//      order, nested regexes of the matched prefix first (by the recursion); the first match
//      wins (and its own nested locations are searched);
//   3. else the longest prefix found, or nullptr when nothing matched (the request then uses
//      the server's conf, as nginx does).
// Named locations never match a URI. `captures` (optional) receives the winning regex's groups.
const Location* find_location(const ServerConf& server, std::string_view uri,
                              RegexCaptures* captures = nullptr);

// The `@name` location of `server` (name with the '@'), or nullptr.
const Location* find_named_location(const ServerConf& server, std::string_view name);

// The server{} for `host` (lower-case, no port) among `group`'s servers: exact name, then the
// longest matching leading wildcard (`*.example.com`, `.example.com`), then the longest trailing
// wildcard (`www.example.*`), then regexes in config order (captures go to `captures`), else the
// group's default server. Never null for a group built by finish_http_conf.
const ServerConf* find_server(const ListenGroup& group, std::string_view host,
                              RegexCaptures* captures = nullptr);

}  // namespace tycho::http
