// ngx.null, ngx.OK & co, HTTP method/status constants and log levels, with lua-nginx-module's
// names and values (ngx_http_lua_consts.c, ngx_http_lua_log.c).

#include <lua.hpp>

#include "lua/api.h"

namespace tycho::lua {
namespace {

struct Constant {
    const char* name;
    int value;
};

constexpr Constant kConstants[] = {
    // core return codes (NGX_OK ...); DONE is -4 and DECLINED -5 as in nginx.
    {"OK", 0},
    {"ERROR", -1},
    {"AGAIN", -2},
    {"DONE", -4},
    {"DECLINED", -5},

    // methods: nginx's NGX_HTTP_* bit values
    {"HTTP_GET", 0x0002},
    {"HTTP_HEAD", 0x0004},
    {"HTTP_POST", 0x0008},
    {"HTTP_PUT", 0x0010},
    {"HTTP_DELETE", 0x0020},
    {"HTTP_MKCOL", 0x0040},
    {"HTTP_COPY", 0x0080},
    {"HTTP_MOVE", 0x0100},
    {"HTTP_OPTIONS", 0x0200},
    {"HTTP_PROPFIND", 0x0400},
    {"HTTP_PROPPATCH", 0x0800},
    {"HTTP_LOCK", 0x1000},
    {"HTTP_UNLOCK", 0x2000},
    {"HTTP_PATCH", 0x4000},
    {"HTTP_TRACE", 0x8000},

    // statuses
    {"HTTP_CONTINUE", 100},
    {"HTTP_SWITCHING_PROTOCOLS", 101},
    {"HTTP_OK", 200},
    {"HTTP_CREATED", 201},
    {"HTTP_ACCEPTED", 202},
    {"HTTP_NO_CONTENT", 204},
    {"HTTP_PARTIAL_CONTENT", 206},
    {"HTTP_SPECIAL_RESPONSE", 300},
    {"HTTP_MOVED_PERMANENTLY", 301},
    {"HTTP_MOVED_TEMPORARILY", 302},
    {"HTTP_FOUND", 302},
    {"HTTP_SEE_OTHER", 303},
    {"HTTP_NOT_MODIFIED", 304},
    {"HTTP_TEMPORARY_REDIRECT", 307},
    {"HTTP_PERMANENT_REDIRECT", 308},
    {"HTTP_BAD_REQUEST", 400},
    {"HTTP_UNAUTHORIZED", 401},
    {"HTTP_PAYMENT_REQUIRED", 402},
    {"HTTP_FORBIDDEN", 403},
    {"HTTP_NOT_FOUND", 404},
    {"HTTP_NOT_ALLOWED", 405},
    {"HTTP_NOT_ACCEPTABLE", 406},
    {"HTTP_REQUEST_TIMEOUT", 408},
    {"HTTP_CONFLICT", 409},
    {"HTTP_GONE", 410},
    {"HTTP_UPGRADE_REQUIRED", 426},
    {"HTTP_TOO_MANY_REQUESTS", 429},
    {"HTTP_CLOSE", 444},
    {"HTTP_ILLEGAL", 451},
    {"HTTP_INTERNAL_SERVER_ERROR", 500},
    {"HTTP_METHOD_NOT_IMPLEMENTED", 501},
    {"HTTP_NOT_IMPLEMENTED", 501},
    {"HTTP_BAD_GATEWAY", 502},
    {"HTTP_SERVICE_UNAVAILABLE", 503},
    {"HTTP_GATEWAY_TIMEOUT", 504},
    {"HTTP_VERSION_NOT_SUPPORTED", 505},
    {"HTTP_INSUFFICIENT_STORAGE", 507},

    // log levels: nginx's NGX_LOG_* values
    {"STDERR", 0},
    {"EMERG", 1},
    {"ALERT", 2},
    {"CRIT", 3},
    {"ERR", 4},
    {"WARN", 5},
    {"NOTICE", 6},
    {"INFO", 7},
    {"DEBUG", 8},
};

}  // namespace

void inject_constants(lua_State* L) {
    for (const Constant& c : kConstants) {
        lua_pushinteger(L, c.value);
        lua_setfield(L, -2, c.name);
    }
    // A NULL light userdata: the same value as cjson.null, so JSON nulls round-trip.
    lua_pushlightuserdata(L, nullptr);
    lua_setfield(L, -2, "null");
}

}  // namespace tycho::lua
