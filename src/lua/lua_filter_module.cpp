// The Lua directives that hook into nginx's script and output-filter machinery rather than a
// request phase handler slot: set_by_lua* (a rewrite-module instruction among `set`/`rewrite`),
// header_filter_by_lua*, body_filter_by_lua* (LocConf output filters called by send_header /
// send_body), exit_worker_by_lua* and the *_no_postpone flags. Runtime work lives in the
// scheduler (call_unyieldable); this file turns configuration into handlers.

#include <cstdio>
#include <lua.hpp>
#include <memory>
#include <string>
#include <vector>

#include "http/http_conf.h"
#include "http/http_conf_scope.h"
#include "http/http_log.h"
#include "http/phases.h"
#include "http/variables.h"
#include "lua/lua_conf.h"
#include "lua/lua_module.h"
#include "lua/scheduler.h"
#include "lua/vm.h"

namespace tycho::lua {
namespace {

using core::ConfNode;
using core::ConfProcessor;
using core::Status;

// set_by_lua*: evaluates the directive's arguments, runs the code with them (as `...` and
// ngx.arg[n]) and stores its first result, as a string ("" for nil), in the variable.
class LuaSetHandler final : public http::PhaseHandler {
  public:
    LuaSetHandler(std::string variable, std::vector<std::shared_ptr<http::ComplexValue>> args,
                  std::shared_ptr<const LuaChunk> chunk)
        : variable_(std::move(variable)), args_(std::move(args)), chunk_(std::move(chunk)) {}

    int handle(http::Request& r) override {
        WorkerRuntime* rt = current_runtime();
        if (rt == nullptr) {
            http::log_request(core::LogLevel::kError, r, "no Lua VM in this worker");
            return 500;
        }
        std::vector<std::string> values(args_.size());
        for (size_t i = 0; i < args_.size(); i++) {
            args_[i]->eval(r, values[i]);
        }
        Scheduler& sched = rt->scheduler();
        Context* ctx = sched.request_context(r);
        lua_State* L = rt->state();
        if (!lua_checkstack(L, static_cast<int>(values.size()) + 8)) {
            return 500;
        }
        for (const std::string& v : values) {
            lua_pushlstring(L, v.data(), v.size());
        }
        const std::vector<std::string>* saved = ctx->set_args;
        ctx->set_args = &values;
        bool ok = sched.call_unyieldable(&r, Phase::kSet, rt->request_chunk(*chunk_, r),
                                         static_cast<int>(values.size()), 1);
        if (ctx->in_use && ctx->r == &r) {
            ctx->set_args = saved;
        }
        if (!ok) {
            return 500;
        }
        size_t len = 0;
        const char* s = lua_type(L, -1) == LUA_TSTRING || lua_type(L, -1) == LUA_TNUMBER
                            ? lua_tolstring(L, -1, &len)
                            : nullptr;
        std::string value = s != nullptr ? std::string(s, len) : std::string();
        lua_pop(L, 1);
        http::set_variable(r, variable_, value);
        return http::kDeclined;
    }

    void collect_values(std::vector<const http::ComplexValue*>& out) const override {
        for (const auto& arg : args_) {
            out.push_back(arg.get());
        }
        out.push_back(chunk_->path.get());
    }

  private:
    std::string variable_;
    std::vector<std::shared_ptr<http::ComplexValue>> args_;
    std::shared_ptr<const LuaChunk> chunk_;
};

// header_filter_by_lua*: runs just before the response header is serialized.
class LuaHeaderFilter final : public http::PhaseHandler {
  public:
    explicit LuaHeaderFilter(std::shared_ptr<const LuaChunk> chunk) : chunk_(std::move(chunk)) {}

    int handle(http::Request& r) override {
        WorkerRuntime* rt = current_runtime();
        if (rt == nullptr) {
            return http::kOk;
        }
        Scheduler& sched = rt->scheduler();
        Context* ctx = sched.request_context(r);
        if (ctx->in_header_filter) {
            return http::kOk;
        }
        ctx->in_header_filter = true;
        ctx->filter_exited = false;
        bool ok = sched.run_unyieldable(&r, Phase::kHeaderFilter, rt->request_chunk(*chunk_, r));
        int code = 0;
        if (ctx->in_use && ctx->r == &r) {
            ctx->in_header_filter = false;
            code = ctx->filter_exited ? ctx->filter_exit_code : 0;
        }
        if (!ok || code == -1) {  // an error, or ngx.exit(ngx.ERROR): the connection closes
            return http::kError;
        }
        // ngx.exit(status >= 200) finalizes from the filter (send_header); ngx.OK and the other
        // codes let the response go on.
        return code >= 200 ? code : http::kOk;
    }

