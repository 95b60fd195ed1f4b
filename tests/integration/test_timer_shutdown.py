"""Timers at worker shutdown (issue 4, docs/api/timer.md "Shutdown: premature runs"): a HUP
reload and a QUIT run the pending timers of the retiring workers at once with premature = true
(an every-timer once more), ngx.worker.exiting() is true there, new timers with a delay get
nil, "process exiting" while a zero delay is still accepted; a running timer may finish, up to
worker_shutdown_timeout, after which it is killed and only its ngx.defer'd functions run; a fast
stop (TERM) does not wait for a sleeping timer.

Every timer writes a tagged line with ngx.log; the tests look for those lines in the error log
and check their order. Time bounds are loose on purpose (the machine is shared)."""

import re
import signal
import time
import unittest

import harness

MAIN = "master_process on;\n"

# Lines are "KEY k=v k=v ..." after the "[notice] PID#TID: " prefix; fields() parses them.
LOG_FN = r"""
    local function L(...)
        local t = {...}
        for i = 1, select("#", ...) do t[i] = tostring(t[i]) end
        ngx.log(ngx.NOTICE, table.concat(t, " "))
    end
"""


def fields(log, key):
    """All lines 'KEY a=b c=d' of the log, as dicts (in log order), with their line index."""
    out = []
    pattern = re.compile(r"\[\w+\] \d+#(\d+): .*?\(\): " + key
                         + r"(?= |, |$) ?(.*?)(?:, (?:context|client):|$)")
    for i, line in enumerate(log.splitlines()):
        m = pattern.search(line)
        if m:
            d = dict(kv.split("=", 1) for kv in m.group(2).split() if "=" in kv)
            d["_tid"] = m.group(1)
            d["_line"] = i
            out.append(d)
    return out


def line_index(log, text):
    for i, line in enumerate(log.splitlines()):
        if text in line:
            return i
    return -1


# ---- 1. HUP reload ----------------------------------------------------------------------------

RELOAD_HTTP = r"""
    init_worker_by_lua_block {
        LOG_FN
        local gen = "GEN"
        local id, pid = ngx.worker.id(), ngx.worker.pid()
        local ok, err = ngx.timer.at(60, function(premature, a, b, c)
            L("ATRUN", "gen=" .. gen, "premature=" .. tostring(premature),
              "exiting=" .. tostring(ngx.worker.exiting()),
              "args=" .. tostring(a) .. "," .. tostring(b) .. "," .. type(c) .. ":"
                        .. tostring(c and c.k),
              "id=" .. ngx.worker.id(), "pid=" .. ngx.worker.pid(),
              "same=" .. tostring(ngx.worker.pid() == pid))
            ngx.sleep(LINGER)  -- a premature run may go on; the old worker waits for it
            L("ATSLEPT", "gen=" .. gen, "pid=" .. ngx.worker.pid())
        end, "alpha", 42, {k = "v"})
        L("ATMADE", "gen=" .. gen, "ok=" .. tostring(ok ~= nil), "err=" .. tostring(err),
          "id=" .. id, "pid=" .. pid)
        local n = 0
        local ok2, err2 = ngx.timer.every(0.2, function(premature, tag)
            n = n + 1
            L("EVERY", "gen=" .. gen, "premature=" .. tostring(premature), "n=" .. n,
              "tag=" .. tostring(tag), "exiting=" .. tostring(ngx.worker.exiting()),
              "pid=" .. ngx.worker.pid())
        end, "tick")
        L("EVERYMADE", "gen=" .. gen, "ok=" .. tostring(ok2 ~= nil), "err=" .. tostring(err2),
          "pid=" .. pid)
    }
""".replace("LOG_FN", LOG_FN)

RELOAD_SERVER = """
        location = /gen {
            content_by_lua_block { ngx.say("GEN ", ngx.worker.pid()) }
        }
"""


def reload_http(gen, linger=1.0):
    return RELOAD_HTTP.replace("GEN", gen).replace("LINGER", str(linger))


def reload_server(gen, workers, linger=1.0):
    return harness.Server(server_body=RELOAD_SERVER.replace("GEN", gen), main_extra=MAIN,
                          http_extra=reload_http(gen, linger), workers=workers)


