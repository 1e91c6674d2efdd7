#!/usr/bin/env python3
"""demo_server.py: a tiny SMTP server for the demo (Python standard library).

Listens on 127.0.0.1 (a free port, written to PORT_FILE), accepts every
message, prints it, refuses recipients whose local part is "nobody" (so the
demo shows a per-recipient failure), and exits after --max-sessions sessions
or --timeout seconds.  Speaks EHLO with PIPELINING, 8BITMIME, SIZE.
"""
import argparse
import os
import socket
import sys


def serve(conn, out):
    f = conn.makefile("rwb", buffering=0)

    def reply(s):
        f.write(s.encode() + b"\r\n")

    reply("220 demo.localhost ESMTP demo_server.py")
    mail_from, rcpts = None, []
    while True:
        line = f.readline()
        if not line:
            return
        cmd = line.rstrip(b"\r\n").decode("utf-8", "replace")
        verb = cmd[:4].upper()
        if verb == "EHLO":
            reply("250-demo.localhost\r\n250-PIPELINING\r\n250-8BITMIME\r\n250 SIZE 10485760")
        elif verb == "HELO":
            reply("250 demo.localhost")
        elif verb == "MAIL":
            mail_from, rcpts = cmd[10:].split(">")[0].lstrip("<"), []
            reply("250 2.1.0 sender ok")
        elif verb == "RCPT":
            addr = cmd[8:].split(">")[0].lstrip("<")
            if addr.split("@")[0].lower() == "nobody":
                reply("550 5.1.1 <%s>: no such user here" % addr)
            else:
                rcpts.append(addr)
                reply("250 2.1.5 recipient ok")
        elif verb == "DATA":
            if not rcpts:
                reply("554 5.5.1 no valid recipients")
                continue
            reply("354 go ahead, end with <CRLF>.<CRLF>")
            data = []
            while True:
                l = f.readline()
                if not l or l == b".\r\n":
                    break
                data.append(l[1:] if l.startswith(b"..") else l)
            body = b"".join(data)
            out.write("---- server received %d bytes from <%s> for %s ----\n"
                      % (len(body), mail_from, ", ".join("<%s>" % r for r in rcpts)))
            out.write(body.decode("utf-8", "replace").replace("\r\n", "\n"))
            out.write("---- end of message ----\n")
            out.flush()
            reply("250 2.0.0 accepted for delivery (%d bytes)" % len(body))
        elif verb == "RSET":
            mail_from, rcpts = None, []
            reply("250 2.0.0 ok")
        elif verb == "NOOP":
            reply("250 2.0.0 ok")
        elif verb == "QUIT":
            reply("221 2.0.0 bye")
            return
        else:
            reply("502 5.5.2 command not implemented")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--max-sessions", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=60)
    a = ap.parse_args()
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(5)
    s.settimeout(a.timeout)
    with open(a.port_file + ".tmp", "w") as pf:
        pf.write("%d\n" % s.getsockname()[1])
    os.rename(a.port_file + ".tmp", a.port_file)
    for _ in range(a.max_sessions):
        try:
            conn, _addr = s.accept()
        except socket.timeout:
            sys.exit("demo_server: no client within %gs" % a.timeout)
        conn.settimeout(a.timeout)
        with conn:
            serve(conn, sys.stdout)


if __name__ == "__main__":
    main()
