#!/usr/bin/python3
"""Differential test harness: Debian's libESMTP (reference) versus ours.

See capi-tests/diff/README.md.  Exit status 0 iff every scenario passed.
"""
import argparse
import concurrent.futures
import difflib
import email.utils
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CAPI = os.path.dirname(HERE)
SCEN_DIR = os.path.join(CAPI, "scenarios")
SERVER = os.path.join(CAPI, "server", "smtpd.py")
DRIVER_SRC = os.path.join(CAPI, "driver", "driver.c")
SHIM_SRC = [os.path.join(CAPI, "lib", "fakeclock.c"), os.path.join(CAPI, "lib", "fakeresolv.c")]
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
CFLAGS = ["-Wall", "-Wextra", "-Werror", "-std=c11", "-O1"]


def sh(cmd, **kw):
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)
    if r.returncode != 0:
        sys.stderr.write("command failed: %s\n%s" % (" ".join(cmd), r.stdout.decode(errors="replace")))
        sys.exit(2)


def build(out, name, incdir, libdir, allow_missing=False):
    exe = os.path.join(out, name)
    so = os.path.join(libdir, "libesmtp.so.6")
    if not os.path.exists(so):
        sys.stderr.write("no %s\n" % so)
        sys.exit(2)
    obj = exe + ".o"
    sh(["gcc"] + CFLAGS + ["-I", incdir, "-c", "-o", obj, DRIVER_SRC])
    objs = [obj]
    if allow_missing:
        # API functions the library does not define yet get a stub that
        # reports the missing symbol and exits 127 when called
        und = subprocess.run(["nm", "-u", obj], stdout=subprocess.PIPE, text=True).stdout.split()
        dfn = subprocess.run(["nm", "-D", "--defined-only", so], stdout=subprocess.PIPE,
                             text=True).stdout.split()
        missing = sorted(n for n in set(und) - set(dfn)
                         if n.startswith(("smtp_", "_smtp_", "auth_")))
        if missing:
            sys.stderr.write("%s: stubbing missing symbols: %s\n" % (name, " ".join(missing)))
            stub = exe + "-stubs.c"
            with open(stub, "w") as f:
                f.write("#include <stdio.h>\n#include <unistd.h>\n")
                for n in missing:
                    f.write('void %s(void);\nvoid %s(void) { printf("MISSING SYMBOL %s\\n"); '
                            'fflush(stdout); _exit(127); }\n' % (n, n, n))
            sh(["gcc", "-c", "-o", stub + ".o", stub])
            objs.append(stub + ".o")
    sh(["gcc", "-o", exe] + objs + [so, "-Wl,-rpath," + os.path.abspath(libdir),
                                     "-Wl,--disable-new-dtags"])
    return exe


# ------------------------------------------------------------------ scenarios

def load_scenario(path):
    """A .scn file: comment lines, then sections %server (JSON), %client
    (driver directives) and optionally %options (JSON)."""
    sections = {"server": [], "client": [], "options": [], "head": []}
    cur = "head"
    with open(path, encoding="utf-8") as f:
        for line in f:
            s = line.rstrip("\n")
            if s.startswith("%") and s[1:].strip() in sections:
                cur = s[1:].strip()
                continue
            sections[cur].append(s)
    server = json.loads("\n".join(sections["server"]) or "{}")
    options = json.loads("\n".join(sections["options"]) or "{}")
    client = sections["client"]
    runs = sum(1 for l in client if l.strip() == "run")
    options.setdefault("connections", max(1, runs))
    options.setdefault("timeout", 15)
    if not any(l.strip().startswith("hostname") for l in client):
        client = ["hostname client.example"] + client
    desc = " ".join(l.lstrip("# ").strip() for l in sections["head"] if l.strip())
    return {"server": server, "client": client, "options": options, "desc": desc}


