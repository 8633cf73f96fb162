#!/usr/bin/env python3
"""Footprint workload: N exec/s (/usr/bin/true via posix_spawn) and M TCP connections/s (connect,
accept, close on a local listener, to 127.0.0.0/8 addresses) for --duration seconds, and
optionally D DNS queries/s (--dns-rate): each from a new UDP socket (as glibc's resolver does)
to a responder this script runs on 127.0.0.1:53, which answers A 192.0.2.55; names
q<i>.footprint.example, so every query is a new name. Loopback only.
Prints a JSON line with what it did."""
import argparse, json, os, selectors, socket, struct, threading, time

ap = argparse.ArgumentParser()
ap.add_argument("--duration", type=float, default=300)
ap.add_argument("--exec-rate", type=float, default=50)
ap.add_argument("--conn-rate", type=float, default=500)
ap.add_argument("--port", type=int, default=0)
ap.add_argument("--dns-rate", type=float, default=0)
a = ap.parse_args()

dns_answered = 0
if a.dns_rate > 0:
    resp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    resp.bind(("127.0.0.1", 53))
    def respond():
        global dns_answered
        while True:
            q, peer = resp.recvfrom(512)
            if len(q) < 12:
                continue
            ans = bytearray(q)
            ans[2:4] = b"\x81\x80"
            ans[6:8] = b"\x00\x01"
            ans += b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + bytes([192, 0, 2, 55])
            resp.sendto(bytes(ans), peer)
            dns_answered += 1
    threading.Thread(target=respond, daemon=True).start()

def dns_query(i):
    name = b"".join(bytes([len(l)]) + l for l in (b"q%d" % i, b"footprint", b"example")) + b"\0"
    q = struct.pack(">HHHHHH", i & 0xFFFF, 0x0100, 1, 0, 0, 0) + name + b"\x00\x01\x00\x01"
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.sendto(q, ("127.0.0.1", 53))
    u.close()

srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("0.0.0.0", a.port))
srv.listen(1024)
srv.setblocking(False)
port = srv.getsockname()[1]
print(json.dumps({"port": port}), flush=True)
time.sleep(1.0)  # the runner reads the port

execs = conns = failed = dns = 0
children = []
t0 = time.monotonic()
tick = 0.01
next_t = t0
while True:
    now = time.monotonic()
    el = now - t0
    if el >= a.duration:
        break
    want_exec = int(el * a.exec_rate)
    while execs < want_exec:
        children.append(os.posix_spawn("/usr/bin/true", ["true"], os.environ))
        execs += 1
    want_conn = int(el * a.conn_rate)
    while conns < want_conn:
        i = conns
        dst = "127.%d.%d.%d" % (1 + (i >> 16) % 250, (i >> 8) & 255, 1 + (i & 127))
        c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            c.connect((dst, port))
        except OSError:
            failed += 1
        c.close()
        conns += 1
        try:
            while True:
                s, _ = srv.accept()
                s.close()
        except BlockingIOError:
            pass
    while dns < int(el * a.dns_rate):
        dns_query(dns)
        dns += 1
    children = [p for p in children if os.waitpid(p, os.WNOHANG)[0] == 0]
    next_t += tick
    d = next_t - time.monotonic()
    if d > 0:
        time.sleep(d)
for p in children:
    os.waitpid(p, 0)
el = time.monotonic() - t0
print(json.dumps({"pid": os.getpid(), "seconds": round(el, 2), "execs": execs, "connections": conns, "connect_failed": failed, "dns_queries": dns, "dns_answered": dns_answered, "dns_rate": round(dns / el, 1), "exec_rate": round(execs / el, 1), "conn_rate": round(conns / el, 1)}), flush=True)
