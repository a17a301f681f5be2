#!/usr/bin/env bash
# Zone-signing speed: the same generated ~1,000,000-record zone signed by
# `namae zone sign`, BIND's dnssec-signzone (-n threads), Knot's kzonesign
# (signing-threads) and ldns-signzone, all with one ECDSA P-256 key (the same
# key files: BIND's format, imported into Knot's KASP database as a CSK) and NSEC.
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
tag=${key##*+}; tag=$((10#$tag))

# Knot signs what its configuration names: a manual policy with the imported
# key as a combined signing key, output written to $work/knot.
mkdir -m 700 "$work/knot" "$work/knot-out"
cat > "$work/knot.conf" <<EOT
server:
    rundir: "$work/knot"
database:
    storage: "$work/knot"
    kasp-db: "$work/knot/kasp"
policy:
  - id: bench
    manual: on
    single-type-signing: on
    algorithm: ecdsap256sha256
    nsec3: off
    signing-threads: $threads
zone:
  - domain: $origin.
    file: "$work/zone"
    dnssec-signing: on
    dnssec-policy: bench
    adjust-threads: $threads
EOT
keymgr -c "$work/knot.conf" "$origin." import-bind "$key" >/dev/null
keymgr -c "$work/knot.conf" "$origin." set "$tag" zsk=yes >/dev/null

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
  measure kzonesign kzonesign -c "$work/knot.conf" -o "$work/knot-out" "$origin."
  measure ldns-signzone ldns-signzone -f "$work/ldns.signed" "$zone" "$key"
} > "$work/results"

# The RRSIG count shows each tool did the same work (same RRsets signed).
rrsigs() { awk '$4 == "RRSIG" || $3 == "RRSIG" || $2 == "RRSIG"' "$1" | wc -l; }
for out in "$work/namae.signed" "$work/bind.signed" "$work/knot-out/zone" "$work/ldns.signed"; do rrsigs "$out"; done > "$work/counts"

echo "zone signing: $records records, ECDSAP256SHA256, NSEC, $threads threads where the tool has them"
# CPU seconds matter on a shared machine, where wall time also measures the neighbours.
paste -d' ' "$work/results" "$work/counts" |
  awk '{ printf "%-16s %8.2f s wall %8.2f s CPU %8.0f MiB peak RSS %9d RRSIGs\n", $1, $2, $3, $4 / 1024, $5 }'
