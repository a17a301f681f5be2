#!/usr/bin/env bash
# Installs the Debian 12 packages namae builds, tests and benchmarks with.
# Idempotent: only missing packages are installed. Root uses apt directly, others sudo.
# Peer daemons (bind9, nsd, knot, unbound) are installed with a policy-rc.d that
# stops the packaging from starting them on port 53; tests start their own copies.
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config clang-14 libclang-rt-14-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libssl-dev libspdlog-dev libfmt-dev libtomlplusplus-dev
  libsqlite3-dev libmnl-dev libcpp-httplib-dev libargon2-dev
  python3 python3-pytest python3-dnspython python3-zeroconf
  bind9-dnsutils bind9-utils knot-dnsutils bind9 nsd knot knot-dnssecutils unbound knot-resolver
  libldns-dev ldnsutils libnghttp2-dev libboost-context-dev dnsperf iproute2 procps
  curl openssl ddclient libio-socket-ssl-perl
  pandoc systemd util-linux
  avahi-daemon avahi-utils dbus
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps.sh: installing ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

policy=/usr/sbin/policy-rc.d
created_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
  $sudo chmod 755 "$policy"
  created_policy=1
fi
cleanup() { if [ "$created_policy" = 1 ]; then $sudo rm -f "$policy"; fi; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
# ddclient is only a test client (tests/system/test_ddns.py runs its own copy);
# its packaged service would update a public provider from the debconf defaults.
if [[ " ${missing[*]} " == *" ddclient "* ]] && command -v systemctl >/dev/null; then
  $sudo systemctl disable --now ddclient.service >/dev/null 2>&1 || true
fi
