#include "server/config.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include "event/thread_pool.h"
#include "lua/lua_module.h"

namespace tycho::server {
namespace {

using core::ConfNode;
using core::ConfProcessor;
using core::Directive;
using core::DirectiveTable;
using core::Status;

MainConf& main_of(ConfProcessor& p) {
    return *static_cast<MainConf*>(p.slot("main"));
}

Status duplicate(const ConfNode& node) {
    return Status::error("\"" + node.name + "\" directive is duplicate");
}

// nginx's ngx_atoi: decimal digits only, no sign, no overflow.
bool parse_int(std::string_view text, int64_t& out) {
    if (text.empty()) {
        return false;
    }
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc() && ptr == text.data() + text.size() && out >= 0 && text[0] != '-' &&
           text[0] != '+';
}

// A flag directive that may appear once (nginx's ngx_conf_set_flag_slot).
Status set_flag(const ConfNode& node, bool& value, bool& seen) {
    if (seen) {
        return duplicate(node);
    }
    core::Result<bool> r = core::parse_flag(node);
    if (!r) {
        return r.status();
    }
    value = *r;
    seen = true;
    return Status::ok();
}

std::vector<std::string>* g_warnings = nullptr;  // the load in progress (master thread only)

void warn(const ConfNode& node, std::string_view message) {
    if (g_warnings != nullptr) {
        g_warnings->push_back(ConfProcessor::error_at(node, message).message());
    }
}

Status set_error_log(ConfProcessor& p, const ConfNode& node, MainConf& main) {
    ErrorLogConf log;
    const std::string& file = node.args[0];
    log.path = (file == "stderr") ? file : p.full_path(file);
    bool level_set = false;
    for (size_t i = 1; i < node.args.size(); i++) {
        std::optional<core::LogLevel> level = core::parse_log_level(node.args[i]);
        if (!level || *level == core::LogLevel::kStderr) {
            return Status::error("invalid log level \"" + node.args[i] + "\"");
        }
        if (level_set) {
            return Status::error("duplicate log level \"" + node.args[i] + "\"");
        }
        log.level = *level;
        level_set = true;
    }
    main.error_logs.push_back(std::move(log));
    return Status::ok();
}

}  // namespace

int cpu_count() {
    long n = ::sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? static_cast<int>(n) : 1;
}

void register_main_directives(DirectiveTable& table) {
    using namespace core;
    table.add({"worker_processes", kConfMain, kArgs1,
               [](ConfProcessor& p, const ConfNode& node, void*) -> Status {
                   MainConf& m = main_of(p);
                   if (m.worker_processes_set) {
                       return duplicate(node);
                   }
                   m.worker_processes_set = true;
                   if (node.args[0] == "auto") {
                       m.worker_processes = cpu_count();
                       return Status::ok();
                   }
                   int64_t n = 0;
                   if (!parse_int(node.args[0], n) || n > INT32_MAX) {
                       return Status::error("\"worker_processes\" directive invalid value");
                   }
                   // nginx accepts 0 (no workers); a server without workers serves nothing, so
                   // keep at least one thread.
                   m.worker_processes = n == 0 ? 1 : static_cast<int>(n);
                   return Status::ok();
               }});
    table.add({"daemon", kConfMain, kArgsFlag,
               [](ConfProcessor& p, const ConfNode& node, void*) -> Status {
                   MainConf& m = main_of(p);
                   return set_flag(node, m.daemon, m.daemon_set);
               }});
    table.add({"master_process", kConfMain, kArgsFlag,
               [](ConfProcessor& p, const ConfNode& node, void*) -> Status {
                   MainConf& m = main_of(p);
                   return set_flag(node, m.master_process, m.master_process_set);
               }});
    table.add(
        {"pid", kConfMain, kArgs1, [](ConfProcessor& p, const ConfNode& node, void*) -> Status {
             MainConf& m = main_of(p);
             if (m.pid_set) {
                 return duplicate(node);
             }
             m.pid_set = true;
             m.pid = node.args[0];
             return Status::ok();
         }});
    table.add(
        {"env", kConfMain, kArgs1, [](ConfProcessor& p, const ConfNode& node, void*) -> Status {
             main_of(p).env.push_back(node.args[0]);
             return Status::ok();
         }});
    table.add(
        {"user", kConfMain, kArgs12, [](ConfProcessor& p, const ConfNode& node, void*) -> Status {
             MainConf& m = main_of(p);
             if (m.user_set) {
                 return duplicate(node);
             }
             m.user_set = true;
             if (::geteuid() != 0) {
                 warn(node,
                      "the \"user\" directive makes sense only if the master process runs "
                      "with super-user privileges, ignored");
                 return Status::ok();
             }
             errno = 0;
             if (::getpwnam(node.args[0].c_str()) == nullptr) {
                 return Status::error("getpwnam(\"" + node.args[0] + "\") failed");
             }
             const std::string& group = node.args.size() == 2 ? node.args[1] : node.args[0];
             errno = 0;
             if (::getgrnam(group.c_str()) == nullptr) {
                 return Status::error("getgrnam(\"" + group + "\") failed");
             }
             m.user = node.args[0];
             m.group = group;
             return Status::ok();
         }});
    // Configurations written for Debian's OpenResty load the Lua module and NDK it needs; Tycho
    // has Lua built in, so those two load as nothing. Any other module does not exist here.
    table.add({"load_module", kConfMain, kArgs1,
               [](ConfProcessor&, const ConfNode& node, void*) -> Status {
                   std::string_view path = node.args[0];
                   std::string_view base = path.substr(path.rfind('/') + 1);
                   if (base == "ngx_http_lua_module.so" || base == "ndk_http_module.so") {
                       return Status::ok();
                   }
                   return Status::error("load_module \"" + node.args[0] +
                                        "\": Tycho loads no dynamic modules (ngx_http_lua_module "
                                        "and ndk_http_module are built in)");
               }});
    table.add({"worker_rlimit_nofile", kConfMain, kArgs1,
               [](ConfProcessor& p, const ConfNode& node, void*) -> Status {
                   MainConf& m = main_of(p);
                   if (m.rlimit_set) {
                       return duplicate(node);
                   }
                   int64_t n = 0;
                   if (!parse_int(node.args[0], n)) {
                       return Status::error("\"worker_rlimit_nofile\" directive invalid number");
                   }
                   m.rlimit_set = true;
                   m.worker_rlimit_nofile = n;
                   return Status::ok();
               }});
    // thread_pool NAME threads=N [max_queue=M] (nginx's ngx_thread_pool texts). The pool is
    // made (or found, on reload) as the line is read; its threads start at its first task.
    table.add({"thread_pool", kConfMain, kArgs23,
               [](ConfProcessor& p, const ConfNode& node, void*) -> Status {
                   MainConf& m = main_of(p);
                   const std::string& name = node.args[0];
                   for (const std::string& known : m.thread_pools) {
                       if (known == name) {
                           return Status::error("duplicate thread pool \"" + name + "\"");
                       }
                   }
                   int threads = 0;
                   int max_queue = 65536;
                   for (size_t i = 1; i < node.args.size(); i++) {
                       const std::string& a = node.args[i];
                       auto number = [](std::string_view v, int* out) {
                           auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), *out);
                           return !v.empty() && ec == std::errc() && end == v.data() + v.size() &&
                                  *out >= 0;
                       };
                       if (a.rfind("threads=", 0) == 0) {
                           if (!number(std::string_view(a).substr(8), &threads) || threads == 0) {
                               return Status::error("invalid threads value \"" + a + "\"");
                           }
                       } else if (a.rfind("max_queue=", 0) == 0) {
                           if (!number(std::string_view(a).substr(10), &max_queue)) {
                               return Status::error("invalid max_queue value \"" + a + "\"");
                           }
                       } else {
                           return Status::error("invalid parameter \"" + a + "\"");
                       }
                   }
                   if (threads == 0) {
                       return Status::error("\"thread_pool\" must have \"threads\" parameter");
                   }
                   m.thread_pools.push_back(name);
                   event::ThreadPool::define(name, threads, max_queue);
                   return Status::ok();
               }});
    table.add({"worker_shutdown_timeout", kConfMain, kArgs1,
               [](ConfProcessor& p, const ConfNode& node, void*) -> Status {
                   MainConf& m = main_of(p);
                   if (m.shutdown_timeout_set) {
                       return duplicate(node);
                   }
                   core::Result<int64_t> ms = core::parse_time_ms(node.args[0]);
                   if (!ms) {
                       return Status::error("\"worker_shutdown_timeout\" directive invalid value");
                   }
                   m.shutdown_timeout_set = true;
                   m.worker_shutdown_timeout_ms = *ms;
                   return Status::ok();
               }});
    table.add({"events", kConfMain, kArgsNone | kArgsBlock,
               [](ConfProcessor& p, const ConfNode& node, void*) -> Status {
                   MainConf& m = main_of(p);
                   if (m.events_seen) {
                       return duplicate(node);
                   }
                   m.events_seen = true;
                   return p.process(node.children, kConfEvents, &m);
               }});
    table.add({"worker_connections", kConfEvents, kArgs1,
               [](ConfProcessor& p, const ConfNode& node, void*) -> Status {
                   MainConf& m = main_of(p);
                   if (m.worker_connections_set) {
                       return duplicate(node);
                   }
                   int64_t n = 0;
                   if (!parse_int(node.args[0], n) || n > INT32_MAX) {
                       return Status::error("invalid number \"" + node.args[0] + "\"");
                   }
                   m.worker_connections_set = true;
                   m.worker_connections = static_cast<int>(n);
                   return Status::ok();
               }});
    table.add({"accept_mutex", kConfEvents, kArgsFlag,
               [](ConfProcessor& p, const ConfNode& node, void*) -> Status {
                   MainConf& m = main_of(p);
                   return set_flag(node, m.accept_mutex, m.accept_mutex_set);
               }});
    table.add({"multi_accept", kConfEvents, kArgsFlag,
               [](ConfProcessor& p, const ConfNode& node, void*) -> Status {
                   return core::parse_flag(node).status();
               }});
    table.add(
        {"use", kConfEvents, kArgs1, [](ConfProcessor& p, const ConfNode& node, void*) -> Status {
             MainConf& m = main_of(p);
             if (m.use_set) {
                 return duplicate(node);
             }
             const std::string& type = node.args[0];
             if (type != "epoll" && type != "poll" && type != "select") {
                 return Status::error("invalid event type \"" + type + "\"");
             }
             m.use_set = true;
             m.use = type;
             return Status::ok();
         }});

    // error_log is also an http/server/location directive (owned by the http module): keep its
    // setter for those levels and handle the main level here.
    Directive error_log{"error_log", kConfMain, kArgs1More, nullptr};
    if (const Directive* http_one = table.find("error_log")) {
        error_log.contexts |= http_one->contexts;
        DirectiveSetter inner = http_one->set;
        error_log.set = [inner](ConfProcessor& p, const ConfNode& node, void* conf) -> Status {
            if (conf == p.slot("main")) {
                return set_error_log(p, node, main_of(p));
            }
            return inner ? inner(p, node, conf) : Status::ok();
        };
    } else {
        error_log.set = [](ConfProcessor& p, const ConfNode& node, void* conf) -> Status {
            return set_error_log(p, node, main_of(p));
        };
    }
    table.add(std::move(error_log));
}

