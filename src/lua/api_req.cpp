// ngx.req: lua-nginx-module 0.10.23's ngx_http_lua_{headers,args,req_body,uri,req_method}.c
// with lua-resty-core 0.1.25's FFI split. The hot getters (get_headers, get_uri_args,
// get_method) and the setters resty.core takes over (set_method, set_header, clear_header,
// start_time, is_internal) are extern "C" tycho_ffi_req_* functions driven from
// lua/tycho/req.lua; the rest are classic C functions with lua-nginx-module's argument checks
// and texts. read_body suspends the entry coroutine while the body arrives (the yield protocol
// of scheduler.h: the wait is recorded, the body callback resumes).

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <lua.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "core/ascii.h"
#include "http/connection.h"
#include "http/request_parser.h"
#include "http/response.h"
#include "http/static.h"
#include "lua/api.h"
#include "lua/api_runtime.h"
#include "lua/vm.h"

// The FFI ABI of lua/tycho/req.lua (its ffi.cdef mirrors these).
extern "C" {
struct tycho_ffi_req_str_t {
    const unsigned char* data;
    int len;
};
struct tycho_ffi_req_elt_t {
    tycho_ffi_req_str_t key;
    tycho_ffi_req_str_t value;
};
}

namespace tycho::lua {
namespace {

// lua-resty-core's result codes (FFI_OK ... FFI_BAD_CONTEXT), mirrored in lua/tycho/req.lua.
constexpr int kFfiOk = 0;
constexpr int kFfiError = -1;
constexpr int kFfiDeclined = -5;
constexpr int kFfiNoRequest = -100;
constexpr int kFfiBadContext = -101;

// NGX_HTTP_LUA_MAX_HEADERS / NGX_HTTP_LUA_MAX_ARGS.
constexpr int kMaxHeaders = 100;
constexpr int kMaxArgs = 100;

constexpr uint32_t kReadBodyPhases =
    Phase::kServerRewrite | Phase::kRewrite | Phase::kAccess | Phase::kContent;

struct MethodName {
    int id;  // nginx's NGX_HTTP_* bit, the value of ngx.HTTP_*
    std::string_view name;
};

constexpr MethodName kMethods[] = {
    {0x0002, "GET"},      {0x0004, "HEAD"},      {0x0008, "POST"},   {0x0010, "PUT"},
    {0x0020, "DELETE"},   {0x0040, "MKCOL"},     {0x0080, "COPY"},   {0x0100, "MOVE"},
    {0x0200, "OPTIONS"},  {0x0400, "PROPFIND"},  {0x0800, "PROPPATCH"}, {0x1000, "LOCK"},
    {0x2000, "UNLOCK"},   {0x4000, "PATCH"},     {0x8000, "TRACE"},
};

// The request an FFI call works on, or kFfiNoRequest (init_by_lua*, no Lua running) /
// kFfiBadContext (init_worker, timers: OpenResty's fake requests).
int ffi_request(http::Request** out) {
    Context* ctx = current_context();
    if (ctx == nullptr || (ctx->r == nullptr && ctx->phase == Phase::kInit)) {
        return kFfiNoRequest;
    }
    if (ctx->r == nullptr) {
        return kFfiBadContext;
    }
    *out = ctx->r;
    return kFfiOk;
}

// The request a classic binding works on; raises `no_request` where lua-nginx-module finds no
// request and "API disabled in the current context" where it finds a fake one.
http::Request* request_or_raise(lua_State* L, const char* no_request) {
    Context* ctx = current_context();
    if (ctx == nullptr || (ctx->r == nullptr && ctx->phase == Phase::kInit)) {
        luaL_error(L, "%s", no_request);
    }
    if (ctx->r == nullptr) {
        luaL_error(L, "API disabled in the current context");
    }
    return ctx->r;
}

using core::iequals;

// Bit tables of the bytes lua-nginx-module percent-escapes in header names and values it is
// given (ngx_http_lua_escape_uri's NGX_ESCAPE_HEADER_NAME / _VALUE), so a header can never
// carry CR/LF or other bytes that would split it.
bool escape_in_name(unsigned char c) {
    if (c <= 0x20 || c >= 0x7f) {
        return true;
    }
    return std::strchr("\"(),/:;<=>?@[\\]{}", c) != nullptr;
}

bool escape_in_value(unsigned char c) {
    return (c < 0x20 && c != '\t') || c == 0x7f;
}

std::string escape_header(const unsigned char* s, size_t len, bool name) {
    static const char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(len);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = s[i];
        if (name ? escape_in_name(c) : escape_in_value(c)) {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xf]);
        } else {
            out.push_back(static_cast<char>(c));
        }
    }
    return out;
}

// $host follows a new Host header, as ngx_http_lua_set_host_header updates headers_in.server:
// lower-cased, without the port.
void update_host(http::Request& r, std::string_view value) {
    std::string valid;
    if (http::validate_host(value, valid)) {
        r.host = std::move(valid);
        return;
    }
    std::string host(value);
    size_t colon = host.rfind(':');
    if (colon != std::string::npos && host.find(']', colon) == std::string::npos) {
        host.resize(colon);
    }
    while (!host.empty() && host.back() == '.') {
        host.pop_back();
    }
    for (char& c : host) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c | 0x20);
        }
    }
    r.host = std::move(host);
}

void set_input_header_list(http::Request& r, const std::string& key, std::string value,
                           bool override);

// ngx_http_lua_set_input_header: with `override`, the first header of that name takes the value
// (keeping its spelling) and the others go; an empty value removes them all. Without, appends
// (an empty value too).
// A new Content-Length frames the body if it is still unread, as content_length_n does in nginx.
void set_input_header(http::Request& r, const std::string& key, std::string value, bool override) {
    if (iequals(key, "host")) {
        update_host(r, value);
    }
    set_input_header_list(r, key, std::move(value), override);
    if (r.connection == nullptr || !iequals(key, "content-length")) {
        return;
    }
    int64_t n = -1;
    for (const http::Header& h : r.headers_in) {
        if (iequals(h.name, "content-length")) {
            n = 0;  // digits only: the setter and the parser let nothing else through
            for (char c : h.value) {
                if (c < '0' || c > '9' || n > (INT64_MAX - 9) / 10) {
                    n = INT64_MAX;
                    break;
                }
                n = n * 10 + (c - '0');
            }
            break;
        }
    }
    r.connection->set_content_length_in(n);
}

