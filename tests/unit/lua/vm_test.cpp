// WorkerRuntime without a server: VM construction, init code, package paths, the chunk cache,
// load errors, the scheduler's phase names, and the directive setters.

#include "lua/vm.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <lua.hpp>
#include <memory>
#include <string>

#include "core/conf.h"
#include "http/http_conf.h"
#include "http/http_conf_scope.h"
#include "lua/lua_conf.h"
#include "lua/lua_module.h"
#include "lua/scheduler.h"

namespace tycho::lua {
namespace {

std::shared_ptr<LuaChunk> inline_chunk(const std::string& code, const std::string& name) {
    auto c = std::make_shared<LuaChunk>();
    c->code = code;
    c->name = "=" + name;
    c->key = "nhli_test_" + code;
    return c;
}

class VmTest : public ::testing::Test {
  protected:
    void SetUp() override { uv_loop_init(&loop_); }
    void TearDown() override {
        rt_.reset();
        uv_run(&loop_, UV_RUN_DEFAULT);  // close callbacks of the scheduler's handles
        EXPECT_EQ(uv_loop_close(&loop_), 0);
    }

    // Evaluates `expr` in the runtime's VM and returns tostring() of the result.
    std::string eval(const std::string& expr) {
        lua_State* L = rt_->state();
        std::string code = "return tostring(" + expr + ")";
        if (luaL_loadbuffer(L, code.data(), code.size(), "=test") != 0 ||
            lua_pcall(L, 0, 1, 0) != 0) {
            std::string msg = lua_tostring(L, -1);
            lua_pop(L, 1);
            return "<error: " + msg + ">";
        }
        std::string s = lua_tostring(L, -1);
        lua_pop(L, 1);
        return s;
    }

