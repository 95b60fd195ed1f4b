"""The command line: -v -V -h -t -T -q -g -e -s and option errors, as nginx prints them."""

import os
import re
import subprocess
import unittest

import harness

SOURCE_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def project_version():
    with open(os.path.join(SOURCE_ROOT, "CMakeLists.txt")) as f:
        return re.search(r'set\(TYCHO_VERSION "([^"]+)"\)', f.read()).group(1)


class VersionTest(unittest.TestCase):
    def run_binary(self, *args):
        return subprocess.run([harness.BINARY] + list(args), capture_output=True, text=True,
                              timeout=10)

    def test_v(self):
        r = self.run_binary("-v")
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stdout, "")
        self.assertEqual(r.stderr, "nginx version: tycho/%s\n" % project_version())

    def test_big_v(self):
        r = self.run_binary("-V")
        self.assertEqual(r.returncode, 0)
        lines = r.stderr.splitlines()
        self.assertEqual(lines[0], "nginx version: tycho/%s" % project_version())
        self.assertRegex(lines[1], r"^built with OpenSSL \d+\.\d+\.\d+")
        self.assertTrue(lines[2].startswith("configure arguments: --prefix="), lines[2])
        self.assertTrue(lines[2].endswith(" --without-http_fastcgi_module "
                                          "--without-http_scgi_module "
                                          "--without-http_uwsgi_module"), lines[2])
        # Nothing is claimed that is not built in.
        self.assertNotIn("--with-http_ssl_module", lines[2])

    def test_help(self):
        r = self.run_binary("-h")
        self.assertEqual(r.returncode, 0)
        self.assertIn("Usage: tycho [-?hvVtTq] [-s signal] [-p prefix]", r.stderr)
        self.assertIn("  -g directives : set global directives out of configuration file",
                      r.stderr)

    def test_invalid_option(self):
        r = self.run_binary("-x")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, 'tycho: invalid option: "x"\n')
        r = self.run_binary("-s", "restart")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, 'tycho: invalid option: "-s restart"\n')
        r = self.run_binary("-p")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, 'tycho: option "-p" requires directory name\n')
        r = self.run_binary("serve")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, 'tycho: invalid option: "serve"\n')