void set_input_header_list(http::Request& r, const std::string& key, std::string value,
                           bool override) {
    if (override) {
        bool matched = false;
        for (size_t i = 0; i < r.headers_in.size();) {
            http::Header& h = r.headers_in[i];
            if (!iequals(h.name, key)) {
                i++;
                continue;
            }
            if (value.empty() || matched) {
                r.headers_in.erase(r.headers_in.begin() + static_cast<std::ptrdiff_t>(i));
                continue;
            }
            h.value = value;
            matched = true;
            i++;
        }
        if (matched || value.empty()) {
            return;
        }
    }
    // Appending adds even an empty value (ngx_http_set_header_helper's new_header).
    r.headers_in.push_back(http::Header{key, std::move(value)});
}

// ngx_http_lua_check_unsafe_uri_bytes: %00-%08, %0A-%1F and %7F (a tab is allowed).
bool unsafe_uri_byte(unsigned char c) {
    return (c <= 0x08) || (c >= 0x0a && c <= 0x1f) || c == 0x7f;
}

// nginx's header name bytes with its defaults (underscores_in_headers off,
// ignore_invalid_headers on): a line whose name has any other byte is skipped by nginx.
bool nginx_header_name_byte(unsigned char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

// lua-nginx-module rebuilds raw_header from nginx's header buffer, in which the parser wrote a
// NUL after each accepted header's name and value; it turns the NUL back into ':' or CR, but a
// NUL not followed by LF becomes LF. So a value with trailing spaces comes back with its first
// trailing space as LF ("a b  \r\n" -> "a b\n \r\n"). Scripts that parse raw_header see that,
// so it is reproduced. `raw` holds the header lines (after the request line when `headers_only`).
std::string openresty_raw_header(std::string_view raw, bool headers_only) {
    std::string out(raw);
    size_t pos = 0;
    if (!headers_only) {
        size_t nl = out.find('\n');
        pos = nl == std::string::npos ? out.size() : nl + 1;
    }
    while (pos < out.size()) {
        size_t nl = out.find('\n', pos);
        if (nl == std::string::npos) {
            break;
        }
        size_t end = nl > pos && out[nl - 1] == '\r' ? nl - 1 : nl;
        if (end == pos) {
            break;  // the empty line ending the header
        }
        size_t colon = out.find(':', pos);
        bool valid = colon != std::string::npos && colon < end && colon > pos;
        for (size_t i = pos; valid && i < colon; i++) {
            valid = nginx_header_name_byte(static_cast<unsigned char>(out[i]));
        }
        if (valid) {
            size_t v = colon + 1;
            while (v < end && out[v] == ' ') {
                v++;
            }
            size_t trail = end;
            while (trail > v && out[trail - 1] == ' ') {
                trail--;
            }
            if (trail > v && trail < end) {
                out[trail] = '\n';
            }
        }
        pos = nl + 1;
    }
    return out;
}

// ---- classic bindings

int ngx_req_http_version(lua_State* L) {
    http::Request* r = request_or_raise(L, "no request object found");
    int v = r->http_major * 10 + r->http_minor;
    switch (v) {
        case 9:
            lua_pushnumber(L, 0.9);
            break;
        case 10:
            lua_pushnumber(L, 1.0);
            break;
        case 11:
            lua_pushnumber(L, 1.1);
            break;
        case 20:
            lua_pushnumber(L, 2.0);
            break;
        default:
            lua_pushnil(L);
            break;
    }
    return 1;
}

int ngx_req_raw_header(lua_State* L) {
    bool no_request_line = lua_gettop(L) > 0 && lua_toboolean(L, 1);
    http::Request* r = request_or_raise(L, "no request object found");
    std::string_view raw = r->raw_header;
    // Only the header: body bytes read along with it are not part of it.
    size_t end = raw.find("\r\n\r\n");
    if (end != std::string_view::npos) {
        raw = raw.substr(0, end + 4);
    } else if ((end = raw.find("\n\n")) != std::string_view::npos) {
        raw = raw.substr(0, end + 2);
    }
    if (no_request_line) {
        size_t nl = raw.find('\n');
        raw = nl == std::string_view::npos ? std::string_view() : raw.substr(nl + 1);
    }
    std::string out = openresty_raw_header(raw, no_request_line);
    lua_pushlstring(L, out.data(), out.size());
    return 1;
}

// ngx.req.set_uri_args(args): a query string (escaped a little) or number, or a table encoded as
// ngx.encode_args does (upvalue 1), with its errors.
int ngx_req_set_uri_args(lua_State* L) {
    int n = lua_gettop(L);
    if (n != 1) {
        return luaL_error(L, "expecting 1 argument but seen %d", n);
    }
    http::Request* r = request_or_raise(L, "no request object found");
    switch (lua_type(L, 1)) {
        case LUA_TNUMBER: {
            size_t len = 0;
            const char* s = lua_tolstring(L, 1, &len);
            r->args.assign(s, len);
            r->args_null = false;
            return 0;
        }
        case LUA_TSTRING: {
            // lua-nginx-module escapes controls, space and DEL (%00-%20, %7F), nothing else.
            static constexpr char kHex[] = "0123456789ABCDEF";
            size_t len = 0;
            const char* s = lua_tolstring(L, 1, &len);
            r->args.clear();
            r->args_null = false;
            r->args.reserve(len);
            for (size_t i = 0; i < len; i++) {
                auto c = static_cast<unsigned char>(s[i]);
                if (c <= 0x20 || c == 0x7f) {
                    r->args.push_back('%');
                    r->args.push_back(kHex[c >> 4]);
                    r->args.push_back(kHex[c & 0xf]);
                } else {
                    r->args.push_back(static_cast<char>(c));
                }
            }
            return 0;
        }
        case LUA_TTABLE: {
            lua_pushvalue(L, lua_upvalueindex(1));
            lua_pushvalue(L, 1);
            lua_call(L, 1, 1);
            size_t len = 0;
            const char* s = lua_tolstring(L, -1, &len);
            r->args.assign(s != nullptr ? s : "", s != nullptr ? len : 0);
            r->args_null = false;
            return 0;
        }
        default:
            return luaL_argerror(L, 1,
                                 lua_pushfstring(L,
                                                 "string, number, or table expected, but got %s",
                                                 luaL_typename(L, 1)));
    }
}

int ngx_req_get_post_args(lua_State* L) {
    int n = lua_gettop(L);
    if (n != 0 && n != 1) {
        return luaL_error(L, "expecting 0 or 1 arguments but seen %d", n);
    }
    int max = kMaxArgs;
    if (n == 1) {
        max = static_cast<int>(luaL_checkinteger(L, 1));
        lua_pop(L, 1);
    }
    http::Request* r = request_or_raise(L, "no request object found");
    if (r->body_discarding) {
        lua_createtable(L, 0, 0);
        return 1;
    }
    if (!r->body_read) {
        return luaL_error(L,
                          "no request body found; maybe you should turn on "
                          "lua_need_request_body?");
    }
    if (!r->body_file.empty()) {
        lua_pushnil(L);
        lua_pushliteral(L, "request body in temp file not supported");
        return 2;
    }
    size_t len = r->body.size();
    // lua-nginx-module stops at the max-th '&' and reports "truncated" there, whatever follows
    // (parse_args_into only reports input left over). Counted on the raw body: unescaping may
    // turn %26 into '&'.
    bool truncated = false;
    if (max > 0) {
        int amps = 0;
        for (size_t i = 0; i < len && amps < max; i++) {
            amps += r->body[i] == '&' ? 1 : 0;
        }
        truncated = amps >= max;
    }
    // A private copy, unescaped in place; a userdata so a Lua error frees it.
    auto* buf = static_cast<unsigned char*>(lua_newuserdata(L, len == 0 ? 1 : len));
    std::memcpy(buf, r->body.data(), len);
    lua_createtable(L, 0, 4);
    parse_args_into(L, lua_gettop(L), buf, len, max);
    if (truncated) {
        lua_pushliteral(L, "truncated");
        return 2;
    }
    return 1;
}

void cancel_body_wait(void*) {
    // Nothing to undo: the connection keeps reading (or drops) the body, and the completion
    // checks the context's generation, which release() bumps, before it resumes anything.
}

void on_body_read(LuaThread* t, uint32_t generation) {
    if (t->generation != generation || t->wait.cancel != cancel_body_wait) {
        return;  // completed synchronously, or the thread or request ended first
    }
    t->wait = {};
    WorkerRuntime* rt = current_runtime();
    if (rt != nullptr) {
        rt->scheduler().resume(*t, 0);
    }
}

int ngx_req_read_body(lua_State* L) {
    int n = lua_gettop(L);
    if (n != 0) {
        return luaL_error(L, "expecting 0 arguments but seen %d", n);
    }
    Context* ctx = current_context();
    if (ctx == nullptr || (ctx->r == nullptr && ctx->phase == Phase::kInit)) {
        return luaL_error(L, "request object not found");
    }
    api_check_phase(L, ctx, kReadBodyPhases);
    http::Request* r = api_request(L, ctx);
    if (r->body_read || r->body_discarding) {
        return 0;
    }
    LuaThread* t = current_runtime()->scheduler().current_thread();
    if (t == nullptr) {
        return luaL_error(L, "no co ctx found");
    }
    uint32_t generation = t->generation;
    int rc = http::read_client_body(
        *r, [t, generation](http::Request&) { on_body_read(t, generation); });
    if (rc == http::kOk || r->body_read) {
        return 0;
    }
    if (rc == http::kAgain) {
        t->wait = Wait{cancel_body_wait, t};
        return yield_to_scheduler(L);
    }
    // The body cannot be read (413 ...): the connection layer already finalized the request
    // with that status; end the handler as ngx.exit would, without a second response.
    ctx->eof = true;
    ctx->exited = true;
    ctx->exit_code = rc == http::kError ? http::kError : http::kDone;
    return yield_to_scheduler(L);
}

int ngx_req_discard_body(lua_State* L) {
    int n = lua_gettop(L);
    if (n != 0) {
        return luaL_error(L, "expecting 0 arguments but seen %d", n);
    }
    http::Request* r = request_or_raise(L, "request object not found");
    if (http::discard_request_body(*r) != http::kOk) {
        return luaL_error(L, "failed to discard request body");
    }
    return 0;
}

int ngx_req_get_body_data(lua_State* L) {
    int n = lua_gettop(L);
    if (n != 0) {
        return luaL_error(L, "expecting 0 arguments but seen %d", n);
    }
    http::Request* r = request_or_raise(L, "request object not found");
    if (!r->body_read || r->body_discarding || !r->body_file.empty() || r->body.empty()) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushlstring(L, r->body.data(), r->body.size());
    return 1;
}

int ngx_req_get_body_file(lua_State* L) {
    int n = lua_gettop(L);
    if (n != 0) {
        return luaL_error(L, "expecting 0 arguments but seen %d", n);
    }
    http::Request* r = request_or_raise(L, "request object not found");
    if (!r->body_read || r->body_file.empty()) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushlstring(L, r->body_file.data(), r->body_file.size());
    return 1;
}

// Rewriting the body (lua-nginx-module's ngx_http_lua_req_body.c): each setter leaves the
// Content-Length header (the first one, else a new one) and content_length_n at the new size.
void set_body_length(http::Request& r, int64_t n) {
    r.content_length_in = n;
    std::string v = std::to_string(n);
    for (http::Header& h : r.headers_in) {
        if (iequals(h.name, "content-length")) {
            h.value = std::move(v);
            return;
        }
    }
    set_input_header(r, "Content-Length", std::move(v), true);
}

// The body may be replaced once it was read (nginx: r->request_body exists).
void check_body_replaceable(lua_State* L, const http::Request& r) {
    if (r.body_discarding) {
        luaL_error(L, "request body already discarded asynchronously");
    }
    if (!r.body_read) {
        luaL_error(L, "request body not read yet");
    }
}

int ngx_req_set_body_data(lua_State* L) {
    int n = lua_gettop(L);
    if (n != 1) {
        return luaL_error(L, "expecting 1 arguments but seen %d", n);
    }
    size_t len = 0;
    const char* data = luaL_checklstring(L, 1, &len);
    http::Request* r = request_or_raise(L, "request object not found");
    check_body_replaceable(L, *r);
    http::drop_request_body(*r);
    r->body.assign(data, len);
    set_body_length(*r, static_cast<int64_t>(len));
    return 0;
}

int ngx_req_set_body_file(lua_State* L) {
    int n = lua_gettop(L);
    if (n != 1 && n != 2) {
        return luaL_error(L, "expecting 1 or 2 arguments but seen %d", n);
    }
    const char* name = luaL_checkstring(L, 1);
    http::Request* r = request_or_raise(L, "no request found");
    check_body_replaceable(L, *r);
    bool clean = false;
    if (n == 2) {
        luaL_checktype(L, 2, LUA_TBOOLEAN);
        clean = lua_toboolean(L, 2) != 0;
    }
    http::drop_request_body(*r);  // before the open, as lua-nginx-module does
    // ngx_http_lua_open_and_stat_file: stat(2), then open(2) and fstat(2); the text names the
    // call that failed.
    struct stat st {};
    const char* failed = nullptr;
    int fd = -1;
    if (::stat(name, &st) != 0) {
        failed = "stat()";
    } else if ((fd = ::open(name, O_RDONLY | O_CLOEXEC)) < 0) {
        failed = "open()";
    } else if (::fstat(fd, &st) != 0) {
        failed = "fstat()";
        ::close(fd);
    }
    if (failed != nullptr) {
        return luaL_error(L, "%s \"%s\" failed", failed, name);
    }
    if (st.st_size == 0) {
        if (clean) {
            ::unlink(name);
        }
        ::close(fd);
    } else {
        r->body_file = name;
        r->body_fd = fd;
        r->body_file_clean = clean;
    }
    set_body_length(*r, static_cast<int64_t>(st.st_size));
    return 0;
}

int ngx_req_init_body(lua_State* L) {
    int n = lua_gettop(L);
    if (n != 1 && n != 0) {
        return luaL_error(L, "expecting 0 or 1 argument but seen %d", n);
    }
    http::Request* r = request_or_raise(L, "no request found");
    check_body_replaceable(L, *r);
    int64_t size = -1;
    if (n == 1) {
        lua_Integer num = luaL_checkinteger(L, 1);
        if (num < 0) {
            return luaL_error(L, "bad size argument: %d", static_cast<int>(num));
        }
        size = num;
    }
    http::init_request_body(*r, size);
    r->content_length_in = 0;
    return 0;
}

int ngx_req_append_body(lua_State* L) {
    int n = lua_gettop(L);
    if (n != 1) {
        return luaL_error(L, "expecting 1 arguments but seen %d", n);
    }
    size_t len = 0;
    const char* data = luaL_checklstring(L, 1, &len);
    http::Request* r = request_or_raise(L, "no request found");
    if (!r->body_init) {
        return luaL_error(L, "request_body not initialized");
    }
    if (!http::append_request_body(*r, data, len)) {
        return luaL_error(L, "fail to write file");
    }
    r->content_length_in += static_cast<int64_t>(len);
    return 0;
}

int ngx_req_finish_body(lua_State* L) {
    int n = lua_gettop(L);
    if (n != 0) {
        return luaL_error(L, "expecting 0 argument but seen %d", n);
    }
    http::Request* r = request_or_raise(L, "no request found");
    if (!r->body_init) {
        return luaL_error(L, "request_body not initialized");
    }
    http::finish_request_body(*r);
    set_body_length(*r, r->content_length_in);
    return 0;
}

// ngx.resp.get_headers(max?, raw?): lua-nginx-module's C function. The response headers as they
// stand: Content-Type (the default one is chosen now, as there), Content-Length, Connection,
// Transfer-Encoding once the header went out chunked, then the headers set so far (a redirect's
// Location last) with multiple values as tables. Keys are lower-cased unless `raw`; the table has
// ngx.req.get_headers' metatable (upvalue 1) for h.content_type lookups.
void push_multi_value(lua_State* L, int table, std::string_view key, std::string_view value) {
    lua_pushlstring(L, key.data(), key.size());
    lua_pushvalue(L, -1);
    lua_rawget(L, table);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        lua_pushlstring(L, value.data(), value.size());
        lua_rawset(L, table);
    } else if (lua_istable(L, -1)) {
        lua_pushlstring(L, value.data(), value.size());
        lua_rawseti(L, -2, static_cast<int>(lua_objlen(L, -2)) + 1);
        lua_pop(L, 2);
    } else {
        lua_createtable(L, 4, 0);
        lua_insert(L, -2);
        lua_rawseti(L, -2, 1);
        lua_pushlstring(L, value.data(), value.size());
        lua_rawseti(L, -2, 2);
        lua_rawset(L, table);
    }
}

