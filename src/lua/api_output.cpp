// ngx.say, ngx.print, ngx.flush, ngx.eof, ngx.exit: bindings with lua-nginx-module's argument
// rules and texts (ngx_http_lua_output.c, ngx_http_lua_control.c).
//
// ngx.say / ngx.print stay classic lua_CFunctions, not FFI (DESIGN.md §5), on measurement: a
// content handler's chunk returns into lua_resume's C frame, so it is never a trace root, and
// ngx.say must be vararg (ngx.say("a", nil) prints "anil"), and vararg functions are never
// trace roots either; the FFI call then runs in the interpreter, where it cost ~1,300 more
// instructions per request than this binding (callgrind, `ngx.say("hello")` under keep-alive).
// In a hot loop the FFI version was faster (~300 vs ~670 instructions per ngx.print("x")),
// but the one-call-per-request handler is the common case and OpenResty's own ngx.say is a C
// function too.

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <lua.hpp>
#include <new>
#include <string>
#include <string_view>

#include "http/connection.h"
#include "http/http_log.h"
#include "http/response.h"
#include "http/static.h"
#include "lua/api.h"
#include "lua/api_runtime.h"
#include "lua/vm.h"

namespace tycho::lua {
namespace {

constexpr uint32_t kOutputPhases =
    Phase::kServerRewrite | Phase::kRewrite | Phase::kAccess | Phase::kContent;

// `tycho run`: code outside a request writes to stdout instead (resty's replacement of these
// functions), so the request path below stays as it is.
bool run_output(WorkerRuntime* rt) {
    if (rt == nullptr || !rt->run_mode()) {
        return false;
    }
    const Context* ctx = rt->scheduler().current();
    return ctx == nullptr || ctx->r == nullptr;
}

// Through C stdio, not write(2): the bytes then interleave in order with io.write and print,
// and os.exit's exit() flushes them.
int write_stdout(lua_State* L, const std::string& data) {
    if (std::fwrite(data.data(), 1, data.size(), stdout) != data.size()) {
        lua_pushnil(L);
        lua_pushliteral(L, "failed to write to stdout");
        return 2;
    }
    lua_pushinteger(L, 1);
    return 1;
}

// resty prints what ngx.say cannot (functions, userdata, cdata) with tostring().
void append_tostring(lua_State* L, int idx, std::string& out) {
    lua_getglobal(L, "tostring");
    lua_pushvalue(L, idx);
    lua_call(L, 1, 1);
    size_t len = 0;
    const char* s = lua_tolstring(L, -1, &len);
    if (s != nullptr) {
        out.append(s, len);
    }
    lua_pop(L, 1);
}

// Numbers print as Lua's tostring() does ("%.14g": 1e+15, 0.1), as lua-nginx-module 0.10.23.
void append_number(lua_State* L, int idx, std::string& out) {
    size_t len;
    const char* s = lua_tolstring(L, idx, &len);
    out.append(s, len);
}

// Appends the array table at `idx` (nested arrays flattened). `arg` is the argument number
// errors name.
// luaL_argerror's text with the API's own name: the C function may be called from its Lua half
// (lua/tycho/output.lua), where the debug info would not name it.
int output_argerror(lua_State* L, const char* api, int arg, const char* msg) {
    return luaL_error(L, "bad argument #%d to '%s' (%s)", arg, api, msg);
}

void append_table(lua_State* L, int idx, int arg, const char* api, std::string& out) {
    if (idx < 0) {
        idx = lua_gettop(L) + idx + 1;
    }
    int max = 0;
    lua_pushnil(L);
    while (lua_next(L, idx) != 0) {
        if (lua_type(L, -2) == LUA_TNUMBER) {
            lua_Number key = lua_tonumber(L, -2);
            if (std::floor(key) == key && key >= 1) {
                if (key > max) {
                    max = static_cast<int>(key);
                }
                lua_pop(L, 1);
                continue;
            }
        }
        lua_pop(L, 2);
        output_argerror(L, api, arg, "non-array table found");
        return;
    }
    for (int i = 1; i <= max; i++) {
        lua_rawgeti(L, idx, i);
        int type = lua_type(L, -1);
        switch (type) {
            case LUA_TNUMBER:
                append_number(L, -1, out);
                break;
            case LUA_TSTRING: {
                size_t len;
                const char* s = lua_tolstring(L, -1, &len);
                out.append(s, len);
                break;
            }
            case LUA_TNIL:
                out.append("nil");
                break;
            case LUA_TBOOLEAN:
                out.append(lua_toboolean(L, -1) ? "true" : "false");
                break;
            case LUA_TTABLE:
                append_table(L, -1, arg, api, out);
                break;
            case LUA_TLIGHTUSERDATA:
                if (lua_touserdata(L, -1) == nullptr) {
                    out.append("null");
                }
                break;
            default:
                output_argerror(L, api, arg,
                                lua_pushfstring(L, "bad data type %s found", lua_typename(L, type)));
                return;
        }
        lua_pop(L, 1);
    }
}

// Outcomes of an output call.
enum OutputResult : int { kOutOk = 0, kOutHeaderOnly = 1, kOutSeenEof = 2, kOutFilterError = 3 };

// What an output call returns before looking at its arguments: kOutHeaderOnly, kOutSeenEof,
// or kOutOk to go on.
int output_state(const Context& ctx, const http::Request& r) {
    // nginx marks a HEAD request header-only when its header goes out: the first output call
    // still succeeds (and sends the header).
    if (r.header_only && r.header_sent) {
        return kOutHeaderOnly;
    }
    if (ctx.eof) {
        return kOutSeenEof;
    }
    return kOutOk;
}

// lua_http10_buffering (lua-nginx-module; on by default): the output for an HTTP/1.0 (or 0.9)
// client, whose response has no chunked encoding and so no end but the connection's, is held
// until the handler ends and then goes out with a Content-Length: the connection can stay open
// (HTTP/1.0 keep-alive, `ab -k`). Meanwhile the header is not sent (ngx.headers_sent is false,
// headers can still be set). A Content-Length the handler set keeps it off.
bool holds_http10_output(const Context& ctx, const http::Request& r) {
    if (ctx.http10_buffering) {
        return true;
    }
    // A HEAD request's header goes out at the first output (no body to count), as there.
    if (r.header_sent || r.header_only || r.http_major > 1 ||
        (r.http_major == 1 && r.http_minor >= 1)) {
        return false;
    }
    if (r.loc == nullptr || r.loc->lua_http10_buffering == 0) {
        return false;
    }
    return !(r.lua_headers_set && r.content_length_out >= 0);
}

// Sends the header if needed, then `data` (if any) as body bytes.
int output_write(Context& ctx, http::Request& r, std::string_view data) {
    if (holds_http10_output(ctx, r)) {
        ctx.http10_buffering = true;
        if (!data.empty()) {
            ctx.seen_body_data = true;
            ctx.http10_out.append(data);
        }
        return kOutOk;
    }
    bool header_was_sent = r.header_sent;
    if (send_header_if_needed(r) != http::kOk) {
        return kOutFilterError;
    }
    if (!header_was_sent && r.filter_finalized) {
        // A header filter's ngx.exit or a failed If-* condition (412) replaced the response
        // while this output sent the header: nginx's send_header fails there (later output is
        // dropped quietly, as in nginx).
        return kOutFilterError;
    }
    if (!data.empty()) {
        ctx.seen_body_data = true;
        if (http::send_body(r, data, false) != http::kOk) {
            return kOutFilterError;
        }
    }
    return kOutOk;
}

int push_output_result(lua_State* L, int rc) {
    switch (rc) {
        case kOutOk:
            lua_pushinteger(L, 1);
            return 1;
        case kOutHeaderOnly:
            lua_pushnil(L);
            lua_pushliteral(L, "header only");
            return 2;
        case kOutSeenEof:
            lua_pushnil(L);
            lua_pushliteral(L, "seen eof");
            return 2;
        default:
            lua_pushnil(L);
            lua_pushliteral(L, "nginx output filter error");
            return 2;
    }
}

int echo(lua_State* L, bool newline) {
    bool to_stdout = run_output(current_runtime());
    Context* ctx = nullptr;
    http::Request* r = nullptr;
    if (!to_stdout) {
        ctx = api_context(L);
        r = api_request(L, ctx);
        api_check_phase(L, ctx, kOutputPhases);
        if (int rc = output_state(*ctx, *r); rc != kOutOk) {
            return push_output_result(L, rc);
        }
    }
    std::string& out = current_runtime()->scratch();
    out.clear();
    int nargs = lua_gettop(L);
    for (int i = 1; i <= nargs; i++) {
        int type = lua_type(L, i);
        switch (type) {
            case LUA_TNUMBER:
                append_number(L, i, out);
                break;
            case LUA_TSTRING: {
                size_t len;
                const char* s = lua_tolstring(L, i, &len);
                out.append(s, len);
                break;
            }
            case LUA_TNIL:
                out.append("nil");
                break;
            case LUA_TBOOLEAN:
                out.append(lua_toboolean(L, i) ? "true" : "false");
                break;
            case LUA_TTABLE:
                append_table(L, i, i, newline ? "say" : "print", out);
                break;
            case LUA_TLIGHTUSERDATA:
                if (lua_touserdata(L, i) == nullptr) {
                    out.append("null");
                }
                break;
            default:
                if (to_stdout) {
                    append_tostring(L, i, out);
                    break;
                }
                return output_argerror(
                    L, newline ? "say" : "print", i,
                    lua_pushfstring(L,
                                    "string, number, boolean, nil, ngx.null, or array table "
                                    "expected, but got %s",
                                    lua_typename(L, type)));
        }
    }
    if (newline) {
        out.push_back('\n');
    }
    if (to_stdout) {
        return write_stdout(L, out);
    }
    return push_output_result(L, output_write(*ctx, *r, out));
}

int ngx_say(lua_State* L) {
    return echo(L, true);
}

int ngx_print(lua_State* L) {
    return echo(L, false);
}

struct FlushWait {
    LuaThread* thread;
    uint32_t generation;
    http::Connection* connection;
};

void cancel_flush(void* data) {
    auto* w = static_cast<FlushWait*>(data);
    w->connection->remove_drain_waiter(w);
    delete w;
}

void on_flush_drained(void* data, bool ok) {
    auto* w = static_cast<FlushWait*>(data);
    LuaThread* t = w->thread;
    bool current = t->generation == w->generation && t->wait.data == w;
    delete w;
    WorkerRuntime* rt = current_runtime();
    if (!current || rt == nullptr) {
        return;
    }
    t->wait = {};
    if (ok) {
        lua_pushinteger(t->co, 1);
        rt->scheduler().post_resume(*t, 1);
    } else {
        lua_pushnil(t->co);
        lua_pushliteral(t->co, "nginx output filter error");
        rt->scheduler().post_resume(*t, 2);
    }
}

int ngx_flush(lua_State* L) {
    int n = lua_gettop(L);
    if (n > 1) {
        return luaL_error(L, "attempt to pass %d arguments, but accepted 0 or 1", n);
    }
    if (n == 1) {
        luaL_checktype(L, 1, LUA_TBOOLEAN);
    }
    bool wait = n == 1 && lua_toboolean(L, 1);
    if (run_output(current_runtime())) {
        if (std::fflush(stdout) != 0) {
            lua_pushnil(L);
            lua_pushliteral(L, "failed to flush stdout");
            return 2;
        }
        lua_pushinteger(L, 1);
        return 1;
    }
    Context* ctx = api_context(L);
    http::Request* r = api_request(L, ctx);
    api_check_phase(L, ctx, kOutputPhases);
    if (r->header_only) {
        lua_pushnil(L);
        lua_pushliteral(L, "header only");
        return 2;
    }
    if (ctx->eof) {
        lua_pushnil(L);
        lua_pushliteral(L, "seen eof");
        return 2;
    }
    if (ctx->http10_buffering) {
        lua_pushnil(L);
        lua_pushliteral(L, "buffering");
        return 2;
    }
    if (!r->header_sent || (!ctx->seen_body_data && !wait)) {
        lua_pushnil(L);
        lua_pushliteral(L, "nothing to flush");
        return 2;
    }
    if (http::send_flush(*r) != http::kOk) {
        lua_pushnil(L);
        lua_pushliteral(L, "nginx output filter error");
        return 2;
    }
    http::Connection* c = r->connection;
    LuaThread* t = wait ? current_runtime()->scheduler().current_thread() : nullptr;
    if (t != nullptr && c != nullptr && c->write_blocked()) {
        // Suspended until the socket took everything (or failed): on_flush_drained.
        auto* w = new FlushWait{t, t->generation, c};
        c->add_drain_waiter(on_flush_drained, w);
        t->wait = Wait{cancel_flush, w};
        return yield_to_scheduler(L);
    }
    lua_pushinteger(L, 1);
    return 1;
}

int ngx_eof(lua_State* L) {
    int n = lua_gettop(L);
    if (n != 0) {
        return luaL_error(L, "no argument is expected");
    }
    if (run_output(current_runtime())) {
        // stdout stays open (resty's ngx.eof does not close it either).
        lua_pushinteger(L, 1);
        return 1;
    }
    Context* ctx = api_context(L);
    http::Request* r = api_request(L, ctx);
    api_check_phase(L, ctx, kOutputPhases);
    if (ctx->eof) {
        lua_pushnil(L);
        lua_pushliteral(L, "seen eof");
        return 2;
    }
    ctx->eof = true;
    if (end_output(*ctx, *r) != http::kOk) {
        lua_pushnil(L);
        lua_pushliteral(L, "nginx output filter error");
        return 2;
    }
    lua_pushinteger(L, 1);
    return 1;
}

// lua-nginx-module's ngx_http_lua_ffi_exit refuses these two codes before anything else, in
// every context that has a request (a timer's fake one too).
int exit_code_arg(lua_State* L) {
    int code = static_cast<int>(luaL_checkinteger(L, 1));
    if (code == -2 || code == -4) {  // NGX_AGAIN, NGX_DONE
        luaL_error(L, "bad argument to 'ngx.exit': does not accept NGX_AGAIN or NGX_DONE");
    }
    return code;
}

int ngx_exit(lua_State* L) {
    if (lua_gettop(L) != 1) {
        return luaL_error(L, "expecting one argument");
    }
    if (run_output(current_runtime())) {
        // resty's ngx.exit is os.exit: the process ends now with that status.
        int status = static_cast<int>(luaL_checkinteger(L, 1));
        std::fflush(stdout);
        std::exit(status);
    }
    Context* ctx = api_context(L);
    if (ctx->timer && ctx->phase == Phase::kTimer) {
        // In a timer ngx.exit just ends the run (its light threads with it); init_worker code
        // (a timer-like context in Tycho) gets OpenResty's refusal below.
        ctx->exit_code = exit_code_arg(L);
        ctx->exited = true;
        return yield_to_scheduler(L);
    }
    http::Request* r = api_request(L, ctx);
    int rc = exit_code_arg(L);
    if (ctx->phase == Phase::kHeaderFilter) {
        // lua-resty-core's ngx.exit returns in a header filter; the filter applies the code.
        ctx->filter_exit_code = rc;
        ctx->filter_exited = true;
        return 0;
    }
    api_check_phase(L, ctx, kOutputPhases);
    // After the header went out a status can no longer be sent: end the response instead.
    if (r->header_sent && rc >= 300 && rc != 408 && rc != 499 && rc != 444) {
        if (r->status != rc) {
            char buf[160];
            int len = std::snprintf(buf, sizeof(buf),
                                    "attempt to set status %d via ngx.exit after sending out the "
                                    "response status %d",
                                    rc, r->status);
            log_for(ctx, static_cast<int>(core::LogLevel::kError), buf, static_cast<size_t>(len));
        }
        rc = 200;
    }
    ctx->exit_code = rc;
    ctx->exited = true;
    return yield_to_scheduler(L);
}

}  // namespace

int send_header_if_needed(http::Request& r, int64_t content_length) {
    if (r.header_sent) {
        return http::kOk;
    }
    // lua-nginx-module: output of a handler that set no header has no Content-Length (one left
    // by the location that ngx.exec came from), and a 304 gets no default Content-Type (one set
    // explicitly stays); nor does any response where lua_use_default_type is off.
    if (!r.lua_headers_set) {
        r.content_length_out = -1;
    }
    if (r.content_length_out < 0) {
        r.content_length_out = content_length;
    }
    if (r.content_type.empty() && !r.content_type_set && r.status != 304 &&
        (r.loc == nullptr || r.loc->lua_use_default_type != 0)) {
        r.content_type.append(http::mime_type_for(r, r.exten));  // empty: append, not assign
    }
    return http::send_header(r);
}

int end_output(Context& ctx, http::Request& r) {
    if (ctx.http10_buffering) {
        ctx.http10_buffering = false;
        std::string body = std::move(ctx.http10_out);
        ctx.http10_out.clear();
        if (send_header_if_needed(r, static_cast<int64_t>(body.size())) != http::kOk) {
            return http::kError;
        }
        return http::send_body(r, body, true);
    }
    if (send_header_if_needed(r) != http::kOk) {
        return http::kError;
    }
    return http::send_body(r, {}, true);
}

void inject_output(lua_State* L) {
    require_embedded(L, "tycho.output");
    lua_pushcfunction(L, ngx_say);
    lua_pushcfunction(L, ngx_print);
    lua_call(L, 2, 2);
    lua_setfield(L, -3, "print");
    lua_setfield(L, -2, "say");
    lua_pushcfunction(L, ngx_flush);
    lua_setfield(L, -2, "flush");
    lua_pushcfunction(L, ngx_eof);
    lua_setfield(L, -2, "eof");
    lua_pushcfunction(L, ngx_exit);
    lua_setfield(L, -2, "exit");
}

}  // namespace tycho::lua

