#include "server/master.h"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <set>
#include <utility>

#include "core/log.h"
#include "core/version.h"
#include "http/access_log.h"

namespace tycho::server {
namespace {

std::string open_failed(const std::string& path, int err) {
    return "open() \"" + path + "\" failed " + net::errno_suffix(err);
}

bool stderr_is_sink() {
    for (const core::LogSink& s : core::log_sinks()) {
        if (s.path == "stderr") {
            return true;
        }
    }
    return false;
}

const char* signal_name(int signum) {
    switch (signum) {
        case SIGHUP:
            return "SIGHUP";
        case SIGINT:
            return "SIGINT";
        case SIGQUIT:
            return "SIGQUIT";
        case SIGTERM:
            return "SIGTERM";
        case SIGUSR1:
            return "SIGUSR1";
        default:
            return "SIG?";
    }
}

net::ListenOptions to_options(const http::Listen& l) {
    net::ListenOptions o;
    o.text = l.text;
    o.addr = l.addr;
    o.addr_len = l.addr_len;
    o.is_unix = l.is_unix;
    o.unix_path = l.unix_path;
    o.reuseport = l.reuseport;
    o.backlog = l.backlog;
    return o;
}

void apply_rlimit(const MainConf& m) {
    if (m.worker_rlimit_nofile < 0) {
        return;
    }
    rlimit rl{static_cast<rlim_t>(m.worker_rlimit_nofile),
              static_cast<rlim_t>(m.worker_rlimit_nofile)};
    if (::setrlimit(RLIMIT_NOFILE, &rl) < 0) {
        report(core::LogLevel::kAlert, "setrlimit(RLIMIT_NOFILE, " +
                                           std::to_string(m.worker_rlimit_nofile) + ") failed " +
                                           net::errno_suffix(errno));
    }
}

}  // namespace

void report(core::LogLevel level, std::string_view message) {
    core::log_error(level, message);
    if (level <= core::LogLevel::kWarn && !stderr_is_sink()) {
        std::string line = "tycho: [" + std::string(core::log_level_name(level)) + "] ";
        line.append(message);
        line.push_back('\n');
        core::write_all(2, line);
    }
}

void open_startup_log(const ServerOptions& options) {
    std::string path = options.error_log.empty() ? options.prefix + "logs/error.log"
                       : (options.error_log == "stderr" || options.error_log[0] == '/')
                           ? options.error_log
                           : options.prefix + options.error_log;
    int fd = core::open_log_file(path);
    if (fd < 0) {
        int err = errno;
        core::set_log_sinks({core::LogSink{"stderr", 2, core::LogLevel::kNotice}});
        report(core::LogLevel::kAlert, "could not open error log file: " + open_failed(path, err));
        return;
    }
    core::set_log_sinks({core::LogSink{path, fd, core::LogLevel::kNotice}});
}

core::Result<std::vector<core::LogSink>> open_error_logs(const Config& config,
                                                         const ServerOptions& options) {
    std::vector<ErrorLogConf> logs = config.main.error_logs;
    if (config.main.error_log_default && !options.error_log.empty()) {
        const std::string& e = options.error_log;
        logs = {ErrorLogConf{(e == "stderr" || e[0] == '/') ? e : config.prefix + e,
                             core::LogLevel::kError}};
    }
    std::vector<core::LogSink> sinks;
    for (const ErrorLogConf& l : logs) {
        int fd = core::open_log_file(l.path);
        if (fd < 0) {
            int err = errno;
            for (const core::LogSink& s : sinks) {
                if (s.fd > 2) {
                    ::close(s.fd);
                }
            }
            return core::Status::error(open_failed(l.path, err));
        }
        sinks.push_back(core::LogSink{l.path, fd, l.level});
    }
    return sinks;
}

Master::Master(ServerOptions options) : options_(std::move(options)) {}

Master::~Master() {
    generations_.clear();  // joins any thread still running (never in the normal flow)
    close_all_listeners();
    if (loop_ready_) {
        close_handles();
        uv_run(&loop_, UV_RUN_NOWAIT);  // their close callbacks, when start() failed
        uv_loop_close(&loop_);
    }
}

int Master::run(std::shared_ptr<Config> config) {
    ::signal(SIGPIPE, SIG_IGN);
    int report_fd = -1;
    if (config->main.daemon) {
        int fds[2];
        if (::pipe2(fds, O_CLOEXEC) < 0) {
            report(core::LogLevel::kEmerg,
                   std::string("pipe() failed ") + net::errno_suffix(errno));
            return 1;
        }
        pid_t pid = ::fork();
        if (pid < 0) {
            report(core::LogLevel::kEmerg,
                   std::string("fork() failed ") + net::errno_suffix(errno));
            return 1;
        }
        if (pid > 0) {
            // Foreground: succeed only when the daemon says it is serving.
            ::close(fds[1]);
            char c = 0;
            ssize_t n;
            do {
                n = ::read(fds[0], &c, 1);
            } while (n < 0 && errno == EINTR);
            ::close(fds[0]);
            if (n == 1 && c == '1') {
                return 0;
            }
            int status = 0;
            ::waitpid(pid, &status, 0);
            return 1;
        }
        ::close(fds[0]);
        report_fd = fds[1];
        ::setsid();
        ::umask(0);
    }

    core::Status st = start(config);
    if (!st) {
        report(core::LogLevel::kEmerg, st.message());
        generations_.clear();
        close_all_listeners();
        if (!pid_path_.empty()) {
            ::unlink(pid_path_.c_str());
        }
        if (report_fd >= 0) {
            core::write_all(report_fd, "0");
            ::close(report_fd);
        }
        return 1;
    }
    if (report_fd >= 0) {
        // Detach from the terminal only now: until here errors still reached the user.
        int null_fd = ::open("/dev/null", O_RDWR);
        if (null_fd >= 0) {
            ::dup2(null_fd, 0);
            ::dup2(null_fd, 1);
            if (!stderr_is_sink()) {
                ::dup2(null_fd, 2);
            }
            if (null_fd > 2) {
                ::close(null_fd);
            }
        }
        core::write_all(report_fd, "1");
        ::close(report_fd);
    }
    uv_run(&loop_, UV_RUN_DEFAULT);
    return 0;
}

void Master::setup_loop() {
    uv_loop_init(&loop_);
    loop_.data = this;
    loop_ready_ = true;
    uv_async_init(&loop_, &worker_exit_,
                  [](uv_async_t* h) { static_cast<Master*>(h->loop->data)->on_worker_exit(); });
    for (int signum : {SIGHUP, SIGQUIT, SIGTERM, SIGINT, SIGUSR1}) {
        auto sig = std::make_unique<uv_signal_t>();
        uv_signal_init(&loop_, sig.get());
        uv_signal_start(
            sig.get(),
            [](uv_signal_t* h, int signum) {
                static_cast<Master*>(h->loop->data)->on_signal(signum);
            },
            signum);
        signals_.push_back(std::move(sig));
    }
}

core::Status Master::start(std::shared_ptr<Config> config) {
    setup_loop();
    const MainConf& m = config->main;
    apply_rlimit(m);
    core::log_error(core::LogLevel::kNotice, "using the \"epoll\" event method");
    core::log_error(core::LogLevel::kNotice, TYCHO_VER);

    std::vector<std::vector<WorkerListener>> per_worker;
    std::vector<int> used;
    core::Status st = bind_listeners(*config, per_worker, used);
    if (!st) {
        return st;
    }
    st = write_pid_file(m.pid);
    if (!st) {
        return st;
    }
    pid_path_ = m.pid;
    st = drop_privileges(*config);
    if (!st) {
        return st;
    }
    core::log_error(core::LogLevel::kNotice, "start worker processes");
    return start_generation(std::move(config));
}

core::Status Master::bind_listeners(const Config& config,
                                    std::vector<std::vector<WorkerListener>>& per_worker,
                                    std::vector<int>& used) {
    size_t n = static_cast<size_t>(config.main.worker_processes);
    per_worker.assign(n, {});
    if (!config.http) {
        return core::Status::ok();
    }
    std::vector<std::pair<std::string, int>> opened;  // rolled back on failure
    for (const http::ListenGroup& g : config.http->listen_groups) {
        net::ListenOptions options = to_options(g.listen);
        size_t need = g.listen.reuseport ? n : 1;
        auto [it, inserted] = bound_.try_emplace(g.listen.text, Bound{options, {}});
        Bound& b = it->second;
        while (b.fds.size() < need) {
            core::Result<int> fd = net::open_listener(b.fds.empty() ? options : b.options);
            if (!fd) {
                for (auto& [text, ofd] : opened) {
                    Bound& ob = bound_[text];
                    std::erase(ob.fds, ofd);
                    ::close(ofd);
                    if (ob.fds.empty()) {
                        bound_.erase(text);
                    }
                }
                if (b.fds.empty()) {
                    bound_.erase(g.listen.text);
                }
                return fd.status();
            }
            if (b.fds.empty()) {
                b.options = options;
            }
            b.fds.push_back(*fd);
            opened.emplace_back(g.listen.text, *fd);
        }
        for (size_t w = 0; w < n; w++) {
            int fd = g.listen.reuseport ? b.fds[w] : b.fds[0];
            per_worker[w].push_back(WorkerListener{fd, &g});
            used.push_back(fd);
        }
    }
    return core::Status::ok();
}

core::Status Master::start_generation(std::shared_ptr<const Config> config) {
    auto gen = std::make_unique<Generation>();
    gen->config = config;
    std::vector<std::vector<WorkerListener>> per_worker;
    core::Status st = bind_listeners(*config, per_worker, gen->fds);
    if (!st) {
        return st;
    }
    for (size_t w = 0; w < per_worker.size(); w++) {
        auto worker = std::make_unique<WorkerThread>(static_cast<int>(w), config, per_worker[w],
                                                     [this] { uv_async_send(&worker_exit_); });
        st = worker->start();
        if (!st) {
            // Those already running stop at once; the generation retires like any other.
            for (auto& started : gen->workers) {
                started->fast_stop();
            }
            gen->retiring = true;
            generations_.push_back(std::move(gen));
            return st;
        }
        core::log_error(core::LogLevel::kNotice,
                        "start worker thread " + std::to_string(worker->tid()));
        gen->workers.push_back(std::move(worker));
    }
    current_ = config;
    generations_.push_back(std::move(gen));
    return core::Status::ok();
}

void Master::release_unused_listeners() {
    std::set<int> in_use;
    for (const auto& gen : generations_) {
        in_use.insert(gen->fds.begin(), gen->fds.end());
    }
    for (auto it = bound_.begin(); it != bound_.end();) {
        Bound& b = it->second;
        std::erase_if(b.fds, [&](int fd) {
            if (in_use.count(fd) != 0) {
                return false;
            }
            ::close(fd);
            return true;
        });
        if (b.fds.empty()) {
            if (b.options.is_unix && !b.options.unix_path.empty()) {
                ::unlink(b.options.unix_path.c_str());
            }
            it = bound_.erase(it);
        } else {
            ++it;
        }
    }
}

void Master::close_all_listeners() {
    for (auto& [text, b] : bound_) {
        for (int fd : b.fds) {
            ::close(fd);
        }
        if (b.options.is_unix && !b.options.unix_path.empty()) {
            ::unlink(b.options.unix_path.c_str());
        }
    }
    bound_.clear();
}

core::Status Master::write_pid_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        return core::Status::error(open_failed(path, errno));
    }
    std::string text = std::to_string(::getpid()) + "\n";
    ssize_t n = ::write(fd, text.data(), text.size());
    int err = errno;
    ::close(fd);
    if (n != static_cast<ssize_t>(text.size())) {
        return core::Status::error("write() \"" + path + "\" failed " + net::errno_suffix(err));
    }
    return core::Status::ok();
}

