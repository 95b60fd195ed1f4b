// ngx.header, ngx.send_headers, ngx.headers_sent, ngx.redirect and ngx.exec, after
// lua-nginx-module's ngx_http_lua_headers.c / _headers_out.c (response headers),
// ngx_http_lua_output.c (send_headers) and ngx_http_lua_control.c (redirect, exec), with
// lua-resty-core's shapes for the FFI parts (lib/resty/core/response.lua).
//
// Response headers live in the Request: Content-Type in content_type, Content-Length in
// content_length_out, everything else in headers_out (as the user named it, after the
// underscore transform and nginx's escaping). A "Server" or "Date" entry in headers_out replaces
// the one send_header() would write; an entry with an empty value is a cleared header that is
// never sent (that is how ngx.header.Date = nil removes the Date header).

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <lua.hpp>
#include <new>
#include <string>
#include <string_view>

#include "core/ascii.h"
#include "core/log.h"
#include "core/strings.h"
#include "http/http_log.h"
#include "http/phases.h"
#include "http/response.h"
#include "lua/api.h"
#include "lua/api_runtime.h"
#include "lua/vm.h"

namespace tycho::lua {

// tycho_ffi_str_t of lua/tycho/header.lua.
struct FfiStr {
    const char* data;
    size_t len;
};

namespace {

// FFI result codes and set modes, mirrored in lua/tycho/header.lua.
constexpr int kFfiOk = 0;
constexpr int kFfiError = -1;
constexpr int kFfiDeclined = -5;
constexpr int kFfiNotInteger = -6;
constexpr int kFfiNoRequest = -100;
constexpr int kModeString = 0;
constexpr int kModeTable = 1;  // (2, the Lua half's kModeNil, clears the header: the else below)
constexpr int kModeNumber = 3;
constexpr int kModeAppend = 16;  // or'ed in: ngx.resp.add_header adds to the header's values

constexpr uint32_t kControlPhases =
    Phase::kServerRewrite | Phase::kRewrite | Phase::kAccess | Phase::kContent;

using core::iequals;

// The escape sets as 256-entry tables: every header set runs them over its name and value, and
// a table load per byte is much cheaper than the strchr they replace.
struct EscapeSet {
    bool escape[256];
    bool escape_or_underscore[256];  // the scan's stop bytes when '_' becomes '-' as well
};

constexpr EscapeSet with_underscore(EscapeSet set) {
    for (int c = 0; c < 256; c++) {
        set.escape_or_underscore[c] = set.escape[c] || c == '_';
    }
    return set;
}

// ngx_http_lua_escape_uri's NGX_HTTP_LUA_ESCAPE_HEADER_NAME table: controls, space,
// " ( ) , / : ; < = > ? @ [ \ ] { } and bytes >= 0x7f.
constexpr EscapeSet kEscapeName = [] {
    EscapeSet set{};
    for (int c = 0; c < 256; c++) {
        set.escape[c] = c < 0x20 || c >= 0x7f;
    }
    for (char c : std::string_view(" \"(),/:;<=>?@[\\]{}")) {
        set.escape[static_cast<unsigned char>(c)] = true;
    }
    return with_underscore(set);
}();

// NGX_HTTP_LUA_ESCAPE_HEADER_VALUE: controls but tab, and DEL.
constexpr EscapeSet kEscapeValue = [] {
    EscapeSet set{};
    for (int c = 0; c < 256; c++) {
        set.escape[c] = (c < 0x20 && c != '\t') || c == 0x7f;
    }
    return with_underscore(set);
}();

void append_escaped(std::string& out, std::string_view s, const EscapeSet& set) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    size_t clean = 0;
    while (clean < s.size() && !set.escape[static_cast<unsigned char>(s[clean])]) {
        clean++;
    }
    // The usual case: nothing to escape, one copy.
    out.append(s.data(), clean);
    for (size_t i = clean; i < s.size(); i++) {
        auto c = static_cast<unsigned char>(s[i]);
        if (set.escape[c]) {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xf]);
        } else {
            out.push_back(s[i]);
        }
    }
}

