#include "core/regex.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace tycho::core {
namespace {

std::shared_ptr<Regex> compile_ok(std::string_view pattern, bool caseless = false) {
    auto r = Regex::compile(pattern, caseless);
    EXPECT_TRUE(r.is_ok()) << r.message();
    return r.is_ok() ? *r : nullptr;
}

TEST(Regex, MatchAndCaptures) {
    auto re = compile_ok("^/img/(\\w+)\\.(png|jpg)$");
    ASSERT_NE(re, nullptr);
    EXPECT_EQ(re->capture_count(), 2);
    EXPECT_EQ(re->pattern(), "^/img/(\\w+)\\.(png|jpg)$");
    std::vector<int> ov;
    ASSERT_TRUE(re->match("/img/cat.png", &ov));
    EXPECT_EQ(ov, (std::vector<int>{0, 12, 5, 8, 9, 12}));
    EXPECT_FALSE(re->match("/img/cat.gif", &ov));
    EXPECT_TRUE(re->match("/img/dog.jpg"));
}

TEST(Regex, UnsetGroupsAreMinusOne) {
    auto re = compile_ok("(a)|(b)(c)?");
    std::vector<int> ov;
    ASSERT_TRUE(re->match("xb", &ov));
    EXPECT_EQ(ov, (std::vector<int>{1, 2, -1, -1, 1, 2, -1, -1}));
    ASSERT_TRUE(re->match("a", &ov));
    EXPECT_EQ(ov, (std::vector<int>{0, 1, 0, 1, -1, -1, -1, -1}));
}

TEST(Regex, SubjectWithNulAndNoCaptures) {
    auto re = compile_ok("b");
    std::vector<int> ov;
    ASSERT_TRUE(re->match(std::string_view("a\0b", 3), &ov));
    EXPECT_EQ(ov, (std::vector<int>{2, 3}));
    EXPECT_EQ(re->capture_count(), 0);
    EXPECT_TRUE(re->names().empty());
}

TEST(Regex, NamedGroups) {
    auto re = compile_ok("(?<year>\\d{4})-(?<month>\\d\\d)-(\\d\\d)(?P<rest>.*)");
    EXPECT_EQ(re->capture_count(), 4);
    auto names = re->names();
    std::sort(names.begin(), names.end(),
              [](const auto& a, const auto& b) { return a.second < b.second; });
    EXPECT_EQ(names,
              (std::vector<std::pair<std::string, int>>{{"year", 1}, {"month", 2}, {"rest", 4}}));
    std::vector<int> ov;
    ASSERT_TRUE(re->match("2024-05-06T", &ov));
    EXPECT_EQ(ov[2], 0);
    EXPECT_EQ(ov[3], 4);
    EXPECT_EQ(ov[8], 10);
    EXPECT_EQ(ov[9], 11);
}

TEST(Regex, Caseless) {
    auto cs = compile_ok("\\.PHP$");
    auto ci = compile_ok("\\.PHP$", true);
    EXPECT_FALSE(cs->match("/index.php"));
    EXPECT_TRUE(ci->match("/index.php"));
    EXPECT_TRUE(ci->match("/INDEX.Php"));
}

TEST(Regex, CompileErrorsInNginxWording) {
    auto r = Regex::compile("(");
    ASSERT_FALSE(r.is_ok());
    EXPECT_EQ(r.message(), "pcre2_compile() failed: missing closing parenthesis in \"(\"");
    r = Regex::compile("a)b");
    EXPECT_EQ(r.message(),
              "pcre2_compile() failed: unmatched closing parenthesis in \"a)b\" at \")b\"");
    r = Regex::compile("a{2,1}");
    EXPECT_EQ(r.message(),
              "pcre2_compile() failed: numbers out of order in {} quantifier in \"a{2,1}\" at "
              "\"}\"");
}

TEST(Regex, GrowingCaptureCountsOnOneThread) {
    // The per-thread match data must grow when a regex with more groups comes along.
    auto small = compile_ok("(a)");
    auto big = compile_ok("(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)(l)");
    std::vector<int> ov;
    ASSERT_TRUE(small->match("a", &ov));
    EXPECT_EQ(ov.size(), 4u);
    ASSERT_TRUE(big->match("abcdefghijkl", &ov));
    ASSERT_EQ(ov.size(), 26u);
    EXPECT_EQ(ov[24], 11);
    EXPECT_EQ(ov[25], 12);
    ASSERT_TRUE(small->match("xa", &ov));
    EXPECT_EQ(ov, (std::vector<int>{1, 2, 1, 2}));
}

TEST(Regex, SharedBetweenThreads) {
    auto re = compile_ok("^/u/(\\d+)/(\\w+)$");
    std::atomic<int> failures{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; t++) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < 2000; i++) {
                std::string id = std::to_string(t * 100000 + i);
                std::string subject = "/u/" + id + "/name";
                std::vector<int> ov;
                if (!re->match(subject, &ov) || ov[3] - ov[2] != static_cast<int>(id.size())) {
                    failures++;
                }
                if (re->match("/u/x/name")) {
                    failures++;
                }
            }
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    EXPECT_EQ(failures.load(), 0);
}

TEST(Regex, CatastrophicPatternDoesNotCrash) {
    auto re = compile_ok("(a+)+$");
    std::string subject(40, 'a');
    subject += "b";
    // Either answer is acceptable as long as it returns (limits turn into "no match").
    EXPECT_FALSE(re->match(subject));
}

}  // namespace
}  // namespace tycho::core