def scenario_paths(args):
    names = []
    if not args.scenarios:
        names = sorted(f[:-4] for f in os.listdir(SCEN_DIR) if f.endswith(".scn"))
    for a in args.scenarios:
        if a.endswith(".txt") and os.path.isfile(a):
            with open(a) as f:
                for l in f:
                    l = l.split("#", 1)[0].strip()
                    if l:
                        names.append(l.split()[0])
        else:
            names.append(a)
    out = []
    for n in names:
        p = n if n.endswith(".scn") and os.path.exists(n) else os.path.join(SCEN_DIR, n + ".scn")
        if not os.path.exists(p):
            sys.stderr.write("no such scenario: %s\n" % n)
            sys.exit(2)
        out.append((os.path.basename(p)[:-4], p))
    return out


# ------------------------------------------------------------------ one run

def esc_lines(data):
    """Escape bytes (latin-1 str) and split after each LF."""
    out = []
    cur = []
    for ch in data:
        c = ord(ch)
        if ch == "\r":
            cur.append("\\r")
        elif ch == "\n":
            cur.append("\\n")
            out.append("".join(cur))
            cur = []
        elif ch == "\t":
            cur.append("\\t")
        elif ch == "\\":
            cur.append("\\\\")
        elif c < 0x20 or c >= 0x7f:
            cur.append("\\x%02x" % c)
        else:
            cur.append(ch)
    if cur:
        out.append("".join(cur) + "  <no LF>")
    return out


QUIT_LINE = "QUIT\r\n"
QUEUING_COMMANDS = ("ETRN", "RSET")


def split_pipelined_quit(groups):
    """esmtp-rs pipelines QUIT behind the last message's content (RFC 2920;
    docs/compat.md "QUIT pipelined"); libESMTP waits for the final reply
    first.  The bytes are the same, so such a QUIT is given a group of its
    own on both sides.  A QUIT that libESMTP itself queues after ETRN or
    RSET (spec 7.2) stays where it is."""
    out = []
    for g in groups:
        head = g[:-len(QUIT_LINE)]
        if g.endswith(QUIT_LINE) and head:
            previous = head.rstrip("\r\n").rsplit("\n", 1)[-1]
            if not previous.upper().startswith(QUEUING_COMMANDS):
                out.extend([head, QUIT_LINE])
                continue
        out.append(g)
    return out


def split_pipelined_mail(groups):
    """esmtp-rs writes MAIL together with its RCPTs and DATA (RFC 2920;
    docs/compat.md "MAIL pipelined"); libESMTP waits for the MAIL reply
    first.  The bytes are the same, so a group is cut after its MAIL line on
    both sides.  At most 8 RCPTs follow an unanswered MAIL: a remainder of
    RCPTs alone is joined to the next group when that one goes on with
    RCPTs (libESMTP sent them all in one)."""
    out = []
    pending = None   # RCPT-only remainder waiting for the next group
    for g in groups:
        if pending is not None:
            if g.upper().startswith("RCPT "):
                g = pending + g
            else:
                out.append(pending)
            pending = None
        lines = g.splitlines(keepends=True)
        cut = next((i for i, l in enumerate(lines) if l.upper().startswith("MAIL ")), None)
        if cut is None or cut == len(lines) - 1:
            out.append(g)
            continue
        out.append("".join(lines[:cut + 1]))
        rest = lines[cut + 1:]
        if all(l.upper().startswith("RCPT ") for l in rest):
            pending = "".join(rest)
        else:
            out.append("".join(rest))
    if pending is not None:
        out.append(pending)
    return out


MON_RE = re.compile(r'^MON (C>|S<) len=(\d+) (arg=\? )?"(.*)"$')
ESCAPE_RE = re.compile(r'\\(x[0-9a-f]{2}|.)')


def unescape(text):
    """The driver's escaped monitor bytes back as a latin-1 str."""
    table = {"r": "\r", "n": "\n", "t": "\t", "\\": "\\", '"': '"'}
    return ESCAPE_RE.sub(lambda m: chr(int(m.group(1)[1:], 16)) if m.group(1)[0] == "x"
                         else table.get(m.group(1), m.group(1)), text)


def escape(data):
    return "".join(esc_lines(data)).replace('"', '\\"').replace("  <no LF>", "")


