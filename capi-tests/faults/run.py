#!/usr/bin/python3
"""Fault injection: every protocol step x every fault kind, against our
library (and, for comparison, Debian's libESMTP 1.1.0).

    capi-tests/faults/run.sh OUR_LIB_DIR [options]

Scenarios are generated here in the differential harness's format (the
server JSON of ../server/smtpd.py and the directives of ../driver/driver.c)
and run with the harness's own functions (../diff/run.py).  For each case
against OUR library it checks:

  * the driver ended normally (no crash, no SIGPIPE -- SIGPIPE is NOT ignored
    in our runs, see keep_sigpipe.c -- no hang: hard timeout per case);
  * smtp_start_session's return value and smtp_errno are the documented ones
    (protocol.md 8, 9.7, 9.8, 13.4, 15; the table EXPECT below);
  * nothing is reported delivered that was not: no 2xx transfer status
    unless the server sent its 250 for the final dot (or BDAT LAST), no 2xx
    recipient status for an RCPT whose reply was destroyed;
  * with --valgrind: a representative subset under memcheck with zero
    errors and zero definite leaks.

Against libESMTP (unless --no-ref) the same case is run, and return value,
smtp_errno and statuses are compared.  libESMTP crashing or hanging is
reported (not a failure of ours).  A difference must be listed in
known-differences.txt with the docs/compat.md row that explains it;
an unlisted difference is a FAIL.  Ends with "N passed, N failed".
"""
import argparse
import concurrent.futures
import importlib.util
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CAPI = os.path.dirname(HERE)
spec = importlib.util.spec_from_file_location("diffrun", os.path.join(CAPI, "diff", "run.py"))
diffrun = importlib.util.module_from_spec(spec)
spec.loader.exec_module(diffrun)

STEPS = ["greeting", "ehlo", "starttls", "auth", "mail", "rcpt1", "rcpt2", "data",
         "midbody", "dot", "bdat", "rset", "quit"]
KINDS = ["drop", "stall", "garbage", "hugeline", "nul8bit", "extra"]

# Steps whose failure means the message cannot have been delivered.
BEFORE_FINAL = {"greeting", "ehlo", "starttls", "auth", "mail", "data", "midbody", "dot", "bdat"}

NORMAL = {
    "greeting": ["220 test.local ESMTP ready"],
    "ehlo": ["250-test.local hello", "250 ENHANCEDSTATUSCODES"],
    "starttls": ["220 2.0.0 ready", {"tls": True}],
    "auth": ["235 2.7.0 authenticated"],
    "mail": ["250 2.1.0 sender ok"],
    "rcpt1": ["250 2.1.5 recipient ok"],
    "rcpt2": ["250 2.1.5 recipient ok"],
    "data": ["354 go ahead"],
    "midbody": ["354 go ahead"],
    "dot": ["250 2.0.0 queued"],
    "bdat": ["250 2.0.0 chunk ok"],
    "rset": ["250 2.0.0 reset"],
    "quit": ["221 2.0.0 bye", {"close": True}],
}

RULE = {  # step -> (verb, n)
    "greeting": ("@GREETING", None), "ehlo": ("EHLO", None), "starttls": ("STARTTLS", None),
    "auth": ("AUTH", None), "mail": ("MAIL", 1), "rcpt1": ("RCPT", 1), "rcpt2": ("RCPT", 2),
    "data": ("DATA", None), "midbody": ("DATA", None), "dot": (".", 1), "bdat": ("BDAT", 1),
    "rset": ("RSET", None), "quit": ("QUIT", None),
}

TIMEOUT_MS = 1000


