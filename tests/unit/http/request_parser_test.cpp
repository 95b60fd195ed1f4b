// RequestParser, normalize_uri and validate_host: the llhttp glue without a connection.

#include "http/request_parser.h"

#include <string>

#include "gtest/gtest.h"

namespace tycho::http {
namespace {

struct Parsed {
    RequestParser::Result result;
    Request r;
    ParseError error;
};

Parsed parse(const std::string& text, ParserLimits limits = {}) {
    Parsed p;
    RequestParser parser;
    parser.begin(&p.r, limits, nullptr);
    size_t used = 0;
    p.result = parser.execute(text.data(), text.size(), &used);
    p.error = parser.error();
    return p;
}

TEST(NormalizeUriTest, NginxRules) {
    std::string out;
    ASSERT_TRUE(normalize_uri("/a//b/./c/../d.HTML", out));
    EXPECT_EQ(out, "/a/b/d.HTML");
    ASSERT_TRUE(normalize_uri("/a/%2e%2e/b%20c", out));
    EXPECT_EQ(out, "/b c");
    ASSERT_TRUE(normalize_uri("/a/.", out));
    EXPECT_EQ(out, "/a/");
    ASSERT_TRUE(normalize_uri("/a/b/..", out));
    EXPECT_EQ(out, "/a/");
    ASSERT_TRUE(normalize_uri("/.hidden", out));
    EXPECT_EQ(out, "/.hidden");
    EXPECT_FALSE(normalize_uri("/..", out));
    EXPECT_FALSE(normalize_uri("/a/../..", out));
    EXPECT_FALSE(normalize_uri("/%2e%2e/x", out));
    EXPECT_FALSE(normalize_uri("/a%00", out));
    EXPECT_FALSE(normalize_uri("/a%zz", out));
    EXPECT_FALSE(normalize_uri("/a%2", out));
    EXPECT_FALSE(normalize_uri("a", out));
}

TEST(ValidateHostTest, LowerCasesAndStripsPort) {
    std::string out;
    ASSERT_TRUE(validate_host("Example.COM:8080", out));
    EXPECT_EQ(out, "example.com");
    ASSERT_TRUE(validate_host("example.com.", out));
    EXPECT_EQ(out, "example.com");
    ASSERT_TRUE(validate_host("[::1]:80", out));
    EXPECT_EQ(out, "[::1]");
    EXPECT_FALSE(validate_host("a..b", out));
    EXPECT_FALSE(validate_host("a/b", out));
    EXPECT_FALSE(validate_host("a b", out));
    EXPECT_FALSE(validate_host("a\tb", out));
    ASSERT_TRUE(validate_host("a\\b", out));  // not a path separator on Unix
    EXPECT_EQ(out, "a\\b");
    EXPECT_FALSE(validate_host("", out));
    EXPECT_FALSE(validate_host(":80", out));
}

TEST(RequestParserTest, FillsRequest) {
    Parsed p = parse(
        "\r\nGET /a%20b/../c.TXT?x=1&y=%41 HTTP/1.1\r\nHost: WWW.Example.com:81\r\n"
        "Expect: 100-Continue\r\nX_Bad: dropped\r\n\r\n");
    ASSERT_EQ(p.result, RequestParser::Result::kHeaderDone) << p.error.message;
    EXPECT_EQ(p.r.method, "GET");
    EXPECT_EQ(p.r.request_line, "GET /a%20b/../c.TXT?x=1&y=%41 HTTP/1.1");
    EXPECT_EQ(p.r.unparsed_uri, "/a%20b/../c.TXT?x=1&y=%41");
    EXPECT_EQ(p.r.uri, "/c.TXT");
    EXPECT_EQ(p.r.args, "x=1&y=%41");
    EXPECT_EQ(p.r.host, "www.example.com");
    EXPECT_TRUE(p.r.expect_continue);
    EXPECT_TRUE(p.r.keepalive);
    EXPECT_EQ(p.r.headers_in.size(), 2u);
    EXPECT_EQ(p.r.raw_header.substr(0, 3), "GET");
}

TEST(RequestParserTest, AbsoluteUriHostWins) {
    Parsed p = parse("GET http://Other.org/x HTTP/1.1\r\nHost: a\r\n\r\n");
    ASSERT_EQ(p.result, RequestParser::Result::kHeaderDone);
    EXPECT_EQ(p.r.host, "other.org");
    EXPECT_EQ(p.r.uri, "/x");
    EXPECT_EQ(p.r.unparsed_uri, "/x");
}

TEST(RequestParserTest, Framing) {
    Parsed p = parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n");
    ASSERT_EQ(p.result, RequestParser::Result::kHeaderDone);
    EXPECT_TRUE(p.r.chunked_in);
    p = parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n");
    EXPECT_EQ(p.r.content_length_in, 12);
    p = parse("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
    EXPECT_EQ(p.result, RequestParser::Result::kError);
    EXPECT_EQ(p.error.status, 501);
    EXPECT_EQ(p.error.message, "client sent unknown \"Transfer-Encoding\": \"gzip, chunked\" "
                               "while reading client request headers");
    p = parse("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n");
    EXPECT_EQ(p.error.status, 400);
    p = parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n");
    EXPECT_EQ(p.error.status, 400);
    EXPECT_EQ(p.error.message,
              "client sent invalid \"Content-Length\" header while reading client request headers");
    p = parse("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
    EXPECT_EQ(p.error.message, "client sent duplicate host header: \"Host: b\", previous value: "
                               "\"Host: a\" while reading client request headers");
}

TEST(RequestParserTest, VersionsAndMethods) {
    Parsed p = parse("GET / HTTP/2.0\r\n\r\n");
    EXPECT_EQ(p.error.status, 505);
    p = parse("TRACE / HTTP/1.1\r\nHost: a\r\n\r\n");
    EXPECT_EQ(p.error.status, 405);
    p = parse("GET / HTTP/1.0\r\n\r\n");
    ASSERT_EQ(p.result, RequestParser::Result::kHeaderDone);
    EXPECT_FALSE(p.r.keepalive);
    p = parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: Keep-Alive, Close\r\n\r\n");
    EXPECT_FALSE(p.r.keepalive);
    p = parse("HEAD / HTTP/1.1\r\nHost: a\r\n\r\n");
    EXPECT_TRUE(p.r.header_only);
}

TEST(RequestParserTest, Limits) {
    ParserLimits small{64, 128, 2};
    Parsed p = parse("GET /" + std::string(200, 'a') + " HTTP/1.1\r\n", small);
    EXPECT_EQ(p.error.status, 414);
    p = parse("GET / HTTP/1.1\r\nX: " + std::string(200, 'a') + "\r\n", small);
    EXPECT_EQ(p.error.status, 494);
    p = parse("GET / HTTP/1.1\r\nA: " + std::string(100, 'a') + "\r\nB: " +
                  std::string(100, 'b') + "\r\nC: " + std::string(100, 'c') + "\r\n\r\n",
              small);
    EXPECT_EQ(p.error.status, 494);
}

TEST(RequestParserTest, LimitsFollowNginxBuffers) {
    // Headers fill the 64-byte buffer, then move line by line into 2 large buffers: the line
    // being read when the third would be needed is the one logged, up to the buffer's end.
    ParserLimits small{64, 128, 2};
    Parsed p = parse("GET / HTTP/1.1\r\nA: " + std::string(100, 'a') + "\r\nB: " +
                         std::string(100, 'b') + "\r\nC: " + std::string(100, 'c') + "\r\n\r\n",
                     small);
    EXPECT_EQ(p.error.status, 494);
    EXPECT_EQ(p.error.message, "client sent too long header line: \"C: " + std::string(20, 'c') +
                                   "...\" while reading client request headers");
    // A line longer than a large buffer is fine while it fits the first buffer.
    ParserLimits big_first{1024, 128, 2};
    p = parse("GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(500, 'x') + "\r\n\r\n",
              big_first);
    EXPECT_EQ(p.result, RequestParser::Result::kHeaderDone) << p.error.message;
    // ... but not once it has to move to a large buffer.
    p = parse("GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(1100, 'x') + "\r\n\r\n",
              big_first);
    EXPECT_EQ(p.error.status, 494);
    EXPECT_EQ(p.error.message.substr(0, 40), "client sent too long header line: \"X: xx");
}

TEST(RequestParserTest, NginxRequestLineAndHeaderErrors) {
    // nginx accepts any upper-case method word: the bad URI is what it reports.
    Parsed p = parse("HELLO THERE\r\n\r\n");
    EXPECT_EQ(p.error.status, 400);
    EXPECT_EQ(p.error.message, "client sent invalid request while reading client request line");
    EXPECT_EQ(p.r.request_line, "HELLO THERE");
    p = parse("get / HTTP/1.1\r\nHost: a\r\n\r\n");
    EXPECT_EQ(p.error.message, "client sent invalid method while reading client request line");
    // A space in a header name is refused.
    p = parse("GET /t HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n");
    EXPECT_EQ(p.error.status, 400);
    EXPECT_EQ(p.error.message,
              "client sent invalid header line: \"Bad\\x20...\" while reading client request "
              "headers");
    EXPECT_EQ(p.r.request_line, "GET /t HTTP/1.1");
}

TEST(RequestParserTest, HeaderNameBytesAtEveryPosition) {
    // A name of [A-Za-z0-9-] is kept; one other byte anywhere in it (the fast check reads names
    // 16 bytes at a time) makes nginx ignore the line, or refuse it for a control byte.
    for (size_t len = 1; len <= 40; len++) {
        std::string name(len, 'a');
        name[0] = 'X';
        name[len - 1] = '9';
        Parsed p = parse("GET / HTTP/1.1\r\nHost: a\r\n" + name + ": v\r\n\r\n");
        ASSERT_EQ(p.result, RequestParser::Result::kHeaderDone) << len;
        ASSERT_EQ(p.r.headers_in.size(), 2u) << len;
        EXPECT_EQ(p.r.headers_in[1].name, name);
        for (size_t pos = 0; pos < len; pos++) {
            for (char bad : {'.', '_', '\x7f'}) {
                std::string odd = name;
                odd[pos] = bad;
                p = parse("GET / HTTP/1.1\r\nHost: a\r\n" + odd + ": v\r\n\r\n");
                if (bad == '\x7f') {
                    EXPECT_EQ(p.result, RequestParser::Result::kError) << len << " " << pos;
                    continue;
                }
                ASSERT_EQ(p.result, RequestParser::Result::kHeaderDone) << len << " " << pos;
                EXPECT_EQ(p.r.headers_in.size(), 1u) << len << " " << pos << " " << bad;
            }
        }
    }
}

TEST(RequestParserTest, SplitAnywhere) {
    std::string text = "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                       "3\r\nabc\r\n0\r\n\r\nGET /n HTTP/1.1\r\nHost: h\r\n\r\n";
    class Collect : public BodySink {
      public:
        int on_body_data(const char* d, size_t n) override {
            body.append(d, n);
            return 0;
        }
        std::string body;
    };
    for (size_t split = 1; split < text.size(); split++) {
        RequestParser parser;
        Request r1, r2;
        Collect sink;
        parser.begin(&r1, {}, &sink);
        std::string buf = text.substr(0, split);
        size_t pos = 0;
        int stage = 0;
        bool fed_rest = false;
        for (int guard = 0; guard < 20 && stage < 3; guard++) {
            size_t used = 0;
            auto res = parser.execute(buf.data() + pos, buf.size() - pos, &used);
            pos += used;
            ASSERT_NE(res, RequestParser::Result::kError) << split << parser.error().message;
            if (res == RequestParser::Result::kHeaderDone && stage == 0) {
                stage = 1;
            } else if (res == RequestParser::Result::kBodyDone && stage == 1) {
                stage = 2;
                parser.begin(&r2, {}, nullptr);
            } else if (res == RequestParser::Result::kHeaderDone && stage == 2) {
                stage = 3;
            } else if (res == RequestParser::Result::kNeedMore && !fed_rest) {
                buf += text.substr(split);
                fed_rest = true;
            }
        }
        EXPECT_EQ(stage, 3) << split;
        EXPECT_EQ(sink.body, "abc") << split;
        EXPECT_EQ(r1.uri, "/p");
        EXPECT_EQ(r2.uri, "/n") << split;
    }
}

// nginx serves any method word; one split across reads (the first read ends inside it) is the
// same request as one that arrived whole.
TEST(RequestParserTest, UnknownMethodSplitAnywhere) {
    for (std::string text : {std::string("PURGE /p?a=1 HTTP/1.1\r\nHost: h\r\n\r\n"),
                             std::string("\r\nMY_METHOD /p?a=1 HTTP/1.1\r\nHost: h\r\n\r\n"),
                             std::string("PROPFIND /p?a=1 HTTP/1.1\r\nHost: h\r\n\r\n")}) {
        for (size_t split = 1; split < text.size(); split++) {
            RequestParser parser;
            Request r;
            parser.begin(&r, {}, nullptr);
            std::string buf = text.substr(0, split);
            size_t used = 0;
            auto res = parser.execute(buf.data(), buf.size(), &used);
            ASSERT_EQ(res, RequestParser::Result::kNeedMore) << text << split;
            // Empty lines before a request are no part of it.
            EXPECT_EQ(parser.header_started(),
                      buf.find_first_not_of("\r\n") != std::string::npos)
                << text << split;
            buf = buf.substr(used) + text.substr(split);
            res = parser.execute(buf.data(), buf.size(), &used);
            ASSERT_EQ(res, RequestParser::Result::kHeaderDone)
                << text << split << ": " << parser.error().message;
            EXPECT_EQ(used, buf.size()) << text << split;
            EXPECT_EQ(r.method, text.substr(text.find_first_not_of("\r\n"),
                                            text.find(' ') - text.find_first_not_of("\r\n")));
            EXPECT_EQ(r.uri, "/p") << text << split;
            EXPECT_EQ(r.args, "a=1") << text << split;
            EXPECT_EQ(r.request_line, text.substr(text.find_first_not_of("\r\n"),
                                                  text.find(" HTTP/1.1") + 9 -
                                                      text.find_first_not_of("\r\n")))
                << split;
        }
    }
}

// A word longer than any method is judged without waiting for its end: a 400, as in nginx.
TEST(RequestParserTest, LongMethodWordIsNotWaitedFor) {
    RequestParser parser;
    Request r;
    parser.begin(&r, {}, nullptr);
    std::string word(2000, 'A');
    size_t used = 0;
    auto res = parser.execute(word.data(), word.size(), &used);
    EXPECT_EQ(res, RequestParser::Result::kError);
    EXPECT_EQ(parser.error().status, 400);
}

// Parses `text` fed in three reads cut at i and j: the header-done request, or the error.
RequestParser::Result parse_in_three(const std::string& text, size_t i, size_t j, Request& r,
                                     RequestParser& parser) {
    parser.begin(&r, {}, nullptr);
    std::string pending;
    RequestParser::Result res = RequestParser::Result::kNeedMore;
    for (auto [from, to] : {std::pair{size_t{0}, i}, std::pair{i, j}, std::pair{j, text.size()}}) {
        pending += text.substr(from, to - from);
        size_t used = 0;
        res = parser.execute(pending.data(), pending.size(), &used);
        pending.erase(0, used);
        if (res != RequestParser::Result::kNeedMore) {
            break;
        }
    }
    return res;
}

// The blanks before a header value are skipped as nginx skips them (spaces, not a tab) however
// the reads cut them; a folded line is refused however it is cut.
TEST(RequestParserTest, ValueBlanksSplitAnywhere) {
    const std::string head = "GET /t HTTP/1.1\r\nHost: h\r\n";
    const std::pair<std::string, std::string> cases[] = {
        {"X-A: \t v\r\n\r\n", "\t v"},
        {"X-A:   v\r\n\r\n", "v"},
        {"X-A:\t\tv \r\n\r\n", "\t\tv"},
        {"X-A:  \r\n\r\n", ""},
    };
    for (const auto& [line, want] : cases) {
        std::string text = head + line;
        for (size_t i = 1; i < text.size(); i++) {
            for (size_t j = i; j < text.size(); j++) {
                RequestParser parser;
                Request r;
                ASSERT_EQ(parse_in_three(text, i, j, r, parser),
                          RequestParser::Result::kHeaderDone)
                    << line << i << " " << j << parser.error().message;
                ASSERT_EQ(r.headers_in.size(), 2u);
                EXPECT_EQ(r.headers_in[1].value, want) << line << i << " " << j;
            }
        }
    }
    std::string folded = head + "X-A: a\r\n  b\r\n\r\n";
    for (size_t i = 1; i < folded.size(); i++) {
        for (size_t j = i; j < folded.size(); j++) {
            RequestParser parser;
            Request r;
            ASSERT_EQ(parse_in_three(folded, i, j, r, parser), RequestParser::Result::kError)
                << i << " " << j;
            EXPECT_EQ(parser.error().status, 400);
            EXPECT_EQ(parser.error().message,
                      "client sent invalid header line: \"\\x20...\" while reading client "
                      "request headers")
                << i << " " << j;
        }
    }
}

}  // namespace
}  // namespace tycho::http
