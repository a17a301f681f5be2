#!/usr/bin/env bash
# Propagation: a namaed primary (dynamic zone, journal, NOTIFY to both
# secondaries, TSIG on transfers) and two secondaries side by side, a namaed
# and a Knot, both pulling IXFR from it when NOTIFY comes. COUNT signed
# UPDATEs at a steady RATE; bench/xfr_propagation.py measures, for each one,
# the time from the primary's acknowledgement until each secondary answers
# the new name, and prints median, p90, p99 and max per secondary.
# Usage: bench/propagation.sh BUILD_DIR [COUNT] [RATE]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
count=${2:-1000}
rate=${3:-20}
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v knotd >/dev/null; then echo "knotd not installed"; exit 0; fi
work=$(mktemp -d /tmp/namae-propbench.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
origin=prop.test
key_name=xfrkey
key_secret=$(head -c 32 /dev/urandom | base64)
. "$here/lib.sh"
port_base=$(free_port_base)
p_port=$port_base
s_port=$((port_base + 1))
k_port=$((port_base + 2))
mkdir -p "$work/p" "$work/s" "$work/k"
{
  echo "\$ORIGIN $origin."
  echo "\$TTL 300"
  echo "@ IN SOA ns1 hostmaster 1 3600 600 86400 60"
  echo "@ IN NS ns1"
  echo "ns1 IN A 127.0.0.1"
} > "$work/p/zone"

cat > "$work/p/namae.toml" <<EOT
[server]
listen = ["127.0.0.1:$p_port"]
control = "$work/p/namaed.sock"
[http]
listen = ""
[[key]]
name = "$key_name"
secret = "$key_secret"
[[zone]]
name = "$origin"
file = "$work/p/zone"
journal = "$work/p/zone.db"
update-policy = [ { key = "$key_name", grant = "zonesub" } ]
allow-transfer = ["key:$key_name"]
notify = ["127.0.0.1:$s_port", "127.0.0.1:$k_port"]
notify-key = "$key_name"
file-sync-interval = 0
EOT
cat > "$work/s/namae.toml" <<EOT
[server]
listen = ["127.0.0.1:$s_port"]
control = "$work/s/namaed.sock"
[http]
listen = ""
[[key]]
name = "$key_name"
secret = "$key_secret"
[[zone]]
name = "$origin"
file = "$work/s/zone"
primaries = ["127.0.0.1:$p_port"]
transfer-key = "$key_name"
EOT
cat > "$work/k/knot.conf" <<EOT
server:
  rundir: "$work/k"
  listen: 127.0.0.1@$k_port
log:
  - target: stderr
    any: warning
database:
  storage: "$work/k"
key:
  - id: $key_name
    algorithm: hmac-sha256
    secret: $key_secret
remote:
  - id: primary
    address: 127.0.0.1@$p_port
    key: $key_name
acl:
  - id: notify_from_primary
    address: 127.0.0.1
    key: $key_name
    action: notify
template:
  - id: default
    storage: "$work/k"
    zonefile-sync: -1
zone:
  - domain: $origin
    file: "$work/k/zone"
    master: primary
    acl: notify_from_primary
EOT

"$build/bin/namaed" --config "$work/p/namae.toml" --foreground >"$work/p/log" 2>&1 &
pids+=($!)
"$build/bin/namaed" --config "$work/s/namae.toml" --foreground >"$work/s/log" 2>&1 &
pids+=($!)
knotd -c "$work/k/knot.conf" >"$work/k/log" 2>&1 &
pids+=($!)

# Both secondaries must hold the zone before the clock starts.
for port in "$s_port" "$k_port"; do
  ok=0
  for _ in $(seq 1 100); do
    if dig +time=1 +tries=1 -p "$port" @127.0.0.1 "$origin" SOA 2>/dev/null | grep -q "status: NOERROR"; then ok=1; break; fi
    sleep 0.1
  done
  if [ "$ok" != 1 ]; then
    echo "secondary on port $port never loaded the zone" >&2
    tail -5 "$work/s/log" "$work/k/log" >&2
    exit 1
  fi
done

echo "Propagation: $count updates at $rate/s to a namaed primary; ack -> first answer on each secondary (NOTIFY + IXFR, TSIG)"
/usr/bin/python3 "$here/xfr_propagation.py" --primary "127.0.0.1:$p_port" --zone "$origin" \
  --key "$key_name:$key_secret" --count "$count" --rate "$rate" \
  --secondary "namaed=127.0.0.1:$s_port" --secondary "knot=127.0.0.1:$k_port"