// --- FFI half (lua/tycho/output.lua) ------------------------------------------------------------

namespace {

int ffi_output(const char* data, size_t len, bool newline) noexcept {
    using namespace tycho::lua;
    WorkerRuntime* rt = current_runtime();
    if (rt == nullptr) {
        return 0;
    }
    Context* ctx = rt->scheduler().current();
    if (ctx == nullptr || ctx->r == nullptr ||
        (static_cast<uint32_t>(ctx->phase) & kOutputPhases) == 0) {
        return 0;
    }
    tycho::http::Request& r = *ctx->r;
    // Output that would run Lua (the location's header filter, for the first output, or its body
    // filter) must not happen here: LuaJIT forbids re-entering the VM from a C function called
    // through the FFI (a crash). Declined: the classic C function does it.
    if (r.loc != nullptr && (r.loc->body_filter != nullptr ||
                             (r.loc->header_filter != nullptr && !r.header_sent))) {
        return 0;
    }
    if (int st = output_state(*ctx, r); st != kOutOk) {
        return -st;
    }
    try {
        std::string_view piece(data, len);
        if (newline) {
            std::string& out = rt->scratch();
            out.assign(data, len);
            out.push_back('\n');
            piece = out;
        }
        int rc = output_write(*ctx, r, piece);
        return rc == kOutOk ? 1 : -rc;
    } catch (const std::bad_alloc&) {
        return -3;
    }
}

}  // namespace

extern "C" {

// ngx.say(s) / ngx.print(s) for one string, in an output phase of a request. Returns 1
// (written), 0 (declined, nothing done: the Lua half calls the C function, which has the rules
// and error texts for every other case), or -1 "header only", -2 "seen eof", -3 "nginx output
// filter error" (lua/tycho/output.lua maps them). Two functions rather than one with a newline
// flag: interpreted code pays for each argument the FFI converts (~140 instructions apiece).
int tycho_ffi_say(const char* data, size_t len) noexcept { return ffi_output(data, len, true); }

int tycho_ffi_print(const char* data, size_t len) noexcept { return ffi_output(data, len, false); }

}  // extern "C"
