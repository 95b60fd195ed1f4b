"""Listening sockets as the master opens them: reuseport (one socket per worker), unix sockets
(stale file replaced, file removed on exit); privileges dropped by `user` after binding;
worker_rlimit_nofile and the worker threads."""

import os
import re
import signal
import socket
import unittest

import harness


def unix_get(path, uri="/hello"):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(path)
    s.sendall(("GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n" % uri).encode())
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return data


class ListenTest(harness.ServerTestCase):
    def test_reuseport(self):
        text = self.server.conf_text(harness.DEFAULT_SERVER).replace(
            "listen 127.0.0.1:%d;" % self.server.port,
            "listen 127.0.0.1:%d reuseport;" % self.server.port)
        self.server.write_conf(text=text)
        self.server.start()
        for _ in range(20):
            self.assertEqual(self.server.request("/hello")[2], b"hello\n")
        # One socket per worker thread: count this process's listening sockets on the port.
        port_hex = ":%04X" % self.server.port
        inodes = set()
        with open("/proc/net/tcp") as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                if fields[1].endswith(port_hex) and fields[3] == "0A":
                    inodes.add(fields[9])
        fd_dir = "/proc/%d/fd" % self.server.pid
        mine = set()
        for fd in os.listdir(fd_dir):
            try:
                target = os.readlink(os.path.join(fd_dir, fd))
            except OSError:
                continue
            if target.startswith("socket:["):
                mine.add(target[8:-1])
        self.assertEqual(len(inodes & mine), 2)
        # A reload keeps serving on the same sockets.
        self.server.signal(signal.SIGHUP)
        harness.wait_for(lambda: self.server.error_log().count("start worker thread") == 4,
                         what="reload")
        self.assertEqual(self.server.request("/hello")[2], b"hello\n")

    def test_unix_socket(self):
        sock = self.server.path("logs", "tycho.sock")
        # A stale file from a crashed run must not stop the start.
        stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        stale.bind(sock)
        stale.close()
        text = self.server.conf_text(harness.DEFAULT_SERVER).replace(
            "listen 127.0.0.1:%d;" % self.server.port,
            "listen 127.0.0.1:%d;\n        listen unix:%s;" % (self.server.port, sock))
        self.server.write_conf(text=text)
        self.server.start()
        data = unix_get(sock)
        self.assertTrue(data.startswith(b"HTTP/1.1 200"), data)
        self.assertTrue(data.endswith(b"\r\n\r\nhello\n"), data)
        self.server.signal(signal.SIGQUIT)
        self.assertEqual(self.server.wait_exit(10), 0)
        self.assertFalse(os.path.exists(sock))

    @unittest.skipUnless(os.geteuid() == 0, "needs root")
    def test_user_drops_privileges_after_binding(self):
        os.chmod(self.server.prefix, 0o755)
        os.chmod(self.server.path("logs"), 0o777)
        text = self.server.conf_text(harness.DEFAULT_SERVER).replace(
            "worker_processes 2;", "worker_processes 2;\nuser nobody nogroup;")
        self.server.write_conf(text=text)
        self.server.start()
        # The port accepts as soon as it is bound; an answer means the workers run, and they
        # start only after the privileges were dropped.
        self.assertEqual(self.server.request("/hello")[2], b"hello\n")
        with open("/proc/%d/status" % self.server.pid) as f:
            status = f.read()
        uid_line = [l for l in status.splitlines() if l.startswith("Uid:")][0]
        self.assertEqual(uid_line.split()[1:], ["65534"] * 4)
        # The error log was handed over, so USR1 can reopen it.
        self.assertEqual(os.stat(self.server.path("logs", "error.log")).st_uid, 65534)
        self.server.signal(signal.SIGQUIT)
        self.assertEqual(self.server.wait_exit(10), 0)


class ProcessTest(harness.ServerTestCase):
    def make_server(self):
        return harness.Server(main_extra="worker_rlimit_nofile 2048;", workers=3)

    def test_rlimit_and_worker_threads(self):
        self.server.start()
        with open("/proc/%d/limits" % self.server.pid) as f:
            line = [l for l in f if l.startswith("Max open files")][0]
        self.assertEqual(line.split()[3:5], ["2048", "2048"])
        # One thread per worker_processes, each announced with its kernel tid, plus the master
        # (the main thread, whose tid is the pid).
        # The server answers once one worker listens; the others may log a moment later.
        harness.wait_for(lambda: self.server.error_log().count("start worker thread") >= 3,
                         what="three workers started")
        tids = set(os.listdir("/proc/%d/task" % self.server.pid))
        workers = re.findall(r"start worker thread (\d+)\n", self.server.error_log())
        self.assertEqual(len(set(workers)), 3)
        self.assertLessEqual(set(workers), tids)
        self.assertIn(str(self.server.pid), tids)
        self.assertNotIn(str(self.server.pid), workers)


if __name__ == "__main__":
    harness.main()
