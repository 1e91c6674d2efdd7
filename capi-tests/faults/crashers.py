#!/usr/bin/python3
"""Every known libESMTP 1.1.0 crash input, run against OUR library through
the C driver (../driver/driver.c): it must not crash and must do the
documented safe thing.

    capi-tests/faults/crashers.sh OUR_LIB_DIR [--valgrind]

Inputs: ../scenarios/crashers/*.scn (crashers.txt) and ./crashers/*.scn
(the ones crashers.txt lists without a scenario, and api.md/tls-auth.md's
list).  SIGPIPE is NOT ignored in these runs (keep_sigpipe.c).  Crash
inputs covered elsewhere (not duplicated) are listed in COVERED_ELSEWHERE
and printed, so the full list is in one place.  Ends with
"N passed, N failed".
"""
import argparse
import concurrent.futures
import importlib.util
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CAPI = os.path.dirname(HERE)
spec = importlib.util.spec_from_file_location("diffrun", os.path.join(CAPI, "diff", "run.py"))
diffrun = importlib.util.module_from_spec(spec)
spec.loader.exec_module(diffrun)

UPSTREAM = os.path.join(CAPI, "scenarios", "crashers")
OURS = os.path.join(HERE, "crashers")

# name -> (lines that must appear (regex), lines that must not appear (regex))
RUN_OK = r"^RUN 1 -> 1 smtp_errno=0 "
# smtp_errno is sticky (Q-STALEERRNO): the refused setter's 7 is still there
RUN_STALE7 = r"^RUN 1 -> 1 smtp_errno=7 .*\n?"
EXPECT = {
    "c_sender_null_null": ([r'^API smtp_set_header\(Sender\b.*-> 1', RUN_OK, r"^    QUIT"],
                           [r"^    Sender:"]),
    "c_override_without_value": ([RUN_OK, r"^    X-Foo: app\\r\\n"], []),
    "c_etrn_continue_no_message": ([r"^RUN 1 -> 1 ", r"^    QUIT\\r\\n"], [r"^    ETRN"]),
    "c_envid_null": ([r"^API smtp_dsn_set_envid.* -> 0 errno=7", RUN_STALE7], [r"ENVID="]),
    "c_orcpt_null": ([r"^API smtp_dsn_set_orcpt.* -> 0 errno=7", RUN_STALE7], [r"ORCPT="]),
    "c_date_null": ([r'^API smtp_set_header\(Date\b.*-> 1', RUN_OK, r"^    Date: "], []),
    "c_from_phrase_null_mailbox": ([r'^API smtp_set_header\(From\b.*-> 1', RUN_OK],
                                   [r"Phrase", r"\(null\)"]),
    "c_xtext_overflow": ([RUN_OK, r"ENVID=(\+2B){98}"], [r"\(null\)"]),
    "x_sender_phrase_null_mailbox": ([r'^API smtp_set_header\(Sender\b.*-> 1', RUN_OK],
                                     [r"Phrase", r"\(null\)"]),
    "x_to_phrase_null_mailbox": ([r'^API smtp_set_header\(To\b.*-> 1', RUN_OK], [r"Phrase", r"\(null\)"]),
    "x_dnt_phrase_null_mailbox": ([r'^API smtp_set_header\(Disposition-Notification-To\b.*-> 1', RUN_OK],
                                  [r"Phrase", r"\(null\)"]),
    "x_sigpipe_plain": ([r"^RUN 1 -> 1 smtp_errno=3 "], [r"transfer_status: code=2"]),
    "x_sigpipe_tls": ([r"^RUN 1 -> 1 smtp_errno=(3|20) ", r"^EV STARTTLS_OK"], [r"transfer_status: code=2"]),
    "x_sigpipe_quit_on_closed": ([r"^RUN 1 -> 1 smtp_errno=3 "], []),
    "x_starttls_twice_one_session": ([r"^RUN 1 -> 1 smtp_errno=0 ", r"^RUN 2 -> 1 smtp_errno=0 ",
                                      r"^CONNECTION 2 .* tls"], []),
}

