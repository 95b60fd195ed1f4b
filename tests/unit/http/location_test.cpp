#include "http/location.h"

#include <gtest/gtest.h>

#include "unit/http/http_test_util.h"

namespace tycho::http {
namespace {

using testing::load_http;

class LocationTest : public ::testing::Test {
  protected:
    void load(const std::string& server_body) {
        std::string error;
        conf_ = load_http("http { server { listen 127.0.0.1:8080; " + server_body + " } }", &error);
        ASSERT_NE(conf_, nullptr) << error;
        server_ = conf_->servers[0].get();
    }
    // "<modifier><pattern>" of the location matched for `uri`, or "none".
    std::string match(std::string_view uri, RegexCaptures* caps = nullptr) {
        const Location* loc = find_location(*server_, uri, caps);
        if (loc == nullptr) {
            return "none";
        }
        switch (loc->match) {
            case Location::Match::kExact:
                return "=" + loc->pattern;
            case Location::Match::kPrefixNoRegex:
                return "^~" + loc->pattern;
            case Location::Match::kRegex:
                return "~" + loc->pattern;
            case Location::Match::kRegexCaseless:
                return "~*" + loc->pattern;
            default:
                return loc->pattern;
        }
    }

    std::unique_ptr<HttpConf> conf_;
    const ServerConf* server_ = nullptr;
};

TEST_F(LocationTest, ExactBeatsPrefixAndRegex) {
    load("location = / { } location / { } location ~ ^/ { }");
    EXPECT_EQ(match("/"), "=/");
    EXPECT_EQ(match("/x"), "~^/");
}

TEST_F(LocationTest, LongestPrefixWinsRegardlessOfOrder) {
    load("location /a { } location /a/b/c { } location /a/b { }");
    EXPECT_EQ(match("/a/b/c/d"), "/a/b/c");
    EXPECT_EQ(match("/a/b/x"), "/a/b");
    EXPECT_EQ(match("/ab"), "/a");
    EXPECT_EQ(match("/b"), "none");
}

TEST_F(LocationTest, RegexBeatsPrefixUnlessCaretTilde) {
    load("location /images/ { } location ^~ /static/ { } location ~* \\.(gif|jpg)$ { }");
    EXPECT_EQ(match("/images/a.gif"), "~*\\.(gif|jpg)$");
    EXPECT_EQ(match("/images/a.GIF"), "~*\\.(gif|jpg)$");
    EXPECT_EQ(match("/static/a.gif"), "^~/static/");
    EXPECT_EQ(match("/images/a.png"), "/images/");
}

TEST_F(LocationTest, RegexesInConfigOrderFirstMatchWins) {
    load("location ~ /a { } location ~ /a/b { } location ~ \\.php$ { }");
    EXPECT_EQ(match("/a/b/x.php"), "~/a");
    EXPECT_EQ(match("/x.php"), "~\\.php$");
}

TEST_F(LocationTest, CaseSensitiveRegexAndPrefix) {
    load("location ~ \\.PHP$ { } location /A { }");
    EXPECT_EQ(match("/x.php"), "none");
    EXPECT_EQ(match("/a"), "none");
    EXPECT_EQ(match("/A/x.PHP"), "~\\.PHP$");
}

TEST_F(LocationTest, NestedRegexInsidePrefixIsTriedFirst) {
    load(
        "location /app/ { location ~ \\.php$ { } location /app/admin/ { } } "
        "location ~ \\.php$ { } location ~ \\.html$ { }");
    const Location* app = server_->locations[0].get();
    const Location* nested = find_location(*server_, "/app/x.php");
    ASSERT_NE(nested, nullptr);
    EXPECT_EQ(nested, app->locations[0].get());
    EXPECT_EQ(match("/app/admin/x"), "/app/admin/");
    // A nested prefix match still lets the outer regexes run.
    EXPECT_EQ(match("/app/admin/x.html"), "~\\.html$");
    EXPECT_EQ(match("/x.php"), "~\\.php$");
    EXPECT_NE(find_location(*server_, "/x.php"), app->locations[0].get());
}

TEST_F(LocationTest, NestedCaretTildeStopsOnlyItsLevel) {
    load("location /a/ { location ^~ /a/b/ { } location ~ x$ { } } location ~ y$ { }");
    EXPECT_EQ(match("/a/b/x"), "^~/a/b/");
    // The outer level's regexes are still tried after a nested ^~ (its prefix is plain).
    EXPECT_EQ(match("/a/b/y"), "~y$");
    EXPECT_EQ(match("/a/c/x"), "~x$");
}

TEST_F(LocationTest, NamedLocationsNeverMatchUris) {
    load("location @fallback { } location /x { }");
    EXPECT_EQ(match("@fallback"), "none");
    const Location* named = find_named_location(*server_, "@fallback");
    ASSERT_NE(named, nullptr);
    EXPECT_EQ(named->match, Location::Match::kNamed);
    EXPECT_EQ(find_named_location(*server_, "@nope"), nullptr);
}

TEST_F(LocationTest, RegexCapturesAndNamedGroups) {
    load("location ~ ^/u/(?<user>[a-z]+)/(\\d+)$ { }");
    RegexCaptures caps;
    ASSERT_EQ(match("/u/bob/42", &caps), "~^/u/(?<user>[a-z]+)/(\\d+)$");
    ASSERT_TRUE(caps.matched);
    ASSERT_GE(caps.ovector.size(), 6u);
    EXPECT_EQ(caps.subject.substr(caps.ovector[4], caps.ovector[5] - caps.ovector[4]), "42");
    ASSERT_EQ(caps.named.size(), 1u);
    EXPECT_EQ(caps.named[0].first, "user");
    EXPECT_EQ(caps.named[0].second, "bob");
}

TEST_F(LocationTest, ExactAndPrefixWithSameUriCoexist) {
    load("location = /a { } location /a { }");
    EXPECT_EQ(match("/a"), "=/a");
    EXPECT_EQ(match("/ab"), "/a");
}

class ServerSelectTest : public ::testing::Test {
  protected:
    void load(const std::string& servers) {
        std::string error;
        conf_ = load_http("http { " + servers + " }", &error);
        ASSERT_NE(conf_, nullptr) << error;
    }
    // The line of the server{} picked for `host` on the first listen group.
    int pick(std::string_view host, size_t group = 0) {
        const ServerConf* s = find_server(conf_->listen_groups.at(group), host);
        return s == nullptr ? -1 : s->line;
    }
    std::unique_ptr<HttpConf> conf_;
};

TEST_F(ServerSelectTest, OrderOfNameKinds) {
    load(
        "\nserver { listen 8080; server_name first.test; }"                               // line 2
        "\nserver { listen 8080; server_name www.example.com; }"                          // 3
        "\nserver { listen 8080; server_name *.example.com; }"                            // 4
        "\nserver { listen 8080; server_name *.a.example.com; }"                          // 5
        "\nserver { listen 8080; server_name www.example.*; }"                            // 6
        "\nserver { listen 8080; server_name ~^(?<sub>\\w+)\\.regex\\.test$ ~^www\\.; }"  // 7
        "\nserver { listen 8080; server_name ~^www\\.other; }");                          // 8
    EXPECT_EQ(pick("www.example.com"), 3);
    EXPECT_EQ(pick("x.example.com"), 4);
    EXPECT_EQ(pick("x.a.example.com"), 5);  // the longest leading wildcard
    EXPECT_EQ(pick("example.com"), 2);      // "*.example.com" needs a label before it
    EXPECT_EQ(pick("www.example.org"), 6);
    EXPECT_EQ(pick("www.other.org"), 7);  // regexes in order: server 7's second name
    RegexCaptures caps;
    const ServerConf* s = find_server(conf_->listen_groups[0], "api.regex.test", &caps);
    ASSERT_NE(s, nullptr);
    EXPECT_EQ(s->line, 7);
    ASSERT_EQ(caps.named.size(), 1u);
    EXPECT_EQ(caps.named[0].second, "api");
    EXPECT_EQ(pick("unknown.test"), 2);  // no default_server: the first server
    EXPECT_EQ(pick(""), 2);
}

TEST_F(ServerSelectTest, DefaultServerAndEmptyName) {
    load(
        "\nserver { listen 8080; server_name a.test; }"
        "\nserver { listen 8080 default_server; server_name b.test; }"
        "\nserver { listen 8080; server_name \"\"; }"
        "\nserver { listen 8081; server_name a.test; }");
    ASSERT_EQ(conf_->listen_groups.size(), 2u);
    EXPECT_EQ(conf_->listen_groups[0].listen.text, "0.0.0.0:8080");
    EXPECT_EQ(conf_->listen_groups[0].servers.size(), 3u);
    EXPECT_TRUE(conf_->listen_groups[0].listen.default_server);
    EXPECT_EQ(pick("nope.test"), 3);
    EXPECT_EQ(pick(""), 4);  // server_name "" matches a request without Host
    EXPECT_EQ(pick("a.test"), 2);
    EXPECT_EQ(pick("a.test", 1), 5);
    EXPECT_EQ(pick("b.test", 1), 5);
}

TEST_F(ServerSelectTest, DotWildcardMatchesBaseAndSubdomains) {
    load(
        "\nserver { listen 8080; server_name other.test; }"
        "\nserver { listen 8080; server_name .example.com; }");
    EXPECT_EQ(pick("example.com"), 3);
    EXPECT_EQ(pick("a.b.example.com"), 3);
    EXPECT_EQ(pick("badexample.com"), 2);
    EXPECT_EQ(conf_->servers[1]->first_name, "example.com");
}

}  // namespace
}  // namespace tycho::http
