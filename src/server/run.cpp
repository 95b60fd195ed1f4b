// `tycho run`: OpenResty's `resty` without an nginx process. resty writes a throw-away nginx.conf
// whose init_worker_by_lua starts a zero-delay timer that runs the code, then signals a graceful
// exit; here the same sequence runs on one WorkerRuntime driven by the main thread's own loop:
// the code runs in a timer context (Scheduler::run_timer), and when that context (with its
// light threads) ends, TimerService::begin_exit runs the pending timers prematurely and the loop
// stops once they are done.

#include "server/run.h"

#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <lua.hpp>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/conf.h"
#include "core/log.h"
#include "lua/lua_conf.h"
#include "lua/vm.h"
#include "shdict/registry.h"
#include "shdict/zone.h"

namespace tycho::server {
namespace {

constexpr const char* kUsage =
    "Usage: tycho run [options] [script.lua [args...]]\n"
    "\n"
    "Runs Lua code in a Tycho worker runtime without a configuration file, like OpenResty's\n"
    "`resty`: ngx.sleep, ngx.timer.*, ngx.thread.*, ngx.semaphore and ngx.shared work.\n"
    "\n"
    "Options:\n"
    "  -e CODE               run the Lua code CODE before the script (may be repeated)\n"
    "  -I DIR                add DIR to the Lua module search paths (may be repeated)\n"
    "  --shdict 'NAME SIZE'  create a lua_shared_dict, e.g. --shdict 'cache 10m' (may be\n"
    "                        repeated)\n"
    "  --errlog-level LEVEL  the most verbose ngx.log level written to stderr: debug, info,\n"
    "                        notice, warn, error, crit, alert or emerg (default: warn)\n"
    "  -h, --help            print this help\n"
    "  --                    end of the options: the next argument is the script\n"
    "\n"
    "The script \"-\" is read from stdin. The script's arguments are in arg[1..n] (arg[0] is\n"
    "the script) and in `...`. ngx.say, ngx.print and print write to stdout, ngx.log to stderr.\n"
    "Exit status: os.exit(n) or ngx.exit(n); else the integer the script returns; else 0;\n"
    "1 after a Lua error (printed with its traceback to stderr).\n";

// The chunk name resty gives -e code: errors read "(command line -e):1: ...".
constexpr const char* kInlineChunkName = "=(command line -e)";

// Runs the loaded chunks in the timer context's entry thread. The chunks run under xpcall (which
// LuaJIT lets yield) so that an error is reported with the traceback of the failing coroutine,
// as resty's handler does; a light thread's error is the scheduler's to log.
constexpr const char kRunner[] = R"lua(
local type, tostring, getmetatable = type, tostring, getmetatable
local xpcall, traceback = xpcall, debug.traceback
local function handler(err)
    local t = type(err)
    if t ~= "string" and t ~= "number" then
        local mt = getmetatable(err)
        if type(mt) == "table" and mt.__tostring ~= nil then
            err = tostring(err)
        else
            err = "(error object is a " .. t .. " value)"
        end
    end
    -- LuaJIT calls the handler on top of the failing frame: level 1 is the failing function,
    -- as in luajit.c's own handler.
    return traceback(err, 1)
end
local report_error
local function finish(ok, first)
    if not ok then
        return report_error(first)
    end
    return first
end
return function(on_error, on_result, inline, file, ...)
    report_error = on_error
    local status
    if inline ~= nil then
        status = finish(xpcall(inline, handler, ...))
    end
    if file ~= nil then
        status = finish(xpcall(file, handler, ...))
    end
    return on_result(status)
end
)lua";

struct Options {
    std::vector<std::string> inline_code;
    std::vector<std::string> shdicts;
    std::vector<std::string> include_dirs;
    std::string errlog_level = "warn";
    int script_index = -1;  // argv index of the script; -1 when there is none
};

struct RunState {
    uv_loop_t* loop = nullptr;
    lua::WorkerRuntime* rt = nullptr;
    uv_timer_t exit_timer{};
    int status = 0;
    bool drained = false;
};

void fail(const std::string& message) {
    core::write_all(2, "tycho run: " + message + "\n");
}

// Like resty's Getopt::Long with require_order: options end at the first non-option argument
// (the script), so the script's own options are left to it. Returns -1 to go on, else the
// exit status.
int parse_options(int argc, char** argv, Options& o) {
    int i = 2;
    // "--name VALUE", "--name=VALUE", "-x VALUE" and "-xVALUE".
    auto value_of = [&](std::string_view arg, std::string_view name, std::string& out,
                        bool& missing) {
        missing = false;
        if (arg == name) {
            if (i + 1 >= argc) {
                missing = true;
                return true;
            }
            out = argv[++i];
            return true;
        }
        if (arg.substr(0, name.size()) != name) {
            return false;
        }
        std::string_view rest = arg.substr(name.size());
        if (name.size() > 2 && rest.front() != '=') {
            return false;  // "--shdictx"
        }
        out = std::string(name.size() > 2 ? rest.substr(1) : rest);
        return true;
    };
    for (; i < argc; i++) {
        std::string_view a = argv[i];
        if (a == "--") {
            i++;
            break;
        }
        if (a == "-h" || a == "--help") {
            core::write_all(1, kUsage);
            return 0;
        }
        if (a.size() < 2 || a[0] != '-') {
            break;  // the script ("-" is stdin)
        }
        std::string value;
        bool missing = false;
        if (value_of(a, "-e", value, missing)) {
            if (missing) {
                fail("option \"-e\" requires Lua code");
                return 1;
            }
            o.inline_code.push_back(std::move(value));
        } else if (value_of(a, "-I", value, missing)) {
            if (missing) {
                fail("option \"-I\" requires a directory");
                return 1;
            }
            o.include_dirs.push_back(std::move(value));
        } else if (value_of(a, "--shdict", value, missing)) {
            if (missing) {
                fail("option \"--shdict\" requires \"NAME SIZE\"");
                return 1;
            }
            o.shdicts.push_back(std::move(value));
        } else if (value_of(a, "--errlog-level", value, missing)) {
            if (missing) {
                fail("option \"--errlog-level\" requires a level");
                return 1;
            }
            o.errlog_level = std::move(value);
        } else {
            fail("unknown option \"" + std::string(a) + "\" (see tycho run -h)");
            return 1;
        }
    }
    if (i < argc) {
        o.script_index = i;
    }
    if (o.script_index < 0 && o.inline_code.empty()) {
        fail("neither a Lua input file nor -e \"\" option specified (see tycho run -h)");
        return 1;
    }
    return -1;
}

std::vector<std::string> split_words(std::string_view s) {
    std::vector<std::string> words;
    size_t i = 0;
    while (i < s.size()) {
        while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) {
            i++;
        }
        size_t start = i;
        while (i < s.size() && s[i] != ' ' && s[i] != '\t') {
            i++;
        }
        if (i > start) {
            words.emplace_back(s.substr(start, i - start));
        }
    }
    return words;
}