// `s` as it is stored: escaped per `set`, and '_' as '-' when `dash`. That is `s` itself when
// nothing changes (the usual case: no copy), else the copy made in `buf`.
std::string_view header_bytes(std::string_view s, const EscapeSet& set, bool dash,
                              std::string& buf) {
    const bool* stop = dash ? set.escape_or_underscore : set.escape;
    size_t clean = 0;
    while (clean < s.size() && !stop[static_cast<unsigned char>(s[clean])]) {
        clean++;
    }
    if (clean == s.size()) {
        return s;
    }
    buf.clear();
    append_escaped(buf, s, set);
    if (dash) {
        std::replace(buf.begin(), buf.end(), '_', '-');
    }
    return buf;
}

bool transform_underscores() {
    WorkerRuntime* rt = current_runtime();
    return rt == nullptr || rt->conf().transform_underscores;
}

// Single-valued headers nginx keeps in dedicated headers_out fields
// (ngx_http_lua_set_handlers): a new value replaces the old one whatever the override flag.
bool is_single_builtin(std::string_view key) {
    // Their lengths (4 5 6 7 8 13 16) rule most names out without a comparison.
    constexpr uint32_t kLengths = 1u << 4 | 1u << 5 | 1u << 6 | 1u << 7 | 1u << 8 | 1u << 13 | 1u << 16;
    if (key.size() >= 32 || ((kLengths >> key.size()) & 1) == 0) {
        return false;
    }
    static constexpr std::string_view kNames[] = {
        "Server",        "Date",          "Content-Encoding", "Location",         "Refresh",
        "Last-Modified", "Content-Range", "Accept-Ranges",    "WWW-Authenticate", "Expires",
        "E-Tag",         "ETag"};
    for (std::string_view n : kNames) {
        if (iequals(key, n)) {
            return true;
        }
    }
    return false;
}

void erase_headers(http::Request& r, std::string_view key) {
    auto& hs = r.headers_out;
    hs.erase(std::remove_if(hs.begin(), hs.end(),
                            [key](const http::Header& h) { return iequals(h.name, key); }),
             hs.end());
}

// ngx_http_lua_set_output_header(): one (key, value) with `override` (replace what is there)
// or not (add another value). An empty value clears. Returns false on a bad Content-Length.
bool set_output_header(http::Request& r, std::string_view key, std::string_view value,
                       bool override) {
    r.lua_headers_set = true;
    if (iequals(key, "Content-Type")) {
        core::set_string(r.content_type, value);
        r.content_type_set = true;
        erase_headers(r, key);
        return true;
    }
    if (iequals(key, "Content-Length")) {
        erase_headers(r, key);
        if (value.empty()) {
            r.content_length_out = -1;
            r.content_length_header = false;
            return true;
        }
        // ngx_atosz: decimal digits only.
        int64_t n = 0;
        for (char c : value) {
            if (c < '0' || c > '9' || n > (INT64_MAX - 9) / 10) {
                return false;
            }
            n = n * 10 + (c - '0');
        }
        r.content_length_out = n;
        r.content_length_header = true;
        return true;
    }
    auto& hs = r.headers_out;
    auto add = [&hs, key, value] {
        http::Header& h = hs.emplace_back();  // empty strings (their capacity kept)
        h.name.append(key);
        h.value.append(value);
    };
    if (is_single_builtin(key)) {
        if (iequals(key, "Last-Modified")) {
            r.last_modified = -1;
        } else if (iequals(key, "Location")) {
            r.location_header.clear();
        }
        bool server_or_date = iequals(key, "Server") || iequals(key, "Date");
        auto first = std::find_if(hs.begin(), hs.end(),
                                  [key](const http::Header& h) { return iequals(h.name, key); });
        if (first == hs.end()) {
            if (!value.empty() || server_or_date) {
                add();
            }
            return true;
        }
        size_t pos = static_cast<size_t>(first - hs.begin());
        hs[pos].name.assign(key);
        hs[pos].value.assign(value);
        for (size_t i = hs.size(); i-- > pos + 1;) {
            if (iequals(hs[i].name, key)) {
                hs.erase(hs.begin() + static_cast<long>(i));
            }
        }
        if (hs[pos].value.empty() && !server_or_date) {
            hs.erase(hs.begin() + static_cast<long>(pos));
        }
        return true;
    }
    if (!override) {
        if (!value.empty()) {
            add();
        }
        return true;
    }
    // The first header of that name takes the value (keeping its spelling), the others go.
    bool matched = false;
    for (size_t i = 0; i < hs.size();) {
        if (!iequals(hs[i].name, key)) {
            i++;
            continue;
        }
        if (value.empty() || matched) {
            hs.erase(hs.begin() + static_cast<long>(i));
            continue;
        }
        hs[i].value.assign(value);
        matched = true;
        i++;
    }
    if (!matched && !value.empty()) {
        add();
    }
    return true;
}

