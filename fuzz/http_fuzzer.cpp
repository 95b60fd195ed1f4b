// libFuzzer entry for the HTTP request path. The input is a client's byte stream:
//   0. (x86-64) parsed by llhttp's portable and SSE4.2 builds, which must report the same;
//   1. fed to RequestParser alone, split at input-chosen points, request after request;
//   2. written into a whole Connection (real HttpWorker code path: parser, phases, responses,
//      body reading/discarding, pipelining) over a socketpair, the loop run to completion.
// Any input must be answered or rejected without a crash, a sanitizer report or a hang.

#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "core/conf.h"
#include "core/log.h"
#include "http/connection.h"
#include "http/http_conf.h"
#include "http/request_parser.h"
#include "support/llhttp_trace.h"

namespace {

using tycho::http::Connection;
using tycho::http::ConnectionOwner;
using tycho::http::HttpConf;
using tycho::http::ParserLimits;
using tycho::http::Request;
using tycho::http::RequestParser;

class Owner : public ConnectionOwner {
  public:
    void on_connection_closed(Connection*) override { closed = true; }
    bool shutting_down() const override { return false; }
    bool closed = false;
};

const char kConf[] = R"(
http {
    access_log off;
    client_max_body_size 200;
    client_body_buffer_size 32;
    client_header_buffer_size 256;
    large_client_header_buffers 2 512;
    server {
        listen 127.0.0.1:8080;
        server_name localhost *.example.com;
        location = /hello { return 200 "hello\n"; }
        location /r { rewrite ^/r(.*)$ /hello last; }
        location = /redir { return 302 /hello; }
        location / { root /nonexistent; }
    }
}
)";

std::unique_ptr<HttpConf> load_conf() {
    auto parsed = tycho::core::parse_conf_string(kConf, "/fuzz/nginx.conf", "/fuzz/");
    if (!parsed) {
        return nullptr;
    }
    tycho::core::DirectiveTable table;
    tycho::http::register_http_directives(table);
    tycho::core::ConfProcessor processor(table);
    processor.prefix = "/tmp/";
    processor.conf_file = "/fuzz/nginx.conf";
    std::unique_ptr<HttpConf> owner;
    processor.set_slot("http_owner", &owner);
    if (!processor.process(parsed->nodes, tycho::core::kConfMain, nullptr)) {
        return nullptr;
    }
    if (!owner || !tycho::http::finish_http_conf(*owner, "/tmp/")) {
        return nullptr;
    }
    return owner;
}

// The SSE4.2 build of llhttp (CMakeLists.txt) must parse as the portable one: a difference
// is a crash, so the fuzzer reports it with its input.
void fuzz_llhttp_builds(const uint8_t* data, size_t size) {
#if defined(TYCHO_LLHTTP_SSE42)
    if (size == 0) {
        return;
    }
    size_t step = (data[0] % 32) + 1;
    const char* p = reinterpret_cast<const char*>(data + 1);
    for (size_t s : {size_t{0}, step}) {
        if (tycho::test::llhttp_trace(llhttp__internal_execute, p, size - 1, s) !=
            tycho::test::llhttp_trace(llhttp__internal_execute_sse42, p, size - 1, s)) {
            __builtin_trap();
        }
    }
#else
    (void)data;
    (void)size;
#endif
}

void fuzz_parser(const uint8_t* data, size_t size) {
    if (size == 0) {
        return;
    }
    size_t step = (data[0] % 16) + 1;  // bytes per read: exercises every split point
    const char* p = reinterpret_cast<const char*>(data + 1);
    size_t len = size - 1;
    RequestParser parser;
    ParserLimits limits{256, 512, 2};
    auto r = std::make_unique<Request>();
    parser.begin(r.get(), limits, nullptr);
    size_t off = 0;
    size_t avail = 0;
    int requests = 0;
    while (off < len && requests < 64) {
        avail = std::min(len, avail + step);
        if (avail <= off) {
            avail = std::min(len, off + step);
        }
        size_t used = 0;
        RequestParser::Result res = parser.execute(p + off, avail - off, &used);
        off += used;
        if (res == RequestParser::Result::kError) {
            return;
        }
        if (res == RequestParser::Result::kNeedMore && avail == len) {
            return;  // the input ends inside a request (maybe a method word, which waits whole)
        }
        bool next = res == RequestParser::Result::kBodyDone ||
                    (res == RequestParser::Result::kHeaderDone && !parser.body_pending());
        if (next) {
            if (!r->keepalive) {
                return;
            }
            requests++;
            r = std::make_unique<Request>();
            parser.begin(r.get(), limits, nullptr);
        }
    }
}

void fuzz_connection(const uint8_t* data, size_t size) {
    static std::unique_ptr<HttpConf> conf = load_conf();
    static uv_loop_t* loop = [] {
        auto* l = new uv_loop_t;
        uv_loop_init(l);
        return l;
    }();
    if (!conf || conf->listen_groups.empty()) {
        return;
    }
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0) {
        return;
    }
    Owner owner;
    sockaddr peer{};
    peer.sa_family = AF_UNIX;
    auto* c = new Connection(loop, &owner, sv[0], &conf->listen_groups[0], &peer, sizeof(peer));
    c->start();
    size_t off = 0;
    char sink[65536];
    bool shut = false;
    for (int spins = 0; spins < 2000 && !owner.closed; spins++) {
        if (off < size) {
            ssize_t w = ::send(sv[1], data + off, size - off, MSG_NOSIGNAL);
            if (w > 0) {
                off += static_cast<size_t>(w);
            }
        } else if (!shut) {
            ::shutdown(sv[1], SHUT_WR);
            shut = true;
        }
        while (::recv(sv[1], sink, sizeof(sink), 0) > 0) {
        }
        uv_run(loop, UV_RUN_NOWAIT);
    }
    if (!owner.closed) {
        c->close_now();
    }
    uv_run(loop, UV_RUN_NOWAIT);  // let the close callbacks free the connection
    ::close(sv[1]);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
    tycho::core::set_log_sinks({});
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    fuzz_llhttp_builds(data, size);
    fuzz_parser(data, size);
    if (size > 0) {
        fuzz_connection(data + 1, size - 1);  // the first byte is the parser's split step
    }
    return 0;
}
