#pragma once

// The object the http module's block setters (http, server, location) pass as `void* conf` to
// the directives inside them. Every http-level setter (this module's and the static module's)
// casts `conf` to ConfScope* and writes into `loc` (the LocConf of the innermost block), or into
// `server` / `http` for directives bound to those levels. Only used while loading a config, on
// the master thread.

#include <string>
#include <utility>
#include <vector>

#include "core/conf.h"
#include "http/http_conf.h"

namespace tycho::http {

struct ConfScope {
    HttpConf* http = nullptr;      // never null inside http{}
    ServerConf* server = nullptr;  // null at http level
    Location* location = nullptr;  // innermost location; null at http/server level
    LocConf* loc = nullptr;        // LocConf of the innermost block (http, server or location)
    std::vector<ScriptOp>* script = nullptr;  // where return/rewrite/set append, never null
};

// Casts a setter's `conf` argument (always a ConfScope* for http-level directives).
inline ConfScope* conf_scope(void* conf) { return static_cast<ConfScope*>(conf); }

// nginx's ngx_conf_set_enum_slot for an int field of LocConf (-1 = unset): one argument, one of
// `values` (stored as its number); anything else is `invalid value "x"`, a second one in the same
// block `"name" directive is duplicate`. Defined in http_module.cpp.
core::Directive enum_directive(const char* name, uint32_t contexts, int LocConf::*field,
                               std::vector<std::pair<std::string, int>> values);

// nginx's ngx_conf_set_flag_slot for an int field of LocConf (-1 = unset): on → 1, off → 0.
// Defined in http_module.cpp.
core::DirectiveSetter flag_setter(int LocConf::*field);

// A configuration warning as nginx logs it: to the error log (stderr at startup), with
// " in FILE:LINE" appended. Defined in static_module.cpp.
void warn_at(const core::ConfNode& node, const std::string& message);

}  // namespace tycho::http