void copy_error(unsigned char* err, size_t* err_len, std::string_view msg) {
    size_t n = std::min(msg.size(), *err_len);
    std::memcpy(err, msg.data(), n);
    *err_len = n;
}

// As ngx.var: "no request" in init_by_lua*, "API disabled in the current context" where the
// context has no request (lua-nginx-module's fake requests).
http::Request* ffi_request(Context** out_ctx, unsigned char* err, size_t* err_len, int* rc) {
    Context* ctx = current_context();
    if (ctx == nullptr || (ctx->r == nullptr && ctx->phase == Phase::kInit)) {
        *rc = kFfiNoRequest;
        return nullptr;
    }
    if (ctx->r == nullptr) {
        copy_error(err, err_len, "API disabled in the current context");
        *rc = kFfiError;
        return nullptr;
    }
    *out_ctx = ctx;
    return ctx->r;
}

}  // namespace

// ngx.headers_sent and ngx.is_subrequest (always false: Tycho has no subrequests yet) for the
// `ngx` table's __index (lua/tycho/ctx.lua falls back on it); other keys go on to upvalue 1.
int ngx_index_headers(lua_State* L) {
    if (lua_type(L, 2) == LUA_TSTRING) {
        size_t len = 0;
        const char* key = lua_tolstring(L, 2, &len);
        bool sent = len == 12 && std::memcmp(key, "headers_sent", 12) == 0;
        if (sent || (len == 13 && std::memcmp(key, "is_subrequest", 13) == 0)) {
            Context* ctx = current_context();
            if (ctx == nullptr || (ctx->r == nullptr && ctx->phase == Phase::kInit)) {
                return luaL_error(L, "no request found");
            }
            if (ctx->r == nullptr || (static_cast<uint32_t>(ctx->phase) & kRequestPhases) == 0) {
                return luaL_error(L, "API disabled in the current context");
            }
            lua_pushboolean(L, sent && ctx->r->header_sent ? 1 : 0);
            return 1;
        }
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

namespace {

int ngx_send_headers(lua_State* L) {
    Context* ctx = api_context(L);
    http::Request* r = api_request(L, ctx);
    api_check_phase(L, ctx, kControlPhases);
    if (!r->header_sent && send_header_if_needed(*r) != http::kOk) {
        lua_pushnil(L);
        lua_pushliteral(L, "nginx output filter error");
        return 2;
    }
    lua_pushinteger(L, 1);
    return 1;
}

// ngx_http_parse_unsafe_uri(): splits "uri?args", refuses "..", "/../", a NUL byte. Returns
// false for an unsafe URI.
bool parse_unsafe_uri(std::string& uri, std::string& args) {
    if (uri.empty() || uri[0] == '?' || uri[0] == '.') {
        return false;
    }
    size_t len = uri.size();
    for (size_t i = 0; i < len; i++) {
        char ch = uri[i];
        if (ch == '?') {
            args = uri.substr(i + 1);
            uri.resize(i);
            return true;
        }
        if (ch == '\0') {
            return false;
        }
        if (ch == '/' && len - i - 1 > 1) {
            // "/.." at the end or "/../" in the middle.
            if (uri[i + 1] == '.' && uri[i + 2] == '.' && (i + 3 == len || uri[i + 3] == '/')) {
                return false;
            }
        }
    }
    return true;
}

// Ends the running handler like ngx.exit(code) (the scheduler finishes it; ngx.exec's target
// is in ctx->exec_uri).
int yield_exit(lua_State* L, Context* ctx, int code) {
    ctx->exit_code = code;
    ctx->exited = true;
    return yield_to_scheduler(L);
}

int ngx_redirect(lua_State* L) {
    int n = lua_gettop(L);
    if (n != 1 && n != 2) {
        return luaL_error(L, "expecting one or two arguments");
    }
    size_t len = 0;
    const char* p = luaL_checklstring(L, 1, &len);
    int status = 302;
    if (n == 2) {
        status = static_cast<int>(luaL_checknumber(L, 2));
        if (status != 302 && status != 301 && status != 303 && status != 308 && status != 307) {
            return luaL_error(L,
                              "only ngx.HTTP_MOVED_TEMPORARILY, ngx.HTTP_MOVED_PERMANENTLY, "
                              "ngx.HTTP_PERMANENT_REDIRECT, ngx.HTTP_SEE_OTHER, and "
                              "ngx.HTTP_TEMPORARY_REDIRECT are allowed");
        }
    }
    Context* ctx = api_context(L);
    http::Request* r = api_request(L, ctx);
    api_check_phase(L, ctx, kControlPhases);
    if (r->header_sent) {
        return luaL_error(L, "attempt to call ngx.redirect after sending out the headers");
    }
    for (size_t i = 0; i < len; i++) {
        auto c = static_cast<unsigned char>(p[i]);
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            // lua-nginx-module 0.10.23 raises the byte and the URI (escape_log's \xHH).
            std::string shown = escape_log(p, len);
            char head[48];
            std::snprintf(head, sizeof(head), "unsafe byte \"0x%02x\" in redirect uri \"", c);
            shown.insert(0, head);
            shown.push_back('"');
            luaL_where(L, 1);  // as luaL_error
            lua_pushlstring(L, shown.data(), shown.size());
            lua_concat(L, 2);
            return lua_error(L);
        }
    }
    r->headers_out.push_back(http::Header{"Location", std::string(p, len)});
    r->location_header.clear();
    r->status = status;
    return yield_exit(L, ctx, status);
}

int ngx_exec(lua_State* L) {
    int n = lua_gettop(L);
    if (n != 1 && n != 2) {
        return luaL_error(L, "expecting one or two arguments, but got %d", n);
    }
    Context* ctx = api_context(L);
    http::Request* r = api_request(L, ctx);
    size_t len = 0;
    const char* p = luaL_checklstring(L, 1, &len);
    if (len == 0) {
        return luaL_error(L, "The uri argument is empty");
    }
    api_check_phase(L, ctx, kControlPhases);
    std::string uri(p, len);
    std::string args;
    if (!parse_unsafe_uri(uri, args)) {
        std::string line = "unsafe URI \"" + std::string(p, len) + "\" was detected";
        log_for(ctx, static_cast<int>(core::LogLevel::kError), line.data(), line.size());
        return luaL_error(L, "unsafe uri");
    }
    std::string user_args;
    if (n == 2) {
        switch (lua_type(L, 2)) {
            case LUA_TNUMBER:
            case LUA_TSTRING: {
                size_t alen = 0;
                const char* a = lua_tolstring(L, 2, &alen);
                user_args.assign(a, alen);
                break;
            }
            case LUA_TTABLE: {
                // ngx.encode_args (upvalue 1) is ngx_http_lua_process_args_option too.
                lua_pushvalue(L, lua_upvalueindex(1));
                lua_pushvalue(L, 2);
                lua_call(L, 1, 1);
                size_t alen = 0;
                const char* a = lua_tolstring(L, -1, &alen);
                if (a != nullptr) {
                    user_args.assign(a, alen);
                }
                lua_pop(L, 1);
                break;
            }
            case LUA_TNIL:
                break;
            default:
                return luaL_argerror(
                    L, 2,
                    lua_pushfstring(L, "string, number, or table expected, but got %s",
                                    luaL_typename(L, 2)));
        }
    }
    if (!user_args.empty()) {
        if (args.empty()) {
            args = std::move(user_args);
        } else {
            args += '&';
            args += user_args;
        }
    }
    if (r->header_sent) {
        return luaL_error(L, "attempt to call ngx.exec after sending out response headers");
    }
    ctx->exec_uri = std::move(uri);
    ctx->exec_args = std::move(args);
    return yield_exit(L, ctx, http::kDone);
}

}  // namespace

void inject_header(lua_State* L) {
    require_embedded(L, "tycho.header");
    lua_getfield(L, -1, "header");
    lua_setfield(L, -3, "header");
    lua_pop(L, 1);

    lua_pushcfunction(L, ngx_send_headers);
    lua_setfield(L, -2, "send_headers");
    lua_pushcfunction(L, ngx_redirect);
    lua_setfield(L, -2, "redirect");
    lua_getfield(L, -1, "encode_args");
    lua_pushcclosure(L, ngx_exec, 1);
    lua_setfield(L, -2, "exec");
}

}  // namespace tycho::lua

