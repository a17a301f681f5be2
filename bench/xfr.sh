#!/usr/bin/env bash
# Outgoing AXFR: the same ~1,000,000-record zone (bench/gen_zone.py) served by
# namaed, BIND's named and Knot, each pinned to core 0 with one worker, and
# transferred ROUNDS times by the same receiver (kdig +noall, which reads and
# parses every message but prints nothing) pinned to core 1. Reports the
# median wall time of a transfer, the primary's CPU seconds per transfer (the
# fair measure when the receiver on the other core may be the bottleneck),
# the primary's RSS before the transfers and its peak (VmHWM, reset after the
# zone load) during them, with ratios to namaed. Wall time is the receiver's
# as much as the primary's: kdig parsing a million records takes about as
# long as any of these primaries takes to send them. Usage: bench/xfr.sh BUILD_DIR [ROUNDS] [NAMES]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
rounds=${2:-3}
names=${3:-512000}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/namae-xfrbench.XXXXXX)
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
tcp-workers = 1
control = "$1/namaed.sock"
[[zone]]
name = "$origin"
file = "$1/zone"
allow-transfer = ["127.0.0.1"]
EOT
  taskset -c 0 "$build/bin/namaed" --config "$1/namae.toml" --foreground >"$1/log" 2>&1 &
  echo $!
}
start_named() {
  cat > "$1/named.conf" <<EOT
options {
  directory "$1";
  pid-file "$1/named.pid";
  session-keyfile "$1/session.key";
  managed-keys-directory "$1";
  listen-on port $2 { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  notify no;
  dnssec-validation no;
  allow-transfer { 127.0.0.1; };
};
controls { };
zone "$origin" { type primary; file "$1/zone"; };
EOT
  taskset -c 0 named -g -n 1 -c "$1/named.conf" >"$1/log" 2>&1 &
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
acl:
  - id: local
    address: 127.0.0.1
    action: transfer
template:
  - id: default
    storage: "$1"
    zonefile-sync: -1
    journal-content: none
zone:
  - domain: $origin
    file: "$1/zone"
    acl: local
EOT
  taskset -c 0 knotd -c "$1/knot.conf" >"$1/log" 2>&1 &
  echo $!
}


kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# Prints: label median_seconds cpu_seconds_per_transfer rss_before_kib hwm_after_kib records
run_one() {  # label starter
  local label=$1 dir="$work/$1" port=$((port_base + ${#pids[@]}))
  local bin
  case $1 in namaed) bin="$build/bin/namaed" ;; named) bin=named ;; knot) bin=knotd ;; esac
  if ! command -v "$bin" >/dev/null; then echo "$label - - - - -"; return; fi
  mkdir -p "$dir"
  cp "$work/data/zone" "$dir/zone"
  local pid
  pid=$($2 "$dir" "$port")
  pids+=("$pid")
  if ! wait_ready "$port" "$pid"; then
    echo "$label did not start:" >&2; tail -5 "$dir/log" >&2
    echo "$label - - - - -"; return
  fi
  sleep 1
  local rss0 hz c0 c1 n t0 t1
  rss0=$(kib "$pid" VmRSS)
  # Reset the peak (VmHWM) so it shows the transfers, not the zone load.
  echo 5 > "/proc/$pid/clear_refs" 2>/dev/null || true
  hz=$(getconf CLK_TCK)
  : > "$dir/times"
  c0=$(cpu_ticks "$pid")
  for _ in $(seq 1 "$rounds"); do
    t0=$(date +%s.%N)
    taskset -c 1 kdig -p "$port" @127.0.0.1 "$origin" AXFR +noall +stats > "$dir/out" 2>&1
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f\n", b - a}' >> "$dir/times"
  done
  c1=$(cpu_ticks "$pid")
  # kdig's stats line: ";; Received N B (M messages, R records)"
  n=$(awk '/Received/ {gsub(/[(),]/, ""); for (i = 1; i <= NF; i++) if ($i == "records") print $(i - 1)}' "$dir/out")
  echo "$label $(median < "$dir/times") $(awk -v a="$c0" -v b="$c1" -v hz="$hz" -v r="$rounds" 'BEGIN {printf "%.3f", (b - a) / hz / r}') $rss0 $(kib "$pid" VmHWM) ${n:--}"
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
}

records=$(python3 "$here/gen_zone.py" "$work/data" --names "$names")
results=$(for s in namaed named knot; do run_one "$s" "start_$s"; done)
echo "AXFR out: $records-record zone, $rounds transfers per server (primary on core 0, kdig +noall on core 1)"
awk '
  NR == 1 { bt = $2; bc = $3; bh = $5 }
  { l[NR]=$1; t[NR]=$2; c[NR]=$3; r0[NR]=$4; h[NR]=$5; n[NR]=$6 }
  END {
    printf "%-7s %9s %10s %10s %12s %9s | %9s %9s %9s\n", "server", "time s", "cpu s/xfr", "RSS MiB", "peak RSS MiB", "records", "time/ours", "cpu/ours", "peak/ours"
    for (i = 1; i <= NR; i++) {
      if (t[i] == "-") { printf "%-7s (not run)\n", l[i]; continue }
      printf "%-7s %9.3f %10.3f %10.1f %12.1f %9s | %9.2f %9.2f %9.2f\n", l[i], t[i], c[i], r0[i] / 1024, h[i] / 1024, n[i], t[i] / bt, (bc > 0 ? c[i] / bc : 0), h[i] / bh
    }
  }' <<<"$results"
