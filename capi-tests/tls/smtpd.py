#!/usr/bin/env python3
"""A small scripted SMTP server with STARTTLS (Python standard library only)
for the STARTTLS C tests. Serves connections one after another on
127.0.0.1 until killed; prints its port on stdout, logs the transcript to
--log.

Options: --cert PEM (certificate + key; no STARTTLS offered without it),
--tickets N (TLS 1.3 session tickets to send, default 0),
--starttls-reply "454 ..." (refuse STARTTLS), --inject (send a plaintext
line right after the 220 to STARTTLS), --client-ca PEM (require a client
certificate), --tls12 (at most TLS 1.2), --auth-external (offer AUTH
EXTERNAL after TLS and accept the identity that is the client certificate's
CN)."""
import argparse, base64, socket, ssl, sys

p = argparse.ArgumentParser()
p.add_argument("--cert")
p.add_argument("--starttls-reply")
p.add_argument("--inject", action="store_true")
p.add_argument("--client-ca")
p.add_argument("--tls12", action="store_true")
p.add_argument("--tickets", type=int, default=0)
p.add_argument("--log", default="/dev/null")
p.add_argument("--auth-external", action="store_true")
a = p.parse_args()

ctx = None
if a.cert:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert)
    if a.client_ca:
        ctx.load_verify_locations(a.client_ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
    # TLS 1.3 session tickets make libESMTP 1.1 hang (quirk Q4), so none
    # by default; --tickets 2 is what OpenSSL servers send.
    ctx.num_tickets = a.tickets
    if a.tls12:
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2

log = open(a.log, "a", buffering=1)
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", 0))
srv.listen(8)
print(srv.getsockname()[1], flush=True)


def serve(conn):
    f = conn.makefile("rb")
    tls = False

    def send(line):
        log.write("S: %s\n" % line)
        conn.sendall(line.encode() + b"\r\n")

    send("220 test.example ESMTP")
    in_data = False
    peer_cn = None
    while True:
        raw = f.readline()
        if not raw:
            return
        line = raw.decode("latin-1").rstrip("\r\n")
        if in_data:
            if line == ".":
                in_data = False
                send("250 2.0.0 queued")
            continue
        log.write("C: %s\n" % line)
        verb = line[:4].upper()
        if verb == "EHLO":
            caps = ["test.example", "PIPELINING", "8BITMIME"]
            if ctx and not tls:
                caps.append("STARTTLS")
            if tls:
                caps.append("AUTH EXTERNAL PLAIN" if a.auth_external else "AUTH PLAIN")
            for c in caps[:-1]:
                send("250-" + c)
            send("250 " + caps[-1])
        elif verb == "HELO":
            send("250 test.example")
        elif line.upper() == "STARTTLS" and ctx and not tls:
            if a.starttls_reply:
                send(a.starttls_reply)
                continue
            if a.inject:
                log.write("S: 220 go ahead + injected\n")
                conn.sendall(b"220 go ahead\r\n250 injected-before-tls\r\n")
            else:
                send("220 ready to start TLS")
            try:
                conn = ctx.wrap_socket(conn, server_side=True)
            except (ssl.SSLError, OSError) as e:
                log.write("handshake failed: %s\n" % e)
                return
            peer = conn.getpeercert()
            if peer:
                cn = [v for rdn in peer.get("subject", ()) for k, v in rdn if k == "commonName"]
                log.write("client certificate: %s\n" % ",".join(cn))
                peer_cn = cn[0] if cn else None
            f = conn.makefile("rb")
            tls = True
        elif a.auth_external and tls and line.upper().startswith("AUTH EXTERNAL"):
            arg = line[len("AUTH EXTERNAL"):].strip()
            if not arg:
                send("334 ")
                arg = f.readline().decode("latin-1").strip()
            try:
                identity = base64.b64decode(arg, validate=True).decode("utf-8") if arg != "=" else ""
            except Exception:
                identity = None
            log.write("auth: EXTERNAL identity=%r certificate CN=%r\n" % (identity, peer_cn))
            if identity is not None and peer_cn and identity in ("", peer_cn):
                send("235 2.7.0 authenticated")
            else:
                send("535 5.7.8 identity does not match the certificate")
        elif verb in ("MAIL", "RCPT", "RSET", "NOOP"):
            send("250 ok")
        elif verb == "DATA":
            send("354 go")
            in_data = True
        elif verb == "QUIT":
            send("221 bye")
            return
        else:
            send("502 unknown")


while True:
    c, _ = srv.accept()
    c.settimeout(20)
    try:
        serve(c)
    except (OSError, ssl.SSLError) as e:
        log.write("connection error: %s\n" % e)
    finally:
        try:
            c.close()
        except OSError:
            pass
    log.write("-- connection closed\n")
