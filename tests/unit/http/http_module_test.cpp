#include <gtest/gtest.h>
#include <stdio.h>

#include <fstream>
#include <sstream>

#include "http/access_log.h"
#include "http/http_conf.h"
#include "http/variables.h"
#include "unit/http/http_test_util.h"

namespace tycho::http {
namespace {

using testing::load_error;
using testing::load_http;

std::unique_ptr<HttpConf> load_ok(const std::string& text) {
    std::string error;
    auto conf = load_http(text, &error);
    EXPECT_NE(conf, nullptr) << error;
    return conf;
}

TEST(HttpModuleTest, DuplicateHttpBlock) {
    EXPECT_EQ(load_error("http { }\nhttp { }"),
              "\"http\" directive is duplicate in /t/nginx.conf:2");
}

TEST(HttpModuleTest, ContextErrors) {
    EXPECT_EQ(load_error("http { location / { } }"),
              "\"location\" directive is not allowed here in /t/nginx.conf:1");
    EXPECT_EQ(load_error("http { return 200; }"),
              "\"return\" directive is not allowed here in /t/nginx.conf:1");
    EXPECT_EQ(load_error("http { server { listen 80; location / { listen 81; } } }"),
              "\"listen\" directive is not allowed here in /t/nginx.conf:1");
    EXPECT_EQ(load_error("http {\nserver {\nlocation / {\nlog_format x y; } } }"),
              "\"log_format\" directive is not allowed here in /t/nginx.conf:4");
}

TEST(HttpModuleTest, LocationNestingErrors) {
    EXPECT_EQ(load_error("http { server {\n location = /a {\n  location /a/b { } } } }"),
              "location \"/a/b\" cannot be inside the exact location \"/a\" in /t/nginx.conf:3");
    EXPECT_EQ(load_error("http { server {\n location @n {\n  location /a { } } } }"),
              "location \"/a\" cannot be inside the named location \"@n\" in /t/nginx.conf:3");
    EXPECT_EQ(load_error("http { server {\n location /a {\n  location @n { } } } }"),
              "named location \"@n\" can be on server level only in /t/nginx.conf:3");
    EXPECT_EQ(load_error("http { server {\n location /a {\n  location /b { } } } }"),
              "location \"/b\" is outside location \"/a\" in /t/nginx.conf:3");
    EXPECT_EQ(load_error("http { server {\n location /a { }\n location /a { } } }"),
              "duplicate location \"/a\" in /t/nginx.conf:3");
    EXPECT_EQ(load_error("http { server {\n location /a { }\n location ^~ /a { } } }"),
              "duplicate location \"/a\" in /t/nginx.conf:3");
    EXPECT_EQ(load_error("http { server { location ~~ /a { } } }"),
              "invalid location modifier \"~~\" in /t/nginx.conf:1");
    EXPECT_EQ(load_error("http { server { location / a b { } } }"),
              "invalid number of arguments in \"location\" directive in /t/nginx.conf:1");
}

TEST(HttpModuleTest, LocationModifiersWithoutSpace) {
    auto conf = load_ok(
        "http { server { location =/x { } location ^~/y { } location ~*\\.Z$ { } "
        "location ~\\.w$ { } } }");
    ASSERT_NE(conf, nullptr);
    const auto& l = conf->servers[0]->locations;
    ASSERT_EQ(l.size(), 4u);
    EXPECT_EQ(l[0]->match, Location::Match::kExact);
    EXPECT_EQ(l[0]->pattern, "/x");
    EXPECT_EQ(l[1]->match, Location::Match::kPrefixNoRegex);
    EXPECT_EQ(l[1]->pattern, "/y");
    EXPECT_EQ(l[2]->match, Location::Match::kRegexCaseless);
    EXPECT_EQ(l[2]->pattern, "\\.Z$");
    EXPECT_EQ(l[3]->match, Location::Match::kRegex);
}

TEST(HttpModuleTest, ListenParsing) {
    auto conf = load_ok(
        "http {\n"
        "server { listen 127.0.0.1:8080 default_server reuseport backlog=100; }\n"
        "server { listen 8081; listen [::1]:8082; listen unix:/tmp/t.sock; }\n"
        "server { listen 10.0.0.1; }\n"
        "server { server_name x; }\n"
        "}");
    ASSERT_NE(conf, nullptr);
    const Listen& a = conf->servers[0]->listens[0];
    EXPECT_EQ(a.text, "127.0.0.1:8080");
    EXPECT_TRUE(a.default_server);
    EXPECT_TRUE(a.reuseport);
    EXPECT_EQ(a.backlog, 100);
    EXPECT_EQ(a.addr.ss_family, AF_INET);
    EXPECT_EQ(conf->servers[1]->listens[0].text, "0.0.0.0:8081");
    EXPECT_EQ(conf->servers[1]->listens[1].text, "[::1]:8082");
    EXPECT_EQ(conf->servers[1]->listens[1].addr.ss_family, AF_INET6);
    EXPECT_TRUE(conf->servers[1]->listens[2].is_unix);
    EXPECT_EQ(conf->servers[1]->listens[2].unix_path, "/tmp/t.sock");
    EXPECT_EQ(conf->servers[2]->listens[0].text, "10.0.0.1:80");
    EXPECT_EQ(conf->servers[3]->listens[0].text, "0.0.0.0:80");
    EXPECT_EQ(conf->listen_groups.size(), 6u);
}

TEST(HttpModuleTest, ListenErrors) {
    EXPECT_EQ(load_error("http {\nserver { listen 127.0.0.1:8080 default_server; }\n"
                         "server { listen 127.0.0.1:8080 default_server; } }"),
              "a duplicate default server for 127.0.0.1:8080 in /t/nginx.conf:3");
    EXPECT_EQ(load_error("http { server { listen 8080; listen 8080; } }"),
              "a duplicate listen 0.0.0.0:8080 in /t/nginx.conf:1");
    EXPECT_EQ(load_error("http {\nserver { listen 8080 backlog=10; }\n"
                         "server { listen 8080 reuseport; } }"),
              "duplicate listen options for 0.0.0.0:8080 in /t/nginx.conf:3");
    EXPECT_EQ(load_error("http { server { listen 80a; } }"),
              "host not found in \"80a\" of the \"listen\" directive in /t/nginx.conf:1");
    EXPECT_EQ(load_error("http { server { listen 1.2.3.4:99999; } }"),
              "invalid port in \"1.2.3.4:99999\" of the \"listen\" directive in "
              "/t/nginx.conf:1");
    EXPECT_EQ(load_error("http { server { listen 80 foo; } }"),
              "invalid parameter \"foo\" in /t/nginx.conf:1");
    EXPECT_EQ(load_error("http { server { listen 80 backlog=x; } }"),
              "invalid backlog \"x\" in /t/nginx.conf:1");
}

TEST(HttpModuleTest, ServerNames) {
    auto conf = load_ok(
        "http { server { server_name Example.COM *.example.com www.example.* "
        "~^(?<x>a)b$; } server { listen 81; server_name ~^r$; } }");
    ASSERT_NE(conf, nullptr);
    const auto& n = conf->servers[0]->names;
    ASSERT_EQ(n.size(), 4u);
    EXPECT_EQ(conf->servers[0]->first_name, "example.com");
    EXPECT_EQ(n[0].kind, ServerName::Kind::kExact);
    EXPECT_EQ(n[0].name, "example.com");
    EXPECT_EQ(n[1].kind, ServerName::Kind::kWildcardFront);
    EXPECT_EQ(n[1].name, ".example.com");
    EXPECT_EQ(n[2].kind, ServerName::Kind::kWildcardBack);
    EXPECT_EQ(n[2].name, "www.example.");
    EXPECT_EQ(n[3].kind, ServerName::Kind::kRegex);
    EXPECT_EQ(conf->servers[1]->first_name, "~^r$");

    EXPECT_EQ(load_error("http { server { server_name www.*.com; } }"),
              "invalid server name or wildcard \"www.*.com\" on 0.0.0.0:80");
    EXPECT_EQ(load_error("http { server { server_name *x; } }"),
              "server name \"*x\" is invalid in /t/nginx.conf:1");
}

TEST(HttpModuleTest, SlotErrorsAndDuplicates) {
    EXPECT_EQ(load_error("http { keepalive_timeout abc; }"),
              "\"keepalive_timeout\" directive invalid value in /t/nginx.conf:1");
    EXPECT_EQ(load_error("http {\nclient_max_body_size 1m;\nclient_max_body_size 2m; }"),
              "\"client_max_body_size\" directive is duplicate in /t/nginx.conf:3");
    EXPECT_EQ(load_error("http { keepalive_requests x; }"),
              "\"keepalive_requests\" directive invalid number in /t/nginx.conf:1");
    EXPECT_EQ(load_error("http { large_client_header_buffers 0 8k; }"),
              "\"large_client_header_buffers\" directive invalid value in /t/nginx.conf:1");
    EXPECT_EQ(load_error("http { server_tokens maybe; }"),
              "invalid value \"maybe\" in /t/nginx.conf:1");
    EXPECT_EQ(load_error("http { tcp_nodelay maybe; }"),
              "invalid value \"maybe\" in \"tcp_nodelay\" directive, it must be \"on\" or \"off\" "
              "in /t/nginx.conf:1");
    EXPECT_EQ(load_error("http { server { server { } } }"),
              "\"server\" directive is not allowed here in /t/nginx.conf:1");
}

TEST(HttpModuleTest, RewriteModuleErrors) {
    EXPECT_EQ(load_error("http { server { return abc; } }"),
              "invalid return code \"abc\" in /t/nginx.conf:1");
    EXPECT_EQ(load_error("http { server { return 1000; } }"),
              "invalid return code \"1000\" in /t/nginx.conf:1");
    EXPECT_EQ(load_error("http { server { rewrite ^ /x foo; } }"),
              "invalid parameter \"foo\" in /t/nginx.conf:1");
    EXPECT_EQ(load_error("http { server { set x 1; } }"),
              "invalid variable name \"x\" in /t/nginx.conf:1");
    EXPECT_EQ(load_error("http { server { set $uri 1; } }"),
              "the duplicate \"uri\" variable in /t/nginx.conf:1");
    EXPECT_EQ(load_error("http { server { return 200 \"a${b\"; } }"),
              "the closing bracket in \"b\" variable is missing in /t/nginx.conf:1");
    EXPECT_EQ(load_error("http { server { return 200 \"cost $\"; } }"),
              "invalid variable name in \"cost $\" in /t/nginx.conf:1");
}

TEST(HttpModuleTest, UnknownVariables) {
    EXPECT_EQ(load_error("http { server { return 200 $foo; } }"), "unknown \"foo\" variable");
    EXPECT_EQ(load_error("http { log_format x '$bar'; }"), "unknown \"bar\" variable");
    // A `set` anywhere makes the variable known everywhere, even before it.
    EXPECT_EQ(load_error("http { server { location /a { return 200 $later; } "
                         "location /b { set $later 1; } } }"),
              "");
    EXPECT_EQ(load_error("http { server { location ~ (?<name>.+) { return 200 $name$1$arg_a"
                         "$http_x_y$cookie_c$sent_http_z; } } }"),
              "");
}

TEST(HttpModuleTest, ReturnAndRewriteOps) {
    auto conf = load_ok(
        "http { server {\n"
        "return 301 https://x$request_uri;\n"
        "return https://y;\n"
        "return 404;\n"
        "rewrite ^/a(.*)$ /b$1?x=1 last;\n"
        "rewrite ^ /c? break;\n"
        "rewrite ^ http://z/;\n"
        "rewrite ^ /p permanent;\n"
        "set $v \"a b\";\n"
        "} }");
    ASSERT_NE(conf, nullptr);
    const auto& s = conf->servers[0]->script;
    ASSERT_EQ(s.size(), 8u);
    EXPECT_EQ(s[0].code, 301);
    EXPECT_EQ(s[0].text->source(), "https://x$request_uri");
    EXPECT_EQ(s[1].code, 302);
    EXPECT_EQ(s[2].code, 404);
    EXPECT_EQ(s[2].text, nullptr);
    EXPECT_EQ(s[3].flag, ScriptOp::Flag::kLast);
    EXPECT_EQ(s[3].replacement->source(), "/b$1");
    ASSERT_NE(s[3].rewrite_args, nullptr);
    EXPECT_EQ(s[3].rewrite_args->source(), "x=1");
    EXPECT_TRUE(s[3].keep_args);
    EXPECT_EQ(s[4].flag, ScriptOp::Flag::kBreak);
    EXPECT_FALSE(s[4].keep_args);
    EXPECT_EQ(s[4].rewrite_args, nullptr);
    EXPECT_EQ(s[5].flag, ScriptOp::Flag::kRedirect);
    EXPECT_EQ(s[6].flag, ScriptOp::Flag::kPermanent);
    EXPECT_EQ(s[7].kind, ScriptOp::Kind::kSet);
    EXPECT_EQ(s[7].variable, "v");
    EXPECT_EQ(conf->set_variables, std::vector<std::string>{"v"});
}

TEST(HttpModuleTest, MergeDefaultsAndInheritance) {
    std::string prefix = testing::temp_prefix();
    std::string error;
    auto conf = load_http(
        "http {\n"
        "client_max_body_size 2m; keepalive_timeout 10s 5; client_header_timeout 7s;\n"
        "error_page 404 /404.html;\n"
        "add_header X-A 1;\n"
        "server { listen 8080; client_body_timeout 3s;\n"
        "  location /a { error_page 500 /500.html; client_max_body_size 0;\n"
        "    location /a/b { send_timeout 9s; } }\n"
        "  location /c { add_header X-C 2 always; access_log off; }\n"
        "}\n"
        "server { listen 8081; client_header_timeout 1s; keepalive_timeout 0; }\n"
        "}",
        &error, prefix);
    ASSERT_NE(conf, nullptr) << error;
    const ServerConf& s = *conf->servers[0];
    const LocConf& a = s.locations[0]->conf;
    const LocConf& ab = s.locations[0]->locations[0]->conf;
    const LocConf& c = s.locations[1]->conf;

    EXPECT_EQ(conf->conf.send_timeout, 60000);
    EXPECT_EQ(s.conf.client_max_body_size, 2 * 1024 * 1024);
    EXPECT_EQ(s.conf.client_body_timeout, 3000);
    EXPECT_EQ(a.client_body_timeout, 3000);
    EXPECT_EQ(a.client_max_body_size, 0);
    EXPECT_EQ(ab.client_max_body_size, 0);
    EXPECT_EQ(ab.send_timeout, 9000);
    EXPECT_EQ(ab.keepalive_timeout, 10000);
    EXPECT_EQ(ab.keepalive_header, 5000);
    EXPECT_EQ(ab.keepalive_requests, 1000);
    EXPECT_EQ(ab.client_body_buffer_size, 16384);
    EXPECT_EQ(ab.tcp_nodelay, 1);
    EXPECT_EQ(ab.server_tokens, 1);
    EXPECT_EQ(ab.sendfile, 0);
    EXPECT_EQ(ab.client_body_temp_path, prefix + "client_body_temp");
    ASSERT_NE(ab.root, nullptr);
    EXPECT_EQ(ab.root->source(), prefix + "html");
    EXPECT_EQ(ab.index, std::vector<std::string>{"index.html"});
    EXPECT_EQ(ab.default_type, "text/plain");

    // Arrays are inherited only by levels that define none.
    ASSERT_EQ(s.conf.error_pages.size(), 1u);
    EXPECT_EQ(s.conf.error_pages[0].codes, std::vector<int>{404});
    ASSERT_EQ(a.error_pages.size(), 1u);
    EXPECT_EQ(a.error_pages[0].codes, std::vector<int>{500});
    ASSERT_EQ(ab.error_pages.size(), 1u);
    EXPECT_EQ(ab.error_pages[0].codes, std::vector<int>{500});
    ASSERT_EQ(c.add_headers.size(), 1u);
    EXPECT_EQ(c.add_headers[0].name, "X-C");
    EXPECT_TRUE(c.add_headers[0].always);
    ASSERT_EQ(a.add_headers.size(), 1u);
    EXPECT_EQ(a.add_headers[0].name, "X-A");

    // Default access log, opened; `off` is inherited and produces no log.
    ASSERT_EQ(a.access_logs.size(), 1u);
    EXPECT_EQ(a.access_logs[0].path, prefix + "logs/access.log");
    ASSERT_NE(a.access_logs[0].file, nullptr);
    EXPECT_GE(a.access_logs[0].file->fd, 0);
    EXPECT_EQ(a.access_logs[0].format->name, "combined");
    EXPECT_TRUE(c.access_log_off);

    // Server-level directives from http{}.
    EXPECT_EQ(s.client_header_timeout, 7000);
    EXPECT_EQ(conf->servers[1]->client_header_timeout, 1000);
    EXPECT_EQ(conf->servers[1]->conf.keepalive_timeout, 0);
}

TEST(HttpModuleTest, ErrorPageParsing) {
    auto conf = load_ok(
        "http { error_page 404 500 =200 /e?x=1; error_page 502 = @fb; "
        "error_page 494 /big; server { location @fb { } } }");
    ASSERT_NE(conf, nullptr);
    const auto& pages = conf->conf.error_pages;
    ASSERT_EQ(pages.size(), 3u);
    EXPECT_EQ(pages[0].codes, (std::vector<int>{404, 500}));
    EXPECT_EQ(pages[0].override_status, 200);
    EXPECT_EQ(pages[0].uri->source(), "/e?x=1");
    EXPECT_EQ(pages[1].override_status, 0);
    EXPECT_EQ(pages[2].override_status, 400);  // nginx answers 494 pages with 400
    EXPECT_EQ(load_error("http { error_page 200 /x; }"),
              "value \"200\" must be between 300 and 599 in /t/nginx.conf:1");
    EXPECT_EQ(load_error("http { error_page abc /x; }"),
              "invalid value \"abc\" in /t/nginx.conf:1");
    EXPECT_EQ(load_error("http { error_page =404 /x; }"),
              "invalid value \"=404\" in /t/nginx.conf:1");
}

TEST(HttpModuleTest, LogFormatAndAccessLog) {
    std::string prefix = testing::temp_prefix();
    std::string error;
    auto conf = load_http(
        "http { log_format main escape=json '$remote_addr ' \"$status\";\n"
        "access_log logs/main.log main buffer=32k;\n"
        "server { access_log logs/a.log; access_log logs/main.log combined; } }",
        &error, prefix);
    ASSERT_NE(conf, nullptr) << error;
    auto fmt = conf->log_formats.at("main");
    EXPECT_EQ(fmt->escape, LogFormat::Escape::kJson);
    ASSERT_EQ(fmt->parts.size(), 3u);
    EXPECT_EQ(fmt->parts[0].text, "remote_addr");
    EXPECT_EQ(fmt->parts[1].text, " ");
    EXPECT_EQ(fmt->parts[2].text, "status");
    const LocConf& s = conf->servers[0]->conf;
    ASSERT_EQ(s.access_logs.size(), 2u);
    EXPECT_EQ(s.access_logs[0].path, prefix + "logs/a.log");
    // The same path shares one open file.
    EXPECT_EQ(s.access_logs[1].file, conf->conf.access_logs[0].file);

    EXPECT_EQ(load_error("http { access_log /tmp/x.log nope; }"),
              "unknown log format \"nope\" in /t/nginx.conf:1");
    EXPECT_EQ(load_error("http { log_format combined x; }"),
              "duplicate \"log_format\" name \"combined\" in /t/nginx.conf:1");
    EXPECT_EQ(load_error("http { log_format x escape=xml a; }"),
              "unknown log format escaping \"xml\" in /t/nginx.conf:1");
    EXPECT_EQ(load_error("http { access_log off x; }"),
              "invalid parameter \"x\" in /t/nginx.conf:1");
    EXPECT_EQ(load_error("http { access_log /nonexistent-dir/x.log; }"),
              "open() \"/nonexistent-dir/x.log\" failed (2: No such file or directory)");
}

TEST(AccessLogFileTest, WriteAndReopenAfterRename) {
    std::string prefix = testing::temp_prefix();
    std::string error;
    auto conf = load_http(
        "http { log_format m '$request_method $uri'; "
        "server { access_log logs/r.log m; location /q { access_log off; } } }",
        &error, prefix);
    ASSERT_NE(conf, nullptr) << error;
    const LocConf& loc = conf->servers[0]->conf;
    Request r;
    r.method = "GET";
    r.uri = "/one";
    write_access_logs(r, loc);
    write_access_logs(r, conf->servers[0]->locations[0]->conf);  // off: nothing
    std::string path = prefix + "logs/r.log";
    ASSERT_EQ(::rename(path.c_str(), (path + ".1").c_str()), 0);
    r.uri = "/two";
    write_access_logs(r, loc);  // still the renamed file
    ASSERT_TRUE(reopen_access_logs().is_ok());
    r.uri = "/three";
    write_access_logs(r, loc);
    auto slurp = [](const std::string& p) {
        std::ifstream in(p);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    };
    EXPECT_EQ(slurp(path + ".1"), "GET /one\nGET /two\n");
    EXPECT_EQ(slurp(path), "GET /three\n");
}

}  // namespace
}  // namespace tycho::http
