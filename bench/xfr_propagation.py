#!/usr/bin/python3
"""Propagation: how long after a primary acknowledges a dynamic update do its
secondaries serve it (NOTIFY, then IXFR)?

Sends COUNT signed UPDATEs to the primary at a steady RATE, one at a time,
each adding an A record at a new name. After each acknowledgement it polls
every secondary over UDP (a query to each every 0.5 ms) until each answers the
new name, and records the time from the acknowledgement to that answer.
Prints one line per secondary: median, p90, p99 and max in milliseconds, and
how many updates never showed up within the timeout.

Usage: xfr_propagation.py --primary 127.0.0.1:PORT --zone ZONE --key NAME:SECRET
           --secondary LABEL=127.0.0.1:PORT [--secondary ...] [--count N] [--rate R]
"""
import argparse
import socket
import statistics
import sys
import time

import dns.message
import dns.query
import dns.rcode
import dns.tsig
import dns.tsigkeyring
import dns.update


def endpoint(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


def percentile(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    k = min(len(values) - 1, max(0, int(round(p / 100.0 * (len(values) - 1)))))
    return values[k]


def wait_visible(sock, secondaries, qname, timeout):
    """Poll every secondary until each answers qname/A; returns {label: seconds or None}.

    Each round sends one query to every secondary still pending, then reads
    every reply that has arrived, matched to its secondary by message ID: a
    reply that comes after the round it was asked in still counts, and none
    is left queued to be mistaken for a later round's."""
    t0 = time.monotonic()
    pending = dict(secondaries)
    seen = {}
    asked = {}  # message ID -> label
    qid = 0
    while pending and time.monotonic() - t0 < timeout:
        for label, addr in pending.items():
            qid = (qid + 1) & 0xFFFF
            q = dns.message.make_query(qname, "A")
            q.id = qid
            asked[qid] = label
            sock.sendto(q.to_wire(), addr)
        round_end = time.monotonic() + 0.0005
        while True:
            try:
                data, _ = sock.recvfrom(4096)
            except BlockingIOError:
                if time.monotonic() >= round_end:
                    break
                time.sleep(0.0001)
                continue
            r = dns.message.from_wire(data)
            label = asked.pop(r.id, None)
            if label in pending and r.rcode() == dns.rcode.NOERROR and r.answer:
                seen[label] = time.monotonic() - t0
                del pending[label]
    for label in pending:
        seen[label] = None
    return seen


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--primary", required=True)
    ap.add_argument("--zone", required=True)
    ap.add_argument("--key", required=True, help="NAME:BASE64 (hmac-sha256)")
    ap.add_argument("--secondary", action="append", required=True, help="LABEL=ADDR:PORT")
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--rate", type=float, default=20.0, help="updates per second")
    ap.add_argument("--timeout", type=float, default=5.0)
    args = ap.parse_args()

    key_name, _, secret = args.key.partition(":")
    keyring = dns.tsigkeyring.from_text({key_name: secret})
    primary = endpoint(args.primary)
    secondaries = {}
    for s in args.secondary:
        label, _, addr = s.partition("=")
        secondaries[label] = endpoint(addr)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)

    lat = {label: [] for label in secondaries}
    missed = {label: 0 for label in secondaries}
    run = int(time.time())
    interval = 1.0 / args.rate
    next_at = time.monotonic()
    for i in range(args.count):
        now = time.monotonic()
        if now < next_at:
            time.sleep(next_at - now)
        next_at += interval
        name = f"p{run}-{i}.{args.zone}."
        upd = dns.update.UpdateMessage(args.zone, keyring=keyring, keyname=key_name,
                                       keyalgorithm=dns.tsig.HMAC_SHA256)
        upd.add(name, 300, "A", f"198.51.100.{i % 250 + 1}")
        reply = dns.query.tcp(upd, primary[0], port=primary[1], timeout=5)
        if reply.rcode() != dns.rcode.NOERROR:
            print(f"update {i}: {dns.rcode.to_text(reply.rcode())}", file=sys.stderr)
            return 1
        for label, t in wait_visible(sock, secondaries, name, args.timeout).items():
            if t is None:
                missed[label] += 1
            else:
                lat[label].append(t * 1000.0)

    print(f"{'secondary':<16} {'n':>5} {'median':>8} {'p90':>8} {'p99':>8} {'max':>8} {'missed':>6}  (ms)")
    for label, v in lat.items():
        med = statistics.median(v) if v else float("nan")
        print(f"{label:<16} {len(v):>5} {med:>8.1f} {percentile(v, 90):>8.1f} "
              f"{percentile(v, 99):>8.1f} {max(v) if v else float('nan'):>8.1f} {missed[label]:>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