def gen_of(server):
    try:
        status, _, body = server.request("/gen", timeout=5)
    except OSError:
        return None
    if status != 200:
        return None
    return body.decode().split()[0]


def gen_of_retry(server):
    """gen_of, retried on a failed connection: see ReloadUnderLoadTest for why."""
    for _ in range(3):
        gen = gen_of(server)
        if gen is not None:
            return gen
        time.sleep(0.05)
    return None


class ReloadTimerTest(harness.ServerTestCase):
    WORKERS = 2

    def make_server(self):
        return reload_server("g1", self.WORKERS)

    def test_reload_runs_old_timers_prematurely(self):
        s = self.server
        s.start()
        n = self.WORKERS
        harness.wait_for(lambda: len(fields(s.error_log(), "ATMADE")) == n
                         and len(fields(s.error_log(), "EVERYMADE")) == n, what="timers created")
        # let each every-timer tick a few times normally
        harness.wait_for(lambda: len({e["pid"] for e in fields(s.error_log(), "EVERY")
                                      if e["premature"] == "false"}) == n,
                         what="normal every-timer runs in each worker")
        self.assertEqual(gen_of(s), "g1")
        made1 = fields(s.error_log(), "ATMADE")
        self.assertTrue(all(m["ok"] == "true" and m["err"] == "nil" for m in made1), made1)
        old_pids = {m["pid"] for m in made1}
        self.assertEqual(len(old_pids), n)
        self.assertEqual(fields(s.error_log(), "ATRUN"), [], "a 60 s timer ran early")

        s.http_extra = reload_http("g2")
        s.write_conf(RELOAD_SERVER.replace("GEN", "g2"))
        s.signal(signal.SIGHUP)
        harness.wait_for(lambda: len([a for a in fields(s.error_log(), "ATRUN")
                                      if a["gen"] == "g1"]) == n,
                         what="premature runs of the old workers' timers")
        harness.wait_for(lambda: gen_of(s) == "g2", what="the reload")
        # The old workers linger (their premature runs sleep 1 s) and the new ones serve.
        self.assertEqual([a for a in fields(s.error_log(), "ATSLEPT") if a["gen"] == "g1"], [],
                         "the old workers' premature runs ended too early to test this")
        for _ in range(5):
            self.assertEqual(gen_of_retry(s), "g2")
        harness.wait_for(lambda: len([a for a in fields(s.error_log(), "ATSLEPT")
                                      if a["gen"] == "g1"]) == n,
                         what="the old workers' premature runs to end")
        harness.wait_for(lambda: len([m for m in fields(s.error_log(), "ATMADE")
                                      if m["gen"] == "g2"]) == n,
                         what="the new workers' timers")
        time.sleep(0.4)  # any further (wrong) every-timer run of the old workers shows up
        self.assertEqual(gen_of(s), "g2")

        log = s.error_log()
        runs = [a for a in fields(log, "ATRUN") if a["gen"] == "g1"]
        for a in runs:
            self.assertEqual(a["premature"], "true", a)
            self.assertEqual(a["exiting"], "true", a)
            self.assertEqual(a["args"], "alpha,42,table:v", a)
            self.assertEqual(a["same"], "true", a)
            self.assertEqual(a["pid"], a["_tid"], a)  # logged by the worker thread itself
        # each premature run finished its sleep before its worker exited
        for a in runs:
            slept = [x for x in fields(log, "ATSLEPT") if x["pid"] == a["pid"]]
            self.assertEqual(len(slept), 1, log)
            self.assertLess(a["_line"], slept[0]["_line"])
        # once per old worker, in that worker
        self.assertEqual(sorted(a["pid"] for a in runs), sorted(old_pids))
        self.assertEqual(sorted(a["id"] for a in runs),
                         sorted(m["id"] for m in made1))

        # every-timer: exactly one premature run per old worker, and it is that worker's last
        for pid in old_pids:
            ev = [e for e in fields(log, "EVERY") if e["pid"] == pid]
            prem = [e for e in ev if e["premature"] == "true"]
            self.assertEqual(len(prem), 1, ev)
            self.assertIs(ev[-1], prem[0], "an every-timer ran after its premature run")
            self.assertEqual(prem[0]["tag"], "tick")
            self.assertEqual(prem[0]["exiting"], "true")
            self.assertTrue(all(e["exiting"] == "false" for e in ev[:-1]), ev)

        # The new workers made their own timers, which have not run (60 s); theirs tick normally.
        made2 = [m for m in fields(log, "ATMADE") if m["gen"] == "g2"]
        self.assertTrue(all(m["ok"] == "true" for m in made2), made2)
        self.assertEqual(len({m["pid"] for m in made2} & old_pids), 0)
        self.assertEqual([a for a in fields(log, "ATRUN") if a["gen"] == "g2"], [])
        self.assertFalse([e for e in fields(log, "EVERY")
                          if e["gen"] == "g2" and e["premature"] != "false"])

        # And a QUIT then runs the new workers' timers prematurely too.
        s.signal(signal.SIGQUIT)
        self.assertEqual(s.wait_exit(10), 0)
        runs2 = [a for a in fields(s.error_log(), "ATRUN") if a["gen"] == "g2"]
        self.assertEqual(len(runs2), n)
        self.assertTrue(all(a["premature"] == "true" for a in runs2), runs2)