int ngx_resp_get_headers(lua_State* L) {
    int n = lua_gettop(L);
    int max = kMaxHeaders;
    bool raw = false;
    if (n >= 1) {
        if (!lua_isnil(L, 1)) {
            max = static_cast<int>(luaL_checkinteger(L, 1));
        }
        raw = n >= 2 && lua_toboolean(L, 2) != 0;
    }
    http::Request* r = request_or_raise(L, "no request object found");
    int count = 0;
    for (const http::Header& h : r->headers_out) {
        count += h.value.empty() ? 0 : 1;  // an empty value is a removal (Server, Date)
    }
    count += r->location_header.empty() ? 0 : 1;
    bool cl_entry = r->content_length_header && r->content_length_out >= 0;
    count += cl_entry ? 1 : 0;
    lua_createtable(L, 0, count + 2);
    int table = lua_gettop(L);
    if (!raw) {
        lua_pushvalue(L, lua_upvalueindex(1));
        lua_setmetatable(L, table);
    }
    int extra = 0;
    auto put = [&](const char* key, std::string_view value) {
        extra++;
        lua_pushstring(L, key);
        lua_pushlstring(L, value.data(), value.size());
        lua_rawset(L, table);
    };
    if (!r->content_type.empty()) {
        put("content-type", r->content_type);
    }
    if (r->content_length_out >= 0 && !cl_entry) {
        put("content-length", std::to_string(r->content_length_out));
    }
    // By the log phase nginx has taken the keep-alive decision and cleared r->keepalive.
    Context* ctx = current_context();
    bool keepalive = r->keepalive && (ctx == nullptr || ctx->phase != Phase::kLog);
    put("connection", r->status == 101 ? "upgrade" : keepalive ? "keep-alive" : "close");
    if (r->chunked_out) {
        put("transfer-encoding", "chunked");
    }
    bool truncated = false;
    if (max > 0 && count + extra > max) {
        truncated = true;
        count = max - extra;
    }
    std::string lower;
    auto add = [&](std::string_view name, std::string_view value) {
        if (raw) {
            push_multi_value(L, table, name, value);
            return;
        }
        lower.assign(name);
        for (char& c : lower) {
            if (c >= 'A' && c <= 'Z') {
                c = static_cast<char>(c | 0x20);
            }
        }
        push_multi_value(L, table, lower, value);
    };
    // As lua-nginx-module's loop: an entry goes in before the budget is checked.
    bool more = true;
    for (const http::Header& h : r->headers_out) {
        if (h.value.empty()) {
            continue;
        }
        add(h.name, h.value);
        if (--count <= 0) {
            more = false;
            break;
        }
    }
    if (more && !r->location_header.empty()) {
        add("Location", r->location_header);
        more = --count > 0;
    }
    if (more && cl_entry) {
        // (raw: nginx shows the name as the handler spelled it; Tycho keeps no spelling)
        add("content-length", std::to_string(r->content_length_out));
    }
    if (truncated) {
        lua_pushliteral(L, "truncated");
        return 2;
    }
    return 1;
}