// --- FFI halves (lua/tycho/header.lua) ---------------------------------------------------------

extern "C" {

// api_time.cpp: nginx's ngx_parse_http_time and ngx_http_time.
long tycho_ffi_time_parse_http_time(const unsigned char* str, size_t len) noexcept;
int tycho_ffi_time_http_time(unsigned char* buf, size_t size, long t) noexcept;

// Sets response header `key`: mode 0 = the string sval, 1 = the mvals_len strings of mvals
// (none = clear), 2 = clear, 3 = the number `num`; + 16 adds the values to the header's
// instead of replacing them (ngx.resp.add_header). Returns 0, -5 (the header was already sent:
// logged, nothing set), -6 (mode 3 and a number to send as tostring() text: nothing done),
// -1 (err set) or -100 (no request).
int tycho_ffi_header_set(const char* key, size_t key_len, int mode, const char* sval,
                         size_t sval_len, const tycho::lua::FfiStr* mvals, size_t mvals_len,
                         unsigned char* err, size_t* err_len, double num) noexcept {
    using namespace tycho::lua;
    bool override = (mode & kModeAppend) == 0;
    mode &= ~kModeAppend;
    // A number the way tostring() writes it (LuaJIT's "%.14g"), when that is its integer
    // digits: skips Lua's general float formatting and a string to intern. Any other number
    // is declined before anything happens, and the Lua half sends tostring()'s text.
    char num_buf[24];
    size_t num_len = 0;
    if (mode == kModeNumber) {
        if (!(num > -1e14 && num < 1e14) || num != std::trunc(num) ||
            (num == 0 && std::signbit(num))) {
            return kFfiNotInteger;
        }
        num_len = static_cast<size_t>(
            std::to_chars(num_buf, num_buf + sizeof(num_buf), static_cast<int64_t>(num)).ptr -
            num_buf);
        mode = kModeString;
        sval = num_buf;
        sval_len = num_len;
    }
    int rc = kFfiOk;
    Context* ctx = nullptr;
    tycho::http::Request* r = ffi_request(&ctx, err, err_len, &rc);
    if (r == nullptr) {
        return rc;
    }
    if (r->header_sent) {
        constexpr char kMsg[] =
            "attempt to set ngx.header.HEADER after sending out response headers";
        log_for(ctx, static_cast<int>(tycho::core::LogLevel::kError), kMsg, sizeof(kMsg) - 1);
        return kFfiDeclined;
    }
    try {
        std::string name_buf;
        std::string value_buf;
        std::string_view name = header_bytes(std::string_view(key, key_len), kEscapeName,
                                             transform_underscores(), name_buf);
        bool ok = true;
        if (mode == kModeTable && mvals_len > 0) {
            for (size_t i = 0; i < mvals_len && ok; i++) {
                std::string_view value = header_bytes(
                    std::string_view(mvals[i].data, mvals[i].len), kEscapeValue, false, value_buf);
                ok = set_output_header(*r, name, value, override && i == 0);
            }
        } else {
            std::string_view value;
            if (mode == kModeString) {
                value = header_bytes(std::string_view(sval, sval_len), kEscapeValue, false,
                                     value_buf);
            }
            ok = set_output_header(*r, name, value, override);
        }
        if (!ok) {
            copy_error(err, err_len, "failed to set header");
            return kFfiError;
        }
        return kFfiOk;
    } catch (const std::bad_alloc&) {
        copy_error(err, err_len, "no memory");
        return kFfiError;
    }
}

// Fills `values` with up to max_values values of response header `key` (case-insensitive,
// underscores read as dashes unless lua_transform_underscores_in_response_headers is off).
// The pointers stay valid until the next header call. Returns the count (0: none), -1 (err set)
// or -100 (no request).
int tycho_ffi_header_get(const char* key, size_t key_len, tycho::lua::FfiStr* values,
                         int max_values, unsigned char* err, size_t* err_len) noexcept {
    using namespace tycho::lua;
    int rc = kFfiOk;
    Context* ctx = nullptr;
    tycho::http::Request* r = ffi_request(&ctx, err, err_len, &rc);
    if (r == nullptr) {
        return rc;
    }
    char small[64];
    std::string big;
    const char* name = key;
    if (transform_underscores() && std::memchr(key, '_', key_len) != nullptr) {
        char* dst = small;
        if (key_len > sizeof(small)) {
            try {
                big.resize(key_len);
            } catch (const std::bad_alloc&) {
                copy_error(err, err_len, "no memory");
                return kFfiError;
            }
            dst = big.data();
        }
        for (size_t i = 0; i < key_len; i++) {
            dst[i] = key[i] == '_' ? '-' : key[i];
        }
        name = dst;
    }
    std::string_view k(name, key_len);
    if (key_len == 14 && r->content_length_out >= 0 && iequals(k, "Content-Length")) {
        thread_local char num[24];
        int m =
            std::snprintf(num, sizeof(num), "%lld", static_cast<long long>(r->content_length_out));
        values[0] = FfiStr{num, static_cast<size_t>(m)};
        return 1;
    }
    if (key_len == 12 && iequals(k, "Content-Type")) {
        if (r->content_type.empty()) {
            return 0;
        }
        values[0] = FfiStr{r->content_type.data(), r->content_type.size()};
        return 1;
    }
    if (key_len == 13 && iequals(k, "Last-Modified")) {
        // nginx keeps the time it parsed, not the text: the value reads back as that time in
        // HTTP format, or nil if it was no date (it is sent as given either way).
        const tycho::http::Header* last = nullptr;
        for (const tycho::http::Header& h : r->headers_out) {
            if (!h.value.empty() && iequals(h.name, k)) {
                last = &h;
            }
        }
        if (max_values < 1) {
            return 0;
        }
        // Without one set here, the time a handler gave (a static file's mtime), as nginx's
        // headers_out.last_modified_time reads back.
        long t = static_cast<long>(r->last_modified);
        if (last != nullptr) {
            t = tycho_ffi_time_parse_http_time(
                reinterpret_cast<const unsigned char*>(last->value.data()), last->value.size());
        }
        if (t < 0) {
            return 0;
        }
        thread_local unsigned char date[64];
        int m = tycho_ffi_time_http_time(date, sizeof(date), t);
        values[0] = FfiStr{reinterpret_cast<const char*>(date), static_cast<size_t>(m)};
        return 1;
    }
    int count = 0;
    for (const tycho::http::Header& h : r->headers_out) {
        if (count >= max_values) {
            break;
        }
        if (!h.value.empty() && iequals(h.name, k)) {
            values[count++] = FfiStr{h.value.data(), h.value.size()};
        }
    }
    return count;
}

}  // extern "C"
