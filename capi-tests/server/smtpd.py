#!/usr/bin/python3
"""Scriptable loopback SMTP test server for the esmtp-rs differential tests.

Usage:
  smtpd.py SCENARIO.json --port-file FILE --transcript FILE
           [--connections N] [--timeout SEC] [--settle-ms MS] [--host 127.0.0.1[,127.0.0.2...]]

The chosen port is written to --port-file and printed on stdout.  With several
--host addresses all listen on the same port (connections are numbered in
the order they are accepted, whichever address).

The scenario (JSON object) says what to answer.  Everything the client sends
is recorded, both as raw recv() chunks and as "groups" (the bytes that arrived
before the client fell silent for --settle-ms, i.e. what the client wrote
before it waited for a reply -- this is how pipelining shows).

Scenario keys (all optional):
  "greeting":   steps for the greeting (default ["220 test.local ESMTP ready"]);
                null = close at once without greeting.
  "extensions": list of EHLO keyword lines; builds the default EHLO reply
                ("250-test.local hello" + "250-EXT"... ).  Default: [] -> "250 test.local hello".
  "tls":        {"cert": path, "key": path} used by the STARTTLS step.
  "sequence":   true: RCPT without an accepted MAIL and DATA without an
                accepted RCPT get 503 (as real servers answer commands
                pipelined behind a refused MAIL); rules still come first.
  "rules":      list of rules, first match wins; unmatched commands get defaults.
                rule = {"verb": "RCPT", "n": 2, "conn": 1, "match": "regex",
                        "tls": false, "reply": [steps...]}
                verb: first word of the command line (upper-cased), or the pseudo
                verbs "@GREETING", "." (end of DATA content), "@AUTHDATA" (a line
                sent after a 334 reply), "@LINE" (matches any command).
                n: occurrence of that verb in this connection (1-based).
                conn: connection number (1-based).  match: regex searched in the
                command line (without CRLF).  tls: only before/after STARTTLS.
Steps (a reply is a list of steps, executed in order):
  "250 text"                   a reply line; CRLF is appended
  {"raw": "text"}              bytes sent as is (each char U+0000..U+00FF is one byte)
  {"stall": ms}                flush what is pending, then wait ms (ends early
                               if the client closes)
  {"close": true}              flush, then close the connection
  {"huge": N, "prefix": "250 ", "fill": "x", "crlf": true}  one line of N fill bytes
  {"tls": true}                flush, then wrap the socket in TLS (server side)
  {"nodata": true}             after a DATA reply starting with 3: do NOT enter
                               data mode (the next bytes are read as commands)
A reply whose last line starts with "354" (or any 3xx reply to DATA) switches
to data mode: content is read up to CRLF.CRLF and then the "." rule answers.
BDAT n [LAST]: exactly n bytes are read, then the BDAT rule answers.
Replies to one group of commands are sent in one write (unless a step
flushes), so the client sees them in one read.

Transcript (JSON): {"connections": [{"recv": [chunk...], "groups": [chunk...],
"sent": [chunk...], "end": "client-eof" | "server-close" | "timeout"}]} where
each chunk is a string with one char per byte (latin-1).
"""
import argparse
import json
import os
import re
import select
import signal
import socket
import ssl
import sys
import time

DEFAULTS = {
    "HELO": ["250 test.local"],
    "MAIL": ["250 2.1.0 sender ok"],
    "RCPT": ["250 2.1.5 recipient ok"],
    "DATA": ["354 go ahead"],
    ".": ["250 2.0.0 queued"],
    "BDAT": ["250 2.0.0 chunk ok"],
    "RSET": ["250 2.0.0 reset"],
    "NOOP": ["250 2.0.0 ok"],
    "XUSR": ["250 ok"],
    "ETRN": ["250 queuing started"],
    "QUIT": ["221 2.0.0 bye", {"close": True}],
    "STARTTLS": ["220 2.0.0 ready", {"tls": True}],
    "AUTH": ["235 2.7.0 authenticated"],
    "@AUTHDATA": ["235 2.7.0 authenticated"],
}

RECV_TIMEOUT = 10.0


def b2s(b):
    return b.decode("latin-1")


def s2b(s):
    return s.encode("latin-1")


class Closed(Exception):
    pass


