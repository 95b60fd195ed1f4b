#pragma once

// Registration of the request-bound parts of the `ngx` table (they need the scheduler's current
// context) and the helpers their bindings share. Each inject_* expects the `ngx` table at the
// top of the stack and leaves the stack as it found it; called once per VM by vm.cpp on the
// worker thread.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/log.h"
#include "lua/scheduler.h"

struct lua_State;

namespace tycho::shdict {
class Zone;
}

namespace tycho::lua {

// ngx.say, ngx.print, ngx.flush, ngx.eof, ngx.exit (api_output.cpp).
void inject_output(lua_State* L);
// ngx.log, the global print, the log-level constants (api_log.cpp).
void inject_log(lua_State* L);
// ngx.sleep (api_sleep.cpp).
void inject_sleep(lua_State* L);
// The `ngx` metatable serving ngx.ctx, ngx.status, ngx.headers_sent and ngx.is_subrequest
// (api_ctx.cpp; Lua half tycho.ctx over FFI).
void inject_ctx(lua_State* L);
// The C fallback of the `ngx` table's __index for ngx.headers_sent and ngx.is_subrequest
// (api_header.cpp); other keys go on to the function in its upvalue 1.
int ngx_index_headers(lua_State* L);
// The phases that have a request (ngx.headers_sent and the like are refused elsewhere).
constexpr uint32_t kRequestPhases = Phase::kSet | Phase::kServerRewrite | Phase::kRewrite |
                                    Phase::kAccess | Phase::kContent | Phase::kHeaderFilter |
                                    Phase::kBodyFilter | Phase::kLog;
// The phases whose code may block (ngx.sleep, semaphores, ngx.thread.*, ngx.run_worker_thread,
// a require that waits): those run in a thread of the scheduler's, as in lua-nginx-module, and
// so does init_worker_by_lua* in Tycho (an extension: OpenResty runs it without a coroutine).
constexpr uint32_t kYieldPhases = Phase::kServerRewrite | Phase::kRewrite | Phase::kAccess |
                                  Phase::kContent | Phase::kTimer | Phase::kInitWorker;
// ngx.get_phase (api_phase.cpp).
void inject_phase(lua_State* L);
// ngx.thread.spawn/wait/kill and ngx.defer (api_thread.cpp).
void inject_thread(lua_State* L);
// ngx.timer.* (api_timer.cpp; Lua half tycho.timer over FFI).
void inject_timer(lua_State* L);
// Blocking-aware coroutine.create/resume/wrap/status/isyieldable (api_coroutine.cpp).
void inject_coroutine(lua_State* L);
// Replaces the globals require and dofile with Lua versions whose module code may block
// (api_package.cpp; Lua half tycho.require). Needs the package library; stack neutral.
void inject_package(lua_State* L);
// lua_code_cache off: drops from package.loaded every module loaded from a file or C library,
// so the next require loads it again (lua-nginx-module gives each request a fresh VM).
void forget_file_modules(lua_State* L);
// The line where tycho.require's dofile is defined (0 before any inject_package): tracebacks name
// its unnamed frames (push_traceback).
int package_dofile_line();
// ngx.arg for set_by_lua* and body_filter_by_lua* (api_arg.cpp).
void inject_arg(lua_State* L);
// ngx.worker.* and ngx.config.* (api_worker.cpp).
void inject_worker(lua_State* L);
// ngx.var (api_var.cpp; Lua half tycho.var over FFI).
void inject_var(lua_State* L);
// ngx.header (FFI, tycho.header), ngx.send_headers, ngx.redirect and ngx.exec
// (api_header.cpp).
void inject_header(lua_State* L);
// ngx.req.* (api_req.cpp; Lua half tycho.req over FFI). Uses ngx.encode_args, so call it
// after inject_string.
void inject_req(lua_State* L);
// ngx.shared: one dict object per lua_shared_dict of the worker's configuration (api_shdict.cpp;
// Lua half tycho.shdict over FFI).
void inject_shdict(lua_State* L);

// Frees the calling worker thread's cache of semaphore waiter records (api_semaphore.cpp);
// the runtime calls it as it goes, after the VM is closed.
void release_waiter_cache();
// lua_capture_error_log (api_errlog.cpp): the calling worker thread's lines go to a buffer of
// `size` bytes (0: none) that ngx.errlog.get_logs reads, from now until stop_...().
void start_error_log_capture(size_t size);
void stop_error_log_capture();
// ngx.run_worker_thread (api_worker_thread.cpp): the shared dicts a thread_pool thread's task
// may use (its worker's), or null outside such a task.
const std::vector<std::shared_ptr<shdict::Zone>>* task_zones();
// The table at the top of the stack becomes the global `ngx` and package.loaded.ngx (stays).
void publish_ngx(lua_State* L);
// The embedded modules as package.preload loaders of `L` (the worker VM, a worker-thread VM).
void install_embedded_preload(lua_State* L);
// ngx.worker.pids(): the calling worker thread starts (live) or stops being listed.
void register_worker_pid(int worker_id, bool live);
// ngx.run_worker_thread; closes the calling worker's idle worker-thread VMs (at its exit).
void inject_worker_thread(lua_State* L);
void release_worker_thread_vms();
// The running context of the calling worker thread, or null (no runtime on this thread, or no
// Lua code of a context running): for FFI functions, which may not raise.
Context* current_context();
// The running context, or raises "no request found" (never returns null).
Context* api_context(lua_State* L);
// The running request, or raises "no request found" / "no request object found".
http::Request* api_request(lua_State* L, Context* ctx);
// Raises "API disabled in the context of <phase>" unless ctx's phase is in `allowed`.
void api_check_phase(lua_State* L, const Context* ctx, uint32_t allowed);
// ngx_http_lua_escape_log: bytes of a URI shown in an "unsafe byte" error (controls, '"', '\\',
// DEL and bytes >= 0x80 as \xHH).
std::string escape_log(const char* s, size_t len);

// Sends the response header unless it is out (default status 200, Content-Type from the
// location's types/default_type), as lua-nginx-module does before the first body byte; with
// `content_length` >= 0 and none set, with that Content-Length. Returns kOk or kError.
int send_header_if_needed(http::Request& r, int64_t content_length = -1);

// Ends the handler's output (ngx.eof, the end of the content handler, an ngx.exit that ends
// the response): the header unless it is out, then the last body bytes, with the output held
// for an HTTP/1.0 client (lua_http10_buffering) and its length. Returns kOk or kError.
int end_output(Context& ctx, http::Request& r);

// Writes one error-log line for the context's request (or a plain line without one), to the
// error log it goes to (log_enabled_for).
void log_for(const Context* ctx, int level, const char* data, size_t len);
// Whether a line at `level` would be written for `ctx` (null: no context): to the error_log of
// the request's location or server, or for a timer made by a request (or by its timers) to
// that request's, as lua-nginx-module's timers keep the request's log; else to the main one.
bool log_enabled_for(const Context* ctx, core::LogLevel level);

}  // namespace tycho::lua