// --shdict "NAME SIZE" as the lua_shared_dict directive takes it, with its size rules and texts.
bool add_shdicts(const Options& o, lua::LuaMainConf& conf) {
    for (const std::string& spec : o.shdicts) {
        std::vector<std::string> words = split_words(spec);
        if (words.size() != 2) {
            fail("invalid --shdict \"" + spec + "\": expected \"NAME SIZE\", e.g. \"cache 10m\"");
            return false;
        }
        const std::string& name = words[0];
        core::Result<int64_t> size = core::parse_size(words[1]);
        core::Status st = shdict::check_zone_size(words[1], size ? *size : -1);
        if (!st) {
            fail("invalid --shdict \"" + spec + "\": " + st.message());
            return false;
        }
        for (const std::shared_ptr<shdict::Zone>& z : conf.shared_dicts) {
            if (z->name() == name) {
                fail("invalid --shdict \"" + spec + "\": lua_shared_dict \"" + name +
                     "\" is already defined");
                return false;
            }
        }
        conf.shared_dicts.push_back(
            shdict::ZoneRegistry::global().acquire(name, static_cast<size_t>(*size)));
    }
    return true;
}

// on_error(traceback): resty's handler prints "ERROR: <message and traceback>" and calls
// os.exit(1) from inside the failing code, so pending timers and light threads never run on.
int lua_report_error(lua_State* L) {
    size_t len = 0;
    const char* s = lua_tolstring(L, 1, &len);
    std::string msg = s != nullptr ? std::string(s, len) : "unknown error";
    // The runner's own frames (xpcall and the runner function) say nothing about the script.
    size_t cut = msg.find("\n\t[C]: in function 'xpcall'");
    if (cut != std::string::npos) {
        msg.resize(cut);
    }
    std::fflush(stdout);
    core::write_all(2, "ERROR: " + msg + "\n");
    std::exit(1);
}