class ReloadTimerOneWorkerTest(ReloadTimerTest):
    WORKERS = 1


class ReloadUnderLoadTest(harness.ServerTestCase):
    """Fresh connections keep being answered while reloads retire workers whose premature
    timers still run (an old worker serves a connection it accepted just before it stopped
    listening instead of closing it)."""

    def make_server(self):
        return reload_server("g0", 1, linger=0.3)

    def test_reload_loses_no_fresh_connection(self):
        s = self.server
        s.start()
        with harness.RequestLoad(s, "/gen", timeout=5) as load:
            for i in range(1, 16):
                gen = "g%d" % i
                s.http_extra = reload_http(gen, 0.3)
                s.write_conf(RELOAD_SERVER.replace("GEN", gen))
                s.signal(signal.SIGHUP)
                harness.wait_for(lambda: gen_of_retry(s) == gen, what="reload to " + gen)
                time.sleep(0.3)
        not_ok = [status for status, _ in load.responses if status != 200]
        self.assertEqual(load.errors + not_ok, [])
        self.assertGreater(len(load.responses), 100)
        self.assertEqual(len(fields(s.error_log(), "ATSLEPT")), 15)


# ---- 2. QUIT: premature runs, new timers while exiting -----------------------------------------

QUIT_SERVER = r"""
        location = /arm {
            content_by_lua_block {
                LOG_FN
                local function zero(premature, what)
                    L("ZERO", "premature=" .. tostring(premature), "what=" .. tostring(what),
                      "exiting=" .. tostring(ngx.worker.exiting()))
                end
                local function never(premature)
                    L("NEVER", "premature=" .. tostring(premature))
                end
                local ok, err = ngx.timer.at(60, function(premature, a, b)
                    L("QRUN", "premature=" .. tostring(premature),
                      "exiting=" .. tostring(ngx.worker.exiting()),
                      "args=" .. tostring(a) .. "," .. tostring(b),
                      "id=" .. ngx.worker.id(), "pid=" .. ngx.worker.pid(),
                      "phase=" .. ngx.get_phase())
                    local h, e = ngx.timer.at(5, never)
                    L("AT5", "h=" .. tostring(h), "err=" .. tostring(e):gsub(" ", "_"))
                    local h2, e2 = ngx.timer.every(5, never)
                    L("EVERY5", "h=" .. tostring(h2), "err=" .. tostring(e2):gsub(" ", "_"))
                    local h3, e3 = ngx.timer.at(0, zero, "zero-arg")
                    L("AT0", "ok=" .. tostring(h3 ~= nil), "err=" .. tostring(e3))
                    L("QEND")
                end, ngx.var.arg_a, tonumber(ngx.var.arg_b))
                for _, d in ipairs({30, 10, 20}) do
                    ngx.timer.at(d, function(premature, delay)
                        L("ORDER", "delay=" .. delay, "premature=" .. tostring(premature))
                    end, d)
                end
                ngx.timer.at(15, function(premature)
                    error("premature boom")
                end)
                local h = ngx.timer.at(12, function(premature)
                    L("CANCELLED", "premature=" .. tostring(premature))
                end)
                L("CANCEL", "ok=" .. tostring(h:cancel()))
                ngx.say(ok and "armed" or ("failed " .. tostring(err)))
            }
        }
""".replace("LOG_FN", LOG_FN)