core::Result<std::shared_ptr<Config>> load_config(const std::string& prefix,
                                                  const std::string& conf_file,
                                                  const std::string& g_directives,
                                                  const std::function<void()>& on_syntax_ok) {
    auto config = std::make_shared<Config>();
    config->prefix = prefix;
    if (!config->prefix.empty() && config->prefix.back() != '/') {
        config->prefix.push_back('/');
    }
    config->conf_file =
        (!conf_file.empty() && conf_file[0] == '/') ? conf_file : config->prefix + conf_file;
    std::string conf_dir = config->conf_file.substr(0, config->conf_file.rfind('/') + 1);

    core::Result<core::ParsedConf> parsed = core::parse_conf_file(config->conf_file);
    if (!parsed) {
        return parsed.status();
    }
    config->parsed = std::move(parsed.value());

    // -g directives come first, as nginx processes them before the file.
    std::vector<ConfNode> nodes;
    if (!g_directives.empty()) {
        core::Result<core::ParsedConf> g =
            core::parse_conf_string(g_directives, "command line", conf_dir);
        if (!g) {
            return g.status();
        }
        nodes = std::move(g->nodes);
    }
    nodes.insert(nodes.end(), config->parsed.nodes.begin(), config->parsed.nodes.end());

    DirectiveTable table;
    http::register_http_directives(table);
    lua::register_lua_directives(table);
    register_main_directives(table);

    ConfProcessor processor(table);
    processor.prefix = config->prefix;
    processor.conf_file = config->conf_file;
    processor.set_slot("main", &config->main);
    processor.set_slot("http_owner", &config->http);

    g_warnings = &config->warnings;
    Status st = processor.process(nodes, core::kConfMain, &config->main);
    g_warnings = nullptr;
    if (!st) {
        return st;
    }
    if (config->http) {
        Status fin = http::finish_http_conf(*config->http, config->prefix);
        if (!fin) {
            return fin;
        }
    }
    if (on_syntax_ok) {
        on_syntax_ok();
    }

    MainConf& m = config->main;
    if (!m.events_seen) {
        return Status::error("no \"events\" section in configuration");
    }
    m.pid = processor.full_path(m.pid);
    if (m.error_logs.empty()) {
        m.error_logs.push_back(
            ErrorLogConf{config->prefix + "logs/error.log", core::LogLevel::kError});
        m.error_log_default = true;
    }
    return config;
}

}  // namespace tycho::server