core::Status Master::drop_privileges(const Config& config) {
    const MainConf& m = config.main;
    if (m.user.empty() || ::geteuid() != 0) {
        return core::Status::ok();
    }
    passwd* pw = ::getpwnam(m.user.c_str());
    group* gr = ::getgrnam(m.group.c_str());
    if (pw == nullptr || gr == nullptr) {
        return core::Status::error("getpwnam(\"" + m.user + "\") failed");
    }
    uid_t uid = pw->pw_uid;
    gid_t gid = gr->gr_gid;
    // The logs stay writable (and reopenable on USR1) by the unprivileged server.
    for (const core::LogSink& s : core::log_sinks()) {
        if (s.path != "stderr" && !s.path.empty()) {
            if (::chown(s.path.c_str(), uid, static_cast<gid_t>(-1)) < 0) {
                report(core::LogLevel::kAlert, "chown(\"" + s.path + "\", " + std::to_string(uid) +
                                                   ") failed " + net::errno_suffix(errno));
            }
        }
    }
    if (::setgid(gid) < 0) {
        return core::Status::error("setgid(" + std::to_string(gid) + ") failed " +
                                   net::errno_suffix(errno));
    }
    if (::initgroups(m.user.c_str(), gid) < 0) {
        return core::Status::error("initgroups(" + m.user + ", " + std::to_string(gid) +
                                   ") failed " + net::errno_suffix(errno));
    }
    if (::setuid(uid) < 0) {
        return core::Status::error("setuid(" + std::to_string(uid) + ") failed " +
                                   net::errno_suffix(errno));
    }
    privileges_dropped_ = true;
    return core::Status::ok();
}

