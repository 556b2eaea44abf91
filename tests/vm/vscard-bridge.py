#!/usr/bin/env python3
"""vscard-bridge.py - put mynawatch's virtual card into QEMU's emulated USB CCID reader.

    vscard-bridge.py --socket SOCK [--listen 127.0.0.1:35970] [--atr auto|card|contactless|HEX] [--log FILE]
    mynawatch sim-card --vpcd 127.0.0.1:35970 --expires 2027-02-14      # = the card is inserted

QEMU side: `-chardev socket,id=vsc0,path=SOCK,server=on,wait=off`, then from the monitor
`device_add usb-ccid,id=ccid0,bus=xhci.0` and `device_add ccid-card-passthru,id=card0,chardev=vsc0,bus=ccid0.0`.
ccid-card-passthru speaks libcacard's VSCard protocol over SOCK (this script is its client): a
12-byte header (type, reader id, payload length; u32 big-endian) and the payload. Types: 1 Init,
2 Error (u32 code, 0 = ok), 3 ReaderAdd, 4 ReaderRemove, 5 ATR (= card inserted), 6 CardRemove,
7 APDU, 8 Flush, 9 FlushComplete. QEMU answers the guest's power-on/off from the ATR it was given.

Card side: vsmartcard's vpcd protocol, which `mynawatch sim-card --vpcd` speaks. The bridge listens
on a TCP port; a client connecting is a card inserted, closing the connection removes it. Frames are
a 2-byte big-endian length + payload; 1-byte payloads are control (01 power on, 04 "send your ATR").

--atr: QEMU 7.2's usb-ccid offers T=0 only; libccid refuses a T=1-only ATR such as the contact ATR
of a real My Number Card (3B E0 00 FF 81 31 FE 45 14). `auto` (default) passes the card's ATR on
when it offers T=0 and otherwise substitutes the contactless My Number Card ATR
3B 88 80 01 00 00 00 00 00 00 00 00 09 (T=0 and T=1). The T=1 path is covered by the vpcd tests.

--log FILE: JSON lines, one per relayed APDU {"seq", "len", "cmd", "resp"} and one per event.
The data of a VERIFY (INS 20) is never written, only its length ("verify_data": N): the VM test
fails on any VERIFY with data (a PIN) or any extended-length APDU, so they are recorded, not hidden.
Exit: 0 on SIGTERM/SIGINT, 1 if QEMU's socket cannot be reached or closes, 2 on usage errors.
Python 3 standard library only (CI machines have python3).
"""

import argparse
import json
import os
import selectors
import signal
import socket
import struct
import sys
import time

INIT, ERROR, READER_ADD, READER_REMOVE, ATR, CARD_REMOVE, APDU, FLUSH, FLUSH_COMPLETE = range(1, 10)
VERSION = 2  # libcacard's VSCARD_VERSION MAKE_VERSION(0, 0, 2)
ANY_READER = 0xFFFFFFFF
READER = 0
CONTACTLESS_ATR = bytes.fromhex("3B888001000000000000000009")


class Stop(Exception):
    pass


def atr_protocols(atr):
    """The protocols T=n an ATR offers (ISO/IEC 7816-3: the low nibbles of TD1, TD2, ...; none = T=0)."""
    if len(atr) < 2:
        return set()
    y, i, protos = atr[1] >> 4, 2, []
    while True:
        td = None
        for bit in (1, 2, 4, 8):
            if y & bit:
                if i >= len(atr):
                    return set(protos) or {0}
                if bit == 8:
                    td = atr[i]
                i += 1
        if td is None:
            break
        if td & 0x0F != 15:
            protos.append(td & 0x0F)
        y = td >> 4
    return set(protos) or {0}


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def vsc_send(sock, typ, reader, payload=b""):
    sock.sendall(struct.pack(">III", typ, reader, len(payload)) + payload)


def vsc_recv(sock):
    hdr = recv_exact(sock, 12)
    if hdr is None:
        return None
    typ, reader, length = struct.unpack(">III", hdr)
    payload = recv_exact(sock, length) if length else b""
    return None if payload is None else (typ, reader, payload)


def vpcd_send(sock, payload):
    sock.sendall(struct.pack(">H", len(payload)) + payload)


def vpcd_recv(sock):
    hdr = recv_exact(sock, 2)
    if hdr is None:
        return None
    (n,) = struct.unpack(">H", hdr)
    return recv_exact(sock, n) if n else b""


def apdu_entry(seq, cmd, resp):
    """The log line for one APDU: VERIFY data is replaced by its length."""
    e = {"seq": seq, "len": len(cmd)}
    if len(cmd) >= 2 and cmd[1] == 0x20 and len(cmd) > 5:
        e["cmd"] = cmd[:5].hex()
        e["verify_data"] = len(cmd) - 5
    else:
        e["cmd"] = cmd.hex()
    e["resp"] = resp.hex()
    return e


