#!/usr/bin/env bash
# DNS Push fan-out (RFC 8765): one namaed with a dynamic zone and a push
# listener (TLS), SUBSCRIBERS subscriptions over CONNS connections, RATE
# updates per second (each moving one name) for SECONDS; prints the fan-out
# latency (update acknowledged -> PUSH received) median and p99 and namaed's
# CPU per notification delivered. namaed on core 0, the load on core 1.
# Usage: bench/push.sh BUILD_DIR [SUBSCRIBERS] [RATE] [SECONDS] [CONNS] [NAMES]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
subs=${2:-10000} rate=${3:-1000} secs=${4:-10} conns=${5:-50} names=${6:-1000}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/namae-pushbench.XXXXXX)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
. "$here/lib.sh"
port=$(free_port_base)
push_port=$((port + 1))

"$here/../scripts/make-cert.sh" "$work/key.pem" "$work/cert.pem"
{
  echo '$TTL 300'
  echo 'bench.test. SOA ns1.bench.test. hostmaster.bench.test. 1 3600 600 86400 60'
  echo 'bench.test. NS ns1.bench.test.'
  echo 'ns1.bench.test. A 127.0.0.1'
  for i in $(seq 0 $((names - 1))); do echo "h$i.bench.test. A 192.0.2.1"; done
} >"$work/bench.test.zone"
cat >"$work/namae.toml" <<EOT
[server]
listen = ["127.0.0.1:$port"]
workers = 1
control = "$work/ctl.sock"
push-listen = ["127.0.0.1:$push_port"]
tls-cert = "$work/cert.pem"
tls-key = "$work/key.pem"
tcp-max-connections = 4096
push-max-connections = 4096
[http]
listen = ""
[[zone]]
name = "bench.test"
file = "$work/bench.test.zone"
journal = "$work/bench.test.db"
allow-update = ["127.0.0.1"]
EOT
taskset -c 0 "$build/bin/namaed" --config "$work/namae.toml" --foreground >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 100); do [ -S "$work/ctl.sock" ] && break; sleep 0.1; done
taskset -c 1 /usr/bin/python3 "$here/push_load.py" "$pid" "$port" "$push_port" "$work/cert.pem" \
  "$subs" "$conns" "$names" "$rate" "$secs"
