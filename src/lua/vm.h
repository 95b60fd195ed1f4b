#pragma once

// The Lua VM of one worker thread: one LuaJIT lua_State (JIT on) with the `ngx` API, the
// embedded modules in package.preload, package.path/cpath from the configuration, a compiled-
// chunk cache, and the scheduler that runs request code. Created, used and destroyed on the
// worker thread that owns its uv_loop_t; never touched by another thread.

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "event/inbox.h"
#include "lua/lua_alloc.h"
#include "lua/lua_conf.h"
#include "lua/scheduler.h"
#include "lua/timers.h"

struct lua_State;

namespace tycho::lua {

class WorkerRuntime {
  public:
    // Builds the VM (see start_worker_runtime, which also runs the init code). `conf` must
    // outlive the runtime (it lives in the worker's shared config).
    WorkerRuntime(uv_loop_t* loop, const LuaMainConf& conf, int worker_id);
    // Closes the VM. Pending waits must have been cancelled (the worker closes its connections,
    // which releases their contexts, before destroying the runtime).
    ~WorkerRuntime();
    WorkerRuntime(const WorkerRuntime&) = delete;
    WorkerRuntime& operator=(const WorkerRuntime&) = delete;

    lua_State* state() const { return L_; }
    uv_loop_t* loop() const { return loop_; }
    Scheduler& scheduler() { return *scheduler_; }
    TimerService& timers() { return *timers_; }
    // Null once the runtime is being torn down (the timer service goes before the scheduler):
    // for cancel hooks that may run then, when the queues have dropped their entries already.
    TimerService* timer_service() { return timers_.get(); }
    // Called by inject_timer while the VM is built: registry references of the Lua half's
    // callbacks table and of its function that replaces that table with an empty one.
    void set_timer_refs(int callbacks, int renew) {
        timer_callbacks_ref_ = callbacks;
        timer_renew_ref_ = renew;
    }
    const LuaMainConf& conf() const { return conf_; }
    int worker_id() const { return worker_id_; }

    // ngx.worker.exiting(): true once the worker began to stop (graceful or fast) and while
    // exit_worker_by_lua* runs. set_exiting() is called by the server on the worker thread.
    bool exiting() const { return exiting_; }
    void set_exiting() { exiting_ = true; }
    // Graceful stop: set_exiting(), then pending timers run at once with premature = true;
    // `drained` runs once no timer is pending or running (maybe before this returns).
    void begin_exit(std::function<void()> drained);

    // init_worker_by_lua* code that may block (a Tycho extension): runs `chunk` as a context
    // of its own (phase kInitWorker) at once, until it ends or first waits; an error is
    // logged ("init_worker_by_lua error: ..."). The server accepts connections only once
    // init_worker_done(). Worker thread; called once, by start_worker_runtime.
    void start_init_worker(const LuaChunk& chunk);
    // Whether init_worker_by_lua* code (with its light threads) has ended, or there was none.
    bool init_worker_done() const { return !init_worker_pending_; }
    // Runs `fn` when init_worker_by_lua* has ended: at once if it has. Replaces an earlier one.
    // `fn` runs on the worker thread from the loop, also when the code was cut short (the
    // worker stops: it then sees exiting()).
    void on_init_worker_done(std::function<void()> fn);

    // lua_code_cache off: lua-nginx-module runs each request in a VM of its own, fresh but
    // for init_by_lua*'s work. Called as each request starts: drops the modules loaded from
    // files and C libraries (the next require loads them again) and puts the globals back as
    // the first request found them.
    void fresh_request_state();

    // Pushes the compiled function of `chunk` on the VM's main stack: from the cache, else
    // compiled now (and cached unless lua_code_cache is off). Returns 0, or on failure pushes
    // nothing, sets `err` to OpenResty's text ("failed to load inlined Lua code: ..." or
    // "failed to load external Lua file \"PATH\": ...") and returns the status OpenResty
    // answers with: 404 for a file that cannot be opened, else 500.
    int push_chunk(const LuaChunk& chunk, std::string& err);

    // The chunk to run for `r`: `chunk` itself, or for a *_by_lua_file whose path has
    // variables, the file that path names for this request (relative: against the prefix),
    // kept for the worker's life, one per path, like OpenResty's code cache entries.
    const LuaChunk& request_chunk(const LuaChunk& chunk, http::Request& r) {
        return chunk.path == nullptr ? chunk : path_chunk(chunk, r);
    }

