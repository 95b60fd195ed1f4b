"""No Lua input crashes a worker: a content handler makes random ngx.* calls with random arguments
(tests/integration/fuzz_lua_handler.lua, seeded by ?seed=N) while several keep-alive clients send
requests with successive seeds for TYCHO_LUA_FUZZ_SECONDS (default 20). Any status, any body and
a closed connection are all fine per request; at the end the server must still run, answer a
plain location, and its error log must hold no [alert]/[crit]/[emerg] of its own and no dead
worker.

A failure names the seeds in flight when the server stopped answering; replay one alone with
`curl 'http://127.0.0.1:PORT/fuzz?seed=N&trace=1'` (trace=1 logs every call at notice) against a
server started with the config this test writes (TYCHO_LUA_FUZZ_KEEP=1 keeps the prefix and
prints its path). TYCHO_LUA_FUZZ_CLIENTS sets the number of connections (default 6),
TYCHO_LUA_FUZZ_FIRST the first seed (default 0: every run covers the same seeds; a long run with
another first seed explores new ones).
"""

import http.client
import os
import random
import re
import shutil
import socket
import subprocess
import threading
import time

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
FUZZ_SECONDS = float(os.environ.get("TYCHO_LUA_FUZZ_SECONDS", "20"))
CLIENTS = int(os.environ.get("TYCHO_LUA_FUZZ_CLIENTS", "6"))
FIRST = int(os.environ.get("TYCHO_LUA_FUZZ_FIRST", "0"))
# Some random calls legitimately leave a response the client cannot delimit (ngx.status = 100,
# ngx.req.set_method(ngx.HTTP_HEAD) on a GET, a Content-Length the body does not fill): as with
# OpenResty, the client then waits. Such a request costs one timeout and a new connection.
REQUEST_TIMEOUT = 3.0

SERVER_BODY = """
        location = /ping {
            return 200 "pong\\n";
        }
        location /fuzz {
            set $foo bar;
            content_by_lua_block {
                require("fuzz_lua_handler").run(tonumber(ngx.var.arg_seed) or 1, ngx.var.arg_trace)
            }
        }
        location ~ ^/cap(/.*)$ {
            content_by_lua_block {
                require("fuzz_lua_handler").run(tonumber(ngx.var.arg_seed) or 2, ngx.var.arg_trace)
            }
        }
        location @named {
            return 204;
        }
"""

# Lines the server writes itself at these levels mean a bug; ngx.log(ngx.ALERT, ...) from the
# fuzzed code writes them too, but always with the "[lua] " prefix.
SEVERE = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[(alert|crit|emerg)\] \d+#\d+: "
                    r"(?!(?:\*\d+ )?\[lua\] )(.*)$", re.M)
DEAD_WORKER = re.compile(r"worker .*exited on signal|AddressSanitizer|UndefinedBehaviorSanitizer"
                         r"|\.(?:c|cc|cpp|h):\d+:\d+: runtime error:")


def make_request(rng, seed):
    """A request for `seed` with a random method, query, headers and body."""
    method = rng.choice(["GET", "GET", "GET", "POST", "POST", "PUT", "HEAD", "DELETE"])
    path = rng.choice(["/fuzz", "/fuzz", "/fuzz/x", "/cap/y"])
    query = "seed=%d" % seed
    query += rng.choice(["", "&a=1&b=2", "&a=%zz&a=2&&=x&c", "&arg_=" + "q" * 2000,
                         "&a=%00%ff&b=%E2%82%AC"])
    headers = {"X-Fuzz": rng.choice(["1", "", "a b c", "x" * 3000])}
    if rng.random() < 0.3:
        headers["Cookie"] = "a=1; b=2"
    if rng.random() < 0.2:
        for i in range(rng.randint(1, 120)):
            headers["X-Many-%d" % i] = str(i)
    body = None
    if method in ("POST", "PUT") or rng.random() < 0.1:
        body = rng.choice([b"", b"a=1&b=2", b"x" * 100000, bytes(range(256))])
        headers["Content-Type"] = rng.choice(["application/x-www-form-urlencoded",
                                              "text/plain"])
    return method, "%s?%s" % (path, query), headers, body


