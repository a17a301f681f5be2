#!/usr/bin/env bash
# Encrypted transports of the resolver: cache-hit queries per second over DNS
# over TLS and DNS over HTTPS (GET and POST), namaed's [resolver] against
# Unbound's tls-port/https-port, both answering from their caches names of a
# root zone that a separate namaed serves on loopback. One resolver thread
# each pinned to core 0, dnsperf (-m dot / -m doh, 4 connections, 100 in
# flight) on core 1; plain TCP for reference. Prints qps and qps per server
# CPU-second (on 2 cores dnsperf's TLS side tends to saturate first, so the
# second is the server's own cost) and namaed/unbound ratios of both.
# Usage: bench/dot_doh.sh BUILD_DIR [SECONDS]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
secs=${2:-5}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/namae-dotbench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
. "$here/lib.sh"
base=$(free_port_base)
root_port=$base

"$here/../scripts/make-cert.sh" "$work/key.pem" "$work/cert.pem"

# The root: 200 names with addresses, answered authoritatively by a namaed.
{
  echo '$TTL 86400'
  echo '. SOA a.root. hostmaster.root. 1 3600 600 86400 60'
  echo '. NS a.root.'
  echo 'a.root. A 127.0.0.1'
  for i in $(seq 0 199); do echo "h$i.bench. A 192.0.2.$((i % 250))"; done
} >"$work/root.zone"
for i in $(seq 0 199); do echo "h$i.bench A"; done >"$work/names.txt"
mkdir -p "$work/root"
cat >"$work/root/namae.toml" <<EOT
[server]
listen = ["127.0.0.1:$root_port"]
workers = 1
control = "$work/root/ctl.sock"
[http]
listen = ""
[[zone]]
name = "."
file = "$work/root.zone"
EOT
taskset -c 1 "$build/bin/namaed" --config "$work/root/namae.toml" --foreground >"$work/root/log" 2>&1 &
pids+=($!)
printf '. 3600000 NS a.root.\na.root. 3600000 A 127.0.0.1\n' >"$work/hints"

start_namaed() {  # dir port  (udp/tcp port, DoT port+1, DoH port+2)
  cat >"$1/namae.toml" <<EOT
[server]
listen = ["127.0.0.1:$(($2 + 3))"]
workers = 1
control = "$1/ctl.sock"
tcp-max-connections = 1000
[http]
listen = ""
[resolver]
listen = ["127.0.0.1:$2"]
dot-listen = ["127.0.0.1:$(($2 + 1))"]
doh-listen = ["127.0.0.1:$(($2 + 2))"]
tls-cert = "$work/cert.pem"
tls-key = "$work/key.pem"
root-hints = "$work/hints"
validate = false  # the test root is unsigned
upstream-port = $root_port
empty-zones = false
do-not-query-localhost = false
workers = 1
prefetch = false
EOT
  taskset -c 0 "$build/bin/namaed" --config "$1/namae.toml" --foreground >"$1/log" 2>&1 &
  echo $!
}

start_unbound() {  # dir port
  cat >"$1/unbound.conf" <<EOT
server:
    interface: 127.0.0.1@$2
    interface: 127.0.0.1@$(($2 + 1))
    interface: 127.0.0.1@$(($2 + 2))
    port: $2
    tls-port: $(($2 + 1))
    https-port: $(($2 + 2))
    tls-service-key: "$work/key.pem"
    tls-service-pem: "$work/cert.pem"
    http-notls-downstream: no
    num-threads: 1
    username: ""
    chroot: ""
    directory: "$1"
    pidfile: "$1/unbound.pid"
    logfile: ""
    use-syslog: no
    verbosity: 0
    do-not-query-localhost: no
    module-config: "iterator"
    access-control: 127.0.0.0/8 allow
    local-zone: "bench." nodefault
    prefetch: no
    do-ip6: no
    incoming-num-tcp: 1000
    msg-cache-size: 64m
    rrset-cache-size: 128m
stub-zone:
    name: "."
    stub-addr: 127.0.0.1@$root_port
EOT
  taskset -c 0 unbound -d -c "$1/unbound.conf" >"$1/log" 2>&1 &
  echo $!
}

perf() {  # pid port mode [extra dnsperf args...] -> "qps qps-per-cpu-second"
  local pid=$1 port=$2 mode=$3 t0 t1 qps
  shift 3
  t0=$(cpu_ticks "$pid")
  qps=$(taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -m "$mode" "$@" -d "$work/names.txt" -l "$secs" -c 4 -q 100 -t 3 2>&1 |
    awk '/Queries per second/ {q = $4} END {print q + 0}')
  t1=$(cpu_ticks "$pid")
  awk -v q="$qps" -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" -v s="$secs" \
    'BEGIN {c = (b - a) / hz; printf "%.0f %.0f", q, (c > 0 ? q * s / c : 0)}'
}

run_one() {  # label index
  local label=$1 dir="$work/$1" port=$((base + 10 + $2 * 10)) pid
  mkdir -p "$dir"
  pid=$("start_$label" "$dir" "$port")
  pids+=("$pid")
  for _ in $(seq 1 100); do
    dig +time=1 +tries=1 -p "$port" @127.0.0.1 h0.bench A 2>/dev/null | grep -q "status: NOERROR" && break
    sleep 0.1
  done
  # Warm the cache over UDP, then one run per transport.
  taskset -c 1 dnsperf -s 127.0.0.1 -p "$port" -d "$work/names.txt" -n 2 >/dev/null 2>&1
  local doh_uri="https://127.0.0.1:$((port + 2))/dns-query" tcp dot get post
  tcp=$(perf "$pid" "$port" tcp)
  dot=$(perf "$pid" $((port + 1)) dot)
  get=$(perf "$pid" $((port + 2)) doh -O doh-uri="$doh_uri" -O doh-method=GET)
  post=$(perf "$pid" $((port + 2)) doh -O doh-uri="$doh_uri" -O doh-method=POST)
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  echo "$label $tcp $dot $get $post"
}

results=$(run_one namaed 0; run_one unbound 1)
echo "cache-hit qps, ${secs}s per transport, dnsperf -c 4 -q 100 on core 1, one resolver thread on core 0"
awk '
  function r(a, b) { return b > 0 ? a / b : 0 }
  { l[NR] = $1; for (k = 2; k <= 9; k++) v[NR, k] = $k }
  END {
    printf "%-8s %-16s %-16s %-16s %-16s\n", "", "tcp", "dot", "doh GET", "doh POST"
    printf "%-8s %-16s %-16s %-16s %-16s\n", "resolver", "qps  qps/cpu-s", "qps  qps/cpu-s", "qps  qps/cpu-s", "qps  qps/cpu-s"
    for (i = 1; i <= NR; i++) {
      printf "%-8s", l[i]
      for (k = 2; k <= 9; k += 2) printf " %6d %9d", v[i, k], v[i, k + 1]
      printf "\n"
    }
    if (NR == 2) {
      printf "namaed/unbound qps:        tcp %.2fx, dot %.2fx, doh GET %.2fx, doh POST %.2fx\n",
             r(v[1,2], v[2,2]), r(v[1,4], v[2,4]), r(v[1,6], v[2,6]), r(v[1,8], v[2,8])
      printf "namaed/unbound qps/cpu-s:  tcp %.2fx, dot %.2fx, doh GET %.2fx, doh POST %.2fx\n",
             r(v[1,3], v[2,3]), r(v[1,5], v[2,5]), r(v[1,7], v[2,7]), r(v[1,9], v[2,9])
    }
  }' <<<"$results"
