// The scheduler: entry coroutines for request phases, their pool, posted resumes, and the
// translation of a phase's Lua outcome (returned, ngx.exit, error, suspended) into what the
// phase engine expects, after lua-nginx-module's ngx_http_lua_run_thread().

#include "lua/scheduler.h"

#include <lua.hpp>
#include <string>

#include "core/log.h"
#include "http/connection.h"
#include "http/http_log.h"
#include "http/phases.h"
#include "http/response.h"
#include "lua/api.h"
#include "lua/api_runtime.h"
#include "lua/lua_conf.h"
#include "lua/vm.h"

namespace tycho::lua {
namespace {

void cancel_posted(void*) {
    // Nothing to undo: the queued entry carries the context's generation, which release()
    // bumps, so it is skipped when it comes up.
}

}  // namespace

// A caller of ngx.thread.spawn waiting in its context's posted threads goes away (killed, or
// its context ends): it leaves the list.
void cancel_spawn_posted(void* data) {
    auto* t = static_cast<LuaThread*>(data);
    if (t->posted && t->ctx != nullptr) {
        Scheduler::unpost_thread(*t->ctx, *t);
    }
}

namespace {

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
    push_traceback(L, L, msg, 1);
    return 1;
}

// push_traceback's text for `co`, from its top frame.
std::string traceback_text(lua_State* L, lua_State* co) {
    push_traceback(L, co, nullptr, 0);
    size_t tlen = 0;
    const char* tb = lua_tolstring(L, -1, &tlen);
    std::string trace(tb != nullptr ? tb : "", tlen);
    lua_pop(L, 1);
    return trace;
}

// The coroutines (innermost first) whose error `co` raised again through coroutine.wrap, as
// tycho.coroutine recorded them in guard.wrap_chain (which this clears), or none. A chain whose
// error was caught stays until the next one; it is taken only by the thread that raised it last
// and for the very same error value.
std::vector<lua_State*> wrap_chain(lua_State* L, lua_State* co, int guard_ref) {
    std::vector<lua_State*> chain;
    if (guard_ref < 0 || lua_gettop(co) == 0) {
        return chain;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, guard_ref);
    lua_getfield(L, -1, "wrap_chain");
    if (lua_istable(L, -1)) {
        lua_getfield(L, -1, "n");
        int n = static_cast<int>(lua_tointeger(L, -1));
        lua_pop(L, 1);
        lua_rawgeti(L, -1, n);
        lua_getfield(L, -2, "err");
        lua_pushvalue(co, -1);  // the error value `co` ended with
        lua_xmove(co, L, 1);
        bool ours = lua_tothread(L, -3) == co && lua_rawequal(L, -1, -2) != 0;
        lua_pop(L, 3);
        for (int i = 1; ours && i < n; i++) {
            lua_rawgeti(L, -1, i);
            if (lua_State* c = lua_tothread(L, -1); c != nullptr) {
                chain.push_back(c);
            }
            lua_pop(L, 1);
        }
        if (ours) {
            lua_pushnil(L);
            lua_setfield(L, -3, "wrap_chain");
        }
    }
    lua_pop(L, 2);
    return chain;
}

std::string thread_error_line(lua_State* L, lua_State* co, int status, const char* what,
                              int guard_ref) {
    std::string msg = error_text(co, -1);
    std::string trace = traceback_text(L, co);
    // lua-nginx-module names the failing coroutine: "stack traceback:\ncoroutine 0:\n\t...",
    // and when the error came up through coroutine.wrap, the coroutines it left first.
    constexpr std::string_view kHead = "stack traceback:";
    if (trace.compare(0, kHead.size(), kHead) == 0) {
        std::string sections;
        int k = 0;
        for (lua_State* c : wrap_chain(L, co, guard_ref)) {
            std::string frames = traceback_text(L, c);
            if (frames.compare(0, kHead.size(), kHead) == 0) {
                frames.erase(0, kHead.size());
            }
            sections += "\ncoroutine " + std::to_string(k++) + ":" + frames;
        }
        trace.insert(kHead.size(), sections + "\ncoroutine " + std::to_string(k) + ":");
    }
    std::string line = what;
    line += resume_error_kind(status);
    line += ": ";
    line += msg;
    line += '\n';
    line += trace;
    return line;
}

// init_worker_by_lua* code that failed after a yield: the line it logs when it fails at once
// (call_unyieldable), "init_worker_by_lua error: <message>\nstack traceback:...".
std::string init_worker_error_line(lua_State* L, lua_State* co) {
    return "init_worker_by_lua error: " + error_text(co, -1) + '\n' + traceback_text(L, co);
}

// Undoes a thread's pending wait, once (the hook may free what `data` points to).
void drop_wait(LuaThread& t) {
    if (t.wait.active()) {
        Wait w = t.wait;
        t.wait = {};
        w.cancel(w.data);
    }
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
        case Phase::kServerRewrite:
            return "server_rewrite";
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
        case Phase::kServerRewrite:
            return "server_rewrite_by_lua*";
    }
    return "(unknown)";
}

Scheduler::Scheduler(WorkerRuntime& rt, uv_loop_t* loop) : rt_(rt), loop_(loop) {
    idle_ = new uv_idle_t;
    uv_idle_init(loop_, idle_);
    idle_->data = this;
}

