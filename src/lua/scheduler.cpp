// The scheduler: entry coroutines for request phases, their pool, posted resumes, and the
// translation of a phase's Lua outcome (returned, ngx.exit, error, suspended) into what the
// phase engine expects, after lua-nginx-module's ngx_http_lua_run_thread().

#include "lua/scheduler.h"

#include <lua.hpp>
#include <string>

#include "core/log.h"
#include "http/http_log.h"
#include "http/phases.h"
#include "http/response.h"
#include "lua/api_runtime.h"
#include "lua/lua_conf.h"
#include "lua/vm.h"

namespace tycho::lua {
namespace {

// Finished coroutines kept for reuse; more than this many idle ones are left to the GC.
constexpr size_t kMaxPooledThreads = 1024;

void cancel_posted(void*) {
    // Nothing to undo: the queued entry carries the context's generation, which release()
    // bumps, so it is skipped when it comes up.
}

// The error value of a failed coroutine or pcall as text, as lua-nginx-module shows it.
std::string error_text(lua_State* L, int idx) {
    size_t len = 0;
    if (lua_type(L, idx) == LUA_TSTRING || lua_type(L, idx) == LUA_TNUMBER) {
        const char* s = lua_tolstring(L, idx, &len);
        return std::string(s, len);
    }
    return "unknown reason";
}

const char* resume_error_kind(int status) {
    switch (status) {
        case LUA_ERRRUN:
            return "runtime error";
        case LUA_ERRSYNTAX:
            return "syntax error";
        case LUA_ERRMEM:
            return "memory allocation error";
        case LUA_ERRERR:
            return "error handler error";
        default:
            return "unknown error";
    }
}

// pcall message handler: the message plus "\nstack traceback:\n\t..." from the failing frame.
int traceback_handler(lua_State* L) {
    const char* msg = lua_tostring(L, 1);
    if (msg == nullptr) {
        msg = "unknown reason";
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

// Its address is the sentinel: unique, and pushing a light userdata allocates nothing.
char g_yield_sentinel;

}  // namespace

void* scheduler_yield_sentinel() {
    return &g_yield_sentinel;
}

int yield_to_scheduler(lua_State* L) {
    lua_pushlightuserdata(L, &g_yield_sentinel);
    return lua_yield(L, 1);
}

const char* phase_name(Phase phase) {
    switch (phase) {
        case Phase::kInit:
            return "init";
        case Phase::kInitWorker:
            return "init_worker";
        case Phase::kSet:
            return "set";
        case Phase::kRewrite:
            return "rewrite";
        case Phase::kAccess:
            return "access";
        case Phase::kContent:
            return "content";
        case Phase::kHeaderFilter:
            return "header_filter";
        case Phase::kBodyFilter:
            return "body_filter";
        case Phase::kLog:
            return "log";
        case Phase::kTimer:
            return "timer";
        case Phase::kExitWorker:
            return "exit_worker";
    }
    return "unknown";
}

const char* phase_context_name(Phase phase) {
    switch (phase) {
        case Phase::kInit:
            return "init_by_lua*";
        case Phase::kInitWorker:
            return "init_worker_by_lua*";
        case Phase::kSet:
            return "set_by_lua*";
        case Phase::kRewrite:
            return "rewrite_by_lua*";
        case Phase::kAccess:
            return "access_by_lua*";
        case Phase::kContent:
            return "content_by_lua*";
        case Phase::kHeaderFilter:
            return "header_filter_by_lua*";
        case Phase::kBodyFilter:
            return "body_filter_by_lua*";
        case Phase::kLog:
            return "log_by_lua*";
        case Phase::kTimer:
            return "ngx.timer";
        case Phase::kExitWorker:
            return "exit_worker_by_lua*";
    }
    return "(unknown)";
}

Scheduler::Scheduler(WorkerRuntime& rt, uv_loop_t* loop) : rt_(rt), loop_(loop) {
    anchor_ = std::shared_ptr<Scheduler>(this, [](Scheduler*) {});
    idle_ = new uv_idle_t;
    uv_idle_init(loop_, idle_);
    idle_->data = this;
}

Scheduler::~Scheduler() {
    for (auto& c : contexts_) {
        if (c->in_use && c->wait.active()) {
            Wait w = c->wait;
            c->wait = {};
            w.cancel(w.data);
        }
    }
    idle_->data = nullptr;
    uv_idle_stop(idle_);
    uv_close(reinterpret_cast<uv_handle_t*>(idle_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_idle_t*>(h); });
}

Context* Scheduler::acquire_context() {
    Context* c;
    if (!free_contexts_.empty()) {
        c = free_contexts_.back();
        free_contexts_.pop_back();
    } else {
        contexts_.push_back(std::make_unique<Context>());
        c = contexts_.back().get();
    }
    c->in_use = true;
    return c;
}

void Scheduler::recycle(Context& c) {
    uint32_t generation = c.generation + 1;
    c = Context{};
    c.generation = generation;
    free_contexts_.push_back(&c);
}

Context* Scheduler::request_context(http::Request& r) {
    if (r.module_ctx != nullptr) {
        return static_cast<Context*>(r.module_ctx.get());
    }
    Context* c = acquire_context();
    c->r = &r;
    r.module_ctx = std::shared_ptr<void>(anchor_, c);
    // Two pointers: fits std::function's inline storage, no allocation per request.
    http::add_request_cleanup(r, [this, c]() {
        if (c->in_use && c->r != nullptr) {
            c->r->module_ctx.reset();
            release(*c);
        }
    });
    return c;
}

void Scheduler::release(Context& ctx) {
    if (!ctx.in_use) {
        return;
    }
    if (ctx.running) {
        ctx.dead = true;
        return;
    }
    if (ctx.wait.active()) {
        Wait w = ctx.wait;
        ctx.wait = {};
        w.cancel(w.data);
    }
    drop_coroutine(ctx, false);
    if (ctx.ctx_ref != LUA_NOREF) {
        luaL_unref(rt_.state(), LUA_REGISTRYINDEX, ctx.ctx_ref);
    }
    recycle(ctx);
}

lua_State* Scheduler::acquire_thread(int* ref) {
    if (!free_threads_.empty()) {
        PooledThread t = free_threads_.back();
        free_threads_.pop_back();
        *ref = t.ref;
        return t.co;
    }
    lua_State* L = rt_.state();
    lua_State* co = lua_newthread(L);
    *ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return co;
}

void Scheduler::drop_coroutine(Context& ctx, bool reusable) {
    if (ctx.co == nullptr) {
        return;
    }
    // A coroutine that returned normally is back at status 0 with no frames and can run a new
    // function; one that failed or is suspended mid-function cannot.
    if (reusable && lua_status(ctx.co) == 0 && free_threads_.size() < kMaxPooledThreads) {
        lua_settop(ctx.co, 0);
        free_threads_.push_back(PooledThread{ctx.co, ctx.co_ref});
    } else {
        luaL_unref(rt_.state(), LUA_REGISTRYINDEX, ctx.co_ref);
    }
    ctx.co = nullptr;
    ctx.co_ref = LUA_NOREF;
}

int Scheduler::run_request_phase(http::Request& r, Phase phase, const LuaChunk& chunk) {
    Context* ctx = request_context(r);
    lua_State* L = rt_.state();
    std::string err;
    if (int status = rt_.push_chunk(chunk, err); status != 0) {
        http::log_request(core::LogLevel::kError, r, err);
        return r.header_sent ? http::kError : status;
    }
    ctx->phase = phase;
    ctx->chunk = &chunk;
    ctx->exited = false;
    ctx->exit_code = 0;
    int ref = LUA_NOREF;
    ctx->co = acquire_thread(&ref);
    ctx->co_ref = ref;
    lua_xmove(L, ctx->co, 1);
    return step(*ctx, 0);
}

int Scheduler::step(Context& ctx, int nargs) {
    Context* saved = current_;
    current_ = &ctx;
    ctx.running = true;
    int status = lua_resume(ctx.co, nargs);
    ctx.running = false;
    current_ = saved;
    if (ctx.dead) {
        // The request ended under the resume (its connection went away): nobody is left to
        // tell; finish the release the cleanup deferred.
        ctx.dead = false;
        release(ctx);
        return http::kDone;
    }
    if (status == LUA_YIELD) {
        if (ctx.exited) {
            return finish_exit(ctx);
        }
        // The yielded values (the sentinel, or a bare yield's values) are not results: the
        // next resume passes only what the completed wait pushes.
        lua_settop(ctx.co, 0);
        if (!ctx.wait.active()) {
            // A bare coroutine.yield() in the entry coroutine: continue from the loop, as
            // lua-nginx-module does, instead of hanging.
            post_resume(ctx);
        }
        return http::kAgain;
    }
    if (status == 0) {
        return finish_ok(ctx);
    }
    return finish_error(ctx, status);
}

int Scheduler::finish_ok(Context& ctx) {
    drop_coroutine(ctx, true);
    http::Request& r = *ctx.r;
    if (ctx.phase == Phase::kContent || r.header_sent) {
        // Content ends the response; rewrite/access code that already sent the header must
        // not let later phases produce a second response.
        if (!ctx.eof) {
            ctx.eof = true;
            if (send_header_if_needed(r) != http::kOk ||
                http::send_body(r, {}, true) != http::kOk) {
                return http::kError;
            }
        }
        return ctx.phase == Phase::kContent ? http::kOk : http::kDone;
    }
    return http::kDeclined;
}

int Scheduler::finish_exit(Context& ctx) {
    drop_coroutine(ctx, false);
    http::Request& r = *ctx.r;
    if (!ctx.exec_uri.empty()) {
        return finish_exec(ctx);
    }
    int code = ctx.exit_code;
    if (code == http::kError) {
        return http::kError;
    }
    bool ends_response = (code == http::kOk && (ctx.phase == Phase::kContent || r.header_sent)) ||
                         (code >= 200 && code < 300 && code != 204) || code == http::kDone;
    if (ends_response) {
        if (!ctx.eof) {
            ctx.eof = true;
            if (send_header_if_needed(r) != http::kOk ||
                http::send_body(r, {}, true) != http::kOk) {
                return http::kError;
            }
        }
        return ctx.phase == Phase::kContent ? http::kOk : http::kDone;
    }
    if (code == http::kOk) {
        return http::kDeclined;  // rewrite/access: quit this phase, go on with the next
    }
    if (code >= 100) {
        return code;
    }
    return http::kError;
}

int Scheduler::finish_exec(Context& ctx) {
    http::Request& r = *ctx.r;
    std::string uri = std::move(ctx.exec_uri);
    std::string args = std::move(ctx.exec_args);
    ctx.exec_uri.clear();
    ctx.exec_args.clear();
    // nginx clears every module context on an internal redirect: ngx.ctx starts empty.
    if (ctx.ctx_ref != LUA_NOREF) {
        luaL_unref(rt_.state(), LUA_REGISTRYINDEX, ctx.ctx_ref);
        ctx.ctx_ref = LUA_NOREF;
    }
    if (uri[0] == '@' && !args.empty()) {
        http::log_request(core::LogLevel::kWarn, r,
                          "query strings " + args + " ignored when exec'ing named location " + uri);
        args.clear();
    }
    int rc = http::internal_redirect(r, uri, args);
    return rc == http::kOk ? http::kDone : rc;
}

int Scheduler::finish_error(Context& ctx, int status) {
    lua_State* co = ctx.co;
    lua_State* L = rt_.state();
    std::string msg = error_text(co, -1);
    luaL_traceback(L, co, nullptr, 0);
    size_t tlen = 0;
    const char* tb = lua_tolstring(L, -1, &tlen);
    std::string trace(tb != nullptr ? tb : "", tlen);
    lua_pop(L, 1);
    // lua-nginx-module names the failing coroutine: "stack traceback:\ncoroutine 0:\n\t...".
    constexpr std::string_view kHead = "stack traceback:";
    if (trace.compare(0, kHead.size(), kHead) == 0) {
        trace.insert(kHead.size(), "\ncoroutine 0:");
    }
    std::string line = "lua entry thread aborted: ";
    line += resume_error_kind(status);
    line += ": ";
    line += msg;
    line += '\n';
    line += trace;
    drop_coroutine(ctx, false);
    http::Request& r = *ctx.r;
    http::log_request(core::LogLevel::kError, r, line);
    if (r.header_sent) {
        return http::kError;
    }
    return 500;
}

bool Scheduler::call_unyieldable(http::Request* r, Phase phase, const LuaChunk& chunk, int nargs,
                                 int nresults) {
    lua_State* L = rt_.state();
    Context local;
    Context* ctx = r != nullptr ? request_context(*r) : &local;
    std::string err;
    int base = lua_gettop(L) - nargs + 1;  // where the message handler goes
    lua_pushcfunction(L, traceback_handler);
    lua_insert(L, base);
    if (rt_.push_chunk(chunk, err) != 0) {
        lua_settop(L, base - 1);
        log_for(ctx, static_cast<int>(core::LogLevel::kError), err.data(), err.size());
        return false;
    }
    lua_insert(L, base + 1);
    const LuaChunk* saved_chunk = ctx->chunk;
    Phase saved_phase = ctx->phase;
    bool saved_running = ctx->running;
    ctx->phase = phase;
    ctx->chunk = &chunk;
    Context* saved = current_;
    current_ = ctx;
    ctx->running = true;
    int status = lua_pcall(L, nargs, nresults, base);
    ctx->running = saved_running;
    current_ = saved;
    ctx->chunk = saved_chunk;
    ctx->phase = saved_phase;
    bool ok = status == 0;
    if (!ok) {
        std::string line;
        switch (phase) {
            case Phase::kLog:
                line = "failed to run log_by_lua*: ";
                break;
            case Phase::kInit:
                line = "init_by_lua error: ";
                break;
            case Phase::kInitWorker:
                line = "init_worker_by_lua error: ";
                break;
            case Phase::kExitWorker:
                line = "exit_worker_by_lua error: ";
                break;
            default:
                line = std::string("failed to run ") + phase_context_name(phase) + ": ";
                break;
        }
        line += error_text(L, -1);
        lua_pop(L, 1);
        log_for(ctx, static_cast<int>(core::LogLevel::kError), line.data(), line.size());
    }
    lua_remove(L, base);  // the message handler
    if (ctx == &local) {
        if (local.ctx_ref != LUA_NOREF) {
            luaL_unref(L, LUA_REGISTRYINDEX, local.ctx_ref);
        }
    } else if (ctx->dead && !ctx->running) {
        ctx->dead = false;
        release(*ctx);
    }
    return ok;
}

void Scheduler::resume(Context& ctx, int nargs) {
    if (!ctx.in_use || ctx.co == nullptr || ctx.running) {
        return;
    }
    int rc = step(ctx, nargs);
    if (rc == http::kAgain) {
        return;
    }
    complete_async(ctx, rc);
}

void Scheduler::complete_async(Context& ctx, int rc) {
    if (!ctx.in_use || ctx.r == nullptr) {
        return;
    }
    http::Request& r = *ctx.r;
    if (ctx.phase == Phase::kContent) {
        http::finalize_request(r, rc);
    } else {
        http::resume_phases(r, rc);
    }
}

void Scheduler::post_resume(Context& ctx) {
    posted_.push_back(Posted{&ctx, ctx.generation});
    ctx.wait = Wait{cancel_posted, &ctx};
    if (!idle_active_) {
        idle_active_ = true;
        uv_idle_start(idle_, on_idle);
    }
}

void Scheduler::on_idle(uv_idle_t* handle) {
    auto* self = static_cast<Scheduler*>(handle->data);
    if (self != nullptr) {
        self->run_posted();
    }
}

void Scheduler::run_posted() {
    // Only what was queued before this turn: events posted by these resumes wait for the next
    // loop iteration, so a ngx.sleep(0) loop still lets I/O in.
    size_t n = posted_.size();
    for (size_t i = 0; i < n && !posted_.empty(); i++) {
        Posted p = posted_.front();
        posted_.pop_front();
        Context& ctx = *p.ctx;
        if (ctx.generation != p.generation || !ctx.in_use || ctx.wait.cancel != cancel_posted) {
            continue;
        }
        ctx.wait = {};
        resume(ctx, 0);
    }
    if (posted_.empty() && idle_active_) {
        idle_active_ = false;
        uv_idle_stop(idle_);
    }
}

}  // namespace tycho::lua