// ngx.req.set_uri(uri, jump?, binary?): jump re-runs location matching after the rewrite phase
// (like `rewrite ... last`) and ends the running handler.
int ngx_req_set_uri(lua_State* L) {
    int n = lua_gettop(L);
    if (n < 1 || n > 3) {
        return luaL_error(L, "expecting 1, 2 or 3 arguments but seen %d", n);
    }
    http::Request* r = request_or_raise(L, "no request found");
    size_t len = 0;
    const char* p = luaL_checklstring(L, 1, &len);
    if (len == 0) {
        return luaL_error(L, "attempt to use zero-length uri");
    }
    bool binary = false;
    if (n >= 3) {
        luaL_checktype(L, 3, LUA_TBOOLEAN);
        binary = lua_toboolean(L, 3) != 0;
    }
    if (!binary) {
        for (size_t i = 0; i < len; i++) {
            auto c = static_cast<unsigned char>(p[i]);
            if (unsafe_uri_byte(c)) {
                char hex[8];
                std::snprintf(hex, sizeof(hex), "0x%02x", static_cast<unsigned>(c));
                std::string shown = escape_log(p, len);
                return luaL_error(L,
                                  "unsafe byte \"%s\" in uri \"%s\" (maybe you want to set the "
                                  "'binary' argument?)",
                                  hex, shown.c_str());
            }
        }
    }
    bool jump = false;
    if (n >= 2) {
        luaL_checktype(L, 2, LUA_TBOOLEAN);
        jump = lua_toboolean(L, 2) != 0;
    }
    Context* ctx = current_context();
    if (jump && ctx->phase != Phase::kRewrite && ctx->phase != Phase::kServerRewrite) {
        return luaL_error(L, "API disabled in the context of %s", phase_context_name(ctx->phase));
    }
    r->uri.assign(p, len);
    http::set_uri_extension(r->uri, r->exten);
    // lua-nginx-module marks the request internal whether or not it jumps.
    r->internal = true;
    if (!jump) {
        r->uri_changed = false;
        return 0;
    }
    r->uri_changed = true;
    // OpenResty re-initializes its request context for the new location
    // (ngx_http_lua_handle_rewrite_jump): ngx.ctx starts empty there.
    if (ctx->ctx_ref != LUA_NOREF) {
        luaL_unref(L, LUA_REGISTRYINDEX, ctx->ctx_ref);
        ctx->ctx_ref = LUA_NOREF;
    }
    // Leave the rewrite phase now, as ngx.exit(ngx.OK) would: the post-rewrite phase sees
    // uri_changed and matches the location again.
    ctx->exit_code = http::kOk;
    ctx->exited = true;
    return yield_to_scheduler(L);
}

}  // namespace