def fault_steps(step, kind):
    """The server's reply steps at the fault point."""
    normal = NORMAL[step]
    code = normal[0][:3]
    if step == "midbody":
        # 354, let the client start sending the (big) body, then the fault
        # arrives while it is still writing.
        pre = ["354 go ahead", {"stall": 150}]
        return pre + {
            "drop": [{"close": True}],
            "stall": [{"stall": 6000}],
            "garbage": [{"raw": "this is not SMTP \x01\x02\r\n"}],
            "hugeline": [{"huge": 1 << 20, "prefix": "554 ", "fill": "x"}],
            "nul8bit": [{"raw": "554 5.0.0 bad\x00\xff\xfe\xc3( body\r\n"}],
            "extra": ["554 5.0.0 unsolicited mid-body"],
        }[kind]
    if kind == "drop":
        return [{"close": True}]
    if kind == "stall":
        # stall ends early when the client closes; otherwise the normal reply follows
        return [{"stall": 6000}] + normal
    if kind == "garbage":
        return [{"raw": "this is not SMTP \x01\x02\r\n"}]
    if kind == "hugeline":
        return [{"huge": 1 << 20, "prefix": code + " ", "fill": "x"}] + (
            [{"tls": True}] if step == "starttls" else [{"close": True}] if step == "quit" else [])
    if kind == "nul8bit":
        first = normal[0]
        return [{"raw": first[:4] + "t\x00xt \xff\xfe\xc3( " + first[4:] + "\r\n"}] + normal[1:]
    if kind == "extra":
        lines = [s for s in normal if isinstance(s, str)]
        rest = [s for s in normal if not isinstance(s, str)]
        return lines + ["250 2.0.0 unsolicited extra reply"] + rest
    raise ValueError(kind)


def scenario(step, kind, certdir):
    server = {"extensions": ["ENHANCEDSTATUSCODES"], "rules": []}
    client = ["hostname client.example"]
    for w in ("greeting", "envelope", "data", "transfer", "data2"):
        client.append("timeout %s %d override" % (w, TIMEOUT_MS))
    if step == "starttls":
        server["extensions"].append("STARTTLS")
        server["tls"] = {"cert": os.path.join(certdir, "server.pem"),
                         "key": os.path.join(certdir, "server.key")}
        client += ["starttls required", "ev_set INVALID_PEER_CERTIFICATE 1",
                   "ev_set WRONG_PEER_CERTIFICATE 1", "ev_set NO_PEER_CERTIFICATE 1"]
    if step == "auth":
        server["extensions"].append("AUTH PLAIN")
        client.append('auth "user" "secret"')
    if step == "bdat":
        server["extensions"].append("CHUNKING")
    verb, n = RULE[step]
    rule = {"verb": verb, "reply": fault_steps(step, kind)}
    if n:
        rule["n"] = n
    if step == "rset":
        # the first message fails at the final dot, so RSET follows
        server["rules"].append({"verb": ".", "n": 1, "reply": ["554 5.6.0 refused"]})
    server["rules"].insert(0, rule)
    client += ["message", 'reverse_path "alice@example.org"']
    if step == "midbody":
        size = 16_000_000 if kind == "stall" else 4_000_000
        client.append("content_gen lines %d" % size)
    else:
        client.append('content_str "Subject: fault\\r\\n\\r\\nbody line\\r\\n.dot\\r\\n"')
    client += ['rcpt "bob@example.org"', 'rcpt "carol@example.org"']
    if step == "rset":
        client += ["message", 'reverse_path "alice@example.org"',
                   'content_str "Subject: second\\r\\n\\r\\nb\\r\\n"', 'rcpt "dave@example.org"']
    client.append("run")
    options = {"connections": 1, "timeout": 20, "allow_abnormal": True}
    return {"server": server, "client": client, "options": options,
            "desc": "fault %s at %s" % (kind, step)}


# ---------------------------------------------------------------- expectations
# (return value, set of acceptable smtp_errno).  From protocol.md: a failure
# while reading the greeting -> 0 with 3/4/5/19 (15); a read timeout at the
# start of a reply -> 1, 3 (13.4); any later drop / unreadable reply -> 1
# with 3/4/5/19 (9.8, Q-RET1); STARTTLS failure with starttls required ->
# 1 with 3, 4, 6, 19 or 20 (tls-auth.md).  OK = the documented success:
# 1 and smtp_errno unchanged (0 in the driver's fresh thread).
ERR = {3, 4, 5, 19}
OK = (1, {0})


