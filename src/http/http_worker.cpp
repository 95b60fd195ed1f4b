#include "http/http_worker.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <unordered_set>
#include <vector>

#include "core/clock.h"
#include "core/log.h"
#include "http/connection.h"

namespace tycho::http {

class HttpWorkerImpl final : public ConnectionOwner {
  public:
    HttpWorkerImpl(uv_loop_t* loop, std::shared_ptr<const HttpConf> conf, int worker_id,
                   int worker_connections)
        : loop_(loop),
          conf_(std::move(conf)),
          max_connections_(worker_connections > 0 ? static_cast<size_t>(worker_connections)
                                                  : 512) {
        // Writes use MSG_NOSIGNAL, but sendfile(2) can still raise SIGPIPE.
        ::signal(SIGPIPE, SIG_IGN);
        // Refresh the cached time right after the poll phase (a check handle), so the timers
        // of the next loop turn (ngx.sleep wake-ups) see the time after the wait, as nginx
        // updates its time after epoll_wait and before expiring timers.
        time_check_ = new uv_check_t;
        uv_check_init(loop_, time_check_);
        uv_check_start(time_check_, [](uv_check_t* h) {
            core::update_cached_time_for_loop(uv_now(h->loop));
        });
        uv_unref(reinterpret_cast<uv_handle_t*>(time_check_));
    }

    ~HttpWorkerImpl() override {
        close_all();
        uv_close(reinterpret_cast<uv_handle_t*>(time_check_),
                 [](uv_handle_t* h) { delete reinterpret_cast<uv_check_t*>(h); });
    }

    core::Status listen(int fd, const ListenGroup* group) {
        if (stopping_) {
            return core::Status::error("the worker is shutting down");
        }
        auto* l = new Listener;
        l->fd = fd;
        l->group = group;
        l->impl = this;
        l->poll.data = l;
        int rc = uv_poll_init_socket(loop_, &l->poll, fd);
        if (rc != 0) {
            delete l;
            return core::Status::error(std::string("uv_poll_init_socket() failed (") +
                                       uv_strerror(rc) + ")");
        }
        listeners_.push_back(l);
        if (!paused_) {
            uv_poll_start(&l->poll, UV_READABLE, on_listener);
        }
        return core::Status::ok();
    }

    void shutdown_gracefully(std::function<void()> on_drained) {
        stop_listening();
        draining_ = true;
        on_drained_ = std::move(on_drained);
        std::vector<Connection*> copy(connections_.begin(), connections_.end());
        for (Connection* c : copy) {
            if (connections_.count(c) != 0) {
                c->shutdown_gracefully();
            }
        }
        maybe_drained();
    }

    void close_all() {
        stop_listening();
        draining_ = true;
        std::vector<Connection*> copy(connections_.begin(), connections_.end());
        for (Connection* c : copy) {
            if (connections_.count(c) != 0) {
                c->close_now();
            }
        }
        maybe_drained();
    }

    size_t active_connections() const { return connections_.size(); }

    void on_connection_closed(Connection* c) override {
        connections_.erase(c);
        if (paused_ && !stopping_ && connections_.size() < max_connections_) {
            paused_ = false;
            for (Listener* l : listeners_) {
                uv_poll_start(&l->poll, UV_READABLE, on_listener);
            }
        }
        maybe_drained();
    }

    bool shutting_down() const override { return draining_; }

  private:
    struct Listener {
        uv_poll_t poll;
        int fd = -1;
        const ListenGroup* group = nullptr;
        HttpWorkerImpl* impl = nullptr;
    };

    void maybe_drained() {
        if (draining_ && connections_.empty() && on_drained_) {
            auto fn = std::move(on_drained_);
            on_drained_ = nullptr;
            fn();
        }
    }

    void stop_listening() {
        stopping_ = true;
        for (Listener* l : listeners_) {
            uv_close(reinterpret_cast<uv_handle_t*>(&l->poll),
                     [](uv_handle_t* h) { delete static_cast<Listener*>(h->data); });
        }
        listeners_.clear();
    }

    static void on_listener(uv_poll_t* handle, int status, int events) {
        auto* l = static_cast<Listener*>(handle->data);
        core::update_cached_time_for_loop(uv_now(handle->loop));
        l->impl->accept_from(l);
    }

    void accept_from(Listener* l) {
        // Take what the backlog holds, as nginx's multi_accept would not; a bounded batch keeps
        // one busy listener from starving the other sockets of the loop.
        for (int i = 0; i < 64; i++) {
            if (stopping_) {
                return;
            }
            if (connections_.size() >= max_connections_) {
                if (!paused_) {
                    core::log_errorf(core::LogLevel::kAlert, "%zu worker_connections are not enough",
                                     max_connections_);
                    paused_ = true;
                    for (Listener* x : listeners_) {
                        uv_poll_stop(&x->poll);
                    }
                }
                return;
            }
            sockaddr_storage ss{};
            socklen_t len = sizeof(ss);
            int fd = ::accept4(l->fd, reinterpret_cast<sockaddr*>(&ss), &len,
                               SOCK_NONBLOCK | SOCK_CLOEXEC);
            if (fd < 0) {
                int err = errno;
                if (err == EAGAIN || err == EWOULDBLOCK) {
                    return;
                }
                if (err == EINTR || err == ECONNABORTED || err == EPROTO) {
                    continue;
                }
                core::log_errorf(core::LogLevel::kAlert, "accept4() failed (%d: %s)", err,
                                 std::strerror(err));
                return;
            }
            const ServerConf* s = l->group != nullptr ? l->group->default_server : nullptr;
            if ((ss.ss_family == AF_INET || ss.ss_family == AF_INET6) &&
                (s == nullptr || s->conf.tcp_nodelay != 0)) {
                int one = 1;
                ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            }
            auto* c = new Connection(loop_, this, fd, l->group, reinterpret_cast<sockaddr*>(&ss),
                                     len);
            connections_.insert(c);
            c->start();
        }
    }

    uv_loop_t* loop_;
    std::shared_ptr<const HttpConf> conf_;  // keeps the groups and servers alive
    size_t max_connections_;
    uv_check_t* time_check_ = nullptr;
    std::vector<Listener*> listeners_;
    std::unordered_set<Connection*> connections_;
    std::function<void()> on_drained_;
    bool paused_ = false;
    bool stopping_ = false;
    bool draining_ = false;
};

HttpWorker::HttpWorker(uv_loop_t* loop, std::shared_ptr<const HttpConf> conf, int worker_id,
                       int worker_connections)
    : impl_(std::make_unique<HttpWorkerImpl>(loop, std::move(conf), worker_id,
                                             worker_connections)) {}

HttpWorker::~HttpWorker() = default;

core::Status HttpWorker::listen(int fd, const ListenGroup* group) { return impl_->listen(fd, group); }

void HttpWorker::shutdown_gracefully(std::function<void()> on_drained) {
    impl_->shutdown_gracefully(std::move(on_drained));
}

void HttpWorker::close_all() { impl_->close_all(); }

size_t HttpWorker::active_connections() const { return impl_->active_connections(); }

}  // namespace tycho::http
