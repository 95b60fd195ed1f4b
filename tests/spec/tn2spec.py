#!/usr/bin/env python3
"""Converts a Test::Nginx file (lua-nginx-module's t/*.t) into a spec file run_spec.py runs.

    tn2spec.py IN.t > OUT.t        (what was skipped and why goes to stderr)

For differential runs, not for the suite: convert a file of lua-nginx-module's tests, run the
result against Debian's nginx and against Tycho, and look at the blocks that pass on nginx and
fail on Tycho (scripts/compat-diff.sh does all three). Blocks that fail on nginx (the echo module
is not there, a debug line differs, a test is for another version) tell nothing and are ignored.

Kept as they are: the sections run_spec.py knows. Perl `eval` sections are evaluated when they
are literals (strings, qr//, arrays of them, `.` and `x`); anything else skips the block. Checks
run_spec.py cannot make (systemtap, grep_error_log, ...) are dropped; blocks that need a mock
server or a service (memcached, redis, a resolver) are skipped. Standard library only.
"""

import re
import sys

KEEP = {
    "config", "http_config", "main_config", "request", "raw_request", "pipelined_requests",
    "more_headers", "response_body", "response_body_like", "error_code", "response_headers",
    "response_headers_like", "error_log", "no_error_log", "timeout", "user_files", "wait",
    "abort", "must_die",
}
# Checks and hints run_spec.py has no use for; the block still runs without them.
DROP = {
    "stap", "stap2", "stap3", "stap_out", "stap_out_like", "stap_out_unlike", "log_level",
    "no_check_leak", "grep_error_log", "grep_error_log_out", "ONLY", "LAST", "skip_nginx",
    "skip_nginx2", "skip_eval", "skip_openssl", "raw_response_headers_like",
    "raw_response_headers_unlike", "curl", "curl_error", "no_shuffle", "ignore_response",
    "response_body_unlike", "timeout_error", "http09", "no_http2", "access_log",
    "no_access_log",
}
# Environment the block needs that the runner does not provide.
SERVICES = re.compile(r"TEST_NGINX_(?!SERVER_PORT|HTML_DIR|CONF_DIR|PREFIX)\w+")
# Perl variables of the test files' preambles, as text for the runner's config. lua-resty-core's
# $HttpConfig puts its lib/ on the package path (here resty.core is the installed one for nginx,
# the built-in shim for Tycho) and logs JIT traces to the error log, which its blocks check for
# "[TRACE" lines and the absence of "NYI".
BASE_PERL_VARS = {
    "HtmlDir": "$TEST_NGINX_HTML_DIR",
    "ServerPort": "$TEST_NGINX_SERVER_PORT",
    "HttpConfig": """
    init_by_lua_block {
        require "jit.v".on("$TEST_NGINX_PREFIX/logs/error.log")
        require "resty.core"
        jit.opt.start("hotloop=1")
    }
""",
}
PERL_VARS = dict(BASE_PERL_VARS)  # for the file being converted (see file_vars)
ENV_VARS = {
    "$TEST_NGINX_LUA_PACKAGE_PATH": '"$prefix/html/?.lua;;"',
}


class Skip(Exception):
    pass


# ---------------------------------------------------------------- Perl literals ----

