#include "server/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace tycho::server {
namespace {

class ConfigTest : public ::testing::Test {
  protected:
    void SetUp() override {
        char tmpl[] = "/tmp/tycho-config-test-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        prefix_ = std::string(tmpl) + "/";
        std::filesystem::create_directories(prefix_ + "conf");
    }
    void TearDown() override { std::filesystem::remove_all(prefix_); }

    core::Result<std::shared_ptr<Config>> load(const std::string& text, const std::string& g = "") {
        std::ofstream(prefix_ + "conf/nginx.conf") << text;
        return load_config(prefix_, "conf/nginx.conf", g);
    }

    std::string prefix_;
};

TEST_F(ConfigTest, Defaults) {
    auto c = load("events {}\n");
    ASSERT_TRUE(c) << c.message();
    const MainConf& m = (*c)->main;
    EXPECT_EQ(m.worker_processes, 1);
    EXPECT_TRUE(m.daemon);
    EXPECT_EQ(m.pid, prefix_ + "logs/nginx.pid");
    ASSERT_EQ(m.error_logs.size(), 1u);
    EXPECT_EQ(m.error_logs[0].path, prefix_ + "logs/error.log");
    EXPECT_EQ(m.error_logs[0].level, core::LogLevel::kError);
    EXPECT_TRUE(m.error_log_default);
    EXPECT_EQ(m.worker_connections, 512);
    EXPECT_EQ(m.worker_rlimit_nofile, -1);
    EXPECT_EQ((*c)->http, nullptr);
    EXPECT_EQ((*c)->conf_file, prefix_ + "conf/nginx.conf");
}

TEST_F(ConfigTest, MainDirectives) {
    auto c = load(
        "worker_processes auto; daemon off; master_process off; pid /run/t.pid;\n"
        "error_log stderr; error_log logs/debug.log debug;\n"
        "env PATH; env FOO=bar; worker_rlimit_nofile 4096; worker_shutdown_timeout 10s;\n"
        "events { worker_connections 100; accept_mutex on; use epoll; }\n");
    ASSERT_TRUE(c) << c.message();
    const MainConf& m = (*c)->main;
    EXPECT_EQ(m.worker_processes, cpu_count());
    EXPECT_FALSE(m.daemon);
    EXPECT_FALSE(m.master_process);
    EXPECT_EQ(m.pid, "/run/t.pid");
    ASSERT_EQ(m.error_logs.size(), 2u);
    EXPECT_EQ(m.error_logs[0].path, "stderr");
    EXPECT_EQ(m.error_logs[1].path, prefix_ + "logs/debug.log");
    EXPECT_EQ(m.error_logs[1].level, core::LogLevel::kDebug);
    EXPECT_FALSE(m.error_log_default);
    EXPECT_EQ(m.env, (std::vector<std::string>{"PATH", "FOO=bar"}));
    EXPECT_EQ(m.worker_rlimit_nofile, 4096);
    EXPECT_EQ(m.worker_shutdown_timeout_ms, 10000);
    EXPECT_EQ(m.worker_connections, 100);
    EXPECT_TRUE(m.accept_mutex);
}

TEST_F(ConfigTest, MissingEvents) {
    auto c = load("worker_processes 2;\n");
    ASSERT_FALSE(c);
    EXPECT_EQ(c.message(), "no \"events\" section in configuration");
}

TEST_F(ConfigTest, SyntaxOkCallbackRunsBeforeFinalChecks) {
    std::ofstream(prefix_ + "conf/nginx.conf") << "worker_processes 2;\n";
    bool called = false;
    auto c = load_config(prefix_, "conf/nginx.conf", "", [&] { called = true; });
    EXPECT_FALSE(c);
    EXPECT_TRUE(called);
    std::ofstream(prefix_ + "conf/nginx.conf") << "bogus;\n";
    called = false;
    c = load_config(prefix_, "conf/nginx.conf", "", [&] { called = true; });
    EXPECT_FALSE(c);
    EXPECT_FALSE(called);
}

TEST_F(ConfigTest, CommandLineDirectivesComeFirst) {
    auto c = load("events {}\n", "worker_processes 3; daemon off;");
    ASSERT_TRUE(c) << c.message();
    EXPECT_EQ((*c)->main.worker_processes, 3);
    EXPECT_FALSE((*c)->main.daemon);

    c = load("daemon on;\nevents {}\n", "daemon off;");
    ASSERT_FALSE(c);
    EXPECT_EQ(c.message(), "\"daemon\" directive is duplicate in " + prefix_ + "conf/nginx.conf:1");

    c = load("events {}\n", "nonsense;");
    ASSERT_FALSE(c);
    EXPECT_EQ(c.message(), "unknown directive \"nonsense\" in command line");
}

TEST_F(ConfigTest, Errors) {
    const std::string f = " in " + prefix_ + "conf/nginx.conf:";
    struct Case {
        const char* text;
        std::string message;
    } cases[] = {
        {"events {}\nworker_processes -1;\n",
         "\"worker_processes\" directive invalid value" + f + "2"},
        {"events {}\nworker_processes 1;\nworker_processes 2;\n",
         "\"worker_processes\" directive is duplicate" + f + "3"},
        {"events {}\ndaemon yes;\n",
         "invalid value \"yes\" in \"daemon\" directive, it must be \"on\" or \"off\"" + f + "2"},
        {"events {}\nerror_log a.log nope;\n", "invalid log level \"nope\"" + f + "2"},
        {"events {}\nerror_log a.log info warn;\n", "duplicate log level \"warn\"" + f + "2"},
        {"events { worker_connections x; }\n", "invalid number \"x\"" + f + "1"},
        {"events { use kqueue; }\n", "invalid event type \"kqueue\"" + f + "1"},
        {"events { use epoll; use epoll; }\n", "\"use\" directive is duplicate" + f + "1"},
        {"events {}\nevents {}\n", "\"events\" directive is duplicate" + f + "2"},
        {"events { daemon off; }\n", "\"daemon\" directive is not allowed here" + f + "1"},
        {"events {}\nworker_rlimit_nofile 1k;\n",
         "\"worker_rlimit_nofile\" directive invalid number" + f + "2"},
        {"events {}\nworker_shutdown_timeout forever;\n",
         "\"worker_shutdown_timeout\" directive invalid value" + f + "2"},
        {"events {}\npid;\n", "invalid number of arguments in \"pid\" directive" + f + "2"},
    };
    for (const Case& c : cases) {
        auto r = load(c.text);
        ASSERT_FALSE(r) << c.text;
        EXPECT_EQ(r.message(), c.message) << c.text;
    }
}

TEST_F(ConfigTest, UserIgnoredWithWarningWhenNotRoot) {
    if (::geteuid() == 0) {
        GTEST_SKIP() << "runs as root";
    }
    auto c = load("user nobody;\nevents {}\n");
    ASSERT_TRUE(c) << c.message();
    EXPECT_TRUE((*c)->main.user.empty());
    ASSERT_EQ((*c)->warnings.size(), 1u);
    EXPECT_EQ((*c)->warnings[0],
              "the \"user\" directive makes sense only if the master process runs with "
              "super-user privileges, ignored in " +
                  prefix_ + "conf/nginx.conf:1");
}

TEST_F(ConfigTest, UserResolvedWhenRoot) {
    if (::geteuid() != 0) {
        GTEST_SKIP() << "needs root";
    }
    auto c = load("user nobody nogroup;\nevents {}\n");
    ASSERT_TRUE(c) << c.message();
    EXPECT_EQ((*c)->main.user, "nobody");
    EXPECT_EQ((*c)->main.group, "nogroup");
    auto bad = load("user no-such-user-here;\nevents {}\n");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.message(),
              "getpwnam(\"no-such-user-here\") failed in " + prefix_ + "conf/nginx.conf:1");
}

}  // namespace
}  // namespace tycho::server