    void collect_values(std::vector<const http::ComplexValue*>& out) const override {
        out.push_back(chunk_->path.get());
    }

  private:
    std::shared_ptr<const LuaChunk> chunk_;
};

// body_filter_by_lua*: sees every piece of the body (ngx.arg[1]) and the end flag
// (ngx.arg[2]), and may replace either.
class LuaBodyFilter final : public http::BodyFilter {
  public:
    explicit LuaBodyFilter(std::shared_ptr<const LuaChunk> chunk) : chunk_(std::move(chunk)) {}

    int filter(http::Request& r, std::string& data, bool& last) override {
        WorkerRuntime* rt = current_runtime();
        if (rt == nullptr) {
            return http::kOk;
        }
        Scheduler& sched = rt->scheduler();
        Context* ctx = sched.request_context(r);
        if (ctx->filter_data != nullptr) {
            return http::kOk;  // output produced by the filter itself is not filtered again
        }
        ctx->filter_data = &data;
        ctx->filter_eof = &last;
        bool ok = sched.run_unyieldable(&r, Phase::kBodyFilter, rt->request_chunk(*chunk_, r));
        if (ctx->in_use && ctx->r == &r) {
            ctx->filter_data = nullptr;
            ctx->filter_eof = nullptr;
        }
        return ok ? http::kOk : http::kError;
    }

    void collect_values(std::vector<const http::ComplexValue*>& out) const override {
        out.push_back(chunk_->path.get());
    }

  private:
    std::shared_ptr<const LuaChunk> chunk_;
};

bool valid_code(const ConfNode& node, ChunkForm form, size_t code_arg) {
    if (form != ChunkForm::kString) {
        return true;
    }
    return node.args[code_arg].find_first_not_of(" \t\r\n") != std::string::npos;
}

Status duplicate(const ConfNode& node, ChunkForm form) {
    // lua-nginx-module parses *_block bodies itself, and nginx then prints its message bare.
    return Status::error(form == ChunkForm::kBlock ? "is duplicate"
                                              : "\"" + node.name + "\" directive is duplicate");
}

Status set_set_by_lua(ConfProcessor& p, const ConfNode& node, void* conf, ChunkForm form) {
    http::ConfScope* scope = http::conf_scope(conf);
    (void)main_conf_of(p, scope);
    const std::string& var = node.args[0];
    if (var.size() < 2 || var[0] != '$') {
        return Status::error("invalid variable name \"" + var + "\"");
    }
    std::string name = var.substr(1);
    for (char& c : name) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c | 0x20);
        }
    }
    if (http::is_builtin_variable(name) && name != "args" && name != "query_string") {
        return Status::error("the duplicate \"" + name + "\" variable");
    }
    if (form == ChunkForm::kBlock && node.args.size() != 1) {
        return Status::error("invalid number of arguments in \"" + node.name + "\" directive");
    }
    if (!valid_code(node, form, 1)) {
        return Status::error("invalid location config: no runnable Lua code");
    }
    std::vector<std::shared_ptr<http::ComplexValue>> args;
    for (size_t i = form == ChunkForm::kBlock ? 1 : 2; i < node.args.size(); i++) {
        auto cv = http::ComplexValue::compile(node.args[i]);
        if (!cv) {
            return cv.status();
        }
        args.push_back(std::move(cv.value()));
    }
    http::HttpConf* http = scope->http;
    bool known = false;
    for (const std::string& s : http->set_variables) {
        known = known || s == name;
    }
    if (!known) {
        http->set_variables.push_back(name);
    }
    http::ScriptOp op;
    op.kind = http::ScriptOp::Kind::kHandler;
    op.variable = name;
    std::shared_ptr<LuaChunk> chunk = make_chunk(p, node, form, "set_by_lua", 1);
    if (Status st = compile_request_path(*chunk, node, form, 1); !st) {
        return st;
    }
    op.handler = std::make_shared<LuaSetHandler>(name, std::move(args), std::move(chunk));
    op.file = node.file;
    op.line = node.line;
    scope->script->push_back(std::move(op));
    return Status::ok();
}

Status set_filter(ConfProcessor& p, const ConfNode& node, void* conf, ChunkForm form, bool body) {
    http::ConfScope* scope = http::conf_scope(conf);
    (void)main_conf_of(p, scope);
    if (!valid_code(node, form, 0)) {
        return Status::error("invalid location config: no runnable Lua code");
    }
    http::LocConf* loc = scope->loc;
    if (body ? loc->body_filter != nullptr : loc->header_filter != nullptr) {
        return duplicate(node, form);
    }
    std::shared_ptr<LuaChunk> chunk =
        make_chunk(p, node, form, body ? "body_filter_by_lua" : "header_filter_by_lua", 0);
    if (Status st = compile_request_path(*chunk, node, form); !st) {
        return st;
    }
    if (body) {
        loc->body_filter = std::make_shared<LuaBodyFilter>(std::move(chunk));
    } else {
        loc->header_filter = std::make_shared<LuaHeaderFilter>(std::move(chunk));
    }
    return Status::ok();
}