void Master::on_signal(int signum) {
    const char* action = "";
    switch (signum) {
        case SIGQUIT:
            action = ", shutting down";
            break;
        case SIGTERM:
        case SIGINT:
            action = ", exiting";
            break;
        case SIGHUP:
            action = ", reconfiguring";
            break;
        case SIGUSR1:
            action = ", reopening logs";
            break;
    }
    core::log_error(core::LogLevel::kNotice, "signal " + std::to_string(signum) + " (" +
                                                 signal_name(signum) + ") received" + action);
    switch (signum) {
        case SIGQUIT:
            stop(false);
            break;
        case SIGTERM:
        case SIGINT:
            stop(true);
            break;
        case SIGHUP:
            reload();
            break;
        case SIGUSR1:
            reopen();
            break;
    }
}

void Master::stop(bool fast) {
    if (state_ == State::kTerminating || (state_ == State::kQuitting && !fast)) {
        return;
    }
    state_ = fast ? State::kTerminating : State::kQuitting;
    // The listening sockets stay open until every worker has let go of them (workers may still
    // reference the descriptors in their loops); finish() closes them.
    for (auto& gen : generations_) {
        gen->retiring = true;
        for (auto& w : gen->workers) {
            if (fast) {
                w->fast_stop();
            } else {
                w->graceful_stop();
            }
        }
    }
    on_worker_exit();
}