def fold_pipelined_quit_monitor(lines):
    """The monitor's view of a pipelined QUIT (see split_pipelined_quit):
    QUIT is written before the final reply is read, and both replies may
    arrive in one read.  On both sides the monitor's QUIT line and the QUIT
    reply (the last reply in the reads that follow it) are left out; the
    QUIT itself is compared in the server transcript, and what its reply
    does in the events."""
    out = []
    pending = None   # reads after a QUIT, still to be folded: [prefix, data]
    for l in lines + [None]:
        m = MON_RE.match(l) if l is not None else None
        if m and m.group(1) == "C>" and unescape(m.group(4)).endswith(QUIT_LINE):
            head = unescape(m.group(4))[:-len(QUIT_LINE)]
            if head:
                out.append('MON C> len=%d %s"%s"' % (len(head), m.group(3) or "", escape(head)))
            pending = [m.group(3) or "", ""]
            continue
        if pending is not None and m and m.group(1) == "S<":
            pending[1] += unescape(m.group(4))
            continue
        if pending is not None:
            data = pending[1]
            # drop the last complete reply (its final line has a space or
            # nothing after the code)
            lines_in = data.splitlines(keepends=True)
            cut = len(lines_in)
            for k in range(len(lines_in) - 2, -1, -1):
                if len(lines_in[k]) < 4 or lines_in[k][3] != "-":
                    cut = k + 1
                    break
            else:
                cut = 0
            rest = "".join(lines_in[:cut])
            if rest:
                out.append('MON S< len=%d %s"%s"' % (len(rest), pending[0], escape(rest)))
            pending = None
        if l is not None:
            out.append(l)
    return out


def replies_end(data, count):
    """Where the first `count` complete replies in `data` end (None if
    fewer are there)."""
    pos = 0
    for l in data.splitlines(keepends=True):
        pos += len(l)
        if l.endswith("\n") and (len(l) < 4 or l[3] != "-"):
            count -= 1
            if count == 0:
                return pos
    return None


def fold_pipelined_mail_monitor(lines):
    """The monitor's view of a pipelined MAIL (see split_pipelined_mail):
    a write of MAIL and what follows it is cut after MAIL; the replies to
    the commands up to MAIL are taken from the front of the reads that
    follow, and the rest of the write (then the rest of those reads, as
    they were read) is put back after the MAILSTATUS event, where libESMTP
    writes it.  libESMTP's own lines are left as they are."""
    out = []
    i = 0
    while i < len(lines):
        l = lines[i]
        m = MON_RE.match(l)
        data = unescape(m.group(4)) if m and m.group(1) == "C>" else ""
        parts = data.splitlines(keepends=True)
        cut = next((k for k, p in enumerate(parts) if p.upper().startswith("MAIL ")), None)
        if cut is None or cut == len(parts) - 1:
            out.append(l)
            i += 1
            continue
        flag = m.group(3) or ""
        head, rest = "".join(parts[:cut + 1]), "".join(parts[cut + 1:])
        out.append('MON C> len=%d %s"%s"' % (len(head), flag, escape(head)))
        i += 1
        reads = []
        while i < len(lines):
            r = MON_RE.match(lines[i])
            if not (r and r.group(1) == "S<"):
                break
            reads.append((r.group(3) or "", unescape(r.group(4))))
            i += 1
        # the replies to the commands up to MAIL, from the front of the reads
        end = replies_end("".join(d for _, d in reads), cut + 1)
        if end is None:
            end = sum(len(d) for _, d in reads)
        taken, left = "", []
        for rflag, d in reads:
            k = min(end, len(d))
            taken += d[:k]
            end -= k
            if d[k:]:
                left.append((rflag, d[k:]))
        if taken:
            out.append('MON S< len=%d "%s"' % (len(taken), escape(taken)))
        if i < len(lines) and lines[i].startswith("EV MAILSTATUS"):
            out.append(lines[i])
            i += 1
            while i < len(lines) and lines[i].startswith("    "):
                out.append(lines[i])
                i += 1
        out.append('MON C> len=%d %s"%s"' % (len(rest), flag, escape(rest)))
        for rflag, d in left:
            out.append('MON S< len=%d %s"%s"' % (len(d), rflag, escape(d)))
    return out