void inject_req(lua_State* L) {
    int ngx_index = lua_gettop(L);
    lua_getfield(L, ngx_index, "req");
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        lua_createtable(L, 0, 32);
        lua_pushvalue(L, -1);
        lua_setfield(L, ngx_index, "req");
    }
    int req = lua_gettop(L);
    const luaL_Reg kClassic[] = {
        {"http_version", ngx_req_http_version},
        {"raw_header", ngx_req_raw_header},
        {"get_post_args", ngx_req_get_post_args},
        {"read_body", ngx_req_read_body},
        {"discard_body", ngx_req_discard_body},
        {"get_body_data", ngx_req_get_body_data},
        {"get_body_file", ngx_req_get_body_file},
        {"set_body_data", ngx_req_set_body_data},
        {"set_body_file", ngx_req_set_body_file},
        {"init_body", ngx_req_init_body},
        {"append_body", ngx_req_append_body},
        {"finish_body", ngx_req_finish_body},
        {"set_uri", ngx_req_set_uri},
    };
    for (const luaL_Reg& f : kClassic) {
        lua_pushcfunction(L, f.func);
        lua_setfield(L, req, f.name);
    }
    // set_uri_args encodes tables with ngx.encode_args (api_string.cpp), which must be in
    // place already; fall back to a plain error if it is not.
    lua_getfield(L, ngx_index, "encode_args");
    lua_pushcclosure(L, ngx_req_set_uri_args, 1);
    lua_setfield(L, req, "set_uri_args");

    require_embedded(L, "tycho.req");
    int mod = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, mod) != 0) {
        if (lua_type(L, -2) == LUA_TSTRING && lua_isfunction(L, -1)) {
            const char* name = lua_tostring(L, -2);
            if (std::strcmp(name, "set_req_header") != 0) {
                lua_pushvalue(L, -2);
                lua_insert(L, -2);
                lua_settable(L, req);
                continue;
            }
        }
        lua_pop(L, 1);
    }

    lua_getfield(L, ngx_index, "resp");
    if (!lua_istable(L, -1)) {
        lua_pop(L, 1);
        lua_createtable(L, 0, 4);
        lua_pushvalue(L, -1);
        lua_setfield(L, ngx_index, "resp");
    }
    lua_getfield(L, mod, "headers_mt");
    lua_pushcclosure(L, ngx_resp_get_headers, 1);
    lua_setfield(L, -2, "get_headers");
    lua_settop(L, ngx_index);
}

}  // namespace tycho::lua

// --- FFI halves (lua/tycho/req.lua) -----------------------------------------------------------

using tycho::lua::kFfiBadContext;
using tycho::lua::kFfiDeclined;
using tycho::lua::kFfiError;
using tycho::lua::kFfiNoRequest;
using tycho::lua::kFfiOk;