    uv_loop_t loop_{};
    LuaMainConf conf_;
    std::unique_ptr<WorkerRuntime> rt_;
};

TEST_F(VmTest, BuildsTheNgxTableAndMakesItCurrent) {
    rt_ = start_worker_runtime(&loop_, conf_, 0);
    ASSERT_NE(rt_, nullptr);
    EXPECT_EQ(current_runtime(), rt_.get());
    EXPECT_EQ(eval("type(ngx.say)"), "function");
    EXPECT_EQ(eval("type(ngx.sleep)"), "function");
    EXPECT_EQ(eval("ngx.ERR"), "4");
    EXPECT_EQ(eval("ngx.DEBUG"), "8");
    EXPECT_EQ(eval("package.loaded.ngx == ngx"), "true");
    EXPECT_EQ(eval("ngx.get_phase()"), "init");
    // JIT is on.
    EXPECT_EQ(eval("select(1, jit.status())"), "true");
    rt_.reset();
    EXPECT_EQ(current_runtime(), nullptr);
}

TEST_F(VmTest, RunsInitBeforeInitWorker) {
    conf_.init = inline_chunk("order = 'init:' .. ngx.get_phase()", "init_by_lua(nginx.conf:1)");
    conf_.init_worker =
        inline_chunk("order = order .. ',' .. ngx.get_phase()", "init_worker_by_lua(nginx.conf:2)");
    rt_ = start_worker_runtime(&loop_, conf_, 0);
    ASSERT_NE(rt_, nullptr);
    EXPECT_EQ(eval("order"), "init:init,init_worker");
}

TEST_F(VmTest, FailingInitByLuaFailsTheStart) {
    conf_.init = inline_chunk("error('bad init')", "init_by_lua(nginx.conf:1)");
    rt_ = start_worker_runtime(&loop_, conf_, 0);
    EXPECT_EQ(rt_, nullptr);
}

TEST_F(VmTest, FailingInitWorkerIsOnlyLogged) {
    conf_.init_worker = inline_chunk("error('bad init_worker')", "init_worker_by_lua(x:1)");
    rt_ = start_worker_runtime(&loop_, conf_, 0);
    EXPECT_NE(rt_, nullptr);
}

TEST_F(VmTest, ApisNeedingARequestRaiseInInit) {
    conf_.init = inline_chunk("ok, err = pcall(ngx.say, 'x')", "init_by_lua(nginx.conf:1)");
    rt_ = start_worker_runtime(&loop_, conf_, 0);
    ASSERT_NE(rt_, nullptr);
    EXPECT_EQ(eval("ok"), "false");
    EXPECT_EQ(eval("err"), "no request object found");
}

// A Tycho extension: init_worker code may block; the runtime says when it has ended.
TEST_F(VmTest, InitWorkerMaySleepAndTellsWhenDone) {
    conf_.init_worker = inline_chunk("ok, err = pcall(ngx.sleep, 0.002) phase = ngx.get_phase()",
                                     "init_worker_by_lua(x:1)");
    rt_ = start_worker_runtime(&loop_, conf_, 0);
    ASSERT_NE(rt_, nullptr);
    EXPECT_FALSE(rt_->init_worker_done());
    bool told = false;
    rt_->on_init_worker_done([&told] { told = true; });
    for (int i = 0; i < 1000 && !told; i++) {
        uv_run(&loop_, UV_RUN_ONCE);
    }
    EXPECT_TRUE(told);
    EXPECT_TRUE(rt_->init_worker_done());
    EXPECT_EQ(eval("ok"), "true");
    EXPECT_EQ(eval("phase"), "init_worker");
}

TEST_F(VmTest, InitWorkerThatDoesNotBlockIsDoneAtOnce) {
    conf_.init_worker = inline_chunk("x = 1", "init_worker_by_lua(x:1)");
    rt_ = start_worker_runtime(&loop_, conf_, 0);
    ASSERT_NE(rt_, nullptr);
    EXPECT_TRUE(rt_->init_worker_done());
    bool told = false;
    rt_->on_init_worker_done([&told] { told = true; });
    EXPECT_TRUE(told);
}

TEST_F(VmTest, PackagePathExpandsPrefixAndDefault) {
    conf_.prefix = "/srv/app/";
    conf_.package_path = "$prefix/lua/?.lua;${prefix}x/?.lua;;";
    conf_.package_cpath = "/opt/?.so";
    rt_ = start_worker_runtime(&loop_, conf_, 0);
    ASSERT_NE(rt_, nullptr);
    std::string path = eval("package.path");
    EXPECT_EQ(path.rfind("/srv/app//lua/?.lua;/srv/app/x/?.lua;", 0), 0u) << path;
    EXPECT_NE(path.find("?.lua;", 40), std::string::npos) << "default appended: " << path;
    EXPECT_EQ(path.find(";;"), std::string::npos) << path;
    EXPECT_EQ(eval("package.cpath"), "/opt/?.so");
}

TEST_F(VmTest, DefaultCpathFindsDebianLuaModules) {
    rt_ = start_worker_runtime(&loop_, conf_, 0);
    ASSERT_NE(rt_, nullptr);
    EXPECT_NE(eval("package.cpath").find("/usr/lib/x86_64-linux-gnu/lua/5.1/?.so"),
              std::string::npos);
}

TEST_F(VmTest, ChunkCacheReturnsTheSameFunctionBySourceKey) {
    rt_ = start_worker_runtime(&loop_, conf_, 0);
    ASSERT_NE(rt_, nullptr);
    lua_State* L = rt_->state();
    auto a = inline_chunk("return 1", "content_by_lua(a:1)");
    auto b = inline_chunk("return 1", "content_by_lua(b:2)");  // same source, same key
    std::string err;
    ASSERT_EQ(rt_->push_chunk(*a, err), 0);
    ASSERT_EQ(rt_->push_chunk(*a, err), 0);
    ASSERT_EQ(rt_->push_chunk(*b, err), 0);
    EXPECT_TRUE(lua_rawequal(L, -1, -2));
    EXPECT_TRUE(lua_rawequal(L, -2, -3));
    lua_pop(L, 3);
}

TEST_F(VmTest, CodeCacheOffCompilesEachTime) {
    conf_.code_cache = false;
    rt_ = start_worker_runtime(&loop_, conf_, 0);
    ASSERT_NE(rt_, nullptr);
    lua_State* L = rt_->state();
    auto a = inline_chunk("return 1", "content_by_lua(a:1)");
    std::string err;
    ASSERT_EQ(rt_->push_chunk(*a, err), 0);
    ASSERT_EQ(rt_->push_chunk(*a, err), 0);
    EXPECT_FALSE(lua_rawequal(L, -1, -2));
    lua_pop(L, 2);
}

TEST_F(VmTest, LoadErrorsUseOpenRestyTexts) {
    rt_ = start_worker_runtime(&loop_, conf_, 0);
    ASSERT_NE(rt_, nullptr);
    int top = lua_gettop(rt_->state());
    auto bad = inline_chunk("ngx.say(", "content_by_lua(nginx.conf:7)");
    std::string err;
    EXPECT_EQ(rt_->push_chunk(*bad, err), 500);
    EXPECT_EQ(err,
              "failed to load inlined Lua code: content_by_lua(nginx.conf:7):1: unexpected "
              "symbol near '<eof>'");
    LuaChunk file;
    file.kind = LuaChunk::Kind::kFile;
    file.code = "/nonexistent/x.lua";
    file.name = "@/nonexistent/x.lua";
    file.key = "nhlf_/nonexistent/x.lua";
    EXPECT_EQ(rt_->push_chunk(file, err), 404);
    EXPECT_EQ(err.rfind("failed to load external Lua file \"/nonexistent/x.lua\": cannot open", 0),
              0u)
        << err;
    EXPECT_EQ(lua_gettop(rt_->state()), top);
}

TEST_F(VmTest, GlobalWriteGuardIsInstalled) {
    rt_ = start_worker_runtime(&loop_, conf_, 0);
    ASSERT_NE(rt_, nullptr);
    EXPECT_EQ(eval("type(getmetatable(_G).__newindex)"), "function");
    EXPECT_EQ(eval("(function() new_global = 5 return new_global end)()"), "5");
}

TEST(PhaseNames, MatchOpenResty) {
    EXPECT_STREQ(phase_name(Phase::kInitWorker), "init_worker");
    EXPECT_STREQ(phase_name(Phase::kContent), "content");
    EXPECT_STREQ(phase_context_name(Phase::kLog), "log_by_lua*");
    EXPECT_STREQ(phase_context_name(Phase::kTimer), "ngx.timer");
}

// The directive setters, through a DirectiveTable as the config loader uses them.
class DirectiveTest : public ::testing::Test {
  protected:
    core::Status load(const std::string& text, uint32_t context) {
        core::DirectiveTable table;
        register_lua_directives(table);
        core::Result<core::ParsedConf> parsed =
            core::parse_conf_string(text, "/p/conf/nginx.conf", "/p/conf");
        if (!parsed) {
            return parsed.status();
        }
        core::ConfProcessor p(table);
        p.prefix = "/p/";
        http::ConfScope scope;
        scope.http = &http_;
        scope.loc = context == core::kConfLocation ? &loc_ : &http_.conf;
        scope.script = &script_;
        return p.process(parsed->nodes, context, &scope);
    }

