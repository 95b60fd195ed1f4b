// Directive parsing for the Lua module and the phase handlers it installs. Runtime work lives in
// the scheduler; this file only turns configuration into LuaChunk objects and handlers.

#include "lua/lua_module.h"

#include <cstdio>
#include <functional>
#include <memory>
#include <string>

#include "http/http_conf.h"
#include "http/http_conf_scope.h"
#include "http/http_log.h"
#include "http/phases.h"
#include "http/response.h"
#include "http/variables.h"
#include "lua/lua_conf.h"
#include "lua/scheduler.h"
#include "lua/vm.h"

namespace tycho::lua {

using core::ConfNode;
using core::ConfProcessor;

LuaMainConf& main_conf_of(ConfProcessor& p, http::ConfScope* scope) {
    if (scope->http->lua_conf == nullptr) {
        auto conf = std::make_shared<LuaMainConf>();
        conf->prefix = p.prefix;
        conf->http = scope->http;
        scope->http->lua_conf = conf;
    }
    return *static_cast<LuaMainConf*>(scope->http->lua_conf.get());
}

namespace {

// The file part of an inline chunk's name, as lua-nginx-module's ngx_http_lua_gen_chunk_name
// makes it: "nginx.conf" for any .../nginx.conf, a path relative to the main file's directory for
// a file under it (an `include`d "../html/lua.conf"), else the path as given; one that would
// make the name longer than LuaJIT shows keeps its end after "...". `reserve`: the bytes of the
// tag and the line number.
std::string chunk_file_name(const std::string& file, const std::string& conf_file,
                            size_t reserve) {
    constexpr size_t kMaxChunkName = 56;  // lua-nginx-module's LJ_CHUNKNAME_MAX_LEN
    std::string_view f = file;
    auto tail = [&](std::string_view s) {
        size_t room = kMaxChunkName > reserve + 3 ? kMaxChunkName - reserve - 3 : 0;
        if (s.size() + reserve <= kMaxChunkName) {
            return std::string(s);
        }
        return "..." + std::string(f.substr(f.size() - std::min(room, f.size())));
    };
    if (f.ends_with("/nginx.conf")) {
        return "nginx.conf";
    }
    std::string_view conf_dir = conf_file;
    conf_dir = conf_dir.substr(0, conf_dir.rfind('/') + 1);
    if (!conf_dir.empty() && conf_dir.size() < f.size() && f.starts_with(conf_dir)) {
        return tail(f.substr(conf_dir.size()));
    }
    return tail(f);
}

// FNV-1a: a stable, cheap digest of inline sources for the chunk-cache key.
std::string source_key(const std::string& code) {
    uint64_t h = 1469598103934665603ull;
    for (unsigned char c : code) {
        h ^= c;
        h *= 1099511628211ull;
    }
    char buf[40];
    std::snprintf(buf, sizeof(buf), "nhli_%016llx_%zu", static_cast<unsigned long long>(h),
                  code.size());
    return buf;
}

}  // namespace

std::shared_ptr<LuaChunk> make_chunk(ConfProcessor& p, const ConfNode& node, ChunkForm form,
                                     const std::string& base, size_t code_arg) {
    auto chunk = std::make_shared<LuaChunk>();
    if (form == ChunkForm::kFile) {
        chunk->kind = LuaChunk::Kind::kFile;
        chunk->code = p.full_path(node.args[code_arg]);
        chunk->name = "@" + chunk->code;
        chunk->key = "nhlf_" + chunk->code;
        return chunk;
    }
    chunk->kind = LuaChunk::Kind::kInline;
    chunk->code = form == ChunkForm::kBlock ? node.lua_source : node.args[code_arg];
    std::string line = std::to_string(node.line);
    std::string file = chunk_file_name(node.file, p.conf_file, base.size() + line.size());
    chunk->name = "=" + base + "(" + file + ":" + line + ")";
    chunk->key = source_key(chunk->code);
    return chunk;
}

core::Status compile_request_path(LuaChunk& chunk, const ConfNode& node, ChunkForm form,
                                  size_t code_arg) {
    if (form != ChunkForm::kFile || node.args[code_arg].find('$') == std::string::npos) {
        return core::Status::ok();
    }
    auto cv = http::ComplexValue::compile(node.args[code_arg]);
    if (!cv) {
        return cv.status();
    }
    if (!cv.value()->is_literal()) {
        chunk.path = std::move(cv.value());
    }
    return core::Status::ok();
}


namespace {

using core::ConfNode;
using core::ConfProcessor;
using core::Status;

class LuaPhaseHandler final : public http::PhaseHandler {
  public:
    LuaPhaseHandler(Phase phase, std::shared_ptr<const LuaChunk> chunk)
        : phase_(phase), chunk_(std::move(chunk)) {}

