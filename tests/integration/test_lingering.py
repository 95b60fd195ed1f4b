"""How connections close, as nginx closes them. lingering_close, lingering_time and
lingering_timeout: a connection that closes after its response shuts its write side, then reads
and drops what the client still sends, for lingering_timeout per wait and lingering_time in all;
"off" closes at once, "on" lingers only when the client may still be sending, "always" every
time. reset_timedout_connection: a connection closed after a timeout or by `return 444` is reset.

The client sees the server's full close as a reset of the data it sends afterwards.
"""

import socket
import time
import unittest

import harness

SERVER = """
        keepalive_timeout 0;
        location = /always {
            lingering_close always;
            lingering_time 1200ms;
            lingering_timeout 400ms;
            return 200 "always\\n";
        }
        location = /off {
            lingering_close off;
            return 200 "off\\n";
        }
        location = /on {
            lingering_timeout 400ms;
            return 200 "on\\n";
        }
"""


def read_response(sock):
    """Reads until the server's EOF; returns the bytes."""
    data = b""
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return data
        data += chunk


def seconds_until_reset(sock, every, limit=5.0):
    """Sends a byte every `every` seconds until the send (or a read) fails with a reset; returns
    the seconds that took, or None when nothing failed within `limit`."""
    start = time.monotonic()
    while time.monotonic() - start < limit:
        try:
            sock.send(b"x")
            time.sleep(every)
            sock.setblocking(False)
            try:
                if sock.recv(1) == b"":
                    pass  # EOF again: still lingering
            except BlockingIOError:
                pass
            finally:
                sock.setblocking(True)
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - start
    return None


class LingeringTest(harness.ServerTestCase):
    def make_server(self):
        return harness.Server(server_body=SERVER, workers=1)

    def connect(self, path, extra=b""):
        sock = socket.create_connection(("127.0.0.1", self.server.port), timeout=5)
        sock.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: localhost\r\n\r\n" + extra)
        return sock

    def test_always_lingers_for_lingering_time_while_the_client_sends(self):
        self.server.start()
        sock = self.connect("/always")
        self.addCleanup(sock.close)
        self.assertIn(b"always", read_response(sock))
        # A byte every 100 ms keeps each wait under lingering_timeout: the server reads them
        # until lingering_time (1.2 s) has passed, then closes.
        t = seconds_until_reset(sock, 0.1)
        self.assertIsNotNone(t)
        self.assertGreater(t, 0.9)
        self.assertLess(t, 2.5)

    def test_always_stops_after_lingering_timeout_of_silence(self):
        self.server.start()
        sock = self.connect("/always")
        self.addCleanup(sock.close)
        self.assertIn(b"always", read_response(sock))
        time.sleep(0.7)  # more than lingering_timeout (400 ms): the server has closed
        t = seconds_until_reset(sock, 0.1)
        self.assertIsNotNone(t)
        self.assertLess(t, 0.5)

    def test_on_lingers_when_input_was_left_unread(self):
        self.server.start()
        # A second request the server does not read (keepalive_timeout 0 ends the first).
        sock = self.connect("/on", extra=b"GET /on HTTP/1.1\r\nHost: localhost\r\n\r\n")
        self.addCleanup(sock.close)
        self.assertIn(b"on\n", read_response(sock))
        t = seconds_until_reset(sock, 0.1, limit=1.0)
        self.assertIsNone(t, "the server should still be reading")

    def test_on_closes_at_once_when_nothing_was_left(self):
        self.server.start()
        sock = self.connect("/on")
        self.addCleanup(sock.close)
        self.assertIn(b"on\n", read_response(sock))
        t = seconds_until_reset(sock, 0.05)
        self.assertIsNotNone(t)
        self.assertLess(t, 0.3)

    def test_off_closes_at_once_even_with_input_left(self):
        self.server.start()
        sock = self.connect("/off", extra=b"GET /off HTTP/1.1\r\nHost: localhost\r\n\r\n")
        self.addCleanup(sock.close)
        try:
            read_response(sock)
        except ConnectionResetError:
            pass  # the unread input made the close a reset, before or after the response
        t = seconds_until_reset(sock, 0.05)
        self.assertIsNotNone(t)
        self.assertLess(t, 0.3)

    def test_directive_errors(self):
        s = harness.Server(server_body="lingering_close sometimes;\n")
        self.addCleanup(s.cleanup)
        out = s.run("-t")
        self.assertNotEqual(out.returncode, 0)
        self.assertIn('invalid value "sometimes"', out.stderr)
        s.write_conf("lingering_time 1s;\nlingering_time 2s;\n")
        out = s.run("-t")
        self.assertIn('"lingering_time" directive is duplicate', out.stderr)


RESET_SERVER = """
        client_header_timeout 300ms;
        location = /drop {
            return 444;
        }
"""


class ResetTimedoutTest(unittest.TestCase):
    def start(self, flag):
        server = harness.Server(server_body=RESET_SERVER,
                                http_extra="    reset_timedout_connection %s;\n" % flag,
                                workers=1)
        self.addCleanup(server.cleanup)
        server.start()
        return server

    def close_seen(self, server, request):
        """What the client gets after sending `request`: "eof" or "reset"."""
        sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        try:
            sock.sendall(request)
            data = sock.recv(65536)
            return "eof" if data == b"" else "data"
        except ConnectionResetError:
            return "reset"
        finally:
            sock.close()

    def test_444_and_header_timeout_reset_when_on(self):
        server = self.start("on")
        self.assertEqual(self.close_seen(server, b"GET /drop HTTP/1.1\r\nHost: x\r\n\r\n"),
                         "reset")
        # A header that never ends: client_header_timeout, then the reset.
        self.assertEqual(self.close_seen(server, b"GET /drop HTTP/1.1\r\nHost: x\r\n"), "reset")

    def test_plain_close_when_off(self):
        server = self.start("off")
        self.assertEqual(self.close_seen(server, b"GET /drop HTTP/1.1\r\nHost: x\r\n\r\n"),
                         "eof")
        self.assertEqual(self.close_seen(server, b"GET /drop HTTP/1.1\r\nHost: x\r\n"), "eof")


if __name__ == "__main__":
    harness.main()
