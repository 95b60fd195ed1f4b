// ngx.var: reading and writing nginx variables of the running request, after lua-nginx-module's
// ngx_http_lua_ffi_var_get / _set (ngx_http_lua_variable.c). The C half is two FFI exports; the
// Lua half (lua/tycho/var.lua) is ngx.var's metatable.

#include <algorithm>
#include <cstring>
#include <lua.hpp>
#include <new>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/log.h"
#include "core/strings.h"
#include "http/http_conf.h"
#include "http/http_log.h"
#include "http/response.h"
#include "http/variables.h"
#include "lua/api.h"
#include "lua/api_runtime.h"
#include "lua/vm.h"

namespace tycho::lua {
namespace {

// FFI result codes, mirrored in lua/tycho/var.lua.
constexpr int kFfiOk = 0;
constexpr int kFfiError = -1;
constexpr int kFfiAgain = -2;
constexpr int kFfiDeclined = -5;
constexpr int kFfiNoRequest = -100;

// nginx variables that a request may change: `args` only among the builtins Tycho has
// ($limit_rate is not implemented).
bool changeable_builtin(std::string_view name) {
    return name == "args";
}

// `set` variables a request explicitly undefined with `ngx.var.x = nil` (nginx marks the
// variable not_found: it reads as nil, not as an uninitialized ""). Rare, so kept aside instead
// of in the request; entries go when their request ends.
thread_local std::unordered_map<const http::Request*, std::vector<std::string>> t_undefined;

std::vector<std::string>* undefined_of(const http::Request& r) {
    if (t_undefined.empty()) {
        return nullptr;
    }
    auto it = t_undefined.find(&r);
    return it == t_undefined.end() ? nullptr : &it->second;
}

bool is_undefined(const http::Request& r, std::string_view name) {
    std::vector<std::string>* names = undefined_of(r);
    if (names == nullptr) {
        return false;
    }
    for (const std::string& n : *names) {
        if (n == name) {
            return true;
        }
    }
    return false;
}

void set_undefined(http::Request& r, std::string_view name, bool undefined) {
    std::vector<std::string>* names = undefined_of(r);
    if (!undefined) {
        if (names != nullptr) {
            for (size_t i = 0; i < names->size(); i++) {
                if ((*names)[i] == name) {
                    names->erase(names->begin() + static_cast<long>(i));
                    break;
                }
            }
        }
        return;
    }
    if (names == nullptr) {
        names = &t_undefined[&r];
        const http::Request* key = &r;
        http::add_request_cleanup(r, [key]() { t_undefined.erase(key); });
    }
    if (!is_undefined(r, name)) {
        names->emplace_back(name);
    }
}

bool is_set_variable(std::string_view name) {
    WorkerRuntime* rt = current_runtime();
    const http::HttpConf* http = rt != nullptr ? rt->conf().http : nullptr;
    if (http == nullptr) {
        return false;
    }
    for (const std::string& s : http->set_variables) {
        if (s == name) {
            return true;
        }
    }
    return false;
}

// The request of the running context, or null with the FFI code to return in `rc`: "no
// request" in init_by_lua* (and outside any context), "API disabled in the current context"
// where the context has no request (init_worker_by_lua*, timers), as lua-nginx-module's fake
// requests answer.
http::Request* ffi_request(unsigned char* err, size_t* err_len, int* rc) {
    Context* ctx = current_context();
    if (ctx == nullptr || (ctx->r == nullptr && ctx->phase == Phase::kInit)) {
        *rc = kFfiNoRequest;
        return nullptr;
    }
    if (ctx->r == nullptr) {
        constexpr std::string_view kMsg = "API disabled in the current context";
        size_t n = std::min(kMsg.size(), *err_len);
        std::memcpy(err, kMsg.data(), n);
        *err_len = n;
        *rc = kFfiError;
        return nullptr;
    }
    return ctx->r;
}

void lowercase_into(std::string& out, const char* name, size_t len) {
    tycho::core::set_string(out, std::string_view(name, len));
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c | 0x20);
        }
    }
}

void write_error(unsigned char* err, size_t* err_len, const std::string& msg) {
    size_t n = std::min(msg.size(), *err_len);
    std::memcpy(err, msg.data(), n);
    *err_len = n;
}

}  // namespace

void inject_var(lua_State* L) {
    require_embedded(L, "tycho.var");
    lua_setfield(L, -2, "var");
}