def normalise_transcript(tr):
    lines = []
    for i, c in enumerate(tr.get("connections", [])):
        lines.append("CONNECTION %d on %s end=%s%s" % (i + 1, c.get("addr"), c.get("end"),
                                                       " tls" if c.get("tls") else ""))
        for k, g in enumerate(split_pipelined_mail(split_pipelined_quit(c.get("groups", [])))):
            gl = esc_lines(g)
            lines.append("  GROUP %d (%d bytes, %d lines)" % (k + 1, len(g), len(gl)))
            if len(gl) > 2000:
                # keep it exact but compact: hash-free summary plus edges
                import hashlib
                lines.append("    sha256=" + hashlib.sha256(g.encode("latin-1")).hexdigest())
                gl = gl[:50] + ["..."] + gl[-50:]
            lines.extend("    " + l for l in gl)
    return lines


DATE_RE = re.compile(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d\d:\d\d:\d\d [+-]\d{4}")
MSGID_RE = re.compile(r"<\d{9,}\.\d+\.\d+@")


def mask(lines, t0, t1, fake_clock):
    """Masking applied to both sides.  With the fake clock nothing varies;
    without it: generated Date values (within the run's time window) become
    <DATE>, generated Message-Id numbers become <SEC.USEC.PID@, and the
    lengths that depend on them (MESSAGEDATA len, monitor len, BDAT sizes,
    group sizes) become *."""
    if fake_clock:
        return lines
    out = []
    for l in lines:
        def dsub(m):
            try:
                t = email.utils.parsedate_to_datetime(m.group(0)).timestamp()
            except Exception:
                return m.group(0)
            return "<DATE>" if t0 - 5 <= t <= t1 + 5 else m.group(0)
        l = DATE_RE.sub(dsub, l)
        l = MSGID_RE.sub("<SEC.USEC.PID@", l)
        l = re.sub(r"(EV MESSAGEDATA m\d+ len=)\d+", r"\1*", l)
        l = re.sub(r"(MON H> len=)\d+", r"\1*", l)
        l = re.sub(r"(BDAT )\d+", r"\1*", l)
        l = re.sub(r"(GROUP \d+ \()\d+ bytes", r"\1* bytes", l)
        out.append(l)
    return out


def run_once(scn, name, driver, libdir, shim, fake_clock, keep_dir=None):
    tmp = tempfile.mkdtemp(prefix="esmtp-diff-%s-" % name)
    try:
        sj = os.path.join(tmp, "server.json")
        srv = dict(scn["server"])
        if "tls" in srv:
            srv["tls"] = {k: (v.replace("$CERTDIR", CERTDIR) if isinstance(v, str) else v)
                          for k, v in srv["tls"].items()}
        with open(sj, "w") as f:
            json.dump(srv, f)
        cfg = os.path.join(tmp, "client.cfg")
        with open(cfg, "w") as f:
            f.write("\n".join(scn["client"]) + "\n")
        portf = os.path.join(tmp, "port")
        trf = os.path.join(tmp, "transcript.json")
        opts = scn["options"]
        tmo = float(opts["timeout"])
        server = subprocess.Popen(
            [PY, SERVER, sj, "--port-file", portf, "--transcript", trf,
             "--connections", str(opts["connections"]), "--timeout", str(tmo),
             "--settle-ms", str(opts.get("settle_ms", SETTLE_MS)),
             "--host", ",".join(opts.get("listen", ["127.0.0.1"]))],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(tmp, "server.err"), "w"))
        deadline = time.monotonic() + 10
        while not os.path.exists(portf):
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                return ["HARNESS: server did not start"], 0, 0
            time.sleep(0.02)
        with open(portf) as f:
            port = int(f.read())
        env = dict(os.environ)
        env.update({"EXPECT_LIBESMTP": libdir, "TZ": "UTC", "LC_ALL": "C",
                    "HOME": tmp, "XDG_CONFIG_DIR": os.path.join(tmp, "xdg")})
        env.pop("LD_LIBRARY_PATH", None)
        if "fake_addrs" in opts:
            env["FAKE_ADDRS"] = " ".join(opts["fake_addrs"])
        if fake_clock or "fake_addrs" in opts:
            env["LD_PRELOAD"] = shim   # fake clock only acts if FAKECLOCK_OFF is unset
        if not fake_clock:
            env["FAKECLOCK_OFF"] = "1"
        env.update(opts.get("env", {}))
        t0 = time.time()
        try:
            d = subprocess.run([driver, cfg, "%s:%d" % (opts.get("server", "127.0.0.1"), port)],
                               cwd=SCEN_DIR, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=tmo)
            rc = d.returncode
            dout = d.stdout
            derr = d.stderr
        except subprocess.TimeoutExpired as e:
            rc = "TIMEOUT"
            dout = e.stdout or b""
            derr = e.stderr or b""
        t1 = time.time()
        with open(os.path.join(tmp, "driver.out"), "wb") as f:
            f.write(dout)
        with open(os.path.join(tmp, "driver.err"), "wb") as f:
            f.write(derr)
        try:
            # the driver is gone, so the server sees EOF at once; it writes the
            # transcript after every connection, so a short grace is enough
            server.wait(timeout=2)
        except subprocess.TimeoutExpired:
            server.send_signal(signal.SIGTERM)
            try:
                server.wait(timeout=3)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
        lines = fold_pipelined_mail_monitor(
            fold_pipelined_quit_monitor(dout.decode("latin-1").splitlines()))
        if isinstance(rc, int) and rc < 0:
            lines.append("DRIVER killed by signal %d" % -rc)
        elif rc != 0:
            lines.append("DRIVER exit %s" % rc)
            lines.extend("DRIVER stderr: " + l for l in derr.decode("latin-1").splitlines()
                         if "libesmtp loaded from" not in l)
        lines.append(TRANSCRIPT_MARK)
        try:
            with open(trf) as f:
                tr = json.load(f)
            lines.extend(normalise_transcript(tr))
        except (OSError, ValueError) as e:
            lines.append("HARNESS: no transcript (%s)" % e)
        if keep_dir:
            dst = os.path.join(keep_dir, name)
            shutil.rmtree(dst, ignore_errors=True)
            shutil.copytree(tmp, dst)
        return mask(lines, t0, t1, fake_clock), rc, t1 - t0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ------------------------------------------------------------------ main

