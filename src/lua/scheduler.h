#pragma once

// The coroutine scheduler of a worker (DESIGN.md §4). Every piece of Lua code that runs for a
// request phase runs in an entry coroutine owned by a Context; a blocking API records what the
// coroutine waits for (a Wait with its cancel hook) and yields; the event that completes the
// wait calls Scheduler::resume(), the only place that resumes contexts. Wake-ups caused by Lua
// itself (ngx.sleep(0)) are posted and run from the loop after the current resume, in FIFO
// order. Everything here runs on the worker thread that owns the VM.

#include <uv.h>

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#include "http/request.h"

struct lua_State;

namespace tycho::lua {

class WorkerRuntime;
struct LuaChunk;

// Where Lua code runs; the bit values let APIs list the phases they allow.
enum class Phase : uint32_t {
    kInit = 1u << 0,
    kInitWorker = 1u << 1,
    kSet = 1u << 2,
    kRewrite = 1u << 3,
    kAccess = 1u << 4,
    kContent = 1u << 5,
    kHeaderFilter = 1u << 6,
    kBodyFilter = 1u << 7,
    kLog = 1u << 8,
    kTimer = 1u << 9,
    kExitWorker = 1u << 10,
};

constexpr uint32_t operator|(Phase a, Phase b) {
    return static_cast<uint32_t>(a) | static_cast<uint32_t>(b);
}
constexpr uint32_t operator|(uint32_t a, Phase b) {
    return a | static_cast<uint32_t>(b);
}

// ngx.get_phase() names: "init", "init_worker", "set", "rewrite", ..., "timer".
const char* phase_name(Phase phase);
// The names of `API disabled in the context of <name>`: "rewrite_by_lua*", "ngx.timer", ...
const char* phase_context_name(Phase phase);

// What a suspended coroutine waits for. `cancel` undoes the wait exactly once (a timer is
// stopped and closed, a posted resume is dropped) when the request ends before it completes.
struct Wait {
    void (*cancel)(void* data) = nullptr;
    void* data = nullptr;
    bool active() const { return cancel != nullptr; }
};

// The Lua side of one request (or of an init / init_worker run). Owned and pooled by the
// Scheduler; a request finds its context through Request::module_ctx.
struct Context {
    http::Request* r = nullptr;  // null outside requests
    Phase phase = Phase::kContent;
    const LuaChunk* chunk = nullptr;  // the code of the running phase handler
    lua_State* co = nullptr;          // the entry coroutine while the phase runs
    int co_ref = -2;                  // its registry reference (LUA_NOREF when none)
    int ctx_ref = -2;                 // ngx.ctx table (LUA_NOREF until first used)
    Wait wait;                        // what `co` waits for while suspended
    uint32_t generation = 0;          // bumped on release: stale timers/posts see a mismatch
    int exit_code = 0;                // ngx.exit(code)
    bool exited = false;              // ngx.exit was called in the running phase
    bool eof = false;                 // the last body byte was queued (ngx.eof, end of content)
    bool seen_body_data = false;      // ngx.say/print produced output
    // set_by_lua*: the directive's evaluated arguments (ngx.arg[n]). body_filter_by_lua*: the
    // body piece and its eof flag (ngx.arg[1], ngx.arg[2]), which the code may replace. Null
    // outside those phases; they point into the caller of call_unyieldable.
    const std::vector<std::string>* set_args = nullptr;
    std::string* filter_data = nullptr;
    bool* filter_eof = nullptr;
    bool in_header_filter = false;  // header_filter_by_lua* is running (no re-entry)
    bool running = false;           // inside lua_resume right now
    bool dead = false;              // the request ended; release when the resume returns
    bool in_use = false;
    // ngx.exec: set together with `exited`; the scheduler runs the internal redirect (and
    // resets ngx.ctx) once the coroutine has stopped.
    std::string exec_uri;
    std::string exec_args;
};

// Suspends the running Lua code until the scheduler resumes its context: a blocking API
// records its wait in the context (or sets Context::exited) and ends with
// `return yield_to_scheduler(L);`. `L` may be the entry coroutine or a user coroutine nested
// in it at any depth: the value yielded is a private sentinel that the coroutine.resume /
// coroutine.wrap wrappers (lua/tycho/coroutine.lua) pass up to the scheduler, and the values
// later given to Scheduler::resume() come back down to the caller as the API's results.
// Worker thread; only from a C function called by Lua (it is lua_yield's return value).
int yield_to_scheduler(lua_State* L);

// The light userdata yield_to_scheduler() yields (the coroutine wrappers compare with it).
void* scheduler_yield_sentinel();

class Scheduler {
  public:
    // `rt` owns the VM this scheduler resumes in; `loop` is the worker's loop.
    Scheduler(WorkerRuntime& rt, uv_loop_t* loop);
    ~Scheduler();
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    // The context whose code is running now (set before each resume), or null. The API
    // functions find their request through it.
    Context* current() const { return current_; }

