// End-to-end tests of the connection layer: a real HttpWorker on a libuv loop in a background
// thread, a loopback listening socket, a configuration loaded from text, and a blocking client
// that asserts the exact bytes on the wire.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>

#include "core/log.h"
#include "core/version.h"
#include "gtest/gtest.h"
#include "http/http_conf.h"
#include "http/http_worker.h"
#include "http/phases.h"
#include "http/response.h"
#include "unit/http/http_test_util.h"

namespace tycho::http {
namespace {

// Reads the whole request body, then answers with "<n>:<body>" (or the temp file's size).
class EchoHandler : public PhaseHandler {
  public:
    int handle(Request& r) override {
        int rc = read_client_body(r, [](Request& req) {
            std::string out;
            if (req.body_fd >= 0) {
                out = "file:" + std::to_string(lseek(req.body_fd, 0, SEEK_END));
            } else {
                out = std::to_string(req.body.size()) + ":" + req.body;
            }
            req.status = 200;
            req.content_type = "text/plain";
            req.content_length_out = static_cast<int64_t>(out.size());
            send_body(req, out, true);
        });
        return rc == kOk || rc == kAgain ? kDone : rc;
    }
};

// Streams two chunks of unknown length.
class StreamHandler : public PhaseHandler {
  public:
    int handle(Request& r) override {
        r.status = 200;
        r.content_type = "text/plain";
        send_body(r, "hello ", false);
        send_body(r, "world\n", true);
        return kDone;
    }
};

class Server {
  public:
    explicit Server(const std::string& http_block) {
        std::string error;
        std::string text = "http {\n access_log off;\n" + http_block + "\n}\n";
        conf_ = testing::load_http(text, &error);
        if (!conf_) {
            ADD_FAILURE() << error;
            return;
        }
        for (auto& s : conf_->servers) {
            for (auto& loc : s->locations) {
                if (loc->pattern == "/echo") {
                    loc->conf.content_handler = std::make_shared<EchoHandler>();
                }
                if (loc->pattern == "/stream") {
                    loc->conf.content_handler = std::make_shared<StreamHandler>();
                }
            }
        }
        log_path_ = testing::temp_prefix() + "error.log";
        core::LogSink sink;
        sink.path = log_path_;
        sink.fd = core::open_log_file(log_path_);
        sink.level = core::LogLevel::kInfo;
        core::set_log_sinks({sink});

        lfd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
        int one = 1;
        setsockopt(lfd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        sockaddr_in sin{};
        sin.sin_family = AF_INET;
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        EXPECT_EQ(::bind(lfd_, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)), 0);
        EXPECT_EQ(::listen(lfd_, 128), 0);
        socklen_t len = sizeof(sin);
        getsockname(lfd_, reinterpret_cast<sockaddr*>(&sin), &len);
        port_ = ntohs(sin.sin_port);

        std::shared_ptr<const HttpConf> shared(std::move(conf_));
        conf_shared_ = shared;
        std::atomic<bool> ready{false};
        thread_ = std::thread([this, shared, &ready] {
            uv_loop_init(&loop_);
            uv_async_init(&loop_, &stop_, [](uv_async_t* a) {
                auto* self = static_cast<Server*>(a->data);
                self->worker_->close_all();
                uv_close(reinterpret_cast<uv_handle_t*>(a), nullptr);
                uv_close(reinterpret_cast<uv_handle_t*>(&self->graceful_), nullptr);
            });
            stop_.data = this;
            uv_async_init(&loop_, &graceful_, [](uv_async_t* a) {
                auto* self = static_cast<Server*>(a->data);
                self->worker_->shutdown_gracefully([self] { self->drained_ = true; });
            });
            graceful_.data = this;
            worker_ = std::make_unique<HttpWorker>(&loop_, shared, 0, 64);
            core::Status st = worker_->listen(lfd_, &shared->listen_groups[0]);
            EXPECT_TRUE(st.is_ok()) << st.message();
            ready = true;
            uv_run(&loop_, UV_RUN_DEFAULT);
            worker_.reset();
            uv_run(&loop_, UV_RUN_DEFAULT);
            uv_loop_close(&loop_);
        });
        while (!ready) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    }

    ~Server() {
        if (thread_.joinable()) {
            uv_async_send(&stop_);
            thread_.join();
        }
        ::close(lfd_);
        core::set_log_sinks({});
    }

