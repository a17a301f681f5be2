#!/usr/bin/env bash
# `make run`: start namaed in the foreground with its built-in configuration
# (a copy of examples/namae.toml), serving examples/zones/example.net.zone on
# 127.0.0.1:5300 and [::1]:5300, with /metrics on 127.0.0.1:8053.
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
namaed: serving example.net from examples/zones/example.net.zone
  DNS      127.0.0.1:5300 and [::1]:5300 (UDP and TCP)
  metrics  http://127.0.0.1:8053/metrics
  control  examples/run/namaed.sock

Try, in another terminal:
  $bin/namae query @127.0.0.1 -p 5300 www.example.net
  $bin/namae query @127.0.0.1 -p 5300 example.net MX +tcp
  dig @127.0.0.1 -p 5300 lab.example.net NS +norec
  $bin/namae ctl -s examples/run/namaed.sock status     (or: reload, stop)
  curl -s http://127.0.0.1:8053/metrics

Ctrl-C stops the server.
MSG

# Relative paths in the built-in configuration resolve against the current
# directory, so run from examples/ (zones/, run/ live there).
cd "$repo/examples"
exec "$bin/namaed" --default-config --foreground
