"""Tycho answers like OpenResty: the same random ngx.* calls (tests/integration/
compat_lua_handler.lua, seeded by ?seed=N) run in a content handler on Tycho and on Debian's nginx
with lua-nginx-module, and the two responses must be equal: status, headers (but Date and
Server) and body, which lists every call with its results or its error text.

Skipped when nginx or its Lua module is not installed (scripts/install-deps.sh installs both).
TYCHO_LUA_COMPAT_SEEDS sets how many seeds (default 3000, about 20 s), TYCHO_LUA_COMPAT_FIRST the first one.
A failure prints, for each differing seed, the request and both responses from the first line
that differs; replay one with `curl 'http://127.0.0.1:PORT/c?seed=N'` against servers started
with the config this test writes (TYCHO_LUA_COMPAT_KEEP=1 keeps both prefixes and prints them).

Differences Tycho documents on purpose are listed in KNOWN below, each with the docs/ page
that explains it; the test normalises them away and nothing else.
"""

import http.client
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
NGINX = os.environ.get("TYCHO_REFERENCE_NGINX", "/usr/sbin/nginx")
MODULES = ["/usr/share/nginx/modules/ndk_http_module.so",
           "/usr/share/nginx/modules/ngx_http_lua_module.so"]
SEEDS = int(os.environ.get("TYCHO_LUA_COMPAT_SEEDS", "3000"))
FIRST = int(os.environ.get("TYCHO_LUA_COMPAT_FIRST", "1"))
KEEP = os.environ.get("TYCHO_LUA_COMPAT_KEEP") == "1"

CONF = """%(modules)s
daemon off;
worker_processes 1;
pid logs/nginx.pid;
error_log logs/error.log info;
events {
    worker_connections 256;
}
http {
    access_log off;
    lua_package_path "%(here)s/?.lua;/usr/share/lua/5.1/?.lua;;";
    lua_shared_dict compat 1m;
    server {
        listen 127.0.0.1:%(port)d;
        server_name localhost;
        location /c {
            set $foo bar;
            content_by_lua_block {
                require("compat_lua_handler").run(tonumber(ngx.var.arg_seed) or 1)
            }
        }
        location /named_target {
            content_by_lua_block {
                ngx.say("target ", ngx.var.uri, " ", tostring(ngx.var.args), " ",
                        tostring(ngx.ctx.k))
            }
        }
        location @named {
            content_by_lua_block {
                ngx.say("named ", ngx.var.uri, " ", tostring(ngx.var.args))
            }
        }

        # The same operations in the other phases and in a timer: what works there and what
        # raises which error. Each location carries the lines to the response its own way.
        location /p/rewrite {
            rewrite_by_lua_block {
                ngx.ctx.lines = require("compat_lua_handler").collect(tonumber(ngx.var.arg_seed))
            }
            content_by_lua_block { ngx.say("rewrite") ngx.say(ngx.ctx.lines) }
        }
        location /p/access {
            access_by_lua_block {
                ngx.ctx.lines = require("compat_lua_handler").collect(tonumber(ngx.var.arg_seed))
            }
            content_by_lua_block { ngx.say("access") ngx.say(ngx.ctx.lines) }
        }
        location /p/set {
            set_by_lua_block $lines {
                return require("compat_lua_handler").collect(tonumber(ngx.var.arg_seed))
            }
            content_by_lua_block { ngx.say("set") ngx.say(ngx.var.lines) }
        }
        location /p/header_filter {
            content_by_lua_block { ngx.say("header_filter") }
            header_filter_by_lua_block {
                local lines = require("compat_lua_handler").collect(tonumber(ngx.var.arg_seed))
                ngx.header["X-Lines"] = ngx.encode_base64(lines)
            }
        }
        location /p/body_filter {
            content_by_lua_block { ngx.say("body_filter") }
            body_filter_by_lua_block {
                if ngx.arg[2] then
                    local lines = require("compat_lua_handler").collect(tonumber(ngx.var.arg_seed))
                    ngx.arg[1] = (ngx.arg[1] or "") .. lines .. string.char(10)
                end
            }
        }
        location /p/log {
            content_by_lua_block { ngx.say("log") }
            log_by_lua_block {
                local lines = require("compat_lua_handler").collect(tonumber(ngx.var.arg_seed))
                ngx.shared.compat:set("log:" .. ngx.var.arg_seed, lines)
            }
        }
        location /p/timer {
            content_by_lua_block {
                local seed = ngx.var.arg_seed
                local ok, err = ngx.timer.at(0, function()
                    local lines = require("compat_lua_handler").collect(tonumber(seed))
                    ngx.shared.compat:set("timer:" .. seed, lines)
                end)
                if not ok then
                    return ngx.say("timer failed: ", err)
                end
                ngx.say("timer")
                ngx.say(require("compat_lua_handler").fetch("timer:" .. seed))
            }
        }
        # A jump (ngx.req.set_uri(uri, true), ngx.exec) elsewhere: no static files (nginx's
        # workers could not read the test's private prefix: 403 there, 404 here).
        location / {
            return 404;
        }
        location /fetch {
            content_by_lua_block {
                ngx.say(require("compat_lua_handler").fetch(ngx.var.arg_key))
            }
        }
    }
}
"""

