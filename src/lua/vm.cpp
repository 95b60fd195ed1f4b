// Building a worker's VM: libraries, JIT, the `ngx` table, package.preload of the embedded
// modules, package.path/cpath, the _G write guard; and the compiled-chunk cache.

#include "lua/vm.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <lua.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "core/log.h"
#include "http/connection.h"
#include "http/variables.h"
#include "lua/api.h"
#include "lua/api_runtime.h"
#include "lua/embedded.h"

namespace tycho::lua {
namespace {

thread_local WorkerRuntime* t_runtime = nullptr;

// Registry key of the weak-keyed set of handler functions that stand for a chunk's main
// function (see load_handler); its address is the key.
char g_handler_mains_key;

// debug.traceback with LuaJIT's argument rules ([thread,] [message [, level]]; a non-string
// message is returned as it is), through push_traceback so that handler frames read "in main
// chunk".
int debug_traceback(lua_State* L) {
    int arg = 0;
    lua_State* L1 = L;
    if (lua_type(L, 1) == LUA_TTHREAD) {
        L1 = lua_tothread(L, 1);
        arg = 1;
    }
    const char* msg = lua_tostring(L, arg + 1);
    if (msg == nullptr && lua_gettop(L) > arg) {
        lua_settop(L, arg + 1);
        return 1;
    }
    push_traceback(L, L1, msg, static_cast<int>(luaL_optinteger(L, arg + 2, L == L1 ? 1 : 0)));
    return 1;
}

// Where Debian installs Lua 5.1 C modules (lua-cjson's cjson.so); LuaJIT's built-in default
// cpath may lack it.
constexpr const char* kDebianCpath = "/usr/lib/x86_64-linux-gnu/lua/5.1/?.so";

// package.preload loader of embedded module number upvalue(1).
int embedded_loader(lua_State* L) {
    int i = static_cast<int>(lua_tointeger(L, lua_upvalueindex(1)));
    const EmbeddedModule& m = kEmbeddedModules[i];
    lua_pushfstring(L, "@%s", m.path);
    const char* chunk_name = lua_tostring(L, -1);
    if (luaL_loadbuffer(L, m.source, m.size, chunk_name) != 0) {
        return lua_error(L);
    }
    lua_pushstring(L, m.name);
    lua_call(L, 1, 1);
    return 1;
}

// OpenResty's global write guard, so that line 12 (the ngx_log call) matches the `[lua]
// _G write guard:12: __newindex(): ...` prefix lua-nginx-module logs.
constexpr const char kWriteGuard[] =
    "local ngx_log = ngx.log\n"                                                    // 1
    "local ngx_WARN = ngx.WARN\n"                                                  // 2
    "local tostring = tostring\n"                                                  // 3
    "local rawset = rawset\n"                                                      // 4
    "local ngx_get_phase = ngx.get_phase\n"                                        // 5
    "local traceback = debug.traceback\n"                                          // 6
    "local function __newindex(table, key, value)\n"                               // 7
    "    rawset(table, key, value)\n"                                              // 8
    "    local phase = ngx_get_phase()\n"                                          // 9
    "    if phase == 'init' or phase == 'init_worker' then return end\n"           // 10
    "    -- the ngx_log call below must stay on line 12\n"                         // 11
    "    ngx_log(ngx_WARN, \"writing a global Lua variable ('\", tostring(key), "  // 12
    "\"') which may lead to race conditions between concurrent requests, so prefer the use "
    "of 'local' variables\", traceback('', 2))\n"
    "end\n"
    "setmetatable(_G, { __newindex = __newindex })\n";

// lua_code_cache off: returns restore(), which makes _G hold again what it holds now (the
// globals init_by_lua* left): names added since are removed, changed ones put back.
constexpr const char kGlobalsSnapshot[] =
    "local pairs, rawget, rawset = pairs, rawget, rawset\n"
    "local G = _G\n"
    "local noted = {}\n"
    "for k, v in pairs(G) do noted[k] = v end\n"
    "return function()\n"
    "    for k in pairs(G) do\n"
    "        if noted[k] == nil then rawset(G, k, nil) end\n"
    "    end\n"
    "    for k, v in pairs(noted) do\n"
    "        if rawget(G, k) ~= v then rawset(G, k, v) end\n"
    "    end\n"
    "end\n";

// Replaces "$prefix" / "${prefix}" with the prefix and ";;" with ";<default>;", as
// lua-nginx-module's ngx_http_lua_set_path().
std::string expand_package_path(const std::string& written, const std::string& prefix,
                                const std::string& dflt) {
    std::string s;
    for (size_t i = 0; i < written.size();) {
        if (written.compare(i, 9, "${prefix}") == 0) {
            s += prefix;
            i += 9;
        } else if (written.compare(i, 7, "$prefix") == 0) {
            s += prefix;
            i += 7;
        } else {
            s += written[i++];
        }
    }
    size_t pos = s.find(";;");
    if (pos != std::string::npos) {
        s.replace(pos, 2, ";" + dflt + ";");
    }
    return s;
}

int build_ngx(lua_State* L) {
    lua_createtable(L, 0, 128);
    inject_log(L);
    inject_output(L);
    inject_sleep(L);
    inject_phase(L);
    inject_coroutine(L);
    inject_package(L);
    inject_arg(L);
    inject_worker(L);
    inject_string(L);
    inject_time(L);
    inject_constants(L);
    inject_ctx(L);
    inject_var(L);
    inject_header(L);
    inject_req(L);
    inject_shdict(L);
    inject_thread(L);
    inject_timer(L);
    inject_regex(L);
    inject_worker_thread(L);
    inject_unimplemented(L);
    publish_ngx(L);
    lua_pop(L, 1);
    install_table_extensions(L);
    return 0;
}

}  // namespace

void publish_ngx(lua_State* L) {
    lua_pushvalue(L, -1);
    lua_setglobal(L, "ngx");
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "loaded");
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "ngx");
    lua_pop(L, 2);
}

