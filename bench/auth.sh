#!/usr/bin/env bash
# Authoritative serving: the same generated zone served by namaed, NSD and
# Knot, each with one worker pinned to core 0, each driven by dnsperf pinned
# to core 1 with the same query mix (80% hits, 15% NXDOMAIN, 5% referrals).
# Reports qps, server CPU seconds and qps per CPU second (with 2
# cores dnsperf saturates first, so qps/CPU is the fair comparison), average
# and p99 latency, lost queries, PSS (RSS without double-counting shared pages) after load; then the same with a
# 1,000,000-record zone. Usage: bench/auth.sh BUILD_DIR [SECONDS] [NAMES]
# NAMAE_SERVER_EXTRA='rrl = { responses-per-second = 1000000 }' adds lines to
# namaed's [server] table (e.g. to measure what RRL costs when nothing is limited).
# NAMAE_BENCH_DO=1 signs the zone first (dnssec-signzone, ECDSA P-256, NSEC;
# NAMAE_BENCH_DO=nsec3 for NSEC3 without salt or extra iterations) and sends
# every query with DO=1, so the servers answer with RRSIGs and denial proofs.
# NAMAE_BENCH_DO=namaed (or namaed-nsec3) has namaed sign it instead
# (`dnssec = true`, its default ECDSA P-256 CSK): namaed serves the zone it
# signs itself, NSD and Knot its AXFR.
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
secs=${2:-15}
names=${3:-100000}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/namae-authbench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
origin=bench.test.
. "$here/lib.sh"
port_base=$(free_port_base)

start_namaed() {  # dir port
  cat > "$1/namae.toml" <<EOT
[server]
listen = ["127.0.0.1:$2"]
workers = 1
control = "$1/namaed.sock"
${NAMAE_SERVER_EXTRA:-}
[http]
listen = "127.0.0.1:$(($2 + 1))"
${namaed_policy:-}
[[zone]]
name = "$origin"
file = "$1/zone"
${namaed_zone_extra:-}
EOT
  [ -d "$work/data/keys" ] && [ ! -e "$1/keys" ] && cp -r "$work/data/keys" "$1/keys"
  taskset -c 0 "$build/bin/namaed" --config "$1/namae.toml" --foreground >"$1/log" 2>&1 &
  echo $!
}
start_nsd() {
  cat > "$1/nsd.conf" <<EOT
server:
  ip-address: 127.0.0.1@$2
  server-count: 1
  username: ""
  chroot: ""
  zonesdir: "$1"
  database: ""
  pidfile: "$1/nsd.pid"
  xfrdfile: "$1/xfrd.state"
  zonelistfile: "$1/zone.list"
  xfrdir: "$1"
  rrl-ratelimit: 0
  rrl-whitelist-ratelimit: 0
  hide-version: yes
  verbosity: 0
remote-control:
  control-enable: no
zone:
  name: "$origin"
  zonefile: "$1/zone"
EOT
  taskset -c 0 nsd -d -c "$1/nsd.conf" >"$1/log" 2>&1 &
  echo $!
}
start_knot() {
  cat > "$1/knot.conf" <<EOT
server:
  rundir: "$1"
  listen: 127.0.0.1@$2
  udp-workers: 1
  tcp-workers: 1
  background-workers: 1
log:
  - target: stderr
    any: warning
database:
  storage: "$1"
template:
  - id: default
    storage: "$1"
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: $origin
    file: "$1/zone"
EOT
  taskset -c 0 knotd -c "$1/knot.conf" >"$1/log" 2>&1 &
  echo $!
}


