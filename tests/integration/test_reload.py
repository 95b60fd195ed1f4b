"""HUP reloads: new answers after a reload, a broken config keeps the old one running (and
says why), new listeners open and removed ones close, and a reload under keep-alive load loses
no request."""

import http.client
import os
import signal
import socket
import threading
import time

import harness


def return_body(text):
    return '        location = /t {\n            return 200 "%s\\n";\n        }\n' % text


def answer(server, path="/t"):
    try:
        status, _, body = server.request(path, timeout=5)
    except OSError:
        return None
    return status, body


class ReloadTest(harness.ServerTestCase):
    def make_server(self):
        return harness.Server(server_body=return_body("one"))

    def reload_to(self, text):
        self.server.write_conf(return_body(text))
        self.server.signal(signal.SIGHUP)
        harness.wait_for(lambda: answer(self.server) == (200, (text + "\n").encode()),
                         timeout=10, what="answer %r after reload" % text)

    def test_reload_switches_answer(self):
        proc = self.server.start()
        self.assertEqual(answer(self.server), (200, b"one\n"))
        self.reload_to("two")
        self.reload_to("three")
        self.assertTrue(self.server.alive())
        self.assertEqual(self.server.read_pid(), proc.pid)
        self.assertIn("signal 1 (SIGHUP) received, reconfiguring", self.server.error_log())
        # 2 workers at start + 2 per reload (a new worker may answer before its sibling starts).
        harness.wait_for(lambda: self.server.error_log().count("start worker thread") == 6,
                         what="6 worker starts")
        self.server.signal(signal.SIGQUIT)
        self.assertEqual(self.server.wait_exit(10), 0)

    def test_broken_config_keeps_old_one(self):
        self.server.start()
        text = self.server.conf_text(return_body("two") + "        retur 200;\n")
        self.server.write_conf(text=text)
        line = text.splitlines().index("        retur 200;") + 1
        self.server.signal(signal.SIGHUP)
        msg = 'unknown directive "retur" in %s:%d' % (self.server.conf_path, line)
        harness.wait_for(lambda: msg in self.server.error_log(), what="the reload error")
        self.assertRegex(self.server.error_log(), r"\[emerg\] \d+#\d+: " + msg.replace(
            "(", r"\(").replace(")", r"\)").replace(".", r"\."))
        time.sleep(0.3)
        self.assertEqual(answer(self.server), (200, b"one\n"))
        self.assertTrue(self.server.alive())
        # And a good config afterwards still reloads.
        self.reload_to("two")

    def test_reload_with_unbindable_listen_keeps_old_one(self):
        self.server.start()
        blocker = socket.socket()
        blocker.bind(("127.0.0.1", 0))
        blocker.listen(1)
        port = blocker.getsockname()[1]
        try:
            body = return_body("two") + "        listen 127.0.0.1:%d;\n" % port
            self.server.write_conf(body)
            self.server.signal(signal.SIGHUP)
            msg = "bind() to 127.0.0.1:%d failed (98: Address already in use)" % port
            harness.wait_for(lambda: msg in self.server.error_log(), what="the bind error")
            self.assertEqual(answer(self.server), (200, b"one\n"))
        finally:
            blocker.close()

    def test_reload_opens_and_closes_listeners(self):
        self.server.start()
        extra = harness.free_port()
        self.server.write_conf(return_body("two") + "        listen 127.0.0.1:%d;\n" % extra)
        self.server.signal(signal.SIGHUP)
        harness.wait_for(lambda: answer(self.server) == (200, b"two\n"), what="reload")
        conn = http.client.HTTPConnection("127.0.0.1", extra, timeout=5)
        conn.request("GET", "/t")
        self.assertEqual(conn.getresponse().read(), b"two\n")
        conn.close()
        # Remove it again: once the old workers are gone the port is closed.
        self.server.write_conf(return_body("three"))
        self.server.signal(signal.SIGHUP)
        harness.wait_for(lambda: answer(self.server) == (200, b"three\n"), what="reload")

        def closed():
            try:
                socket.create_connection(("127.0.0.1", extra), timeout=1).close()
            except ConnectionRefusedError:
                return True
            return False
        harness.wait_for(closed, what="the removed listener to close")

    def test_reload_under_keepalive_load_loses_nothing(self):
        self.server.start()
        stop = threading.Event()
        results = {"ok": 0, "errors": [], "bodies": set()}
        lock = threading.Lock()

        def client():
            conn = None
            fresh = True
            while not stop.is_set():
                if conn is None:
                    conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
                    fresh = True
                try:
                    conn.request("GET", "/t")
                    resp = conn.getresponse()
                    body = resp.read()
                    with lock:
                        if resp.status == 200:
                            results["ok"] += 1
                            results["bodies"].add(body)
                        else:
                            results["errors"].append("status %d" % resp.status)
                    if resp.will_close:
                        conn.close()
                        conn = None
                    else:
                        fresh = False
                except (http.client.RemoteDisconnected, ConnectionResetError,
                        BrokenPipeError) as e:
                    # A keep-alive connection closed by the server while idle (an old worker
                    # retiring) is not a lost request: HTTP clients retry on a new connection.
                    # On a fresh connection it is a failure.
                    conn.close()
                    conn = None
                    if fresh:
                        with lock:
                            results["errors"].append("fresh connection: %r" % e)
                except Exception as e:  # noqa: BLE001 - any other failure is a lost request
                    with lock:
                        results["errors"].append(repr(e))
                    conn.close()
                    conn = None
            if conn is not None:
                conn.close()

        threads = [threading.Thread(target=client) for _ in range(4)]
        for t in threads:
            t.start()
        try:
            time.sleep(0.5)
            for text in ("two", "three", "four"):
                self.reload_to(text)
                time.sleep(0.5)
        finally:
            stop.set()
            for t in threads:
                t.join(20)
        self.assertEqual(results["errors"], [])
        self.assertGreater(results["ok"], 100)
        self.assertLessEqual(results["bodies"], {b"one\n", b"two\n", b"three\n", b"four\n"})
        self.assertIn(b"four\n", results["bodies"])
        self.server.signal(signal.SIGQUIT)
        self.assertEqual(self.server.wait_exit(10), 0)


if __name__ == "__main__":
    harness.main()
