// Helpers shared by the request-bound API bindings: finding the running context and request,
// phase checks with lua-nginx-module's texts, and error-log lines for a context.

#include "lua/api_runtime.h"

#include <lua.hpp>
#include <string>
#include <string_view>

#include "core/log.h"
#include "http/http_log.h"
#include "lua/timers.h"
#include "lua/vm.h"

namespace tycho::lua {

Context* current_context() {
    WorkerRuntime* rt = current_runtime();
    return rt != nullptr ? rt->scheduler().current() : nullptr;
}

Context* api_context(lua_State* L) {
    Context* ctx = current_context();
    if (ctx == nullptr) {
        luaL_error(L, "no request found");
    }
    return ctx;
}

http::Request* api_request(lua_State* L, Context* ctx) {
    if (ctx->r == nullptr) {
        if (ctx->phase == Phase::kInit) {
            luaL_error(L, "no request object found");
        }
        // init_worker and timers have no request; the phase check names them.
        luaL_error(L, "API disabled in the context of %s", phase_context_name(ctx->phase));
    }
    return ctx->r;
}

std::string escape_log(const char* s, size_t len) {
    static const char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (size_t i = 0; i < len; i++) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
            out += "\\x";
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xf]);
        } else {
            out.push_back(static_cast<char>(c));
        }
    }
    return out;
}

void api_check_phase(lua_State* L, const Context* ctx, uint32_t allowed) {
    if ((static_cast<uint32_t>(ctx->phase) & allowed) == 0) {
        luaL_error(L, "API disabled in the context of %s", phase_context_name(ctx->phase));
    }
}

namespace {

// The error_log sinks of `ctx`'s lines; null for the main error log.
const std::vector<core::LogSink>* context_error_log(const Context* ctx) {
    if (ctx == nullptr) {
        return nullptr;
    }
    if (ctx->r != nullptr) {
        return http::request_error_log(*ctx->r);
    }
    if (ctx->timer && ctx->log_origin != 0) {
        if (TimerService* ts = current_runtime()->timer_service(); ts != nullptr) {
            return ts->origin_log(ctx->log_origin);
        }
    }
    return nullptr;
}

}  // namespace

bool log_enabled_for(const Context* ctx, core::LogLevel level) {
    const std::vector<core::LogSink>* sinks = context_error_log(ctx);
    return sinks != nullptr ? core::log_enabled_in(*sinks, level) : core::log_enabled(level);
}

void log_for(const Context* ctx, int level, const char* data, size_t len) {
    auto lvl = static_cast<core::LogLevel>(level);
    std::string_view msg(data, len);
    if (ctx != nullptr && ctx->r != nullptr) {
        if (ctx->phase == Phase::kLog) {
            // nginx's connection log action while the log phase runs.
            std::string line(msg);
            line += " while logging request";
            http::log_request(lvl, *ctx->r, line);
            return;
        }
        http::log_request(lvl, *ctx->r, msg);
    } else if (ctx != nullptr && ctx->timer) {
        // lua-nginx-module's timer log handler appends the context, then the client and
        // listening address of the request the timer came from; init_worker_by_lua* code (run
        // as a timer context in Tycho) has its own fake connection's handler.
        std::string line(msg);
        line += ctx->phase == Phase::kInitWorker ? ", context: init_worker_by_lua*"
                                                 : ", context: ngx.timer";
        if (ctx->log_origin != 0) {
            if (TimerService* ts = current_runtime()->timer_service(); ts != nullptr) {
                line += ts->origin_suffix(ctx->log_origin);
            }
        }
        if (const std::vector<core::LogSink>* sinks = context_error_log(ctx); sinks != nullptr) {
            core::log_error_to(*sinks, lvl, line, ctx->log_number);
        } else {
            core::log_error(lvl, line, ctx->log_number);
        }
    } else {
        core::log_error(lvl, msg);
    }
}

}  // namespace tycho::lua
