#!/usr/bin/env python3
"""Generate a benchmark zone and matching dnsperf query files.

Usage: gen_zone.py OUTDIR --names N [--origin bench.test.]

Writes OUTDIR/zone (about 2.2 records per name: A on every name, AAAA on half,
MX/TXT/CNAME on some, 1 in 20 names a delegation with in-bailiwick glue) and
OUTDIR/queries-{hit,nx,ref,mix}.txt for dnsperf; mix is 80% hits, 15% NXDOMAIN,
5% referrals. Deterministic (fixed seed) so every server sees the same data.
"""
import argparse
import os
import random


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--names", type=int, default=100000)
    ap.add_argument("--origin", default="bench.test.")
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    rnd = random.Random(42)
    origin = a.origin
    hits, refs = [], []
    records = 0
    with open(os.path.join(a.outdir, "zone"), "w") as z:
        z.write(f"$ORIGIN {origin}\n$TTL 3600\n")
        z.write("@ IN SOA ns1 hostmaster 2026112401 7200 3600 1209600 300\n")
        z.write("@ IN NS ns1\n@ IN NS ns2\nns1 IN A 192.0.2.1\nns2 IN A 192.0.2.2\n")
        records += 5
        for i in range(a.names):
            name = f"h{i}"
            if i % 20 == 19:
                z.write(f"{name} IN NS ns.{name}\nns.{name} IN A 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}\n")
                refs.append(f"www.{name}.{origin} A")
                records += 2
                continue
            z.write(f"{name} IN A 10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}\n")
            records += 1
            hits.append(f"{name}.{origin} A")
            if i % 2 == 0:
                z.write(f"{name} IN AAAA 2001:db8::{i >> 16 & 0xffff:x}:{i & 0xffff:x}\n")
                records += 1
                hits.append(f"{name}.{origin} AAAA")
            if i % 10 == 1:
                z.write(f"{name} IN MX 10 mail.{name}\nmail.{name} IN A 192.0.2.{i % 250 + 1}\n")
                records += 2
                hits.append(f"{name}.{origin} MX")
            if i % 10 == 3:
                z.write(f'{name} IN TXT "v=spf1 ip4:10.0.0.0/8 -all" "id {i}"\n')
                records += 1
                hits.append(f"{name}.{origin} TXT")
            if i % 10 == 5:
                z.write(f"alias{i} IN CNAME {name}\n")
                records += 1
                hits.append(f"alias{i}.{origin} A")
    nx = [f"nx{rnd.randrange(10**9)}.{origin} A" for _ in range(max(1000, len(hits) // 5))]
    rnd.shuffle(hits)
    rnd.shuffle(refs)

    def write(fname, lines):
        with open(os.path.join(a.outdir, fname), "w") as f:
            f.write("\n".join(lines) + "\n")

    write("queries-hit.txt", hits)
    write("queries-nx.txt", nx)
    write("queries-ref.txt", refs)
    # 80/15/5 mix, 100k lines, interleaved deterministically.
    mix = []
    for i in range(100000):
        r = rnd.random()
        src = hits if r < 0.80 else (nx if r < 0.95 else refs)
        mix.append(src[rnd.randrange(len(src))])
    write("queries-mix.txt", mix)
    print(records)


if __name__ == "__main__":
    main()