IGNORED_HEADERS = {"date", "server"}

# Error pages name the server, Tycho by its own name and version (docs/http.md): compared as
# nginx's.
# tostring() of a table or function (a header value set from one) shows an address.
ADDRESS = re.compile(r"0x[0-9a-f]+", re.I)
SIGNATURE = re.compile(rb"<center>tycho(/[0-9.]+)?</center>")


PHASES = ["rewrite", "access", "set", "header_filter", "body_filter", "log", "timer"]


def make_request(seed):
    """The request for `seed`: a method, extra query arguments, headers and maybe a body."""
    rng = random.Random(seed)
    method = rng.choice(["GET", "GET", "GET", "POST", "PUT", "DELETE"])
    query = "seed=%d" % seed + rng.choice(["", "&a=1&b=2", "&a=%41%20b&a=2&&=x&c",
                                           "&A=up&a=low", "&b=%zz&a"])
    # One Host for both servers (they listen on different ports).
    headers = {"Host": "compat.test", "X-Compat": rng.choice(["1", "", "a b", "x,y"])}
    if rng.random() < 0.4:
        headers["Cookie"] = rng.choice(["a=1; b=2", "a=x", "b=%41"])
    if rng.random() < 0.3:
        headers["X-Foo"] = "foo"
    body = None
    if method in ("POST", "PUT"):
        body = rng.choice([b"", b"a=1&b=2", b"a=%41&a=b&c", b"plain text"]).replace(b"\n", b"")
        headers["Content-Type"] = rng.choice(["application/x-www-form-urlencoded",
                                              "text/plain"])
    # One seed in four runs its operations in another phase or in a timer.
    path = "/c"
    if seed % 4 == 0:
        path = "/p/" + PHASES[(seed // 4) % len(PHASES)]
    return method, path + "?" + query, headers, body


class Side:
    """A prefix and a server process (Tycho or nginx) serving CONF."""

    def __init__(self, name, argv0, modules, conf=CONF):
        self.name = name
        self.prefix = tempfile.mkdtemp(prefix="tycho-compat-%s-" % name)
        os.makedirs(os.path.join(self.prefix, "conf"))
        os.makedirs(os.path.join(self.prefix, "logs"))
        self.port = harness.free_port()
        with open(os.path.join(self.prefix, "conf", "nginx.conf"), "w") as f:
            f.write(conf % {"modules": "".join("load_module %s;\n" % m for m in modules),
                            "here": HERE, "port": self.port})
        self.proc = subprocess.Popen([argv0, "-p", self.prefix + "/", "-c", "conf/nginx.conf"],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

        def ready():
            if self.proc.poll() is not None:
                raise AssertionError("%s exited: %s" % (name, self.proc.stderr.read()))
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return True
            except OSError:
                return False
        harness.wait_for(ready, 15, what="%s to listen" % name)

    def request(self, method, path, headers, body):
        # Short: a response neither server can delimit costs this once per side.
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            data = resp.read()
            hdrs = [(ADDRESS.sub("ADDR", k.lower()), ADDRESS.sub("ADDR", v)) for k, v in resp.getheaders()
                    if k.lower() not in IGNORED_HEADERS]
            if self.name == "tycho" and SIGNATURE.search(data):
                data = SIGNATURE.sub(b"<center>nginx/1.22.1</center>", data)
                hdrs = [(k, str(len(data)) if k == "content-length" else v) for k, v in hdrs]
            hdrs.sort()
            return resp.status, hdrs, data
        except (ConnectionResetError, http.client.RemoteDisconnected):
            # Closed without a response; nginx resets when a request body is left unread, Tycho
            # reads it first and closes: the same to the client.
            return "connection closed without a response", [], b""
        except (OSError, http.client.HTTPException) as e:
            return "connection error: %s" % type(e).__name__, [], b""
        finally:
            conn.close()

    def error_log(self):
        with open(os.path.join(self.prefix, "logs", "error.log"), errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc.stderr.close()
        if KEEP:
            print("%s prefix kept: %s (port %d)" % (self.name, self.prefix, self.port))
        else:
            shutil.rmtree(self.prefix, ignore_errors=True)


def first_difference(a, b):
    al, bl = a.split(b"\n"), b.split(b"\n")
    for i in range(max(len(al), len(bl))):
        x = al[i] if i < len(al) else b"<none>"
        y = bl[i] if i < len(bl) else b"<none>"
        if x != y:
            return i, x, y
    return None


def describe(a, b, what="body"):
    """Lines telling how response `a` (OpenResty's) and `b` (Tycho's) differ: status, headers,
    and the first line of the body (`what`) that differs."""
    out = []
    if a[0] != b[0]:
        out.append("  status: openresty %s, tycho %s" % (a[0], b[0]))
    if a[1] != b[1]:
        out.append("  headers: openresty %s\n           tycho     %s" % (a[1], b[1]))
    d = first_difference(a[2], b[2])
    if d:
        out.append("  %s line %d:\n    openresty %r\n    tycho     %r" % ((what,) + d))
    return out


def check_agreement(test, ran, minimum, diffs, seeds, report, what):
    """Fails `test` unless more than `minimum` responses showed `what` (the handler ran) and no
    seed differed; `report` says how they differ."""
    test.assertGreater(ran, minimum, "too few %s: is the handler loading? (see both error logs "
                       "with TYCHO_LUA_COMPAT_KEEP=1)" % what)
    if diffs:
        test.fail("%d of %d seeds differ:\n%s" % (len(diffs), seeds, "\n".join(report)))


@unittest.skipUnless(os.access(NGINX, os.X_OK) and all(os.path.exists(m) for m in MODULES),
                     "nginx with lua-nginx-module not installed")
class LuaCompatTest(unittest.TestCase):
    def test_same_responses_as_openresty(self):
        ref = Side("nginx", NGINX, MODULES)
        ours = Side("tycho", harness.BINARY, [])
        diffs = []
        ran = 0  # responses that show the handler ran: equal 500s must not pass as agreement
        try:
            for seed in range(FIRST, FIRST + SEEDS):
                req = make_request(seed)
                a = ref.request(*req)
                b = ours.request(*req)
                if req[1].startswith("/p/log?"):
                    # the log phase's lines, once it ran
                    fetch = ("GET", "/fetch?key=log:%d" % seed, {"Host": "compat.test"}, None)
                    a = a + ref.request(*fetch)
                    b = b + ours.request(*fetch)
                if ours.proc.poll() is not None:
                    self.fail("tycho exited (status %s) at seed %d: %s %s\n%s" % (
                        ours.proc.returncode, seed, req[0], req[1],
                        ours.proc.stderr.read().decode(errors="replace")[-2000:]))
                if a != b:
                    diffs.append((seed, req, a, b))
                elif any(isinstance(x, bytes) and b"\n1 " in x and (b"seed %d\n" % seed) in x
                         for x in b):
                    ran += 1
        finally:
            ref.stop()
            ours.stop()
        report = []
        for seed, req, a, b in diffs[:int(os.environ.get("TYCHO_LUA_COMPAT_REPORT", "15"))]:
            report.append("seed %d: %s %s %s body=%r" % (seed, req[0], req[1], req[2], req[3]))
            report.extend(describe(a, b))
        check_agreement(self, ran, SEEDS // 3, diffs, SEEDS, report,
                        "responses that list the calls")


if __name__ == "__main__":
    harness.main()