def expect(step, kind):
    if kind == "nul8bit":
        if step == "midbody":
            return (1, {0})          # a 554 final reply (with odd bytes): refused, no error
        return OK
    if kind == "extra":
        if step == "midbody":
            return (1, {0})          # the early 554 is taken as the final reply
        if step == "starttls":
            return (1, ERR | {6, 20})  # plaintext injected before TLS: refused
        if step == "quit":
            return OK
        # the extra reply desynchronises the dialogue: some later reply is
        # "unexpected"; the client may detect it (errno) or not
        return (1, ERR | {0, 6})
    if step == "greeting":
        if kind == "stall":
            return (1, {3})          # Q-GREETTIMEOUT (13.4)
        return (0, ERR)
    if step == "quit":
        return (1, ERR | {0})        # all mail sent; the QUIT reply failure may set errno
    # an unreadable EHLO reply is not a refusal: QUIT, return 1 (9.8); only
    # the greeting and HELO handlers return 0 / try the next address
    if step == "starttls":
        return (1, ERR | {6, 20})
    if step == "midbody" and kind in ("garbage", "hugeline"):
        return (1, ERR | {0})        # read as the final reply: refused/unreadable
    if step == "bdat" and kind == "garbage":
        return (1, ERR | {6})        # an unreadable BDAT reply reads as an impossible status (15)
    return (1, ERR)


# ---------------------------------------------------------------- parsing

RUN_RE = re.compile(r"^RUN 1 -> (-?\d+) smtp_errno=(-?\d+)")


def parse(lines):
    """Return value, errno, final statuses {name: code}, abnormal lines."""
    ret = errno = None
    statuses = {}
    abnormal = [l for l in lines if l.startswith(("DRIVER killed", "DRIVER exit", "HARNESS"))]
    in_final = False
    cur = None
    for l in lines:
        m = RUN_RE.match(l)
        if m:
            ret, errno = int(m.group(1)), int(m.group(2))
        if l.startswith("DUMP final"):
            in_final = True
            continue
        if l.startswith("--- server transcript"):
            in_final = False
        if not in_final:
            continue
        s = l.strip()
        if re.match(r"^m\d+(\.r\d+)?( |$)", s):
            cur = s.split()[0]
        m2 = re.match(r"^(reverse_path_status|transfer_status|status): code=(-?\d+)", s)
        if m2 and cur:
            statuses["%s.%s" % (cur, m2.group(1))] = int(m2.group(2))
    return ret, errno, statuses, abnormal


def check_ours(step, kind, lines):
    ret, errno, st, abnormal = parse(lines)
    problems = []
    if abnormal:
        problems += abnormal[:5]
    if ret is None:
        problems.append("no RUN result (crash or hang)")
        return problems
    want_ret, want_errno = expect(step, kind)
    if ret != want_ret or errno not in want_errno:
        problems.append("ret=%d errno=%d, documented ret=%d errno in %s"
                        % (ret, errno, want_ret, sorted(want_errno)))
    tcode = st.get("m0.transfer_status", 0)
    destroyed = kind in ("drop", "stall", "garbage", "hugeline") or (
        step == "midbody")
    if destroyed and step in BEFORE_FINAL and 200 <= tcode < 300:
        problems.append("m0 reported delivered (transfer status %d) but the server never "
                        "accepted the final dot" % tcode)
    if step == "rset" and 200 <= tcode < 300:
        problems.append("m0 reported delivered though its final dot got 554")
    if kind in ("drop", "stall", "garbage", "hugeline") and step in ("rcpt1", "rcpt2"):
        r = "m0.r0.status" if step == "rcpt1" else "m0.r1.status"
        if 200 <= st.get(r, 0) < 300:
            problems.append("%s is 2xx though its RCPT reply was destroyed" % r)
    return problems


