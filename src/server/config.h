#pragma once

// The whole configuration of one generation of the server: main-level directives (this file's
// directives), the events block, and the http block (http/). Loaded by the master thread at
// startup and on every reload; immutable afterwards and shared with worker threads through a
// shared_ptr (a retiring worker keeps its generation alive until it exits).

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/conf.h"
#include "core/log.h"
#include "core/status.h"
#include "http/http_conf.h"

namespace tycho::server {

// One `error_log FILE [LEVEL]` directive (FILE is "stderr" or a path resolved against -p).
struct ErrorLogConf {
    std::string path;
    core::LogLevel level = core::LogLevel::kError;
};

// Main and events directives, with nginx's defaults.
struct MainConf {
    int worker_processes = 1;  // `auto` = number of online CPUs
    bool daemon = true;
    bool master_process = true;          // accepted; Tycho always runs a master thread plus workers
    std::string pid = "logs/nginx.pid";  // resolved against the prefix after loading
    std::vector<ErrorLogConf> error_logs;  // never empty after loading (default logs/error.log)
    bool error_log_default = false;        // no main-level error_log: the default (or -e) applies
    // `env` arguments in order: "NAME" (inherit) or "NAME=VALUE" (set). Kept for the Lua layer
    // (os.getenv sees only these, as in nginx); the process environment is not modified.
    std::vector<std::string> env;
    std::string user;                   // empty: not given (or ignored because not started as root)
    std::string group;                  // defaults to the user name, as nginx
    int64_t worker_rlimit_nofile = -1;  // -1: leave the limit alone
    int64_t worker_shutdown_timeout_ms = 0;  // 0: graceful shutdown waits forever
    // thread_pool names, in order (the pools themselves are event::ThreadPool's, process-wide).
    std::vector<std::string> thread_pools;

    // events { }
    bool events_seen = false;
    int worker_connections = 512;
    bool accept_mutex = false;  // accepted: the kernel spreads connections
    std::string use;            // accepted: libuv uses epoll

    // Duplicate detection, as nginx's NGX_CONF_UNSET checks.
    bool worker_processes_set = false;
    bool daemon_set = false;
    bool master_process_set = false;
    bool pid_set = false;
    bool user_set = false;
    bool rlimit_set = false;
    bool shutdown_timeout_set = false;
    bool worker_connections_set = false;
    bool accept_mutex_set = false;
    bool use_set = false;
};

struct Config {
    std::string prefix;     // with a trailing '/'
    std::string conf_file;  // absolute path of the main config file
    MainConf main;
    std::unique_ptr<http::HttpConf> http;  // null when the file has no http block
    core::ParsedConf parsed;               // the parsed tree and every file read (for -T)
    // Non-fatal messages (nginx logs them at [warn] while loading), each with " in FILE:LINE".
    std::vector<std::string> warnings;
};

// Loads and checks a configuration. `prefix` ends with '/'; `conf_file` is absolute or relative
// to the prefix; `g_directives` is the -g text (main-level directives applied before the file's,
// errors say "in command line"). `on_syntax_ok` runs after parsing and directive processing
// succeeded but before the final checks (nginx prints "syntax is ok" at exactly that point, so a
// missing events block fails after it). Returns the config or the first error in nginx's
// wording, e.g. `unknown directive "x" in /p/conf/nginx.conf:3`,
// `no "events" section in configuration`. Master thread only.
core::Result<std::shared_ptr<Config>> load_config(const std::string& prefix,
                                                  const std::string& conf_file,
                                                  const std::string& g_directives,
                                                  const std::function<void()>& on_syntax_ok = {});

// Registers the main-level and events directives in `table` (the processor slot "main" must
// hold the MainConf*). Called by load_config; exposed for tests and later modules.
void register_main_directives(core::DirectiveTable& table);

// Number of online CPUs (what `worker_processes auto` means); at least 1.
int cpu_count();

}  // namespace tycho::server
