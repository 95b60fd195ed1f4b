#pragma once

// The HTTP side of one worker thread: accepts on the listening sockets it is given and runs
// connections on the worker's libuv loop. Created, used and destroyed on that worker's thread.

#include <uv.h>

#include <cstddef>
#include <functional>
#include <memory>

#include "core/status.h"
#include "http/http_conf.h"

namespace tycho::http {

class HttpWorkerImpl;

class HttpWorker {
  public:
    // `conf` stays alive as long as the worker (the shared_ptr keeps it). worker_id is 0-based.
    // `worker_connections` caps open connections (accepting pauses at the cap, as nginx does).
    HttpWorker(uv_loop_t* loop, std::shared_ptr<const HttpConf> conf, int worker_id,
               int worker_connections);
    ~HttpWorker();
    HttpWorker(const HttpWorker&) = delete;
    HttpWorker& operator=(const HttpWorker&) = delete;

    // Starts accepting on `fd`, a bound, listening, non-blocking socket for `group`. The fd is
    // not owned: the master keeps it open across reloads.
    core::Status listen(int fd, const ListenGroup* group);

    // Graceful stop (QUIT, or retirement after a HUP reload): stop accepting, close idle
    // keep-alive connections, let in-flight requests finish (their connections close after the
    // response). `on_drained` runs on this thread once no connection is left (at once if none).
    void shutdown_gracefully(std::function<void()> on_drained);

    // Fast stop (TERM/INT): stop accepting and close every connection now.
    void close_all();

    size_t active_connections() const;

  private:
    std::unique_ptr<HttpWorkerImpl> impl_;
};

}  // namespace tycho::http
