#include "http/script.h"

#include <gtest/gtest.h>

#include "unit/http/http_test_util.h"

namespace tycho::http {
namespace {

// Runs the script of the first server of `conf_text`'s http{} against a request for `uri`
// with `args`.
class ScriptTest : public ::testing::Test {
  protected:
    int run(const std::string& server_body, const std::string& uri, const std::string& args) {
        std::string error;
        conf_ = testing::load_http("http { server { " + server_body + " } }", &error);
        EXPECT_NE(conf_, nullptr) << error;
        if (!conf_) {
            return -100;
        }
        r_ = Request{};
        r_.server = conf_->servers[0].get();
        r_.loc = &r_.server->conf;
        r_.uri = uri;
        r_.args = args;
        return run_script(r_, r_.server->script);
    }
    std::unique_ptr<HttpConf> conf_;
    Request r_;
};

TEST_F(ScriptTest, RewriteWithCapturesKeepsArgs) {
    EXPECT_EQ(run("rewrite ^/old/(.*)\\.(\\w+)$ /new/$2/$1;", "/old/a/b.txt", "q=1"), kDeclined);
    EXPECT_EQ(r_.uri, "/new/txt/a/b");
    EXPECT_EQ(r_.args, "q=1");
    EXPECT_TRUE(r_.uri_changed);
    EXPECT_EQ(r_.exten, "");
}

TEST_F(ScriptTest, NoMatchLeavesRequestAlone) {
    EXPECT_EQ(run("rewrite ^/x /y;", "/a", "q=1"), kDeclined);
    EXPECT_EQ(r_.uri, "/a");
    EXPECT_FALSE(r_.uri_changed);
}

TEST_F(ScriptTest, QuestionMarkStartsNewArgsAndAppendsOld) {
    EXPECT_EQ(run("rewrite ^/p/(\\d+) /show.php?id=$1;", "/p/42", "a=b"), kDeclined);
    EXPECT_EQ(r_.uri, "/show.php");
    EXPECT_EQ(r_.args, "id=42&a=b");
    EXPECT_EQ(r_.exten, "php");
    EXPECT_EQ(run("rewrite ^/p/(\\d+) /show?id=$1;", "/p/42", ""), kDeclined);
    EXPECT_EQ(r_.args, "id=42");
}

TEST_F(ScriptTest, TrailingQuestionMarkDropsArgs) {
    EXPECT_EQ(run("rewrite ^ /clean?;", "/x", "a=b"), kDeclined);
    EXPECT_EQ(r_.uri, "/clean");
    EXPECT_EQ(r_.args, "");
    EXPECT_EQ(run("rewrite ^ /n?id=1?;", "/x", "a=b"), kDeclined);
    EXPECT_EQ(r_.uri, "/n");
    EXPECT_EQ(r_.args, "id=1");
}

TEST_F(ScriptTest, LastAndBreakStopTheScript) {
    EXPECT_EQ(run("rewrite ^ /one last; rewrite ^ /two;", "/x", ""), kDeclined);
    EXPECT_EQ(r_.uri, "/one");
    EXPECT_TRUE(r_.uri_changed);
    EXPECT_EQ(run("rewrite ^ /one break; rewrite ^ /two;", "/x", ""), kDeclined);
    EXPECT_EQ(r_.uri, "/one");
    EXPECT_FALSE(r_.uri_changed);
    EXPECT_EQ(run("rewrite ^/(.*) /a$1; rewrite ^/a(.*) /b$1;", "/x", ""), kDeclined);
    EXPECT_EQ(r_.uri, "/bx");
}

TEST_F(ScriptTest, Redirects) {
    EXPECT_EQ(run("rewrite ^/(.*) http://h/$1;", "/x", "a=1"), 302);
    EXPECT_EQ(r_.location_header, "http://h/x?a=1");
    EXPECT_EQ(r_.uri, "/x");
    EXPECT_EQ(run("rewrite ^/(.*) /n/$1?k=v permanent;", "/x", "a=1"), 301);
    EXPECT_EQ(r_.location_header, "/n/x?k=v&a=1");
    EXPECT_EQ(run("rewrite ^ https://h/? redirect;", "/x", "a=1"), 302);
    EXPECT_EQ(r_.location_header, "https://h/");
    EXPECT_EQ(run("rewrite ^ $scheme://$host/y last;", "/x", ""), 302);
    EXPECT_EQ(r_.location_header, "http:///y");
}

TEST_F(ScriptTest, SetAndReturnOrder) {
    EXPECT_EQ(run("set $a \"$uri-1\"; set $b $a$a; return 404; set $c x;", "/u", ""), 404);
    EXPECT_EQ(r_.variables.at("a"), "/u-1");
    EXPECT_EQ(r_.variables.at("b"), "/u-1/u-1");
    EXPECT_EQ(r_.variables.count("c"), 0u);
}

TEST_F(ScriptTest, NamedCapturesBecomeVariables) {
    EXPECT_EQ(run("rewrite ^/(?<name>[a-z]+)/(\\d+)$ /$2/$name;", "/bob/7", ""), kDeclined);
    EXPECT_EQ(r_.uri, "/7/bob");
    EXPECT_EQ(r_.variables.at("name"), "bob");
}

TEST_F(ScriptTest, SetArgsChangesArgs) {
    EXPECT_EQ(run("set $args \"x=$arg_y\";", "/", "y=5"), kDeclined);
    EXPECT_EQ(r_.args, "x=5");
}

}  // namespace
}  // namespace tycho::http