void install_embedded_preload(lua_State* L) {
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "preload");
    for (int i = 0; kEmbeddedModules[i].name != nullptr; i++) {
        lua_pushinteger(L, i);
        lua_pushcclosure(L, embedded_loader, 1);
        lua_setfield(L, -2, kEmbeddedModules[i].name);
    }
    lua_pop(L, 2);
}

WorkerRuntime* current_runtime() {
    return t_runtime;
}

WorkerRuntime::WorkerRuntime(uv_loop_t* loop, const LuaMainConf& conf, int worker_id)
    : loop_(loop), conf_(conf), worker_id_(worker_id) {
    t_runtime = this;
    register_worker_pid(worker_id, true);
    start_error_log_capture(static_cast<size_t>(conf.capture_error_log));
    scheduler_ = std::make_unique<Scheduler>(*this, loop);
    build_vm();
    timers_ = std::make_unique<TimerService>(*this, loop, timer_callbacks_ref_, timer_renew_ref_);
    scratch_.reserve(4096);
}

WorkerRuntime::~WorkerRuntime() {
    exiting_ = true;
    if (conf_.exit_worker != nullptr && scheduler_ != nullptr && L_ != nullptr) {
        // exit_worker_by_lua*: the worker's last Lua code, after its connections are gone.
        (void)scheduler_->run_unyieldable(nullptr, Phase::kExitWorker, *conf_.exit_worker);
    }
    timers_.reset();
    scheduler_.reset();
    if (inbox_ != nullptr) {
        inbox_->close();  // what is still on its way is dropped (its senders' resources freed)
    }
    if (L_ != nullptr) {
        lua_close(L_);
    }
    release_waiter_cache();
    release_worker_thread_vms();
    stop_error_log_capture();
    register_worker_pid(worker_id_, false);
    if (t_runtime == this) {
        t_runtime = nullptr;
    }
}