namespace {

// Lower-cased header names handed to Lua by tycho_ffi_req_get_headers; valid until the next
// call on this worker thread (Lua copies them at once).
thread_local std::string t_lower_keys;

int clamp_len(size_t n) {
    return n > static_cast<size_t>(INT32_MAX) ? INT32_MAX : static_cast<int>(n);
}

// Byte maps for the header-name loops of get_headers and the headers metatable: one load per
// byte instead of compares and branches (these loops run for every header of every request).
struct ByteMap {
    unsigned char map[256];
};

constexpr ByteMap make_lower_map(bool underscore_to_dash) {
    ByteMap m{};
    for (int c = 0; c < 256; c++) {
        int v = c >= 'A' && c <= 'Z' ? c | 0x20 : c;
        if (underscore_to_dash && c == '_') {
            v = '-';
        }
        m.map[c] = static_cast<unsigned char>(v);
    }
    return m;
}

constexpr ByteMap kHeaderKey = make_lower_map(true);

// Header names most requests carry, lower-case, sorted by length. get_headers hands Lua the
// index of one of these instead of its bytes, and Lua takes the string from a table made once:
// no string to hash and intern for it on every request.
constexpr std::string_view kKnownHeaders[] = {
    "te", "dnt", "via", "host", "range", "accept", "cookie", "expect", "origin", "pragma",
    "referer", "upgrade", "if-match", "forwarded", "sec-ch-ua", "x-real-ip", "connection",
    "keep-alive", "user-agent", "content-type", "x-request-id", "authorization", "cache-control",
    "if-none-match", "content-length", "sec-fetch-dest", "sec-fetch-mode", "sec-fetch-site",
    "sec-fetch-user", "accept-encoding", "accept-language", "x-forwarded-for", "sec-ch-ua-mobile",
    "x-forwarded-host", "x-requested-with", "if-modified-since", "transfer-encoding",
    "x-forwarded-proto", "sec-ch-ua-platform", "proxy-authorization", "upgrade-insecure-requests"};
constexpr size_t kKnownCount = sizeof(kKnownHeaders) / sizeof(kKnownHeaders[0]);
constexpr size_t kKnownMaxLen = 32;

// For each name length, where its names start in kKnownHeaders and how many there are.
struct KnownByLength {
    uint8_t first[kKnownMaxLen + 1];
    uint8_t count[kKnownMaxLen + 1];
};

constexpr KnownByLength kKnownByLength = [] {
    KnownByLength t{};
    for (size_t i = kKnownCount; i-- > 0;) {
        size_t len = kKnownHeaders[i].size();
        t.first[len] = static_cast<uint8_t>(i);
        t.count[len]++;
    }
    return t;
}();

static_assert([] {
    for (size_t i = 1; i < kKnownCount; i++) {
        if (kKnownHeaders[i].size() < kKnownHeaders[i - 1].size() ||
            kKnownHeaders[i].size() > kKnownMaxLen) {
            return false;
        }
    }
    return true;
}(), "kKnownHeaders must be sorted by length");

using tycho::core::load_word;
using tycho::core::lower_word;
using tycho::core::prefix_mask;

// The word load_word() reads from bytes b[0..n) (n <= 8), the rest zero.
constexpr uint64_t word_of(std::string_view b, size_t from, size_t n) {
    uint64_t w = 0;
    for (size_t i = 0; i < n; i++) {
        size_t shift = std::endian::native == std::endian::little ? 8 * i : 8 * (7 - i);
        w |= static_cast<uint64_t>(static_cast<unsigned char>(b[from + i])) << shift;
    }
    return w;
}

// A known name as the words it is compared by: those at offsets 0, 8 and 16, and its last 8
// bytes (overlapping the others). A name shorter than 8 is one zero-padded word.
struct KnownWords {
    uint64_t at[3];
    uint64_t tail;
};

constexpr auto kKnownWords = [] {
    std::array<KnownWords, kKnownCount> t{};
    for (size_t i = 0; i < kKnownCount; i++) {
        std::string_view k = kKnownHeaders[i];
        if (k.size() < 8) {
            t[i].at[0] = word_of(k, 0, k.size());
            continue;
        }
        for (size_t j = 0; j < 3 && 8 * j + 8 <= k.size(); j++) {
            t[i].at[j] = word_of(k, 8 * j, 8);
        }
        t[i].tail = word_of(k, k.size() - 8, 8);
    }
    return t;
}();

// 1-based index in kKnownHeaders of `name` in any letter case, 0 if it is not there. Compares
// lower-cased words, not bytes: no copy and no memcmp call for the usual header. `readable8`:
// 8 bytes may be read from `name` even when it is shorter (a std::string's buffer).
int known_header(const char* name, size_t len, bool readable8) {
    if (len > kKnownMaxLen) {
        return 0;
    }
    size_t first = kKnownByLength.first[len];
    size_t end = first + kKnownByLength.count[len];
    if (first == end) {
        return 0;
    }
    if (len < 8) {
        char padded[8] = {};
        if (!readable8) {
            std::memcpy(padded, name, len);
            name = padded;
        }
        uint64_t w = lower_word(load_word(name)) & prefix_mask(len);
        for (size_t i = first; i < end; i++) {
            if (kKnownWords[i].at[0] == w) {
                return static_cast<int>(i) + 1;
            }
        }
        return 0;
    }
    uint64_t head = lower_word(load_word(name));
    uint64_t tail = lower_word(load_word(name + len - 8));
    for (size_t i = first; i < end; i++) {
        const KnownWords& k = kKnownWords[i];
        bool same = k.at[0] == head && k.tail == tail;
        // The words between the first and the tail (names over 16 bytes).
        for (size_t off = 8; same && off + 8 < len; off += 8) {
            same = k.at[off / 8] == lower_word(load_word(name + off));
        }
        if (same) {
            return static_cast<int>(i) + 1;
        }
    }
    return 0;
}

// ASCII letters to lower case, eight bytes at a time (bytes >= 0x80 stay as they are).
void lower_copy(unsigned char* dst, const char* src, size_t n) {
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t x = lower_word(load_word(src + i));
        std::memcpy(dst + i, &x, 8);
    }
    if (i < n && n >= 8) {
        // The last bytes as one word that overlaps the one before.
        uint64_t x = lower_word(load_word(src + n - 8));
        std::memcpy(dst + n - 8, &x, 8);
        return;
    }
    for (; i < n; i++) {
        dst[i] = tycho::core::kAsciiLower[static_cast<unsigned char>(src[i])];
    }
}

}  // namespace

