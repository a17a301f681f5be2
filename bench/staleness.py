"""How long the world keeps the old address after a host moves, for
bench/staleness.sh: MOVES names of TTL seconds, each watched with DNS Push
(RFC 8765) on the authoritative namaed and cached by two resolvers (Unbound
and a namaed resolver, both sending the zone's questions to the
authoritative server as a stub zone). Each resolver's cache is filled, then
the names move one after another, spread over one TTL (a move lands at a
different point of each cached copy's life, as moves do). For each move:
the time from sending the update until it is acknowledged, until the Push
subscriber hears of it (the PUSH may come before the acknowledgement is
read: both follow the same fsync), and until each resolver answers the new
address (polled every
POLL_MS). Prints one row per move and the medians.
Usage: staleness.py AUTH_PORT PUSH_PORT CAFILE UNBOUND_PORT NAMAED_RESOLVER_PORT MOVES TTL
"""
import socket
import statistics
import struct
import sys
import threading
import time

import dns.message
import dns.query
import dns.update

from push_load import adds_in, connect, subscribe

POLL_MS = 50


def name(i):
    return f"h{i}.move.test."


def address(i):
    return (10 << 24) + 1000 + i


def resolve(port, qname):
    q = dns.message.make_query(qname, "A")
    try:
        r = dns.query.udp(q, "127.0.0.1", port=port, timeout=1)
    except Exception:
        return None
    for rrset in r.answer:
        for rd in rrset:
            if rd.rdtype == 1:
                return struct.unpack(">I", socket.inet_aton(rd.address))[0]
    return None


def push_listener(sock, heard, stop):
    sock.settimeout(0.2)
    buf = b""
    while not stop.is_set():
        try:
            chunk = sock.recv(65536)
        except (socket.timeout, TimeoutError):
            continue
        if not chunk:
            return
        now = time.monotonic()
        buf += chunk
        while len(buf) >= 2 and len(buf) >= 2 + struct.unpack(">H", buf[:2])[0]:
            n = struct.unpack(">H", buf[:2])[0]
            for a in adds_in(buf[2:2 + n]):
                heard.setdefault(a, now)
            buf = buf[2 + n:]


def poller(port, moved, seen, stop):
    while not stop.is_set():
        for i, _ in list(moved.items()):
            if i not in seen and resolve(port, name(i)) == address(i):
                seen[i] = time.monotonic()
        time.sleep(POLL_MS / 1000)


def main():
    auth, push_port, cafile, unbound, resolver = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    moves, ttl = int(sys.argv[6]), int(sys.argv[7])
    sock = connect(push_port, cafile)
    sock.sendall(b"".join(subscribe(i + 1, name(i)) for i in range(moves)))
    heard, stop = {}, threading.Event()
    threading.Thread(target=push_listener, args=(sock, heard, stop), daemon=True).start()
    for i in range(moves):  # fill both caches: each now holds the old address for up to TTL
        for port in (unbound, resolver):
            if resolve(port, name(i)) != (192 << 24) + (2 << 8) + 1:
                sys.exit(f"resolver on port {port} did not answer {name(i)} with the old address")
    moved, acked, seen_u, seen_r = {}, {}, {}, {}
    for port, seen in ((unbound, seen_u), (resolver, seen_r)):
        threading.Thread(target=poller, args=(port, moved, seen, stop), daemon=True).start()
    t0 = time.monotonic()
    for i in range(moves):
        due = t0 + i * ttl / moves
        time.sleep(max(0.0, due - time.monotonic()))
        u = dns.update.UpdateMessage("move.test")
        u.replace(name(i), ttl, "A", socket.inet_ntoa(struct.pack(">I", address(i))))
        sent = time.monotonic()
        r = dns.query.udp(u, "127.0.0.1", port=auth, timeout=5)
        if r.rcode() != 0:
            sys.exit(f"update of {name(i)} refused: rcode {r.rcode()}")
        acked[i] = time.monotonic()
        moved[i] = sent
    deadline = time.monotonic() + ttl + 5
    while time.monotonic() < deadline and (len(seen_u) < moves or len(seen_r) < moves):
        time.sleep(0.1)
    stop.set()

    def late(seen, i):
        return seen[i] - moved[i] if i in seen else float("nan")

    print(f"{moves} moves of names with TTL {ttl} s, caches filled before the first move, "
          f"resolvers polled every {POLL_MS} ms")
    print("times from the update being sent; its acknowledgement (after the journal's fsync) is 'ack'")
    print(f"{'move':>4} {'ack ms':>8} {'push ms':>9} {'unbound s':>10} {'namaed-resolver s':>18}")
    push_ms, u_s, r_s = [], [], []
    for i in range(moves):
        p = (heard[address(i)] - moved[i]) * 1000 if address(i) in heard else float("nan")
        push_ms.append(p)
        u_s.append(late(seen_u, i))
        r_s.append(late(seen_r, i))
        print(f"{i:>4} {(acked[i] - moved[i]) * 1000:>8.2f} {p:>9.2f} {u_s[-1]:>10.2f} {r_s[-1]:>18.2f}")
    print(f"median push {statistics.median(push_ms):.2f} ms, Unbound {statistics.median(u_s):.2f} s, "
          f"namaed resolver {statistics.median(r_s):.2f} s (a stale answer lasts until the cached copy's TTL runs out)")


if __name__ == "__main__":
    main()
