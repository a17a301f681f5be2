#!/usr/bin/env bash
# Dynamic update: durable, acknowledged updates per second against namaed and
# against BIND's named in one run: the same zone, the same TSIG key, a journal
# on both (namaed: SQLite WAL, synchronous=FULL, group commit; named: its .jnl,
# fsync'ed on every commit), each server pinned to one core (the one that
# takes the disk's interrupts) with one worker, the load generator
# (bench/update_load.cpp: N clients, one signed UPDATE each in flight, each
# adding a unique A record, every reply's TSIG verified) pinned to the other.
# Then, for namaed, query throughput (dnsperf) idle and while a stream of
# updates comes in.
#
# namaed's worker hands an UPDATE to the zone's writer thread and goes back to
# queries; the writer commits every update queued meanwhile in one journal
# transaction and replies through deferred-reply channels. namaed is measured
# with 1 UDP worker (as bench/auth.sh) and with 4 (NAMAED_WORKERS="1 4" by default);
# named runs with -n 1 (its update processing is serial anyway).
#
# SIGNED=1: the zone is signed by each server (namaed: dnssec = true, a
# combined ECDSA P-256 key and NSEC; named: dnssec-policy default, the same),
# so every update also re-signs what it changed, the NSEC chain around it
# and the SOA. The query throughput part is skipped then.
#
# Usage: bench/update.sh BUILD_DIR [SECONDS] [CLIENTS] [STREAM_RATE]
#        (environment: NAMAED_WORKERS, QUERY_SECONDS, QUERY_ROUNDS, SIGNED)
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
secs=${2:-10}
# Query throughput under updates: QUERY_ROUNDS busy runs of QUERY_SECONDS,
# each between two idle runs. Short, many runs: this host's speed drifts by
# tens of percent over tens of seconds.
qsecs=${QUERY_SECONDS:-5}
qrounds=${QUERY_ROUNDS:-5}
clients=${3:-16}
stream_rate=${4:-500}
signed=${SIGNED:-0}
here=$(cd "$(dirname "$0")" && pwd)
load="$build/bin/update_load"
if [ ! -x "$load" ]; then echo "update_load not built ($load)"; exit 0; fi
if ! command -v named >/dev/null; then echo "named not installed"; exit 0; fi
work=$(mktemp -d /tmp/namae-updbench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
origin=dyn.test
key_name=benchkey
key_secret=$(head -c 32 /dev/urandom | base64)
key="hmac-sha256:$key_name:$key_secret"
. "$here/lib.sh"
port_base=$(free_port_base)

{
  echo "\$ORIGIN $origin."
  echo "\$TTL 300"
  echo "@ IN SOA ns1 hostmaster 1 7200 900 1209600 60"
  echo "@ IN NS ns1"
  echo "ns1 IN A 127.0.0.1"
  for i in $(seq 1 1000); do echo "h$i IN A 192.0.2.$((i % 250 + 1))"; done
} > "$work/zone"
for i in $(seq 1 1000); do echo "h$i.$origin A"; done > "$work/queries.txt"

start_namaed() {  # dir port
  cat > "$1/namae.toml" <<EOT
[server]
listen = ["127.0.0.1:$2"]
workers = $workers
control = "$1/namaed.sock"
[http]
listen = ""
[[key]]
name = "$key_name"
algorithm = "hmac-sha256"
secret = "$key_secret"
[[zone]]
name = "$origin"
file = "$1/zone"
journal = "$1/zone.db"
update-policy = [ { key = "$key_name", grant = "zonesub" } ]
file-sync-interval = 0
EOT
  if [ "$signed" = 1 ]; then printf 'dnssec = true\nkey-directory = "%s/keys"\n' "$1" >> "$1/namae.toml"; fi
  taskset -c "$server_core" "$build/bin/namaed" --config "$1/namae.toml" --foreground >"$1/log" 2>&1 &
  echo $!
}
start_named() {  # dir port
  local signing=""
  [ "$signed" = 1 ] && signing="dnssec-policy default; key-directory \"$1\";"
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
};
controls { };
key "$key_name" { algorithm hmac-sha256; secret "$key_secret"; };
zone "$origin" { type primary; file "$1/zone"; update-policy { grant $key_name zonesub ANY; }; $signing };
EOT
  taskset -c "$server_core" named -g -n 1 -c "$1/named.conf" >"$1/log" 2>&1 &
  echo $!
}

