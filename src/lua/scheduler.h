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
#include <unordered_map>
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
    kServerRewrite = 1u << 11,
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
// stopped and closed, a queue entry is dropped) when the thread is killed or its context ends
// before the wait completes.
struct Wait {
    void (*cancel)(void* data) = nullptr;
    void* data = nullptr;
    bool active() const { return cancel != nullptr; }
};

struct Context;

// One coroutine the scheduler runs for a context: its entry thread (the phase handler, the
// timer callback) or a light thread (ngx.thread.spawn). Pooled by the Scheduler; `generation`
// is bumped each time it is freed, so completions that kept a pointer can tell it went stale.
struct LuaThread {
    enum class State : uint8_t {
        kFree,     // in the pool
        kAlive,    // running or suspended
        kZombie,   // a light thread that ended; its results wait on the scheduler's holding
                   // stack for ngx.thread.wait (true, values... or false, error)
    };
    lua_State* co = nullptr;
    int co_ref = -2;  // registry reference of `co` (LUA_NOREF when none)
    Context* ctx = nullptr;
    // The coroutine that spawned this light thread (the entry or a light thread, or a user
    // coroutine running in one): only it may wait for or kill it. Null once that thread ended.
    lua_State* parent_co = nullptr;
    Wait wait;                    // what `co` waits for while suspended
    uint32_t generation = 0;
    uint32_t index = 0;  // its slot in the scheduler's anchor array (light threads' coroutines)
    State state = State::kFree;
    bool entry = false;
    LuaThread* waiter = nullptr;    // the thread blocked in ngx.thread.wait on this one
    int waiting_on = 0;             // threads this one waits for in ngx.thread.wait
    bool spawned = false;           // light threads were spawned while this one ran
    // A light thread is put in the light-thread table when it first yields: one that ends in
    // the run spawn gives it (the usual short task) costs no table entry (see find_light).
    bool listed = false;
    // A zombie's results: hold_n values from absolute index hold_base of the holding stack.
    // Kept off its coroutine, which is then natively dead (coroutine.resume refuses it).
    int hold_base = 0;
    int hold_n = 0;
    int resume_nargs = 0;           // values on `co`'s stack for the queued resume
    // ngx.thread.spawn posts its caller to the context's posted threads (lua-nginx-module's
    // ctx->posted_threads, FIFO) before the new thread runs; the caller gets `spawn_child`'s
    // thread object when its turn comes.
    LuaThread* posted_next = nullptr;
    LuaThread* spawn_child = nullptr;
    bool posted = false;
    LuaThread* next = nullptr;      // the context's list of light threads
    LuaThread* prev = nullptr;
};

class Scheduler;