class Client(threading.Thread):
    """One keep-alive connection (reopened whenever the server closes it or a request fails)
    sending successive seeds: client i sends seeds FIRST + i, FIRST + i + CLIENTS, ..."""

    def __init__(self, port, index, deadline):
        super().__init__(daemon=True)
        self.port = port
        self.index = index
        self.deadline = deadline
        self.rng = random.Random(FIRST + index)
        self.sent = 0
        self.statuses = {}
        self.failures = 0
        self.timeouts = []  # (seed, method, target) of requests without an answer in time
        self.in_flight = None
        self.refused = None  # the seed whose request found the server gone

    def run(self):
        conn = None
        seed = FIRST + self.index
        while time.monotonic() < self.deadline:
            method, target, headers, body = make_request(self.rng, seed)
            self.in_flight = seed
            try:
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                      timeout=REQUEST_TIMEOUT)
                conn.request(method, target, body=body, headers=headers)
                resp = conn.getresponse()
                resp.read()
                self.statuses[resp.status] = self.statuses.get(resp.status, 0) + 1
                if resp.will_close:
                    conn.close()
                    conn = None
            except ConnectionRefusedError:
                self.refused = seed
                return
            except socket.timeout:
                self.timeouts.append((seed, method, target))
                self.failures += 1
                if conn is not None:
                    conn.close()
                conn = None
            except (OSError, http.client.HTTPException):
                self.failures += 1
                if conn is not None:
                    conn.close()
                conn = None
            self.sent += 1
            self.in_flight = None
            seed += CLIENTS
        if conn is not None:
            conn.close()


class LuaFuzzTest(harness.ServerTestCase):
    def setUp(self):
        self.server = self.make_server()
        if os.environ.get("TYCHO_LUA_FUZZ_KEEP") == "1":
            print("prefix kept: %s" % self.server.prefix)
            self.addCleanup(self.server.stop)
        else:
            self.addCleanup(self.server.cleanup)

    def make_server(self):
        server = harness.Server(server_body=SERVER_BODY, workers=2)
        lua_dir = server.path("lua")
        os.makedirs(lua_dir)
        for name in ("fuzz_lua_handler.lua", "test_rng.lua"):
            shutil.copy(os.path.join(HERE, name), lua_dir)
        extra = '    lua_package_path "%s/?.lua;;";\n' % lua_dir
        # Shared dicts join the fuzz when the binary knows the directive.
        server.http_extra = extra + "    lua_shared_dict fuzz 1m;\n"
        server.write_conf(SERVER_BODY)
        if server.run("-t").returncode != 0:
            server.http_extra = extra
            server.write_conf(SERVER_BODY)
        return server

    def start(self):
        # stderr to a file, not a pipe nobody reads: a sanitizer report must not block.
        self.stderr_path = self.server.path("logs", "stderr.log")
        self.stderr_file = open(self.stderr_path, "w")
        self.addCleanup(self.stderr_file.close)
        proc = subprocess.Popen(self.server.cmd(), stdout=subprocess.DEVNULL,
                                stderr=self.stderr_file)
        self.server.proc = proc
        self.server.pid = proc.pid
        self.server.wait_ready(timeout=30)

    def test_random_ngx_calls_never_crash(self):
        self.start()
        status, _, body = self.server.request("/fuzz?seed=1")
        self.assertIn(status, (200, 500))

        deadline = time.monotonic() + FUZZ_SECONDS
        clients = [Client(self.server.port, i, deadline) for i in range(CLIENTS)]
        for c in clients:
            c.start()
        for c in clients:
            c.join(FUZZ_SECONDS + 3 * REQUEST_TIMEOUT + 30)

        sent = sum(c.sent for c in clients)
        failures = sum(c.failures for c in clients)
        statuses = {}
        for c in clients:
            for k, v in c.statuses.items():
                statuses[k] = statuses.get(k, 0) + v
        timeouts = sorted(t[0] for c in clients for t in c.timeouts)
        print("lua fuzz: %d requests in %.0f s over %d connections, %d closed/failed (%d timed "
              "out, seeds %s), statuses %s" % (sent, FUZZ_SECONDS, CLIENTS, failures,
                                                len(timeouts), timeouts[:20],
                                                sorted(statuses.items())))

        hung = [c.index for c in clients if c.is_alive()]
        in_flight = sorted(c.in_flight for c in clients if c.in_flight is not None)
        refused = sorted(c.refused for c in clients if c.refused is not None)
        alive = self.server.alive()
        with open(self.stderr_path, errors="replace") as f:
            stderr = f.read()
        log = self.server.error_log()
        self.assertTrue(alive, "server died; seeds in flight %s, first refused %s\nstderr:\n%s\n"
                        "log tail:\n%s" % (in_flight, refused, stderr[-6000:], log[-4000:]))
        self.assertEqual(hung, [], "clients still waiting; seeds in flight %s" % in_flight)
        self.assertEqual(refused, [])
        self.assertGreater(sent, 10 * CLIENTS)
        self.assertGreater(statuses.get(200, 0), 0)

        # Fresh connections reach every worker: none may be stuck in a loop.
        for _ in range(8):
            status, _, body = self.server.request("/ping")
            self.assertEqual((status, body), (200, b"pong\n"))

        severe = ["[%s] %s" % (m.group(1), m.group(2)[:300]) for m in SEVERE.finditer(log)]
        self.assertEqual(severe, [], "server alert/crit/emerg lines in the error log")
        self.assertIsNone(DEAD_WORKER.search(log + stderr),
                          "dead worker or sanitizer report:\n%s" % stderr[-6000:])


if __name__ == "__main__":
    harness.main()
