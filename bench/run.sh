#!/usr/bin/env bash
# `make bench`: every comparison, in one run on this machine.
# Usage: bench/run.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)

echo "== message parse/build: namae vs ldns =="
if [ -x "$build/bin/bench_codec" ]; then
  "$build/bin/bench_codec" --benchmark_min_time=0.5 | tee /tmp/namae-codec.txt
  python3 "$here/codec_ratio.py" /tmp/namae-codec.txt
else
  echo "bench_codec not built (needs libbenchmark-dev and libldns-dev)"
fi
echo
echo "== zone loading: namae vs Knot vs BIND =="
bash "$here/zoneload.sh" "$build"
if [ -x "$here/auth.sh" ]; then
  echo
  echo "== authoritative serving: namaed vs NSD vs Knot =="
  bash "$here/auth.sh" "$build"
fi
if [ -x "$here/update.sh" ]; then
  echo
  echo "== dynamic update: namaed vs BIND (durable acknowledged updates/s, queries under updates) =="
  bash "$here/update.sh" "$build"
fi
if [ -x "$here/resolver.sh" ]; then
  echo
  echo "== recursive resolver: namaed vs Unbound (cold-cache upstream queries and time, cache-hit qps) =="
  bash "$here/resolver.sh" "$build"
fi
if [ -x "$here/xfr.sh" ]; then
  echo
  echo "== zone transfers: AXFR out of a 1M-record zone, namaed vs BIND vs Knot =="
  bash "$here/xfr.sh" "$build"
fi
if [ -x "$here/propagation.sh" ]; then
  echo
  echo "== propagation: update ack -> served by a namaed and a Knot secondary (NOTIFY + IXFR) =="
  bash "$here/propagation.sh" "$build"
fi
for b in sign dot_doh push staleness; do
  [ -x "$here/$b.sh" ] || continue
  echo
  case $b in
    sign) echo "== zone signing: namae vs dnssec-signzone vs kzonesign vs ldns-signzone (wall time, peak RSS) ==" ;;
    dot_doh) echo "== DNS over TLS and HTTPS (see bench/dot_doh.sh for the peers) ==" ;;
    push) echo "== DNS Push fan-out: update ack -> PUSH received, CPU per notification ==" ;;
    staleness) echo "== stale answers: a host's move seen by a Push subscriber vs through caching resolvers (TTL 60 s) ==" ;;
  esac
  bash "$here/$b.sh" "$build"
done
