#!/usr/bin/env bash
# Recursive resolver: namaed's [resolver] against Unbound and Knot Resolver
# (kresd, one process) on the same private
# hierarchy (tests/system/hierarchy.py --healthy: NSD servers and one python
# server on 127.53.B.x:53; needs root for port 53).
#  1. Cold cache: a fixed list of names (delegations, empty non-terminals,
#     glueless reverse tree, RFC 2317, CNAME across zones, NXDOMAIN, TCP
#     fallback) sent once each by dnsperf with 20 in flight; reports the wall
#     time, the answers, and the upstream queries each resolver sent (namaed:
#     `ctl cache stats`, Unbound: num.query.udpout + tcpout, kresd:
#     worker.stats() udp + tcp on its control socket).
#  2. Cache hits: the cached names for SECONDS, one resolver thread each
#     pinned to core 0, dnsperf pinned to core 1; qps, server CPU seconds and
#     qps per CPU second (dnsperf saturates first on 2 cores).
# With --validate, namaed and Unbound validate (Unbound: "validator iterator"; kresd
# is left out) on the signed
# hierarchy of tests/system/signed_tree.py from its root's trust anchor: the
# cold list is a few hundred signed names (NSEC, NSEC3, opt-out, Ed25519,
# RSA), negatives, wildcards, an unsigned delegation and two bogus zones; every
# query has DO=1 and the answers compared include the AD flag.
# COLD_RUNS=N repeats the cold list N times per resolver (a fresh process
# each, interleaved) and reports the median wall time and the median CPU
# time the resolver spent on it (all its threads), with their ranges: on a
# shared two-core machine one cold run of a few tens of ms says little.
# Usage: [COLD_RUNS=N] bench/resolver.sh BUILD_DIR [SECONDS] [--validate]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
secs=${2:-10}
validate=0
[ "${3:-}" = "--validate" ] && validate=1
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
work=$(mktemp -d /tmp/namae-resbench.XXXXXX)
pids=()
tree_pid=
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -n "$tree_pid" ] && kill "$tree_pid" 2>/dev/null && wait "$tree_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
. "$here/lib.sh"
port_base=$(free_port_base)

if [ "$validate" = 1 ]; then
  /usr/bin/python3 "$repo/tests/system/signed_tree.py" "$work/tree" >"$work/tree.out" 2>&1 &
else
  /usr/bin/python3 "$repo/tests/system/hierarchy.py" "$work/tree" --healthy >"$work/tree.out" 2>&1 &
fi
tree_pid=$!
for _ in $(seq 1 100); do grep -q '^BASE=' "$work/tree.out" 2>/dev/null && break; sleep 0.2; done
hints=$(sed -n 's/^HINTS=//p' "$work/tree.out")
anchor=$(sed -n 's/^ANCHOR=//p' "$work/tree.out")
[ -n "$hints" ] || { echo "hierarchy did not start:" >&2; cat "$work/tree.out" >&2; exit 1; }

# The cold list: 200 hosts under a delegation, names needing more labels
# revealed one by one, the reverse tree, negatives, a big RRset, the python server.
# Validating: 50 hosts in each of four signed zones, negatives, NODATA,
# wildcards, an unsigned zone and two bogus ones.
if [ "$validate" = 1 ]; then {
  for z in nsec nsec3 ed optout; do
    for i in $(seq 0 49); do echo "h$i.$z.test A"; done
    for i in $(seq 0 4); do echo "nx$i.$z.test A"; done
    echo "www.$z.test TXT"; echo "x.wild.$z.test TXT"
  done
  echo "www.unsigned.test A"; echo "www.expired.test A"; echo "www.wrongds.test A"
} >"$work/cold.txt"
grep '^h' "$work/cold.txt" >"$work/warm.txt"
else {
  for i in $(seq 0 199); do echo "h$i.example.test A"; done
  for i in $(seq 0 29); do echo "nx$i.example.test A"; done
  for i in $(seq 0 19); do echo "c$i.count.test A"; done
  echo "www.example.test A"; echo "www.example.test AAAA"; echo "mail.example.test MX"
  echo "x.y.z.example.test A"; echo "alias.test A"; echo "big.example.test TXT"
  echo "80.2.0.192.in-addr.arpa PTR"; echo "5.2.0.192.in-addr.arpa PTR"; echo "9.2.0.192.in-addr.arpa PTR"
} >"$work/cold.txt"
grep -v '^nx\|^c[0-9]\|TXT$' "$work/cold.txt" >"$work/warm.txt"
fi
cold_n=$(wc -l <"$work/cold.txt")
# DO=1 on every query when validating (dnsperf -D, dig +dnssec).
do_flag=(); dig_do=()
[ "$validate" = 1 ] && do_flag=(-D) && dig_do=(+dnssec)
if [ "$validate" = 1 ]; then
  namaed_validation="validate = true
trust-anchor-file = \"$anchor\""
  unbound_modules="validator iterator"
  unbound_anchor="trust-anchor-file: \"$anchor\""