const std::shared_ptr<event::Inbox>& WorkerRuntime::inbox() {
    if (inbox_ == nullptr) {
        inbox_ = event::Inbox::open(loop_);
    }
    return inbox_;
}

void WorkerRuntime::begin_exit(std::function<void()> drained) {
    exiting_ = true;
    timers_->begin_exit(std::move(drained));
}

void WorkerRuntime::start_init_worker(const LuaChunk& chunk) {
    std::string err;
    if (push_chunk(chunk, err) != 0) {
        core::log_error(core::LogLevel::kError, err);
        return;
    }
    init_worker_pending_ = true;
    // Like lua-nginx-module's fake connection for init_worker: log lines say "*N".
    (void)scheduler_->run_timer(
        0,
        [](void* data, bool) {
            auto* self = static_cast<WorkerRuntime*>(data);
            self->init_worker_pending_ = false;
            if (self->init_worker_done_) {
                std::function<void()> fn = std::move(self->init_worker_done_);
                self->init_worker_done_ = nullptr;
                fn();
            }
        },
        this, 0, http::next_connection_number(), Phase::kInitWorker);
}

void WorkerRuntime::on_init_worker_done(std::function<void()> fn) {
    if (!init_worker_pending_) {
        fn();
        return;
    }
    init_worker_done_ = std::move(fn);
}

void WorkerRuntime::build_vm() {
#if defined(__SANITIZE_ADDRESS__)
    // Under AddressSanitizer every Lua block is its own malloc: overruns into the Lua heap are
    // caught, and LeakSanitizer, which does not scan the allocator's mmap'd slabs, sees the
    // whole heap reachable (os.exit leaves the VM open).
    L_ = lua_newstate(
        [](void*, void* ptr, size_t, size_t nsize) -> void* {
            if (nsize == 0) {
                std::free(ptr);
                return nullptr;
            }
            return std::realloc(ptr, nsize);
        },
        nullptr);
#else
    alloc_ = std::make_unique<LuaAllocator>();
    L_ = lua_newstate(LuaAllocator::lua_alloc, alloc_.get());
#endif
    if (L_ == nullptr) {
        core::log_error(core::LogLevel::kEmerg, "failed to create the Lua VM: out of memory");
        std::abort();
    }
    luaL_openlibs(L_);
    luaJIT_setmode(L_, 0, LUAJIT_MODE_ENGINE | LUAJIT_MODE_ON);
    set_package_paths();
    if (lua_cpcall(L_, build_ngx, nullptr) != 0) {
        // Only a build defect (an embedded Lua half that fails to load) gets here.
        core::log_errorf(core::LogLevel::kEmerg, "failed to build the ngx API: %s",
                         lua_tostring(L_, -1));
        std::abort();
    }
    install_embedded_preload(L_);
    // lua-nginx-module loads resty.core into every VM before user code runs, and libraries
    // look for it in package.loaded; Tycho's is the embedded shim.
    lua_getglobal(L_, "require");
    lua_pushliteral(L_, "resty.core");
    if (lua_pcall(L_, 1, 0, 0) != 0) {
        core::log_errorf(core::LogLevel::kEmerg, "failed to load the 'resty.core' module: %s",
                         lua_tostring(L_, -1));
        std::abort();
    }
    lua_pushlightuserdata(L_, &g_handler_mains_key);
    lua_newtable(L_);
    lua_newtable(L_);
    lua_pushliteral(L_, "k");
    lua_setfield(L_, -2, "__mode");
    lua_setmetatable(L_, -2);
    lua_rawset(L_, LUA_REGISTRYINDEX);
    lua_getglobal(L_, "debug");
    lua_pushcfunction(L_, debug_traceback);
    lua_setfield(L_, -2, "traceback");
    lua_pop(L_, 1);
    // After debug.traceback is replaced: the guard's warning carries a traceback.
    if (luaL_loadbuffer(L_, kWriteGuard, sizeof(kWriteGuard) - 1, "=_G write guard") != 0 ||
        lua_pcall(L_, 0, 0, 0) != 0) {
        core::log_errorf(core::LogLevel::kEmerg, "failed to install the _G write guard: %s",
                         lua_tostring(L_, -1));
        std::abort();
    }
}

