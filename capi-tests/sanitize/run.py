#!/usr/bin/python3
"""Sanitizer pass (issue 10): the C tests built with
-fsanitize=address,undefined and run against OUR library.

    capi-tests/sanitize/run.sh OUR_LIB_DIR

* capi-tests/unit/*.c (api_objects normal + hardened, null_sweep);
* the generic driver (capi-tests/driver/driver.c) on every differential
  scenario, the libESMTP crash inputs and the crashers of capi-tests/faults;
* the thread test (capi-tests/threads, -fsanitize=address,undefined).

ASAN_OPTIONS=detect_leaks=1: LeakSanitizer sees every malloc, including
the Rust library's (it uses the system allocator), so leaks on either side
are reported.  Only the C side is instrumented for addressability and UB:
the Rust library and OpenSSL are not compiled with sanitizers (their
memory errors are not detected here; Rust's own tests and valgrind cover
that side).  A pass needs exit status 0 and no sanitizer report.
Ends with "N passed, N failed".
"""
import argparse
import concurrent.futures
import importlib.util
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CAPI = os.path.dirname(HERE)
TOP = os.path.dirname(CAPI)
spec = importlib.util.spec_from_file_location("diffrun", os.path.join(CAPI, "diff", "run.py"))
diffrun = importlib.util.module_from_spec(spec)
spec.loader.exec_module(diffrun)

SAN = ["-fsanitize=address,undefined", "-fno-omit-frame-pointer", "-fno-sanitize-recover=undefined", "-g"]
REPORT = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:", "SUMMARY: UndefinedBehaviorSanitizer")

ENV = {
    # the harness preloads its fake clock: ASan must not insist on coming first
    "ASAN_OPTIONS": "detect_leaks=1:verify_asan_link_order=0:abort_on_error=0:exitcode=86",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1",
    "LSAN_OPTIONS": "suppressions=" + os.path.join(HERE, "lsan.supp"),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lib")
    ap.add_argument("--include", default=os.path.join(TOP, "include"))
    ap.add_argument("--out", default=os.path.join(CAPI, "out", "sanitize"))
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--no-scenarios", action="store_true")
    args = ap.parse_args()
    lib = os.path.abspath(args.lib)
    os.makedirs(args.out, exist_ok=True)
    os.environ.update(ENV)
    passed = failed = 0

    def result(ok, name, detail=""):
        nonlocal passed, failed
        if ok:
            passed += 1
            print("PASS sanitize %s" % name)
        else:
            failed += 1
            print("FAIL sanitize %s" % name)
            if detail:
                print("\n".join("    " + l for l in detail.splitlines()[:40]))
        sys.stdout.flush()

    # ---- unit tests
    unit = os.path.join(CAPI, "unit")
    for t, argv in (("api_objects", []), ("api_objects", ["hardened"]), ("null_sweep", [])):
        exe = os.path.join(args.out, t + ".asan")
        b = subprocess.run(["gcc", "-Wall", "-Wextra", "-Werror", "-std=c11"] + SAN +
                           ["-I", unit, "-I", args.include, "-o", exe, os.path.join(unit, t + ".c"),
                            "-L", lib, "-Wl,-rpath," + lib, "-lesmtp", "-lssl", "-lcrypto", "-lpthread"],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        if b.returncode != 0:
            result(False, "build " + t, b.stdout)
            continue
        env = dict(os.environ, EXPECT_LIBESMTP=lib)
        try:
            r = subprocess.run([exe] + argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env=env, timeout=120, errors="replace")
            out, rc = r.stdout, r.returncode
        except subprocess.TimeoutExpired:
            out, rc = "timeout", "TIMEOUT"
        bad = [l for l in out.splitlines() if l.startswith(REPORT) or any(x in l for x in REPORT)]
        result(rc == 0 and not bad, "unit %s %s" % (t, " ".join(argv)),
               "exit %s\n%s" % (rc, "\n".join(bad) or out[-2000:]))

    # ---- driver on scenarios
    if not args.no_scenarios:
        drv = os.path.join(args.out, "driver-asan")
        diffrun.sh(["gcc"] + diffrun.CFLAGS + SAN + ["-I", args.include, "-o", drv, diffrun.DRIVER_SRC,
                    os.path.join(lib, "libesmtp.so.6"), "-Wl,-rpath," + lib, "-Wl,--disable-new-dtags"])
        diffrun.CERTDIR = diffrun.make_cert(args.out)
        shim = os.path.join(args.out, "preload.so")
        diffrun.sh(["gcc"] + diffrun.CFLAGS + ["-shared", "-fPIC", "-o", shim] + diffrun.SHIM_SRC + ["-ldl"])
        scen = []
        for d in (os.path.join(CAPI, "scenarios"), os.path.join(CAPI, "scenarios", "crashers"),
                  os.path.join(CAPI, "faults", "crashers")):
            scen += [(f[:-4], os.path.join(d, f)) for f in sorted(os.listdir(d)) if f.endswith(".scn")]

        def job(item):
            name, path = item
            scn = diffrun.load_scenario(path)
            scn["options"]["connections"] = max(1, scn["options"]["connections"])
            # driver stderr (where the sanitizers write) is appended by run_once
            # only on a non-zero exit; exitcode=86 makes every report non-zero
            lines, rc, _ = diffrun.run_once(scn, name, drv, lib, shim, True)
            return name, lines, rc

        with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as ex:
            for name, lines, rc in ex.map(job, scen):
                bad = [l for l in lines if any(x in l for x in REPORT)]
                # a scenario may legitimately make the driver exit non-zero
                # only through a sanitizer (86) or a crash (signal)
                crashed = rc == 86 or (isinstance(rc, int) and rc < 0) or rc == "TIMEOUT"
                result(not bad and not crashed, "driver %s" % name,
                       "exit %s\n%s" % (rc, "\n".join(bad[:20] or [l for l in lines if l.startswith("DRIVER")][:20])))

    # ---- threads
    r = subprocess.run([os.path.join(CAPI, "threads", "run.sh"), lib, "address"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=300)
    ok = r.returncode == 0
    result(ok, "threads (address,undefined)", r.stdout[-3000:])

    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
