#include "http/variables.h"

#include <gtest/gtest.h>

#include <regex>

#include "http/access_log.h"

namespace tycho::http {
namespace {

std::string eval(Request& r, const std::string& text) {
    auto cv = ComplexValue::compile(text);
    EXPECT_TRUE(cv.is_ok()) << cv.message();
    if (!cv) {
        return "<error>";
    }
    return cv.value()->eval(r);
}

class VariablesTest : public ::testing::Test {
  protected:
    void SetUp() override {
        info_.number = 7;
        info_.remote_addr = "10.1.2.3";
        info_.remote_port = 5555;
        info_.server_addr = "127.0.0.1";
        info_.server_port = 8080;
        info_.requests = 3;
        server_.first_name = "example.com";
        r_.conn_info = &info_;
        r_.server = &server_;
        r_.method = "GET";
        r_.request_line = "GET /a%20b?x=1&Y=2 HTTP/1.1";
        r_.unparsed_uri = "/a%20b?x=1&Y=2";
        r_.uri = "/a b";
        r_.args = "x=1&Y=2";
        r_.http_major = 1;
        r_.http_minor = 1;
        r_.host = "example.org";
        r_.headers_in = {{"Host", "example.org:8080"},   {"User-Agent", "curl/8"},
                         {"Cookie", "a=1; session=abc"}, {"cookie", "c=3"},
                         {"X-Forwarded-For", "1.1.1.1"}, {"x-forwarded-for", "2.2.2.2"},
                         {"Content-Type", "text/x"},     {"Authorization", "Basic dXNlcjpwYXNz"}};
    }
    ConnectionInfo info_;
    ServerConf server_;
    Request r_;
};

TEST_F(VariablesTest, RequestLineVariables) {
    EXPECT_EQ(eval(r_, "$uri|$document_uri|$request_uri|$args|$query_string|$is_args"),
              "/a b|/a b|/a%20b?x=1&Y=2|x=1&Y=2|x=1&Y=2|?");
    EXPECT_EQ(eval(r_, "$request_method $request $server_protocol $scheme"),
              "GET GET /a%20b?x=1&Y=2 HTTP/1.1 HTTP/1.1 http");
    r_.args.clear();
    EXPECT_EQ(eval(r_, "[$is_args][$args]"), "[][]");
}

TEST_F(VariablesTest, PrefixFamilies) {
    EXPECT_EQ(eval(r_, "$arg_x,$arg_y,$arg_Y,$arg_z"), "1,2,2,");
    EXPECT_EQ(eval(r_, "$http_user_agent|$HTTP_USER_AGENT|$http_host"),
              "curl/8|curl/8|example.org:8080");
    EXPECT_EQ(eval(r_, "$http_cookie"), "a=1; session=abc; c=3");
    EXPECT_EQ(eval(r_, "$http_x_forwarded_for"), "1.1.1.1, 2.2.2.2");
    EXPECT_EQ(eval(r_, "$cookie_session/$cookie_c/$cookie_a/$cookie_none"), "abc/3/1/");
    r_.headers_out = {{"X-Out", "o"}};
    r_.content_type = "text/html";
    r_.content_length_out = 12;
    EXPECT_EQ(eval(r_, "$sent_http_x_out $sent_http_content_type $sent_http_content_length"),
              "o text/html 12");
}

TEST_F(VariablesTest, ConnectionAndServer) {
    EXPECT_EQ(eval(r_, "$remote_addr:$remote_port $server_addr:$server_port"),
              "10.1.2.3:5555 127.0.0.1:8080");
    EXPECT_EQ(eval(r_, "$connection $connection_requests $host $server_name"),
              "7 3 example.org example.com");
    r_.host.clear();
    EXPECT_EQ(eval(r_, "$host"), "example.com");
    EXPECT_EQ(eval(r_, "$remote_user"), "user");
    EXPECT_EQ(eval(r_, "$content_type"), "text/x");
    EXPECT_EQ(eval(r_, "$nginx_version"), "1.22.1");
}

TEST_F(VariablesTest, StatusAndTimes) {
    EXPECT_EQ(eval(r_, "$status"), "000");
    r_.status = 404;
    EXPECT_EQ(eval(r_, "$status"), "404");
    r_.err_status = 503;
    EXPECT_EQ(eval(r_, "$status"), "503");
    r_.body_bytes_sent = 42;
    EXPECT_EQ(eval(r_, "$body_bytes_sent"), "42");
    r_.start_msec = 0;
    EXPECT_TRUE(std::regex_match(eval(r_, "$msec"), std::regex(R"(\d{10}\.\d{3})")));
    r_.start_msec = 1;  // far in the past: a large but well-formed duration
    EXPECT_TRUE(std::regex_match(eval(r_, "$request_time"), std::regex(R"(\d+\.\d{3})")));
    EXPECT_TRUE(std::regex_match(eval(r_, "$time_local"),
                                 std::regex(R"(\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d [+-]\d{4})")));
}

TEST_F(VariablesTest, BracesCapturesAndSetVariables) {
    r_.captures_subject = "/u/bob/42";
    r_.captures = {0, 9, 3, 6, 7, 9};
    EXPECT_EQ(eval(r_, "$1-$2-$3|${uri}x|$urix"), "bob-42-|/a bx|");
    EXPECT_TRUE(set_variable(r_, "v", "val"));
    EXPECT_EQ(eval(r_, "<$v>"), "<val>");
    EXPECT_FALSE(set_variable(r_, "uri", "/x"));
    EXPECT_TRUE(set_variable(r_, "args", "q=1"));
    EXPECT_EQ(r_.args, "q=1");
    std::string out;
    EXPECT_FALSE(get_variable(r_, "nope", out));
    EXPECT_TRUE(get_variable(r_, "v", out));
    EXPECT_EQ(out, "val");
}

TEST(ComplexValueTest, CompileRules) {
    auto lit = ComplexValue::compile("plain text");
    ASSERT_TRUE(lit.is_ok());
    EXPECT_TRUE(lit.value()->is_literal());
    EXPECT_EQ(lit.value()->source(), "plain text");
    auto v = ComplexValue::compile("a$b${c}d$1");
    ASSERT_TRUE(v.is_ok());
    EXPECT_FALSE(v.value()->is_literal());
    EXPECT_EQ(v.value()->variable_names(), (std::vector<std::string>{"b", "c", "1"}));
    EXPECT_EQ(ComplexValue::compile("x$").message(), "invalid variable name in \"x$\"");
    EXPECT_EQ(ComplexValue::compile("x$-").message(), "invalid variable name in \"x$-\"");
    EXPECT_EQ(ComplexValue::compile("${ab").message(),
              "the closing bracket in \"ab\" variable is missing");
}

TEST(ComplexValueTest, KnownVariables) {
    std::vector<std::string> set = {"mine"};
    EXPECT_TRUE(is_known_variable("uri", set));
    EXPECT_TRUE(is_known_variable("arg_x", set));
    EXPECT_TRUE(is_known_variable("http_x", set));
    EXPECT_TRUE(is_known_variable("cookie_x", set));
    EXPECT_TRUE(is_known_variable("sent_http_x", set));
    EXPECT_TRUE(is_known_variable("5", set));
    EXPECT_TRUE(is_known_variable("mine", set));
    EXPECT_FALSE(is_known_variable("foo", set));
    EXPECT_FALSE(is_known_variable("arg_", set));
}

TEST(LogFormatTest, CombinedAndEscaping) {
    Request r;
    ConnectionInfo info;
    info.remote_addr = "1.2.3.4";
    r.conn_info = &info;
    r.request_line = "GET /\"q\\\x01 HTTP/1.1";
    r.status = 200;
    r.body_bytes_sent = 5;
    r.headers_in = {{"User-Agent", "ua\xc3\xa9"}};
    std::string line;
    format_log_line(r, *combined_log_format(), line);
    std::string prefix = "1.2.3.4 - - [";
    ASSERT_EQ(line.compare(0, prefix.size(), prefix), 0) << line;
    std::string suffix = "] \"GET /\\x22q\\x5C\\x01 HTTP/1.1\" 200 5 \"-\" \"ua\\xC3\\xA9\"\n";
    ASSERT_GE(line.size(), suffix.size());
    EXPECT_EQ(line.substr(line.size() - suffix.size()), suffix) << line;

    auto json = compile_log_format("j", LogFormat::Escape::kJson, {"{\"r\":\"$request\"}"});
    ASSERT_TRUE(json.is_ok());
    line.clear();
    format_log_line(r, *json.value(), line);
    EXPECT_EQ(line, "{\"r\":\"GET /\\\"q\\\\\\u0001 HTTP/1.1\"}\n");

    auto none = compile_log_format("n", LogFormat::Escape::kNone, {"$request|$http_x"});
    ASSERT_TRUE(none.is_ok());
    line.clear();
    format_log_line(r, *none.value(), line);
    EXPECT_EQ(line, "GET /\"q\\\x01 HTTP/1.1|-\n");

    EXPECT_EQ(compile_log_format("b", LogFormat::Escape::kDefault, {"${x"}).message(),
              "the closing bracket in \"x\" variable is missing");
    EXPECT_EQ(compile_log_format("b", LogFormat::Escape::kDefault, {"a $"}).message(),
              "invalid parameter \"a $\"");
}

}  // namespace
}  // namespace tycho::http
