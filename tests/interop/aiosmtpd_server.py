#!/usr/bin/python3
"""aiosmtpd_server.py: a loopback aiosmtpd instance for the interop tests.

Saves every accepted message as OUTDIR/<n>.eml (the content bytes exactly as
aiosmtpd received them, after dot-unstuffing) and OUTDIR/<n>.env (envelope:
MAIL FROM, its parameters, the recipients, the AUTH identity, TLS on/off).
Writes the listening port to PORT_FILE once ready; runs until SIGTERM/SIGINT
or --timeout seconds (a safety net so a forgotten server never stays).
"""
import argparse
import os
import signal
import socket
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword, SMTP


class Saver:
    def __init__(self, outdir):
        self.outdir = outdir
        self.n = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.n += 1
            n = self.n
        base = os.path.join(self.outdir, str(n))
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content)
        with open(base + ".env", "w") as f:
            f.write("MAIL %s %s\n" % (envelope.mail_from, " ".join(envelope.mail_options)))
            for r in envelope.rcpt_tos:
                f.write("RCPT %s\n" % r)
            f.write("AUTH %s\n" % ("yes" if getattr(session, "authenticated", False) else "no"))
            f.write("TLS %s\n" % ("yes" if session.ssl else "no"))
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 OK saved as %d" % n


def free_port(host):
    s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    s.bind((host, 0))
    p = s.getsockname()[1]
    s.close()
    return p


class MyController(Controller):
    def __init__(self, handler, host, port, tls_context, auth):
        self.tls_context_ = tls_context
        self.auth_ = auth
        super().__init__(handler, hostname=host, port=port)

    def factory(self):
        kw = {}
        if self.tls_context_ is not None:
            kw["tls_context"] = self.tls_context_
        if self.auth_ is not None:
            user, pw = self.auth_

            def authenticator(server, session, envelope, mechanism, auth_data):
                ok = (isinstance(auth_data, LoginPassword)
                      and auth_data.login.decode() == user
                      and auth_data.password.decode() == pw)
                return AuthResult(success=ok, handled=False)

            kw["authenticator"] = authenticator
            kw["auth_require_tls"] = False
        return SMTP(self.handler, hostname="aiosmtpd.interop.test",
                    decode_data=False, enable_SMTPUTF8=True, **kw)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--outdir", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--auth", help="user:password")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--host", default="127.0.0.1", choices=["127.0.0.1", "::1"])
    a = ap.parse_args()

    ctx = None
    if a.cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.cert, a.key)
    auth = tuple(a.auth.split(":", 1)) if a.auth else None

    for _ in range(20):
        c = MyController(Saver(a.outdir), a.host, free_port(a.host), ctx, auth)
        try:
            c.start()
            break
        except Exception:  # port taken meanwhile: try another one
            continue
    else:
        sys.exit("aiosmtpd_server: could not start")

    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    with open(a.port_file + ".tmp", "w") as f:
        f.write("%d\n" % c.port)
    os.rename(a.port_file + ".tmp", a.port_file)
    done.wait(a.timeout)
    c.stop()


if __name__ == "__main__":
    main()