# The servers' core is the one that takes the journal disk's interrupts, so a
# server pays for its own fsyncs' completions; on the other core they would
# land on dnsperf's core and pass for a loss of query throughput (seen here:
# a VM whose virtio-blk interrupt is pinned to CPU 1 and cannot be moved).
disk_irq_cpu() {
  local dev virt irq
  dev=$(df --output=source "$work" | tail -1)
  dev=$(basename "$(readlink -f "$dev")")
  dev=${dev%%[0-9]*}                     # vda1 -> vda (nvme not handled: falls back)
  virt=$(basename "$(readlink -f "/sys/block/$dev/device" 2>/dev/null)" 2>/dev/null) || return 1
  irq=$(awk -v v="$virt-req" 'index($0, v) {sub(":", "", $1); print $1; exit}' /proc/interrupts)
  [ -n "$irq" ] && cat "/proc/irq/$irq/effective_affinity_list" 2>/dev/null
}
server_core=0
load_core=1
if c=$(disk_irq_cpu) && [[ "$c" =~ ^[0-9]+$ ]] && [ "$c" -le 1 ]; then
  server_core=$c
  load_core=$((1 - c))
fi
serial() { dig +short -p "$1" @127.0.0.1 "$origin" SOA | awk '{print $3}'; }
# A signed zone is measured once the server has signed it (named signs in the background).
wait_signed() {  # port
  [ "$signed" = 1 ] || return 0
  for _ in $(seq 1 300); do
    if dig +dnssec +norec -p "$1" @127.0.0.1 "h1000.$origin" A | grep -q "RRSIG"; then return 0; fi
    sleep 0.2
  done
  echo "warning: $origin not signed after 60 s" >&2
}

