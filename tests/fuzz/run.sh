#!/usr/bin/env bash
# Run every libFuzzer target in BUILD_DIR/bin for SECONDS each.
#
#   tests/fuzz/run.sh BUILD_DIR SECONDS
#
# Each target starts from its seed corpus tests/fuzz/corpus/<target>/, copied
# to a temporary directory so the checkout is never modified. Exits non-zero
# if any target finds a crash (or fails to run); the crashing inputs are kept
# in BUILD_DIR/fuzz-artifacts/<target>/ for reproduction:
#   BUILD_DIR/bin/<target> BUILD_DIR/fuzz-artifacts/<target>/crash-...
set -u

if [ $# -ne 2 ]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build=$1
seconds=$2
here=$(cd "$(dirname "$0")" && pwd)

shopt -s nullglob
targets=("$build"/bin/fuzz_*)
if [ ${#targets[@]} -eq 0 ]; then
  echo "no fuzz_* binaries in $build/bin (configure with -DNAMAE_FUZZ=ON and clang)" >&2
  exit 1
fi

status=0
for bin in "${targets[@]}"; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin")
  work=$(mktemp -d "${TMPDIR:-/tmp}/namae-fuzz-$name.XXXXXX")
  mkdir -p "$work/corpus" "$work/artifacts"
  if [ -d "$here/corpus/$name" ]; then
    cp -R "$here/corpus/$name/." "$work/corpus/"
  fi
  echo "== $name: ${seconds}s, $(find "$work/corpus" -type f | wc -l) seed inputs"
  "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" "$work/corpus" >"$work/log" 2>&1
  rc=$?
  if [ $rc -ne 0 ] || [ -n "$(ls -A "$work/artifacts")" ]; then
    status=1
    keep="$build/fuzz-artifacts/$name"
    mkdir -p "$keep"
    cp -R "$work/artifacts/." "$keep/" 2>/dev/null
    cp "$work/log" "$keep/log.txt"
    echo "!! $name failed (exit $rc); inputs and log kept in $keep"
    grep -E 'ERROR|SUMMARY|mismatch|abort|Test unit written' "$work/log" | head -20
  else
    grep -E '^stat::(number_of_executed_units|peak_rss_mb|new_units_added)' "$work/log" |
      sed 's/^/   /'
  fi
  rm -rf "$work"
done
exit $status
