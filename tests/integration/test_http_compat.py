"""Tycho parses HTTP like nginx: the same random raw requests (a valid request with one or two
things changed: the method, the target, the version, the Host header, odd header lines, framing
headers with a body) go to Debian's nginx and to Tycho, whose `return 200` echoes the request's
variables; the status of the first response and, for a 200, its body must be equal. One request
in four is sent in two writes a moment apart, split at a random byte, so the server reads it in
pieces.

The differences docs/http.md lists (llhttp's strict versions and header values, the interim
100 of a discarded body, nginx's $content_length of a chunked body) are not drawn.
TYCHO_HTTP_COMPAT_SEEDS sets how many seeds (default 1500), TYCHO_HTTP_COMPAT_FIRST the first;
TYCHO_LUA_COMPAT_KEEP=1 keeps both prefixes. A seed's request is printed with the difference:
send its bytes to both servers to replay it.
"""

import concurrent.futures
import os
import random
import re
import socket
import time
import unittest

import harness
from test_lua_compat import NGINX, Side

SEEDS = int(os.environ.get("TYCHO_HTTP_COMPAT_SEEDS", "1500"))
FIRST = int(os.environ.get("TYCHO_HTTP_COMPAT_FIRST", "1"))
PARALLEL = 8

CONF = """%(modules)s
daemon off;
worker_processes 1;
pid logs/nginx.pid;
error_log logs/error.log info;
events {
    worker_connections 256;
}
http {
    access_log off;
    server {
        listen 127.0.0.1:%(port)d default_server;
        server_name localhost;
        location / {
            return 200 "uri=$uri args=$args ru=$request_uri host=$host m=$request_method p=$server_protocol te=$http_transfer_encoding x=$http_x_a\\n";
        }
    }
}
"""

METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "PROPFIND", "TRACE",
           "CONNECT", "get", "G-T", "G_T", "GE T", "", "X" * 40, "BAN", "M-SEARCH", "GET\t",
           "PURGE", "MY_METHOD"]
TARGETS = ["/", "/a/b", "/a/../b", "/../a", "/a/./b/", "/%2e%2e/x", "/a%2Fb", "//x//y",
           "/a?b=1&c", "*", "http://h.test/x?y", "https://h.test:8080/x", "/a b", "/\x01",
           "/\xc3\xa9", "/a#frag", "/a?x=1#f", "?x", "a", "/%zz", "/%41%42", "/a/%2e%2e/b",
           "/a/..", "/a/.", "/a/...", "/.hidden", "/a;b", "/a%00b", "/%", "/x?", "/x??y",
           "/" + "a" * 300, "/a\\b", "/%2f..%2f", "/a/b/../../..", "http://[::1]/x",
           "HTTP://H/x", "http://h.test", "/a%20b", "/~user", "/a?%zz=1", "/\x7f", "/a\tb",
           "http://h.test#f"]