extern "C" {

// 0 when a request is there, else kFfiNoRequest / kFfiBadContext.
int tycho_ffi_req_status() noexcept {
    tycho::http::Request* r = nullptr;
    return tycho::lua::ffi_request(&r);
}

// How many headers get_headers(max) returns: all of them up to `max` (a negative max means
// the default 100, 0 means no limit); *truncated tells whether some were left out.
int tycho_ffi_req_get_headers_count(int max, int* truncated) noexcept {
    tycho::http::Request* r = nullptr;
    if (int rc = tycho::lua::ffi_request(&r); rc != kFfiOk) {
        return rc;
    }
    *truncated = 0;
    if (max < 0) {
        max = tycho::lua::kMaxHeaders;
    }
    int count = clamp_len(r->headers_in.size());
    if (max > 0 && count > max) {
        *truncated = 1;
        count = max;
    }
    return count;
}

// Fills out[0..count) with the first `count` headers: names as received when `raw`, else
// lower-cased. The pointers stay valid until the request's headers change or the next call.
int tycho_ffi_req_get_headers(tycho_ffi_req_elt_t* out, int count, int raw) noexcept {
    tycho::http::Request* r = nullptr;
    if (int rc = tycho::lua::ffi_request(&r); rc != kFfiOk) {
        return rc;
    }
    size_t n = std::min(static_cast<size_t>(count < 0 ? 0 : count), r->headers_in.size());
    const tycho::http::HeaderList& hs = r->headers_in;
    if (raw == 0) {
        size_t total = 0;
        for (size_t i = 0; i < n; i++) {
            total += hs[i].name.size();
        }
        if (t_lower_keys.size() < total) {
            t_lower_keys.resize(total);
        }
    }
    auto* lower = reinterpret_cast<unsigned char*>(t_lower_keys.data());
    for (size_t i = 0; i < n; i++) {
        const tycho::http::Header& h = hs[i];
        out[i].key.len = clamp_len(h.name.size());
        if (raw != 0) {
            out[i].key.data = reinterpret_cast<const unsigned char*>(h.name.data());
        } else {
            // std::string's buffer always holds at least 16 bytes (capacity() >= 15).
            bool readable8 = h.name.capacity() >= 7;
            if (int known = known_header(h.name.data(), h.name.size(), readable8); known > 0) {
                // A NULL key: `len` is the name's index in tycho_ffi_req_known_header.
                out[i].key.data = nullptr;
                out[i].key.len = known;
            } else {
                lower_copy(lower, h.name.data(), h.name.size());
                out[i].key.data = lower;
                lower += h.name.size();
            }
        }
        out[i].value.data = reinterpret_cast<const unsigned char*>(h.value.data());
        out[i].value.len = clamp_len(h.value.size());
    }
    return kFfiOk;
}

// The i-th (1-based) name get_headers may give by index, or NULL past the last.
const char* tycho_ffi_req_known_header(int i) noexcept {
    if (i < 1 || static_cast<size_t>(i) > kKnownCount) {
        return nullptr;
    }
    return kKnownHeaders[i - 1].data();
}

// The key the headers metatable looks up: lower-cased, '_' as '-'. Writes len bytes to out.
size_t tycho_ffi_req_header_key(const unsigned char* key, size_t len, unsigned char* out) noexcept {
    for (size_t i = 0; i < len; i++) {
        out[i] = kHeaderKey.map[key[i]];
    }
    return len;
}

// lua-nginx-module's count: one more than the number of '&' (1 for a query string without
// one, 0 for none), capped at max (negative: 100, 0: no limit).
int tycho_ffi_req_get_uri_args_count(int max, int* truncated) noexcept {
    tycho::http::Request* r = nullptr;
    if (int rc = tycho::lua::ffi_request(&r); rc != kFfiOk) {
        return rc;
    }
    *truncated = 0;
    if (max < 0) {
        max = tycho::lua::kMaxArgs;
    }
    if (r->args.empty()) {
        return 0;
    }
    int count = 1;
    for (char c : r->args) {
        count += c == '&' ? 1 : 0;
    }
    if (max > 0 && count > max) {
        count = max;
        *truncated = 1;
    }
    return count;
}

size_t tycho_ffi_req_get_querystring_len() noexcept {
    tycho::http::Request* r = nullptr;
    if (tycho::lua::ffi_request(&r) != kFfiOk) {
        return 0;
    }
    return r->args.size();
}

}  // extern "C"

namespace {

// ngx_http_lua_unescape_uri with NGX_UNESCAPE_URI_COMPONENT over [p, p+len) in place ('+' is a
// space, a bad %XX stays as is); returns the new length.
size_t unescape_component(unsigned char* p, size_t len) {
    auto hex = [](unsigned char c) -> int {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        c = static_cast<unsigned char>(c | 0x20);
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        return -1;
    };
    size_t w = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = p[i];
        if (c == '+') {
            p[w++] = ' ';
        } else if (c == '%' && i + 2 < len && hex(p[i + 1]) >= 0 && hex(p[i + 2]) >= 0) {
            p[w++] = static_cast<unsigned char>(hex(p[i + 1]) * 16 + hex(p[i + 2]));
            i += 2;
        } else {
            p[w++] = c;
        }
    }
    return w;
}

}  // namespace

