// Error-log lines written to a caller's own sinks (error_log at http/server/location level).

#include "core/log.h"

#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <regex>
#include <sstream>
#include <ctime>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"

namespace tycho::core {
namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

TEST(LogTest, LogErrorToWritesNginxLinesToAdmittingSinks) {
    char dir_tmpl[] = "/tmp/tycho-log-test-XXXXXX";
    std::string dir = mkdtemp(dir_tmpl);
    std::string warn_path = dir + "/warn.log";
    std::string info_path = dir + "/info.log";
    std::vector<LogSink> sinks = {{warn_path, open_log_file(warn_path), LogLevel::kWarn},
                                  {info_path, open_log_file(info_path), LogLevel::kInfo}};
    ASSERT_GE(sinks[0].fd, 0);
    ASSERT_GE(sinks[1].fd, 0);

    EXPECT_TRUE(log_enabled_in(sinks, LogLevel::kInfo));
    EXPECT_FALSE(log_enabled_in(sinks, LogLevel::kDebug));
    log_error_to(sinks, LogLevel::kInfo, "only info", 7, ", client: 1.2.3.4");
    log_error_to(sinks, LogLevel::kError, "both", 0);
    log_error_to(sinks, LogLevel::kDebug, "nowhere", 0);

    std::string warn = read_file(warn_path);
    std::string info = read_file(info_path);
    EXPECT_EQ(warn.find("only info"), std::string::npos) << warn;
    EXPECT_TRUE(std::regex_search(
        info, std::regex(R"(^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[info\] \d+#\d+: \*7 only info, )"
                         R"(client: 1\.2\.3\.4\n)")))
        << info;
    EXPECT_TRUE(std::regex_search(warn, std::regex(R"(\[error\] \d+#\d+: both\n$)"))) << warn;
    EXPECT_NE(info.find("both\n"), std::string::npos) << info;
    EXPECT_EQ(info.find("nowhere"), std::string::npos) << info;
    for (const LogSink& s : sinks) {
        ::close(s.fd);
    }
    ::unlink(warn_path.c_str());
    ::unlink(info_path.c_str());
    ::rmdir(dir.c_str());
}

struct Captured {
    std::vector<std::pair<LogLevel, std::string>> lines;
    double time = 0;
    const std::vector<LogSink>* sinks = nullptr;
};

// The interceptor sees what the sinks write (without the newline), only for this thread, and
// nothing it logs itself.
TEST(LogTest, ThreadCaptureSeesTheLinesSinksWrite) {
    std::vector<LogSink> sinks = {{"/dev/null", open_log_file("/dev/null"), LogLevel::kWarn}};
    ASSERT_GE(sinks[0].fd, 0);
    Captured got;
    got.sinks = &sinks;
    set_thread_log_capture(
        [](void* data, LogLevel level, double time, std::string_view line) {
            auto* c = static_cast<Captured*>(data);
            c->lines.emplace_back(level, std::string(line));
            c->time = time;
            log_error_to(*c->sinks, LogLevel::kError, "logged by the interceptor");
        },
        &got);
    log_error_to(sinks, LogLevel::kError, "kept", 3, ", client: x");
    log_error_to(sinks, LogLevel::kInfo, "not written, not captured", 0);
    std::thread([&] { log_error_to(sinks, LogLevel::kError, "other thread", 0); }).join();
    set_thread_log_capture(nullptr, nullptr);
    log_error_to(sinks, LogLevel::kError, "after", 0);
    ::close(sinks[0].fd);

    ASSERT_EQ(got.lines.size(), 1u);
    EXPECT_EQ(got.lines[0].first, LogLevel::kError);
    EXPECT_TRUE(std::regex_match(
        got.lines[0].second,
        std::regex(R"(\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[error\] \d+#\d+: \*3 kept, client: x)")))
        << got.lines[0].second;
    EXPECT_NEAR(got.time, static_cast<double>(::time(nullptr)), 2.0);
}

}  // namespace
}  // namespace tycho::core
