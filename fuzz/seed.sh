#!/usr/bin/env bash
# Builds the seed corpora of the fuzz targets from the real data in ../shared (nothing large is
# committed). Usage: fuzz/seed.sh [OUT_DIR]   (default fuzz/corpus; every target gets OUT/<target>/)
#
# Needs: the fuzz targets built (`cargo afl build --release` in fuzz/, for `seedgen`), python3,
# and for the pcap seeds root + tcpdump (a capture of loopback traffic this script makes);
# without them the pcap seeds are written by python from the same packet shapes.
# SHARED overrides where ../shared is (default: ../shared beside the repository, else /work/shared).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/.." && pwd)"
out="${1:-$here/corpus}"
shared="${SHARED:-}"
if [[ -z "$shared" ]]; then
  for c in "$repo/../shared" /work/shared; do
    if [[ -d "$c/data" ]]; then shared="$(cd "$c" && pwd)"; break; fi
  done
fi
[[ -d "$shared/data" ]] || { echo "seed.sh: no shared data directory found (set SHARED)" >&2; exit 1; }
bin="${CARGO_TARGET_DIR:-$here/target}/release"
[[ -x "$bin/seedgen" ]] || { echo "seed.sh: $bin/seedgen missing: build the fuzz targets first" >&2; exit 1; }

rm -rf "$out"
mkdir -p "$out"/{agent_bodies,intel_bundle,evtx,audit,pcap,stix_pattern,stix_bundle,rules,config_overlay,sensoroni,dns}

# prefix BYTE FILE DEST: DEST = one selector byte + FILE
prefix() { { printf "\\x$1"; cat "$2"; } > "$3"; }

# --- evtx: one-chunk samples (69,632 bytes: file header + one 64 KiB chunk), one per ATT&CK
# tactic directory and event mix, at most 24.
mapfile -t evtx_all < <(find "$shared/data/evtx" -name '*.evtx' -size -70k | sort)
n=0
declare -A seen_dir=()
for f in "${evtx_all[@]}"; do
  d="$(basename "$(dirname "$f")")"
  c="${seen_dir[$d]:-0}"
  (( c < 3 )) || continue
  seen_dir[$d]=$((c + 1))
  cp "$f" "$out/evtx/$(printf '%02d' $n)-$(basename "$f" | tr -c 'A-Za-z0-9._\n-' _)"
  n=$((n + 1)); (( n < 24 )) || break
done