extern "C" {

// Copies the query string into buf (querystring_len bytes) and fills out[] with up to `count`
// pairs unescaped in place; a key without '=' has value.len == -1 (true), pairs with an empty
// key are skipped. Returns the number of pairs filled.
int tycho_ffi_req_get_uri_args(unsigned char* buf, tycho_ffi_req_elt_t* out,
                               int count) noexcept {
    tycho::http::Request* r = nullptr;
    if (tycho::lua::ffi_request(&r) != kFfiOk || count <= 0) {
        return 0;
    }
    std::memcpy(buf, r->args.data(), r->args.size());
    unsigned char* p = buf;
    unsigned char* last = buf + r->args.size();
    unsigned char* q = p;
    bool parsing_value = false;
    int i = 0;
    auto finish = [&](unsigned char* end) {
        size_t n = unescape_component(q, static_cast<size_t>(end - q));
        if (parsing_value) {
            if (out[i].key.len != 0) {
                out[i].value.data = q;
                out[i].value.len = clamp_len(n);
                i++;
            }
        } else if (n != 0) {
            out[i].key.data = q;
            out[i].key.len = clamp_len(n);
            out[i].value.data = q;
            out[i].value.len = -1;
            i++;
        }
    };
    while (p != last) {
        if (*p == '=' && !parsing_value) {
            size_t n = unescape_component(q, static_cast<size_t>(p - q));
            out[i].key.data = q;
            out[i].key.len = clamp_len(n);
            p++;
            q = p;
            parsing_value = true;
        } else if (*p == '&') {
            finish(p);
            parsing_value = false;
            if (i == count) {
                return i;
            }
            p++;
            q = p;
        } else {
            p++;
        }
    }
    if (p != q || parsing_value) {
        finish(p);
    }
    return i;
}

int tycho_ffi_req_get_method_name(const unsigned char** name, size_t* len) noexcept {
    tycho::http::Request* r = nullptr;
    if (int rc = tycho::lua::ffi_request(&r); rc != kFfiOk) {
        return rc;
    }
    *name = reinterpret_cast<const unsigned char*>(r->method.data());
    *len = r->method.size();
    return kFfiOk;
}

// Sets the method to ngx.HTTP_<NAME>; kFfiDeclined for any other number.
int tycho_ffi_req_set_method(int method) noexcept {
    tycho::http::Request* r = nullptr;
    if (int rc = tycho::lua::ffi_request(&r); rc != kFfiOk) {
        return rc;
    }
    for (const tycho::lua::MethodName& m : tycho::lua::kMethods) {
        if (m.id == method) {
            r->method.assign(m.name);
            if (!r->header_sent) {
                r->header_only = m.name == "HEAD";
            }
            return kFfiOk;
        }
    }
    return kFfiDeclined;
}

// Sets (override), clears (no value, or an empty table with override) or appends request
// header `key`; names and values are escaped as lua-nginx-module escapes them.
int tycho_ffi_req_set_header(const unsigned char* key, size_t key_len, const unsigned char* value,
                             size_t value_len, const tycho_ffi_req_str_t* mvals, size_t mvals_len,
                             int override, const char** errmsg) noexcept {
    tycho::http::Request* r = nullptr;
    if (int rc = tycho::lua::ffi_request(&r); rc != kFfiOk) {
        return rc;
    }
    if (r->http_major == 0) {
        return kFfiDeclined;  // HTTP/0.9 has no headers
    }
    // lua-nginx-module takes a response status of 400 for "the request was bad" and then
    // leaves the request headers alone (ngx_http_lua_set_input_header): so does Tycho.
    if ((r->err_status != 0 ? r->err_status : r->status) == 400) {
        return kFfiOk;
    }
    // nginx parses a Content-Length it is given (ngx_atoof: digits only, no overflow) and
    // fails the call on anything else, with lua-nginx-module's text.
    // So does a Host that lua-nginx-module's ngx_http_lua_validate_host refuses: a NUL, a '/',
    // two dots in a row or nothing before the port (laxer than nginx's own check).
    auto bad_length = [&](const std::string& name, const std::string& v) {
        if (!v.empty() && tycho::lua::iequals(name, "host")) {
            size_t host_len = v.size();
            size_t dot_pos = v.size();
            int state = 0;  // 0 usual, 1 IPv6 literal, 2 after the host
            for (size_t i = 0; i < v.size(); i++) {
                char ch = v[i];
                if (ch == '.') {
                    if (i > 0 && dot_pos == i - 1) {
                        return true;
                    }
                    dot_pos = i;
                } else if (ch == ':') {
                    if (state == 0) {
                        host_len = i;
                        state = 2;
                    }
                } else if (ch == '[') {
                    state = i == 0 ? 1 : state;
                } else if (ch == ']') {
                    if (state == 1) {
                        host_len = i + 1;
                        state = 2;
                    }
                } else if (ch == '\0' || ch == '/') {
                    return true;
                }
            }
            if (host_len > 0 && dot_pos == host_len - 1) {
                host_len--;
            }
            return host_len == 0;
        }
        if (v.empty() || !tycho::lua::iequals(name, "content-length")) {
            return false;
        }
        if (v.size() > 18) {
            return v.find_first_not_of("0123456789") != std::string::npos ||
                   v.size() > 19 || v > "9223372036854775807";
        }
        return v.find_first_not_of("0123456789") != std::string::npos;
    };
    try {
        std::string name = tycho::lua::escape_header(key, key_len, true);
        if (mvals != nullptr && mvals_len > 0) {
            // nginx keeps one value of the headers it parses itself (each value of a table
            // replaces the one before: the last stays); the others take them all.
            static constexpr std::string_view kSingle[] = {
                "host", "connection", "if-modified-since", "if-unmodified-since", "if-match",
                "if-none-match", "user-agent", "referer", "content-length", "content-type",
                "range", "if-range", "transfer-encoding", "expect", "upgrade",
                "accept-encoding", "via", "authorization", "keep-alive", "x-real-ip", "depth",
                "destination", "overwrite", "date"};
            size_t first = 0;
            for (std::string_view single : kSingle) {
                if (tycho::lua::iequals(name, single)) {
                    first = mvals_len - 1;
                }
            }
            for (size_t i = first; i < mvals_len; i++) {
                std::string v = tycho::lua::escape_header(
                    mvals[i].data, static_cast<size_t>(mvals[i].len < 0 ? 0 : mvals[i].len), false);
                if (bad_length(name, v)) {
                    *errmsg = "failed to set header";
                    return kFfiError;
                }
                tycho::lua::set_input_header(*r, name, std::move(v), override != 0 && i == first);
            }
            return kFfiOk;
        }
        std::string v;
        if (value != nullptr && mvals == nullptr) {
            v = tycho::lua::escape_header(value, value_len, false);
        }
        if (bad_length(name, v)) {
            *errmsg = "failed to set header";
            return kFfiError;
        }
        tycho::lua::set_input_header(*r, name, std::move(v), override != 0);
        return kFfiOk;
    } catch (...) {
        *errmsg = "no memory";
        return kFfiError;
    }
}

// Seconds since the epoch (ms resolution) when the request began; 0 outside requests with a
// context (init_worker, timers), -1 where there is no request at all.
double tycho_ffi_req_start_time() noexcept {
    tycho::http::Request* r = nullptr;
    int rc = tycho::lua::ffi_request(&r);
    if (rc == kFfiNoRequest) {
        return -1;
    }
    if (rc != kFfiOk) {
        return 0;
    }
    return static_cast<double>(r->start_msec) / 1000.0;
}

int tycho_ffi_req_is_internal() noexcept {
    tycho::http::Request* r = nullptr;
    if (int rc = tycho::lua::ffi_request(&r); rc != kFfiOk) {
        return rc;
    }
    return r->internal ? 1 : 0;
}

}  // extern "C"
