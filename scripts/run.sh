#!/usr/bin/env bash
# `make run`: start namaed in the foreground with its built-in configuration
# (a copy of examples/namae.toml), serving examples/zones/example.net.zone on
# 127.0.0.1:5300 and [::1]:5300, a recursive resolver on port 5301 (and over
# TLS on 8853, HTTPS on 8443, with a self-signed certificate made here on the
# first run), and /metrics, the DynDNS2 update API and REST on 127.0.0.1:8053.
# Ctrl-C stops it.
set -euo pipefail
build="${1:-build}"
repo="$(cd "$(dirname "$0")/.." && pwd)"
case "$build" in /*) ;; *) build="$repo/$build" ;; esac
bin="$build/bin"
if [ ! -x "$bin/namaed" ]; then
  echo "run.sh: $bin/namaed is not built (make build)" >&2
  exit 1
fi

cat <<MSG
namaed: serving example.net (a copy of examples/zones/example.net.zone in $build/run-example)
  DNS      127.0.0.1:5300 and [::1]:5300 (UDP and TCP)
  resolver 127.0.0.1:5301 and [::1]:5301 (recursive, from the root servers)
  DoT      127.0.0.1:8853 and [::1]:8853 (the resolver over TLS)
  DoH      https://127.0.0.1:8443/dns-query (the resolver over HTTPS)
  cert     $build/run-example/tls/namaed.crt (self-signed: 127.0.0.1, ::1, localhost)
  metrics  http://127.0.0.1:8053/metrics
  control  $build/run-example/run/namaed.sock
  update   TSIG key laptop (examples/namae.toml) may set laptop.example.net A/AAAA
  http     user alice (password alice-example) may set alice.example.net (DynDNS2 /nic/update)

Try, in another terminal:
  $bin/namae query @127.0.0.1 -p 5300 www.example.net
  $bin/namae query @127.0.0.1 -p 5300 example.net MX +tcp
  dig @127.0.0.1 -p 5300 lab.example.net NS +norec
  dig @127.0.0.1 -p 5300 example.net AXFR                  (zone transfer: loopback may)
  dig @127.0.0.1 -p 5300 example.net IXFR=2024010101       (after an update: the journal's changes since)
  $bin/namae query @127.0.0.1 -p 5301 www.debian.org       (the resolver: goes to the Internet)
  kdig @127.0.0.1 -p 8853 +tls-ca=$build/run-example/tls/namaed.crt +tls-hostname=localhost www.example.net
  kdig @127.0.0.1 -p 8443 +https +tls-ca=$build/run-example/tls/namaed.crt +tls-hostname=localhost www.example.net
  $bin/namae ctl -s $build/run-example/run/namaed.sock status     (or: reload, stop)
  printf 'server 127.0.0.1 5300\nzone example.net\nupdate add laptop.example.net 60 A 192.0.2.77\nsend\n' |
    $bin/namae update -y hmac-sha256:laptop:lsv0lwLQSqHIN7QW0RevYjwRTT+GWQ6tUEB4ZMv2QLA= --lease 600
  curl -s http://127.0.0.1:8053/metrics
  curl -s -u alice:alice-example 'http://127.0.0.1:8053/nic/update?hostname=alice.example.net&myip=192.0.2.99'
  curl -s -u alice:alice-example http://127.0.0.1:8053/api/hosts

Ctrl-C stops the server.
MSG

# Relative paths in the built-in configuration resolve against the current
# directory. namaed rewrites dynamic zones and keeps a journal, so it runs in
# a copy of examples/ under the build directory (made once; later runs keep
# their updates) and the checked-in files stay untouched.
state="$build/run-example"
if [ ! -d "$state/zones" ]; then
  mkdir -p "$state"
  cp -r "$repo/examples/zones" "$state/"
fi
# The DoT/DoH listeners' certificate: self-signed, made once (P-256, ten
# years); the key 0600 from the start (umask), as namaed requires.
if [ ! -f "$state/tls/namaed.key" ] || [ ! -f "$state/tls/namaed.crt" ]; then
  mkdir -p "$state/tls"
  "$repo/scripts/make-cert.sh" --name localhost --san "DNS:localhost,IP:127.0.0.1,IP:::1" --days 3650 \
    "$state/tls/namaed.key" "$state/tls/namaed.crt"
fi
cd "$state"
exec "$bin/namaed" --default-config --foreground
