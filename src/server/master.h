#pragma once

// The master: the process's main thread. Owns the listening sockets, the pid file, the error-log
// sinks and the worker threads of each configuration generation; handles QUIT/TERM/INT/HUP/USR1
// on its own libuv loop (DESIGN.md §3).

#include <uv.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/log.h"
#include "core/status.h"
#include "net/listener.h"
#include "server/config.h"
#include "server/worker.h"

namespace tycho::server {

// What the command line fixed for the whole life of the process (reloads reuse it).
struct ServerOptions {
    std::string prefix;        // with a trailing '/'
    std::string conf_file;     // as given to load_config
    std::string g_directives;  // -g
    std::string error_log;     // -e: replaces the default error log ("" = prefix/logs/error.log)
};

// Writes a message the way nginx does while starting or testing: to the error log sinks, and
// for levels up to warn also to stderr as "tycho: [level] message" (unless a sink already is
// stderr). Any thread.
void report(core::LogLevel level, std::string_view message);

// Where the error log goes before a configuration is loaded: the -e file, or prefix/logs/error.log
// (nginx's compiled-in default), at level notice. Falls back to stderr if it cannot be opened.
void open_startup_log(const ServerOptions& options);

// Opens the sinks of the `error_log` directives of `config` (the -e file or the default when the
// configuration names none). Returns nginx's error, e.g.
//   open() "/p/logs/error.log" failed (13: Permission denied)
core::Result<std::vector<core::LogSink>> open_error_logs(const Config& config,
                                                         const ServerOptions& options);

class Master {
  public:
    explicit Master(ServerOptions options);
    ~Master();
    Master(const Master&) = delete;
    Master& operator=(const Master&) = delete;

    // Runs the server with `config` until a stop signal; returns the exit status. With `daemon
    // on`, forks first: the foreground process returns 0 once the child has bound its sockets,
    // written the pid file and started its workers, or 1 with the child's error (the child's
    // exit status is what run() returns in the child). Must be called before any other thread
    // exists. Main thread only.
    int run(std::shared_ptr<Config> config);

  private:
    struct Generation {
        std::shared_ptr<const Config> config;
        std::vector<std::unique_ptr<WorkerThread>> workers;
        std::vector<int> fds;  // listening descriptors its workers accept on
        bool retiring = false;
    };
    struct Bound {
        net::ListenOptions options;
        std::vector<int> fds;  // one, or one per worker with reuseport
    };
    enum class State { kRunning, kQuitting, kTerminating };

    core::Status start(std::shared_ptr<Config> config);
    core::Status bind_listeners(const Config& config,
                                std::vector<std::vector<WorkerListener>>& per_worker,
                                std::vector<int>& used);
    core::Status start_generation(std::shared_ptr<const Config> config);
    void release_unused_listeners();
    void close_all_listeners();
    core::Status write_pid_file(const std::string& path);
    core::Status drop_privileges(const Config& config);
    void setup_loop();

    void on_signal(int signum);
    void on_worker_exit();
    void reload();
    void reopen();
    void stop(bool fast);
    void finish();
    // Closes the loop's signal and async handles (once): at the end of the run, or in the
    // destructor when start() failed, so that the loop can close and free what it allocated.
    void close_handles();

    ServerOptions options_;
    std::shared_ptr<const Config> current_;
    std::vector<std::unique_ptr<Generation>> generations_;  // the last one is current
    std::map<std::string, Bound> bound_;                    // by Listen::text
    std::string pid_path_;
    State state_ = State::kRunning;
    bool privileges_dropped_ = false;

    uv_loop_t loop_{};
    std::vector<std::unique_ptr<uv_signal_t>> signals_;
    uv_async_t worker_exit_{};
    bool loop_ready_ = false;
    bool handles_closed_ = false;
};

}  // namespace tycho::server
