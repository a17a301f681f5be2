#!/usr/bin/env bash
# Zone-loading speed: the same generated ~1,000,000-record zone read by
# namae's parser, Knot's (kzonecheck) and BIND's (named-checkzone).
# Prints wall time and peak RSS of each and namae's ratio to the fastest peer.
# Usage: bench/zoneload.sh BUILD_DIR [NAMES]
set -euo pipefail
build=${1:-build}
names=${2:-512000}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/namae-zoneload.XXXXXX)
trap 'rm -rf "$work"' EXIT

records=$(python3 "$here/gen_zone.py" "$work" --names "$names")
zone="$work/zone"
origin=bench.test.

measure() {  # name, command... -> "name wall_s rss_kib"
  local label=$1; shift
  local best_wall="" rss=""
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || {
      echo "$label failed:" >&2; tail -5 "$work/err" >&2; return 1; }
    read -r wall kib < "$work/time"
    if [ -z "$best_wall" ] || awk "BEGIN{exit !($wall < $best_wall)}"; then best_wall=$wall; rss=$kib; fi
  done
  echo "$label $best_wall $rss"
}

{
  measure namae "$build/bin/namae" zone check "$zone" --origin "$origin"
  measure knot kzonecheck -o "$origin" "$zone"
  # -i local: without it BIND resolves names over the network (and waits on timeouts).
  measure bind named-checkzone -q -i local "$origin" "$zone"
} > "$work/results"

echo "zone load: $records records (best of 3 runs, wall seconds and peak RSS)"
awk '
  { name[NR]=$1; wall[NR]=$2; rss[NR]=$3; if (NR>1 && (best=="" || $2<best)) best=$2 }
  END {
    printf "%-8s %10s %12s %14s\n", "parser", "wall s", "peak RSS MiB", "wall vs best peer"
    for (i=1;i<=NR;i++) printf "%-8s %10.2f %12.1f %14.2fx\n", name[i], wall[i], rss[i]/1024, wall[i]/best
  }' "$work/results"
