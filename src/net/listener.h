#pragma once

// Listening sockets. The master thread opens them once and hands the descriptors to worker
// threads (which accept on them); they survive reloads when the address is unchanged.

#include <sys/socket.h>

#include <string>

#include "core/status.h"

namespace tycho::net {

// What a listening socket is bound to and how. Deliberately independent of http::Listen (net/
// lies left of http/): the server translates one into the other.
struct ListenOptions {
    std::string text;  // "127.0.0.1:8080", "[::1]:80" or "unix:/path": used in error texts
    sockaddr_storage addr{};
    socklen_t addr_len = 0;
    bool is_unix = false;
    std::string unix_path;
    bool reuseport = false;  // SO_REUSEPORT (one socket per worker thread)
    bool ipv6only = true;    // IPV6_V6ONLY for AF_INET6, nginx's default
    int backlog = 511;
};

// Creates, binds and listens: SO_REUSEADDR always, SO_REUSEPORT when asked, IPV6_V6ONLY for
// IPv6; the socket is non-blocking and close-on-exec. A unix socket's stale file is unlinked
// first (callers must not call this for a path a live socket of theirs is bound to).
// Returns the descriptor (owned by the caller) or an error in nginx's wording, e.g.
//   bind() to 127.0.0.1:8080 failed (98: Address already in use)
// Any thread; blocking only for the syscalls.
core::Result<int> open_listener(const ListenOptions& options);

// Formats "(ERRNO: strerror)" as nginx appends it to failed system calls.
std::string errno_suffix(int err);

}  // namespace tycho::net