class QuitTimerTest(harness.ServerTestCase):
    def make_server(self):
        return harness.Server(server_body=QUIT_SERVER, main_extra=MAIN, workers=1)

    def test_quit_runs_pending_timers_prematurely(self):
        s = self.server
        s.start()
        status, _, body = s.request("/arm?a=beta&b=7")
        self.assertEqual((status, body), (200, b"armed\n"))
        time.sleep(0.3)
        self.assertEqual(fields(s.error_log(), "QRUN"), [])
        s.signal(signal.SIGQUIT)
        self.assertEqual(s.wait_exit(10), 0)
        log = s.error_log()
        runs = fields(log, "QRUN")
        self.assertEqual(len(runs), 1, log)
        r = runs[0]
        self.assertEqual((r["premature"], r["exiting"], r["args"], r["id"], r["phase"]),
                         ("true", "true", "beta,7", "0", "timer"))
        self.assertEqual(r["pid"], r["_tid"])
        at5 = fields(log, "AT5")
        self.assertEqual(len(at5), 1, log)
        self.assertEqual((at5[0]["h"], at5[0]["err"]), ("nil", "process_exiting"))
        ev5 = fields(log, "EVERY5")
        self.assertEqual((ev5[0]["h"], ev5[0]["err"]), ("nil", "process_exiting"))
        at0 = fields(log, "AT0")
        self.assertEqual((at0[0]["ok"], at0[0]["err"]), ("true", "nil"))
        zero = fields(log, "ZERO")
        self.assertEqual(len(zero), 1, log)
        self.assertEqual((zero[0]["premature"], zero[0]["what"], zero[0]["exiting"]),
                         ("false", "zero-arg", "true"))
        self.assertEqual(fields(log, "NEVER"), [])
        # order: the premature run, then (after it ended) the zero-delay timer, then the exit
        self.assertLess(r["_line"], fields(log, "QEND")[0]["_line"])
        self.assertLess(fields(log, "QEND")[0]["_line"], zero[0]["_line"])
        self.assertLess(line_index(log, "signal 3 (SIGQUIT) received"), r["_line"])
        self.assertRegex(log, r"\[notice\] \d+#\d+: exit\n$")
        self.assertLess(zero[0]["_line"], len(log.splitlines()) - 1)
        # the other pending timers all ran, prematurely, in deadline order; the failing one
        # was logged and harmed nothing; the cancelled one did not run
        order = fields(log, "ORDER")
        self.assertEqual([(o["delay"], o["premature"]) for o in order],
                         [("10", "true"), ("20", "true"), ("30", "true")])
        self.assertIn("premature boom", log)
        self.assertEqual(fields(log, "CANCEL")[0]["ok"], "true")
        self.assertEqual(fields(log, "CANCELLED"), [])


# ---- 3. a running timer may finish; 4. worker_shutdown_timeout; 5. TERM -------------------------

SLEEP_SERVER = r"""
        location = /sleepy {
            content_by_lua_block {
                LOG_FN
                local secs = tonumber(ngx.var.arg_s)
                local ok, err = ngx.timer.at(0, function(premature)
                    ngx.defer(function()
                        local ok, e = pcall(ngx.sleep, 0.01)
                        L("DEFERRED", "exiting=" .. tostring(ngx.worker.exiting()),
                          "sleep_ok=" .. tostring(ok))
                    end)
                    L("SLEEPSTART", "premature=" .. tostring(premature))
                    ngx.sleep(secs)
                    L("SLEEPDONE", "exiting=" .. tostring(ngx.worker.exiting()))
                end)
                -- and a pending timer, to see what each kind of stop does with it
                ngx.timer.at(60, function(premature)
                    L("PENDING", "premature=" .. tostring(premature))
                end)
                ngx.say(ok and "armed" or ("failed " .. tostring(err)))
            }
        }
""".replace("LOG_FN", LOG_FN)


