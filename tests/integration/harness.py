"""Shared helpers for the integration tests: run build/tycho with a generated prefix and config
on a free port, talk HTTP to it, read its logs.

Each test file is run by CTest as `python3 test_x.py --binary PATH`; main() strips --binary and
hands the rest of argv to unittest, so the file exits non-zero when a test fails.
"""

import argparse
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

BINARY = os.environ.get("TYCHO_BINARY", "")


def main():
    global BINARY
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--binary", default=BINARY)
    args, rest = parser.parse_known_args()
    BINARY = os.path.abspath(args.binary) if args.binary else ""
    if not BINARY or not os.access(BINARY, os.X_OK):
        print("tycho binary not found: pass --binary PATH", file=sys.stderr)
        sys.exit(2)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


# The spec runner's: ports from a block of this process's own, so that tests running at once
# (ctest -j) never share one.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "spec"))
from run_spec import free_port  # noqa: E402,F401


def wait_for(predicate, timeout=10.0, interval=0.05, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("timed out waiting for %s" % what)


DEFAULT_SERVER = """
        location = /hello {
            return 200 "hello\\n";
        }
"""


class Server:
    """A prefix directory (conf/, logs/, html/) and a tycho process serving it."""

    def __init__(self, server_body=DEFAULT_SERVER, main_extra="", http_extra="",
                 daemon=False, workers=2, error_level="notice"):
        self.prefix = tempfile.mkdtemp(prefix="tycho-it-")
        for d in ("conf", "logs", "html"):
            os.makedirs(os.path.join(self.prefix, d))
        self.port = free_port()
        self.daemon = daemon
        self.workers = workers
        self.error_level = error_level
        self.main_extra = main_extra
        self.http_extra = http_extra
        self.proc = None
        self.pid = None
        self.write_conf(server_body)

    # ---- paths and files
    def path(self, *parts):
        return os.path.join(self.prefix, *parts)

    @property
    def conf_path(self):
        return self.path("conf", "nginx.conf")

    @property
    def pid_path(self):
        return self.path("logs", "nginx.pid")

    def conf_text(self, server_body):
        return (
            "daemon %s;\n"
            "worker_processes %d;\n"
            "pid logs/nginx.pid;\n"
            "error_log logs/error.log %s;\n"
            "%s\n"
            "events {\n    worker_connections 1024;\n}\n"
            "http {\n"
            "    access_log logs/access.log;\n"
            "%s\n"
            "    server {\n"
            "        listen 127.0.0.1:%d;\n"
            "        server_name localhost;\n"
            "        root html;\n"
            "%s\n"
            "    }\n"
            "}\n"
        ) % ("on" if self.daemon else "off", self.workers, self.error_level, self.main_extra,
             self.http_extra, self.port, server_body)

    def write_conf(self, server_body=None, text=None):
        if text is None:
            text = self.conf_text(server_body)
        with open(self.conf_path, "w") as f:
            f.write(text)

    def write_file(self, rel, data):
        p = self.path(rel)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        mode = "wb" if isinstance(data, bytes) else "w"
        with open(p, mode) as f:
            f.write(data)
        return p

    def read(self, rel):
        try:
            with open(self.path(rel), errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def error_log(self):
        return self.read("logs/error.log")

    def access_log(self):
        return self.read("logs/access.log")

    # ---- process
    def cmd(self, *args):
        return [BINARY, "-p", self.prefix + "/", "-c", "conf/nginx.conf"] + list(args)

    def run(self, *args, timeout=20):
        """Runs tycho to completion (for -t, -s, daemon starts); returns CompletedProcess."""
        return subprocess.run(self.cmd(*args), capture_output=True, text=True, timeout=timeout)

    def start(self, *args, wait=True):
        """Starts tycho in the foreground (daemon off) and waits until the port answers."""
        assert not self.daemon
        self.proc = subprocess.Popen(self.cmd(*args), stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.pid = self.proc.pid
        if wait:
            self.wait_ready()
        return self.proc

    def wait_ready(self, timeout=10.0):
        def ready():
            if self.proc is not None and self.proc.poll() is not None:
                out, err = self.proc.communicate()
                raise AssertionError("tycho exited with %s: %s%s" % (self.proc.returncode,
                                                                   out, err))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    pass
            except OSError:
                return False
            return os.path.exists(self.pid_path)
        wait_for(ready, timeout, what="tycho to listen on %d" % self.port)

    def read_pid(self):
        with open(self.pid_path) as f:
            return int(f.read().strip())

    def signal(self, sig):
        pid = self.pid if self.pid is not None else self.read_pid()
        os.kill(pid, sig)

    def alive(self):
        if self.proc is not None:
            return self.proc.poll() is None
        if self.pid is None:
            return False
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        # A zombie (not our child) still answers kill(0): look at its state.
        try:
            with open("/proc/%d/stat" % self.pid) as f:
                return f.read().split(")")[-1].split()[0] != "Z"
        except FileNotFoundError:
            return False

    def wait_exit(self, timeout=10.0):
        if self.proc is not None:
            return self.proc.wait(timeout=timeout)
        wait_for(lambda: not self.alive(), timeout, what="tycho to exit")
        return None

    def stop(self):
        if self.proc is None and self.pid is None and os.path.exists(self.pid_path):
            try:
                self.pid = self.read_pid()  # a daemon started by run()
            except ValueError:
                pass
        if self.alive():
            try:
                self.signal(signal.SIGKILL)
            except (ProcessLookupError, FileNotFoundError):
                pass
            try:
                self.wait_exit(5)
            except Exception:
                pass
        if self.proc is not None:
            for stream in (self.proc.stdout, self.proc.stderr):
                if stream:
                    stream.close()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.prefix, ignore_errors=True)

    # ---- HTTP
    def request(self, path, method="GET", headers=None, body=None, timeout=10):
        """One request on a fresh connection: (status, headers dict lower-cased, body bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()


class RequestLoad:
    """`threads` clients that each request `path` on a fresh connection, again and again, while
    the `with` block runs: `responses` gets (status, body) per answer, `errors` the repr of every
    request that got none."""

    def __init__(self, server, path, threads=2, timeout=10):
        self.server = server
        self.path = path
        self.timeout = timeout
        self.responses = []
        self.errors = []
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._client) for _ in range(threads)]

    def _client(self):
        while not self._stop.is_set():
            try:
                status, _, body = self.server.request(self.path, timeout=self.timeout)
                self.responses.append((status, body))
            except OSError as e:
                self.errors.append(repr(e))

    def __enter__(self):
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        for t in self._threads:
            t.join(self.timeout + 5)
        return False


class ServerTestCase(unittest.TestCase):
    """Creates self.server per test (override make_server) and always cleans it up."""

    def make_server(self):
        return Server()

    def setUp(self):
        self.server = self.make_server()
        self.addCleanup(self.server.cleanup)