void WorkerRuntime::set_package_paths() {
    lua_getglobal(L_, "package");
    lua_getfield(L_, -1, "path");
    std::string dflt_path = lua_tostring(L_, -1) != nullptr ? lua_tostring(L_, -1) : "";
    lua_pop(L_, 1);
    lua_getfield(L_, -1, "cpath");
    std::string dflt_cpath = lua_tostring(L_, -1) != nullptr ? lua_tostring(L_, -1) : "";
    lua_pop(L_, 1);
    if (dflt_cpath.find(kDebianCpath) == std::string::npos) {
        dflt_cpath += dflt_cpath.empty() ? "" : ";";
        dflt_cpath += kDebianCpath;
    }
    std::string path = conf_.package_path.empty()
                           ? dflt_path
                           : expand_package_path(conf_.package_path, conf_.prefix, dflt_path);
    std::string cpath = conf_.package_cpath.empty()
                            ? dflt_cpath
                            : expand_package_path(conf_.package_cpath, conf_.prefix, dflt_cpath);
    lua_pushlstring(L_, path.data(), path.size());
    lua_setfield(L_, -2, "path");
    lua_pushlstring(L_, cpath.data(), cpath.size());
    lua_setfield(L_, -2, "cpath");
    lua_pop(L_, 1);
}

int WorkerRuntime::push_chunk(const LuaChunk& chunk, std::string& err) {
    if (conf_.code_cache) {
        auto it = by_chunk_.find(&chunk);
        if (it != by_chunk_.end()) {
            lua_rawgeti(L_, LUA_REGISTRYINDEX, it->second);
            return 0;
        }
        auto kt = by_key_.find(chunk.key);
        if (kt != by_key_.end()) {
            by_chunk_.emplace(&chunk, kt->second);
            lua_rawgeti(L_, LUA_REGISTRYINDEX, kt->second);
            return 0;
        }
    }
    int status = load_handler(chunk);
    if (status != 0) {
        const char* msg = lua_tostring(L_, -1);
        if (chunk.kind == LuaChunk::Kind::kInline) {
            err = "failed to load inlined Lua code: ";
        } else {
            err = "failed to load external Lua file \"" + chunk.code + "\": ";
        }
        err += msg != nullptr ? msg : "unknown error";
        lua_pop(L_, 1);
        return status == LUA_ERRFILE ? 404 : 500;
    }
    if (conf_.code_cache) {
        lua_pushvalue(L_, -1);
        int ref = luaL_ref(L_, LUA_REGISTRYINDEX);
        by_key_.emplace(chunk.key, ref);
        by_chunk_.emplace(&chunk, ref);
    }
    return 0;
}

void WorkerRuntime::snapshot_globals() {
    restore_globals_ref_ = LUA_NOREF;
    if (luaL_loadbuffer(L_, kGlobalsSnapshot, sizeof(kGlobalsSnapshot) - 1, "=globals") != 0 ||
        lua_pcall(L_, 0, 1, 0) != 0) {
        core::log_errorf(core::LogLevel::kError, "failed to note the Lua globals: %s",
                         lua_tostring(L_, -1));
        lua_pop(L_, 1);
        return;
    }
    restore_globals_ref_ = luaL_ref(L_, LUA_REGISTRYINDEX);
}

void WorkerRuntime::fresh_request_state() {
    forget_file_modules(L_);
    if (restore_globals_ref_ == -2) {
        // The first request: what init_by_lua* and init_worker_by_lua* left is the state each
        // request starts from (timers that init_worker_by_lua* made may use its globals).
        snapshot_globals();
    } else if (restore_globals_ref_ >= 0) {
        lua_rawgeti(L_, LUA_REGISTRYINDEX, restore_globals_ref_);
        if (lua_pcall(L_, 0, 0, 0) != 0) {
            core::log_errorf(core::LogLevel::kError, "failed to restore the Lua globals: %s",
                             lua_tostring(L_, -1));
            lua_pop(L_, 1);
        }
    }
}