// on_result(value): an integer returned by the last chunk becomes the exit status.
int lua_report_result(lua_State* L) {
    auto* state = static_cast<RunState*>(lua_touserdata(L, lua_upvalueindex(1)));
    if (lua_type(L, 1) == LUA_TNUMBER) {
        lua_Number n = lua_tonumber(L, 1);
        if (std::floor(n) == n && n >= -2147483648.0 && n <= 2147483647.0) {
            state->status = static_cast<int>(n);
        }
    }
    return 0;
}

void on_main_done(void* data, bool ok) {
    auto* state = static_cast<RunState*>(data);
    if (!ok) {
        state->status = 1;
    }
    // From the loop, not from inside the scheduler's completion of this context: begin_exit
    // starts more timer contexts at once.
    uv_timer_start(
        &state->exit_timer,
        [](uv_timer_t* t) {
            auto* st = static_cast<RunState*>(t->data);
            st->rt->begin_exit([st] {
                st->drained = true;
                uv_stop(st->loop);
            });
        },
        0, 0);
}

// arg[0] = the script, arg[1..n] = its arguments, arg[-k..-1] = what came before the script on
// the command line (arg[-k] is the tycho binary), as luajit and resty build it. Set with rawset:
// the _G write guard must not warn about the runner's own global.
void set_arg_table(lua_State* L, int argc, char** argv, int script_index) {
    int zero = script_index >= 0 ? script_index : argc;
    lua_createtable(L, argc - zero, zero + 1);
    for (int i = 0; i < argc; i++) {
        lua_pushstring(L, argv[i]);
        lua_rawseti(L, -2, i - zero);
    }
    lua_pushliteral(L, "arg");
    lua_insert(L, -2);
    lua_rawset(L, LUA_GLOBALSINDEX);
}

// resty replaces print with ngx.say (stdout, no tab between values).
void set_print(lua_State* L) {
    lua_pushliteral(L, "print");
    lua_getglobal(L, "ngx");
    lua_getfield(L, -1, "say");
    lua_remove(L, -2);
    lua_rawset(L, LUA_GLOBALSINDEX);
}

// Loads the -e code and the script onto the VM's stack (nil for the absent one). On failure
// prints resty's "ERROR: ..." line and returns false with the stack as it was.
bool load_chunks(lua_State* L, const Options& o, char** argv) {
    int base = lua_gettop(L);
    if (o.inline_code.empty()) {
        lua_pushnil(L);
    } else {
        std::string code;
        for (const std::string& c : o.inline_code) {
            code += c;
            code += '\n';
        }
        if (luaL_loadbuffer(L, code.data(), code.size(), kInlineChunkName) != 0) {
            core::write_all(2, std::string("ERROR: ") + lua_tostring(L, -1) + "\n");
            lua_settop(L, base);
            return false;
        }
    }
    if (o.script_index < 0) {
        lua_pushnil(L);
    } else {
        std::string_view path = argv[o.script_index];
        // luaL_loadfile also skips a "#!" first line, so scripts can be executable.
        if (luaL_loadfile(L, path == "-" ? nullptr : path.data()) != 0) {
            core::write_all(2, std::string("ERROR: ") + lua_tostring(L, -1) + "\n");
            lua_settop(L, base);
            return false;
        }
    }
    return true;
}