    void collect_values(std::vector<const http::ComplexValue*>& out) const override {
        out.push_back(chunk_->path.get());
    }

    int handle(http::Request& r) override {
        WorkerRuntime* rt = current_runtime();
        if (rt == nullptr) {
            http::log_request(core::LogLevel::kError, r, "no Lua VM in this worker");
            return phase_ == Phase::kLog ? http::kOk : 500;
        }
        const LuaChunk* chunk = &rt->request_chunk(*chunk_, r);
        if (phase_ == Phase::kLog) {
            (void)rt->scheduler().run_unyieldable(&r, phase_, *chunk);
            return http::kOk;
        }
        if (r.loc != nullptr && r.loc->lua_need_request_body == 1 && !r.body_read &&
            !r.body_discarding) {
            // lua_need_request_body: read the body first; the code runs once it is there.
            auto waiting = std::make_shared<bool>(false);
            int rc = http::read_client_body(r, [this, waiting](http::Request& req) {
                if (*waiting) {
                    run_after_body(req);
                }
            });
            if (rc == http::kAgain && !r.body_read) {
                *waiting = true;
                return http::kAgain;
            }
            if (rc != http::kOk && rc != http::kAgain) {
                return rc;  // kDone: the body layer already answered (413 ...)
            }
        }
        if (r.loc != nullptr && r.loc->lua_check_client_abort == 1) {
            r.on_client_abort = [](http::Request& req) {
                if (WorkerRuntime* w = current_runtime()) {
                    w->scheduler().client_aborted(req);
                }
            };
        }
        return rt->scheduler().run_request_phase(r, phase_, *chunk);
    }

  private:
    // The body arrived after handle() returned kAgain: run the code and report its outcome
    // the way an asynchronous handler does.
    void run_after_body(http::Request& r) {
        int rc = handle(r);
        if (rc == http::kAgain) {
            return;
        }
        if (phase_ == Phase::kContent) {
            http::finalize_request(r, rc);
        } else {
            http::resume_phases(r, rc == http::kOk ? http::kDeclined : rc);
        }
    }