# Writes $work/LABEL.res: label rate cpu_seconds acked errors avg_ms p99_ms serial_delta.
# Not run in a subshell: it leaves the server running in $server_pid/$server_port.
run_updates() {  # label starter
  local label=$1 starter=$2 dir="$work/$1" port=$((port_base + ${#pids[@]} * 2))
  mkdir -p "$dir"
  cp "$work/zone" "$dir/zone"
  local pid
  pid=$($starter "$dir" "$port")
  pids+=("$pid")
  if ! wait_ready "$port" "$pid"; then
    echo "$label did not start:" >&2; tail -5 "$dir/log" >&2
    echo "$label - - - - - - -" > "$work/$label.res"; server_pid=$pid; server_port=$port; return
  fi
  wait_signed "$port"
  local hz t0 t1 s0 s1 out
  hz=$(getconf CLK_TCK)
  s0=$(serial "$port")
  t0=$(cpu_ticks "$pid")
  out=$(taskset -c "$load_core" "$load" -s 127.0.0.1 -p "$port" -z "$origin" -y "$key" -c "$clients" -l "$secs" -P "$label-" || true)
  t1=$(cpu_ticks "$pid")
  s1=$(serial "$port")
  # Spot check: the first acknowledged update is served.
  if ! dig +short -p "$port" @127.0.0.1 "$label-0.$origin" A | grep -q '^10\.0\.0\.0$'; then
    echo "warning: $label-0.$origin missing after the run" >&2
  fi
  echo "$out" > "$dir/load.txt"
  local cpu
  cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" 'BEGIN {printf "%.2f", (b - a) / hz}')
  awk -v l="$label" -v cpu="$cpu" -v ds="$((s1 - s0))" \
    '{for (i = 1; i < NF; i += 2) v[$i] = $(i + 1)} END {print l, v["rate"], cpu, v["acked"], v["errors"], v["avg_ms"], v["p99_ms"], ds}' \
    <<<"$out" > "$work/$label.res"
  server_pid=$pid
  server_port=$port
}

echo "dynamic update: zone $origin (1000 records$([ "$signed" = 1 ] && echo ", signed by the server: ECDSA P-256 CSK, NSEC")), TSIG hmac-sha256, $clients clients x 1 outstanding, ${secs}s each"
echo "servers on core $server_core (it takes the journal disk's interrupts), load generators on core $load_core"
# The floor under namaed's figures: the journal's own commits on this disk.
taskset -c "$server_core" "$load" -j "$work/rate.db" -l 3 || true
run_updates named start_named
kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true
# One dnsperf run: "qps server_cpu_share". Below a share of 1 the run was
# limited by dnsperf (alone on the load core, or sharing it with the update
# stream), so the server's capacity, qps / share, is printed beside qps.
qps() {
  local c0 c1 q hz
  hz=$(getconf CLK_TCK)
  c0=$(cpu_ticks "$server_pid")
  q=$(taskset -c "$load_core" dnsperf -s 127.0.0.1 -p "$server_port" -d "$work/queries.txt" -l "$qsecs" -c 4 -q 200 -t 2 2>&1 |
      awk '/Queries per second/ {printf "%.0f", $4}')
  c1=$(cpu_ticks "$server_pid")
  echo "$q $(awk -v a="$c0" -v b="$c1" -v hz="$hz" -v s="$qsecs" 'BEGIN {printf "%.3f", (b - a) / hz / s}')"
}
median() { sort -n | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
change() { awk -v a="$1" -v b="$2" 'BEGIN {if (a > 0) printf "%+.1f%%", (b - a) * 100 / a}'; }

labels=()
query_lines=()
for workers in ${NAMAED_WORKERS:-1 4}; do
  label=namaed-w$workers
  labels+=("$label")
  run_updates "$label" start_namaed
  if [ "$signed" = 1 ]; then
    kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true
    continue
  fi
  # Query throughput on a fresh namaed with the 1000-record zone (the
  # throughput run above grew its zone by ~100k names): idle, then with a
  # stream of updates at $stream_rate/s from 8 clients (load generator and
  # dnsperf share the load core).
  kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true
  qdir="$work/$label-queries"
  mkdir -p "$qdir"
  cp "$work/zone" "$qdir/zone"
  server_port=$((port_base + 100 + workers))
  server_pid=$(start_namaed "$qdir" "$server_port")
  pids+=("$server_pid")
  wait_ready "$server_port" "$server_pid" || echo "$label (queries) did not start" >&2
  if command -v dnsperf >/dev/null && kill -0 "$server_pid" 2>/dev/null; then
    # Idle and busy runs alternate (idle, busy, idle, ... idle) and each
    # figure is the median of its kind, so the machine's drift over the
    # minutes (this host's speed varies by tens of percent) does not pass for
    # the updates' cost.
    : > "$work/idle.txt"; : > "$work/busy.txt"
    for round in $(seq 1 "$qrounds"); do
      qps >> "$work/idle.txt"
      taskset -c "$load_core" "$load" -s 127.0.0.1 -p "$server_port" -z "$origin" -y "$key" -c 8 -r "$stream_rate" \
        -l "$((qsecs + 2))" -P "stream$workers-$round-" > "$work/stream.txt" 2>&1 &
      lpid=$!
      sleep 1
      qps >> "$work/busy.txt"
      wait "$lpid" || true
    done
    qps >> "$work/idle.txt"
    idle=$(awk '{print $1}' "$work/idle.txt" | median)
    busy=$(awk '{print $1}' "$work/busy.txt" | median)
    idle_cap=$(awk '$2 > 0 {printf "%.0f\n", $1 / $2}' "$work/idle.txt" | median)
    busy_cap=$(awk '$2 > 0 {printf "%.0f\n", $1 / $2}' "$work/busy.txt" | median)
    stream=$(awk '{for (i = 1; i < NF; i += 2) if ($i == "rate") print $(i + 1)}' "$work/stream.txt")
    query_lines+=("$label queries/s, medians: idle $idle, with ${stream:-?} updates/s streaming in $busy ($(change "$idle" "$busy"); target >= -10%)")
    query_lines+=("$label capacity (queries per server CPU-second): idle $idle_cap, with updates $busy_cap ($(change "$idle_cap" "$busy_cap"))")
    query_lines+=("$label runs (qps server-CPU-share): idle $(tr '\n' ' ' < "$work/idle.txt")| busy $(tr '\n' ' ' < "$work/busy.txt")")
  else
    query_lines+=("$label: dnsperf not installed, query throughput under updates skipped")
  fi
  kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true
done

printf "%-10s %10s %8s %8s %7s %8s %8s %9s %10s\n" server "updates/s" "cpu s" acked errors "avg ms" "p99 ms" "serial +" "upd/cpu s"
rate_named=$(awk '{print $2}' "$work/named.res")
for l in "${labels[@]}" named; do
  read -r l rate cpu acked errs avg p99 ds < "$work/$l.res"
  per=$(awk -v a="$acked" -v c="$cpu" 'BEGIN {if (c > 0) printf "%.0f", a / c; else print "-"}')
  printf "%-10s %10s %8s %8s %7s %8s %8s %9s %10s\n" "$l" "$rate" "$cpu" "$acked" "$errs" "$avg" "$p99" "$ds" "$per"
done
for l in "${labels[@]}"; do
  awk -v l="$l" -v a="$(awk '{print $2}' "$work/$l.res")" -v b="$rate_named" \
    'BEGIN {if (b > 0) printf "ratio %s/named: %.2fx (target >= 2x)\n", l, a / b}'
done
printf "%s\n" "${query_lines[@]}"