    int connect() const {
        int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in sin{};
        sin.sin_family = AF_INET;
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sin.sin_port = htons(port_);
        EXPECT_EQ(::connect(fd, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)), 0);
        timeval tv{5, 0};
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        return fd;
    }

    void shutdown_gracefully() { uv_async_send(&graceful_); }
    bool drained() const { return drained_; }

    std::string error_log() const {
        std::ifstream in(log_path_);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

  private:
    std::unique_ptr<HttpConf> conf_;
    std::shared_ptr<const HttpConf> conf_shared_;
    std::string log_path_;
    int lfd_ = -1;
    int port_ = 0;
    uv_loop_t loop_;
    uv_async_t stop_;
    uv_async_t graceful_;
    std::atomic<bool> drained_{false};
    std::unique_ptr<HttpWorker> worker_;
    std::thread thread_;
};

void send_all(int fd, const std::string& data) {
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::send(fd, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n <= 0) {
            return;
        }
        off += static_cast<size_t>(n);
    }
}

// Reads until EOF (or the 5 s receive timeout).
std::string read_all(int fd) {
    std::string out;
    char buf[65536];
    for (;;) {
        ssize_t n = ::recv(fd, buf, sizeof(buf), 0);
        if (n <= 0) {
            break;
        }
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

// Reads until `n` bytes arrived.
std::string read_n(int fd, size_t n) {
    std::string out;
    char buf[4096];
    while (out.size() < n) {
        ssize_t k = ::recv(fd, buf, std::min(sizeof(buf), n - out.size()), 0);
        if (k <= 0) {
            break;
        }
        out.append(buf, static_cast<size_t>(k));
    }
    return out;
}

std::string strip_date(const std::string& s) {
    static const std::regex kDate("Date: [^\r]*\r\n");
    return std::regex_replace(s, kDate, "Date: X\r\n");
}

std::string roundtrip(const Server& s, const std::string& request) {
    int fd = s.connect();
    send_all(fd, request);
    std::string out = read_all(fd);
    ::close(fd);
    return strip_date(out);
}

const std::string kConf = R"(
    keepalive_timeout 5s;
    client_max_body_size 100;
    client_body_buffer_size 64;
    server {
        listen 127.0.0.1:8080;
        server_name localhost;
        location = /hello { return 200 "hello\n"; }
        location = /echo { }
        location = /stream { }
        location = /missing { return 404; }
    }
)";

std::string hello_response(const char* connection) {
    return std::string("HTTP/1.1 200 OK\r\nServer: " TYCHO_VER "\r\nDate: X\r\n"
                       "Content-Type: text/plain\r\nContent-Length: 6\r\nConnection: ") +
           connection + "\r\n\r\nhello\n";
}

std::string page(int status, const std::string& title, const char* connection,
                 const std::string& extra = "") {
    std::string body = "<html>\r\n<head><title>" + title + "</title></head>\r\n<body>\r\n" +
                       "<center><h1>" + (extra.empty() ? title : "400 Bad Request") +
                       "</h1></center>\r\n" + extra + "<hr><center>" TYCHO_VER
                       "</center>\r\n</body>\r\n</html>\r\n";
    std::string reason = status == 400 ? "Bad Request" : title.substr(4);
    return "HTTP/1.1 " + std::to_string(status) + " " + reason + "\r\nServer: " TYCHO_VER
           "\r\nDate: X\r\nContent-Type: text/html\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\nConnection: " + connection + "\r\n\r\n" + body;
}

TEST(ConnectionTest, KeepAliveThenClose) {
    Server s(kConf);
    int fd = s.connect();
    send_all(fd, "GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n");
    std::string first = strip_date(read_n(fd, hello_response("keep-alive").size() + 28));
    EXPECT_EQ(first, hello_response("keep-alive"));
    send_all(fd, "GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(strip_date(read_all(fd)), hello_response("close"));
    ::close(fd);
}

TEST(ConnectionTest, ThreePipelinedRequestsInOnePacket) {
    Server s(kConf);
    std::string req = "GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n";
    std::string out = roundtrip(
        s, req + req + "GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(out, hello_response("keep-alive") + hello_response("keep-alive") +
                       hello_response("close"));
}

TEST(ConnectionTest, Http10ClosesUnlessKeepAlive) {
    Server s(kConf);
    EXPECT_EQ(roundtrip(s, "GET /hello HTTP/1.0\r\n\r\n"), hello_response("close"));
    int fd = s.connect();
    send_all(fd, "GET /hello HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    EXPECT_EQ(strip_date(read_n(fd, hello_response("keep-alive").size() + 28)),
              hello_response("keep-alive"));
    ::close(fd);
}

TEST(ConnectionTest, Http10UnknownLengthEndsWithClose) {
    Server s(kConf);
    EXPECT_EQ(roundtrip(s, "GET /stream HTTP/1.0\r\n\r\n"),
              "HTTP/1.1 200 OK\r\nServer: " TYCHO_VER "\r\nDate: X\r\n"
              "Content-Type: text/plain\r\nConnection: close\r\n\r\nhello world\n");
}

TEST(ConnectionTest, ChunkedResponseOnHttp11) {
    Server s(kConf);
    EXPECT_EQ(roundtrip(s, "GET /stream HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"),
              "HTTP/1.1 200 OK\r\nServer: " TYCHO_VER "\r\nDate: X\r\n"
              "Content-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n"
              "\r\n6\r\nhello \r\n6\r\nworld\n\r\n0\r\n\r\n");
}

TEST(ConnectionTest, HeadHasNoBody) {
    Server s(kConf);
    std::string expected = hello_response("close");
    expected.resize(expected.size() - 6);
    EXPECT_EQ(roundtrip(s, "HEAD /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"),
              expected);
}

TEST(ConnectionTest, NotFoundPage) {
    Server s(kConf);
    EXPECT_EQ(roundtrip(s, "GET /missing HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n"),
              page(404, "404 Not Found", "close"));
}

TEST(ConnectionTest, ChunkedRequestBodyIsRead) {
    Server s(kConf);
    std::string out = roundtrip(s,
                               "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
                               "Connection: close\r\n\r\n5\r\nhello\r\n3;ext=1\r\n wo\r\n0\r\n\r\n");
    EXPECT_EQ(out, "HTTP/1.1 200 OK\r\nServer: " TYCHO_VER "\r\nDate: X\r\n"
                   "Content-Type: text/plain\r\nContent-Length: 10\r\nConnection: close\r\n"
                   "\r\n8:hello wo");
}

TEST(ConnectionTest, LargeBodyGoesToTempFile) {
    Server s(kConf);
    std::string body(90, 'x');
    std::string out = roundtrip(s, "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 90\r\n"
                                  "Connection: close\r\n\r\n" + body);
    EXPECT_NE(out.find("\r\n\r\nfile:90"), std::string::npos) << out;
}

TEST(ConnectionTest, UnreadBodyIsDiscardedBeforeNextPipelinedRequest) {
    Server s(kConf);
    std::string out = roundtrip(
        s, "POST /hello HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
           "4\r\nGET \r\n0\r\n\r\n"
           "POST /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nxxxxx"
           "GET /hello HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    EXPECT_EQ(out, hello_response("keep-alive") + hello_response("keep-alive") +
                       hello_response("close"));
}

TEST(ConnectionTest, ExpectContinue) {
    Server s(kConf);
    int fd = s.connect();
    send_all(fd, "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nExpect: 100-continue\r\n"
                 "Connection: close\r\n\r\n");
    EXPECT_EQ(read_n(fd, 25), "HTTP/1.1 100 Continue\r\n\r\n");
    send_all(fd, "abc");
    EXPECT_EQ(strip_date(read_all(fd)),
              "HTTP/1.1 200 OK\r\nServer: " TYCHO_VER "\r\nDate: X\r\n"
              "Content-Type: text/plain\r\nContent-Length: 5\r\nConnection: close\r\n\r\n3:abc");
    ::close(fd);
}

TEST(ConnectionTest, BodyTooLargeByContentLength) {
    Server s(kConf);
    std::string out = roundtrip(s, "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 101\r\n\r\n");
    EXPECT_EQ(out, page(413, "413 Request Entity Too Large", "close"));
    EXPECT_NE(s.error_log().find("[error]"), std::string::npos);
    EXPECT_NE(s.error_log().find("client intended to send too large body: 101 bytes"),
              std::string::npos);
}

TEST(ConnectionTest, BodyTooLargeChunked) {
    Server s(kConf);
    std::string chunk(80, 'y');
    std::string out =
        roundtrip(s, "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "50\r\n" + chunk + "\r\n50\r\n" + chunk + "\r\n0\r\n\r\n");
    EXPECT_EQ(out, page(413, "413 Request Entity Too Large", "close"));
}

TEST(ConnectionTest, UriTooLong) {
    Server s(kConf);
    std::string out =
        roundtrip(s, "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n");
    EXPECT_EQ(out, page(414, "414 Request-URI Too Large", "close"));
    EXPECT_NE(s.error_log().find("client sent too long URI while reading client request line"),
              std::string::npos);
}

TEST(ConnectionTest, HeaderTooLarge) {
    Server s(kConf);
    std::string out = roundtrip(s, "GET /hello HTTP/1.1\r\nHost: a\r\nX-Big: " +
                                      std::string(9000, 'b') + "\r\n\r\n");
    EXPECT_EQ(out, page(400, "400 Request Header Or Cookie Too Large", "close",
                        "<center>Request Header Or Cookie Too Large</center>\r\n"));
}

TEST(ConnectionTest, ContentLengthWithTransferEncodingIs400) {
    Server s(kConf);
    std::string out = roundtrip(s, "POST /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
                                  "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /hello "
                                  "HTTP/1.1\r\nHost: a\r\n\r\n");
    EXPECT_EQ(out, page(400, "400 Bad Request", "close"));
}

TEST(ConnectionTest, DuplicateContentLengthIs400) {
    Server s(kConf);
    std::string out = roundtrip(
        s, "POST /hello HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx");
    EXPECT_EQ(out, page(400, "400 Bad Request", "close"));
    EXPECT_NE(s.error_log().find("client sent duplicate header line: \"Content-Length: 1\", "
                                 "previous value: \"Content-Length: 1\" while reading client "
                                 "request headers"),
              std::string::npos)
        << s.error_log();
}

TEST(ConnectionTest, BadChunkSizeIs400) {
    Server s(kConf);
    std::string out = roundtrip(s, "POST /echo HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked"
                                  "\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
    EXPECT_EQ(out, page(400, "400 Bad Request", "close"));
    EXPECT_NE(s.error_log().find("client sent invalid chunked body"), std::string::npos);
}

TEST(ConnectionTest, BadChunkSizeUnderReturnIs400) {
    // `return` discards the body, and nginx checks the bytes already received: 400, not 200.
    Server s(kConf);
    std::string out = roundtrip(s, "POST /hello HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
                                  "chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n");
    EXPECT_EQ(out, page(400, "400 Bad Request", "close"));
    EXPECT_NE(s.error_log().find("[error]"), std::string::npos) << s.error_log();
    EXPECT_NE(s.error_log().find("client sent invalid chunked body, client: 127.0.0.1"),
              std::string::npos)
        << s.error_log();
}

TEST(ConnectionTest, ErrorLogPerServerAndLocation) {
    std::string prefix = testing::temp_prefix();
    std::string conf = R"(
    server {
        listen 127.0.0.1:8080;
        server_name localhost;
        error_log )" + prefix + R"(server.log warn;
        location = /hello { return 200 "hello\n"; }
        location /loc {
            error_log )" + prefix + R"(loc1.log;
            error_log )" + prefix + R"(loc2.log info;
        }
    }
)";
    Server s(conf);
    roundtrip(s, "GET /nope HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    roundtrip(s, "GET /loc/x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    // A header error happens before routing: the (default) server's log.
    roundtrip(s, "GET /hello HTTP/1.1\r\nHost: a\r\nBad Header: x\r\n\r\n");
    auto read = [](const std::string& path) {
        std::ifstream in(path);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    };
    std::string server_log = read(prefix + "server.log");
    EXPECT_NE(server_log.find("[error]"), std::string::npos) << server_log;
    EXPECT_NE(server_log.find("/html/nope\" failed (2: No such file or directory), client: "
                              "127.0.0.1, server: localhost, request: \"GET /nope HTTP/1.1\""),
              std::string::npos)
        << server_log;
    EXPECT_EQ(server_log.find("/loc/x"), std::string::npos) << server_log;
    // warn level: the info-level header error is not written anywhere.
    EXPECT_EQ(server_log.find("invalid header line"), std::string::npos) << server_log;
    EXPECT_NE(read(prefix + "loc1.log").find("/html/loc/x\" failed"), std::string::npos);
    EXPECT_NE(read(prefix + "loc2.log").find("/html/loc/x\" failed"), std::string::npos);
    // The main error log saw none of these requests.
    EXPECT_EQ(s.error_log().find("failed"), std::string::npos) << s.error_log();
    EXPECT_EQ(s.error_log().find("invalid header line"), std::string::npos) << s.error_log();
}

TEST(ConnectionTest, UnknownTransferEncodingIs501) {
    Server s(kConf);
    std::string out = roundtrip(
        s, "POST /hello HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n");
    EXPECT_EQ(out, page(501, "501 Not Implemented", "close"));
}

TEST(ConnectionTest, InvalidMethodIs400AndLogged) {
    Server s(kConf);
    std::string out = roundtrip(s, "FO{O / HTTP/1.1\r\nHost: a\r\n\r\n");
    EXPECT_EQ(out, page(400, "400 Bad Request", "close"));
    std::string log = s.error_log();
    EXPECT_NE(log.find("[info]"), std::string::npos);
    EXPECT_NE(log.find("client sent invalid method while reading client request line, "
                       "client: 127.0.0.1, server: localhost, request: \"FO{O / HTTP/1.1\""),
              std::string::npos)
        << log;
}

TEST(ConnectionTest, MissingHostOnHttp11Is400) {
    Server s(kConf);
    EXPECT_EQ(roundtrip(s, "GET /hello HTTP/1.1\r\n\r\n"), page(400, "400 Bad Request", "close"));
}

TEST(ConnectionTest, DotDotAboveRootIs400) {
    Server s(kConf);
    EXPECT_EQ(roundtrip(s, "GET /a/../../etc/passwd HTTP/1.1\r\nHost: a\r\n\r\n"),
              page(400, "400 Bad Request", "close"));
}

TEST(ConnectionTest, HeaderTimeoutClosesSilently) {
    Server s(R"(
        client_header_timeout 200ms;
        server { listen 127.0.0.1:8080; location = /hello { return 200 "hello\n"; } }
    )");
    int fd = s.connect();
    auto t0 = std::chrono::steady_clock::now();
    send_all(fd, "GET /hello HTTP/1.1\r\n");
    EXPECT_EQ(read_all(fd), "");
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - t0)
                  .count();
    EXPECT_LT(ms, 2000);
    EXPECT_GE(ms, 150);
    ::close(fd);
    EXPECT_NE(s.error_log().find("client timed out (110: Connection timed out) while reading "
                                 "client request headers"),
              std::string::npos)
        << s.error_log();
}

TEST(ConnectionTest, KeepaliveTimeoutClosesIdleConnection) {
    Server s(R"(
        keepalive_timeout 200ms;
        server { listen 127.0.0.1:8080; location = /hello { return 200 "hello\n"; } }
    )");
    int fd = s.connect();
    auto t0 = std::chrono::steady_clock::now();
    send_all(fd, "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n");
    EXPECT_EQ(strip_date(read_all(fd)), hello_response("keep-alive"));
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::steady_clock::now() - t0)
                  .count();
    EXPECT_LT(ms, 2000);
    ::close(fd);
}

TEST(ConnectionTest, KeepaliveRequestsLimit) {
    Server s(R"(
        keepalive_requests 2;
        server { listen 127.0.0.1:8080; location = /hello { return 200 "hello\n"; } }
    )");
    std::string req = "GET /hello HTTP/1.1\r\nHost: a\r\n\r\n";
    EXPECT_EQ(roundtrip(s, req + req + req),
              hello_response("keep-alive") + hello_response("close"));
}

TEST(ConnectionTest, BodyTimeoutCloses) {
    Server s(R"(
        client_body_timeout 200ms;
        server { listen 127.0.0.1:8080; location = /echo { } }
    )");
    int fd = s.connect();
    send_all(fd, "POST /echo HTTP/1.1\r\nHost: a\r\nContent-Length: 10\r\n\r\nabc");
    EXPECT_EQ(read_all(fd), "");
    ::close(fd);
}

TEST(ConnectionTest, GracefulShutdownClosesIdleKeepAlive) {
    Server s(kConf);
    int fd = s.connect();
    send_all(fd, "GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n");
    EXPECT_EQ(strip_date(read_n(fd, hello_response("keep-alive").size() + 28)),
              hello_response("keep-alive"));
    s.shutdown_gracefully();
    EXPECT_EQ(read_all(fd), "");
    for (int i = 0; i < 100 && !s.drained(); i++) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_TRUE(s.drained());
    ::close(fd);
}

TEST(ConnectionTest, ServerTokensOff) {
    Server s(R"(
        server_tokens off;
        server { listen 127.0.0.1:8080; location = /x { return 404; } }
    )");
    std::string out = roundtrip(s, "GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n");
    EXPECT_NE(out.find("Server: tycho\r\n"), std::string::npos) << out;
    EXPECT_NE(out.find("<hr><center>tycho</center>\r\n"), std::string::npos) << out;
}

}  // namespace
}  // namespace tycho::http