    Phase phase_;
    std::shared_ptr<const LuaChunk> chunk_;
};

struct PhaseDirective {
    const char* base;  // "content_by_lua"
    Phase phase;
    uint32_t contexts;
    bool quoted = true;  // BASE 'code' exists too (server_rewrite_by_lua has only _block/_file)
};

// lua-nginx-module trims from its log-phase handler, which it installs only for log_by_lua* or
// an explicit lua_malloc_trim N > 0; its default N (1000) alone trims nothing.
void apply_malloc_trim(const LuaMainConf& m, http::HttpConf& http) {
    http.malloc_trim_every = m.malloc_trim > 0 && (m.malloc_trim_set || m.has_log_by_lua)
                                 ? m.malloc_trim
                                 : 0;
}

Status set_phase_code(ConfProcessor& p, const ConfNode& node, void* conf, const PhaseDirective& d,
                      ChunkForm form) {
    http::ConfScope* scope = http::conf_scope(conf);
    (void)main_conf_of(p, scope);  // marks the configuration as using Lua (uses_lua)
    std::shared_ptr<http::PhaseHandler>* slot = nullptr;
    switch (d.phase) {
        case Phase::kServerRewrite:
            slot = &scope->loc->server_rewrite_handler;
            break;
        case Phase::kRewrite:
            slot = &scope->loc->rewrite_handler;
            break;
        case Phase::kAccess:
            slot = &scope->loc->access_handler;
            break;
        case Phase::kContent:
            slot = &scope->loc->content_handler;
            break;
        case Phase::kLog:
            slot = &scope->loc->log_handler;
            break;
        default:
            return Status::error("unsupported Lua phase");
    }
    if (*slot != nullptr) {
        // lua-nginx-module parses *_block bodies itself, and nginx then prints its message bare.
        return Status::error(form == ChunkForm::kBlock ? "is duplicate"
                                                  : "\"" + node.name + "\" directive is duplicate");
    }
    if (form != ChunkForm::kFile) {
        const std::string& code = form == ChunkForm::kBlock ? node.lua_source : node.args[0];
        if (code.find_first_not_of(" \t\r\n") == std::string::npos && form == ChunkForm::kString) {
            return Status::error("invalid location config: no runnable Lua code");
        }
    }
    std::shared_ptr<LuaChunk> chunk = make_chunk(p, node, form, d.base);
    if (Status st = compile_request_path(*chunk, node, form); !st) {
        return st;
    }
    *slot = std::make_shared<LuaPhaseHandler>(d.phase, std::move(chunk));
    if (d.phase == Phase::kLog) {
        LuaMainConf& m = main_conf_of(p, scope);
        m.has_log_by_lua = true;
        apply_malloc_trim(m, *scope->http);
    }
    return Status::ok();
}

Status set_init_code(ConfProcessor& p, const ConfNode& node, void* conf, const char* base,
                     bool worker, ChunkForm form) {
    http::ConfScope* scope = http::conf_scope(conf);
    LuaMainConf& m = main_conf_of(p, scope);
    std::shared_ptr<const LuaChunk>& slot = worker ? m.init_worker : m.init;
    if (slot != nullptr) {
        return Status::error("\"" + node.name + "\" directive is duplicate");
    }
    slot = make_chunk(p, node, form, base);
    return Status::ok();
}

// BASE_block, BASE_file and, with `quoted` (directives older than the _block forms), BASE.
void add_code_directives(core::DirectiveTable& table, const std::string& base,
                         std::function<Status(ConfProcessor&, const ConfNode&, void*, ChunkForm)> set,
                         uint32_t contexts, bool quoted = true) {
    table.add(core::Directive{base + "_block", contexts, core::kArgsBlock | core::kArgsNone,
                              [set](ConfProcessor& p, const ConfNode& n, void* c) {
                                  return set(p, n, c, ChunkForm::kBlock);
                              }});
    table.add(core::Directive{
        base + "_file", contexts, core::kArgs1,
        [set](ConfProcessor& p, const ConfNode& n, void* c) { return set(p, n, c, ChunkForm::kFile); }});
    if (!quoted) {
        return;
    }
    table.add(core::Directive{base, contexts, core::kArgs1,
                              [set](ConfProcessor& p, const ConfNode& n, void* c) {
                                  return set(p, n, c, ChunkForm::kString);
                              }});
}

Status set_package_path(ConfProcessor& p, const ConfNode& node, void* conf, bool cpath) {
    LuaMainConf& m = main_conf_of(p, http::conf_scope(conf));
    std::string& slot = cpath ? m.package_cpath : m.package_path;
    if (!slot.empty()) {
        return Status::error("\"" + node.name + "\" directive is duplicate");
    }
    slot = node.args[0];
    return Status::ok();
}

// nginx's ngx_atoi: a non-negative decimal integer (short enough not to overflow), else -1.
int64_t parse_decimal(const std::string& v) {
    int64_t n = 0;
    bool ok = !v.empty() && v.size() < 19;
    for (char ch : v) {
        ok = ok && ch >= '0' && ch <= '9';
        n = n * 10 + (ch - '0');
    }
    return ok ? n : -1;
}

// ngx_conf_set_num_slot: a non-negative decimal integer, set once.
// A number directive of http{} kept in LuaMainConf (nginx's ngx_conf_set_num_slot texts).
template <int64_t LuaMainConf::*Field, bool LuaMainConf::*Seen>
Status set_main_number(ConfProcessor& p, const ConfNode& node, void* conf) {
    LuaMainConf& m = main_conf_of(p, http::conf_scope(conf));
    int64_t n = parse_decimal(node.args[0]);
    if (n < 0) {
        return Status::error("\"" + node.name + "\" directive invalid number");
    }
    if (m.*Seen) {
        return Status::error("\"" + node.name + "\" directive is duplicate");
    }
    m.*Seen = true;
    m.*Field = n;
    return Status::ok();
}

// lua_capture_error_log SIZE (lua-nginx-module's ngx_http_lua_capture_error_log texts).
Status set_capture_error_log(ConfProcessor& p, const ConfNode& node, void* conf) {
    LuaMainConf& m = main_conf_of(p, http::conf_scope(conf));
    if (m.capture_error_log != 0) {
        return Status::error("\"" + node.name + "\" directive is duplicate");
    }
    const std::string& v = node.args[0];
    constexpr int64_t kMaxErrorStr = 2048;  // nginx's NGX_MAX_ERROR_STR
    if (v.empty()) {
        return Status::error("invalid capture error log size \"\"");
    }
    core::Result<int64_t> size = core::parse_size(v);  // nginx: a bad size is -1, too small
    if (!size || *size < kMaxErrorStr) {
        return Status::error("invalid capture error log size \"" + v + "\", minimum size is " +
                             std::to_string(kMaxErrorStr));
    }
    m.capture_error_log = *size;
    return Status::ok();
}

// An on|off directive kept as 1/0 in a LocConf field (-1 until set, then merged).
template <int http::LocConf::*Field>
Status set_loc_flag(ConfProcessor&, const ConfNode& node, void* conf) {
    core::Result<bool> on = core::parse_flag(node);
    if (!on) {
        return on.status();
    }
    http::conf_scope(conf)->loc->*Field = *on ? 1 : 0;
    return Status::ok();
}

// lua_malloc_trim N (ngx_http_lua_malloc_trim: ngx_atoi, no duplicate check, the last wins).
Status set_malloc_trim(ConfProcessor& p, const ConfNode& node, void* conf) {
    http::ConfScope* scope = http::conf_scope(conf);
    LuaMainConf& m = main_conf_of(p, scope);
    int64_t n = parse_decimal(node.args[0]);
    if (n < 0) {
        return Status::error("invalid number in the 1st argument");
    }
    m.malloc_trim = n;
    m.malloc_trim_set = true;
    apply_malloc_trim(m, *scope->http);
    return Status::ok();
}

// lua-nginx-module directives of the cosocket and its TLS layer, which Tycho has not built yet
// (docs/README.md, "Not built yet"): checked as lua-nginx-module checks them, so a configuration
// written for OpenResty loads, and a warning says they do nothing here.
Status set_cosocket_directive(ConfProcessor&, const ConfNode& node, void*) {
    std::string_view name = node.name;
    const std::string& v = node.args[0];
    if (name == "lua_socket_log_errors") {
        if (core::Result<bool> on = core::parse_flag(node); !on) {
            return on.status();
        }
    } else if (name.ends_with("_timeout")) {
        if (!core::parse_time_ms(v)) {  // ngx_conf_set_msec_slot
            return Status::error("\"" + node.name + "\" directive invalid value");
        }
    } else if (name == "lua_socket_buffer_size" || name == "lua_socket_send_lowat") {
        if (!core::parse_size(v)) {  // ngx_conf_set_size_slot
            return Status::error("\"" + node.name + "\" directive invalid value");
        }
    } else if (name == "lua_socket_pool_size" || name == "lua_ssl_verify_depth") {
        if (parse_decimal(v) < 0) {
            return Status::error("\"" + node.name + "\" directive invalid number");
        }
    } else if (name == "lua_ssl_protocols") {
        for (const std::string& a : node.args) {  // ngx_conf_set_bitmask_slot
            if (a != "SSLv2" && a != "SSLv3" && a != "TLSv1" && a != "TLSv1.1" &&
                a != "TLSv1.2" && a != "TLSv1.3") {
                return Status::error("invalid value \"" + a + "\"");
            }
        }
    }
    http::warn_at(node, "\"" + node.name + "\" has no effect: cosockets are not implemented in "
                        "Tycho yet");
    return Status::ok();
}

Status set_code_cache(ConfProcessor& p, const ConfNode& node, void* conf) {
    core::Result<bool> on = core::parse_flag(node);
    if (!on) {
        return on.status();
    }
    LuaMainConf& m = main_conf_of(p, http::conf_scope(conf));
    if (!*on) {
        m.code_cache = false;
        if (m.code_cache_alert.empty()) {
            m.code_cache_alert = "lua_code_cache is off; this will hurt performance in " +
                                 node.file + ":" + std::to_string(node.line);
        }
    }
    return Status::ok();
}

}  // namespace

void register_lua_directives(core::DirectiveTable& table) {
    constexpr uint32_t kAnyLevel =
        core::kConfHttp | core::kConfServer | core::kConfLocation | core::kConfIf;
    static const PhaseDirective kPhases[] = {
        {"server_rewrite_by_lua", Phase::kServerRewrite, core::kConfHttp | core::kConfServer,
         false},
        {"rewrite_by_lua", Phase::kRewrite, kAnyLevel},
        {"access_by_lua", Phase::kAccess, kAnyLevel},
        {"content_by_lua", Phase::kContent, core::kConfLocation | core::kConfIf},
        {"log_by_lua", Phase::kLog, kAnyLevel},
    };
    for (const PhaseDirective& d : kPhases) {
        add_code_directives(
            table, d.base,
            [&d](ConfProcessor& p, const ConfNode& n, void* c, ChunkForm f) {
                return set_phase_code(p, n, c, d, f);
            },
            d.contexts, d.quoted);
    }
    add_code_directives(
        table, "init_by_lua",
        [](ConfProcessor& p, const ConfNode& n, void* c, ChunkForm f) {
            return set_init_code(p, n, c, "init_by_lua", false, f);
        },
        core::kConfHttp);
    add_code_directives(
        table, "init_worker_by_lua",
        [](ConfProcessor& p, const ConfNode& n, void* c, ChunkForm f) {
            return set_init_code(p, n, c, "init_worker_by_lua", true, f);
        },
        core::kConfHttp);
    table.add(core::Directive{"lua_package_path", core::kConfHttp, core::kArgs1,
                              [](ConfProcessor& p, const ConfNode& n, void* c) {
                                  return set_package_path(p, n, c, false);
                              }});
    table.add(core::Directive{"lua_package_cpath", core::kConfHttp, core::kArgs1,
                              [](ConfProcessor& p, const ConfNode& n, void* c) {
                                  return set_package_path(p, n, c, true);
                              }});
    table.add(core::Directive{"lua_code_cache", kAnyLevel, core::kArgsFlag, set_code_cache});
    table.add(core::Directive{
        "lua_max_pending_timers", core::kConfHttp, core::kArgs1,
        set_main_number<&LuaMainConf::max_pending_timers, &LuaMainConf::max_pending_timers_set>});
    table.add(core::Directive{
        "lua_max_running_timers", core::kConfHttp, core::kArgs1,
        set_main_number<&LuaMainConf::max_running_timers, &LuaMainConf::max_running_timers_set>});
    table.add(core::Directive{"lua_regex_cache_max_entries", core::kConfHttp, core::kArgs1,
                              set_main_number<&LuaMainConf::regex_cache_max_entries,
                                              &LuaMainConf::regex_cache_max_entries_set>});
    table.add(core::Directive{
        "lua_regex_match_limit", core::kConfHttp, core::kArgs1,
        set_main_number<&LuaMainConf::regex_match_limit, &LuaMainConf::regex_match_limit_set>});
    table.add(core::Directive{"lua_capture_error_log", core::kConfHttp, core::kArgs1,
                              set_capture_error_log});
    table.add(core::Directive{"lua_worker_thread_vm_pool_size", core::kConfHttp, core::kArgs1,
                              set_main_number<&LuaMainConf::worker_thread_vm_pool_size,
                                              &LuaMainConf::worker_thread_vm_pool_size_set>});
    register_lua_filter_directives(table);
    register_shdict_directives(table);
    table.add(core::Directive{"lua_need_request_body", kAnyLevel, core::kArgsFlag,
                              set_loc_flag<&http::LocConf::lua_need_request_body>});
    table.add(core::Directive{"lua_check_client_abort", kAnyLevel, core::kArgsFlag,
                              set_loc_flag<&http::LocConf::lua_check_client_abort>});
    table.add(core::Directive{"lua_http10_buffering", kAnyLevel, core::kArgsFlag,
                              set_loc_flag<&http::LocConf::lua_http10_buffering>});
    table.add(core::Directive{"lua_use_default_type", kAnyLevel, core::kArgsFlag,
                              set_loc_flag<&http::LocConf::lua_use_default_type>});
    table.add(core::Directive{"lua_thread_cache_max_entries", core::kConfHttp, core::kArgs1,
                              set_main_number<&LuaMainConf::thread_cache_max_entries,
                                              &LuaMainConf::thread_cache_max_entries_set>});
    table.add(core::Directive{"lua_malloc_trim", core::kConfHttp, core::kArgs1, set_malloc_trim});
    // lua_load_resty_core does nothing in OpenResty either (lua-resty-core is always loaded;
    // Tycho's shim stands in for it). lua_sa_restart does nothing here: worker threads take no
    // signals, so nothing they run sees EINTR, which is what its default `on` is for.
    table.add(core::Directive{"lua_load_resty_core", core::kConfHttp, core::kArgs1,
                              [](ConfProcessor&, const ConfNode& n, void*) -> Status {
                                  http::warn_at(n, "lua_load_resty_core is deprecated (the "
                                                   "lua-resty-core library is required since "
                                                   "ngx_lua v0.10.16)");
                                  return Status::ok();
                              }});
    table.add(core::Directive{"lua_sa_restart", core::kConfHttp, core::kArgsFlag,
                              [](ConfProcessor&, const ConfNode& n, void*) -> Status {
                                  core::Result<bool> on = core::parse_flag(n);
                                  return on ? Status::ok() : on.status();
                              }});
    constexpr uint32_t kNoIf = core::kConfHttp | core::kConfServer | core::kConfLocation;
    for (const char* name :
         {"lua_socket_connect_timeout", "lua_socket_send_timeout", "lua_socket_read_timeout",
          "lua_socket_keepalive_timeout", "lua_socket_buffer_size", "lua_socket_send_lowat",
          "lua_socket_pool_size"}) {
        table.add(core::Directive{name, kAnyLevel, core::kArgs1, set_cosocket_directive});
    }
    table.add(core::Directive{"lua_socket_log_errors", kAnyLevel, core::kArgsFlag,
                              set_cosocket_directive});
    for (const char* name : {"lua_ssl_trusted_certificate", "lua_ssl_verify_depth",
                             "lua_ssl_ciphers", "lua_ssl_crl"}) {
        table.add(core::Directive{name, kNoIf, core::kArgs1, set_cosocket_directive});
    }
    table.add(core::Directive{"lua_ssl_protocols", kNoIf, core::kArgs1More,
                              set_cosocket_directive});
    table.add(core::Directive{"lua_ssl_conf_command", kNoIf, core::kArgs2,
                              set_cosocket_directive});
    table.add(core::Directive{"lua_transform_underscores_in_response_headers", kAnyLevel,
                              core::kArgsFlag,
                              [](ConfProcessor& p, const ConfNode& n, void* c) -> Status {
                                  core::Result<bool> on = core::parse_flag(n);
                                  if (!on) {
                                      return on.status();
                                  }
                                  if (!*on) {
                                      main_conf_of(p, http::conf_scope(c)).transform_underscores =
                                          false;
                                  }
                                  return Status::ok();
                              }});
}

bool uses_lua(const http::HttpConf& http) {
    return http.lua_conf != nullptr;
}

const LuaMainConf& lua_main_conf(const http::HttpConf& http) {
    static const LuaMainConf kDefault;
    if (http.lua_conf == nullptr) {
        return kDefault;
    }
    return *static_cast<const LuaMainConf*>(http.lua_conf.get());
}

}  // namespace tycho::lua
