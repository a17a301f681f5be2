"""Load for bench/push.sh: SUBSCRIBERS DNS Push subscriptions over CONNS TLS
connections (each name watched from NAMES/... several connections), then
RATE updates per second for SECONDS, each moving one name to an address that
encodes its sequence number. A receiver process reads every PUSH and notes
when each new address arrived; the sender notes when each update was
acknowledged. Prints the fan-out latency (acknowledgement to PUSH) median and
p99, notifications delivered, and namaed's CPU per notification.
Usage: push_load.py PID DNS_PORT PUSH_PORT CAFILE SUBSCRIBERS CONNS NAMES RATE SECONDS
"""
import multiprocessing
import os
import selectors
import socket
import ssl
import statistics
import struct
import sys
import threading
import time

import dns.update


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def name(i):
    return f"h{i}.bench.test."


def subscribe(msg_id, n):
    q = b"".join(bytes([len(l)]) + l.encode() for l in n.rstrip(".").split(".")) + b"\x00"
    body = q + struct.pack(">HH", 1, 1)
    msg = struct.pack(">HBBHHHH", msg_id, 6 << 3, 0, 0, 0, 0, 0) + struct.pack(">HH", 0x40, len(body)) + body
    return struct.pack(">H", len(msg)) + msg


def connect(port, cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="dns.test")
    return s


def adds_in(msg):
    """The addresses added by a PUSH (TTL not 0xFFFFFFFF), as integers."""
    if len(msg) < 16 or msg[2] & 0x80 or struct.unpack(">H", msg[12:14])[0] != 0x41:
        return []
    out, pos, data = [], 16, msg
    while pos < len(data):
        while data[pos]:
            pos += data[pos] + 1
        pos += 1
        rtype, _, ttl, rdlen = struct.unpack(">HHIH", data[pos:pos + 10])
        pos += 10
        if rtype == 1 and ttl < 0xFFFFFFFE and rdlen == 4:
            out.append(struct.unpack(">I", data[pos:pos + 4])[0])
        pos += rdlen
    return out


def receiver(socks, deadline, results):
    sel = selectors.DefaultSelector()
    bufs = {}
    for s in socks:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
        bufs[s] = b""
    seen = []
    while time.monotonic() < deadline:
        for key, _ in sel.select(0.2):
            s = key.fileobj
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    bufs[s] += chunk
            except (ssl.SSLWantReadError, BlockingIOError):
                pass
            now = time.monotonic()
            b = bufs[s]
            while len(b) >= 2 and len(b) >= 2 + struct.unpack(">H", b[:2])[0]:
                n = struct.unpack(">H", b[:2])[0]
                for seq in adds_in(b[2:2 + n]):
                    seen.append((seq, now))
                b = b[2 + n:]
            bufs[s] = b
    results.put(seen)


def main():
    pid, dns_port, push_port, cafile = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    subscribers, conns, names, rate, seconds = (int(a) for a in sys.argv[5:10])
    per_conn = subscribers // conns
    socks = []
    for c in range(conns):
        s = connect(push_port, cafile)
        s.sendall(b"".join(subscribe(j + 1, name((c * per_conn + j) % names)) for j in range(per_conn)))
        socks.append(s)
    # Wait for every response (and the initial answers) to come in.
    for s in socks:
        s.settimeout(10)
        got, buf = 0, b""
        while got < per_conn:
            buf += s.recv(65536)
            while len(buf) >= 2 and len(buf) >= 2 + struct.unpack(">H", buf[:2])[0]:
                n = struct.unpack(">H", buf[:2])[0]
                m = buf[2:2 + n]
                if m[2] & 0x80:
                    assert m[3] & 0x0f == 0, f"SUBSCRIBE rcode {m[3] & 0x0f}"
                    got += 1
                buf = buf[2 + n:]
    time.sleep(0.5)
    results = multiprocessing.Queue()
    deadline = time.monotonic() + seconds + 2
    rx = multiprocessing.Process(target=receiver, args=(socks, deadline, results))
    rx.start()
    time.sleep(0.3)
    acked = {}
    cpu0, t0 = cpu_seconds(pid), time.monotonic()
    total = rate * seconds
    # Updates go out paced, without waiting for each answer (the zone's
    # writer groups them per fsync); a thread notes each acknowledgement.
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.connect(("127.0.0.1", dns_port))
    udp.settimeout(5)
    ids = {}

    def acks():
        for _ in range(total):
            try:
                r = udp.recv(512)
            except socket.timeout:
                return
            if r[3] & 0x0f == 0 and struct.unpack(">H", r[:2])[0] in ids:
                acked[ids[struct.unpack(">H", r[:2])[0]]] = time.monotonic()

    ack_thread = threading.Thread(target=acks)
    ack_thread.start()
    for seq in range(1, total + 1):
        due = t0 + seq / rate
        wait = due - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        u = dns.update.UpdateMessage("bench.test", id=seq & 0xffff)
        n = name(seq % names)
        u.delete(n, "A")
        u.add(n, 60, "A", socket.inet_ntoa(struct.pack(">I", (10 << 24) + seq)))
        ids[seq & 0xffff] = (10 << 24) + seq
        udp.send(u.to_wire())
    ack_thread.join()
    sent_for = time.monotonic() - t0
    seen = results.get()
    rx.join()
    cpu = cpu_seconds(pid) - cpu0
    lat = sorted(max(0.0, t - acked[seq]) * 1000 for seq, t in seen if seq in acked)
    fan = subscribers / names
    print(f"subscriptions {subscribers} on {conns} connections, {names} names ({fan:.0f} subscribers each)")
    print(f"updates {total} in {sent_for:.1f} s ({total / sent_for:.0f}/s); notifications received {len(lat)} "
          f"of {int(total * fan)} expected")
    if lat:
        print(f"fan-out latency (update acknowledged -> PUSH received): median {statistics.median(lat):.2f} ms, "
              f"p99 {lat[int(len(lat) * 0.99) - 1]:.2f} ms")
        print(f"namaed CPU {cpu:.2f} s: {cpu / len(lat) * 1e6:.1f} us per notification delivered "
              f"(updates included)")


if __name__ == "__main__":
    main()