# --- audit: the repository's real auditd logs, in slices of 12 lines (a whole log is too big a
# seed), plus each small file whole.
i=0
for f in "$repo"/crates/outpost-oslog/tests/fixtures/audit/*.log*; do
  if [[ $(wc -c < "$f") -lt 4096 ]]; then cp "$f" "$out/audit/whole-$(basename "$f")"; fi
  split -l 12 -d -a 3 "$f" "$out/audit/slice-$i-"
  i=$((i + 1))
done
# keep at most 40 slices, every format variant among them
ls "$out"/audit/slice-* | awk 'NR > 40' | xargs -r rm -f

# --- agent bodies: events read from real EVTX samples and audit logs by outpost-oslog.
"$bin/seedgen" bodies "$out/agent_bodies" "${evtx_all[@]:0:6}" \
  "$repo"/crates/outpost-oslog/tests/fixtures/audit/audit.log

# --- intel bundles: built and signed from slices of the IPsum feed (and a mixed plain feed);
# each both as received (selector 0) and with the digest fixed up by the harness (selector 1).
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$bin/seedgen" bundles "$shared/data/feeds/ipsum.txt" "$tmp/bundles"
for f in "$tmp"/bundles/*.bundle; do
  b="$(basename "$f" .bundle)"
  prefix 00 "$f" "$out/intel_bundle/$b-verify"
  prefix 01 "$f" "$out/intel_bundle/$b-payload"
done

# --- STIX: the conformance suite's patterns with their observations (pattern line, then the
# observations), and bundles: the suite's observation bundles and indicator bundles made of
# its patterns with attack-pattern/intrusion-set relationships.
python3 - "$shared/conformance/stix2-patterns.json" "$out" <<'PY'
import json, sys, hashlib
cases = json.load(open(sys.argv[1]))["cases"]
out = sys.argv[2]
seen = set()
for c in cases:
    obs = json.dumps(c["observations"], separators=(",", ":"))
    body = c["pattern"] + "\n" + obs
    h = hashlib.sha1(body.encode()).hexdigest()[:12]
    if h in seen:
        continue
    seen.add(h)
    open(f"{out}/stix_pattern/{c['id']:04d}", "w").write(body)
n = 0
for c in cases:
    for o in c["observations"]:
        if isinstance(o, dict) and o.get("type") == "bundle" and n < 40:
            open(f"{out}/stix_bundle/obs-{n:03d}.json", "w").write(json.dumps(o))
            n += 1
ok = [c["pattern"] for c in cases if c["expected"] != "error"]
def uid(i, k):
    return "%08x-0000-4000-8000-%012x" % (k, i)
for b in range(0, min(len(ok), 240), 12):
    objs = []
    for i, p in enumerate(ok[b:b + 12]):
        ind = f"indicator--{uid(b + i, 1)}"
        objs.append({"type": "indicator", "spec_version": "2.1", "id": ind,
                     "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                     "name": f"case {b + i}", "pattern": p, "pattern_type": "stix",
                     "valid_from": "2026-01-01T00:00:00Z", "indicator_types": ["malicious-activity"]})
        ap = f"attack-pattern--{uid(b + i, 2)}"
        objs.append({"type": "attack-pattern", "spec_version": "2.1", "id": ap,
                     "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                     "name": "Ingress Tool Transfer",
                     "external_references": [{"source_name": "mitre-attack", "external_id": "T1105"}]})
        objs.append({"type": "relationship", "spec_version": "2.1", "id": f"relationship--{uid(b + i, 3)}",
                     "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
                     "relationship_type": "indicates", "source_ref": ind, "target_ref": ap})
    bundle = {"type": "bundle", "id": f"bundle--{uid(b, 4)}", "objects": objs}
    open(f"{out}/stix_bundle/ind-{b:03d}.json", "w").write(json.dumps(bundle))
PY

# --- rules: Sigma rules from ../shared (the 60 smallest of each top directory's first 400, so
# every logsource family is there) and the repository's native YAML rules and Sigma fixtures.
for d in "$shared"/data/sigma/rules/*/ "$shared"/data/sigma/rules-emerging-threats/ "$shared"/data/sigma/rules-threat-hunting/; do
  find "$d" -name '*.yml' | sort | awk 'NR <= 400' | xargs -r ls -S | awk '{ l[NR] = $0 } END { for (i = NR - 11; i <= NR; i++) if (i > 0) print l[i] }' |
    while read -r f; do cp "$f" "$out/rules/$(basename "$(dirname "$f")")-$(basename "$f")"; done