// Pushes the runner function and its arguments and starts the main timer context.
bool start_main(lua::WorkerRuntime& rt, RunState& state, const Options& o, int argc, char** argv) {
    lua_State* L = rt.state();
    int base = lua_gettop(L);
    if (luaL_loadbuffer(L, kRunner, sizeof(kRunner) - 1, "=[tycho run]") != 0 ||
        lua_pcall(L, 0, 1, 0) != 0) {
        // Only a build defect gets here.
        core::write_all(2, std::string("ERROR: ") + lua_tostring(L, -1) + "\n");
        lua_settop(L, base);
        return false;
    }
    lua_pushcfunction(L, lua_report_error);
    lua_pushlightuserdata(L, &state);
    lua_pushcclosure(L, lua_report_result, 1);
    if (!load_chunks(L, o, argv)) {
        lua_settop(L, base);
        return false;
    }
    int first_arg = o.script_index >= 0 ? o.script_index + 1 : argc;
    luaL_checkstack(L, argc - first_arg + 8, "too many arguments");
    for (int i = first_arg; i < argc; i++) {
        lua_pushstring(L, argv[i]);
    }
    int nargs = 4 + (argc - first_arg);
    if (!rt.scheduler().run_timer(nargs, on_main_done, &state)) {
        core::write_all(2, "ERROR: failed to start the main thread: out of memory\n");
        lua_settop(L, base);
        return false;
    }
    return true;
}

std::string current_dir() {
    std::vector<char> buf(4096);
    while (::getcwd(buf.data(), buf.size()) == nullptr) {
        if (errno != ERANGE) {
            return "./";
        }
        buf.resize(buf.size() * 2);
    }
    std::string dir(buf.data());
    if (dir.empty() || dir.back() != '/') {
        dir.push_back('/');
    }
    return dir;
}

void close_loop(uv_loop_t* loop) {
    uv_run(loop, UV_RUN_DEFAULT);
    uv_walk(
        loop,
        [](uv_handle_t* h, void*) {
            if (!uv_is_closing(h)) {
                uv_close(h, nullptr);
            }
        },
        nullptr);
    uv_run(loop, UV_RUN_DEFAULT);
    uv_loop_close(loop);
}

}  // namespace

int run_main(int argc, char** argv) {
    Options o;
    if (int rc = parse_options(argc, argv, o); rc >= 0) {
        return rc;
    }
    std::optional<core::LogLevel> level = core::parse_log_level(o.errlog_level);
    if (!level || *level == core::LogLevel::kStderr) {
        fail("invalid --errlog-level \"" + o.errlog_level + "\"");
        return 1;
    }
    if (o.script_index >= 0 && std::string_view(argv[o.script_index]) != "-") {
        struct stat st;
        if (::stat(argv[o.script_index], &st) != 0 || S_ISDIR(st.st_mode)) {
            fail(std::string("Lua input file \"") + argv[o.script_index] + "\" not found");
            return 1;
        }
    }

    // The configuration resty would write: prefix = the current directory, the shared dicts,
    // -I directories before the default search paths (";;").
    lua::LuaMainConf conf;
    conf.prefix = current_dir();
    if (!add_shdicts(o, conf)) {
        return 1;
    }
    if (!o.include_dirs.empty()) {
        for (const std::string& dir : o.include_dirs) {
            std::string d = dir.empty() || dir.back() == '/' ? dir : dir + "/";
            conf.package_path += d + "?.lua;" + d + "?/init.lua;";
            conf.package_cpath += d + "?.so;";
        }
        conf.package_path += ";";
        conf.package_cpath += ";";
    }

    core::LogSink sink;
    sink.path = "stderr";
    sink.fd = 2;
    sink.level = *level;
    core::set_log_sinks({sink});

    uv_loop_t loop;
    uv_loop_init(&loop);
    core::update_cached_time();
    RunState state;
    state.loop = &loop;
    uv_timer_init(&loop, &state.exit_timer);
    state.exit_timer.data = &state;

    lua::set_worker_count(1);
    std::unique_ptr<lua::WorkerRuntime> rt = lua::start_worker_runtime(&loop, conf, 0);
    int status = 1;
    if (rt) {
        rt->set_run_mode();
        state.rt = rt.get();
        lua_State* L = rt->state();
        set_print(L);
        set_arg_table(L, argc, argv, o.script_index);
        if (start_main(*rt, state, o, argc, argv)) {
            uv_run(&loop, UV_RUN_DEFAULT);
            // The loop can only run dry with the main context still waiting if nothing can ever
            // complete its wait; the status is then what is known so far.
            status = state.status;
        }
    }
    rt.reset();
    uv_close(reinterpret_cast<uv_handle_t*>(&state.exit_timer), nullptr);
    close_loop(&loop);
    std::fflush(stdout);
    return status;
}

}  // namespace tycho::server