class PerlLit:
    """Evaluates the Perl literal expressions Test::Nginx files use in `eval` sections."""

    def __init__(self, text):
        self.s = text
        self.i = 0

    def ws(self):
        while True:
            while self.i < len(self.s) and self.s[self.i].isspace():
                self.i += 1
            if self.s.startswith("#", self.i):
                while self.i < len(self.s) and self.s[self.i] != "\n":
                    self.i += 1
                continue
            return

    def parse(self):
        v = self.expr()
        self.ws()
        if self.s[self.i:].strip(" \t\n;"):
            raise Skip("eval: cannot read %r" % self.s[self.i:self.i + 40])
        return v

    def expr(self):
        v = self.term()
        while True:
            self.ws()
            if self.s.startswith(".", self.i) and not self.s.startswith("..", self.i):
                self.i += 1
                w = self.term()
                if not isinstance(v, str) or not isinstance(w, str):
                    raise Skip("eval: '.' of non-strings")
                v = v + w
            elif re.match(r"x\s*\d", self.s[self.i:]):
                self.i += 1
                self.ws()
                m = re.match(r"\d+", self.s[self.i:])
                self.i += m.end()
                if not isinstance(v, str):
                    raise Skip("eval: 'x' of a non-string")
                v = v * int(m.group())
            else:
                return v

    def term(self):
        self.ws()
        s, i = self.s, self.i
        if s.startswith('"', i):
            return self.dquote('"')
        if s.startswith("'", i):
            return self.squote()
        if s.startswith("qr", i) and i + 2 < len(s) and not s[i + 2].isalnum():
            return self.qr()
        if s.startswith("[", i):
            self.i += 1
            items = []
            while True:
                self.ws()
                if self.s.startswith("]", self.i):
                    self.i += 1
                    return items
                items.append(self.expr())
                self.ws()
                if self.s.startswith(",", self.i):
                    self.i += 1
        m = re.match(r"\$(?:::)?(\w+)", s[i:])
        if m:
            if m.group(1) not in PERL_VARS:
                raise Skip("eval: variable %s" % m.group())
            self.i += m.end()
            return PERL_VARS[m.group(1)]
        if s.startswith("(", i):
            self.i += 1
            v = self.expr()
            self.ws()
            if not self.s.startswith(")", self.i):
                raise Skip("eval: unbalanced (")
            self.i += 1
            return v
        raise Skip("eval: cannot read %r" % s[i:i + 40])

    def squote(self):
        self.i += 1
        out = []
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == "\\" and self.s[self.i + 1] in "\\'":
                out.append(self.s[self.i + 1])
                self.i += 2
            elif c == "'":
                self.i += 1
                return "".join(out)
            else:
                out.append(c)
                self.i += 1
        raise Skip("eval: unterminated ''")

    ESC = {"n": "\n", "t": "\t", "r": "\r", "0": "\0", "e": "\x1b", "a": "\x07", "f": "\f"}

    def dquote(self, close):
        self.i += 1
        out = []
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == "\\":
                n = self.s[self.i + 1]
                if n == "x":
                    m = re.match(r"x\{([0-9a-fA-F]+)\}|x([0-9a-fA-F]{1,2})", self.s[self.i + 1:])
                    out.append(chr(int(m.group(1) or m.group(2), 16)))
                    self.i += 1 + m.end()
                    continue
                out.append(self.ESC.get(n, n))
                self.i += 2
            elif c == close:
                self.i += 1
                return "".join(out)
            elif c == "$" or c == "@":
                m = re.match(r"\$(?:::)?(\w+)|\$ENV\{(\w+)\}", self.s[self.i:])
                name = m and (m.group(2) or m.group(1))
                if name in PERL_VARS:
                    out.append(PERL_VARS[name])
                elif name in ("TEST_NGINX_HTML_DIR", "TEST_NGINX_SERVER_PORT"):
                    out.append("$" + name)
                elif c == "$" and m is None:
                    out.append(c)
                    self.i += 1
                    continue
                else:
                    raise Skip("eval: interpolates %s" % self.s[self.i:self.i + 20].split()[0])
                self.i += m.end()
            else:
                out.append(c)
                self.i += 1
        raise Skip("eval: unterminated string")

    def qr(self):
        self.i += 2
        open_ = self.s[self.i]
        close = {"{": "}", "(": ")", "[": "]", "<": ">"}.get(open_, open_)
        self.i += 1
        depth = 0
        start = self.i
        while self.i < len(self.s):
            c = self.s[self.i]
            if c == "\\":
                self.i += 2
                continue
            if c == open_ and close != open_:
                depth += 1
            elif c == close:
                if depth == 0:
                    break
                depth -= 1
            self.i += 1
        pattern = self.s[start:self.i]
        self.i += 1
        m = re.match(r"[a-z]*", self.s[self.i:])
        flags = m.group()
        self.i += m.end()
        if re.search(r"\\[QEhGK]|\(\?<[^=!]|\(\?[>|]|[*+?]\+", pattern):
            raise Skip("eval: Perl-only regex %s" % pattern[:40])
        pattern = pattern.replace("\\z", "\\Z")
        return ("qr", pattern, "".join(f for f in flags if f in "imsx"))


# ---------------------------------------------------------------------- blocks ----