CERTDIR = ""
SETTLE_MS = 30


def make_cert(out):
    d = os.path.join(out, "certs")
    os.makedirs(d, exist_ok=True)
    cert, key = os.path.join(d, "server.pem"), os.path.join(d, "server.key")
    if not os.path.exists(cert):
        r = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                            "-keyout", key, "-out", cert, "-days", "3650",
                            "-subj", "/CN=localhost", "-set_serial", "1"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if r.returncode != 0:
            sys.stderr.write("warning: openssl failed; TLS scenarios will fail\n")
    return d


TRANSCRIPT_MARK = "--- server transcript ---"


def expected_scope(reason):
    """What must still be identical for an expected difference: a reason
    tagged [transcript] may differ only in the server transcript, one
    tagged [monitor] only in the monitor's lines (MON); untagged reasons
    are free."""
    if reason.startswith("[transcript]"):
        return lambda out: out[:out.index(TRANSCRIPT_MARK)] if TRANSCRIPT_MARK in out else out
    if reason.startswith("[monitor]"):
        return lambda out: [l for l in out if not l.startswith("MON ")]
    return None


def load_expected(path):
    exp = {}
    if os.path.exists(path):
        with open(path) as f:
            for l in f:
                l = l.strip()
                if not l or l.startswith("#"):
                    continue
                parts = l.split(None, 1)
                exp[parts[0]] = parts[1] if len(parts) > 1 else ""
    return exp


