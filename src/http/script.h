#pragma once

// The rewrite module's instructions at run time: `return`, `rewrite`, `set`, executed in
// config order by the server rewrite and rewrite phases (phases.cpp). Worker thread of the
// request; never yields.

#include <string_view>
#include <vector>

#include "http/request.h"

namespace tycho::http {

// Runs `ops` against `r`. Returns kDeclined when the script ran to its end or a `rewrite ...
// last|break` stopped it (r.uri / r.args hold the rewritten values; r.uri_changed says whether
// the location must be searched again: set by a plain or `last` rewrite, cleared by `break`).
// Otherwise returns what finalizes the request: kDone/kOk/kError when `return` sent a response
// itself, or an HTTP status (a `return 404`, a redirect whose Location is in
// r.location_header, or 500 when a rewrite produced an empty URI).
int run_script(Request& r, const std::vector<ScriptOp>& ops);

// The `return CODE [TEXT]` action, also used for `error_page` URLs: redirect codes (301, 302,
// 303, 307, 308) set r.location_header and return the code; codes below 400 or any code with
// a text send `text` as the body (Content-Type by the URI's extension or default_type) and
// return the send result; a bare code >= 400 is returned as is.
int script_return(Request& r, int code, const ComplexValue* text);

// Recomputes r.exten from r.uri (after a rewrite or an internal redirect).
void set_exten(Request& r);

}  // namespace tycho::http