    http::HttpConf http_;
    http::LocConf loc_;
    std::vector<http::ScriptOp> script_;
};

TEST_F(DirectiveTest, InstallsHandlersAndMarksLuaUsed) {
    EXPECT_FALSE(uses_lua(http_));
    ASSERT_TRUE(
        load("content_by_lua_block { ngx.say(1) }\naccess_by_lua 'x = 1';\n", core::kConfLocation));
    EXPECT_NE(loc_.content_handler, nullptr);
    EXPECT_NE(loc_.access_handler, nullptr);
    EXPECT_EQ(loc_.rewrite_handler, nullptr);
    EXPECT_TRUE(uses_lua(http_));
}

TEST_F(DirectiveTest, HttpLevelSettings) {
    ASSERT_TRUE(
        load("lua_package_path '$prefix/lua/?.lua;;';\nlua_code_cache off;\n"
             "init_by_lua_block { a = 1 }\ninit_worker_by_lua_file init.lua;\n",
             core::kConfHttp));
    const LuaMainConf& m = lua_main_conf(http_);
    EXPECT_EQ(m.package_path, "$prefix/lua/?.lua;;");
    EXPECT_FALSE(m.code_cache);
    EXPECT_EQ(m.code_cache_alert,
              "lua_code_cache is off; this will hurt performance in /p/conf/nginx.conf:2");
    ASSERT_NE(m.init, nullptr);
    EXPECT_EQ(m.init->name, "=init_by_lua(nginx.conf:3)");
    EXPECT_EQ(m.init->code, " a = 1 ");
    ASSERT_NE(m.init_worker, nullptr);
    EXPECT_EQ(m.init_worker->code, "/p/init.lua");
    EXPECT_EQ(m.init_worker->name, "@/p/init.lua");
}

TEST_F(DirectiveTest, Errors) {
    core::Status st =
        load("content_by_lua_block { }\ncontent_by_lua_block { }\n", core::kConfLocation);
    EXPECT_EQ(st.message(), "is duplicate in /p/conf/nginx.conf:2");
    loc_ = {};
    st = load("content_by_lua 'a';\ncontent_by_lua 'b';\n", core::kConfLocation);
    EXPECT_EQ(st.message(), "\"content_by_lua\" directive is duplicate in /p/conf/nginx.conf:2");
    st = load("content_by_lua_block { }\n", core::kConfHttp);
    EXPECT_EQ(st.message(),
              "\"content_by_lua_block\" directive is not allowed here in /p/conf/nginx.conf:1");
    st = load("lua_package_path a;\nlua_package_path b;\n", core::kConfHttp);
    EXPECT_EQ(st.message(), "\"lua_package_path\" directive is duplicate in /p/conf/nginx.conf:2");
}

}  // namespace
}  // namespace tycho::lua