// The Lua side of one request (or of a timer run, or of an init / init_worker run). Owned and
// pooled by the Scheduler; a request finds its context through Request::module_ctx.
struct Context {
    http::Request* r = nullptr;  // null outside requests
    Phase phase = Phase::kContent;
    const LuaChunk* chunk = nullptr;  // the code of the running phase handler
    LuaThread* entry = nullptr;       // the entry thread while the phase (or timer) runs
    LuaThread* threads = nullptr;     // light threads alive or kZombie, latest first
    int alive_threads = 0;            // light threads not yet ended
    int entry_status = -1;            // -1 running; else how the entry ended (0 ok)
    int ctx_ref = -2;                 // ngx.ctx table (LUA_NOREF until first used)
    int defer_ref = -2;               // ngx.defer list (LUA_NOREF until first used)
    uint32_t generation = 0;          // bumped on release: stale completions see a mismatch
    int running = 0;                  // lua_resume/pcall frames of this context on the C stack
    int exit_code = 0;                // ngx.exit(code)
    bool exited = false;              // ngx.exit was called in the running phase
    bool eof = false;                 // the last body byte was queued (ngx.eof, end of content)
    bool seen_body_data = false;      // ngx.say/print produced output
    bool http10_buffering = false;    // output is held in http10_out (lua_http10_buffering)
    bool timer = false;               // a timer context (phase kTimer)
    bool in_defers = false;           // its deferred functions are running
    bool failed = false;              // the entry thread (of a timer) ended with an error
    int on_abort_ref = -2;            // ngx.on_abort's function until it runs (LUA_NOREF: none)
    // A timer context's done hook (Scheduler::run_timer).
    void (*done)(void* data, bool ok) = nullptr;
    void* done_data = nullptr;
    // set_by_lua*: the directive's evaluated arguments (ngx.arg[n]). body_filter_by_lua*: the
    // body piece and its eof flag (ngx.arg[1], ngx.arg[2]), which the code may replace. Null
    // outside those phases; they point into the caller of call_unyieldable.
    const std::vector<std::string>* set_args = nullptr;
    std::string* filter_data = nullptr;
    bool* filter_eof = nullptr;
    bool in_header_filter = false;  // header_filter_by_lua* is running (no re-entry)
    // ngx.exit(code) in header_filter_by_lua*: it returns there (as in lua-resty-core), and the
    // last code applies once the filter ends.
    bool filter_exited = false;
    int filter_exit_code = 0;
    // Log lines of a timer run say where its timer came from, as lua-nginx-module's fake
    // connection does: "*N" (a connection number of its own, drawn when it runs) and the
    // ", client: ..., server: ..." of the request that made it (TimerService's origin id, one
    // reference held; 0: none).
    uint32_t log_origin = 0;
    uint64_t log_number = 0;
    bool dead = false;              // the request ended; release when the resume returns
    bool in_use = false;
    bool draining = false;          // Scheduler::drain_posted runs for this context
    bool on_abort_ran = false;      // the client went away and ngx.on_abort's function started
    // The posted threads (callers of ngx.thread.spawn waiting for their turn), oldest first.
    LuaThread* posted_head = nullptr;
    LuaThread* posted_tail = nullptr;
    // ngx.exec: set together with `exited`; the scheduler runs the internal redirect (and
    // resets ngx.ctx) once the coroutine has stopped.
    std::string exec_uri;
    std::string exec_args;
    // lua_http10_buffering: the output held for an HTTP/1.0 client, sent by end_output().
    std::string http10_out;

    // Back to a free context's state, the generation bumped. Field by field: assigning a
    // blank Context built and destroyed a temporary for every request and timer run. The size
    // check makes a new field fail to compile until it is reset here.
    void reset() {
        static_assert(sizeof(void*) != 8 || sizeof(Context) == 264,
                      "a Context field was added or changed: reset it in reset()");
        r = nullptr;
        phase = Phase::kContent;
        chunk = nullptr;
        entry = nullptr;
        threads = nullptr;
        alive_threads = 0;
        entry_status = -1;
        ctx_ref = -2;
        defer_ref = -2;
        generation++;
        running = 0;
        exit_code = 0;
        exited = false;
        eof = false;
        seen_body_data = false;
        http10_buffering = false;
        timer = false;
        in_defers = false;
        failed = false;
        on_abort_ref = -2;
        done = nullptr;
        done_data = nullptr;
        set_args = nullptr;
        filter_data = nullptr;
        filter_eof = nullptr;
        in_header_filter = false;
        filter_exited = false;
        filter_exit_code = 0;
        log_origin = 0;
        log_number = 0;
        dead = false;
        in_use = false;
        draining = false;
        on_abort_ran = false;
        posted_head = nullptr;
        posted_tail = nullptr;
        exec_uri.clear();
        exec_args.clear();
        if (http10_out.capacity() > 65536) {
            std::string().swap(http10_out);  // a pooled context does not pin a big response
        } else {
            http10_out.clear();
        }
    }
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
    // The thread running now (null inside run_unyieldable code): blocking APIs record their
    // wait in it.
    LuaThread* current_thread() const { return current_thread_; }
    // A number that names `t` while it lives (exact in a double) and no thread after it; for
    // Lua code that must tell threads apart across yields (lua/tycho/require.lua).
    static uint64_t thread_key(const LuaThread& t) { return light_key(t); }
    // Whether the thread named `key` still lives: not ended, killed or released with its context.
    bool thread_alive(uint64_t key) const;

