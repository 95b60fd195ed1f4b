"""Signals: QUIT (graceful, in-flight requests complete), TERM/INT (fast), USR1 (reopen logs),
and the pid file's life."""

import os
import re
import signal
import socket
import time

import harness

BIG_SIZE = 48 * 1024 * 1024


def start_slow_download(server, path="/big.bin"):
    """Opens a connection with a tiny receive buffer, sends a GET and reads only the headers:
    the server cannot finish the response until the client reads on."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(20)
    s.connect(("127.0.0.1", server.port))
    s.sendall(("GET %s HTTP/1.1\r\nHost: localhost\r\n\r\n" % path).encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = s.recv(1024)
        if not chunk:
            raise AssertionError("connection closed before headers: %r" % head)
        head += chunk
    header, body = head.split(b"\r\n\r\n", 1)
    m = re.search(rb"\r\ncontent-length: *(\d+)", header, re.I)
    assert header.startswith(b"HTTP/1.1 200"), header
    assert m, header
    return s, int(m.group(1)), len(body)


def read_rest(s, have):
    """Reads until EOF or error; returns the total body bytes received."""
    total = have
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            total += len(chunk)
    except OSError:
        pass
    return total


class SignalTest(harness.ServerTestCase):
    def make_server(self):
        server = harness.Server()
        with open(server.path("html", "big.bin"), "wb") as f:
            f.write(os.urandom(1024 * 1024) * (BIG_SIZE // (1024 * 1024)))
        return server

    def test_pid_file_and_quit(self):
        proc = self.server.start()
        self.assertEqual(self.server.read_pid(), proc.pid)
        with open(self.server.pid_path) as f:
            self.assertEqual(f.read(), "%d\n" % proc.pid)
        status, _, body = self.server.request("/hello")
        self.assertEqual((status, body), (200, b"hello\n"))
        # Each worker thread is announced once, at notice. The first worker may answer before
        # the second has logged its line: wait for it rather than race it.
        pattern = r"\[notice\] \d+#\d+: start worker thread \d+\n"
        deadline = time.time() + 5
        while (len(re.findall(pattern, self.server.error_log())) < 2
               and time.time() < deadline):
            time.sleep(0.05)
        self.assertEqual(len(re.findall(pattern, self.server.error_log())), 2)
        # The worker threads carry their names (what top -H and ps -L show).
        names = []
        for tid in os.listdir("/proc/%d/task" % proc.pid):
            with open("/proc/%d/task/%s/comm" % (proc.pid, tid)) as f:
                names.append(f.read().strip())
        self.assertEqual(sorted(n for n in names if n.startswith("tycho worker")),
                         ["tycho worker 0", "tycho worker 1"])
        self.server.signal(signal.SIGQUIT)
        self.assertEqual(self.server.wait_exit(10), 0)
        self.assertFalse(os.path.exists(self.server.pid_path))
        log = self.server.error_log()
        self.assertIn("signal 3 (SIGQUIT) received, shutting down", log)
        self.assertIn("gracefully shutting down", log)
        self.assertRegex(log, r"\[notice\] \d+#\d+: exit\n$")

    def test_quit_lets_in_flight_request_finish(self):
        self.server.start()
        s, length, have = start_slow_download(self.server)
        self.assertEqual(length, BIG_SIZE)
        self.server.signal(signal.SIGQUIT)
        time.sleep(1.0)
        self.assertTrue(self.server.alive(), "QUIT must wait for the in-flight response")
        total = read_rest(s, have)
        s.close()
        self.assertEqual(total, BIG_SIZE)
        self.assertEqual(self.server.wait_exit(10), 0)
        self.assertFalse(os.path.exists(self.server.pid_path))

    def test_quit_refuses_new_connections_after_exit(self):
        self.server.start()
        self.server.signal(signal.SIGQUIT)
        self.server.wait_exit(10)
        with self.assertRaises(OSError):
            socket.create_connection(("127.0.0.1", self.server.port), timeout=2)

    def fast_stop(self, sig, name):
        self.server.start()
        s, length, have = start_slow_download(self.server)
        started = time.monotonic()
        self.server.signal(sig)
        self.assertEqual(self.server.wait_exit(5), 0)
        self.assertLess(time.monotonic() - started, 5)
        total = read_rest(s, have)
        s.close()
        self.assertLess(total, length, "a fast stop must not wait for the response")
        self.assertFalse(os.path.exists(self.server.pid_path))
        self.assertIn("signal %d (%s) received, exiting" % (sig, name), self.server.error_log())

    def test_term_is_fast(self):
        self.fast_stop(signal.SIGTERM, "SIGTERM")

    def test_int_is_fast(self):
        self.fast_stop(signal.SIGINT, "SIGINT")

    def test_usr1_reopens_logs(self):
        self.server.start()
        self.assertEqual(self.server.request("/hello")[0], 200)
        harness.wait_for(lambda: "/hello" in self.server.access_log(), what="access log line")
        os.rename(self.server.path("logs", "error.log"), self.server.path("logs", "error.old"))
        os.rename(self.server.path("logs", "access.log"), self.server.path("logs", "access.old"))
        self.server.signal(signal.SIGUSR1)
        harness.wait_for(lambda: os.path.exists(self.server.path("logs", "error.log")),
                         what="a new error.log")
        harness.wait_for(lambda: os.path.exists(self.server.path("logs", "access.log")),
                         what="a new access.log")
        self.assertEqual(self.server.request("/hello?after")[0], 200)
        harness.wait_for(lambda: "/hello?after" in self.server.access_log(),
                         what="the request in the new access log")
        self.assertNotIn("/hello?after", self.server.read("logs/access.old"))
        self.assertIn("signal 10 (SIGUSR1) received, reopening logs",
                      self.server.read("logs/error.old"))
        # New error-log lines go to the new file.
        self.server.signal(signal.SIGQUIT)
        self.server.wait_exit(10)
        self.assertIn("signal 3 (SIGQUIT) received", self.server.error_log())
        self.assertNotIn("signal 3 (SIGQUIT) received", self.server.read("logs/error.old"))

    def test_s_signals_the_running_server(self):
        self.server.start()
        r = self.server.run("-s", "quit")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, "")
        self.assertEqual(self.server.wait_exit(10), 0)
        self.assertIn("signal 3 (SIGQUIT) received", self.server.error_log())


class ShutdownTimeoutTest(harness.ServerTestCase):
    def make_server(self):
        server = harness.Server(main_extra="worker_shutdown_timeout 1s;")
        with open(server.path("html", "big.bin"), "wb") as f:
            f.write(b"x" * BIG_SIZE)
        return server

    def test_quit_forces_close_after_timeout(self):
        self.server.start()
        s, length, have = start_slow_download(self.server)
        started = time.monotonic()
        self.server.signal(signal.SIGQUIT)
        time.sleep(0.5)
        self.assertTrue(self.server.alive(), "still draining before the timeout")
        self.assertEqual(self.server.wait_exit(10), 0)
        self.assertGreater(time.monotonic() - started, 0.9)
        total = read_rest(s, have)
        s.close()
        self.assertLess(total, length)


if __name__ == "__main__":
    harness.main()
