#!/usr/bin/env python3
"""monitor.py SOCKET 'HMP COMMAND' ...: send QEMU human-monitor commands, print what each answered.
Exit 1 if an answer looks like an error (QEMU's HMP has no status codes: "Error:" / "could not")."""
import re
import socket
import sys

s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(10)


def answer():
    buf = b""
    while not buf.endswith(b"(qemu) "):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", buf.decode(errors="replace")).replace("\r", "")
    return "\n".join(l for l in text.split("\n")[1:] if not l.startswith("(qemu)")).strip()


answer()  # the banner
rc = 0
for cmd in sys.argv[2:]:
    s.sendall(cmd.encode() + b"\n")
    out = answer()
    if out:
        print(out)
    if re.search(r"^Error|could not|not found", out, re.I | re.M):
        rc = 1
sys.exit(rc)