    // The context of `r`, created at first use (its release is registered as a request
    // cleanup). Never null.
    Context* request_context(http::Request& r);
    // The request of `c` ended (its cleanup): deferred functions run, the context is released.
    void request_done(Context& c);

    // Runs `chunk` as the handler of `phase` (rewrite, access or content) for `r`: compiles or
    // fetches it, runs it in a pooled entry coroutine and returns the phase result for the
    // phase engine: kDeclined (go on), kOk/kDone (response complete), kAgain (suspended: the
    // scheduler finishes the phase later with finalize_request / resume_phases), kError or an
    // HTTP status. Errors are logged as lua-nginx-module words them. The phase ends when its
    // entry thread and every light thread it spawned have ended (or on ngx.exit).
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

    // Called when a timer context ends (after its deferred functions ran): `ok` is false when
    // its entry thread failed. Runs on the worker thread; must not raise.
    using DoneHook = void (*)(void* data, bool ok);

    // Starts a timer context (phase kTimer, no request): the function at index `-(nargs + 1)`
    // of the VM's main stack is called with the `nargs` values above it (all popped) in a new
    // entry thread, at once. `done(done_data, ok)` runs when the entry thread, its light
    // threads and the deferred functions have all ended. Returns false (and calls nothing)
    // only if the VM cannot make a coroutine. `phase` kInitWorker runs init_worker_by_lua* code
    // this way (its log lines and errors are worded for that phase).
    bool run_timer(int nargs, DoneHook done, void* done_data, uint32_t log_origin = 0,
                   uint64_t log_number = 0, Phase phase = Phase::kTimer);

    // Timer contexts started and not yet done.
    size_t timer_contexts() const { return timer_contexts_; }
    // Ends every timer context at once, as a killed light thread ends: waits cancelled, no
    // more Lua runs for them (worker_shutdown_timeout expired, fast stop). Their done hooks run.
    void abort_timers();

    // Resumes a suspended thread with `nargs` values pushed on its coroutine and, if its
    // context's phase ends, tells the phase engine. Called by wait completions (timer
    // callbacks, queued events), never from inside a resume of the same context.
    void resume(LuaThread& t, int nargs);

    // Queues a resume of `t` with the `nargs` values on top of its coroutine's stack, to run
    // from the loop after the current resume and the events already queued (FIFO), in the same
    // loop turn (like nginx's posted events: a semaphore post, a light thread ending). Records
    // the wait in t.wait.
    void post_resume(LuaThread& t, int nargs = 0);
    // The same for the next loop turn, after I/O had its chance (ngx.sleep(0), a bare yield:
    // nginx's delayed posted events).
    void post_delayed(LuaThread& t);
    // Queues fn(data) among the posted resumes (nginx's ngx_post_event): it runs from the loop,
    // in order with them, and may resume threads itself (a semaphore handing out what post()
    // added). The caller keeps `data` valid until it runs.
    void post_event(void (*fn)(void* data), void* data);

    // The context's posted threads (see LuaThread::posted_next): appends `t`; takes it out.
    static void post_thread(Context& ctx, LuaThread& t);
    static void unpost_thread(Context& ctx, LuaThread& t);

