"""`daemon on` (the default): the foreground process returns 0 only once the server listens and
the pid file is written, non-zero with the error otherwise."""

import os
import signal
import socket

import harness


class DaemonTest(harness.ServerTestCase):
    def make_server(self):
        return harness.Server(daemon=True)

    def test_daemon_returns_after_binding(self):
        r = self.server.run(timeout=15)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, "")
        # Listening and the pid file are done before the foreground process returned.
        self.assertTrue(os.path.exists(self.server.pid_path))
        socket.create_connection(("127.0.0.1", self.server.port), timeout=2).close()
        self.server.pid = self.server.read_pid()
        self.assertTrue(self.server.alive())
        status, _, body = self.server.request("/hello")
        self.assertEqual((status, body), (200, b"hello\n"))
        # The daemon is in its own session, detached from ours.
        self.assertEqual(os.getsid(self.server.pid), self.server.pid)
        r = self.server.run("-s", "quit")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.server.wait_exit(10)
        self.assertFalse(os.path.exists(self.server.pid_path))

    def test_daemon_is_the_default(self):
        text = self.server.conf_text(harness.DEFAULT_SERVER).replace("daemon on;\n", "")
        self.server.write_conf(text=text)
        r = self.server.run(timeout=15)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.server.pid = self.server.read_pid()
        self.assertEqual(self.server.request("/hello")[0], 200)
        self.server.signal(signal.SIGTERM)
        self.server.wait_exit(10)

    def test_port_in_use_fails(self):
        blocker = socket.socket()
        blocker.bind(("127.0.0.1", self.server.port))
        blocker.listen(1)
        try:
            r = self.server.run(timeout=15)
        finally:
            blocker.close()
        self.assertNotEqual(r.returncode, 0)
        msg = "bind() to 127.0.0.1:%d failed (98: Address already in use)" % self.server.port
        self.assertEqual(r.stderr, "tycho: [emerg] %s\n" % msg)
        self.assertIn("[emerg]", self.server.error_log())
        self.assertIn(msg, self.server.error_log())
        self.assertFalse(os.path.exists(self.server.pid_path))

    def test_port_in_use_fails_in_foreground(self):
        self.server.daemon = False
        self.server.write_conf(harness.DEFAULT_SERVER)
        blocker = socket.socket()
        blocker.bind(("127.0.0.1", self.server.port))
        blocker.listen(1)
        try:
            r = self.server.run(timeout=15)
        finally:
            blocker.close()
        self.assertEqual(r.returncode, 1)
        self.assertIn("bind() to 127.0.0.1:%d failed (98: Address already in use)"
                      % self.server.port, r.stderr)

    def test_unwritable_pid_file_fails(self):
        text = self.server.conf_text(harness.DEFAULT_SERVER).replace(
            "pid logs/nginx.pid;", "pid nodir/tycho.pid;")
        self.server.write_conf(text=text)
        r = self.server.run(timeout=15)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, 'tycho: [emerg] open() "%s" failed '
                                   '(2: No such file or directory)\n'
                         % self.server.path("nodir", "tycho.pid"))
        # Nothing is left listening.
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", self.server.port), timeout=2)


if __name__ == "__main__":
    harness.main()
