#!/usr/bin/env python3
"""Benchmark esmtp-rs against Debian's libESMTP in the same run.

Builds bench/driver.c twice (against libESMTP and against ours), starts the
sink (bench/sink.c), pins client and sink to one CPU, runs each workload in
A B B A order, checks that every status was 2xx and every byte arrived, and
prints medians and ratios (ours / libESMTP). `--short` runs tiny sizes once
(used by `make check` so the benchmark cannot rot); the full run writes
docs/performance.md.
"""
import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
REF_DIR = os.environ.get("REFERENCE_LIB_DIR", "/usr/lib/x86_64-linux-gnu")


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


class Sink:
    def __init__(self, workdir, chunking, cpu):
        self.port_file = os.path.join(workdir, f"port-{chunking}")
        self.stats_file = os.path.join(workdir, f"stats-{chunking}")
        for f in (self.port_file, self.stats_file):
            if os.path.exists(f):
                os.unlink(f)
        cmd = [os.path.join(workdir, "sink"), "-p", self.port_file, "-s", self.stats_file]
        if not chunking:
            cmd.append("-n")
        if cpu is not None:
            cmd = ["taskset", "-c", str(cpu)] + cmd
        self.proc = subprocess.Popen(cmd)
        deadline = time.time() + 10
        while time.time() < deadline:
            if os.path.exists(self.port_file) and open(self.port_file).read().strip():
                break
            time.sleep(0.02)
        self.port = open(self.port_file).read().strip()
        open(self.stats_file, "a").close()

    def stats_since(self, offset):
        with open(self.stats_file) as f:
            f.seek(offset)
            rows = [list(map(int, line.split())) for line in f if line.strip()]
        return [sum(col) for col in zip(*rows)] if rows else [0, 0, 0, 0]

    def offset(self):
        return os.path.getsize(self.stats_file)

    def stop(self):
        self.proc.kill()
        self.proc.wait()


def parse(out):
    fields = dict(re.findall(r"(\w+)=([\d.]+)", out))
    return {k: float(v) for k, v in fields.items()}


def run_driver(binary, sink, args, cpu, wrapper=None, timeout=900):
    # Settle the sink's stats from any previous connection before reading.
    off = sink.offset()
    cmd = [binary, sink.port] + args
    if wrapper:
        cmd = wrapper + cmd
    if cpu is not None:
        cmd = ["taskset", "-c", str(cpu)] + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if p.returncode != 0 and not wrapper:
        raise SystemExit(f"driver failed: {' '.join(cmd)}\n{p.stdout}{p.stderr}")
    res = parse(p.stdout)
    time.sleep(0.05)
    msgs, payload, rcpts, _ = sink.stats_since(off)
    if not wrapper:
        if int(res["ok"]) != 1:
            raise SystemExit(f"not every status was 2xx: {p.stdout}")
        if msgs != int(res["messages"]) or payload != int(res["bytes"]) or rcpts != int(res["rcpts"]):
            raise SystemExit(
                f"data lost or corrupted: driver {p.stdout.strip()} sink messages={msgs} "
                f"payload={payload} rcpts={rcpts}")
    return res, p.stderr


def callgrind_instructions(binary, sink, args):
    if not shutil.which("valgrind"):
        return None
    _, err = run_driver(binary, sink, args, None,
                        wrapper=["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"])
    m = re.search(r"Collected : (\d+)", err)
    return int(m.group(1)) if m else None


