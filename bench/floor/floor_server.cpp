// floor_server: the least work an HTTP/1.1 keep-alive server can do per request on this machine,
// so that bench/compare.sh can put a number on the kernel's share of a scenario's CPU per request.
//
// It is not a server. It accepts run.sh's command line (`-p PREFIX/ -c conf/nginx.conf`), takes
// the first `listen ADDR:PORT` of that file, and answers every request head (whatever its method,
// target or headers) with the same 200 response, whose body contains every scenario's
// bench-expect word. Per request it makes exactly the system calls nginx makes (one recv, one
// send, a share of an epoll_wait) and nothing in user space but finding "\r\n\r\n": whatever CPU
// it spends per request is what any server pays the kernel for the same traffic. Its CPU per
// request over OpenResty's is the lowest ratio any server could reach in that scenario.
//
//   COMPARE_B=build/bench/floor_server bench/compare.sh http_hello http_timer_request
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>

namespace {

// About the size of nginx's answer to the hello scenarios (headers with a Date, chunked body).
constexpr std::string_view kResponse =
    "HTTP/1.1 200 OK\r\n"
    "Server: floor\r\n"
    "Date: Thu, 01 Jan 1970 00:00:00 GMT\r\n"
    "Content-Type: text/plain\r\n"
    "Content-Length: 9\r\n"
    "Connection: keep-alive\r\n"
    "\r\n"
    "hello ok\n";

constexpr int kMaxEvents = 512;  // nginx's default
constexpr size_t kBufferSize = 4096;

struct Conn {
    int fd = -1;
    // The tail of an unfinished head that may hold the start of a split "\r\n\r\n".
    char carry[3] = {};
    size_t carry_len = 0;
};

volatile sig_atomic_t g_stop = 0;

void on_signal(int) { g_stop = 1; }

[[noreturn]] void die(const char* what) {
    std::fprintf(stderr, "floor_server: %s: %s\n", what, std::strerror(errno));
    std::exit(1);
}

// Request heads completed by `data` on `c` (pipelined requests count one each). Only the bytes
// after the last complete head are carried over, so the usual request costs no copy.
size_t count_heads(Conn& c, const char* data, size_t len) {
    std::string_view in(data, len);
    std::string joined;
    if (c.carry_len > 0) {
        joined.assign(c.carry, c.carry_len);
        joined.append(data, len);
        in = joined;
    }
    size_t n = 0;
    size_t end = 0;
    for (size_t pos = 0; (pos = in.find("\r\n\r\n", pos)) != std::string_view::npos; pos += 4) {
        n++;
        end = pos + 4;
    }
    c.carry_len = std::min<size_t>(3, in.size() - end);
    std::memcpy(c.carry, in.data() + in.size() - c.carry_len, c.carry_len);
    return n;
}

bool answer(Conn& c, size_t heads) {
    std::string out;
    const char* data = kResponse.data();
    size_t len = kResponse.size();
    if (heads > 1) {
        for (size_t i = 0; i < heads; i++) {
            out.append(kResponse);
        }
        data = out.data();
        len = out.size();
    }
    while (len > 0) {
        ssize_t w = ::send(c.fd, data, len, MSG_NOSIGNAL);
        if (w < 0) {
            // Blocking for a full socket buffer would be work no real server skips: the
            // scenarios never fill one, so treat it as a failure and close.
            return false;
        }
        data += w;
        len -= static_cast<size_t>(w);
    }
    return true;
}

int listen_on(const std::string& conf_path) {
    std::ifstream in(conf_path);
    if (!in) {
        die(("cannot read " + conf_path).c_str());
    }
    std::stringstream ss;
    ss << in.rdbuf();
    std::smatch m;
    std::string text = ss.str();
    if (!std::regex_search(text, m, std::regex(R"(listen\s+([0-9.]+):([0-9]+))"))) {
        std::fprintf(stderr, "floor_server: no \"listen ADDR:PORT\" in %s\n", conf_path.c_str());
        std::exit(1);
    }
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(std::stoi(m[2].str())));
    if (inet_pton(AF_INET, m[1].str().c_str(), &sa.sin_addr) != 1) {
        std::fprintf(stderr, "floor_server: bad address %s\n", m[1].str().c_str());
        std::exit(1);
    }
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0) {
        die("bind()");
    }
    if (::listen(fd, 511) != 0) {
        die("listen()");
    }
    return fd;
}

}  // namespace

int main(int argc, char** argv) {
    std::string prefix = "./";
    std::string conf = "conf/nginx.conf";
    for (int i = 1; i < argc; i++) {
        std::string_view a = argv[i];
        if (a == "-v" || a == "-V") {
            std::fprintf(stderr, "floor_server: the kernel's share of an HTTP request, not a server\n");
            return 0;
        }
        if ((a == "-p" || a == "-c") && i + 1 < argc) {
            (a == "-p" ? prefix : conf) = argv[++i];
        }
    }
    if (!conf.empty() && conf[0] != '/') {
        conf = prefix + "/" + conf;
    }
    struct sigaction sa{};
    sa.sa_handler = on_signal;
    ::sigaction(SIGTERM, &sa, nullptr);
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGQUIT, &sa, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    int lfd = listen_on(conf);
    int ep = ::epoll_create1(EPOLL_CLOEXEC);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;  // the listener
    ::epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);

    epoll_event events[kMaxEvents];
    char buf[kBufferSize];
    while (g_stop == 0) {
        int n = ::epoll_wait(ep, events, kMaxEvents, -1);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            die("epoll_wait()");
        }
        for (int i = 0; i < n; i++) {
            Conn* c = static_cast<Conn*>(events[i].data.ptr);
            if (c == nullptr) {
                for (;;) {
                    int fd = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
                    if (fd < 0) {
                        break;
                    }
                    int one = 1;
                    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));  // as nginx
                    auto* nc = new Conn;
                    nc->fd = fd;
                    epoll_event cev{};
                    cev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;  // as nginx
                    cev.data.ptr = nc;
                    ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
                }
                continue;
            }
            bool close_it = (events[i].events & (EPOLLERR | EPOLLHUP)) != 0;
            // Edge-triggered: read until the kernel has nothing more. A short read means the
            // socket is empty (nginx's EPOLLRDHUP trick), so the usual case is one recv.
            while (!close_it) {
                ssize_t r = ::recv(c->fd, buf, sizeof(buf), 0);
                if (r > 0) {
                    size_t heads = count_heads(*c, buf, static_cast<size_t>(r));
                    if (heads > 0 && !answer(*c, heads)) {
                        close_it = true;
                    }
                    if (static_cast<size_t>(r) < sizeof(buf)) {
                        if (events[i].events & EPOLLRDHUP) {
                            continue;  // read the end of stream too
                        }
                        break;
                    }
                } else if (r == 0 || errno != EAGAIN) {
                    close_it = true;
                } else {
                    break;
                }
            }
            if (close_it) {
                ::close(c->fd);
                delete c;
            }
        }
    }
    return 0;
}