const LuaChunk& WorkerRuntime::path_chunk(const LuaChunk& chunk, http::Request& r) {
    // Not scratch_: a body filter runs while ngx.say's output is still in it.
    std::string& full = path_buf_;
    full.clear();
    chunk.path->eval(r, full);
    if (full.empty() || full[0] != '/') {
        full.insert(0, conf_.prefix);
    }
    auto it = file_chunks_.find(full);
    if (it != file_chunks_.end()) {
        return *it->second;
    }
    auto file = std::make_unique<LuaChunk>();
    file->kind = LuaChunk::Kind::kFile;
    file->code = full;
    file->name = "@" + full;
    file->key = "nhlf_" + full;
    const LuaChunk& ref = *file;
    file_chunks_.emplace(full, std::move(file));
    return ref;
}

int WorkerRuntime::load_handler(const LuaChunk& chunk) {
    std::string source;
    if (chunk.kind == LuaChunk::Kind::kInline) {
        source = chunk.code;
    } else {
        std::ifstream in(chunk.code, std::ios::binary);
        if (in) {
            source.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        }
        // Unreadable files and LuaJIT bytecode (ESC first) load as they are: luaL_loadfile has
        // the error texts and the bytecode loader.
        if (!in || source.empty() || source[0] == '\033') {
            return luaL_loadfile(L_, chunk.code.c_str());
        }
        if (source[0] == '#') {  // the shebang line luaL_loadfile skips; its newline stays
            source.erase(0, std::min(source.find('\n'), source.size()));
        }
    }
    const std::string name = chunk.kind == LuaChunk::Kind::kInline ? chunk.name : "@" + chunk.code;
    // LuaJIT starts traces at loops and at entries of fixed-argument functions, never at a
    // (vararg) main chunk's entry: a handler without a loop would run interpreted forever. So
    // the code becomes the body of a fixed-argument function, on the same lines. Code that
    // compiles only as a main chunk (`...` at top level, a comment left open) loads as it is.
    std::string wrapped;
    wrapped.reserve(source.size() + 32);
    wrapped += "return function() ";
    wrapped += source;
    wrapped += "\nend";
    if (luaL_loadbuffer(L_, wrapped.data(), wrapped.size(), name.c_str()) == 0) {
        if (lua_pcall(L_, 0, 1, 0) == 0 && lua_isfunction(L_, -1)) {
            lua_pushlightuserdata(L_, &g_handler_mains_key);
            lua_rawget(L_, LUA_REGISTRYINDEX);
            lua_pushvalue(L_, -2);
            lua_pushboolean(L_, 1);
            lua_rawset(L_, -3);
            lua_pop(L_, 1);
            return 0;
        }
    }
    lua_pop(L_, 1);
    return luaL_loadbuffer(L_, source.data(), source.size(), name.c_str());
}