def build(workdir, ours_dir):
    cflags = ["-O2", "-Wall", "-Wextra", "-Werror", "-std=c11"]
    sh(["gcc"] + cflags + ["-o", os.path.join(workdir, "sink"), os.path.join(HERE, "sink.c")])
    sh(["gcc"] + cflags + ["-I", os.path.join(TOP, "include"), "-o", os.path.join(workdir, "driver.ours"),
        os.path.join(HERE, "driver.c"), "-L", ours_dir, f"-Wl,-rpath,{ours_dir}", "-lesmtp"])
    sh(["gcc"] + cflags + ["-o", os.path.join(workdir, "driver.ref"), os.path.join(HERE, "driver.c"),
        os.path.join(REF_DIR, "libesmtp.so.6"), f"-Wl,-rpath,{REF_DIR}"])
    for name, d in (("ours", ours_dir), ("ref", REF_DIR)):
        out = subprocess.run(["ldd", os.path.join(workdir, f"driver.{name}")], capture_output=True,
                             text=True).stdout
        line = next((l for l in out.splitlines() if "libesmtp.so.6" in l), "")
        path = line.split("=>")[1].split()[0] if "=>" in line else ""
        if not path or not os.path.realpath(path).startswith(os.path.realpath(d)):
            raise SystemExit(f"driver.{name} does not load libesmtp from {d}: {line}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--short", action="store_true")
    ap.add_argument("--ours", default=os.environ.get("ESMTP_LIB_DIR", os.path.join(TOP, "build/lib")))
    ap.add_argument("--cpu", type=int, default=0)
    opts = ap.parse_args()
    if not os.path.exists(os.path.join(REF_DIR, "libesmtp.so.6")):
        print("SKIP bench: Debian's libesmtp6 is not installed")
        return 0 if not os.environ.get("CI") else 1
    cpu = opts.cpu if shutil.which("taskset") else None
    workdir = tempfile.mkdtemp(prefix="esmtp-bench-")
    build(workdir, os.path.abspath(opts.ours))
    data_sink = Sink(workdir, False, cpu)
    bdat_sink = Sink(workdir, True, cpu)
    s = opts.short
    # (name, sink, args, unit, pairs)
    workloads = [
        ("many 1 KiB x5000", data_sink, ["many", "1024", "20" if s else "5000"], "msgs/s", 2),
        ("many 2 KiB x2000", data_sink, ["many", "2048", "3" if s else "2000"], "msgs/s", 1),
        ("many 10 KiB x2000", data_sink, ["many", "10240", "3" if s else "2000"], "msgs/s", 1),
        ("rcpts x100000", data_sink, ["rcpts", "50" if s else "100000"], "rcpts/s", 2),
        ("sessions x1000", data_sink, ["sessions", "5" if s else "1000"], "sessions/s", 2),
        ("big DATA 50 MiB", data_sink, ["big", "1" if s else "50", "plain"], "MiB/s", 2),
        ("big DATA 50 MiB dots", data_sink, ["big", "1" if s else "50", "dots"], "MiB/s", 2),
        ("big DATA 500 MiB", data_sink, ["big", "2" if s else "500", "plain"], "MiB/s", 1),
        ("big DATA 500 MiB dots", data_sink, ["big", "2" if s else "500", "dots"], "MiB/s", 1),
        ("big BDAT 50 MiB", bdat_sink, ["big", "1" if s else "50", "plain"], "MiB/s", 2),
    ]
    drivers = {"ours": os.path.join(workdir, "driver.ours"), "ref": os.path.join(workdir, "driver.ref")}
    rows = []
    rss = {}
    try:
        for name, sink, args, unit, pairs in workloads:
            results = {"ours": [], "ref": []}
            order = ["ref", "ours", "ours", "ref"] * pairs if not s else ["ref", "ours"]
            if pairs == 1 and not s:
                order = ["ref", "ours"]
            for who in order:
                res, _ = run_driver(drivers[who], sink, args, cpu)
                if unit == "msgs/s" or unit == "sessions/s":
                    rate = res["messages"] / res["seconds"]
                elif unit == "rcpts/s":
                    rate = res["rcpts"] / res["seconds"]
                else:
                    rate = res["bytes"] / 1048576 / res["seconds"]
                results[who].append((rate, res["maxrss_kib"]))
            med = {w: statistics.median(r for r, _ in results[w]) for w in results}
            for w in results:
                rss[(name, w)] = max(k for _, k in results[w])
            rows.append((name, unit, med["ref"], med["ours"], med["ours"] / med["ref"]))
            print(f"{name:24s} libESMTP {med['ref']:12.1f}  ours {med['ours']:12.1f} {unit:10s} "
                  f"ratio {med['ours'] / med['ref']:.2f}", flush=True)
        instr = []
        if not s:
            for label, sink, args, per in (
                ("instructions per 1 KiB message", data_sink, ["many", "1024", "500"], 500),
                ("instructions per MiB through DATA", data_sink, ["big", "8", "plain"], 8),
                ("instructions per recipient", data_sink, ["rcpts", "5000"], 5000),
                ("instructions per session", data_sink, ["sessions", "50"], 50),
            ):
                ref_i = callgrind_instructions(drivers["ref"], sink, args)
                our_i = callgrind_instructions(drivers["ours"], sink, args)
                if ref_i and our_i:
                    instr.append((label, ref_i / per, our_i / per, our_i / ref_i))
                    print(f"{label:34s} libESMTP {ref_i / per:14.0f}  ours {our_i / per:14.0f} "
                          f"ratio {our_i / ref_i:.2f}", flush=True)
    finally:
        data_sink.stop()
        bdat_sink.stop()
    print("peak RSS (KiB): " + ", ".join(f"{n} {w}={k:.0f}" for (n, w), k in rss.items() if "big DATA" in n))
    if s:
        print("bench (short): every workload delivered every byte with 2xx statuses")
        return 0
    write_report(rows, instr, rss)
    return 0


def write_report(rows, instr, rss):
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    lines = [
        "# Performance: esmtp-rs against libESMTP 1.1 (same run)",
        "",
        f"Generated by `make bench` on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{platform.machine()}, {os.cpu_count()} CPUs ({cpu}), kernel {platform.release()}.",
        "Client and sink pinned to the same CPU, loopback. Workloads alternate A B B A; medians.",
        "The sink offers PIPELINING, 8BITMIME, SIZE; CHUNKING only for the BDAT row (libESMTP uses",
        "BDAT whenever the server offers it, so the DATA rows run against a sink without it).",
        "Every run is checked: every status 2xx, and the sink counted every message, recipient",
        "and (un-stuffed) byte.",
        "",
        "| workload | unit | libESMTP | esmtp-rs | ratio |",
        "|---|---|---:|---:|---:|",
    ]
    for name, unit, ref, ours, ratio in rows:
        lines.append(f"| {name} | {unit} | {ref:.1f} | {ours:.1f} | {ratio:.2f}x |")
    if instr:
        lines += ["", "| instructions (callgrind, client process) | libESMTP | esmtp-rs | ratio |",
                  "|---|---:|---:|---:|"]
        for label, ref, ours, ratio in instr:
            lines.append(f"| {label} | {ref:.0f} | {ours:.0f} | {ratio:.2f} |")
    lines += ["", "| peak RSS (KiB) | libESMTP | esmtp-rs |", "|---|---:|---:|"]
    for name, _, _, _, _ in rows:
        if (name, "ours") in rss:
            lines.append(f"| {name} | {rss[(name, 'ref')]:.0f} | {rss[(name, 'ours')]:.0f} |")
    lines += ["", "Reproduce: `make bench` (needs Debian's libesmtp6 and valgrind)."]
    with open(os.path.join(TOP, "docs", "performance.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