    // ngx.thread.spawn / wait / kill, with lua-nginx-module's semantics and texts. They are
    // the C functions' bodies: `L` is the calling coroutine and the return value is theirs.
    int spawn(lua_State* L);
    int wait_threads(lua_State* L);  // also takes arrays of threads (a Tycho extension)
    int kill_thread(lua_State* L);
    // "zombie" / "dead" for a light thread that ended, "running" for a live one, null for any
    // other coroutine (coroutine.status and coroutine.resume ask).
    const char* thread_status(lua_State* L, int idx) const;
    // The registry reference of the weak set the coroutine wrappers consult (inject_coroutine).
    void set_light_threads_ref(int ref) { light_ref_ = ref; }
    // The table whose field `disabled` names the phase while code runs where lua-nginx-module
    // refuses coroutine.create/wrap/status (set_by_lua*, log_by_lua*, exit_worker_by_lua*),
    // nil elsewhere (lua/tycho/coroutine.lua reads it).
    void set_coroutine_guard_ref(int ref) { coroutine_guard_ref_ = ref; }

    // ngx.defer(fn, ...): the function at stack index 1 of `L` and the values above it run
    // when the current context ends (LIFO). Raises when there is no context.
    int add_defer(lua_State* L);

    // ngx.on_abort(fn): keeps `fn` for client_aborted (returns 1, or nil and lua-nginx-module's
    // "duplicate call" / "lua_check_client_abort is off").
    int on_abort(lua_State* L);
    // The client of `r` closed the connection while a lua_check_client_abort handler ran: the
    // ngx.on_abort function starts as a light thread of the request, or, without one, the
    // request ends with 499 (its threads killed), as lua-nginx-module does.
    void client_aborted(http::Request& r);

    // Releases a context: kills its threads (cancelling their waits), drops ngx.ctx, returns
    // it to the pool. Deferred to the end of the resume when `ctx` is running.
    void release(Context& ctx);

    uv_loop_t* loop() const { return loop_; }


  private:
    struct Posted {
        LuaThread* thread;  // a queued resume; null for an event (fn)
        uint32_t generation;
        void (*fn)(void* data) = nullptr;
        void* data = nullptr;
    };

    Context* acquire_context();
    void recycle(Context& ctx);
    LuaThread* new_thread(Context& ctx, bool entry, bool pooled_co);
    // Runs the posted threads of `ctx` in order, each until it yields or ends, as
    // lua-nginx-module's run_posted_threads does after a resume; returns what step() returns
    // for the last one (kAgain while the context goes on).
    int drain_posted(Context& ctx);
    void free_thread(LuaThread& t, bool reusable_co);
    // Runs `t` once; returns what it means for the context's phase: kAgain when the context
    // still has work (or the step was nested in a spawn), else the phase result.
    int step(LuaThread& t, int nargs);
    int thread_ended(LuaThread& t, int status);
    // Every thread of the context has ended: the phase result (running the timer's defers).
    int context_done(Context& ctx);
    int finish_ok(Context& ctx);
    int finish_exit(Context& ctx);
    // ngx.exec's internal redirect (ctx.exec_uri): its result for the phase engine.
    int finish_exec(Context& ctx);
    int finish_error(Context& ctx, int status, const std::string& line);
    void kill_threads(Context& ctx, LuaThread* except);
    // A light thread was waited for or killed: its record goes, the light-thread table marks
    // its coroutine dead (false) for as long as user code holds it.
    void bury(LuaThread& t);
    // Its coroutine ended or was killed: children it spawned become orphans.
    void orphan_children(LuaThread& t);
    void link(LuaThread& t);
    void unlink(LuaThread& t);
    void complete_async(Context& ctx, int rc);
    // Runs the context's deferred functions in LIFO order, each protected. In a timer context
    // they run in a new entry thread (they may yield); returns kAgain then.
    int run_defers(Context& ctx, bool allow_yield);
    void timer_finished(Context& ctx);
    static void on_idle(uv_idle_t* handle);
    void run_posted();

