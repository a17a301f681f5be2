# Shell helpers shared by the benchmark scripts (sourced, not run).
# They expect $origin to name the zone the server under test serves.

# Wait until the server on 127.0.0.1:PORT answers SOA for $origin (PID must stay alive).
wait_ready() {  # port pid
  for _ in $(seq 1 600); do
    kill -0 "$2" 2>/dev/null || return 1
    if dig +time=1 +tries=1 -p "$1" @127.0.0.1 "$origin" SOA 2>/dev/null | grep -q "status: NOERROR"; then return 0; fi
    sleep 0.2
  done
  return 1
}
# A server may be several processes (NSD forks its workers): count the whole tree.
tree() { local p=$1; echo "$p"; for c in $(pgrep -P "$p"); do tree "$c"; done; }
# utime + stime in clock ticks, read after the ")" of comm since NSD's process titles contain spaces.
cpu_ticks() { for p in $(tree "$1"); do sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | awk '{print $12 + $13}'; done | awk '{s += $1} END {print s + 0}'; }
# CPU nanoseconds of a process tree (every thread; finer than cpu_ticks'
# 10 ms ticks, for runs of a few tens of milliseconds).
cpu_ns() { for p in $(tree "$1"); do cat /proc/"$p"/task/*/schedstat 2>/dev/null; done | awk '{s += $1} END {printf "%d\n", s}'; }
# Proportional set size, so pages shared between a server's processes count once.
rss_kib() { for p in $(tree "$1"); do awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup" 2>/dev/null; done | awk '{s += $1} END {print s + 0}'; }
# A base port with SPAN ports above it that no socket uses (TCP or UDP,
# listening or connected), below the kernel's ephemeral range so that no
# client is given one of them as its source port meanwhile.
free_port_base() {  # [span]
  local span=${1:-200} base used
  used=$(ss -Htuan | awk '{n = split($5, a, ":"); print a[n]}' | sort -un)
  for _ in $(seq 100); do
    base=$((20000 + RANDOM % (12767 - span)))
    awk -v b="$base" -v s="$span" '$1 >= b && $1 < b + s {hit = 1} END {exit hit ? 0 : 1}' <<<"$used" || break
  done
  echo "$base"
}