void Master::on_worker_exit() {
    for (auto it = generations_.begin(); it != generations_.end();) {
        Generation& gen = **it;
        bool all_exited = true;
        for (auto& w : gen.workers) {
            if (!w->exited()) {
                all_exited = false;
            }
        }
        if (gen.retiring && all_exited) {
            for (auto& w : gen.workers) {
                w->join();
            }
            it = generations_.erase(it);
        } else {
            ++it;
        }
    }
    release_unused_listeners();
    if (state_ != State::kRunning && generations_.empty()) {
        finish();
    }
}

void Master::finish() {
    close_all_listeners();
    if (!pid_path_.empty() && ::unlink(pid_path_.c_str()) < 0) {
        core::log_error(core::LogLevel::kAlert,
                        "unlink() \"" + pid_path_ + "\" failed " + net::errno_suffix(errno));
    }
    pid_path_.clear();
    core::log_error(core::LogLevel::kNotice, "exit");
    close_handles();
}

void Master::close_handles() {
    if (handles_closed_) {
        return;
    }
    handles_closed_ = true;
    for (auto& sig : signals_) {
        uv_close(reinterpret_cast<uv_handle_t*>(sig.get()), nullptr);
    }
    uv_close(reinterpret_cast<uv_handle_t*>(&worker_exit_), nullptr);
}

void Master::reload() {
    if (state_ != State::kRunning) {
        return;
    }
    core::log_error(core::LogLevel::kNotice, "reconfiguring");
    core::Result<std::shared_ptr<Config>> loaded =
        load_config(options_.prefix, options_.conf_file, options_.g_directives);
    if (!loaded) {
        core::log_error(core::LogLevel::kEmerg, loaded.message());
        return;
    }
    std::shared_ptr<Config> config = std::move(loaded.value());
    for (const std::string& w : config->warnings) {
        core::log_error(core::LogLevel::kWarn, w);
    }
    // Settings fixed at startup keep their first value, as nginx ignores them on reload.
    config->main.daemon = current_->main.daemon;
    apply_rlimit(config->main);
    core::Result<std::vector<core::LogSink>> sinks = open_error_logs(*config, options_);
    if (!sinks) {
        core::log_error(core::LogLevel::kEmerg, sinks.message());
        return;
    }
    if (config->main.pid != pid_path_) {
        core::Status st = write_pid_file(config->main.pid);
        if (!st) {
            core::log_error(core::LogLevel::kEmerg, st.message());
            for (const core::LogSink& s : *sinks) {
                if (s.fd > 2) {
                    ::close(s.fd);
                }
            }
            return;
        }
    }
    std::vector<Generation*> old;
    for (auto& gen : generations_) {
        if (!gen->retiring) {
            old.push_back(gen.get());
        }
    }
    core::Status st = start_generation(config);
    if (!st) {
        core::log_error(core::LogLevel::kEmerg, st.message());
        core::log_error(core::LogLevel::kAlert,
                        "reload failed, the previous configuration keeps running");
        if (config->main.pid != pid_path_) {
            ::unlink(config->main.pid.c_str());
        }
        for (const core::LogSink& s : *sinks) {
            if (s.fd > 2) {
                ::close(s.fd);
            }
        }
        release_unused_listeners();
        return;
    }
    if (config->main.pid != pid_path_) {
        ::unlink(pid_path_.c_str());
        pid_path_ = config->main.pid;
    }
    core::set_log_sinks(std::move(sinks.value()));
    for (Generation* gen : old) {
        gen->retiring = true;
        for (auto& w : gen->workers) {
            w->graceful_stop();
        }
    }
}

void Master::reopen() {
    if (!current_) {
        return;
    }
    core::Result<std::vector<core::LogSink>> sinks = open_error_logs(*current_, options_);
    if (!sinks) {
        core::log_error(core::LogLevel::kAlert, sinks.message());
    } else {
        core::set_log_sinks(std::move(sinks.value()));
    }
    // Access-log files are shared by all workers and reopened in place (any thread may do it).
    core::Status st = http::reopen_access_logs();
    if (!st) {
        core::log_error(core::LogLevel::kAlert, st.message());
    }
}

}  // namespace tycho::server