VERSIONS = ["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "http/1.1", "HTTP/1", "HTTP/9.9", "HTTPS/1.1"]
HOSTS = [None, "h.test", "H.Test.", "", "a b", "[::1]", "[::1]:80", "h.test:99999", "h.test:",
         "a..b", "-x", "x_y", "h.test:80:80", "\xc3\xa9.test", "a/b", ".", "..", "a.",
         "h.test\\x", "1.2.3.4", "[bad", "x:y", "a\tb"]
HEADERS = [
    "X-A: 1", "X_A: 2", "X A: 3", ": v", "X-A:", "X-A: a\r\n b", "X-E:\r\n c", " X-A: 1",
    "X-A:\tv", "X-A: \xff", "Content-Length: 0", "Content-Length: 5", "Content-Length: -1",
    "Content-Length: abc", "Content-Length: 5, 5", "Content-Length:  3 ",
    "Transfer-Encoding: chunked", "Transfer-Encoding: Chunked", "Transfer-Encoding: gzip",
    "Transfer-Encoding: identity", "Expect: foo", "Connection: keep-alive",
    "Connection: upgrade", "Upgrade: websocket", "X-Long: " + "v" * 5000, "Cookie: a=b",
    "Range: bytes=0-1", "If-None-Match: x", "Authorization: a", "If-Modified-Since: x",
    "HOST: dup.test",
]
BODIES = [b"", b"", b"hello", b"5\r\nhello\r\n0\r\n\r\n", b"zz\r\n", b"0\r\n\r\n",
          b"5\r\nhel", b"3;ext=1\r\nabc\r\n0\r\nT: 1\r\n\r\n"]
STATUS = re.compile(rb"HTTP/1\.[01] (\d\d\d) ")


def make_request(seed):
    """The bytes of seed's request: a valid one with one or two things changed."""
    r = random.Random(seed)
    method, target, version, host = "GET", "/t", "HTTP/1.1", "h.test"
    extra, body = [], b""
    k = r.randrange(6)
    if k == 0:
        method = r.choice(METHODS)
    elif k == 1:
        target = r.choice(TARGETS)
    elif k == 2:
        version = r.choice(VERSIONS)
    elif k == 3:
        host = r.choice(HOSTS)
    elif k == 4:
        extra = [r.choice(HEADERS)]
        body = r.choice(BODIES)
    else:
        extra = [r.choice(HEADERS), r.choice(HEADERS)]
        body = r.choice(BODIES)
    lines = ["%s %s %s" % (method, target, version)]
    if host is not None:
        lines.append("Host: " + host)
    lines += extra
    lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def split_point(seed, data):
    """Where seed's request is cut in two writes, or None (sent whole). A generator of its own:
    make_request's draws stay those of earlier versions of this test."""
    r = random.Random(seed * 7919 + 1)
    if r.randrange(4) != 0 or len(data) < 2:
        return None
    return r.randrange(1, len(data))


def exchange(port, data, split=None):
    """What the server answered first: (status, body if 200) or a word for no answer."""
    got = b""
    with socket.create_connection(("127.0.0.1", port), timeout=1.5) as s:
        try:
            if split is not None:
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                s.sendall(data[:split])
                time.sleep(0.02)  # the server reads the first piece alone
                data = data[split:]
            s.sendall(data)
            deadline = time.monotonic() + 1.5
            while time.monotonic() < deadline:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
        except (socket.timeout, ConnectionResetError, BrokenPipeError):
            pass
    m = STATUS.match(got)
    if not got:
        return ("no response",)
    if not m:
        return ("not a status line", got[:60])
    status = int(m.group(1))
    if status != 200:
        return (status,)
    return (status, got.partition(b"\r\n\r\n")[2].split(b"\nHTTP/1.")[0])


@unittest.skipUnless(os.access(NGINX, os.X_OK), "nginx not installed")
class HttpCompatTest(unittest.TestCase):
    def test_same_answers_as_nginx(self):
        ref = Side("nginx", NGINX, [], CONF)
        ours = Side("tycho", harness.BINARY, [], CONF)
        diffs = []
        served = 0
        try:
            def one(seed):
                data = make_request(seed)
                split = split_point(seed, data)
                return (seed, data, exchange(ref.port, data, split),
                        exchange(ours.port, data, split))
            with concurrent.futures.ThreadPoolExecutor(PARALLEL) as pool:
                for seed, data, a, b in pool.map(one, range(FIRST, FIRST + SEEDS)):
                    if a != b:
                        diffs.append((seed, data, a, b))
                    elif a[0] == 200:
                        served += 1
            self.assertIsNone(ours.proc.poll(), "tycho exited")
            log = ours.error_log()
        finally:
            ref.stop()
            ours.stop()
        self.assertGreater(served, SEEDS // 3, "too few requests served: is the server up?")
        report = ["seed %d: %r (split at %s)\n  nginx %r\n  tycho %r"
                  % (s, d[:300], split_point(s, d), a, b)
                  for s, d, a, b in diffs[:15]]
        self.assertEqual(diffs, [], "%d of %d seeds differ:\n%s" % (len(diffs), SEEDS,
                                                                      "\n".join(report)))
        self.assertNotRegex(log, r"\[(alert|crit|emerg)\]")


if __name__ == "__main__":
    harness.main()
