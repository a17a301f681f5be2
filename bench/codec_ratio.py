#!/usr/bin/env python3
"""Reads bench_codec's console output and prints namae/ldns ratios of CPU time per operation."""
import re
import sys

times = {}
for line in open(sys.argv[1]):
    m = re.match(r"BM_(\w+)/(\d)\s+[\d.]+ ns\s+([\d.]+) ns", line)
    if m:
        times[(m.group(1), int(m.group(2)))] = float(m.group(3))
labels = ["answer", "referral", "mx"]
print(f"{'message':10} {'ldns parse ns':>14} {'namae parse':>12} {'x faster':>9} {'parse+decode':>13} {'x faster':>9} {'ldns build':>11} {'namae build':>12} {'x faster':>9}")
for i, lab in enumerate(labels):
    lp, np_, nd = times.get(("ldns_parse", i)), times.get(("namae_parse", i)), times.get(("namae_parse_decode", i))
    lb, nb = times.get(("ldns_build", i)), times.get(("namae_build", i))
    if None in (lp, np_, nd, lb, nb):
        continue
    print(f"{lab:10} {lp:14.0f} {np_:12.0f} {lp/np_:9.1f} {nd:13.0f} {lp/nd:9.1f} {lb:11.0f} {nb:12.0f} {lb/nb:9.1f}")