run_one() {  # label starter names -> prints a result line
  local label=$1 starter=$2 dir="$work/$1" port=$((port_base + ${#pids[@]} * 2))
  mkdir -p "$dir"
  cp "$work/data/zone" "$dir/zone"
  local pid
  pid=$($starter "$dir" "$port")
  pids+=("$pid")
  if ! wait_ready "$port" "$pid"; then
    echo "$label did not start:" >&2; tail -5 "$dir/log" >&2; echo "$label - - - - - - - -"; return
  fi
  if [ -n "$do_flag" ] && ! dig +dnssec -p "$port" @127.0.0.1 "h1.$origin" A | grep -q RRSIG; then
    echo "$label answers DO=1 without RRSIG:" >&2; tail -5 "$dir/log" >&2; echo "$label - - - - - - - -"; return
  fi
  local hz t0 t1 out p99
  hz=$(getconf CLK_TCK)
  t0=$(cpu_ticks "$pid")
  out=$(taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$work/data/queries-mix.txt" -l "$secs" -c 4 -q 200 -t 2 $do_flag 2>&1)
  t1=$(cpu_ticks "$pid")
  local qps avg lost cpu rss
  qps=$(awk '/Queries per second/ {print $4}' <<<"$out")
  avg=$(awk '/Average Latency/ {print $4 * 1000}' <<<"$out")
  lost=$(awk '/Queries lost/ {print $3}' <<<"$out")
  rss=$(rss_kib "$pid")
  cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" 'BEGIN {printf "%.2f", (b - a) / hz}')
  # Latency distribution: a second, rate-limited run with per-query output.
  p99=$(taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$work/data/queries-mix.txt" -l 4 -Q 20000 -t 2 -v $do_flag 2>/dev/null |
        awk '$1 == ">" && NF >= 5 { print $NF * 1000 }' | sort -n |
        awk '{ v[NR] = $1 } END { if (NR) printf "%.3f", v[int(NR * 0.99)]; else print "-" }')
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  echo "$label $qps $cpu $avg $p99 $lost $rss"
}

rss_big() {  # label starter -> RSS with the big zone loaded
  local label=$1 starter=$2 dir="$work/big-$1" port=$((port_base + 100 + ${#pids[@]} * 2))
  mkdir -p "$dir"
  cp "$work/big/zone" "$dir/zone"
  local pid
  pid=$($starter "$dir" "$port")
  pids+=("$pid")
  if wait_ready "$port" "$pid"; then
    dig +short -p "$port" @127.0.0.1 h1.$origin A >/dev/null
    echo "$label $(rss_kib "$pid")"
  else
    echo "$label -"
  fi
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
}

sign_zone() {  # dir nsec3
  local keys="$1/keys" flags=()
  [ "$2" = nsec3 ] && flags=(-3 - -H 0)
  mkdir -p "$keys"
  dnssec-keygen -q -K "$keys" -a ECDSAP256SHA256 -f KSK "$origin" >/dev/null
  dnssec-keygen -q -K "$keys" -a ECDSAP256SHA256 "$origin" >/dev/null
  dnssec-signzone -q -S -K "$keys" -d "$1" -o "$origin" -f "$1/zone.signed" -n 2 "${flags[@]}" "$1/zone" >/dev/null
  mv "$1/zone.signed" "$1/zone"
}

# namaed signs the zone in DIR (its keys left in DIR/keys, which each
# namaed run then signs with) and DIR/zone becomes its AXFR.
sign_zone_namaed() {  # dir
  local dir="$1/signer" port=$((port_base + 98)) pid
  mkdir -p "$dir"
  cp "$1/zone" "$dir/zone"
  pid=$(namaed_zone_extra="$namaed_zone_extra"$'\nallow-transfer = ["127.0.0.1"]' start_namaed "$dir" "$port")
  pids+=("$pid")
  if ! wait_ready "$port" "$pid"; then echo "namaed did not sign the zone:" >&2; tail -5 "$dir/log" >&2; exit 1; fi
  dig +nocmd +nostats +nocomments +onesoa -p "$port" @127.0.0.1 "$origin" AXFR >"$1/zone"
  grep -q RRSIG "$1/zone" || { echo "namaed's AXFR has no RRSIG" >&2; exit 1; }
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  cp -r "$dir/keys" "$1/keys"
}

records=$(python3 "$here/gen_zone.py" "$work/data" --names "$names")
do_flag=
what="$records-record zone"
case "${NAMAE_BENCH_DO:-}" in
  "") ;;
  namaed | namaed-nsec3)
    namaed_zone_extra='dnssec = true'
    if [ "$NAMAE_BENCH_DO" = namaed-nsec3 ]; then
      namaed_policy=$'[[dnssec-policy]]\nname = "bench"\nnsec3 = true'
      namaed_zone_extra='dnssec-policy = "bench"'
    fi
    sign_zone_namaed "$work/data"
    what="$records-record zone signed by namaed ($([ "$NAMAE_BENCH_DO" = namaed-nsec3 ] && echo NSEC3 || echo NSEC)), DO=1 queries" ;;
  *)
    sign_zone "$work/data" "$NAMAE_BENCH_DO"
    what="$records-record zone signed ($([ "$NAMAE_BENCH_DO" = nsec3 ] && echo NSEC3 || echo NSEC)), DO=1 queries" ;;
esac
[ -n "${NAMAE_BENCH_DO:-}" ] && do_flag=-D
results=$(for s in namaed nsd knot; do run_one "$s" "start_$s"; done)
echo "authoritative: $what, ${secs}s per server, dnsperf -c 4 -q 200, 80/15/5 hit/nx/referral"
awk '
  { l[NR]=$1; q[NR]=$2; c[NR]=$3; a[NR]=$4; p[NR]=$5; lo[NR]=$6; r[NR]=$7
    eff[NR] = ($3 > 0) ? $2 / $3 : 0
    if (NR > 1) { if ($2 > bq) bq = $2; if (eff[NR] > be) be = eff[NR]; if (br == "" || $7 < br) br = $7 } }
  END {
    printf "%-7s %10s %8s %12s %9s %9s %7s %9s | %8s %8s %8s\n", "server", "qps", "cpu s", "qps/cpu-s", "avg ms", "p99 ms", "lost", "PSS MiB", "qps/best", "eff/best", "pss/best"
    for (i = 1; i <= NR; i++)
      printf "%-7s %10.0f %8.2f %12.0f %9.3f %9s %7s %9.1f | %8.2f %8.2f %8.2f\n", l[i], q[i], c[i], eff[i], a[i], p[i], lo[i], r[i] / 1024, q[i] / bq, eff[i] / be, r[i] / br
  }' <<<"$results"

[ -n "${NAMAE_BENCH_DO:-}" ] && exit 0  # memory: the unsigned run measures it
big=$(python3 "$here/gen_zone.py" "$work/big" --names 512000)
echo
echo "memory with a $big-record zone (PSS after load):"
for s in namaed nsd knot; do rss_big "$s" "start_$s"; done |
  awk '{ l[NR]=$1; r[NR]=$2; if (NR > 1 && (b == "" || $2 < b)) b = $2 }
       END { for (i = 1; i <= NR; i++) printf "%-7s %9.1f MiB  %5.2fx best peer\n", l[i], r[i] / 1024, r[i] / b }'
