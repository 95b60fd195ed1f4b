"""init_worker_by_lua* code that blocks (a Tycho extension, docs/directives/lua.md): the worker
takes connections only once that code has ended (the kernel queues them meanwhile, nothing is
refused), a reload whose new workers block in init_worker loses no request, and QUIT / TERM
during a blocked init_worker stop the worker (QUIT within worker_shutdown_timeout).

Time bounds are loose on purpose (the machine is shared)."""

import signal
import time
import unittest

import harness

SERVER = """
        location = /t {
            content_by_lua_block {
                ngx.say("init done ", init_done ~= nil, " gen ", GEN)
            }
        }
"""


def http_extra(sleep_s, gen):
    return """
    init_worker_by_lua_block {
        GEN = "%s"
        ngx.sleep(%s)
        init_done = ngx.now()
    }
""" % (gen, sleep_s)


class InitWorkerYieldTest(harness.ServerTestCase):
    def make_server(self):
        return harness.Server(server_body=SERVER, workers=1, http_extra=http_extra(1.0, "g0"))

    def test_requests_wait_until_init_worker_ended(self):
        s = self.server
        t0 = time.monotonic()
        s.start(wait=False)
        # The listening socket is the master's: the connection is queued by the kernel and
        # answered once the worker's init_worker code has slept its second.
        harness.wait_for(lambda: s.alive() and s.error_log().count("start worker") > 0,
                         what="the worker to start")
        status, _, body = s.request("/t", timeout=10)
        elapsed = time.monotonic() - t0
        self.assertEqual(status, 200)
        self.assertEqual(body, b"init done true gen g0\n")
        self.assertGreater(elapsed, 0.9)
        self.assertLess(elapsed, 8)

    def test_reload_with_blocking_init_worker_loses_no_request(self):
        s = self.server
        s.start()
        with harness.RequestLoad(s, "/t") as load:
            for gen in ("g1", "g2"):
                s.http_extra = http_extra(0.5, gen)
                s.write_conf(SERVER)
                s.signal(signal.SIGHUP)
                harness.wait_for(lambda: gen.encode() in s.request("/t", timeout=10)[2],
                                 timeout=15, what="reload to " + gen)
        not_ok = [r for r in load.responses
                  if r[0] != 200 or not r[1].startswith(b"init done true")]
        self.assertEqual(load.errors + not_ok, [])
        self.assertGreater(len(load.responses), 5)
        self.assertIn(b"g2", {body.split()[-1] for _, body in load.responses})

    def start_blocked(self, main_extra=""):
        """A server whose worker sleeps a minute in init_worker, started and settled there."""
        s = harness.Server(server_body=SERVER, workers=1, main_extra=main_extra,
                           http_extra=http_extra(60, "g0"))
        self.addCleanup(s.cleanup)
        s.start(wait=False)
        harness.wait_for(lambda: "start worker" in s.error_log(), what="the worker to start")
        time.sleep(0.3)
        return s

    def test_quit_during_blocked_init_worker_stops_within_shutdown_timeout(self):
        s = self.start_blocked("worker_shutdown_timeout 1s;\n")
        t0 = time.monotonic()
        s.signal(signal.SIGQUIT)
        s.wait_exit(timeout=10)
        self.assertLess(time.monotonic() - t0, 6)
        log = s.error_log()
        self.assertIn("gracefully shutting down", log)
        self.assertNotIn("[alert]", log)
        self.assertNotIn("[crit]", log)

    def test_term_during_blocked_init_worker_stops_at_once(self):
        s = self.start_blocked()
        t0 = time.monotonic()
        s.signal(signal.SIGTERM)
        s.wait_exit(timeout=10)
        self.assertLess(time.monotonic() - t0, 4)
        self.assertNotIn("[alert]", s.error_log())

if __name__ == "__main__":
    harness.main()
