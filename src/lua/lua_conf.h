#pragma once

// The Lua part of the http{} configuration: code chunks configured by the *_by_lua* directives
// and the http-level Lua settings. Built by the directive setters (lua_module.cpp) on the master
// thread while loading, immutable afterwards and read by every worker's runtime.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace tycho::http {
struct HttpConf;
class ComplexValue;
}
namespace tycho::shdict {
class Zone;
}

namespace tycho::lua {

// One piece of configured Lua code.
struct LuaChunk {
    enum class Kind { kInline, kFile };
    Kind kind = Kind::kInline;
    std::string code;  // the inline source, or the absolute path of a *_by_lua_file
    // The chunk name as Lua reports it (in errors, tracebacks and `[lua]` log prefixes):
    // "=content_by_lua(nginx.conf:40)" for inline code, "@/abs/path.lua" for files.
    std::string name;
    // Key of the per-worker compiled-chunk cache: "nhli_<hash of the source>" for inline code
    // (identical sources share one function, as in OpenResty), "nhlf_<path>" for files.
    std::string key;
    // A *_by_lua_file path with nginx variables (content_by_lua_file html/$1.lua): evaluated
    // per request, relative paths against the prefix (WorkerRuntime::file_chunk). Null when
    // the path is literal; `code` then holds the path.
    std::shared_ptr<const http::ComplexValue> path;
};

// http-level Lua settings (one per HttpConf; lua_main_conf() finds it).
struct LuaMainConf {
    std::string prefix;         // the -p prefix, with a trailing '/' ($prefix in package paths)
    std::string package_path;   // lua_package_path as written ("" = not set)
    std::string package_cpath;  // lua_package_cpath as written ("" = not set)
    // lua_code_cache off anywhere in http{} turns it off for the whole worker VM (OpenResty
    // keeps the flag per location; documented difference).
    bool code_cache = true;
    // "lua_code_cache is off; this will hurt performance in FILE:LINE", logged at [alert] when
    // a worker runtime starts (nginx logs it while loading the configuration).
    std::string code_cache_alert;
    std::shared_ptr<const LuaChunk> init;         // init_by_lua*
    std::shared_ptr<const LuaChunk> init_worker;  // init_worker_by_lua*
    std::shared_ptr<const LuaChunk> exit_worker;  // exit_worker_by_lua*: run as a worker exits
    // lua_max_pending_timers / lua_max_running_timers (OpenResty's defaults).
    int64_t max_pending_timers = 1024;
    int64_t max_running_timers = 256;
    bool max_pending_timers_set = false;
    bool max_running_timers_set = false;
    // lua_regex_cache_max_entries (compiled "o" regexes kept per worker) and
    // lua_regex_match_limit (PCRE's match limit; 0 = the library's default).
    int64_t regex_cache_max_entries = 1024;
    int64_t regex_match_limit = 0;
    bool regex_cache_max_entries_set = false;
    bool regex_match_limit_set = false;
    // lua_worker_thread_vm_pool_size: Lua VMs per worker for ngx.run_worker_thread.
    int64_t worker_thread_vm_pool_size = 10;
    bool worker_thread_vm_pool_size_set = false;
    // lua_thread_cache_max_entries: finished entry coroutines each worker keeps for reuse.
    int64_t thread_cache_max_entries = 1024;
    bool thread_cache_max_entries_set = false;
    // lua_malloc_trim N (OpenResty's default 1000): malloc_trim(1) after every N requests, but,
    // as in lua-nginx-module, only when the directive sets N > 0 or log_by_lua* is used.
    int64_t malloc_trim = 1000;
    bool malloc_trim_set = false;
    bool has_log_by_lua = false;
    // lua_capture_error_log: bytes of each worker's buffer of captured error-log lines (0: off).
    int64_t capture_error_log = 0;
    // rewrite_by_lua_no_postpone / access_by_lua_no_postpone (default off).
    bool rewrite_no_postpone = false;
    bool access_no_postpone = false;
    // The http{} configuration this belongs to (it owns this object, so the pointer lives as
    // long as it does): ngx.var needs its `set` variable names.
    const http::HttpConf* http = nullptr;
    // lua_transform_underscores_in_response_headers: ngx.header.X_Y names the header "X-Y"
    // (default on). Any `off` in http{} turns it off for every location (OpenResty keeps the
    // flag per location; documented difference).
    bool transform_underscores = true;
    // lua_shared_dict zones in declaration order (ngx.shared.NAME), acquired from
    // shdict::ZoneRegistry::global() while loading, so a reload keeps a zone whose name and size
    // are unchanged. Holding them here keeps them alive as long as the configuration.
    std::vector<std::shared_ptr<shdict::Zone>> shared_dicts;
};

// The LuaMainConf stored in `http` by the directive setters (HttpConf::lua_conf), or a shared
// default one when the configuration has no http-level Lua directive. Any thread.
const LuaMainConf& lua_main_conf(const http::HttpConf& http);

// True if any Lua directive appears in `http` (a worker needs a Lua VM). Any thread.
bool uses_lua(const http::HttpConf& http);

}  // namespace tycho::lua