class Conn:
    def __init__(self, srv, sock, number):
        self.srv = srv
        self.sock = sock
        self.number = number
        self.tls = False
        self.rec = {"recv": [], "groups": [], "sent": [], "end": None}
        self.out = bytearray()
        self.inbuf = bytearray()
        self.counts = {}
        self.in_transaction = self.recipient_accepted = False
        self.after_334 = False
        self.closed = False
        self.merge_next = False
        self.sent_at_read = 0

    # ---- output ----
    def flush(self):
        if self.out and not self.closed:
            data = bytes(self.out)
            self.out.clear()
            self.rec["sent"].append(b2s(data))
            try:
                self.sock.sendall(data)
            except OSError:
                raise Closed("client-eof")

    def stall(self, ms):
        self.flush()
        end = time.monotonic() + ms / 1000.0
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return
            r, _, _ = select.select([self.sock], [], [], left)
            if r:
                try:
                    peek = self.sock.recv(1, socket.MSG_PEEK) if not self.tls else b"x"
                except OSError:
                    peek = b""
                if not peek:
                    raise Closed("client-eof")
                # data waiting: just sleep out the rest
                time.sleep(max(0.0, end - time.monotonic()))
                return

    def run_steps(self, steps, verb):
        enter_data = verb == "DATA"
        last_line = None
        for st in steps:
            if isinstance(st, str):
                self.out += s2b(st) + b"\r\n"
                last_line = st
            elif "raw" in st:
                self.out += s2b(st["raw"])
                tail = [l for l in st["raw"].replace("\r", "").split("\n") if l]
                if tail:
                    last_line = tail[-1]
            elif "stall" in st:
                self.stall(st["stall"])
            elif "close" in st:
                self.flush()
                raise Closed("server-close")
            elif "huge" in st:
                line = s2b(st.get("prefix", "250 ")) + s2b(st.get("fill", "x")) * int(st["huge"])
                if st.get("crlf", True):
                    line += b"\r\n"
                self.out += line
                last_line = b2s(line)
            elif "tls" in st:
                self.flush()
                self.start_tls()
            elif "nodata" in st:
                enter_data = False
        code3 = last_line is not None and last_line[:1] == "3"
        self.after_334 = last_line is not None and last_line.startswith("334")
        return enter_data and code3

    def start_tls(self):
        cfg = self.srv.scn.get("tls") or {}
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cfg.get("cert"), cfg.get("key"))
        try:
            ctx.num_tickets = 0  # no post-handshake tickets (libESMTP TLS 1.3 hang)
        except (AttributeError, ValueError):
            pass
        if cfg.get("max_tls12"):
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        self.sock.settimeout(5.0)
        try:
            self.sock = ctx.wrap_socket(self.sock, server_side=True)
        except (OSError, ssl.SSLError) as e:
            self.rec["tls_error"] = str(e)
            raise Closed("tls-failed")
        self.sock.settimeout(None)
        self.tls = True
        self.rec["tls"] = True

    # ---- input ----
    def read_group(self):
        """Read until the client is silent for settle ms; returns bytes."""
        settle = self.srv.settle
        got = bytearray()
        deadline = time.monotonic() + RECV_TIMEOUT
        while True:
            if self.tls and self.sock.pending():
                ready = True
            else:
                wait = settle if got else max(0.0, deadline - time.monotonic())
                ready = bool(select.select([self.sock], [], [], wait)[0])
            if not ready:
                if got:
                    break
                raise Closed("timeout")
            try:
                data = self.sock.recv(65536)
            except ssl.SSLWantReadError:
                continue
            except OSError:
                data = b""
            if not data:
                if got:
                    self.rec["recv"].append(b2s(data))
                    self.pending_eof = True
                    break
                raise Closed("client-eof")
            self.rec["recv"].append(b2s(data))
            got += data
        if self.merge_next and self.rec["groups"]:
            # the previous group got no reply, so the client cannot have been
            # waiting: it is the same write group (split by scheduling)
            self.rec["groups"][-1] += b2s(bytes(got))
        else:
            self.rec["groups"].append(b2s(bytes(got)))
        self.merge_next = False
        self.sent_at_read = len(self.rec["sent"])
        return bytes(got)

    def rule_for(self, verb, line):
        n = self.counts.get(verb, 0)
        for r in self.srv.scn.get("rules", []):
            rv = r.get("verb", "@LINE")
            if rv != "@LINE" and rv != verb:
                continue
            if "n" in r and r["n"] != n:
                continue
            if "conn" in r and r["conn"] != self.number:
                continue
            if "tls" in r and bool(r["tls"]) != self.tls:
                continue
            if "match" in r and not re.search(r["match"], line):
                continue
            return r["reply"]
        if verb == "@GREETING":
            return self.srv.scn.get("greeting", ["220 test.local ESMTP ready"])
        if verb == "EHLO":
            exts = self.srv.scn.get("extensions", [])
            lines = ["250 test.local hello"] if not exts else ["250-test.local hello"]
            for i, e in enumerate(exts):
                lines.append(("250 " if i == len(exts) - 1 else "250-") + e)
            return lines
        return DEFAULTS.get(verb, ["500 5.5.2 command not recognized"])

    def answer(self, verb, line):
        self.counts[verb] = self.counts.get(verb, 0) + 1
        steps = self.rule_for(verb, line)
        if self.srv.scn.get("sequence"):
            steps = self.in_sequence(verb, steps)
        return self.run_steps(steps, verb)

    def in_sequence(self, verb, steps):
        """The "sequence" key: a transaction's state, and 503 out of it."""
        default = steps is DEFAULTS.get(verb)
        if default and verb == "RCPT" and not self.in_transaction:
            steps = ["503 5.5.1 need MAIL command"]
        elif default and verb == "DATA" and not self.recipient_accepted:
            steps = ["503 5.5.1 need RCPT command"]
        first = next((x for x in steps if isinstance(x, str)), "")
        ok = first.startswith("2")
        if verb == "MAIL":
            self.in_transaction, self.recipient_accepted = ok, False
        elif verb == "RCPT" and ok:
            self.recipient_accepted = True
        elif verb in (".", "RSET") or (verb == "DATA" and not first.startswith("3")):
            self.in_transaction = self.recipient_accepted = False
        return steps

    def serve(self):
        self.pending_eof = False
        greet = self.srv.scn.get("greeting", ["220 test.local ESMTP ready"])
        if greet is None:
            raise Closed("server-close")
        self.answer("@GREETING", "")
        self.flush()
        mode = "cmd"          # cmd | data | bdat
        bdat_left = 0
        while True:
            if self.pending_eof:
                raise Closed("client-eof")
            self.inbuf += self.read_group()
            while True:
                if mode == "data":
                    buf = bytes(self.inbuf)
                    if buf.startswith(b".\r\n"):
                        end, skip = 0, 3
                    else:
                        i = buf.find(b"\r\n.\r\n")
                        if i < 0:
                            break
                        end, skip = i + 2, i + 5
                    del self.inbuf[:skip]
                    mode = "cmd"
                    self.answer(".", ".")
                    continue
                if mode == "bdat":
                    if len(self.inbuf) < bdat_left:
                        break
                    del self.inbuf[:bdat_left]
                    mode = "cmd"
                    self.answer("BDAT", self.bdat_line)
                    continue
                i = self.inbuf.find(b"\n")
                if i < 0:
                    break
                raw = bytes(self.inbuf[:i + 1])
                del self.inbuf[:i + 1]
                line = b2s(raw).rstrip("\r\n")
                if self.after_334:
                    self.after_334 = False
                    self.answer("@AUTHDATA", line)
                    continue
                verb = line.split(" ", 1)[0].upper() if line else ""
                if verb == "BDAT":
                    m = re.match(r"BDAT\s+(\d+)", line, re.I)
                    if m:
                        bdat_left = int(m.group(1))
                        self.bdat_line = line
                        mode = "bdat"
                        continue
                if self.answer(verb, line):
                    mode = "data"
            self.flush()
            if len(self.rec["sent"]) == self.sent_at_read:
                self.merge_next = True