    // The context of `r`, created at first use (its release is registered as a request
    // cleanup). Never null.
    Context* request_context(http::Request& r);

    // Runs `chunk` as the handler of `phase` (rewrite, access or content) for `r`: compiles or
    // fetches it, runs it in a pooled entry coroutine and returns the phase result for the
    // phase engine: kDeclined (go on), kOk/kDone (response complete), kAgain (suspended: the
    // scheduler finishes the phase later with finalize_request / resume_phases), kError or an
    // HTTP status. Errors are logged as lua-nginx-module words them.
    int run_request_phase(http::Request& r, Phase phase, const LuaChunk& chunk);

    // Runs `chunk` to completion without a coroutine (log_by_lua*, init*): yielding APIs are
    // disabled there. `r` may be null. Errors are logged "failed to run log_by_lua*: ..." (log)
    // or "<what> error: ..." (init phases); returns false on error.
    bool run_unyieldable(http::Request* r, Phase phase, const LuaChunk& chunk) {
        return call_unyieldable(r, phase, chunk, 0, 0);
    }

    // run_unyieldable with arguments and results (set_by_lua*, the output filters): the top
    // `nargs` values of the VM's main stack are the chunk's arguments (`...`), always popped;
    // on success `nresults` results are left there, on failure nothing. It may run while a
    // request's coroutine is running (a filter called from ngx.say): the context's phase,
    // chunk and running flag are restored afterwards.
    bool call_unyieldable(http::Request* r, Phase phase, const LuaChunk& chunk, int nargs,
                          int nresults);

    // Resumes a suspended context with `nargs` values pushed on its coroutine and, if its phase
    // ends, tells the phase engine. Called by wait completions (timer callbacks, posted events),
    // never from inside a resume.
    void resume(Context& ctx, int nargs);

    // Queues a resume of `ctx` (with no values) to run from the loop after the current resume
    // and the events already queued. Records the wait in ctx.wait.
    void post_resume(Context& ctx);

    // Releases a context: cancels its wait, drops its coroutine and ngx.ctx, returns it to the
    // pool. Deferred to the end of the resume when `ctx` is running.
    void release(Context& ctx);

    uv_loop_t* loop() const { return loop_; }

  private:
    struct Posted {
        Context* ctx;
        uint32_t generation;
    };

    Context* acquire_context();
    void recycle(Context& ctx);
    lua_State* acquire_thread(int* ref);
    // Runs the context's coroutine once; returns the phase result (kAgain when suspended).
    int step(Context& ctx, int nargs);
    int finish_ok(Context& ctx);
    int finish_exit(Context& ctx);
    // ngx.exec's internal redirect (ctx.exec_uri): its result for the phase engine.
    int finish_exec(Context& ctx);
    int finish_error(Context& ctx, int status);
    void drop_coroutine(Context& ctx, bool reusable);
    void complete_async(Context& ctx, int rc);
    static void on_idle(uv_idle_t* handle);
    void run_posted();

    WorkerRuntime& rt_;
    uv_loop_t* loop_;
    Context* current_ = nullptr;
    std::vector<std::unique_ptr<Context>> contexts_;
    std::vector<Context*> free_contexts_;
    struct PooledThread {
        lua_State* co;
        int ref;
    };
    std::vector<PooledThread> free_threads_;
    std::deque<Posted> posted_;
    uv_idle_t* idle_ = nullptr;  // runs posted events; freed in its close callback
    bool idle_active_ = false;
    // Anchors Request::module_ctx: an aliasing shared_ptr to a pooled Context costs no
    // allocation; the pool, not the request, owns the Context.
    std::shared_ptr<Scheduler> anchor_;
};

}  // namespace tycho::lua