done
for f in "$repo"/crates/outpost-detect/tests/fixtures/*/*.yml; do
  cp "$f" "$out/rules/fixture-$(basename "$(dirname "$f")")-$(basename "$f")"
done

# --- configuration overlay: check-in answers (selector 0) and bare overlays (selector 1) over
# every overridable section, as the server's device-config API stores them.
ov() { printf '%s' "$2" > "$out/config_overlay/$1"; }
ov a0 $'\x00''{"config_version":"1","config":{"window":{"min_age_minutes":5}}}'
ov a1 $'\x00''{"config_version":"2","config":{"upload":{"max_hits_per_batch":100,"full_telemetry":true,"telemetry_batch_events":500}},"jobs":[]}'
ov a2 $'\x00''{"config_version":null,"config":null}'
ov b0 $'\x01''{"sources":{"evtx":[{"path":"C:\\Windows\\System32\\winevt\\Logs\\Security.evtx"}],"audit":[{"path":"/var/log/audit/audit.log"}]}}'
ov b1 $'\x01''{"daemon":{"correlate_interval_secs":30,"queue_capacity":4096,"jobs":true,"max_cpu_percent":12.5,"max_rss_mib":256,"checkin_interval_secs":60}}'
ov b2 $'\x01''{"sensors":{"proc_connector":true,"audit":false,"fim_paths":["/etc","/usr/bin"]}}'
ov b3 $'\x01''{"window":{"retention_minutes":120,"max_buffer_bytes":1048576},"upload":{"samples_per_hit":3,"timeout_secs":20,"max_spool_bytes":10485760}}'
ov b4 $'\x01''{"device_token":"x"}'

# --- Sensoroni bodies: POST /api/node (selector 0) and POST/PUT /api/job (selector 1) as the
# Sensoroni agent and SOC send them (Go zero times, string ports, empty strings).
sj() { printf '%s' "$2" > "$out/sensoroni/$1"; }
sj n0 $'\x00''{"id":"sensor1","onlineTime":"0001-01-01T00:00:00Z","updateTime":"2026-12-01T10:00:00.123456789Z","epochTime":"2026-12-01T10:00:00Z","role":"so-sensor","description":"","address":"127.0.0.1","version":"2.4.0","model":"SO2AMI01","status":"ok","connectionStatus":"ok","raidStatus":"ok","processStatus":"ok"}'
sj j0 $'\x01''{"id":0,"createTime":"0001-01-01T00:00:00Z","status":0,"completeTime":"0001-01-01T00:00:00Z","failTime":"0001-01-01T00:00:00Z","owner":"","nodeId":"sensor1","filter":{"importId":"","beginTime":"2026-12-01T09:00:00Z","endTime":"2026-12-01T11:00:00Z","srcIp":"127.0.0.1","srcPort":"443","dstIp":"127.0.0.2","dstPort":51234,"parameters":{}},"kind":"pcap","results":[]}'
sj j1 $'\x01''{"id":7,"status":2,"nodeId":"sensor1","kind":"pcap","failure":"","fileExtension":"pcap","filter":{"srcIp":"::1","srcPort":0,"dstIp":"","dstPort":"0","beginTime":"","endTime":"0001-01-01T00:00:00Z"}}'
sj j2 $'\x01''{"id":8,"status":1,"sensorId":"sensor1","kind":"file.hash","filter":{"parameters":{"path":"/etc/passwd","algorithm":"sha256"}},"results":[{"id":1,"summary":"ok"}]}'

# --- pcap: a real capture of loopback traffic (TCP to a local HTTP server, UDP, IPv6), in
# microsecond and nanosecond pcap, with a small snap length, and converted to pcapng.
python3 - "$out/pcap" "$tmp" <<'PY'
import os, shutil, socket, struct, subprocess, sys, threading, time, http.server
out, tmp = sys.argv[1], sys.argv[2]
captures = []
if os.geteuid() == 0 and shutil.which("tcpdump"):
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *a):
            pass
    srv = http.server.HTTPServer(("127.0.0.1", 0), Quiet)
    port = srv.server_address[1]
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    for name, iface, extra in (("usec", "lo", []), ("nsec", "lo", ["--time-stamp-precision=nano"]),
                               ("snap", "lo", ["-s", "80"]), ("sll", "any", ["-y", "LINUX_SLL"])):
        path = f"{tmp}/{name}.pcap"
        p = subprocess.Popen(["tcpdump", "-i", iface, "-U", "-n", "-c", "24", "-w", path, *extra,
                              f"tcp port {port} or udp port 53535 or udp port 53536"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1.0)
        for fam, addr in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            try:
                u = socket.socket(fam, socket.SOCK_DGRAM)
                u.sendto(b"outpost-fuzz-seed", (addr, 53535 if fam == socket.AF_INET else 53536))
                u.close()
            except OSError:
                pass
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(b"GET /nonexistent HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        while s.recv(4096):
            pass
        s.close()
        try:
            p.wait(timeout=2)
        except subprocess.TimeoutExpired:
            p.terminate(); p.wait()
        if os.path.exists(path) and os.path.getsize(path) > 24:
            captures.append(path)
    srv.shutdown()
if not captures:
    # No root or no tcpdump: the same shapes of packets written by hand (Ethernet/IPv4/UDP and
    # IPv4/TCP SYN), so the seeds still parse.
    def ip4(proto, payload):
        h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, 0, 64, proto, 0,
                        bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
        return h + payload
    eth = b"\x00" * 12 + b"\x08\x00"
    pkts = [eth + ip4(17, struct.pack("!HHHH", 40000, 53535, 8 + 17, 0) + b"outpost-fuzz-seed"),
            eth + ip4(6, struct.pack("!HHIIBBHHH", 40001, 443, 1, 0, 0x50, 0x02, 65535, 0, 0))]
    path = f"{tmp}/synthetic.pcap"
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, p in enumerate(pkts):
            f.write(struct.pack("<IIII", 1764583200 + i, 0, len(p), len(p)) + p)
    captures.append(path)

def to_pcapng(src, dst):
    b = open(src, "rb").read()
    magic = b[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    _, _, _, _, snap, link = struct.unpack(endian + "HHiIII", b[4:24])
    def block(t, body):
        body += b"\x00" * (-len(body) % 4)
        return struct.pack("<II", t, len(body) + 12) + body + struct.pack("<I", len(body) + 12)
    o = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    opts = struct.pack("<HHB3x", 9, 1, 9 if nano else 6) + struct.pack("<HH", 0, 0)
    o += block(1, struct.pack("<HHI", link, 0, snap) + opts)
    pos = 24
    while pos + 16 <= len(b):
        sec, frac, incl, orig = struct.unpack(endian + "IIII", b[pos:pos + 16])
        data = b[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        ts = sec * (10**9 if nano else 10**6) + frac
        o += block(6, struct.pack("<IIIII", 0, ts >> 32, ts & 0xFFFFFFFF, len(data), orig) + data)
    open(dst, "wb").write(o)

def relink(src, dst, linktype, strip, head):
    # The same packets under another link type: Ethernet header stripped (RAW = 101), or
    # replaced by BSD loopback's 4-byte family (NULL = 0).
    b = open(src, "rb").read()
    if b[:4] != b"\xd4\xc3\xb2\xa1" or struct.unpack("<I", b[20:24])[0] != 1:
        return
    o = bytearray(b[:20] + struct.pack("<I", linktype))
    pos = 24
    while pos + 16 <= len(b):
        sec, frac, incl, orig = struct.unpack("<IIII", b[pos:pos + 16])
        data = head + b[pos + 16 + strip:pos + 16 + incl]
        o += struct.pack("<IIII", sec, frac, len(data), orig - strip + len(head)) + data
        pos += 16 + incl
    open(dst, "wb").write(bytes(o))

relink(captures[0], f"{out}/raw.pcap", 101, 14, b"")
relink(captures[0], f"{out}/null.pcap", 0, 14, struct.pack("<I", 2))
for c in captures:
    name = os.path.basename(c)[:-5]
    shutil.copy(c, f"{out}/{name}.pcap")
    to_pcapng(c, f"{out}/{name}.pcapng")
PY

# --- dns: queries and answers as the DNS sensor sees them on port 53 (A, AAAA, CNAME chains
# with compression, NXDOMAIN, a TXT answer, EDNS OPT), written by python from the RFC 1035 layout.
python3 - "$out/dns" <<'PY'
import struct, sys
out = sys.argv[1]
def name(n):
    return b"".join(bytes([len(l)]) + l.encode() for l in n.split(".") if l) + b"\0"
def query(i, n, t, opt=False):
    h = struct.pack(">HHHHHH", i, 0x0100, 1, 0, 0, 1 if opt else 0)
    q = h + name(n) + struct.pack(">HH", t, 1)
    if opt:
        q += b"\0" + struct.pack(">HHIH", 41, 1232, 0, 0)
    return q
def answer(q, rcode, rrs):
    b = bytearray(q)
    b[2:4] = struct.pack(">H", 0x8180 | rcode)
    b[6:8] = struct.pack(">H", len(rrs))
    for owner, t, data in rrs:
        b += owner + struct.pack(">HHIH", t, 1, 60, len(data)) + data
    return bytes(b)
seeds = {}
seeds["q-a"] = query(1, "evil-test.example", 1)
seeds["q-aaaa-edns"] = query(2, "www.example.org", 28, opt=True)
q = query(3, "www.example.org", 1)
seeds["a-cname-chain"] = answer(q, 0, [
    (b"\xc0\x0c", 5, b"\x03cdn" + b"\xc0\x10"),
    (b"\xc0\x2d", 1, bytes([192, 0, 2, 55])),
    (b"\xc0\x2d", 28, bytes(15) + b"\x01"),
])
seeds["a-nxdomain"] = answer(query(4, "nx.example", 1), 3, [])
seeds["a-txt"] = answer(query(5, "t.example", 16), 0, [(b"\xc0\x0c", 16, b"\x05hello")])
for k, v in seeds.items():
    open(f"{out}/{k}", "wb").write(v)
PY

# --- inputs that once crashed a target (minimized; see docs/fuzzing.md): always in the seeds,
# so every run, the CI smoke run included, replays them first.
for d in "$here"/regressions/*/; do
  [[ -d "$d" ]] && cp "$d"/* "$out/$(basename "$d")/"
done

for t in "$out"/*/; do
  printf '%-16s %4d seeds %8d bytes\n' "$(basename "$t")" "$(ls "$t" | wc -l)" "$(cat "$t"/* | wc -c)"
done
