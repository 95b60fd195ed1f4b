"""ngx.run_worker_thread and cross-worker semaphores across stops and reloads: a fast stop (TERM)
while tasks run in the pool exits 0 without alerts; a HUP reload lets in-flight calls finish
with their results; a worker retired by a reload whose worker_shutdown_timeout cuts its
requests short leaves its tasks running, and when they end on the pool's threads their VMs are
closed there while the new workers serve on; a shared semaphore keeps its count across a
reload, as a dict zone keeps its data."""

import signal
import threading
import time

import harness

BODY = """
        location = /slow {
            content_by_lua_block {
                local ok, r = ngx.run_worker_thread("tp", "slowmod", "run",
                                                     tonumber(ngx.var.arg_s) or 0.5)
                ngx.say(ok, " ", r, " %s")
            }
        }
        location = /sema {
            content_by_lua_block {
                local s = require("ngx.semaphore").shared("it", 5)
                if ngx.var.arg_take then
                    ngx.say(s:wait(0))
                end
                ngx.say(s:count(), " %s")
            }
        }
"""

MODULE = """
local _M = {}
function _M.run(seconds)
    os.execute("sleep " .. seconds)
    return "slept"
end
return _M
"""

HTTP = '    lua_package_path "$prefix/html/?.lua;;";\n'
MAIN = "thread_pool tp threads=4;\n"


class WorkerThreadTest(harness.ServerTestCase):
    def make_server(self):
        server = harness.Server(server_body=BODY % ("one", "one"), main_extra=MAIN,
                                http_extra=HTTP)
        server.write_file("html/slowmod.lua", MODULE)
        return server

    def call_slow_in_background(self, n, path="/slow"):
        results = []

        def call():
            try:
                results.append(self.server.request(path, timeout=10))
            except OSError as e:
                results.append(repr(e))

        threads = [threading.Thread(target=call) for _ in range(n)]
        for t in threads:
            t.start()
        return threads, results

    def test_fast_stop_with_tasks_in_flight(self):
        self.server.start()
        threads, _ = self.call_slow_in_background(6)
        time.sleep(0.2)  # the calls are in the pool now (each sleeps there 0.5 s)
        self.server.signal(signal.SIGTERM)
        self.assertEqual(self.server.wait_exit(10), 0)
        for t in threads:
            t.join(10)
        log = self.server.error_log()
        self.assertNotIn("[alert]", log)
        self.assertNotIn("[crit]", log)
        self.assertNotIn("[emerg]", log)

    def reload_during_calls(self, path):
        """Three calls of `path` in flight, then a reload to configuration "two"; their results."""
        threads, results = self.call_slow_in_background(3, path)
        time.sleep(0.2)
        self.server.write_conf(BODY % ("two", "two"))
        self.server.signal(signal.SIGHUP)
        for t in threads:
            t.join(10)
        self.assertEqual(len(results), 3)
        return results

    def test_reload_lets_calls_finish_and_keeps_shared_semaphores(self):
        self.server.start()
        self.assertEqual(self.server.request("/sema?take=1")[2], b"true\n4 one\n")
        results = self.reload_during_calls("/slow")
        for r in results:
            self.assertIsInstance(r, tuple, r)
            self.assertEqual(r[0], 200)
            self.assertTrue(r[2].startswith(b"true slept "), r[2])

        def reloaded():
            return self.server.request("/sema")[2] == b"4 two\n"

        harness.wait_for(reloaded, timeout=10, what="the reloaded config")
        self.assertEqual(self.server.request("/slow")[2], b"true slept two\n")
        self.server.signal(signal.SIGQUIT)
        self.assertEqual(self.server.wait_exit(10), 0)
        self.assertNotIn("[alert]", self.server.error_log())

    def test_retired_worker_tasks_end_after_it(self):
        self.server.main_extra = MAIN + "worker_shutdown_timeout 100ms;\n"
        self.server.write_conf(BODY % ("one", "one"))
        self.server.start()
        results = self.reload_during_calls("/slow?s=1")
        # Cut short by worker_shutdown_timeout: no answer, the connection closed.
        for r in results:
            self.assertNotIsInstance(r, tuple, r)
        time.sleep(1.2)  # the tasks end on the pool's threads; their worker is gone
        self.assertTrue(self.server.alive())
        self.assertEqual(self.server.request("/slow?s=0")[2], b"true slept two\n")
        self.server.signal(signal.SIGQUIT)
        self.assertEqual(self.server.wait_exit(10), 0)
        self.assertNotIn("[alert]", self.server.error_log())


if __name__ == "__main__":
    harness.main()