class TestConfigTest(harness.ServerTestCase):
    def ok_lines(self):
        p = self.server.conf_path
        return ("tycho: the configuration file %s syntax is ok\n"
                "tycho: configuration file %s test is successful\n") % (p, p)

    def test_t_ok(self):
        r = self.server.run("-t")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, self.ok_lines())
        self.assertEqual(r.stdout, "")
        self.assertFalse(os.path.exists(self.server.pid_path))

    def test_t_typo(self):
        text = self.server.conf_text('        lisen 8080;\n')
        self.server.write_conf(text=text)
        line = text.splitlines().index("        lisen 8080;") + 1
        r = self.server.run("-t")
        self.assertEqual(r.returncode, 1)
        msg = 'unknown directive "lisen" in %s:%d' % (self.server.conf_path, line)
        self.assertEqual(r.stderr, "tycho: [emerg] %s\n"
                         "tycho: configuration file %s test failed\n"
                         % (msg, self.server.conf_path))
        # The startup error log (prefix/logs/error.log) gets the same message as an [emerg] line.
        self.assertRegex(self.server.error_log(),
                         r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[emerg\] \d+#\d+: " + re.escape(msg))

    def test_start_with_typo_fails(self):
        text = self.server.conf_text('        lisen 8080;\n')
        self.server.write_conf(text=text)
        r = self.server.run()
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r'^tycho: \[emerg\] unknown directive "lisen" in .*:\d+\n$')
        self.assertIn('[emerg]', self.server.error_log())

    def test_t_missing_events(self):
        self.server.write_conf(text="http {\n}\n")
        r = self.server.run("-t")
        self.assertEqual(r.returncode, 1)
        p = self.server.conf_path
        self.assertEqual(r.stderr, "tycho: the configuration file %s syntax is ok\n"
                                   "tycho: [emerg] no \"events\" section in configuration\n"
                                   "tycho: configuration file %s test failed\n" % (p, p))

    def test_t_events_after_http(self):
        self.server.write_conf(text="http {\n}\nevents {\n}\nworker_processes auto;\n")
        r = self.server.run("-t")
        self.assertEqual(r.returncode, 0, r.stderr)

    def test_main_directive_errors(self):
        cases = [
            ("worker_processes x;", '"worker_processes" directive invalid value'),
            ("daemon maybe;",
             'invalid value "maybe" in "daemon" directive, it must be "on" or "off"'),
            ("pid a.pid;\npid b.pid;", '"pid" directive is duplicate'),
            ("error_log logs/e.log loud;", 'invalid log level "loud"'),
            ("worker_rlimit_nofile many;", '"worker_rlimit_nofile" directive invalid number'),
            ("worker_shutdown_timeout soon;",
             '"worker_shutdown_timeout" directive invalid value'),
            ("worker_connections 10;", '"worker_connections" directive is not allowed here'),
        ]
        for directive, message in cases:
            with self.subTest(directive=directive):
                self.server.write_conf(text=directive + "\nevents {\n}\n")
                line = directive.count("\n") + 1
                r = self.server.run("-t", "-q")
                self.assertEqual(r.returncode, 1)
                self.assertEqual(r.stderr.splitlines()[0], "tycho: [emerg] %s in %s:%d" % (
                    message, self.server.conf_path, line))

    def test_events_directive_errors(self):
        self.server.write_conf(text="events {\n worker_connections lots;\n}\n")
        r = self.server.run("-t", "-q")
        self.assertEqual(r.stderr.splitlines()[0], 'tycho: [emerg] invalid number "lots" in %s:2'
                         % self.server.conf_path)
        self.server.write_conf(text="events {\n use kqueue;\n}\n")
        r = self.server.run("-t", "-q")
        self.assertEqual(r.stderr.splitlines()[0],
                         'tycho: [emerg] invalid event type "kqueue" in %s:2'
                         % self.server.conf_path)
        self.server.write_conf(text="events {\n use epoll; accept_mutex off; multi_accept on;"
                                    "\n}\nevents {\n}\n")
        r = self.server.run("-t", "-q")
        self.assertEqual(r.stderr.splitlines()[0],
                         'tycho: [emerg] "events" directive is duplicate in %s:4'
                         % self.server.conf_path)

    def test_q(self):
        r = self.server.run("-t", "-q")
        self.assertEqual(r.returncode, 0)
        self.assertEqual(r.stderr, "")
        self.server.write_conf(text="events {}\nbogus;\n")
        r = self.server.run("-t", "-q")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, 'tycho: [emerg] unknown directive "bogus" in %s:2\n'
                                   'tycho: configuration file %s test failed\n'
                         % (self.server.conf_path, self.server.conf_path))

    def test_big_t_dumps_every_file(self):
        self.server.write_file("conf/extra.conf", "default_type text/html;\n")
        text = self.server.conf_text("").replace("http {\n", "http {\n    include extra.conf;\n")
        self.server.write_conf(text=text)
        r = self.server.run("-T")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stderr, self.ok_lines())
        extra = self.server.path("conf", "extra.conf")
        self.assertEqual(r.stdout, "# configuration file %s:\n%s\n"
                                   "# configuration file %s:\n%s\n"
                         % (self.server.conf_path, text, extra, "default_type text/html;\n"))

    def test_g(self):
        text = self.server.conf_text("").replace("worker_processes 2;\n", "")
        self.server.write_conf(text=text)
        r = self.server.run("-t", "-g", "worker_processes 3;")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.server.run("-t", "-g", "foo;")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.splitlines()[0],
                         'tycho: [emerg] unknown directive "foo" in command line')
        # -g directives come first: the file's own one is then the duplicate.
        r = self.server.run("-t", "-g", "daemon on;")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr.splitlines()[0],
                         'tycho: [emerg] "daemon" directive is duplicate in %s:1'
                         % self.server.conf_path)

    def test_e(self):
        self.server.write_conf(text="events {}\nbogus;\n")
        r = self.server.run("-t", "-e", "logs/other.log")
        self.assertEqual(r.returncode, 1)
        self.assertIn('[emerg]', self.server.read("logs/other.log"))
        self.assertIn('unknown directive "bogus"', self.server.read("logs/other.log"))
        self.assertEqual(self.server.error_log(), "")
        # -e stderr: the log itself is stderr, so the message is not repeated as "tycho: ...".
        r = self.server.run("-t", "-e", "stderr")
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[emerg\] \d+#\d+: "
                                   r'unknown directive "bogus" in .*:2\n'
                                   r"tycho: configuration file .* test failed\n$")

    def test_unwritable_error_log(self):
        text = self.server.conf_text("").replace("error_log logs/error.log notice;",
                                                 "error_log nodir/error.log;")
        self.server.write_conf(text=text)
        r = self.server.run("-t")
        self.assertEqual(r.returncode, 1)
        self.assertIn('tycho: [emerg] open() "%s" failed (2: No such file or directory)\n'
                      % self.server.path("nodir", "error.log"), r.stderr)

    def test_s_without_pid_file(self):
        r = self.server.run("-s", "reload")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, 'tycho: [error] open() "%s" failed '
                                   '(2: No such file or directory)\n' % self.server.pid_path)
        self.assertIn("[notice]", self.server.error_log())
        self.assertIn("signal process started", self.server.error_log())

    def test_s_with_empty_pid_file(self):
        self.server.write_file("logs/nginx.pid", "")
        r = self.server.run("-s", "stop")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stderr, 'tycho: [error] invalid PID number "" in "%s"\n'
                         % self.server.pid_path)


if __name__ == "__main__":
    harness.main()