class SleepingTimerCase(harness.ServerTestCase):
    """One worker; arm(secs) starts a timer sleeping secs seconds (and a pending 60 s one)."""
    MAIN_EXTRA = MAIN

    def make_server(self):
        return harness.Server(server_body=SLEEP_SERVER, main_extra=self.MAIN_EXTRA, workers=1)

    def arm(self, secs):
        s = self.server
        s.start()
        status, _, body = s.request("/sleepy?s=%s" % secs)
        self.assertEqual((status, body), (200, b"armed\n"))
        harness.wait_for(lambda: fields(s.error_log(), "SLEEPSTART"), what="the timer to start")


class RunningTimerTest(SleepingTimerCase):

    def test_quit_lets_running_timer_finish(self):
        s = self.server
        self.arm(1)
        started = time.monotonic()
        s.signal(signal.SIGQUIT)
        self.assertEqual(s.wait_exit(10), 0)
        elapsed = time.monotonic() - started
        log = s.error_log()
        done = fields(log, "SLEEPDONE")
        self.assertEqual(len(done), 1, log)
        self.assertEqual(done[0]["exiting"], "true")
        self.assertGreater(elapsed, 0.6, "exited before the running timer finished")
        self.assertLess(elapsed, 8)
        deferred = fields(log, "DEFERRED")
        self.assertEqual(len(deferred), 1, log)
        self.assertEqual(deferred[0]["sleep_ok"], "true")  # a normal end: defers may yield
        pending = fields(log, "PENDING")
        self.assertEqual([p["premature"] for p in pending], ["true"], log)
        self.assertLess(line_index(log, "signal 3 (SIGQUIT) received"), pending[0]["_line"])
        self.assertLess(pending[0]["_line"], done[0]["_line"])
        self.assertLess(done[0]["_line"], deferred[0]["_line"])
        self.assertRegex(log, r"\[notice\] \d+#\d+: exit\n$")

    def test_term_does_not_wait_for_sleeping_timer(self):
        s = self.server
        self.arm(30)
        started = time.monotonic()
        s.signal(signal.SIGTERM)
        self.assertEqual(s.wait_exit(10), 0)
        self.assertLess(time.monotonic() - started, 5)
        log = s.error_log()
        self.assertIn("signal 15 (SIGTERM) received, exiting", log)
        self.assertEqual(fields(log, "SLEEPDONE"), [])
        # a fast stop runs no premature timers (docs/api/timer.md)
        self.assertEqual(fields(log, "PENDING"), [])


class ShutdownTimeoutTimerTest(SleepingTimerCase):
    MAIN_EXTRA = MAIN + "worker_shutdown_timeout 1s;\n"

    def test_shutdown_timeout_kills_sleeping_timer(self):
        s = self.server
        self.arm(30)
        started = time.monotonic()
        s.signal(signal.SIGQUIT)
        time.sleep(0.4)
        self.assertTrue(s.alive(), "QUIT must wait (up to the timeout) for the running timer")
        self.assertEqual(s.wait_exit(10), 0)
        elapsed = time.monotonic() - started
        self.assertGreater(elapsed, 0.8)
        self.assertLess(elapsed, 5)
        log = s.error_log()
        self.assertEqual(fields(log, "SLEEPDONE"), [], "code after the sleep ran")
        deferred = fields(log, "DEFERRED")
        self.assertEqual(len(deferred), 1, log)
        # killed: its deferred functions run under log-phase rules (docs/api/defer.md)
        self.assertEqual(deferred[0]["sleep_ok"], "false")
        self.assertEqual(deferred[0]["exiting"], "true")
        self.assertEqual([p["premature"] for p in fields(log, "PENDING")], ["true"], log)
        self.assertLess(fields(log, "PENDING")[0]["_line"], deferred[0]["_line"])
        self.assertRegex(log, r"\[notice\] \d+#\d+: exit\n$")


if __name__ == "__main__":
    harness.main()
