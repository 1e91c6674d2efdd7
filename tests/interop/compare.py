#!/usr/bin/python3
"""compare.py: compare a submitted message with what a server delivered.

  compare.py exact SUBMITTED RECEIVED
      byte-for-byte (aiosmtpd keeps CRLF and the content as sent).
  compare.py maildir SUBMITTED DELIVERED
      Postfix Maildir file: LF line ends; the trace headers Postfix puts on
      top (Return-Path, X-Original-To, Delivered-To, Received with its
      continuation lines) are removed; the rest must equal SUBMITTED with
      CRLF turned into LF.
Prints nothing and exits 0 when equal; otherwise prints the first difference.
"""
import sys

TRACE = (b"return-path:", b"x-original-to:", b"delivered-to:", b"received:")


def strip_trace(data):
    lines = data.split(b"\n")
    i = 0
    in_trace = False
    while i < len(lines):
        line = lines[i]
        if line[:1] in (b" ", b"\t") and in_trace:
            i += 1
            continue
        if line.lower().startswith(TRACE):
            in_trace = True
            i += 1
            continue
        break
    return b"\n".join(lines[i:])


def main():
    mode, sub, rec = sys.argv[1:4]
    want = open(sub, "rb").read()
    got = open(rec, "rb").read()
    if mode == "maildir":
        want = want.replace(b"\r\n", b"\n")
        got = strip_trace(got)
    if want == got:
        return 0
    n = next((i for i in range(min(len(want), len(got))) if want[i] != got[i]),
             min(len(want), len(got)))
    print("differ at byte %d (submitted %d bytes, delivered %d bytes)" % (n, len(want), len(got)))
    print("  submitted: %r" % want[max(0, n - 40):n + 40])
    print("  delivered: %r" % got[max(0, n - 40):n + 40])
    return 1


if __name__ == "__main__":
    sys.exit(main())
