#!/usr/bin/env python3
"""Runs spec files written in Test::Nginx's block format against an nginx-compatible binary.

    run_spec.py [--binary PATH] [--block N] [--keep] [-v] FILE.t [FILE.t ...]

Each block gets a fresh prefix (conf/, logs/, html/) in a temp dir, a generated conf/nginx.conf
listening on a free 127.0.0.1 port, and its own server process, started in the foreground with
`BINARY -p PREFIX/ -c conf/nginx.conf`. The block's request is sent twice, on fresh connections,
and both responses are checked; the logs are checked after the server has stopped. The same spec
files run against Debian's nginx (`--binary /usr/sbin/nginx`), which is how a spec is validated.

docs/testing.md describes the format and every section. Standard library only.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

# Sections a block may have; any other name fails the file (a typo must not silently pass).
KNOWN_SECTIONS = {
    "config", "http_config", "main_config", "request", "raw_request", "pipelined_requests",
    "more_headers", "response_body", "response_body_like", "error_code", "response_headers",
    "response_headers_like", "error_log", "no_error_log", "access_log", "no_access_log",
    "timeout", "user_files", "must_die", "no_response", "abort", "wait",
}
# Section modifiers accepted after the name (`--- response_body chomp`).
KNOWN_MODIFIERS = {"chomp", "crlf"}

DEFAULT_TIMEOUT = 5.0
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


class SpecError(Exception):
    """A malformed spec file: the whole file fails."""


class BlockFailure(Exception):
    """One check of one block failed; the message says what was expected and what came."""


# ------------------------------------------------------------------------------- parsing ----

class Block:
    def __init__(self, number, title, line):
        self.number = number
        self.title = title
        self.line = line
        self.sections = {}   # name -> text
        self.modifiers = {}  # name -> set of modifiers

    def has(self, name):
        return name in self.sections

    def get(self, name, default=None):
        return self.sections.get(name, default)

    def label(self):
        return "TEST %s: %s" % (self.number, self.title)


BLOCK_RE = re.compile(r"^===\s*(?:TEST\s+(\S+?):?\s+)?(.*?)\s*$")
SECTION_RE = re.compile(r"^---\s+(\w+)(?::\s*(.*?)|((?:\s+\w+)*))\s*$")


def finish_section(block, name, lines):
    # Test::Base keeps a section's text up to the next section; trailing blank lines go, and a
    # non-empty text ends with exactly one newline (`chomp` removes it).
    while lines and lines[-1].strip() == "":
        lines.pop()
    text = "\n".join(lines) + "\n" if lines else ""
    if "chomp" in block.modifiers.get(name, ()):
        text = text[:-1] if text.endswith("\n") else text
    if "crlf" in block.modifiers.get(name, ()):
        text = text.replace("\n", "\r\n")
    block.sections[name] = text


def parse_spec(path):
    with open(path, encoding="utf-8") as f:
        raw = f.read().split("\n")
    blocks = []
    block = None
    section = None
    lines = []
    in_data = False
    for lineno, line in enumerate(raw, 1):
        if line.startswith("__DATA__") or line.startswith("__END__"):
            if line.startswith("__END__") and in_data:
                break
            in_data = True
            continue
        if line.startswith("==="):
            if section is not None:
                finish_section(block, section, lines)
            m = BLOCK_RE.match(line)
            number = m.group(1) or str(len(blocks) + 1)
            block = Block(number, m.group(2), lineno)
            blocks.append(block)
            section, lines = None, []
            in_data = True
            continue
        if block is None:
            continue  # the file's preamble: comments, `use Test::Nginx`, plan lines
        m = SECTION_RE.match(line) if line.startswith("---") else None
        if m:
            if section is not None:
                finish_section(block, section, lines)
            section = m.group(1)
            inline = m.group(2)
            mods = set((m.group(3) or "").split())
            if section not in KNOWN_SECTIONS:
                raise SpecError("%s:%d: unknown section \"--- %s\" in %s"
                                % (path, lineno, section, block.label()))
            if section in block.sections:
                raise SpecError("%s:%d: duplicate section \"--- %s\" in %s"
                                % (path, lineno, section, block.label()))
            bad = mods - KNOWN_MODIFIERS
            if bad:
                raise SpecError("%s:%d: unknown modifier %s of \"--- %s\""
                                % (path, lineno, " ".join(sorted(bad)), section))
            block.modifiers[section] = mods
            lines = []
            if inline is not None:
                # `--- error_code: 404`: a one-line value, the section ends here.
                block.sections[section] = inline + "\n"
                section = None
            continue
        if section is None:
            if line.strip() and not line.lstrip().startswith("#"):
                raise SpecError("%s:%d: text outside any section in %s"
                                % (path, lineno, block.label()))
            continue
        lines.append(line)
    if section is not None:
        finish_section(block, section, lines)
    if not blocks:
        raise SpecError("%s: no blocks (=== TEST n: title)" % path)
    for b in blocks:
        validate_block(path, b)
    return blocks


def validate_block(path, b):
    def err(msg):
        raise SpecError("%s:%d: %s: %s" % (path, b.line, b.label(), msg))

    requests = [s for s in ("request", "raw_request", "pipelined_requests") if b.has(s)]
    if b.has("must_die"):
        if requests:
            err("--- must_die takes no request")
    elif len(requests) != 1:
        err("needs exactly one of --- request, --- raw_request, --- pipelined_requests")
    if b.has("no_response") and (b.has("response_body") or b.has("error_code")
                                 or b.has("response_body_like")):
        err("--- no_response excludes response checks")
    for name in ("timeout", "wait"):
        if b.has(name):
            try:
                float(b.get(name).strip())
            except ValueError:
                err("--- %s must be a number of seconds" % name)
    if b.has("abort") and (b.has("response_body") or b.has("error_code")
                           or b.has("response_body_like") or b.has("no_response")):
        err("--- abort excludes response checks")
    if b.has("error_code"):
        for code in b.get("error_code").split():
            if not code.isdigit():
                err("--- error_code must be status codes")


# ------------------------------------------------------------------------ substitution ----

class Env:
    """Values the spec text may refer to as $TEST_NGINX_<NAME>."""

    def __init__(self, port, prefix, server_sig, version):
        self.values = {
            "TEST_NGINX_SERVER_PORT": str(port),
            "TEST_NGINX_PREFIX": prefix.rstrip("/"),
            "TEST_NGINX_HTML_DIR": os.path.join(prefix, "html"),
            "TEST_NGINX_CONF_DIR": os.path.join(prefix, "conf"),
            "TEST_NGINX_SERVER_SIG": server_sig,
            "TEST_NGINX_SERVER_PRODUCT": server_sig.split("/", 1)[0],
            "TEST_NGINX_VERSION": version,
        }

    def sub(self, text):
        if text is None:
            return None
        # Longest names first so $TEST_NGINX_SERVER_PORT never matches a shorter prefix.
        for name in sorted(self.values, key=len, reverse=True):
            text = text.replace("$" + name, self.values[name])
        return text

    def sub_regex(self, text):
        for name in sorted(self.values, key=len, reverse=True):
            text = text.replace("$" + name, re.escape(self.values[name]))
        return text


# ------------------------------------------------------------------------------- server ----

# Ports come from a block of 40 of this process's own (by pid), below the kernel's ephemeral
# range: with ports from bind(("127.0.0.1", 0)), two runners at once (ctest -j) could both take a
# port the kernel had just freed, and a block then talked to the other runner's server.
PORT_BLOCK = 40
_port_next = [0]


def free_port():
    base = 10000 + (os.getpid() % 500) * PORT_BLOCK
    for _ in range(PORT_BLOCK):
        port = base + _port_next[0] % PORT_BLOCK
        _port_next[0] += 1
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def server_identity(binary):
    """Returns (signature, version) from `BINARY -v`: ("nginx/1.22.1", "1.22.1")."""
    try:
        out = subprocess.run([binary, "-v"], capture_output=True, text=True, timeout=10)
        text = out.stderr + out.stdout
    except (OSError, subprocess.TimeoutExpired):
        text = ""
    m = re.search(r"version:\s*(\S+)", text)
    sig = m.group(1) if m else "unknown/0"
    return sig, sig.split("/", 1)[-1]


def verbatim(text):
    # Never re-indented: a quoted argument may span lines, and its text is the response.
    return text if text.endswith("\n") or not text else text + "\n"


# load_module lines for Debian's nginx + lua-nginx-module (set by main() from
# --nginx-lua-modules): prepended to configurations that use Lua directives.
NGINX_LUA_MODULES_DIR = "/usr/share/nginx/modules"
LUA_MODULE_LINES = ""
LUA_DIRECTIVE_RE = re.compile(r"\b(\w+_by_lua(_block|_file|_no_postpone)?|lua_\w+)\b")


def write_config(prefix, block, port, env):
    main_config = env.sub(block.get("main_config", ""))
    http_config = env.sub(block.get("http_config", ""))
    config = env.sub(block.get("config", ""))
    # A main directive the block sets itself replaces the runner's default.
    preamble = ""
    for directive, value in (("daemon", "off"), ("master_process", "off"),
                             ("worker_processes", "1"), ("pid", "logs/nginx.pid")):
        if not re.search(r"^\s*%s\s" % directive, main_config, re.M):
            preamble += "%s %s;\n" % (directive, value)
    if not re.search(r"^\s*error_log\s+logs/error\.log[\s;]", main_config, re.M):
        preamble += "error_log logs/error.log debug;\n"
    # An included user file counts too (its directives are parsed as part of the config).
    if LUA_MODULE_LINES and (LUA_DIRECTIVE_RE.search(config) or
                             LUA_DIRECTIVE_RE.search(http_config) or
                             LUA_DIRECTIVE_RE.search(str(block.get("user_files", "")))):
        preamble = LUA_MODULE_LINES + preamble
    conf = (
        preamble +
        "\n"
        + main_config +
        "\n"
        "http {\n"
        "    access_log logs/access.log;\n"
        "\n"
        + verbatim(http_config) +
        "\n"
        "    server {\n"
        "        listen 127.0.0.1:%d;\n"
        "        server_name localhost;\n"
        "\n" % port
        + verbatim(config) +
        "    }\n"
        "}\n"
    )
    # events {} after http {}: every block checks that top-level order is free.
    if not re.search(r"^\s*events\s*\{", main_config, re.M):
        conf += "\nevents {\n    worker_connections 256;\n}\n"
    with open(os.path.join(prefix, "conf", "nginx.conf"), "w") as f:
        f.write(conf)


def write_user_files(prefix, text, env):
    """`>>> path [mtime]` then the content, up to the next `>>>`; paths are under html/."""
    html = os.path.join(prefix, "html")
    current = None
    chunks = []

    def flush():
        if current is None:
            return
        rel, mtime = current
        path = os.path.normpath(os.path.join(html, rel))
        if rel.endswith("/"):
            os.makedirs(path, exist_ok=True)
            return
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(env.sub("".join(chunks)))
        if mtime is not None:
            os.utime(path, (mtime, mtime))

    for line in text.splitlines(keepends=True):
        if line.startswith(">>> "):
            flush()
            # `>>> path [mtime]`: a trailing all-digit word is the mtime (seconds since epoch).
            m = re.match(r"^(.+?)(?:\s+(\d+))?\s*$", line[4:])
            if not m:
                raise SpecError("bad user_files line: %r" % line)
            current = (m.group(1), int(m.group(2)) if m.group(2) else None)
            chunks = []
        elif current is None:
            if line.strip():
                raise SpecError("user_files content before the first >>> line")
        else:
            chunks.append(line)
    flush()


class Server:
    def __init__(self, binary, prefix, port):
        self.binary = binary
        self.prefix = prefix
        self.port = port
        self.proc = None
        self.stderr_path = os.path.join(prefix, "logs", "stderr.log")

    def start(self):
        self.stderr_file = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [self.binary, "-p", self.prefix + "/", "-c", "conf/nginx.conf"],
            cwd=self.prefix, stdin=subprocess.DEVNULL, stdout=self.stderr_file,
            stderr=self.stderr_file)

    def wait_ready(self):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise BlockFailure("server exited during startup with status %s"
                                   % describe_status(self.proc.returncode))
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
                return
            except OSError:
                time.sleep(0.02)
        raise BlockFailure("server did not listen on 127.0.0.1:%d within %.0fs"
                           % (self.port, START_TIMEOUT))

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        """Graceful stop (QUIT); returns the exit status, or raises when it had to be killed."""
        if self.proc is None:
            return 0
        try:
            if self.proc.poll() is not None:
                return self.proc.returncode
            # QUIT again every 2 s: now and then Debian's nginx (single process, as Test::Nginx
            # runs it) shows no sign of a QUIT that came right after a request (no "signal 3"
            # line) and runs on until killed; a second one is taken.
            deadline = time.monotonic() + STOP_TIMEOUT
            while time.monotonic() < deadline:
                self.proc.send_signal(signal.SIGQUIT)
                rc = self.wait_exit(min(2.0, max(0.0, deadline - time.monotonic())))
                if rc is not None:
                    return rc
            self.proc.send_signal(signal.SIGTERM)
            if self.wait_exit(STOP_TIMEOUT) is None:
                self.proc.kill()
                self.proc.wait()
            raise BlockFailure("server did not exit within %.0fs of SIGQUIT" % STOP_TIMEOUT)
        finally:
            self.stderr_file.close()

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self.proc is not None and not self.stderr_file.closed:
            self.stderr_file.close()


def describe_status(rc):
    if rc is None:
        return "running"
    if rc < 0:
        try:
            return "signal %s" % signal.Signals(-rc).name
        except ValueError:
            return "signal %d" % -rc
    return str(rc)


# ----------------------------------------------------------------------------- requests ----

def unescape(text):
    """Backslash escapes of --- raw_request: \\r \\n \\t \\0 \\\\ \\xHH."""
    out = bytearray()
    i = 0
    data = text.encode("latin-1")
    while i < len(data):
        c = data[i:i + 1]
        if c == b"\\" and i + 1 < len(data):
            n = data[i + 1:i + 2]
            simple = {b"r": b"\r", b"n": b"\n", b"t": b"\t", b"0": b"\0", b"\\": b"\\"}
            if n in simple:
                out += simple[n]
                i += 2
                continue
            if n == b"x" and i + 4 <= len(data):
                out += bytes([int(data[i + 2:i + 4], 16)])
                i += 4
                continue
        out += c
        i += 1
    return bytes(out)


def header_lines(text):
    return [l for l in (text or "").splitlines() if l.strip()]


def build_request(line, body, more_headers, keepalive):
    parts = line.split()
    if len(parts) == 2:
        line += " HTTP/1.1"
    lines = [line]
    names = {h.split(":", 1)[0].strip().lower() for h in more_headers}
    version = line.split()[-1] if len(line.split()) >= 3 else ""
    if "host" not in names and version != "HTTP/0.9":
        lines.append("Host: localhost")
    if "connection" not in names and version == "HTTP/1.1":
        lines.append("Connection: %s" % ("keep-alive" if keepalive else "close"))
    lines.extend(more_headers)
    if body and "content-length" not in names and "transfer-encoding" not in names:
        lines.append("Content-Length: %d" % len(body.encode("latin-1")))
    return ("\r\n".join(lines) + "\r\n\r\n" + (body or "")).encode("latin-1")


def request_bytes(block, env):
    """Returns (bytes to send, list of request methods in order)."""
    more = [env.sub(h) for h in header_lines(block.get("more_headers"))]
    if block.has("raw_request"):
        text = env.sub(block.get("raw_request")).replace("\n", "")
        data = unescape(text)
        methods = re.findall(rb"(?:^|\r\n\r\n)([A-Z]+) ", data)
        return data, [m.decode() for m in methods] or ["GET"]
    if block.has("pipelined_requests"):
        reqs = header_lines(env.sub(block.get("pipelined_requests")))
        data = b"".join(build_request(r, "", more, i + 1 < len(reqs)) for i, r in enumerate(reqs))
        return data, [r.split()[0] for r in reqs]
    text = env.sub(block.get("request"))
    lines = text.split("\n")
    first = lines[0].strip()
    body = "\n".join(lines[1:])
    if body.endswith("\n"):
        body = body[:-1]
    return build_request(first, body, more, False), [first.split()[0]]


def abort_exchange(port, data, timeout):
    """Sends data on a fresh connection, then closes it after `timeout` seconds (a client that
    gives up: Test::Nginx's --- abort)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(data)
        time.sleep(timeout)
    finally:
        s.close()


def exchange(port, data, timeout):
    """Sends data on a fresh connection; reads until the server closes or timeout."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    chunks = []
    closed = False
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may answer and close before reading all (413, 400)
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            s.settimeout(left)
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed = True
                break
            if not chunk:
                closed = True
                break
            chunks.append(chunk)
    finally:
        s.close()
    return b"".join(chunks), closed


class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # list of (name, value)
        self.body = body

    def values(self, name):
        return [v for n, v in self.headers if n.lower() == name.lower()]


def parse_responses(data, methods):
    """Splits a byte stream into responses; raises BlockFailure on malformed framing."""
    responses = []
    pos = 0
    index = 0
    while pos < len(data):
        end = data.find(b"\r\n\r\n", pos)
        if end < 0:
            raise BlockFailure("incomplete response header: %r" % data[pos:pos + 300])
        head = data[pos:end].decode("latin-1").split("\r\n")
        m = re.match(r"HTTP/(\d\.\d) (\d{3})(?: (.*))?$", head[0])
        if not m:
            raise BlockFailure("bad status line: %r" % head[0])
        status = int(m.group(2))
        headers = []
        for h in head[1:]:
            if ":" not in h:
                raise BlockFailure("bad header line: %r" % h)
            n, v = h.split(":", 1)
            headers.append((n.strip(), v.strip()))
        pos = end + 4
        method = methods[index] if index < len(methods) else methods[-1]
        index += 1
        resp = Response(status, m.group(3) or "", headers, b"")
        no_body = method == "HEAD" or status in (204, 304) or 100 <= status < 200
        te = ",".join(resp.values("Transfer-Encoding")).lower()
        cl = resp.values("Content-Length")
        if no_body:
            pass
        elif "chunked" in te:
            body = bytearray()
            while True:
                eol = data.find(b"\r\n", pos)
                if eol < 0:
                    raise BlockFailure("truncated chunked body")
                size = int(data[pos:eol].split(b";")[0].strip() or b"x", 16)
                pos = eol + 2
                if size == 0:
                    # trailers, then the empty line
                    while True:
                        eol = data.find(b"\r\n", pos)
                        if eol < 0:
                            raise BlockFailure("truncated chunked trailer")
                        line = data[pos:eol]
                        pos = eol + 2
                        if not line:
                            break
                    break
                if pos + size + 2 > len(data):
                    raise BlockFailure("truncated chunk")
                body += data[pos:pos + size]
                pos += size + 2
            resp.body = bytes(body)
        elif cl:
            n = int(cl[0])
            if pos + n > len(data):
                raise BlockFailure("body shorter than Content-Length %d: got %d bytes"
                                   % (n, len(data) - pos))
            resp.body = data[pos:pos + n]
            pos += n
        else:
            resp.body = data[pos:]
            pos = len(data)
        responses.append(resp)
    return responses


# ------------------------------------------------------------------------------- checks ----

def compile_log_pattern(line, env):
    """A log expectation: qr/.../flags (a Python regex; flags among i m s x) or a substring."""
    m = re.match(r"^qr/(.*)/([imsx]*)$", line)
    if m:
        flags = 0
        for f in m.group(2):
            flags |= {"i": re.I, "m": re.M, "s": re.S, "x": re.X}[f]
        return re.compile(env.sub_regex(m.group(1)), flags)
    return env.sub(line)


def found(pattern, text):
    if isinstance(pattern, str):
        return pattern in text
    return pattern.search(text) is not None


def show(pattern):
    return pattern if isinstance(pattern, str) else "qr/%s/" % pattern.pattern


def check_response(block, env, data, closed, methods, attempt):
    where = "request %d: " % attempt
    if block.has("no_response"):
        if data:
            raise BlockFailure(where + "expected the server to close without answering, got %r"
                               % data[:300])
        if not closed:
            raise BlockFailure(where + "expected the server to close the connection, it stayed "
                               "open past the timeout")
        return
    if not data:
        raise BlockFailure(where + "no response (connection %s)"
                           % ("closed" if closed else "timed out"))
    if not closed:
        raise BlockFailure(where + "the server did not close the connection within the timeout "
                           "(send Connection: close, or expect a keepalive_timeout)")
    responses = parse_responses(data, methods)
    codes = [int(c) for c in block.get("error_code", "200").split()]
    if block.has("pipelined_requests") or len(codes) > 1:
        got = [r.status for r in responses]
        if len(codes) == 1 and block.has("pipelined_requests") and not block.has("error_code"):
            codes = codes * len(methods)
        if got != codes:
            raise BlockFailure(where + "status codes: expected %s, got %s" % (codes, got))
    else:
        if len(responses) != 1:
            raise BlockFailure(where + "expected 1 response, got %d" % len(responses))
        if responses[0].status != codes[0]:
            raise BlockFailure(where + "status: expected %d, got %d %s\nbody: %r"
                               % (codes[0], responses[0].status, responses[0].reason,
                                  responses[0].body[:500]))
    body = b"".join(r.body for r in responses).decode("latin-1")
    if block.has("response_body"):
        want = env.sub(block.get("response_body"))
        if body != want:
            raise BlockFailure(where + "response_body mismatch\n--- expected\n%s--- got\n%s---"
                               % (show_text(want), show_text(body)))
    if block.has("response_body_like"):
        pat = env.sub_regex(block.get("response_body_like").rstrip("\n"))
        if not re.search(pat, body, re.S):
            raise BlockFailure(where + "response_body_like: /%s/ does not match\n--- got\n%s---"
                               % (pat, show_text(body)))
    last = responses[-1]
    for line in header_lines(block.get("response_headers")):
        line = env.sub(line)
        if line.startswith("!"):
            name = line[1:].strip()
            if last.values(name):
                raise BlockFailure(where + "header %s: expected absent, got %r"
                                   % (name, last.values(name)))
            continue
        name, want = (p.strip() for p in line.split(":", 1))
        got = last.values(name)
        if want not in got and ", ".join(got) != want:
            raise BlockFailure(where + "header %s: expected %r, got %s"
                               % (name, want, got if got else "none"))
    for line in header_lines(block.get("response_headers_like")):
        name, pat = line.split(":", 1)
        name, pat = name.strip(), env.sub_regex(pat.strip())
        got = last.values(name)
        if not any(re.fullmatch(pat, v) for v in got):
            raise BlockFailure(where + "header %s: expected /%s/, got %s"
                               % (name, pat, got if got else "none"))


def show_text(text):
    return text if text.endswith("\n") or not text else text + "\\ (no newline at end)\n"


def read_file(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("latin-1")
    except OSError:
        return ""


def check_logs(block, env, prefix):
    error_log = read_file(os.path.join(prefix, "logs", "error.log"))
    stderr = read_file(os.path.join(prefix, "logs", "stderr.log"))
    text = error_log + stderr
    for line in header_lines(block.get("error_log")):
        pat = compile_log_pattern(line, env)
        if not found(pat, text):
            raise BlockFailure("error_log: %s not found in logs/error.log or stderr" % show(pat))
    for line in header_lines(block.get("no_error_log")):
        pat = compile_log_pattern(line, env)
        if found(pat, text):
            hit = next(l for l in text.splitlines() if found(pat, l + "\n") or found(pat, l))
            raise BlockFailure("no_error_log: %s found: %s" % (show(pat), hit))
    access = read_file(os.path.join(prefix, "logs", "access.log"))
    for line in header_lines(block.get("no_access_log")):
        pat = compile_log_pattern(line, env)
        if found(pat, access):
            raise BlockFailure("no_access_log: %s found in logs/access.log:\n%s"
                               % (show(pat), access))
    if block.has("access_log"):
        for line in header_lines(block.get("access_log")):
            pat = compile_log_pattern(line, env)
            if not found(pat, access):
                raise BlockFailure("access_log: %s not found in logs/access.log:\n%s"
                                   % (show(pat), access))


# --------------------------------------------------------------------------------- main ----

LOG_LINE_RE = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[")


def log_tail(prefix, n=25):
    out = []
    for name in ("stderr.log", "error.log"):
        text = read_file(os.path.join(prefix, "logs", name))
        lines = [l for l in text.splitlines()
                 if "[debug]" not in l and (name == "stderr.log" or LOG_LINE_RE.match(l))]
        if lines:
            out.append("  --- tail of logs/%s (debug lines omitted)" % name)
            out.extend("  " + l for l in lines[-n:])
    return "\n".join(out)


def run_block(block, binary, sig, version, keep, verbose):
    prefix = tempfile.mkdtemp(prefix="tycho-spec-")
    os.chmod(prefix, 0o755)
    for d in ("conf", "logs", "html"):
        os.makedirs(os.path.join(prefix, d))
        os.chmod(os.path.join(prefix, d), 0o755)
    port = free_port()
    env = Env(port, prefix, sig, version)
    server = Server(binary, prefix, port)
    ok = False
    try:
        if block.has("user_files"):
            write_user_files(prefix, block.get("user_files"), env)
        write_config(prefix, block, port, env)
        timeout = float(block.get("timeout", str(DEFAULT_TIMEOUT)).strip())
        server.start()
        if block.has("must_die"):
            rc = server.wait_exit(START_TIMEOUT)
            if rc is None:
                raise BlockFailure("expected the server to fail at startup, it is still running")
            if rc == 0:
                raise BlockFailure("expected a non-zero exit status at startup, got 0")
            server.stderr_file.close()
            check_logs(block, env, prefix)
        else:
            server.wait_ready()
            data, methods = request_bytes(block, env)
            for attempt in (1, 2):
                if block.has("abort"):
                    abort_exchange(port, data, timeout)
                    time.sleep(float(block.get("wait", "0").strip()))
                    continue
                got, closed = exchange(port, data, timeout)
                if verbose:
                    sys.stderr.write("# request %d got %d bytes:\n%s\n"
                                     % (attempt, len(got), got[:2000].decode("latin-1")))
                check_response(block, env, got, closed, methods, attempt)
                if server.proc.poll() is not None:
                    raise BlockFailure("server exited during the request (status %s)"
                                       % describe_status(server.proc.returncode))
            if not block.has("abort"):
                # Test::Nginx's --- wait: time for work the response did not wait for (a timer,
                # the log phase) before the server is stopped and the logs are read.
                time.sleep(float(block.get("wait", "0").strip()))
            rc = server.stop()
            if rc != 0:
                raise BlockFailure("server exit status after SIGQUIT: %s" % describe_status(rc))
            check_logs(block, env, prefix)
        ok = True
        print("ok %s - %s" % (block.number, block.title))
        if keep:
            print("  prefix: %s" % prefix)
    except (BlockFailure, SpecError) as e:
        print("not ok %s - %s" % (block.number, block.title))
        print("  " + str(e).replace("\n", "\n  "))
        tail = log_tail(prefix)
        if tail:
            print(tail)
        print("  prefix: %s" % prefix)
    finally:
        server.kill()
        # A failed block's prefix is kept for inspection (its path is printed above).
        if ok and not keep:
            shutil.rmtree(prefix, ignore_errors=True)
    sys.stdout.flush()
    return ok


def default_binary():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "build", "tycho"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", default=os.environ.get("TEST_NGINX_BINARY", default_binary()),
                    help="server binary (default: build/tycho; /usr/sbin/nginx validates specs)")
    ap.add_argument("--block", action="append", default=[],
                    help="run only the block with this TEST number (repeatable)")
    ap.add_argument("--keep", action="store_true", help="keep every block's prefix")
    ap.add_argument("-v", "--verbose", action="store_true", help="print raw responses")
    ap.add_argument("--nginx-lua-modules", choices=("auto", "yes", "no"), default="auto",
                    help="prepend load_module lines for ndk_http_module.so and "
                         "ngx_http_lua_module.so to configs using Lua directives (auto: when "
                         "the binary is nginx and the modules are installed)")
    ap.add_argument("--retries", type=int, default=0,
                    help="run a failed block again up to N times before counting it failed "
                         "(for the reference run against nginx, where a loaded machine can "
                         "make a timing-sensitive block miss; never used for Tycho itself)")
    ap.add_argument("files", nargs="+")
    args = ap.parse_args()

    binary = os.path.abspath(args.binary)
    if not os.access(binary, os.X_OK):
        print("run_spec.py: binary not executable: %s" % binary, file=sys.stderr)
        return 2
    sig, version = server_identity(binary)
    global LUA_MODULE_LINES
    modules = [os.path.join(NGINX_LUA_MODULES_DIR, m + ".so")
               for m in ("ndk_http_module", "ngx_http_lua_module")]
    want = args.nginx_lua_modules == "yes" or (
        args.nginx_lua_modules == "auto" and sig.startswith("nginx/")
        and all(os.path.exists(m) for m in modules))
    if want:
        LUA_MODULE_LINES = "".join("load_module %s;\n" % m for m in modules)
    passed = failed = 0
    for path in args.files:
        print("# %s (%s)" % (path, sig))
        try:
            blocks = parse_spec(path)
        except SpecError as e:
            print("not ok - %s" % e)
            failed += 1
            continue
        for block in blocks:
            if args.block and block.number not in args.block:
                continue
            ok = run_block(block, binary, sig, version, args.keep, args.verbose)
            for attempt in range(args.retries):
                if ok:
                    break
                print("# retrying block %s (%d of %d)" % (block.number, attempt + 1,
                                                         args.retries))
                ok = run_block(block, binary, sig, version, args.keep, args.verbose)
            if ok:
                passed += 1
            else:
                failed += 1
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