else
  namaed_validation="validate = false  # the test root is unsigned"
  unbound_modules="iterator"
  unbound_anchor=""
fi

start_namaed() {  # dir port
  cat >"$1/namae.toml" <<EOT
[server]
listen = ["127.0.0.1:$(($2 + 1))"]
workers = 1
control = "$1/ctl.sock"
[http]
listen = ""
[resolver]
listen = ["127.0.0.1:$2"]
root-hints = "$hints"
$namaed_validation
empty-zones = false
do-not-query-localhost = false
workers = 1
prefetch = false
EOT
  taskset -c 0 "$build/bin/namaed" --config "$1/namae.toml" --foreground >"$1/log" 2>&1 &
  echo $!
}
upstream_namaed() { "$build/bin/namae" ctl -s "$1/ctl.sock" cache stats | sed -n 's/.*upstream-queries \([0-9]*\).*/\1/p'; }

start_unbound() {  # dir port
  cat >"$1/unbound.conf" <<EOT
server:
    interface: 127.0.0.1@$2
    port: $2
    num-threads: 1
    username: ""
    chroot: ""
    directory: "$1"
    pidfile: "$1/unbound.pid"
    logfile: ""
    use-syslog: no
    verbosity: 0
    root-hints: "$hints"
    do-not-query-localhost: no
    module-config: "$unbound_modules"
    $unbound_anchor
    access-control: 127.0.0.0/8 allow
    local-zone: "test." nodefault
    local-zone: "2.0.192.in-addr.arpa." nodefault
    qname-minimisation: yes
    prefetch: no
    do-ip6: no
    extended-statistics: yes
    msg-cache-size: 64m
    rrset-cache-size: 128m
remote-control:
    control-enable: yes
    control-interface: "$1/ctl.sock"
    control-use-cert: no
EOT
  taskset -c 0 unbound -d -c "$1/unbound.conf" >"$1/log" 2>&1 &
  echo $!
}
upstream_unbound() {
  unbound-control -c "$1/unbound.conf" stats_noreset |
    awk -F= '$1 == "num.query.udpout" || $1 == "num.query.tcpout" { s += $2 } END { print s + 0 }'
}