class Server:
    def __init__(self, args):
        with open(args.scenario) as f:
            self.scn = json.load(f)
        self.args = args
        self.settle = args.settle_ms / 1000.0
        self.transcript = {"connections": []}

    def save(self):
        tmp = self.args.transcript + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.transcript, f, indent=1)
        os.replace(tmp, self.args.transcript)

    def main(self):
        # --host may list several addresses: all listen on the same port
        listeners = []
        port = 0
        for host in self.args.host.split(","):
            fam = socket.AF_INET6 if ":" in host else socket.AF_INET
            ls = socket.socket(fam, socket.SOCK_STREAM)
            ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            ls.bind((host, port))
            ls.listen(8)
            port = ls.getsockname()[1]
            listeners.append(ls)
        tmp = self.args.port_file + ".tmp"
        with open(tmp, "w") as f:
            f.write("%d\n" % port)
        os.replace(tmp, self.args.port_file)
        print(port, flush=True)
        self.save()
        deadline = time.monotonic() + self.args.timeout
        for number in range(1, self.args.connections + 1):
            left = deadline - time.monotonic()
            ready = select.select(listeners, [], [], left)[0] if left > 0 else []
            if not ready:
                break
            sock, _ = ready[0].accept()
            conn = Conn(self, sock, number)
            conn.rec["addr"] = sock.getsockname()[0]
            self.transcript["connections"].append(conn.rec)
            try:
                conn.serve()
            except Closed as e:
                conn.rec["end"] = str(e)
            except Exception as e:  # keep the transcript even on a server bug
                conn.rec["end"] = "server-error: %r" % (e,)
            try:
                conn.flush()
            except Closed:
                pass
            conn.closed = True
            try:
                conn.sock.close()
            except OSError:
                pass
            self.save()
        for ls in listeners:
            ls.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("scenario")
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--transcript", required=True)
    ap.add_argument("--connections", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--settle-ms", type=float, default=30.0)
    ap.add_argument("--host", default="127.0.0.1")
    args = ap.parse_args()
    srv = Server(args)

    def bail(signum, frame):
        srv.save()
        os._exit(3)
    signal.signal(signal.SIGTERM, bail)
    signal.signal(signal.SIGALRM, bail)
    signal.alarm(int(args.timeout) + 5)   # hard overall limit
    srv.main()
    srv.save()


if __name__ == "__main__":
    main()