def main():
    global CERTDIR, SETTLE_MS
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("scenarios", nargs="*", help="scenario names, .scn paths or list files (.txt)")
    ap.add_argument("--reference-only", action="store_true",
                    help="run each scenario twice against the reference and check determinism")
    ap.add_argument("--ref-lib", default=os.environ.get("REF_LIB", "/usr/lib/x86_64-linux-gnu"))
    ap.add_argument("--ref-include", default=os.environ.get("REF_INCLUDE", "/usr/include"))
    ap.add_argument("--lib", default=os.environ.get("LIB_UNDER_TEST", "/work/main/build/lib"))
    ap.add_argument("--include", default=os.environ.get("INCLUDE_UNDER_TEST", "/work/main/include"))
    ap.add_argument("--out", default=os.path.join(CAPI, "out"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--keep", action="store_true", help="keep each run's files under OUT/runs")
    ap.add_argument("--no-fake-clock", action="store_true",
                    help="do not preload the fake clock; mask Date/Message-Id instead")
    ap.add_argument("--settle-ms", type=int, default=30)
    ap.add_argument("--budget", type=float, default=300.0,
                    help="seconds; scenarios not started by then FAIL as not run (a hanging library cannot stall the suite)")
    ap.add_argument("--expected", default=os.path.join(HERE, "expected-differences.txt"))
    ap.add_argument("--allow-missing-symbols", action="store_true",
                    help="link the test driver even if the library lacks symbols (a call to one fails at run time)")
    ap.add_argument("--show", action="store_true", help="print the reference output of each scenario")
    args = ap.parse_args()
    SETTLE_MS = args.settle_ms

    os.makedirs(args.out, exist_ok=True)
    CERTDIR = make_cert(args.out)
    shim = os.path.join(args.out, "preload.so")
    sh(["gcc"] + CFLAGS + ["-shared", "-fPIC", "-o", shim] + SHIM_SRC + ["-ldl"])
    ref_drv = build(args.out, "driver-ref", args.ref_include, args.ref_lib)
    if args.reference_only:
        test_drv, test_lib = ref_drv, args.ref_lib
    else:
        test_drv = build(args.out, "driver-test", args.include, args.lib,
                         args.allow_missing_symbols)
        test_lib = args.lib
    expected = {} if args.reference_only else load_expected(args.expected)
    fake = not args.no_fake_clock
    keep = os.path.join(args.out, "runs") if args.keep else None

    scens = scenario_paths(args)

    t_start = time.monotonic()

    def job(item):
        name, path = item
        scn = load_scenario(path)
        if time.monotonic() - t_start > args.budget:
            return name, scn, ["HARNESS: not run, time budget exhausted"], [], "budget", "budget", 0
        a, rca, ta = run_once(scn, name, ref_drv, args.ref_lib, shim, fake,
                              keep and os.path.join(keep, "ref"))
        b, rcb, tb = run_once(scn, name, test_drv, test_lib, shim, fake,
                              keep and os.path.join(keep, "test" if not args.reference_only else "ref2"))
        return name, scn, a, b, rca, rcb, ta + tb

    passed = failed = 0
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        for name, scn, a, b, rca, rcb, dt in ex.map(job, scens):
            same = a == b
            abnormal = (rca != 0 and not scn["options"].get("allow_abnormal"))
            diff = list(difflib.unified_diff(a, b, "reference", "reference(2)" if args.reference_only else "under-test", lineterm="", n=4))
            if args.show:
                print("=== %s: %s" % (name, scn["desc"]))
                print("\n".join(a))
            if name in expected:
                scope = expected_scope(expected[name])
                if same:
                    failed += 1
                    print("FAIL %s (listed in expected-differences.txt but now matches: remove it)" % name)
                elif scope and scope(a) != scope(b):
                    failed += 1
                    print("FAIL %s (differs beyond its expected difference: %s)" % (name, expected[name]))
                    print("\n".join(difflib.unified_diff(scope(a), scope(b), "reference", "under-test",
                                                         lineterm="", n=4)))
                else:
                    passed += 1
                    print("PASS %s (expected difference: %s)" % (name, expected[name]))
            elif same and not abnormal:
                passed += 1
                print("PASS %s" % name)
            else:
                failed += 1
                why = ("not run: time budget exhausted" if rca == "budget" else
                       "driver exit %s" % rca if same else "output differs")
                print("FAIL %s (%s)" % (name, why))
                if diff:
                    print("\n".join(diff))
                elif abnormal:
                    print("\n".join("  " + l for l in a[-20:]))
            sys.stdout.flush()
    sys.stderr.write("elapsed %.1fs\n" % (time.monotonic() - start))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