def summary(lines):
    ret, errno, st, abnormal = parse(lines)
    crash = [l for l in abnormal if "killed" in l or "TIMEOUT" in l]
    return {"ret": ret, "errno": errno, "statuses": st, "crash": crash}


def load_known():
    known = {}
    p = os.path.join(HERE, "known-differences.txt")
    if os.path.exists(p):
        for l in open(p):
            l = l.split("#", 1)[0].strip()
            if l:
                parts = l.split(None, 1)
                known[parts[0]] = parts[1] if len(parts) > 1 else ""
    return known


# Representative subset under valgrind (fast cases only: no stalls, no big bodies).
VALGRIND_CASES = ["greeting-drop", "ehlo-garbage", "starttls-drop", "starttls-extra", "auth-drop",
                  "mail-hugeline", "rcpt1-drop", "rcpt2-garbage", "data-nul8bit", "dot-drop",
                  "dot-extra", "bdat-drop", "bdat-garbage", "rset-drop", "quit-drop",
                  "mail-extra"]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("lib", help="directory with our libesmtp.so.6")
    ap.add_argument("--include", default=os.path.join(os.path.dirname(CAPI), "include"))
    ap.add_argument("--ref-lib", default="/usr/lib/x86_64-linux-gnu")
    ap.add_argument("--ref-include", default="/usr/include")
    ap.add_argument("--out", default=os.path.join(CAPI, "out", "faults"))
    ap.add_argument("--jobs", type=int, default=4,
                    help="parallel cases (default 4: the cases mostly wait on timeouts)")
    ap.add_argument("--no-ref", action="store_true", help="do not run libESMTP")
    ap.add_argument("--valgrind", action="store_true", help="also run the valgrind subset")
    ap.add_argument("--only", nargs="*", help="case names step-kind")
    ap.add_argument("--emit", help="write each case as a .scn file into this directory")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args()
    args.lib = os.path.abspath(args.lib)

    os.makedirs(args.out, exist_ok=True)
    certdir = diffrun.make_cert(args.out)
    diffrun.CERTDIR = certdir
    shim = os.path.join(args.out, "preload.so")
    diffrun.sh(["gcc"] + diffrun.CFLAGS + ["-shared", "-fPIC", "-o", shim] + diffrun.SHIM_SRC + ["-ldl"])
    shim_ours = os.path.join(args.out, "preload-keep-sigpipe.so")
    diffrun.sh(["gcc"] + diffrun.CFLAGS + ["-shared", "-fPIC", "-o", shim_ours] + diffrun.SHIM_SRC
               + [os.path.join(HERE, "keep_sigpipe.c"), "-ldl"])
    ours = diffrun.build(args.out, "driver-ours", args.include, args.lib)
    ref = None if args.no_ref else diffrun.build(args.out, "driver-ref", args.ref_include, args.ref_lib)
    vg = None
    if args.valgrind:
        vg = os.path.join(args.out, "driver-ours-valgrind")
        with open(vg, "w") as f:
            f.write("#!/bin/sh\nexec valgrind -q --error-exitcode=99 --leak-check=full "
                    "--errors-for-leak-kinds=definite --show-leak-kinds=definite "
                    "--trace-children=no %s \"$@\"\n" % ours)
        os.chmod(vg, 0o755)

    cases = [(s, k) for s in STEPS for k in KINDS]
    if args.only:
        cases = [c for c in cases if "%s-%s" % c in args.only]
    if args.emit:
        os.makedirs(args.emit, exist_ok=True)
        for s, k in cases:
            scn = scenario(s, k, "$CERTDIR")
            with open(os.path.join(args.emit, "f_%s_%s.scn" % (s, k)), "w") as f:
                f.write("# %s\n%%server\n%s\n%%client\n%s\n%%options\n%s\n"
                        % (scn["desc"], json.dumps(scn["server"]), "\n".join(scn["client"]),
                           json.dumps(scn["options"])))
    known = load_known()

    def job(item):
        kind, step, fk = item
        name = "%s-%s" % (step, fk)
        scn = scenario(step, fk, certdir)
        t0 = time.monotonic()
        if kind == "ours":
            lines, rc, _ = diffrun.run_once(scn, name, ours, args.lib, shim_ours, True)
        elif kind == "valgrind":
            scn["options"]["timeout"] = 60
            lines, rc, _ = diffrun.run_once(scn, name, vg, args.lib, shim_ours, True)
        else:
            lines, rc, _ = diffrun.run_once(scn, name, ref, args.ref_lib, shim, True)
        return kind, name, step, fk, lines, time.monotonic() - t0

    work = [("ours", s, k) for s, k in cases]
    if ref:
        work += [("ref", s, k) for s, k in cases]
    if vg:
        work += [("valgrind", s, k) for s, k in cases if "%s-%s" % (s, k) in VALGRIND_CASES]
    # longest first (stalls, mid-body) so the pool finishes together
    work.sort(key=lambda w: (w[2] != "stall", w[1] != "midbody"))
    results = {}
    t_start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
        for kind, name, step, fk, lines, dt in ex.map(job, work):
            results[(kind, name)] = (step, fk, lines, dt)

    passed = failed = 0
    ref_crash = []
    diffs_listed = []
    for s, k in cases:
        name = "%s-%s" % (s, k)
        step, fk, lines, dt = results[("ours", name)]
        problems = check_ours(s, k, lines)
        o = summary(lines)
        note = ""
        if ref:
            r = summary(results[("ref", name)][2])
            if r["crash"] or r["ret"] is None:
                ref_crash.append("%s: %s" % (name, "; ".join(r["crash"]) or "no result"))
                note = " [libESMTP: %s]" % ("; ".join(r["crash"]) or "no result")
            else:
                same = (o["ret"], o["errno"], o["statuses"]) == (r["ret"], r["errno"], r["statuses"])
                if not same:
                    d = []
                    if (o["ret"], o["errno"]) != (r["ret"], r["errno"]):
                        d.append("ret/errno ours %s/%s ref %s/%s" % (o["ret"], o["errno"], r["ret"], r["errno"]))
                    for key in sorted(set(o["statuses"]) | set(r["statuses"])):
                        if o["statuses"].get(key) != r["statuses"].get(key):
                            d.append("%s ours %s ref %s" % (key, o["statuses"].get(key), r["statuses"].get(key)))
                    if name in known:
                        note = " [differs from libESMTP as documented: %s]" % known[name]
                        diffs_listed.append(name)
                    else:
                        problems.append("differs from libESMTP, not in known-differences.txt: "
                                        + "; ".join(d))
                elif name in known:
                    note = " [matches libESMTP now: remove from known-differences.txt]"
        if problems:
            failed += 1
            print("FAIL fault %s (%.1fs) ret=%s errno=%s%s" % (name, dt, o["ret"], o["errno"], note))
            for p in problems:
                print("    " + p)
            if args.verbose:
                print("\n".join("      | " + l[:200] for l in lines[:80]))
        else:
            passed += 1
            print("PASS fault %s (%.1fs) ret=%s errno=%s%s" % (name, dt, o["ret"], o["errno"], note))
        if ("valgrind", name) in results:
            vlines = results[("valgrind", name)][2]
            vbad = [l for l in vlines if l.startswith(("DRIVER", "HARNESS"))]
            vparse = parse(vlines)
            if vbad or vparse[0] is None:
                failed += 1
                print("FAIL valgrind %s" % name)
                for l in vbad[:30]:
                    print("    " + l)
            else:
                passed += 1
                print("PASS valgrind %s (0 errors, 0 definite leaks)" % name)
    if ref_crash:
        print("# libESMTP 1.1.0 crashed or hung (not compared): %d" % len(ref_crash))
        for l in ref_crash:
            print("#   " + l)
    sys.stderr.write("faults: elapsed %.1fs\n" % (time.monotonic() - t_start))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