def as_line(v):
    if isinstance(v, tuple):
        return "qr/%s/%s" % (v[1].replace("/", "\\/") if "/" in v[1] and "\\/" not in v[1]
                             else v[1], v[2])
    if "\n" in v:
        raise Skip("a log check spans lines")
    return v


def convert_section(name, mods, text):
    """Returns (name, text) for the output, or None to drop it; raises Skip."""
    if "eval" not in mods:
        return name, text
    v = PerlLit(text).parse()
    if name in ("error_log", "no_error_log"):
        items = v if isinstance(v, list) else [v]
        return name, "".join(as_line(x) + "\n" for x in items)
    if isinstance(v, list):
        raise Skip("--- %s eval is a list (several requests)" % name)
    if name == "response_body_like":
        if isinstance(v, tuple):
            v = v[1] if not v[2] else "(?%s)%s" % (v[2], v[1])
        return name, v + "\n"
    if isinstance(v, tuple):
        raise Skip("--- %s eval is a regex" % name)
    if name in ("request", "raw_request"):
        return "raw_request" if name == "raw_request" else name, v
    return name, v


def check_regex(pattern):
    """Skips the block when Python's re cannot read a (Perl) regex of it."""
    try:
        re.compile(pattern)
    except re.error as e:
        raise Skip("regex Python cannot read: %s" % e)


SECTION = re.compile(r"^---\s+(\w+)((?:\s+\w+)*)\s*(?::\s*(.*?))?\s*$")


def parse(text):
    data = text.split("\n__DATA__\n", 1)[-1]
    blocks = []
    cur = None
    sec = None
    for line in data.split("\n"):
        if line.startswith("==="):
            cur = {"title": line[3:].strip(), "sections": []}
            blocks.append(cur)
            sec = None
            continue
        if cur is None:
            continue
        m = SECTION.match(line) if line.startswith("---") else None
        if m:
            sec = [m.group(1), set(m.group(2).split()), []]
            if m.group(3) is not None:
                sec[2].append(m.group(3))
            cur["sections"].append(sec)
        elif sec is not None:
            sec[2].append(line)
    return blocks


def file_vars(text):
    """PERL_VARS for one file: its own $HttpConfig's lua_shared_dict lines (lua-resty-core's
    shdict tests declare their zones there) join the replacement."""
    vars_ = dict(BASE_PERL_VARS)
    m = re.search(r"\$HttpConfig\s*=\s*<<\s*['\"]?(\w+)['\"]?\s*;\n(.*?)\n\1\n", text, re.S)
    if m:
        zones = re.findall(r"^\s*(lua_shared_dict\s+\w+\s+\w+;)", m.group(2), re.M)
        vars_["HttpConfig"] = "".join("    %s\n" % z for z in zones) + vars_["HttpConfig"]
    return vars_


# The echo module's plain `echo [-n] args;`, which the reference nginx lacks (the other echo_*
# directives skip the block).
ECHO_LINE = re.compile(r"""^(\s*)echo(\s+-n)?((?:\s+(?:"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|[^\s;"']+))*)\s*;\s*$""")
ECHO_ARG = re.compile(r""""((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([^\s;"']+)""")
ECHO_ANY = re.compile(r"^\s*echo(_\w+)?(\s|;)", re.M)
CONF_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}


def lua_string(text):
    return '"%s"' % (text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
                     .replace("\r", "\\r").replace("\t", "\\t"))


def echo_lua(arg):
    """A Lua expression for one echo argument: literal parts and nginx variables (an unset one
    prints nothing, as in the echo module)."""
    parts = []
    for m in re.finditer(r"\$(?:\{(\w+)\}|(\w+))|((?:[^$]|\$(?![\w{]))+)", arg):
        if m.group(3) is not None:
            parts.append(lua_string(m.group(3)))
        else:
            name = m.group(1) or m.group(2)
            var = "ngx.var[%s]" % name if name.isdigit() else "ngx.var.%s" % name
            parts.append('(%s or "")' % var)
    return " .. ".join(parts) if parts else '""'


