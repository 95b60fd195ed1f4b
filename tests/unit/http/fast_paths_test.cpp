// The shortcuts taken for the common request (perf work): normalize_uri's plain-path path,
// validate_host writing into a reused buffer, and the request line of a reused Request. Each
// case compares with what the general code gives.

#include <string>

#include "gtest/gtest.h"
#include "http/request_parser.h"

namespace tycho::http {
namespace {

TEST(FastPathsTest, PlainPathsKeepTheirText) {
    std::string out = "stale";
    ASSERT_TRUE(normalize_uri("/", out));
    EXPECT_EQ(out, "/");
    ASSERT_TRUE(normalize_uri("/img/Photo.JPG", out));
    EXPECT_EQ(out, "/img/Photo.JPG");
    ASSERT_TRUE(normalize_uri("/dir/", out));
    EXPECT_EQ(out, "/dir/");
    ASSERT_TRUE(normalize_uri("/a.b/c", out));
    EXPECT_EQ(out, "/a.b/c");
    ASSERT_TRUE(normalize_uri("/file.", out));
    EXPECT_EQ(out, "/file.");
    ASSERT_TRUE(normalize_uri("/a-b_c~d.tar.gz", out));
    EXPECT_EQ(out, "/a-b_c~d.tar.gz");
}

TEST(FastPathsTest, PathsThatNeedWorkStillGetIt) {
    std::string out;
    // A '.' right after a '/' is not plain, even when it is not a dot segment.
    ASSERT_TRUE(normalize_uri("/.well-known/x.TXT", out));
    EXPECT_EQ(out, "/.well-known/x.TXT");
    ASSERT_TRUE(normalize_uri("/a//b", out));
    EXPECT_EQ(out, "/a/b");
    ASSERT_TRUE(normalize_uri("/a%2Fb.PNG", out));
    EXPECT_EQ(out, "/a/b.PNG");
    ASSERT_TRUE(normalize_uri("/a/./b/../c", out));
    EXPECT_EQ(out, "/a/c");
    EXPECT_FALSE(normalize_uri("/a/%00", out));
}

TEST(FastPathsTest, ValidateHostOverwritesAReusedBuffer) {
    std::string out = "a-much-longer-previous-host.example.com";
    ASSERT_TRUE(validate_host("127.0.0.1:8080", out));
    EXPECT_EQ(out, "127.0.0.1");
    ASSERT_TRUE(validate_host("WWW.Example.COM", out));
    EXPECT_EQ(out, "www.example.com");
    EXPECT_FALSE(validate_host("a..b", out));
}

TEST(FastPathsTest, ReusedRequestGetsEachRequestLine) {
    Request r;
    RequestParser parser;
    for (const char* line : {"GET /first/long/path?x=1 HTTP/1.1", "GET /b HTTP/1.1"}) {
        r.raw_header.clear();
        r.headers_in.clear();
        r.method.clear();
        parser.begin(&r, ParserLimits{}, nullptr);
        std::string text = std::string(line) + "\r\nHost: Example.com:80\r\n\r\n";
        size_t used = 0;
        ASSERT_EQ(parser.execute(text.data(), text.size(), &used),
                  RequestParser::Result::kHeaderDone);
        EXPECT_EQ(r.request_line, line);
        EXPECT_EQ(r.host, "example.com");
    }
}

}  // namespace
}  // namespace tycho::http