Status set_exit_worker(ConfProcessor& p, const ConfNode& node, void* conf, ChunkForm form) {
    LuaMainConf& m = main_conf_of(p, http::conf_scope(conf));
    if (m.exit_worker != nullptr) {
        return duplicate(node, form);
    }
    m.exit_worker = make_chunk(p, node, form, "exit_worker_by_lua", 0);
    return Status::ok();
}

Status set_no_postpone(ConfProcessor& p, const ConfNode& node, void* conf, bool rewrite) {
    core::Result<bool> on = core::parse_flag(node);
    if (!on) {
        return on.status();
    }
    http::ConfScope* scope = http::conf_scope(conf);
    LuaMainConf& m = main_conf_of(p, scope);
    (rewrite ? m.rewrite_no_postpone : m.access_no_postpone) = *on;
    // The phase engine reads it from the location configuration (inherited from http{}).
    (rewrite ? scope->loc->rewrite_handler_first : scope->loc->access_handler_first) = *on ? 1 : 0;
    return Status::ok();
}

}  // namespace

void register_lua_filter_directives(core::DirectiveTable& table) {
    constexpr uint32_t kSrvLocIf =
        core::kConfServer | core::kConfLocation | core::kConfIf | core::kConfServerIf;
    constexpr uint32_t kAnyLevel =
        core::kConfHttp | core::kConfServer | core::kConfLocation | core::kConfIf;
    table.add(core::Directive{"set_by_lua", kSrvLocIf, core::kArgs2More,
                              [](ConfProcessor& p, const ConfNode& n, void* c) {
                                  return set_set_by_lua(p, n, c, ChunkForm::kString);
                              }});
    table.add(core::Directive{"set_by_lua_file", kSrvLocIf, core::kArgs2More,
                              [](ConfProcessor& p, const ConfNode& n, void* c) {
                                  return set_set_by_lua(p, n, c, ChunkForm::kFile);
                              }});
    table.add(core::Directive{"set_by_lua_block", kSrvLocIf, core::kArgsBlock | core::kArgs1,
                              [](ConfProcessor& p, const ConfNode& n, void* c) {
                                  return set_set_by_lua(p, n, c, ChunkForm::kBlock);
                              }});
    for (bool body : {false, true}) {
        std::string base = body ? "body_filter_by_lua" : "header_filter_by_lua";
        table.add(core::Directive{base + "_block", kAnyLevel, core::kArgsBlock | core::kArgsNone,
                                  [body](ConfProcessor& p, const ConfNode& n, void* c) {
                                      return set_filter(p, n, c, ChunkForm::kBlock, body);
                                  }});
        table.add(core::Directive{base + "_file", kAnyLevel, core::kArgs1,
                                  [body](ConfProcessor& p, const ConfNode& n, void* c) {
                                      return set_filter(p, n, c, ChunkForm::kFile, body);
                                  }});
        table.add(core::Directive{base, kAnyLevel, core::kArgs1,
                                  [body](ConfProcessor& p, const ConfNode& n, void* c) {
                                      return set_filter(p, n, c, ChunkForm::kString, body);
                                  }});
    }
    table.add(core::Directive{"exit_worker_by_lua_block", core::kConfHttp,
                              core::kArgsBlock | core::kArgsNone,
                              [](ConfProcessor& p, const ConfNode& n, void* c) {
                                  return set_exit_worker(p, n, c, ChunkForm::kBlock);
                              }});
    table.add(core::Directive{"exit_worker_by_lua_file", core::kConfHttp, core::kArgs1,
                              [](ConfProcessor& p, const ConfNode& n, void* c) {
                                  return set_exit_worker(p, n, c, ChunkForm::kFile);
                              }});
    table.add(core::Directive{"rewrite_by_lua_no_postpone", core::kConfHttp, core::kArgsFlag,
                              [](ConfProcessor& p, const ConfNode& n, void* c) {
                                  return set_no_postpone(p, n, c, true);
                              }});
    table.add(core::Directive{"access_by_lua_no_postpone", core::kConfHttp, core::kArgsFlag,
                              [](ConfProcessor& p, const ConfNode& n, void* c) {
                                  return set_no_postpone(p, n, c, false);
                              }});
}

}  // namespace tycho::lua