Scheduler::~Scheduler() {
    // The VM is about to close: only the C side of pending waits (timers, queue entries) needs
    // undoing; the coroutines go with the VM.
    for (auto& c : contexts_) {
        if (!c->in_use) {
            continue;
        }
        if (c->entry != nullptr) {
            drop_wait(*c->entry);
        }
        for (LuaThread* t = c->threads; t != nullptr; t = t->next) {
            drop_wait(*t);
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
    if (c.log_origin != 0) {
        if (TimerService* ts = rt_.timer_service(); ts != nullptr) {
            ts->unref_origin(c.log_origin);
        }
    }
    c.reset();
    free_contexts_.push_back(&c);
}

Context* Scheduler::request_context(http::Request& r) {
    if (r.module_ctx != nullptr) {
        return static_cast<Context*>(r.module_ctx);
    }
    // lua_code_cache off: a fresh start only when no other request runs; one that waits keeps
    // the modules and globals it has (lua-nginx-module's requests each have their own VM).
    if (!rt_.conf().code_cache && request_contexts_ == 0) {
        rt_.fresh_request_state();
    }
    Context* c = acquire_context();
    c->r = &r;
    r.module_ctx = c;
    request_contexts_++;
    http::add_request_cleanup(
        r,
        [](void* sched, void* ctx) {
            static_cast<Scheduler*>(sched)->request_done(*static_cast<Context*>(ctx));
        },
        this, c);
    return c;
}

void Scheduler::request_done(Context& c) {
    if (c.in_use && c.r != nullptr) {
        if (c.running == 0 && c.defer_ref != LUA_NOREF) {
            (void)run_defers(c, false);  // after the log phase, the request readable
        }
        c.r->module_ctx = nullptr;
        request_contexts_--;
        release(c);
    }
}

void Scheduler::release(Context& ctx) {
    if (!ctx.in_use) {
        return;
    }
    if (ctx.running > 0) {
        ctx.dead = true;
        return;
    }
    if (ctx.defer_ref != LUA_NOREF && !ctx.in_defers) {
        // Released before its deferred functions ran (the request went away under a resume):
        // they still run, without the request.
        ctx.r = nullptr;
        (void)run_defers(ctx, false);
    }
    kill_threads(ctx, nullptr);
    lua_State* L = rt_.state();
    if (ctx.ctx_ref != LUA_NOREF) {
        luaL_unref(L, LUA_REGISTRYINDEX, ctx.ctx_ref);
    }
    if (ctx.defer_ref != LUA_NOREF) {
        luaL_unref(L, LUA_REGISTRYINDEX, ctx.defer_ref);
    }
    if (ctx.on_abort_ref != LUA_NOREF) {
        luaL_unref(L, LUA_REGISTRYINDEX, ctx.on_abort_ref);
    }
    recycle(ctx);
}

LuaThread* Scheduler::new_thread(Context& ctx, bool entry, bool pooled_co) {
    if (free_thread_objs_.empty()) {
        constexpr size_t kChunk = 64;
        thread_chunks_.push_back(std::make_unique<LuaThread[]>(kChunk));
        LuaThread* chunk = thread_chunks_.back().get();
        if (by_index_.empty()) {
            by_index_.push_back(nullptr);  // index 0 is never used
        }
        for (size_t i = 0; i < kChunk; i++) {
            chunk[i].index = next_index_++;
            by_index_.push_back(&chunk[i]);
        }
        for (size_t i = kChunk; i > 0; i--) {
            free_thread_objs_.push_back(&chunk[i - 1]);
        }
    }
    LuaThread* t = free_thread_objs_.back();
    free_thread_objs_.pop_back();
    t->ctx = &ctx;
    t->entry = entry;
    t->state = LuaThread::State::kAlive;
    if (!entry) {
        return t;  // spawn() makes the coroutine, anchored by the light-thread table
    }
    if (pooled_co && !free_threads_.empty()) {
        PooledThread p = free_threads_.back();
        free_threads_.pop_back();
        t->co = p.co;
        t->co_ref = p.ref;
    } else {
        lua_State* L = rt_.state();
        t->co = lua_newthread(L);
        t->co_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    return t;
}

void Scheduler::free_thread(LuaThread& t, bool reusable_co) {
    drop_wait(t);
    if (t.hold_n > 0) {
        drop_results(t);
    }
    if (!t.entry && t.co != nullptr) {
        // No longer anchored; the generation bump below makes its light-table entry say dead.
        lua_State* L = rt_.state();
        lua_settop(t.co, 0);  // results nobody took
        lua_rawgeti(L, LUA_REGISTRYINDEX, anchors_ref_);
        if (!t.listed) {
            // It never yielded, so it has ended: no code runs in its coroutine again, whose
            // environment now says "reaped" (find_light) at the cost of a pointer store.
            lua_rawgeti(L, -1, static_cast<int>(t.index));
            lua_rawgeti(L, LUA_REGISTRYINDEX, reaped_env_ref_);
            lua_setfenv(L, -2);
            lua_pop(L, 1);
        }
        lua_pushnil(L);
        lua_rawseti(L, -2, static_cast<int>(t.index));
        lua_pop(L, 1);
    }
    if (t.co_ref != LUA_NOREF) {
        // A coroutine that returned normally is back at status 0 with no frames and can run a
        // new function; one that failed or is suspended mid-function cannot. Light threads'
        // coroutines are never reused: user code holds them as thread objects.
        // More idle ones than lua_thread_cache_max_entries are left to the GC.
        if (reusable_co && t.entry && lua_status(t.co) == 0 &&
            free_threads_.size() < static_cast<size_t>(rt_.conf().thread_cache_max_entries)) {
            lua_settop(t.co, 0);
            free_threads_.push_back(PooledThread{t.co, t.co_ref});
        } else {
            luaL_unref(rt_.state(), LUA_REGISTRYINDEX, t.co_ref);
        }
    }
    uint32_t generation = t.generation + 1;
    uint32_t index = t.index;
    t = LuaThread{};
    t.generation = generation;
    t.index = index;
    free_thread_objs_.push_back(&t);
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
    ctx->entry_status = -1;
    LuaThread* t = new_thread(*ctx, true, true);
    ctx->entry = t;
    lua_xmove(L, t->co, 1);
    return step(*t, 0);
}

bool Scheduler::run_timer(int nargs, DoneHook done, void* done_data, uint32_t log_origin,
                          uint64_t log_number, Phase phase) {
    lua_State* L = rt_.state();
    Context* ctx = acquire_context();
    ctx->timer = true;
    ctx->log_origin = log_origin;
    ctx->log_number = log_number;
    ctx->phase = phase;
    ctx->done = done;
    ctx->done_data = done_data;
    LuaThread* t = new_thread(*ctx, true, true);
    ctx->entry = t;
    lua_xmove(L, t->co, nargs + 1);
    timer_contexts_++;
    (void)step(*t, nargs);
    return true;
}

int Scheduler::step(LuaThread& t, int nargs) {
    Context& ctx = *t.ctx;
    Context* saved = current_;
    LuaThread* saved_thread = current_thread_;
    current_ = &ctx;
    current_thread_ = &t;
    ctx.running++;
    int status = lua_resume(t.co, nargs);
    ctx.running--;
    current_ = saved;
    current_thread_ = saved_thread;
    bool nested = ctx.running > 0;  // a light thread run by ngx.thread.spawn
    if (ctx.dead) {
        if (nested) {
            return http::kAgain;  // the outermost resume of the context releases it
        }
        // The request ended under the resume (its connection went away): nobody is left to
        // tell; finish the release the cleanup deferred.
        ctx.dead = false;
        release(ctx);
        return http::kDone;
    }
    if (status == LUA_YIELD) {
        if (!t.entry && !t.listed) {
            list_light(t);  // suspended while alive: user code must not resume it
        }
        if (ctx.exited) {
            // ngx.exit in any thread ends them all, once no resume of the context is running.
            return nested ? http::kAgain : finish_exit(ctx);
        }
        // The yielded values (the sentinel, or a bare yield's values) are not results: the
        // next resume passes only what the completed wait pushes.
        lua_settop(t.co, 0);
        if (!t.wait.active()) {
            // A bare coroutine.yield() in a thread. lua-nginx-module queues it behind the
            // threads already posted in the context (the callers of ngx.thread.spawn waiting
            // for their turn), so that threads yielding to each other take turns; with none
            // posted it goes on from the loop here (there, at once), instead of hanging.
            if (ctx.posted_head != nullptr) {
                post_thread(ctx, t);
                t.wait = Wait{cancel_spawn_posted, &t};
            } else {
                post_delayed(t);
            }
        }
        if (!nested && ctx.posted_head != nullptr && !ctx.draining) {
            return drain_posted(ctx);
        }
        return http::kAgain;
    }
    uint32_t generation = ctx.generation;
    int rc = thread_ended(t, status);
    if (rc == http::kAgain && !nested && ctx.generation == generation &&
        ctx.posted_head != nullptr && !ctx.draining) {
        return drain_posted(ctx);
    }
    return rc;
}

void Scheduler::post_thread(Context& ctx, LuaThread& t) {
    t.posted = true;
    t.posted_next = nullptr;
    if (ctx.posted_tail != nullptr) {
        ctx.posted_tail->posted_next = &t;
    } else {
        ctx.posted_head = &t;
    }
    ctx.posted_tail = &t;
}

void Scheduler::unpost_thread(Context& ctx, LuaThread& t) {
    LuaThread* prev = nullptr;
    for (LuaThread* p = ctx.posted_head; p != nullptr; prev = p, p = p->posted_next) {
        if (p == &t) {
            (prev != nullptr ? prev->posted_next : ctx.posted_head) = t.posted_next;
            if (ctx.posted_tail == &t) {
                ctx.posted_tail = prev;
            }
            break;
        }
    }
    t.posted = false;
    t.posted_next = nullptr;
    t.spawn_child = nullptr;
}

int Scheduler::drain_posted(Context& ctx) {
    // Each one gets the thread object its ngx.thread.spawn returns (lua-nginx-module resumes
    // the posted parent with it) and runs until it yields or ends; it may post itself again.
    uint32_t generation = ctx.generation;
    ctx.draining = true;
    int rc = http::kAgain;
    while (ctx.posted_head != nullptr) {
        LuaThread& p = *ctx.posted_head;
        LuaThread* child = p.spawn_child;
        unpost_thread(ctx, p);
        p.wait = {};
        int nargs = 0;
        if (child != nullptr) {  // (none for a thread posted by its own coroutine.yield)
            lua_State* L = rt_.state();
            lua_rawgeti(L, LUA_REGISTRYINDEX, anchors_ref_);
            lua_rawgeti(L, -1, static_cast<int>(child->index));
            lua_remove(L, -2);
            lua_xmove(L, p.co, 1);
            nargs = 1;
        }
        rc = step(p, nargs);
        if (ctx.generation != generation) {
            return rc;  // the context ended (and was released) on the way
        }
        if (rc != http::kAgain) {
            break;
        }
    }
    ctx.draining = false;
    return rc;
}

int Scheduler::thread_ended(LuaThread& t, int status) {
    Context& ctx = *t.ctx;
    bool nested = ctx.running > 0;
    if (t.entry) {
        if (status != 0) {
            std::string line =
                ctx.phase == Phase::kInitWorker
                    ? init_worker_error_line(rt_.state(), t.co)
                    : thread_error_line(rt_.state(), t.co, status, "lua entry thread aborted: ",
                                        coroutine_guard_ref_);
            ctx.entry = nullptr;
            free_thread(t, false);
            kill_threads(ctx, nullptr);
            return finish_error(ctx, status, line);
        }
        orphan_children(t);  // its coroutine goes back to the pool
        ctx.entry = nullptr;
        ctx.entry_status = 0;
        free_thread(t, true);
        if (ctx.alive_threads > 0) {
            return http::kAgain;
        }
        return context_done(ctx);
    }
    lua_State* co = t.co;
    if (status != 0) {
        std::string line =
            thread_error_line(rt_.state(), co, status, "lua user thread aborted: ",
                              coroutine_guard_ref_);
        log_for(&ctx, static_cast<int>(core::LogLevel::kError), line.data(), line.size());
        // What ngx.thread.wait returns for it: false and what the error left on the stack, as
        // lua-nginx-module does: for error("msg") that is "msg" (error's own argument), then
        // the message with its position.
        lua_pushboolean(co, 0);
        lua_insert(co, 1);
    } else {
        lua_pushboolean(co, 1);
        lua_insert(co, 1);
    }
    t.state = LuaThread::State::kZombie;
    ctx.alive_threads--;
    orphan_children(t);
    LuaThread* p = t.waiter;
    if (p != nullptr && p->state == LuaThread::State::kAlive) {
        // The parent sits in ngx.thread.wait: it gets this thread's results (posted).
        if (p->waiting_on > 1) {
            for (LuaThread* c = ctx.threads; c != nullptr; c = c->next) {
                if (c->waiter == p) {
                    c->waiter = nullptr;
                }
            }
        }
        t.waiter = nullptr;
        p->waiting_on = 0;
        p->wait = {};
        int n = lua_gettop(co);
        lua_xmove(co, p->co, n);
        bury(t);
        if (!nested) {
            // lua-nginx-module resumes the waiting parent at once, in the same run, before
            // anything queued or posted meanwhile.
            return step(*p, n);
        }
        post_resume(*p, n);
    } else {
        hold_results(t);
    }
    if (ctx.alive_threads == 0 && ctx.entry == nullptr && !nested) {
        return context_done(ctx);
    }
    return http::kAgain;
}

void Scheduler::orphan_children(LuaThread& t) {
    if (!t.spawned) {
        return;
    }
    for (LuaThread* c = t.ctx->threads; c != nullptr; c = c->next) {
        if (c->parent_co == t.co) {
            c->parent_co = nullptr;  // orphans run on; nobody can wait for them any more
        }
    }
}

void Scheduler::bury(LuaThread& t) {
    unlink(t);
    free_thread(t, false);
}

void Scheduler::link(LuaThread& t) {
    Context& ctx = *t.ctx;
    t.prev = nullptr;
    t.next = ctx.threads;
    if (ctx.threads != nullptr) {
        ctx.threads->prev = &t;
    }
    ctx.threads = &t;
}

void Scheduler::unlink(LuaThread& t) {
    Context& ctx = *t.ctx;
    if (t.prev != nullptr) {
        t.prev->next = t.next;
    } else {
        ctx.threads = t.next;
    }
    if (t.next != nullptr) {
        t.next->prev = t.prev;
    }
    t.next = t.prev = nullptr;
}

void Scheduler::kill_threads(Context& ctx, LuaThread* except) {
    if (ctx.entry != nullptr && ctx.entry != except) {
        LuaThread* e = ctx.entry;
        ctx.entry = nullptr;
        free_thread(*e, false);
    }
    LuaThread* t = ctx.threads;
    while (t != nullptr) {
        LuaThread* next = t->next;
        if (t != except) {
            if (t->state == LuaThread::State::kAlive) {
                ctx.alive_threads--;
            }
            unlink(*t);
            free_thread(*t, false);
        }
        t = next;
    }
}

int Scheduler::context_done(Context& ctx) {
    if (!ctx.timer) {
        return ctx.exited ? finish_exit(ctx) : finish_ok(ctx);
    }
    if (!ctx.in_defers && ctx.defer_ref != LUA_NOREF) {
        return run_defers(ctx, true);
    }
    timer_finished(ctx);
    return http::kDone;
}

void Scheduler::timer_finished(Context& ctx) {
    DoneHook done = ctx.done;
    void* data = ctx.done_data;
    bool ok = !ctx.failed;
    timer_contexts_--;
    ctx.in_defers = true;  // nothing left to run
    release(ctx);
    if (done != nullptr) {
        done(data, ok);
    }
}

void Scheduler::abort_timers() {
    for (size_t i = 0; i < contexts_.size(); i++) {
        Context& c = *contexts_[i];
        if (c.in_use && c.timer && c.running == 0) {
            kill_threads(c, nullptr);
            c.failed = true;
            if (c.defer_ref != LUA_NOREF && !c.in_defers) {
                (void)run_defers(c, false);  // no more waiting: they run without yielding
            }
            timer_finished(c);
        }
    }
}

int Scheduler::finish_ok(Context& ctx) {
    http::Request& r = *ctx.r;
    if (ctx.phase == Phase::kContent || r.header_sent) {
        // Content ends the response; rewrite/access code that already sent the header must
        // not let later phases produce a second response.
        if (!ctx.eof) {
            ctx.eof = true;
            if (end_output(ctx, r) != http::kOk) {
                return http::kError;
            }
        }
        return ctx.phase == Phase::kContent ? http::kOk : http::kDone;
    }
    return http::kDeclined;
}

int Scheduler::finish_exit(Context& ctx) {
    kill_threads(ctx, nullptr);
    if (ctx.timer) {
        // ngx.exit in a timer ends the timer's run (its threads with it).
        ctx.exited = false;
        return context_done(ctx);
    }
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
    if (ctx.http10_buffering && code != 408 && code != 444 && code != 499) {
        // Output held for an HTTP/1.0 client goes out whatever the code, with the status it had
        // at the first output (lua-nginx-module sets 200 there unless one was set).
        if (r.status == 0) {
            r.status = 200;
        }
        ends_response = true;
    }
    if (ends_response) {
        // ngx.exit(201) answers 201 unless ngx.status chose a status already (OpenResty).
        if (code > 200 && code < 300 && !r.header_sent && r.status == 0) {
            r.status = code;
        }
        if (!ctx.eof) {
            ctx.eof = true;
            if (end_output(ctx, r) != http::kOk) {
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
    ctx.http10_buffering = false;  // output held before ngx.exec is not the new location's
    ctx.http10_out.clear();
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

int Scheduler::finish_error(Context& ctx, int status, const std::string& line) {
    (void)status;
    if (ctx.phase == Phase::kInitWorker) {
        // As when it fails without yielding: lua-nginx-module logs it on the cycle's log,
        // without the fake connection's context.
        core::log_error(core::LogLevel::kError, line);
    } else {
        log_for(&ctx, static_cast<int>(core::LogLevel::kError), line.data(), line.size());
    }
    if (ctx.timer) {
        ctx.failed = true;
        return context_done(ctx);
    }
    http::Request& r = *ctx.r;
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
    ctx->phase = phase;
    ctx->chunk = &chunk;
    Context* saved = current_;
    LuaThread* saved_thread = current_thread_;
    current_ = ctx;
    current_thread_ = nullptr;
    bool guard = coroutine_guard_ref_ >= 0 &&
                 (phase == Phase::kSet || phase == Phase::kLog || phase == Phase::kExitWorker);
    if (guard) {
        // Saved (a set_by_lua* may run inside another guarded phase's code) and restored.
        lua_rawgeti(L, LUA_REGISTRYINDEX, coroutine_guard_ref_);
        lua_getfield(L, -1, "disabled");
        lua_pushstring(L, phase_context_name(phase));
        lua_setfield(L, -3, "disabled");
        lua_insert(L, base);      // the saved value, below the message handler
        lua_insert(L, base);      // the table, below it
        base += 2;
    }
    ctx->running++;
    int status = lua_pcall(L, nargs, nresults, base);
    ctx->running--;
    if (guard) {
        // [table, saved, handler, results...]: restore, then drop the two.
        lua_pushvalue(L, base - 1);
        lua_setfield(L, base - 2, "disabled");
        lua_remove(L, base - 2);
        lua_remove(L, base - 2);
        base -= 2;
    }
    current_ = saved;
    current_thread_ = saved_thread;
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
        if (local.defer_ref != LUA_NOREF) {
            luaL_unref(L, LUA_REGISTRYINDEX, local.defer_ref);
        }
    } else if (ctx->dead && ctx->running == 0) {
        ctx->dead = false;
        release(*ctx);
    }
    return ok;
}

void Scheduler::resume(LuaThread& t, int nargs) {
    if (t.state != LuaThread::State::kAlive || t.co == nullptr) {
        return;
    }
    Context& ctx = *t.ctx;
    if (!ctx.in_use) {
        return;
    }
    if (ctx.running > 0) {
        // Completed from inside a resume of the same context: run it from the loop instead.
        post_resume(t, nargs);
        return;
    }
    uint32_t generation = ctx.generation;
    int rc = step(t, nargs);
    if (rc == http::kAgain || ctx.generation != generation) {
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

void Scheduler::post_resume(LuaThread& t, int nargs) {
    posted_.push_back(Posted{&t, t.generation});
    t.resume_nargs = nargs;
    t.wait = Wait{cancel_posted, &t};
    if (!idle_active_) {
        idle_active_ = true;
        uv_idle_start(idle_, on_idle);
    }
}

void Scheduler::post_event(void (*fn)(void* data), void* data) {
    posted_.push_back(Posted{nullptr, 0, fn, data});
    if (!idle_active_) {
        idle_active_ = true;
        uv_idle_start(idle_, on_idle);
    }
}

void Scheduler::post_delayed(LuaThread& t) {
    delayed_.push_back(Posted{&t, t.generation});
    t.resume_nargs = 0;
    t.wait = Wait{cancel_posted, &t};
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
    // Delayed events queued before this turn join the queue; posted events, including those
    // the resumes below post, run until none is left (nginx's posted events), but at most
    // kPostedBudget per turn so that threads waking each other forever cannot starve I/O.
    constexpr size_t kPostedBudget = 1 << 16;
    rt_.timers().run_due();
    size_t nd = delayed_.size();
    for (size_t i = 0; i < nd; i++) {
        posted_.push_back(delayed_.pop_front());
    }
    for (size_t i = 0; i < kPostedBudget && !posted_.empty(); i++) {
        Posted p = posted_.pop_front();
        if (p.thread == nullptr) {
            p.fn(p.data);
            continue;
        }
        LuaThread& t = *p.thread;
        if (t.generation != p.generation || t.state != LuaThread::State::kAlive ||
            t.wait.cancel != cancel_posted) {
            continue;
        }
        t.wait = {};
        resume(t, t.resume_nargs);
    }
    if (posted_.empty() && delayed_.empty() && idle_active_) {
        idle_active_ = false;
        uv_idle_stop(idle_);
    }
}

// ---------------------------------------------------------------- light threads ----

namespace {

void cancel_thread_wait(void* data) {
    // The waiting parent goes away: its children no longer report to it.
    auto* self = static_cast<LuaThread*>(data);
    for (LuaThread* c = self->ctx->threads; c != nullptr; c = c->next) {
        if (c->waiter == self) {
            c->waiter = nullptr;
        }
    }
    self->waiting_on = 0;
}

}  // namespace

// anchors[index] = co keeps a light thread's coroutine (the value at `idx` of L) alive while it
// runs or waits to be waited for (user code may drop it). The light-thread table gets it only
// if it yields (step).
void Scheduler::anchor(lua_State* L, int idx, const LuaThread& t) {
    if (anchors_ref_ == LUA_NOREF) {
        lua_createtable(L, 64, 0);
        anchors_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
        lua_createtable(L, 0, 0);
        reaped_env_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, anchors_ref_);
    lua_pushvalue(L, idx);
    lua_rawseti(L, -2, static_cast<int>(t.index));
    lua_pop(L, 1);
}

int Scheduler::spawn(lua_State* L) {
    Context* ctx = api_context(L);
    api_check_phase(L, ctx, kYieldPhases);
    int n = lua_gettop(L);
    luaL_argcheck(L, lua_isfunction(L, 1) && !lua_iscfunction(L, 1), 1, "Lua function expected");
    LuaThread* self = current_thread_;
    if (self == nullptr) {
        return luaL_error(L, "no co ctx found");
    }
    LuaThread* t = new_thread(*ctx, false, false);
    t->parent_co = L;
    self->spawned = true;
    last_light_ = t;
    last_light_gen_ = t->generation;
    link(*t);
    ctx->alive_threads++;
    t->co = lua_newthread(L);  // the thread object spawn returns
    lua_insert(L, 1);
    anchor(L, 1, *t);
    lua_xmove(L, t->co, n);
    // lua-nginx-module posts the caller, then runs the new thread until it yields or ends; the
    // posted threads then run in the order they were posted. When the caller is the oldest
    // (nothing posted before it is still waiting: an outer spawn call lower on this C stack,
    // or a thread whose turn comes when the running resume ends), it goes on at once;
    // otherwise it waits for its turn (drain_posted), so that nested spawns interleave as
    // they do in OpenResty.
    post_thread(*ctx, *self);
    self->spawn_child = t;
    (void)step(*t, n - 1);
    if (ctx->exited || ctx->dead) {
        // The new thread ended the request (ngx.exit) or the request went away: the parent
        // stops here and the scheduler finishes the context.
        if (self->posted) {
            unpost_thread(*ctx, *self);
        }
        return yield_to_scheduler(L);
    }
    if (ctx->posted_head == self) {
        ctx->posted_head = self->posted_next;
        if (ctx->posted_head == nullptr) {
            ctx->posted_tail = nullptr;
        }
        self->posted = false;
        self->posted_next = nullptr;
        return 1;
    }
    self->wait = Wait{cancel_spawn_posted, self};
    return yield_to_scheduler(L);
}

int Scheduler::on_abort(lua_State* L) {
    Context* ctx = api_context(L);
    http::Request* r = api_request(L, ctx);
    if (ctx->on_abort_ref != LUA_NOREF || ctx->on_abort_ran) {
        lua_pushnil(L);
        lua_pushliteral(L, "duplicate call");
        return 2;
    }
    if (r->loc == nullptr || r->loc->lua_check_client_abort != 1) {
        lua_pushnil(L);
        lua_pushliteral(L, "lua_check_client_abort is off");
        return 2;
    }
    luaL_argcheck(L, lua_isfunction(L, 1) && !lua_iscfunction(L, 1), 1, "Lua function expected");
    lua_pushvalue(L, 1);
    ctx->on_abort_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushinteger(L, 1);
    return 1;
}

void Scheduler::client_aborted(http::Request& r) {
    auto* ctx = static_cast<Context*>(r.module_ctx);
    if (ctx == nullptr || !ctx->in_use || ctx->on_abort_ref == LUA_NOREF || ctx->entry == nullptr) {
        if (!r.header_sent) {
            r.status = 499;
        }
        if (r.connection != nullptr) {
            r.connection->abort_request();  // the log phase, then the cleanup kills the threads
        }
        return;
    }
    // A light thread of the request, as ngx.thread.spawn makes, that nobody can wait for or
    // kill (ngx.on_abort hands out no thread object).
    lua_State* L = rt_.state();
    LuaThread* t = new_thread(*ctx, false, false);
    link(*t);
    ctx->alive_threads++;
    ctx->on_abort_ran = true;
    t->co = lua_newthread(L);
    anchor(L, lua_gettop(L), *t);
    lua_pop(L, 1);
    lua_rawgeti(t->co, LUA_REGISTRYINDEX, ctx->on_abort_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, ctx->on_abort_ref);
    ctx->on_abort_ref = LUA_NOREF;
    resume(*t, 0);
}

namespace {
// Marks a taken (or dropped) value's slot on the holding stack; no user value is this pointer.
char g_hole;
}  // namespace

void Scheduler::hold_results(LuaThread& t) {
    lua_State* co = t.co;
    int n = lua_gettop(co);
    if (hold_ == nullptr) {
        lua_State* L = rt_.state();
        hold_ = lua_newthread(L);
        hold_ref_ = luaL_ref(L, LUA_REGISTRYINDEX);
    }
    if (lua_checkstack(hold_, n + 1) == 0) {
        return;  // (no memory) they stay on the coroutine
    }
    t.hold_base = lua_gettop(hold_) + 1;
    t.hold_n = n;
    lua_xmove(co, hold_, n);
}

int Scheduler::take_results(LuaThread& t, lua_State* L) {
    if (t.hold_n == 0) {
        int n = lua_gettop(t.co);
        lua_xmove(t.co, L, n);
        return n;
    }
    int n = t.hold_n;
    lua_checkstack(L, n + 1);
    if (t.hold_base + n - 1 == lua_gettop(hold_)) {
        lua_xmove(hold_, L, n);  // the usual case: the zombie held last is waited for first
        t.hold_n = 0;
        trim_hold();
        return n;
    }
    for (int i = 0; i < n; i++) {
        lua_pushvalue(hold_, t.hold_base + i);
        lua_xmove(hold_, L, 1);
    }
    drop_results(t);  // their slots become holes
    return n;
}

void Scheduler::drop_results(LuaThread& t) {
    for (int i = 0; i < t.hold_n; i++) {
        lua_pushlightuserdata(hold_, &g_hole);
        lua_replace(hold_, t.hold_base + i);
    }
    t.hold_n = 0;
    trim_hold();
}

void Scheduler::trim_hold() {
    int top = lua_gettop(hold_);
    while (top > 0 && lua_type(hold_, top) == LUA_TLIGHTUSERDATA &&
           lua_touserdata(hold_, top) == &g_hole) {
        top--;
    }
    lua_settop(hold_, top);
}

void Scheduler::list_light(LuaThread& t) {
    lua_State* L = rt_.state();
    lua_rawgeti(L, LUA_REGISTRYINDEX, light_ref_);
    lua_rawgeti(L, LUA_REGISTRYINDEX, anchors_ref_);
    lua_rawgeti(L, -1, static_cast<int>(t.index));
    lua_remove(L, -2);
    lua_pushnumber(L, static_cast<lua_Number>(light_key(t)));
    lua_rawset(L, -3);
    lua_pop(L, 1);
    t.listed = true;
}

// What the light-thread table stores for a live light thread: index * 2^24 + the low 24 bits of
// the generation, exact in a double (indexes stay far below 2^29).
uint64_t Scheduler::light_key(const LuaThread& t) {
    return (static_cast<uint64_t>(t.index) << 24) | (t.generation & 0xffffffu);
}

bool Scheduler::thread_alive(uint64_t key) const {
    auto index = static_cast<uint32_t>(key >> 24);
    const LuaThread* t = index < by_index_.size() ? by_index_[index] : nullptr;
    return t != nullptr && t->state == LuaThread::State::kAlive && light_key(*t) == key;
}

// A Tycho extension of ngx.thread.wait: an argument that is an array of threads stands for its
// elements, in order. Replaces the `n` arguments by that list; returns its length. Any other
// table (empty, or holding something else) raises OpenResty's error for a table, so code written
// for OpenResty sees no difference.
int Scheduler::spread_thread_lists(lua_State* L, int n) {
    int total = 0;
    for (int i = 1; i <= n; i++) {
        if (lua_type(L, i) != LUA_TTABLE) {
            luaL_argcheck(L, lua_tothread(L, i) != nullptr, i, "lua thread expected");
            luaL_checkstack(L, 1, "too many threads");
            lua_pushvalue(L, i);
            total++;
            continue;
        }
        int len = static_cast<int>(lua_objlen(L, i));
        luaL_argcheck(L, len > 0, i, "lua thread expected");
        luaL_checkstack(L, len, "too many threads");
        for (int k = 1; k <= len; k++) {
            lua_rawgeti(L, i, k);
            luaL_argcheck(L, lua_tothread(L, -1) != nullptr, i, "lua thread expected");
        }
        total += len;
    }
    for (int i = 0; i < n; i++) {
        lua_remove(L, 1);
    }
    return total;
}

int Scheduler::wait_threads(lua_State* L) {
    Context* ctx = api_context(L);
    api_check_phase(L, ctx, kYieldPhases);
    LuaThread* self = current_thread_;
    int n = lua_gettop(L);
    for (int i = 1; i <= n; i++) {
        if (lua_type(L, i) == LUA_TTABLE) {
            n = spread_thread_lists(L, n);
            break;
        }
    }
    if (n == 0) {
        return luaL_error(L, "at least one coroutine should be specified");
    }
    // The records found, for the second pass (one lookup per argument in the common case).
    constexpr int kCached = 8;
    LuaThread* found[kCached];
    bool found_dead[kCached];
    for (int i = 1; i <= n; i++) {
        luaL_argcheck(L, lua_tothread(L, i) != nullptr, i, "lua thread expected");
        bool dead = false;
        LuaThread* t = find_light(L, i, &dead, true);
        if (i <= kCached) {
            found[i - 1] = t;
            found_dead[i - 1] = dead;
        }
        // lua-nginx-module takes the arguments in order and returns at the first thread that
        // already ended: the ones after it are not looked at.
        if (dead) {
            if (i == n) {
                break;
            }
            continue;
        }
        if (t == nullptr) {
            return luaL_error(L, "attempt to wait on a coroutine that is not a user thread");
        }
        // (A light thread of another request or timer: its parent is not this coroutine.)
        if (t->ctx != ctx || t->parent_co != L || self == nullptr) {
            return luaL_error(L, "only the parent coroutine can wait on the thread");
        }
        if (t->state == LuaThread::State::kZombie) {
            break;
        }
    }
    auto unmark = [&](int upto) {
        for (int j = 1; j < upto; j++) {
            bool dead = false;
            if (LuaThread* t = find_light(L, j, &dead); t != nullptr) {
                t->waiter = nullptr;
            }
        }
        self->waiting_on = 0;
    };
    for (int i = 1; i <= n; i++) {
        bool dead = false;
        LuaThread* t;
        if (i <= kCached) {
            t = found[i - 1];
            dead = found_dead[i - 1];
        } else {
            t = find_light(L, i, &dead);
        }
        if (dead) {
            if (i < n) {
                continue;  // lua-nginx-module skips it unless it is the last one
            }
            unmark(i);
            lua_pushnil(L);
            lua_pushliteral(L, "already waited or killed");
            return 2;
        }
        if (t->state == LuaThread::State::kZombie) {
            unmark(i);
            int nrets = take_results(*t, L);
            bury(*t);
            return nrets;
        }
        t->waiter = self;
        self->waiting_on++;
    }
    self->wait = Wait{cancel_thread_wait, self};
    return yield_to_scheduler(L);
}

LuaThread* Scheduler::find_light(lua_State* L, int idx, bool* dead, bool any_context) const {
    *dead = false;
    lua_State* co = lua_tothread(L, idx);
    if (co == nullptr || light_ref_ == LUA_NOREF) {
        return nullptr;
    }
    if (last_light_ != nullptr && last_light_->co == co &&
        last_light_->generation == last_light_gen_ &&
        last_light_->state != LuaThread::State::kFree) {
        return last_light_;
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, light_ref_);
    lua_pushvalue(L, idx > 0 ? idx : idx - 1);
    lua_rawget(L, -2);
    lua_Number v = lua_tonumber(L, -1);
    lua_pop(L, 2);
    if (v <= 0) {
        // Not listed: a thread of this context that ended in its first run, one such thread
        // already waited for, or no light thread at all.
        if (current_ != nullptr) {
            for (LuaThread* t = current_->threads; t != nullptr; t = t->next) {
                if (t->co == co) {
                    return t;
                }
            }
        }
        if (reaped_env_ref_ != LUA_NOREF) {
            lua_getfenv(L, idx);
            lua_rawgeti(L, LUA_REGISTRYINDEX, reaped_env_ref_);
            *dead = lua_rawequal(L, -1, -2) != 0;
            lua_pop(L, 2);
        }
        if (!*dead && any_context) {
            // Another context's light thread that ended in its first run (user code passed it
            // along): only wait's and kill's errors that name its parent need it.
            for (size_t i = 1; i < by_index_.size(); i++) {
                LuaThread* t = by_index_[i];
                if (t->co == co && t->state != LuaThread::State::kFree && !t->entry) {
                    return t;
                }
            }
        }
        return nullptr;
    }
    auto key = static_cast<uint64_t>(v);
    auto index = static_cast<uint32_t>(key >> 24);
    LuaThread* t = index < by_index_.size() ? by_index_[index] : nullptr;
    if (t == nullptr || light_key(*t) != key || t->co != co) {
        *dead = true;  // its record was freed: waited for, killed, or its context ended
        return nullptr;
    }
    return t;
}

const char* Scheduler::thread_status(lua_State* L, int idx) const {
    bool dead = false;
    LuaThread* t = find_light(L, idx, &dead);
    if (dead) {
        return "dead";
    }
    if (t == nullptr) {
        return nullptr;
    }
    return t->state == LuaThread::State::kZombie ? "zombie" : "running";
}

int Scheduler::kill_thread(lua_State* L) {
    Context* ctx = api_context(L);
    api_check_phase(L, ctx, kYieldPhases);
    LuaThread* self = current_thread_;
    luaL_argcheck(L, lua_tothread(L, 1) != nullptr, 1, "lua thread expected");
    bool dead = false;
    LuaThread* t = find_light(L, 1, &dead, true);
    if (dead) {
        lua_pushnil(L);
        lua_pushliteral(L, "already waited or killed");
        return 2;
    }
    if (t == nullptr) {
        lua_pushnil(L);
        lua_pushliteral(L, "not user thread");
        return 2;
    }
    if (t->ctx != ctx || t->parent_co != L || self == nullptr) {
        lua_pushnil(L);
        lua_pushliteral(L, "killer not parent");
        return 2;
    }
    if (t->state == LuaThread::State::kZombie) {
        bury(*t);
        lua_pushnil(L);
        lua_pushliteral(L, "already terminated");
        return 2;
    }
    drop_wait(*t);
    orphan_children(*t);
    ctx->alive_threads--;
    bury(*t);
    lua_pushinteger(L, 1);
    return 1;
}

// ---------------------------------------------------------------- defer ----

int Scheduler::add_defer(lua_State* L) {
    Context* ctx = api_context(L);
    luaL_checktype(L, 1, LUA_TFUNCTION);
    if (ctx->r == nullptr && !ctx->timer) {
        return luaL_error(L, "API disabled in the context of %s", phase_context_name(ctx->phase));
    }
    int n = lua_gettop(L);
    lua_State* main = rt_.state();
    if (ctx->defer_ref == LUA_NOREF) {
        lua_createtable(main, 4, 0);
        ctx->defer_ref = luaL_ref(main, LUA_REGISTRYINDEX);
    }
    // The entry: { n = #values, fn, args... }.
    lua_createtable(L, n, 1);
    for (int i = 1; i <= n; i++) {
        lua_pushvalue(L, i);
        lua_rawseti(L, -2, i);
    }
    lua_pushinteger(L, n);
    lua_setfield(L, -2, "n");
    lua_rawgeti(L, LUA_REGISTRYINDEX, ctx->defer_ref);
    lua_pushvalue(L, -2);
    lua_rawseti(L, -2, static_cast<int>(lua_objlen(L, -2)) + 1);
    return 0;
}

int Scheduler::run_defers(Context& ctx, bool allow_yield) {
    lua_State* L = rt_.state();
    // The list stays the context's while it runs: a function deferred by a deferred function
    // lands in it and runs too. release() drops it.
    ctx.in_defers = true;
    require_embedded(L, "tycho.defer");
    lua_getfield(L, -1, "run");
    lua_remove(L, -2);
    lua_rawgeti(L, LUA_REGISTRYINDEX, ctx.defer_ref);
    if (ctx.timer && allow_yield) {
        // Deferred functions of a timer may yield: they run in a new entry thread.
        LuaThread* t = new_thread(ctx, true, true);
        ctx.entry = t;
        lua_xmove(L, t->co, 2);
        return step(*t, 1);
    }
    // A request's run after its log phase, under log-phase rules (no yielding).
    Phase saved_phase = ctx.phase;
    Context* saved = current_;
    LuaThread* saved_thread = current_thread_;
    ctx.phase = Phase::kLog;
    current_ = &ctx;
    current_thread_ = nullptr;
    ctx.running++;
    if (lua_pcall(L, 1, 0, 0) != 0) {
        std::string line = "failed to run deferred functions: " + error_text(L, -1);
        lua_pop(L, 1);
        log_for(&ctx, static_cast<int>(core::LogLevel::kError), line.data(), line.size());
    }
    ctx.running--;
    current_ = saved;
    current_thread_ = saved_thread;
    ctx.phase = saved_phase;
    return http::kDone;
}

}  // namespace tycho::lua