namespace {

// ngx.say / ngx.print are a Lua half over the C function (lua/tycho/output.lua), which
// re-raises the C function's errors: a traceback shows that as "[C]: in function 'error'" and
// two frames of output.lua. lua-nginx-module's shows one "[C]: in function 'say'".
void hide_output_frames(std::string& tb) {
    constexpr std::string_view kError = "\n\t[C]: in function 'error'";
    constexpr std::string_view kFrame = "\n\tlua/tycho/output.lua:";
    size_t pos = tb.find(kError);
    while (pos != std::string::npos) {
        size_t end = pos + kError.size();
        std::string_view name;
        while (tb.compare(end, kFrame.size(), kFrame) == 0) {
            size_t eol = tb.find('\n', end + 1);
            if (eol == std::string::npos) {
                eol = tb.size();
            }
            std::string_view line(tb.data() + end, eol - end);
            size_t q = line.rfind("in function '");
            if (q != std::string_view::npos) {
                name = line.substr(q + 13, line.size() - q - 14);
            }
            end = eol;
        }
        if (end != pos + kError.size() && !name.empty()) {
            std::string repl = "\n\t[C]: in function '" + std::string(name) + "'";
            tb.replace(pos, end - pos, repl);
            pos += repl.size();
        } else {
            pos = end;
        }
        pos = tb.find(kError, pos);
    }
}

// LuaJIT's require and dofile are C functions: where tycho.require's Lua versions call a chunk,
// tracebacks show "[C]: in function 'require'" as with LuaJIT's. A frame without a name (a tail
// call; LuaJIT would print the C function's address) is named after the function.
void hide_require_frames(std::string& tb) {
    constexpr std::string_view kFrame = "\n\tlua/tycho/require.lua:";
    constexpr std::string_view kUnnamed = " in function <lua/tycho/require.lua:";
    size_t pos = tb.find(kFrame);
    while (pos != std::string::npos) {
        size_t start = pos + 2;  // after "\n\t"
        size_t colon = tb.find(": ", start + kFrame.size() - 2);
        if (colon == std::string::npos) {
            break;
        }
        tb.replace(start, colon - start, "[C]");
        size_t rest = start + 4;  // after "[C]:"
        if (tb.compare(rest, kUnnamed.size(), kUnnamed) == 0) {
            size_t end = tb.find('>', rest);
            if (end != std::string::npos) {
                int line = std::atoi(tb.c_str() + rest + kUnnamed.size());
                tb.replace(rest, end + 1 - rest,
                           line == package_dofile_line() ? " in function 'dofile'"
                                                 : " in function 'require'");
            }
        }
        pos = tb.find(kFrame, start);
    }
}

// coroutine.create/wrap/resume are Lua functions here (lua/tycho/coroutine.lua), C functions in
// LuaJIT: a run of their frames shows as one "[C]: in function 'NAME'" (named as the caller
// called it; an "error" frame right above, their re-raise, goes too), and the counting body at
// the bottom of a coroutine goes, its callee shown as "in function <SRC:LINE>" as LuaJIT names
// a coroutine's own function.
void hide_coroutine_frames(std::string& tb, lua_State* co) {
    constexpr std::string_view kFrame = "\tlua/tycho/coroutine.lua:";
    constexpr std::string_view kError = "\t[C]: in function 'error'";
    std::vector<std::string_view> lines;
    for (size_t pos = 0; pos <= tb.size();) {
        size_t eol = tb.find('\n', pos);
        if (eol == std::string::npos) {
            eol = tb.size();
        }
        lines.emplace_back(tb.data() + pos, eol - pos);
        pos = eol + 1;
    }
    std::string out;
    std::string fn_frame;  // the replacement of the user function's frame, when found
    size_t kept = 0;       // lines in `out`
    size_t last_start = 0;  // where the last line in `out` starts
    auto append = [&](std::string_view line) {
        last_start = out.size() + (kept > 0 ? 1 : 0);
        if (kept++ > 0) {
            out += '\n';
        }
        out += line;
    };
    for (size_t i = 0; i < lines.size();) {
        if (!lines[i].starts_with(kFrame)) {
            append(lines[i++]);
            continue;
        }
        size_t j = i;
        while (j < lines.size() && lines[j].starts_with(kFrame)) {
            j++;
        }
        std::string_view last = lines[j - 1];
        size_t q = last.rfind(" in function '");
        if (q != std::string_view::npos && last.ends_with("'")) {
            std::string_view name = last.substr(q + 14, last.size() - q - 15);
            std::string repl = "\t[C]: in function '" + std::string(name) + "'";
            if (kept > 0 && std::string_view(out).substr(last_start) == kError) {
                out.resize(last_start > 0 ? last_start - 1 : 0);
                kept--;
                size_t nl = out.rfind('\n');
                last_start = nl == std::string::npos ? 0 : nl + 1;
            }
            append(repl);
        } else if (j == lines.size() && kept > 0 &&
                   std::string_view(out).substr(last_start).ends_with(" in function 'fn'")) {
            // The body at the bottom: name its callee as LuaJIT names a coroutine's function.
            lua_Debug ar;
            int bottom = 0;
            while (lua_getstack(co, bottom + 1, &ar) != 0) {
                bottom++;
            }
            if (bottom > 0 && lua_getstack(co, bottom - 1, &ar) != 0 &&
                lua_getinfo(co, "S", &ar) != 0 && ar.what[0] != 'C') {
                std::string line(std::string_view(out).substr(last_start));
                line.resize(line.size() - std::string_view(" in function 'fn'").size());
                line += " in function <" + std::string(ar.short_src) + ":" +
                        std::to_string(ar.linedefined) + ">";
                out.replace(last_start, std::string::npos, line);
            }
        }
        i = j;
    }
    tb = std::move(out);
}

// " in function <SRC:LINE>", what luaL_traceback writes for the bottom frame of `co` when that
// frame runs a handler's function (load_handler); empty otherwise.
std::string handler_frame_tail(lua_State* co, int level) {
    lua_Debug ar;
    int bottom = level;
    while (lua_getstack(co, bottom + 1, &ar) != 0) {
        bottom++;
    }
    if (lua_getstack(co, bottom, &ar) == 0 || lua_getinfo(co, "Sf", &ar) == 0) {
        return {};
    }
    lua_pushlightuserdata(co, &g_handler_mains_key);
    lua_rawget(co, LUA_REGISTRYINDEX);
    lua_pushvalue(co, -2);
    lua_rawget(co, -2);
    bool is_main = lua_toboolean(co, -1) != 0;
    lua_pop(co, 3);
    if (!is_main) {
        return {};
    }
    char tail[LUA_IDSIZE + 48];
    int n = std::snprintf(tail, sizeof(tail), " in function <%s:%d>", ar.short_src,
                          ar.linedefined);
    return n > 0 && static_cast<size_t>(n) < sizeof(tail) ? std::string(tail) : std::string();
}

}  // namespace

