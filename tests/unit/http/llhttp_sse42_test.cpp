// The SSE4.2 build of llhttp's state machine (CMakeLists.txt, picked at run time by
// request_parser.cpp) must parse exactly as the portable one: same callbacks with the same
// spans, same error code at the same position, however the input is cut into reads.
// (fuzz/http_fuzzer.cpp makes the same comparison on fuzzed input.)

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "support/llhttp_trace.h"

#if defined(TYCHO_LLHTTP_SSE42)

namespace {

using tycho::test::llhttp_trace;

std::string trace(tycho::test::LlhttpExecute execute, const std::string& in, size_t step) {
    return llhttp_trace(execute, in.data(), in.size(), step);
}

std::vector<std::string> inputs() {
    std::string printable;  // every byte a header value may hold
    for (int c = 0x20; c < 0x7f; c++) {
        printable.push_back(static_cast<char>(c));
    }
    return {
        "GET / HTTP/1.1\r\nHost: a\r\n\r\n",
        "GET /t?a=1&b=2 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nUser-Agent: bench/1.0\r\n"
        "Accept-Language: en-US,en;q=0.9\r\nX-Request-Id: 7f3c2a9e-1b4d-4e8f-9a6b-2c5d8e1f0a3b\r\n"
        "Cookie: session=abc123; theme=dark\r\n\r\n",
        "GET / HTTP/1.1\r\nX-Long: " + std::string(300, 'v') + "\r\nX-All: " + printable +
            "\r\n\r\n",
        "GET / HTTP/1.1\r\nX-Very-Long-Header-Name-Over-Sixteen-Bytes: 1\r\n\r\n",
        "GET / HTTP/1.1\r\nX-Obs-Text: caf\xc3\xa9 \xff\x80 end of it all\r\n\r\n",
        "GET / HTTP/1.1\r\nX-Tab:\tvalue\twith\ttabs and more text\r\n\r\n",
        "GET / HTTP/1.1\r\nX-Ctl: abcdefghijklmnop\x01qrstuvwxyz\r\n\r\n",
        "GET / HTTP/1.1\r\nX-Del: abcdefghijklmnopqrs\x7ftuvwxyz\r\n\r\n",
        "GET / HTTP/1.1\r\nX-Bare-LF: abcdefghijklmnopqrs\ntuvwxyz\r\n\r\n",
        "GET / HTTP/1.1\r\nBad Header Name With Spaces: x\r\n\r\n",
        "GET / HTTP/1.1\r\nX-Under_score_and.dot!#$%&'*+^`|~: x\r\n\r\n",
        "GET / HTTP/1.1\r\nX-Bad-\x01-Name-Longer-Than-16: x\r\n\r\n",
        "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 20\r\n\r\n0123456789abcdefghij"
        "GET /next HTTP/1.1\r\nHost: h\r\n\r\n",
        "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        "14\r\n0123456789abcdefghij\r\n0\r\nX-Trailer: a-long-trailer-value-here\r\n\r\n",
    };
}

TEST(LlhttpSse42Test, ParsesExactlyAsThePortableBuild) {
    for (const std::string& in : inputs()) {
        for (size_t step : {size_t{0}, size_t{1}, size_t{7}, size_t{16}, size_t{17}}) {
            EXPECT_EQ(trace(llhttp__internal_execute, in, step),
                      trace(llhttp__internal_execute_sse42, in, step))
                << "input: " << in << "\nstep: " << step;
        }
    }
}

TEST(LlhttpSse42Test, TheTraceSaysWhatHappened) {
    // The comparison above is only worth something if a trace shows the parse.
    std::string v(40, 'v');
    EXPECT_EQ(trace(llhttp__internal_execute_sse42, "GET /x HTTP/1.1\r\nX-Long: " + v + "\r\n\r\n",
                    0),
              "<begin>M[GET]U[/x]H[1.1]F[X-Long]V[" + v + "]<v><headers><done> ok");
    std::string bad = trace(llhttp__internal_execute_sse42,
                            "GET / HTTP/1.1\r\nX-Ctl: abcdefghijklmnop\x01qrstuvwxyz\r\n\r\n", 0);
    EXPECT_NE(bad.find(" error="), std::string::npos) << bad;
}

}  // namespace

#else

TEST(LlhttpSse42Test, NotBuiltOnThisArchitecture) { GTEST_SKIP() << "no SSE4.2 build of llhttp"; }

#endif