def hostport(s):
    host, _, port = s.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError("want HOST:PORT, e.g. 127.0.0.1:35970")
    return host, int(port)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="\n".join(__doc__.split("\n")[2:]))
    p.add_argument("--socket", required=True, help="QEMU's chardev unix socket for ccid-card-passthru")
    p.add_argument("--listen", type=hostport, default=("127.0.0.1", 35970), metavar="HOST:PORT")
    p.add_argument("--atr", default="auto", help="auto (default), card, contactless or HEX")
    p.add_argument("--connect-timeout", type=float, default=30, help="keep trying QEMU's socket (s)")
    p.add_argument("--apdu-timeout", type=float, default=60, help="wait for the card's answer (s)")
    p.add_argument("--ready-file", help="written once QEMU has accepted the reader")
    p.add_argument("--log", help="append JSON lines (APDUs, events) to FILE")
    a = p.parse_args()
    fixed_atr = None
    if a.atr not in ("auto", "card", "contactless"):
        try:
            fixed_atr = bytes.fromhex(a.atr.replace(" ", "").replace(":", ""))
        except ValueError:
            p.error("--atr: auto, card, contactless or hex bytes")
    logf = open(a.log, "a", buffering=1) if a.log else None

    def log(entry):
        if logf:
            logf.write(json.dumps(dict(t=round(time.time(), 3), **entry)) + "\n")

    def say(msg):
        print("vscard-bridge: " + msg, file=sys.stderr, flush=True)

    def on_term(signum, frame):
        raise Stop()
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)

    deadline = time.monotonic() + a.connect_timeout
    while True:
        q = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            q.connect(a.socket)
            break
        except OSError as e:
            q.close()
            if time.monotonic() > deadline:
                say("cannot connect to %s: %s" % (a.socket, e))
                return 1
            time.sleep(0.2)

    lsock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        lsock.bind(a.listen)
    except OSError as e:
        say("cannot listen on %s:%d: %s" % (a.listen[0], a.listen[1], e))
        return 2
    lsock.listen(1)
    log({"event": "start", "pid": os.getpid()})

    sel = selectors.DefaultSelector()
    sel.register(q, selectors.EVENT_READ, "qemu")
    stage = "init"  # init -> reader -> ready
    card = None
    seq = 0

    def pull(why):
        nonlocal card
        if card is None:
            return
        sel.unregister(card)
        card.close()
        card = None
        vsc_send(q, CARD_REMOVE, READER)
        log({"event": "removed", "why": why})
        say("card removed (%s)" % why)

    def insert(conn, peer):
        nonlocal card
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.settimeout(10)
        try:
            vpcd_send(conn, b"\x01")
            vpcd_send(conn, b"\x04")
            atr = vpcd_recv(conn)
        except OSError:
            atr = None
        if not atr:
            log({"event": "refused", "why": "no ATR"})
            conn.close()
            return
        give = {"card": atr, "contactless": CONTACTLESS_ATR,
                "auto": atr if 0 in atr_protocols(atr) else CONTACTLESS_ATR}.get(a.atr, fixed_atr)
        conn.settimeout(None)
        card = conn
        sel.register(conn, selectors.EVENT_READ, "card")
        vsc_send(q, ATR, READER, give)
        log({"event": "inserted", "card_atr": atr.hex(), "atr": give.hex()})
        say("card inserted from %s:%d, ATR %s%s" % (peer[0], peer[1], give.hex(),
            "" if give == atr else " in place of the card's " + atr.hex()))

    try:
        vsc_send(q, INIT, ANY_READER, b"VSCD" + struct.pack(">II", VERSION, 0))
        while True:
            for key, _ in sel.select():
                if key.data == "qemu":
                    m = vsc_recv(q)
                    if m is None:
                        say("QEMU closed the socket")
                        log({"event": "qemu_closed"})
                        return 1
                    typ, reader, payload = m
                    if typ == INIT and stage == "init":
                        stage = "reader"
                        vsc_send(q, READER_ADD, ANY_READER, b"mynawatch vscard-bridge\0")
                    elif typ == ERROR:
                        code = struct.unpack(">I", payload[:4])[0] if len(payload) >= 4 else -1
                        if code != 0:
                            say("QEMU error %d (stage %s)" % (code, stage))
                            log({"event": "vsc_error", "code": code})
                            if stage == "reader":
                                return 1
                        elif stage == "reader":
                            stage = "ready"
                            sel.register(lsock, selectors.EVENT_READ, "listen")
                            if a.ready_file:
                                with open(a.ready_file, "w") as f:
                                    f.write("%d\n" % os.getpid())
                            log({"event": "reader_added"})
                            say("reader added; cards connect to %s:%d" % a.listen)
                    elif typ == APDU:
                        seq += 1
                        resp = None
                        if card is not None:
                            try:
                                card.settimeout(a.apdu_timeout)
                                vpcd_send(card, payload)
                                resp = vpcd_recv(card)
                                card.settimeout(None)
                            except OSError:
                                resp = None
                            if resp is None:
                                pull("the card went away during an APDU")
                        if resp is None:
                            resp = b"\x6f\x00"
                        vsc_send(q, APDU, reader, resp)
                        log(apdu_entry(seq, payload, resp))
                    elif typ == FLUSH:
                        vsc_send(q, FLUSH_COMPLETE, reader)
                    else:
                        log({"event": "vsc_other", "type": typ})
                elif key.data == "listen":
                    conn, peer = lsock.accept()
                    if card is not None:
                        log({"event": "refused", "why": "a card is already in"})
                        conn.close()
                    else:
                        insert(conn, peer)
                elif key.data == "card":
                    try:
                        data = card.recv(65536)
                    except OSError:
                        data = b""
                    if not data:
                        pull("the card closed its connection")
                    else:
                        log({"event": "unsolicited", "bytes": len(data)})
    except Stop:
        try:
            pull("terminated")
        except OSError:
            pass
    finally:
        log({"event": "exit", "apdus": seq})
        q.close()
        lsock.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