def rewrite_echo(text):
    """Each run of consecutive `echo` lines becomes one content_by_lua_block that prints the
    same bytes, on both servers alike, so the comparison stays fair."""
    if not ECHO_ANY.search(text):
        return text
    lines = text.split("\n")
    out = []
    i = 0
    runs = 0
    while i < len(lines):
        if not ECHO_LINE.match(lines[i]):
            if ECHO_ANY.match(lines[i]):
                raise Skip("echo module directive: %s" % lines[i].strip())
            out.append(lines[i])
            i += 1
            continue
        indent = ECHO_LINE.match(lines[i]).group(1)
        prints = []
        while i < len(lines) and ECHO_LINE.match(lines[i]):
            m = ECHO_LINE.match(lines[i])
            args = []
            for a in ECHO_ARG.finditer(m.group(3)):
                quoted = a.group(1) if a.group(1) is not None else a.group(2)
                if quoted is not None:
                    quoted = re.sub(r"\\(.)", lambda e: CONF_ESCAPES.get(e.group(1), e.group(1)),
                                    quoted)
                    args.append(echo_lua(quoted))
                else:
                    args.append(echo_lua(a.group(3)))
            expr = ' .. " " .. '.join(args) if args else '""'
            prints.append("ngx.print(%s%s)" % (expr, "" if m.group(2) else ' .. "\\n"'))
            i += 1
        runs += 1
        out.append("%scontent_by_lua_block { %s }" % (indent, " ".join(prints)))
    return "\n".join(out)


def convert(text, log):
    """Returns [(title, [(section, text)])] for the blocks that convert; logs the others."""
    global PERL_VARS
    PERL_VARS = file_vars(text)
    blocks = []
    for b in parse(text):
        title = b["title"]
        try:
            names = [s[0] for s in b["sections"]]
            if "SKIP" in names:
                raise Skip("--- SKIP")
            sections = []
            if not any(s in names for s in ("request", "raw_request", "pipelined_requests",
                                            "must_die")):
                # Test::Nginx::Socket::Lua's default request.
                sections.append(("request", "GET /t\n"))
            for name, mods, body in b["sections"]:
                if name in DROP:
                    continue
                if name not in KEEP:
                    raise Skip("--- %s" % name)
                while body and body[-1].strip() == "":
                    body = body[:-1]
                body_text = "\n".join(body) + ("\n" if body else "")
                for var, value in ENV_VARS.items():
                    body_text = body_text.replace(var, value)
                if SERVICES.search(body_text):
                    raise Skip("needs %s" % SERVICES.search(body_text).group())
                if name == "raw_request" and "eval" not in mods:
                    raise Skip("raw_request without eval")
                name, body_text = convert_section(name, mods, body_text)
                if name in ("config", "http_config"):
                    body_text = rewrite_echo(body_text)
                if name == "request" and (body_text.strip() == "" or "\r" in body_text):
                    raise Skip("request empty or with CR")
                if name == "raw_request":
                    # run_spec.py's raw_request is written with escapes, one logical line.
                    body_text = (body_text.replace("\\", "\\\\").replace("\r", "\\r")
                                 .replace("\n", "\\n").replace("\t", "\\t")
                                 .replace("\0", "\\0")) + "\n"
                if name == "response_body_like":
                    body_text = body_text.replace("\\z", "\\Z")
                    check_regex(body_text.rstrip("\n"))
                elif name in ("error_log", "no_error_log"):
                    for line in body_text.split("\n"):
                        m = re.match(r"^qr/(.*)/[imsx]*$", line)
                        if m:
                            check_regex(m.group(1))
                if "chomp" in mods:
                    name += " chomp"
                # A repeated section: Test::Base keeps the last one.
                sections = [x for x in sections if x[0].split()[0] != name.split()[0]]
                sections.append((name, body_text))
        except Skip as e:
            log.write("skip %s: %s\n" % (title, e))
            continue
        blocks.append((title, sections))
    log.write("%d blocks converted\n" % len(blocks))
    return blocks


def write_spec(blocks, out, source):
    out.write("# Converted by tn2spec.py from %s (lua-nginx-module)\n\n" % source)
    for title, sections in blocks:
        out.write("=== %s\n" % title)
        for name, text in sections:
            out.write("--- %s\n%s\n" % (name, text))
        out.write("\n")


def main():
    if len(sys.argv) != 2:
        sys.stderr.write(__doc__.split("\n\n")[1] + "\n")
        return 2
    with open(sys.argv[1], encoding="utf-8") as f:
        text = f.read()
    write_spec(convert(text, sys.stderr), sys.stdout, sys.argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