COVERED_ELSEWHERE = [
    ("smtp_starttls_set_ctx(s, NULL)", "capi-tests/unit/null_sweep.c (INVAL), capi-tests/unit/api_objects.c hardened"),
    ("smtp_enumerate_recipients(m, NULL, arg) with recipients", "capi-tests/unit/null_sweep.c, api_objects.c hardened"),
    ("smtp_dsn_set_envid(m, NULL) / smtp_dsn_set_orcpt NULL args (A-7)", "null_sweep.c + c_envid_null, c_orcpt_null here"),
    ("second STARTTLS session in one process, after destroy (A-12, Q1)", "capi-tests/tls/run.sh t23-two-sessions, t25-sequential-ours-only; capi-tests/threads (16 threads)"),
    ("Cc with a NULL mailbox (H-7)", "capi-tests/scenarios/h_cc_null_mailbox.scn (differential), null_sweep.c"),
    ("SIGPIPE on a closed connection (Q-SIGPIPE)", "x_sigpipe_* here; every fault case (capi-tests/faults/run.sh, e.g. midbody-drop)"),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lib")
    ap.add_argument("--include", default=os.path.join(os.path.dirname(CAPI), "include"))
    ap.add_argument("--out", default=os.path.join(CAPI, "out", "crashers"))
    ap.add_argument("--valgrind", action="store_true")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    args.lib = os.path.abspath(args.lib)
    os.makedirs(args.out, exist_ok=True)
    diffrun.CERTDIR = diffrun.make_cert(args.out)
    shim = os.path.join(args.out, "preload-keep-sigpipe.so")
    diffrun.sh(["gcc"] + diffrun.CFLAGS + ["-shared", "-fPIC", "-o", shim] + diffrun.SHIM_SRC
               + [os.path.join(HERE, "keep_sigpipe.c"), "-ldl"])
    drv = diffrun.build(args.out, "driver-ours", args.include, args.lib)
    if args.valgrind:
        vg = os.path.join(args.out, "driver-ours-valgrind")
        with open(vg, "w") as f:
            f.write("#!/bin/sh\nexec valgrind -q --error-exitcode=99 --leak-check=full "
                    "--errors-for-leak-kinds=definite --show-leak-kinds=definite %s \"$@\"\n" % drv)
        os.chmod(vg, 0o755)
        drv = vg

    paths = []
    for d in (UPSTREAM, OURS):
        for f in sorted(os.listdir(d)):
            if f.endswith(".scn"):
                paths.append((f[:-4], os.path.join(d, f)))

    def job(item):
        name, path = item
        scn = diffrun.load_scenario(path)
        # upstream crashers that crash libESMTP before connecting say
        # connections 0; ours gets as far as the transfer
        scn["options"]["connections"] = max(1, sum(1 for l in scn["client"] if l.strip() == "run"))
        scn["options"]["timeout"] = 60 if args.valgrind else 20
        lines, rc, dt = diffrun.run_once(scn, name, drv, args.lib, shim, True)
        return name, lines, rc

    passed = failed = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as ex:
        for name, lines, rc in ex.map(job, paths):
            probs = []
            if rc != 0:
                probs.append("driver ended abnormally: %s" % rc)
                probs += [l for l in lines if l.startswith(("DRIVER", "HARNESS"))][:20]
            must, mustnot = EXPECT.get(name, ([RUN_OK], []))
            if name not in EXPECT:
                probs.append("no expectation for this crash input: add one to crashers.py")
            for rx in must:
                if not any(re.search(rx, l) for l in lines):
                    probs.append("missing: /%s/" % rx)
            for rx in mustnot:
                hit = [l for l in lines if re.search(rx, l) and not l.startswith(("API", "#"))]
                if hit:
                    probs.append("unexpected /%s/: %s" % (rx, hit[0][:160]))
            tag = "crasher%s %s" % (" (valgrind)" if args.valgrind else "", name)
            if probs:
                failed += 1
                print("FAIL " + tag)
                for p in probs:
                    print("    " + p)
            else:
                passed += 1
                print("PASS " + tag)
    for what, where in COVERED_ELSEWHERE:
        print("# also covered: %s -> %s" % (what, where))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