    // The worker's inbox (event/inbox.h): how other threads hand work back to this loop
    // (cross-worker semaphore grants, thread_pool results). Opened at first use; closed with
    // the runtime, after its contexts are released.
    const std::shared_ptr<event::Inbox>& inbox();

    // A reusable buffer for building output (ngx.say) without allocating per call.
    std::string& scratch() { return scratch_; }

    // `tycho run` (server/run.cpp): outside requests ngx.say/print/flush/eof write to the
    // process's stdout and ngx.exit ends the process, as in OpenResty's `resty`. Set once by the
    // runner before any Lua code runs; a server's workers never set it.
    bool run_mode() const { return run_mode_; }
    void set_run_mode() { run_mode_ = true; }

  private:
    const LuaChunk& path_chunk(const LuaChunk& chunk, http::Request& r);  // request_chunk's

    // Compiles `chunk` and pushes its handler function (see vm.cpp); returns the status of
    // luaL_loadbuffer / luaL_loadfile, with their error message pushed on failure.
    int load_handler(const LuaChunk& chunk);
    void build_vm();
    void set_package_paths();

    uv_loop_t* loop_;
    const LuaMainConf& conf_;
    int worker_id_;
    bool exiting_ = false;
    bool run_mode_ = false;
    bool init_worker_pending_ = false;
    std::function<void()> init_worker_done_;
    // Outlives the VM: lua_close runs in the destructor's body, before members go.
    std::unique_ptr<LuaAllocator> alloc_;
    lua_State* L_ = nullptr;
    std::unique_ptr<Scheduler> scheduler_;
    std::unique_ptr<TimerService> timers_;
    int timer_callbacks_ref_ = -2;
    int timer_renew_ref_ = -2;
    int restore_globals_ref_ = -2;  // -2: no snapshot_globals() yet; LUA_NOREF: it failed
    void snapshot_globals();
    // Chunk objects live in the immutable config: their address is a stable, cheap key in
    // front of the source-keyed cache.
    std::unordered_map<const LuaChunk*, int> by_chunk_;
    std::unordered_map<std::string, int> by_key_;  // LuaChunk::key -> registry ref
    std::unordered_map<std::string, std::unique_ptr<LuaChunk>> file_chunks_;  // file_chunk()
    std::string scratch_;
    std::shared_ptr<event::Inbox> inbox_;
    std::string path_buf_;  // path_chunk's evaluated path
};

// The runtime of the calling worker thread, or null (no runtime started on this thread).
WorkerRuntime* current_runtime();

// luaL_traceback(L, co, msg, level), with a handler's function (push_chunk) at the bottom of
// `co` reported as "in main chunk" like lua-nginx-module's (the handler is compiled as a
// function so that LuaJIT can trace it). Also installed as debug.traceback.
void push_traceback(lua_State* L, lua_State* co, const char* msg, int level);

// Facts about the process the Lua API reports: ngx.worker.count() (worker_processes of the
// configuration the calling worker runs) and ngx.config.nginx_configure() (the "configure
// arguments" of `tycho -V`). set_worker_count is called by the server on a worker thread
// before start_worker_runtime (thread-local: each config generation keeps its own count);
// set_configure_arguments once by the master thread before any worker starts.
void set_worker_count(int count);
int worker_count();
void set_configure_arguments(const std::string& text);
const std::string& configure_arguments();

// Creates the calling worker thread's runtime and makes it current, then runs init_by_lua*
// and starts init_worker_by_lua* in it (DESIGN.md §3: init runs once per worker VM; the
// init_worker code may still be waiting on return: see WorkerRuntime::init_worker_done). Logs
// the lua_code_cache alert if it applies. Returns null when init_by_lua* failed (the error is
// logged as "init_by_lua error: ..."); an init_worker_by_lua* error is logged and the runtime
// is still returned. Worker thread only; destroy the result on the same thread.
std::unique_ptr<WorkerRuntime> start_worker_runtime(uv_loop_t* loop, const LuaMainConf& conf,
                                                    int worker_id);

}  // namespace tycho::lua
