#!/usr/bin/env bash
# The window DNS Push closes (issue: no stale answers): an authoritative
# namaed with a dynamic zone and a push listener (TLS), and two caching
# resolvers that send the zone's questions to it (Unbound, and a second
# namaed as resolver, each with a stub zone). MOVES names of TTL seconds
# move one after another over one TTL; bench/staleness.py prints, per move,
# how long after the update's acknowledgement a Push subscriber heard of it
# and how long each resolver still answered the old address.
# Usage: bench/staleness.sh BUILD_DIR [MOVES] [TTL]
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
moves=${2:-10} ttl=${3:-60}
here=$(cd "$(dirname "$0")" && pwd)
if ! command -v unbound >/dev/null; then echo "unbound not installed"; exit 0; fi
work=$(mktemp -d /tmp/namae-stale.XXXXXX)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
[ -n "${KEEP:-}" ] && trap - EXIT
. "$here/lib.sh"
base=$(free_port_base)
auth=$base push=$((base + 1)) ub=$((base + 2)) res=$((base + 3)) res_auth=$((base + 4))

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$work/key.pem" \
  -out "$work/cert.pem" -days 2 -subj /CN=dns.test -addext subjectAltName=DNS:dns.test 2>/dev/null
chmod 600 "$work/key.pem"
{
  echo "\$TTL $ttl"
  echo 'move.test. SOA ns1.move.test. hostmaster.move.test. 1 3600 600 86400 60'
  echo 'move.test. NS ns1.move.test.'
  echo 'ns1.move.test. A 127.0.0.1'
  for i in $(seq 0 $((moves - 1))); do echo "h$i.move.test. A 192.0.2.1"; done
} >"$work/move.test.zone"
mkdir -p "$work/auth" "$work/res"
cat >"$work/auth/namae.toml" <<EOT
[server]
listen = ["127.0.0.1:$auth"]
control = "$work/auth/ctl.sock"
push-listen = ["127.0.0.1:$push"]
tls-cert = "$work/cert.pem"
tls-key = "$work/key.pem"
[http]
listen = ""
[[zone]]
name = "move.test"
file = "$work/move.test.zone"
journal = "$work/auth/move.test.db"
allow-update = ["127.0.0.1"]
EOT
cat >"$work/res/namae.toml" <<EOT
[server]
listen = ["127.0.0.1:$res_auth"]
control = "$work/res/ctl.sock"
[http]
listen = ""
[resolver]
listen = ["127.0.0.1:$res"]
validate = false
[[resolver.stub]]
name = "move.test"
servers = ["127.0.0.1:$auth"]
EOT
cat >"$work/unbound.conf" <<EOT
server:
    interface: 127.0.0.1
    port: $ub
    username: ""
    chroot: ""
    directory: "$work"
    pidfile: ""
    use-syslog: no
    do-not-query-localhost: no
    module-config: "iterator"
    local-zone: "test." nodefault
    access-control: 127.0.0.0/8 allow
stub-zone:
    name: "move.test"
    stub-addr: 127.0.0.1@$auth
EOT
"$build/bin/namaed" --config "$work/auth/namae.toml" --foreground >"$work/auth/log" 2>&1 &
pids+=($!)
"$build/bin/namaed" --config "$work/res/namae.toml" --foreground >"$work/res/log" 2>&1 &
pids+=($!)
unbound -d -c "$work/unbound.conf" >"$work/unbound.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do
  ready=0
  for p in "$ub" "$res"; do
    dig +short +time=1 +tries=1 -p "$p" @127.0.0.1 ns1.move.test A 2>/dev/null | grep -q 127.0.0.1 && ready=$((ready + 1))
  done
  [ "$ready" = 2 ] && break
  sleep 0.1
done
[ -n "${KEEP:-}" ] && { echo "$work ub=$ub res=$res auth=$auth"; exit 0; }
cd "$here" && /usr/bin/python3 staleness.py "$auth" "$push" "$work/cert.pem" "$ub" "$res" "$moves" "$ttl"
