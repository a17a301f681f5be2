#!/usr/bin/env bash
# Zone-signing speed: the same generated ~1,000,000-record zone signed by
# `namae zone sign`, BIND's dnssec-signzone (-n threads) and ldns-signzone,
# all with one ECDSA P-256 key (the same key files: BIND's format) and NSEC.
# Prints wall time and peak RSS of each (/usr/bin/time), one run each.
# Usage: bench/sign.sh BUILD_DIR [NAMES] [THREADS]
set -euo pipefail
build=${1:-build}
names=${2:-455000}
threads=${3:-$(nproc)}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/namae-sign.XXXXXX)
trap 'rm -rf "$work"' EXIT

records=$(python3 "$here/gen_zone.py" "$work" --names "$names")
zone="$work/zone"
origin=bench.test
mkdir -m 700 "$work/keys"
# One run on a tiny zone makes the key; every signer then uses it.
printf '$ORIGIN bench.test.\n@ 3600 IN SOA ns1 h 1 2 3 4 5\n@ 3600 IN NS ns1\nns1 3600 IN A 192.0.2.1\n' > "$work/tiny"
"$build/bin/namae" zone sign "$work/tiny" --origin "$origin" --key-dir "$work/keys" --output /dev/null 2>/dev/null
key=$(ls "$work"/keys/*.private); key=${key%.private}

measure() {  # name, command... -> "name wall_s cpu_s rss_kib"
  local label=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || {
    echo "$label failed:" >&2; tail -5 "$work/err" >&2; return 1; }
  read -r wall user sys kib < "$work/time"
  echo "$label $wall $(awk "BEGIN{print $user + $sys}") $kib"
}

{
  measure namae "$build/bin/namae" zone sign "$zone" --origin "$origin" --key-dir "$work/keys" \
    --threads "$threads" --output "$work/namae.signed"
  measure dnssec-signzone dnssec-signzone -q -z -d "$work" -S -K "$work/keys" -n "$threads" -o "$origin" \
    -f "$work/bind.signed" "$zone"
  measure ldns-signzone ldns-signzone -f "$work/ldns.signed" "$zone" "$key"
} > "$work/results"

echo "zone signing: $records records, ECDSAP256SHA256, NSEC, $threads threads where the tool has them"
# CPU seconds matter on a shared machine, where wall time also measures the neighbours.
awk '{ printf "%-16s %8.2f s wall %8.2f s CPU %8.0f MiB peak RSS\n", $1, $2, $3, $4 / 1024 }' "$work/results"