# No validation (as the others here), the RFC 6761/6303 names of the test
# hierarchy not answered locally, loopback name servers allowed.
start_kresd() {  # dir port
  cat >"$1/kresd.conf" <<EOT
net.ipv6 = false
net.listen('127.0.0.1', $2, { kind = 'dns' })
trust_anchors.remove('.')
modules.load('hints > iterate')
hints.root_file('$hints')
policy.special_names = {}
option('ALLOW_LOCAL', true)
cache.size = 100 * MB
EOT
  taskset -c 0 kresd -n -q -c "$1/kresd.conf" "$1" >"$1/log" 2>&1 &
  echo $!
}
upstream_kresd() {
  /usr/bin/python3 - "$1"/control/* <<'EOT'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(b"worker.stats().udp + worker.stats().tcp\n")
time.sleep(0.2)
print(int(s.recv(4096).decode().split()[-1]))
EOT
}

wait_up() {  # port pid
  for _ in $(seq 1 100); do
    kill -0 "$2" 2>/dev/null || return 1
    dig +time=1 +tries=1 -p "$1" @127.0.0.1 a.root-servers.test A >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

run_one() {  # label
  local label=$1 dir="$work/$1" port=$((port_base + ${#pids[@]} * 2)) pid
  mkdir -p "$dir"
  pid=$("start_$label" "$dir" "$port")
  pids+=("$pid")
  # Readiness without warming anything the lists ask (a.root-servers.test is in neither).
  wait_up "$port" "$pid" || { echo "$label did not start" >&2; tail -5 "$dir/log" >&2; return 1; }
  local up0 cold wall done_ answers up1
  up0=$("upstream_$label" "$dir")
  cold=$(taskset -c 1 dnsperf "${do_flag[@]}" -s 127.0.0.1 -p "$port" -d "$work/cold.txt" -n 1 -q 20 -t 5 2>&1)
  wall=$(awk '/Run time \(s\)/ {print $4}' <<<"$cold")
  done_=$(awk '/Queries completed/ {print $3}' <<<"$cold")
  up1=$("upstream_$label" "$dir")
  # The answers themselves, to show both resolvers agree (sorted rdata per question).
  while read -r name type; do
    echo "$name $type $(dig "${dig_do[@]}" +time=2 +tries=1 +tcp -p "$port" @127.0.0.1 "$name" "$type" | awk '/status:/ {s=$6} /^;; flags:/ {a=($0 ~ / ad[ ;]/) ? "AD" : "-"} END {print s, a}') $(dig +short +time=2 +tries=1 +tcp -p "$port" @127.0.0.1 "$name" "$type" | sort | tr '\n' ' ')"
  done <"$work/cold.txt" >"$dir/answers"
  local hz t0 t1 out qps lost cpu
  hz=$(getconf CLK_TCK)
  taskset -c 1 dnsperf "${do_flag[@]}" -s 127.0.0.1 -p "$port" -d "$work/warm.txt" -l 2 -c 4 -q 200 >/dev/null 2>&1
  t0=$(cpu_ticks "$pid")
  out=$(taskset -c 1 dnsperf "${do_flag[@]}" -s 127.0.0.1 -p "$port" -d "$work/warm.txt" -l "$secs" -c 4 -q 200 -t 2 2>&1)
  t1=$(cpu_ticks "$pid")
  qps=$(awk '/Queries per second/ {print $4}' <<<"$out")
  lost=$(awk '/Queries lost/ {print $3}' <<<"$out")
  cpu=$(awk -v a="$t0" -v b="$t1" -v hz="$hz" 'BEGIN {printf "%.2f", (b - a) / hz}')
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  echo "$label $wall $done_ $((up1 - up0)) $qps $cpu $lost"
}

# One more cold run of a fresh `label`: "label wall cpu-ms upstream".
cold_round() {  # label
  local label=$1 dir="$work/$1.cold" port=$((port_base + 20)) pid c0 c1 up0 up1 out
  rm -rf "$dir"; mkdir -p "$dir"
  pid=$("start_$label" "$dir" "$port")
  wait_up "$port" "$pid" || { echo "$label did not start" >&2; return 1; }
  up0=$("upstream_$label" "$dir")
  c0=$(cpu_ns "$pid")
  out=$(taskset -c 1 dnsperf "${do_flag[@]}" -s 127.0.0.1 -p "$port" -d "$work/cold.txt" -n 1 -q 20 -t 5 2>&1)
  c1=$(cpu_ns "$pid")
  up1=$("upstream_$label" "$dir")
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  echo "$label $(awk '/Run time \(s\)/ {print $4}' <<<"$out") $(( (c1 - c0) / 1000 )) $((up1 - up0))"
}

# kresd only in the unsigned run: it is set up here without validation.
others=(unbound kresd)
[ "$validate" = 1 ] && others=(unbound)
results=$(for s in namaed "${others[@]}"; do run_one "$s"; done)
[ "$validate" = 1 ] && echo "validating (DO=1), signed hierarchy"
echo "resolver: cold list of $cold_n names (dnsperf -n 1 -q 20), then ${secs}s of cache hits (dnsperf -c 4 -q 200); one thread each on core 0"
awk '
  { l[NR]=$1; w[NR]=$2; d[NR]=$3; u[NR]=$4; q[NR]=$5; c[NR]=$6; lo[NR]=$7; e[NR] = ($6 > 0) ? $5 / $6 : 0 }
  END {
    printf "%-8s %9s %9s %10s | %10s %7s %12s %7s\n", "resolver", "cold s", "answered", "upstream", "hit qps", "cpu s", "qps/cpu-s", "lost"
    for (i = 1; i <= NR; i++)
      printf "%-8s %9.3f %9s %10s | %10.0f %7.2f %12.0f %7s\n", l[i], w[i], d[i], u[i], q[i], c[i], e[i], lo[i]
    for (i = 2; i <= NR; i++)
      printf "namaed/%s: cold time %.2fx, upstream queries %.2fx, hit qps %.2fx, hit qps/cpu-s %.2fx\n",
             l[i], w[1] / w[i], u[1] / u[i], q[1] / q[i], (e[i] > 0 ? e[1] / e[i] : 0)
  }' <<<"$results"
for other in "${others[@]}"; do
  if diff -q "$work/namaed/answers" "$work/$other/answers" >/dev/null; then
    echo "answers: namaed's and $other's identical for all $cold_n questions"
  else
    echo "answers differ from $other's:"; diff "$work/namaed/answers" "$work/$other/answers" | head -20
  fi
done
cold_runs=${COLD_RUNS:-1}
if [ "$cold_runs" -gt 1 ]; then
  rounds=$(for _ in $(seq 1 "$cold_runs"); do for s in namaed "${others[@]}"; do cold_round "$s"; done; done)
  [ -n "${BENCH_RAW:-}" ] && echo "$rounds"
  echo "cold list, $cold_runs fresh runs each (interleaved): median [min-max]"
  for s in namaed "${others[@]}"; do
    awk -v who="$s" '$1 == who { i = n++; w[i] = $2; c[i] = $3 / 1000; u[i] = $4 }
      function med(a, n,   i, j, t) { for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
        return (n % 2) ? a[int(n / 2)] : (a[n / 2 - 1] + a[n / 2]) / 2 }
      END { mw = med(w, n); lw = w[0]; hw = w[n - 1]; mc = med(c, n); lc = c[0]; hc = c[n - 1]; mu = med(u, n)
        printf "%-8s wall %.3f s [%.3f-%.3f]  cpu %.1f ms [%.1f-%.1f]  upstream %d\n", who, mw, lw, hw, mc, lc, hc, mu }' <<<"$rounds"
  done
fi