    WorkerRuntime& rt_;
    uv_loop_t* loop_;
    Context* current_ = nullptr;
    LuaThread* current_thread_ = nullptr;
    std::vector<std::unique_ptr<Context>> contexts_;
    std::vector<Context*> free_contexts_;
    size_t request_contexts_ = 0;  // requests with a context (request_context .. request_done)
    std::vector<std::unique_ptr<LuaThread[]>> thread_chunks_;
    std::vector<LuaThread*> free_thread_objs_;
    struct PooledThread {
        lua_State* co;
        int ref;
    };
    std::vector<PooledThread> free_threads_;
    // A FIFO ring that keeps its buffer (std::deque frees and allocates blocks as it
    // slides, which showed in the semaphore ping-pong profile).
    class PostedQueue {
      public:
        bool empty() const { return size_ == 0; }
        size_t size() const { return size_; }
        void push_back(Posted p) {
            if (size_ == buf_.size()) {
                grow();
            }
            buf_[(head_ + size_) & (buf_.size() - 1)] = p;
            size_++;
        }
        Posted pop_front() {
            Posted p = buf_[head_];
            head_ = (head_ + 1) & (buf_.size() - 1);
            size_--;
            return p;
        }

      private:
        void grow() {
            std::vector<Posted> bigger(buf_.empty() ? 64 : buf_.size() * 2);
            for (size_t i = 0; i < size_; i++) {
                bigger[i] = buf_[(head_ + i) & (buf_.size() - 1)];
            }
            buf_.swap(bigger);
            head_ = 0;
        }
        std::vector<Posted> buf_;  // power-of-two size
        size_t head_ = 0;
        size_t size_ = 0;
    };
    PostedQueue posted_;
    PostedQueue delayed_;
    uv_idle_t* idle_ = nullptr;  // runs posted events; freed in its close callback
    bool idle_active_ = false;
    size_t timer_contexts_ = 0;
    int light_ref_ = -2;
    int coroutine_guard_ref_ = -2;  // LUA_NOREF
    int anchors_ref_ = -2;  // array: LuaThread::index -> its light thread's coroutine
    // The environment given to the (dead) coroutine of an unlisted light thread when its
    // record goes: how find_light still knows it for a light thread waited for.
    int reaped_env_ref_ = -2;
    uint32_t next_index_ = 1;
    std::vector<LuaThread*> by_index_;  // LuaThread::index -> record
    // The light thread spawned last (and its generation): `wait(spawn(...))` finds it without
    // a table lookup.
    LuaThread* last_light_ = nullptr;
    uint32_t last_light_gen_ = 0;
    // wait_threads' arrays spread into its arguments (scheduler.cpp).
    static int spread_thread_lists(lua_State* L, int n);
    // The light thread whose coroutine is at stack index `idx` of L, or null; *dead tells a
    // light thread that was waited for or killed. Found as the last spawned, else through the
    // weak light-thread table (coroutine -> light_key() of its record: a record freed since
    // has another generation) for threads that yielded once, else in the current context's
    // list (threads that ended in their first run); such a thread's coroutine, once its record
    // is gone, has the reaped environment. `any_context`: also another context's thread that
    // ended in its first run (a scan of every record: for wait's and kill's errors only).
    LuaThread* find_light(lua_State* L, int idx, bool* dead, bool any_context = false) const;
    // Puts t in the light-thread table (its first yield).
    void list_light(LuaThread& t);
    void anchor(lua_State* L, int idx, const LuaThread& t);
    // A zombie's results: moved from its coroutine to the holding stack (hold_results), then
    // to `L` for ngx.thread.wait (take_results, returns their count) or dropped (drop_results).
    void hold_results(LuaThread& t);
    int take_results(LuaThread& t, lua_State* L);
    void drop_results(LuaThread& t);
    // Pops the holes (taken results) off the top of the holding stack.
    void trim_hold();
    lua_State* hold_ = nullptr;
    int hold_ref_ = -2;
    static uint64_t light_key(const LuaThread& t);
};

}  // namespace tycho::lua
