#include "net/listener.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace tycho::net {
namespace {

core::Status sys_error(const std::string& what, int err) {
    return core::Status::error(what + " " + errno_suffix(err));
}

}  // namespace

std::string errno_suffix(int err) {
    return "(" + std::to_string(err) + ": " + std::strerror(err) + ")";
}

core::Result<int> open_listener(const ListenOptions& options) {
    int family = options.addr.ss_family;
    int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return sys_error("socket() " + options.text + " failed", errno);
    }
    auto fail = [fd](core::Status st) -> core::Result<int> {
        ::close(fd);
        return st;
    };
    int one = 1;
    if (family != AF_UNIX) {
        if (::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) {
            return fail(sys_error("setsockopt(SO_REUSEADDR) " + options.text + " failed", errno));
        }
        if (options.reuseport &&
            ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0) {
            return fail(sys_error("setsockopt(SO_REUSEPORT) " + options.text + " failed", errno));
        }
    }
    if (family == AF_INET6) {
        int v6only = options.ipv6only ? 1 : 0;
        if (::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) < 0) {
            return fail(
                sys_error("setsockopt(IPV6_V6ONLY) " + options.text + " failed, ignored", errno));
        }
    }
    if (family == AF_UNIX && !options.unix_path.empty()) {
        // A file left by a previous run that did not exit cleanly would make bind() fail.
        struct stat st;
        if (::lstat(options.unix_path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) {
            ::unlink(options.unix_path.c_str());
        }
    }
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&options.addr), options.addr_len) < 0) {
        return fail(sys_error("bind() to " + options.text + " failed", errno));
    }
    if (family == AF_UNIX && !options.unix_path.empty()) {
        // nginx makes unix listeners reachable by the (possibly unprivileged) clients.
        ::chmod(options.unix_path.c_str(), 0666);
    }
    if (::listen(fd, options.backlog) < 0) {
        return fail(sys_error("listen() to " + options.text + ", backlog " +
                                  std::to_string(options.backlog) + " failed",
                              errno));
    }
    return fd;
}

}  // namespace tycho::net
