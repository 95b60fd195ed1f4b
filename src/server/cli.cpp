#include "server/cli.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/log.h"
#include "core/version.h"
#include "lua/vm.h"
#include "net/listener.h"
#include "server/config.h"
#include "server/master.h"
#include "server/run.h"

// The default -p: the install prefix, with a trailing '/' (set for tycho_server by CMake).
#ifndef TYCHO_PREFIX
#define TYCHO_PREFIX "/usr/local/tycho/"
#endif

namespace tycho::server {
namespace {

constexpr const char* kDefaultConf = "conf/nginx.conf";

struct Args {
    bool help = false;
    bool version = false;
    bool configure = false;
    bool test = false;
    bool dump = false;
    bool quiet = false;
    std::string prefix;
    std::string conf_file;
    std::string error_log;
    std::string g_directives;
    std::string signal;
};

void write_stderr(const std::string& text) {
    std::string line = text + "\n";
    const char* p = line.data();
    size_t left = line.size();
    while (left > 0) {
        ssize_t n = ::write(2, p, left);
        if (n <= 0) {
            return;
        }
        p += n;
        left -= static_cast<size_t>(n);
    }
}

// nginx's ngx_get_options: flags may be grouped (-tq), values attached (-p/x) or separate.
bool parse_args(int argc, char** argv, Args& a) {
    for (int i = 1; i < argc; i++) {
        const char* p = argv[i];
        if (*p++ != '-') {
            write_stderr(std::string("tycho: invalid option: \"") + argv[i] + "\"");
            return false;
        }
        while (*p) {
            char c = *p++;
            std::string* value = nullptr;
            const char* missing = nullptr;
            switch (c) {
                case '?':
                case 'h':
                    a.version = a.help = true;
                    continue;
                case 'v':
                    a.version = true;
                    continue;
                case 'V':
                    a.version = a.configure = true;
                    continue;
                case 't':
                    a.test = true;
                    continue;
                case 'T':
                    a.test = a.dump = true;
                    continue;
                case 'q':
                    a.quiet = true;
                    continue;
                case 'p':
                    value = &a.prefix;
                    missing = "option \"-p\" requires directory name";
                    break;
                case 'e':
                    value = &a.error_log;
                    missing = "option \"-e\" requires file name";
                    break;
                case 'c':
                    value = &a.conf_file;
                    missing = "option \"-c\" requires file name";
                    break;
                case 'g':
                    value = &a.g_directives;
                    missing = "option \"-g\" requires parameter";
                    break;
                case 's':
                    value = &a.signal;
                    missing = "option \"-s\" requires parameter";
                    break;
                default:
                    write_stderr(std::string("tycho: invalid option: \"") + c + "\"");
                    return false;
            }
            if (*p) {
                *value = p;
            } else if (i + 1 < argc) {
                *value = argv[++i];
            } else {
                write_stderr(std::string("tycho: ") + missing);
                return false;
            }
            if (c == 's' && a.signal != "stop" && a.signal != "quit" && a.signal != "reopen" &&
                a.signal != "reload") {
                write_stderr("tycho: invalid option: \"-s " + a.signal + "\"");
                return false;
            }
            break;  // the rest of this argument was the value
        }
    }
    return true;
}

std::string configure_arguments() {
    std::string prefix = TYCHO_PREFIX;
    if (prefix.size() > 1 && prefix.back() == '/') {
        prefix.pop_back();
    }
    // Only what is really built in; the upstream modules that do not exist are spelled out so
    // that tools probing for them get the truth.
    return "--prefix=" + prefix +
           " --without-http_fastcgi_module --without-http_scgi_module"
           " --without-http_uwsgi_module";
}

void show_version_info(const Args& a) {
    write_stderr("nginx version: " TYCHO_VER);
    if (a.help) {
        write_stderr(
            "Usage: tycho [-?hvVtTq] [-s signal] [-p prefix]\n"
            "             [-e filename] [-c filename] [-g directives]\n"
            "\n"
            "Options:\n"
            "  -?,-h         : this help\n"
            "  -v            : show version and exit\n"
            "  -V            : show version and configure options then exit\n"
            "  -t            : test configuration and exit\n"
            "  -T            : test configuration, dump it and exit\n"
            "  -q            : suppress non-error messages during configuration testing\n"
            "  -s signal     : send signal to a master process: stop, quit, reopen, reload\n"
            "  -p prefix     : set prefix path (default: " TYCHO_PREFIX
            ")\n"
            "  -e filename   : set error log file (default: logs/error.log)\n"
            "  -c filename   : set configuration file (default: conf/nginx.conf)\n"
            "  -g directives : set global directives out of configuration file\n");
    }
    if (a.configure) {
        write_stderr(std::string("built with ") + OpenSSL_version(OPENSSL_VERSION));
        write_stderr("configure arguments: " + configure_arguments());
    }
}

// nginx's ngx_signal_process: the pid comes from the configuration's pid file.
int signal_process(const Config& config, const std::string& name) {
    core::log_error(core::LogLevel::kNotice, "signal process started");
    const std::string& path = config.main.pid;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        report(core::LogLevel::kError,
               "open() \"" + path + "\" failed " + net::errno_suffix(errno));
        return 1;
    }
    char buf[32];
    ssize_t n = ::read(fd, buf, sizeof(buf));
    int err = errno;
    ::close(fd);
    if (n < 0) {
        report(core::LogLevel::kAlert, "read() \"" + path + "\" failed " + net::errno_suffix(err));
        return 1;
    }
    std::string text(buf, static_cast<size_t>(n));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
        text.pop_back();
    }
    long pid = -1;
    if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos &&
        text.size() < 11) {
        pid = std::strtol(text.c_str(), nullptr, 10);
    }
    if (pid <= 0) {
        report(core::LogLevel::kError, "invalid PID number \"" + text + "\" in \"" + path + "\"");
        return 1;
    }
    int signum = name == "stop"     ? SIGTERM
                 : name == "quit"   ? SIGQUIT
                 : name == "reopen" ? SIGUSR1
                                    : SIGHUP;
    if (::kill(static_cast<pid_t>(pid), signum) < 0) {
        report(core::LogLevel::kAlert, "kill(" + std::to_string(pid) + ", " +
                                           std::to_string(signum) + ") failed " +
                                           net::errno_suffix(errno));
        return 1;
    }
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc >= 2 && std::strcmp(argv[1], "run") == 0) {
        // `tycho run ...` has its own options (resty's); nginx's flags never take a bare word.
        lua::set_configure_arguments(configure_arguments());
        return run_main(argc, argv);
    }
    Args a;
    if (!parse_args(argc, argv, a)) {
        return 1;
    }
    if (a.version) {
        show_version_info(a);
        if (!a.test) {
            return 0;
        }
    }

    ServerOptions options;
    options.prefix = a.prefix.empty() ? std::string(TYCHO_PREFIX) : a.prefix;
    if (options.prefix.back() != '/') {
        options.prefix.push_back('/');
    }
    options.conf_file = a.conf_file.empty() ? kDefaultConf : a.conf_file;
    options.g_directives = a.g_directives;
    options.error_log = a.error_log;
    std::string conf_path =
        options.conf_file[0] == '/' ? options.conf_file : options.prefix + options.conf_file;

    open_startup_log(options);

    core::Result<std::shared_ptr<Config>> loaded =
        load_config(options.prefix, options.conf_file, options.g_directives, [&] {
            if (a.test && !a.quiet) {
                write_stderr("tycho: the configuration file " + conf_path + " syntax is ok");
            }
        });
    auto test_failed = [&] {
        if (a.test) {
            write_stderr("tycho: configuration file " + conf_path + " test failed");
        }
        return 1;
    };
    if (!loaded) {
        report(core::LogLevel::kEmerg, loaded.message());
        return test_failed();
    }
    std::shared_ptr<Config> config = std::move(loaded.value());
    for (const std::string& w : config->warnings) {
        report(core::LogLevel::kWarn, w);
    }

    // nginx opens the error logs in every mode (-t included): an unwritable log is an error.
    core::Result<std::vector<core::LogSink>> sinks = open_error_logs(*config, options);
    if (!sinks) {
        report(core::LogLevel::kEmerg, sinks.message());
        return test_failed();
    }

    if (a.test) {
        for (const core::LogSink& s : *sinks) {
            if (s.fd > 2) {
                ::close(s.fd);
            }
        }
        if (!a.quiet) {
            write_stderr("tycho: configuration file " + conf_path + " test is successful");
        }
        if (a.dump) {
            for (const auto& [path, content] : config->parsed.files) {
                core::write_all(1, "# configuration file " + path + ":\n");
                core::write_all(1, content);
                core::write_all(1, "\n");
            }
        }
        return 0;
    }

    if (!a.signal.empty()) {
        for (const core::LogSink& s : *sinks) {
            if (s.fd > 2) {
                ::close(s.fd);
            }
        }
        return signal_process(*config, a.signal);
    }

    core::set_log_sinks(std::move(sinks.value()));
    lua::set_configure_arguments(configure_arguments());  // ngx.config.nginx_configure()
    Master master(options);
    return master.run(std::move(config));
}

}  // namespace tycho::server
