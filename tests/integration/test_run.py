"""`tycho run` (docs/api/run.md), the resty-like runner: output streams, `arg` and `...`, -e,
exit statuses (os.exit, ngx.exit, a returned integer, errors), timers fired prematurely at exit,
light threads, semaphores, --shdict and its errors, a missing script."""

import os
import re
import shutil
import subprocess
import tempfile
import time
import unittest

import harness

# nginx's error-log line: "YYYY/MM/DD HH:MM:SS [level] PID#TID: message"
LOG_LINE = r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[%s\] \d+#\d+: %s"


class RunTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp(prefix="tycho-run-")

    def tearDown(self):
        shutil.rmtree(self.dir, ignore_errors=True)

    def script(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def run_tycho(self, *args, stdin=None, timeout=20):
        return subprocess.run([harness.BINARY, "run"] + list(args), cwd=self.dir,
                              capture_output=True, text=True, input=stdin, timeout=timeout)

    # ---- output and arguments
    def test_hello_world(self):
        self.script("hello.lua", 'print("hello, ", "world")\nngx.say("say ", 1, " ", true)\n'
                                 'ngx.print("print", nil, "\\n")\nio.write("io\\n")\n'
                                 'ngx.log(ngx.ERR, "to stderr")\n')
        r = self.run_tycho("hello.lua")
        self.assertEqual(r.returncode, 0, r.stderr)
        # resty's print is ngx.say: no tab between the values.
        self.assertEqual(r.stdout, "hello, world\nsay 1 true\nprintnil\nio\n")
        self.assertRegex(r.stderr, LOG_LINE % (
            "error", re.escape("[lua] hello.lua:5: to stderr, context: ngx.timer")))

    def test_args(self):
        self.script("args.lua", 'print(select("#", ...), " ", ...)\n'
                                'print(arg[0], "|", arg[1], "|", arg[2], "|", arg[3])\n'
                                'print(arg[-1], "|", arg[-2])\n')
        r = self.run_tycho("args.lua", "a b", "-x")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout.splitlines(), ["2 a b-x", "args.lua|a b|-x|nil", "run|" +
                                                 harness.BINARY])

    def test_inline_code(self):
        r = self.run_tycho("-e", 'print("one")', "-e", 'print(ngx.get_phase())')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "one\ntimer\n")
        # -e runs before the script, with the same `...`.
        self.script("s.lua", 'print("script ", ...)\n')
        r = self.run_tycho("-e", 'print("inline ", ...)', "s.lua", "z")
        self.assertEqual(r.stdout, "inline z\nscript z\n")

    def test_stdin_script(self):
        r = self.run_tycho("-", "q", stdin='print("stdin ", arg[0], " ", ...)\n')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "stdin - q\n")

    def test_help(self):
        r = self.run_tycho("-h")
        self.assertEqual(r.returncode, 0)
        self.assertTrue(r.stdout.startswith("Usage: tycho run [options] [script.lua [args...]]"))
        self.assertIn("--shdict 'NAME SIZE'", r.stdout)

    def test_option_errors(self):
        r = self.run_tycho()
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, 'tycho run: neither a Lua input file nor -e "" option '
                                   'specified (see tycho run -h)\n')
        r = self.run_tycho("--bogus", "x.lua")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, 'tycho run: unknown option "--bogus" (see tycho run -h)\n')
        r = self.run_tycho("-e")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, 'tycho run: option "-e" requires Lua code\n')

    def test_plain_flags_unchanged(self):
        r = subprocess.run([harness.BINARY, "runx"], capture_output=True, text=True, timeout=10)
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, 'tycho: invalid option: "runx"\n')

    # ---- exit statuses
    def test_exit_status(self):
        r = self.run_tycho("-e", "print(1)")
        self.assertEqual(r.returncode, 0)
        r = self.run_tycho("-e", "return 3")
        self.assertEqual(r.returncode, 3)
        r = self.run_tycho("-e", 'return "not a number"')
        self.assertEqual(r.returncode, 0)
        # The script's return value wins over the -e code's.
        self.script("ret.lua", "return 5\n")
        r = self.run_tycho("-e", "return 4", "ret.lua")
        self.assertEqual(r.returncode, 5)

    def test_os_exit_flushes_stdout(self):
        r = self.run_tycho("-e", 'ngx.say("said") io.write("written") os.exit(7) print("never")')
        self.assertEqual(r.returncode, 7)
        self.assertEqual(r.stdout, "said\nwritten")

    def test_ngx_exit_ends_the_process(self):
        r = self.run_tycho("-e", 'ngx.say("before") ngx.exit(9) ngx.say("after")')
        self.assertEqual(r.returncode, 9)
        self.assertEqual(r.stdout, "before\n")

    def test_runtime_error(self):
        self.script("err.lua", 'print("out")\nlocal function f()\n    local x\n'
                               '    return x.y\nend\nf()\n')
        r = self.run_tycho("err.lua")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, "out\n")
        self.assertEqual(r.stderr,
                         "ERROR: err.lua:4: attempt to index local 'x' (a nil value)\n"
                         "stack traceback:\n"
                         "\terr.lua:4: in function 'f'\n"
                         "\terr.lua:6: in main chunk\n")

    def test_error_after_yield(self):
        r = self.run_tycho("-e", 'ngx.sleep(0.01) error("boom")')
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "ERROR: (command line -e):1: boom\nstack traceback:\n"
                                   "\t[C]: in function 'error'\n"
                                   "\t(command line -e):1: in main chunk\n")

    def test_syntax_error(self):
        self.script("bad.lua", "local x = = 1\n")
        r = self.run_tycho("bad.lua")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, "ERROR: bad.lua:1: unexpected symbol near '='\n")

    def test_missing_file(self):
        r = self.run_tycho("missing.lua", "arg")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, "")
        self.assertEqual(r.stderr, 'tycho run: Lua input file "missing.lua" not found\n')

    # ---- the runtime: sleep, timers, threads, semaphores, shared dicts
    def test_sleep_and_premature_timers(self):
        self.script("timers.lua", """
local function cb(premature, tag)
    print(tag, " premature=", premature, " exiting=", ngx.worker.exiting())
    if premature then
        ngx.sleep(0.05)  -- a running timer is waited for
        print(tag, " done")
    end
end
ngx.timer.at(0.01, cb, "soon")
ngx.timer.at(100, cb, "late")
ngx.timer.every(100, cb, "every")
ngx.sleep(0.1)
print("main ends, pending=", ngx.timer.pending_count())
""")
        start = time.monotonic()
        r = self.run_tycho("timers.lua")
        elapsed = time.monotonic() - start
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = r.stdout.splitlines()
        self.assertEqual(lines[:2], ["soon premature=false exiting=false",
                                     "main ends, pending=2"])
        self.assertEqual(sorted(lines[2:]), ["every done", "every premature=true exiting=true",
                                             "late done", "late premature=true exiting=true"])
        self.assertLess(elapsed, 10)

    def test_light_threads(self):
        self.script("threads.lua", """
local t = ngx.thread.spawn(function(n)
    ngx.sleep(0.02)
    return n * 2
end, 21)
print("wait: ", select(2, ngx.thread.wait(t)))
ngx.thread.spawn(function()
    ngx.sleep(0.05)
    print("orphan ends after main")
end)
ngx.thread.spawn(function() error("thread failed") end)
print("main ends")
""")
        r = self.run_tycho("threads.lua")
        # A light thread's error is logged; the status is the main thread's.
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "wait: 42\nmain ends\norphan ends after main\n")
        self.assertIn("lua user thread aborted: runtime error: threads.lua:11: thread failed",
                      r.stderr)

    def test_semaphore(self):
        self.script("sema.lua", """
local semaphore = require "ngx.semaphore"
local sema = semaphore.new()
ngx.thread.spawn(function()
    print("sub thread: waiting")
    local ok, err = sema:wait(1)
    print("sub thread: ", ok, " ", err)
end)
ngx.sleep(0.1)
print("main thread: post")
sema:post(1)
print("main thread: done")
""")
        r = self.run_tycho("sema.lua")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "sub thread: waiting\nmain thread: post\nmain thread: done\n"
                                   "sub thread: true nil\n")

    def test_shdict(self):
        r = self.run_tycho("--shdict", "dogs 1m", "--shdict=cats 64k", "-e", """
local dogs = ngx.shared.dogs
dogs:set("a", 1)
print(dogs:get("a"), " ", dogs:incr("a", 41), " ", ngx.shared.cats:capacity())
""")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "1 42 65536\n")

    def test_bad_shdict(self):
        for spec, err in [
            ("dogs 1x", 'invalid --shdict "dogs 1x": invalid lua shared dict size "1x"'),
            ("dogs 1k", 'invalid --shdict "dogs 1k": invalid lua shared dict size "1k"'),
            ("dogs", 'invalid --shdict "dogs": expected "NAME SIZE", e.g. "cache 10m"'),
        ]:
            r = self.run_tycho("--shdict", spec, "-e", "print(1)")
            self.assertEqual(r.returncode, 1, spec)
            self.assertEqual(r.stdout, "")
            self.assertEqual(r.stderr, "tycho run: " + err + "\n")
        r = self.run_tycho("--shdict", "d 1m", "--shdict", "d 2m", "-e", "print(1)")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, 'tycho run: invalid --shdict "d 2m": lua_shared_dict "d" '
                                   'is already defined\n')

    def test_include_dir_and_errlog_level(self):
        os.makedirs(os.path.join(self.dir, "lib"))
        self.script("lib/mymod.lua", 'return { v = "from lib" }\n')
        r = self.run_tycho("-I", "lib", "--errlog-level", "info", "-e",
                           'print(require("mymod").v) ngx.log(ngx.INFO, "info line")')
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "from lib\n")
        self.assertRegex(r.stderr, LOG_LINE % ("info", re.escape("[lua] (command line -e):1: "
                                                                 "info line")))
        # Default level warn: info is not written.
        r = self.run_tycho("-e", 'ngx.log(ngx.INFO, "hidden")')
        self.assertEqual(r.stderr, "")


if __name__ == "__main__":
    harness.main()
