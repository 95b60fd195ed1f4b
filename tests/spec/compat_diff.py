#!/usr/bin/env python3
"""Differential run of lua-nginx-module's own tests: nginx + lua-nginx-module vs Tycho.

    compat_diff.py [--binary build/tycho] [--out DIR] FILE.t [FILE.t ...]

Each Test::Nginx file is converted by tn2spec.py, run by run_spec.py against Debian's nginx
(the reference) and against the binary, and the blocks that pass on nginx but fail on the
binary are printed with the binary's failure. Those are the behaviour differences to look at;
the rest of the output is a count. An `error_log` line that nginx writes only at the debug
level (lua-nginx-module's internal tracing, which Tycho does not imitate) is taken out of the
blocks first, from a run of nginx with the blocks' prefixes kept. The files themselves are not
part of the repository (take them from a lua-nginx-module checkout). Standard library only.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import tn2spec  # noqa: E402


def run(binary, spec, keep=False):
    cmd = [sys.executable, os.path.join(HERE, "run_spec.py"), "--binary", binary, spec]
    p = subprocess.run(cmd + (["--keep"] if keep else []), stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True)
    results = {}
    detail = {}
    prefixes = {}
    cur = None
    for line in p.stdout.split("\n"):
        m = re.match(r"^(ok|not ok) (\S+) - ", line)
        if m:
            cur = m.group(2)
            results[cur] = m.group(1) == "ok"
            detail[cur] = []
        elif cur is not None and line.startswith("  prefix: "):
            prefixes[cur] = line[len("  prefix: "):]
        elif cur is not None and line.startswith("  "):
            detail[cur].append(line)
    if not results:
        sys.stderr.write(p.stdout[-3000:])
    return results, detail, prefixes


def matcher(check):
    m = re.match(r"^qr/(.*)/([imsx]*)$", check)
    if m:
        flags = 0
        for f in m.group(2):
            flags |= {"i": re.I, "m": re.M, "s": re.S, "x": re.X}[f]
        try:
            rx = re.compile(m.group(1), flags)
        except re.error:
            return None
        return lambda line: rx.search(line) is not None
    return lambda line: check in line


def debug_only(check, log_lines):
    """True when the reference wrote the checked text, and only in debug lines."""
    match = matcher(check)
    if match is None:
        return False
    hits = [l for l in log_lines if match(l)]
    return bool(hits) and all("[debug]" in l for l in hits)


def block_number(title):
    m = re.match(r"TEST\s+(\S+?):", title)
    return m.group(1) if m else None


def drop_debug_checks(blocks, prefixes):
    for title, sections in blocks:
        prefix = prefixes.get(block_number(title))
        if not prefix:
            continue
        lines = []
        for name in ("logs/error.log", "logs/stderr.log"):
            try:
                with open(os.path.join(prefix, name), errors="replace") as f:
                    lines += f.read().split("\n")
            except OSError:
                pass
        for i, (name, text) in enumerate(sections):
            if name.split()[0] != "error_log":
                continue
            kept = [c for c in text.split("\n") if c and not debug_only(c, lines)]
            sections[i] = (name, "".join(c + "\n" for c in kept))
        sections[:] = [(n, t) for n, t in sections if t or n.split()[0] != "error_log"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", default=os.path.normpath(os.path.join(HERE, "..", "..", "build",
                                                                      "tycho")))
    ap.add_argument("--reference", default="/usr/sbin/nginx")
    ap.add_argument("--out", default="/tmp/compat-diff")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    total_diff = 0
    for f in a.files:
        spec = os.path.join(a.out, os.path.basename(f))
        with open(f, encoding="utf-8") as src, open(spec + ".skipped", "w") as log:
            blocks = tn2spec.convert(src.read(), log)
        with open(spec + ".full", "w") as out:
            tn2spec.write_spec(blocks, out, f)
        _, _, prefixes = run(a.reference, spec + ".full", keep=True)
        drop_debug_checks(blocks, prefixes)
        for p in prefixes.values():
            shutil.rmtree(p, ignore_errors=True)
        with open(spec, "w") as out:
            tn2spec.write_spec(blocks, out, f)
        ref, _, _ = run(a.reference, spec)
        got, detail, _ = run(a.binary, spec)
        diff = [n for n in ref if ref[n] and not got.get(n, False)]
        extra = [n for n in got if got[n] and not ref.get(n, False)]
        print("== %s: %d blocks; reference passes %d; binary passes %d; "
              "differences: %d (binary-only passes: %d)"
              % (os.path.basename(f), len(ref), sum(ref.values()), sum(got.values()),
                 len(diff), len(extra)))
        for n in diff:
            print("-- TEST %s" % n)
            print("\n".join(l for l in detail.get(n, [])[:30]
                            if not l.startswith("  prefix:")))
        total_diff += len(diff)
        sys.stdout.flush()
    return 1 if total_diff else 0


if __name__ == "__main__":
    sys.exit(main())
