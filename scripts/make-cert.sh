#!/usr/bin/env bash
# Makes a P-256 key and certificate for tests, benchmarks and `make run`:
# self-signed, a CA's (--ca-root), or signed by a CA (--signed-by). The key
# is 0600 from the start (umask 077), as namaed requires of its TLS keys;
# the certificate 0644.
# Usage: scripts/make-cert.sh [--name CN] [--san LIST] [--days N]
#          [--ca-root | --signed-by CA_CERT CA_KEY] KEY CERT
#   --name CN    the subject's common name (default dns.test)
#   --san LIST   subjectAltName, e.g. DNS:a.test,IP:127.0.0.1 (default DNS:CN)
#   --days N     validity (default 2)
#   --ca-root    a self-signed CA (basicConstraints CA:TRUE, keyCertSign)
#   --signed-by  a server certificate (serverAuth) signed by that CA
set -euo pipefail
name=dns.test san= days=2 ca_root= ca_cert= ca_key=
while [ $# -gt 2 ]; do
  case $1 in
    --name) name=$2; shift 2 ;;
    --san) san=$2; shift 2 ;;
    --days) days=$2; shift 2 ;;
    --ca-root) ca_root=1; shift ;;
    --signed-by) ca_cert=$2 ca_key=$3; shift 3 ;;
    *) echo "make-cert.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[ $# -eq 2 ] || { echo "usage: make-cert.sh [options] KEY CERT" >&2; exit 2; }
key=$1 cert=$2
san=${san:-DNS:$name}
curve=(-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$key")
if [ -n "$ca_cert" ]; then
  ext=$(mktemp)
  trap 'rm -f "$ext" "$cert.csr"' EXIT
  printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth\n' "$san" >"$ext"
  (umask 077 && openssl req -new "${curve[@]}" -out "$cert.csr" -subj "/CN=$name" 2>/dev/null)
  openssl x509 -req -in "$cert.csr" -CA "$ca_cert" -CAkey "$ca_key" -CAcreateserial -out "$cert" \
    -days "$days" -extfile "$ext" 2>/dev/null
elif [ -n "$ca_root" ]; then
  (umask 077 && openssl req -x509 "${curve[@]}" -out "$cert" -days "$days" -subj "/CN=$name" \
     -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null)
else
  (umask 077 && openssl req -x509 "${curve[@]}" -out "$cert" -days "$days" -subj "/CN=$name" \
     -addext "subjectAltName=$san" 2>/dev/null)
fi
chmod 600 "$key"
chmod 644 "$cert"
