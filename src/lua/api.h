#pragma once

// Registration of the self-contained parts of the `ngx` table: functions that need no request,
// no scheduler and no server, so they work in every phase (init_by_lua included) and on a bare
// LuaJIT state. Each inject_* expects the `ngx` table at the top of the stack, adds its fields,
// and leaves the stack as it found it. Call them once per VM, from the thread that owns the VM;
// they may raise a Lua error only on out-of-memory or when an embedded Lua half fails to load
// (a build defect), so call them under lua_pcall / lua_cpcall when that matters.

#include <cstddef>

struct lua_State;

namespace tycho::lua {

// Adds the codecs and digests: escape_uri, unescape_uri, encode_args, decode_args,
// encode_base64, decode_base64, md5, md5_bin, sha1_bin, hmac_sha1, crc32_short, crc32_long,
// quote_sql_str. The hot ones are Lua functions over FFI (module "tycho.string", loaded from the
// embedded sources and recorded in package.loaded); their C halves are exported as
// tycho_ffi_string_* and must be visible to ffi.C (the binary links with -rdynamic).
void inject_string(lua_State* L);

// Adds now, time, update_time, today, localtime, utctime, http_time, cookie_time and
// parse_http_time (module "tycho.time" over FFI, C halves tycho_ffi_time_*). Times come from the
// calling thread's core::cached_time(), which the worker refreshes once per loop turn;
// ngx.update_time() refreshes it on demand.
void inject_time(lua_State* L);

// The query-string parser behind ngx.decode_args (lua-nginx-module's ngx_http_lua_parse_args),
// for ngx.req.get_uri_args / get_post_args too: splits buf[0..len) on '&' and '=', unescapes
// keys and values as URI components ('+' is a space) IN PLACE (buf must be a private copy),
// skips empty keys, stores `true` for a key without '=', turns repeated keys into arrays, and
// fills the table at stack `index`. Stops after `max` pairs when max > 0. Returns true if it
// stopped at the limit with input left (the `truncated` of get_uri_args), false otherwise.
// Stack neutral; raises only on out-of-memory.
bool parse_args_into(lua_State* L, int index, unsigned char* buf, size_t len, int max);

// Adds ngx.null (a NULL light userdata, equal to cjson.null), ngx.OK/ERROR/AGAIN/DONE/DECLINED,
// the HTTP method constants (ngx.HTTP_GET = 2 ... nginx's bit values), the HTTP status
// constants (ngx.HTTP_CONTINUE ... ngx.HTTP_INSUFFICIENT_STORAGE) and the log levels
// ngx.STDERR (0) ... ngx.DEBUG (8).
void inject_constants(lua_State* L);

// Makes `table.new(narr, nrec)` and `table.clear(t)` available as fields of the global `table`
// (OpenResty preloads LuaJIT's "table.new" / "table.clear" extensions the same way), so code
// may call them with or without `require "table.new"`. Needs the base and package libraries
// opened. Stack neutral.
void install_table_extensions(lua_State* L);

// ngx.re (match, find, gmatch, sub, gsub: lua/tycho/regex.lua over src/lua/api_regex.cpp).
void inject_regex(lua_State* L);

// Fills the names of lua-nginx-module's API that Tycho does not build yet (ngx.re.*,
// ngx.socket.*, ngx.location.capture*, ngx.req.socket and the request-body writers,
// ngx.resp.get_headers, ngx.on_abort) with functions
// that raise `<name> is not implemented in Tycho yet`, instead of leaving them nil, and
// preloads lua-resty-core's ngx.* modules Tycho does not embed (ngx.re, ngx.ssl, ...) with
// loaders that raise `module '<name>' is not implemented in Tycho yet`. Call it after every
// other inject_*: it never replaces a field that is set. Stack neutral.
void inject_unimplemented(lua_State* L);

// Pushes the value of the embedded Lua module `name` ("tycho.string"): package.loaded[name] if
// set, else runs the embedded source (kEmbeddedModules) with `name` as its argument, records a
// non-nil result in package.loaded and pushes it. Independent of package.preload, so it works
// before the VM installs the preload table. Raises a Lua error if the module is unknown or fails.
void require_embedded(lua_State* L, const char* name);

}  // namespace tycho::lua