// The body of tycho_ffi_var_get once the request is known (may throw std::bad_alloc).
int var_get(http::Request& req, const char* name, size_t name_len, int capture, unsigned char* buf,
            size_t buf_len, size_t* value_len) {
    http::Request* r = &req;
    thread_local std::string value;
    thread_local std::string lname;
    value.clear();
    if (name == nullptr) {
        // ngx.var[N]: $N of the last regex match; N <= 0 or out of range is nil.
        if (capture <= 0 || capture > 99) {
            return kFfiDeclined;
        }
        size_t i = static_cast<size_t>(capture) * 2;
        if (i + 1 >= r->captures.size()) {
            return kFfiDeclined;
        }
        int start = r->captures[i];
        int end = r->captures[i + 1];
        if (start < 0 || end < start || static_cast<size_t>(end) > r->captures_subject.size()) {
            return kFfiDeclined;
        }
        value.assign(r->captures_subject, static_cast<size_t>(start),
                     static_cast<size_t>(end - start));
    } else {
        lowercase_into(lname, name, name_len);
        // nginx resolves "$1" only in config scripts; by name, digits are not variables.
        if (!lname.empty() && lname[0] >= '0' && lname[0] <= '9') {
            return kFfiDeclined;
        }
        if (!tycho::http::get_variable(*r, lname, value)) {
            if (!tycho::lua::is_set_variable(lname) || tycho::lua::is_undefined(*r, lname)) {
                return kFfiDeclined;
            }
            // A `set` variable this request never assigned: "" and nginx's warning
            // (ngx_http_rewrite_var with uninitialized_variable_warn on).
            tycho::http::log_request(tycho::core::LogLevel::kWarn, *r,
                                     "using uninitialized \"" + lname + "\" variable");
        }
    }
    *value_len = value.size();
    if (value.size() > buf_len) {
        return kFfiAgain;
    }
    std::memcpy(buf, value.data(), value.size());
    return kFfiOk;
}

}  // namespace tycho::lua

// --- FFI halves (lua/tycho/var.lua) ------------------------------------------------------------

using tycho::lua::kFfiAgain;
using tycho::lua::kFfiDeclined;
using tycho::lua::kFfiError;
using tycho::lua::kFfiOk;

extern "C" {

// Reads variable `name` (any case), or regex capture `capture` when name is NULL, into buf.
// Returns 0 (value_len set), -5 (no value: nil), -2 (buf too small: value_len = the size
// needed), -1 (err set) or -100 (no request).
int tycho_ffi_var_get(const char* name, size_t name_len, int capture, unsigned char* buf,
                      size_t buf_len, size_t* value_len, unsigned char* err,
                      size_t* err_len) noexcept {
    int rc = kFfiOk;
    tycho::http::Request* r = tycho::lua::ffi_request(err, err_len, &rc);
    if (r == nullptr) {
        return rc;
    }
    try {
        return tycho::lua::var_get(*r, name, name_len, capture, buf, buf_len, value_len);
    } catch (const std::bad_alloc&) {
        tycho::lua::write_error(err, err_len, "no memory");
        return kFfiError;
    }
}

// Assigns `value` (or undefines the variable when is_nil) to variable `name` (any case).
// Returns 0, -1 (err set, err_len in/out) or -100 (no request).
int tycho_ffi_var_set(const char* name, size_t name_len, const char* value, size_t value_len,
                      int is_nil, unsigned char* err, size_t* err_len) noexcept {
    int rc = kFfiOk;
    tycho::http::Request* r = tycho::lua::ffi_request(err, err_len, &rc);
    if (r == nullptr) {
        return rc;
    }
    try {
        thread_local std::string lname;
        tycho::lua::lowercase_into(lname, name, name_len);
        std::string_view v = is_nil != 0 || value == nullptr ? std::string_view()
                                                             : std::string_view(value, value_len);
        // nginx defines these prefixed names as variables of their own (the rest of http_* and
        // sent_http_* are prefix lookups): writing one is "not changeable", not "not found".
        static constexpr std::string_view kNamedPrefixed[] = {
            "http_host", "http_user_agent", "http_referer", "http_via", "http_x_forwarded_for",
            "http_cookie", "sent_http_content_type", "sent_http_content_length",
            "sent_http_location", "sent_http_last_modified", "sent_http_connection",
            "sent_http_keep_alive", "sent_http_transfer_encoding", "sent_http_cache_control",
            "sent_http_link"};
        bool named = false;
        if (lname.compare(0, 5, "http_") == 0 || lname.compare(0, 10, "sent_http_") == 0) {
            for (std::string_view n : kNamedPrefixed) {
                named = named || n == lname;
            }
        }
        if (named || tycho::http::is_builtin_variable(lname)) {
            if (named || !tycho::lua::changeable_builtin(lname)) {
                tycho::lua::write_error(err, err_len, "variable \"" + lname + "\" not changeable");
                return kFfiError;
            }
            if (is_nil != 0) {
                // nginx's $args setter takes the null pointer: no arguments, $args not found.
                r->args.clear();
                r->args_null = true;
                return kFfiOk;
            }
            (void)tycho::http::set_variable(*r, lname, v);
            return kFfiOk;
        }
        if (!tycho::lua::is_set_variable(lname)) {
            tycho::lua::write_error(
                err, err_len,
                "variable \"" + lname +
                    "\" not found for writing; maybe it is a built-in variable that is not "
                    "changeable or you forgot to use \"set $" +
                    lname + " '';\" in the config file to define it first");
            return kFfiError;
        }
        if (is_nil != 0) {
            r->variables.erase(lname);
            tycho::lua::set_undefined(*r, lname, true);
            return kFfiOk;
        }
        (void)tycho::http::set_variable(*r, lname, v);
        tycho::lua::set_undefined(*r, lname, false);
        return kFfiOk;
    } catch (const std::bad_alloc&) {
        tycho::lua::write_error(err, err_len, "no memory");
        return kFfiError;
    }
}

}  // extern "C"