void push_traceback(lua_State* L, lua_State* co, const char* msg, int level) {
    luaL_traceback(L, co, msg, level);
    size_t len = 0;
    const char* tb = lua_tolstring(L, -1, &len);
    std::string text(tb, len);
    bool changed = false;
    if (text.find("lua/tycho/output.lua:") != std::string::npos) {
        hide_output_frames(text);
        changed = true;
    }
    if (text.find("lua/tycho/require.lua:") != std::string::npos) {
        hide_require_frames(text);
        changed = true;
    }
    if (text.find("\tlua/tycho/coroutine.lua:") != std::string::npos) {
        hide_coroutine_frames(text, co);
        changed = true;
    }
    // A handler's function is reported as its main chunk, as lua-nginx-module shows it.
    if (std::string tail = handler_frame_tail(co, level); !tail.empty() && text.ends_with(tail)) {
        text.replace(text.size() - tail.size(), tail.size(), " in main chunk");
        changed = true;
    }
    if (changed) {
        lua_pop(L, 1);
        lua_pushlstring(L, text.data(), text.size());
    }
}

std::unique_ptr<WorkerRuntime> start_worker_runtime(uv_loop_t* loop, const LuaMainConf& conf,
                                                    int worker_id) {
    auto rt = std::make_unique<WorkerRuntime>(loop, conf, worker_id);
    if (!conf.code_cache_alert.empty() && worker_id == 0) {
        core::log_error(core::LogLevel::kAlert, conf.code_cache_alert);
    }
    if (conf.init != nullptr &&
        !rt->scheduler().run_unyieldable(nullptr, Phase::kInit, *conf.init)) {
        return nullptr;
    }
    if (conf.init_worker != nullptr) {
        rt->start_init_worker(*conf.init_worker);
    }
    return rt;
}

}  // namespace tycho::lua
