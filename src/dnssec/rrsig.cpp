#include "dnssec/rrsig.h"

#include <algorithm>
#include <string>

#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "dnssec/algorithm.h"
#include "dnssec/dnskey.h"

namespace namae::dnssec {
namespace {

constexpr size_t kFixed = 18;  // RRSIG rdata before the signer's name

void put16(Bytes& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void put32(Bytes& out, uint32_t v) {
  put16(out, static_cast<uint16_t>(v >> 16));
  put16(out, static_cast<uint16_t>(v));
}

void append_rrsig_prefix(Bytes& out, const RrsigFields& f) {
  put16(out, f.type_covered);
  out.push_back(f.algorithm);
  out.push_back(f.labels);
  put32(out, f.original_ttl);
  put32(out, f.expiration);
  put32(out, f.inception);
  put16(out, f.key_tag);
  const dns::Name signer = f.signer.lower();
  out.insert(out.end(), signer.wire().begin(), signer.wire().end());
}

// RFC 4035 5.3.2: the owner as signed, "*." + its rightmost `labels` labels
// when the RRset came from a wildcard.
dns::Name signed_owner(const dns::Name& owner, uint8_t labels) {
  const dns::Name lower = owner.lower();
  if (labels >= lower.label_count()) return lower;
  static const uint8_t star[] = {'*'};
  auto w = lower.suffix(labels).prepend(star);
  return w ? *w : lower;
}

}  // namespace

std::optional<RrsigFields> parse_rrsig(std::span<const uint8_t> r) {
  if (r.size() < kFixed + 1) return std::nullopt;
  RrsigFields f;
  f.type_covered = dns::get_u16(&r[0]);
  f.algorithm = r[2];
  f.labels = r[3];
  f.original_ttl = dns::get_u32(&r[4]);
  f.expiration = dns::get_u32(&r[8]);
  f.inception = dns::get_u32(&r[12]);
  f.key_tag = dns::get_u16(&r[16]);
  size_t used = 0;
  auto signer = dns::Name::from_wire_prefix(r.subspan(kFixed), used);
  if (!signer || kFixed + used >= r.size()) return std::nullopt;
  f.signer = *signer;
  f.signature = r.subspan(kFixed + used);
  return f;
}

uint8_t rrsig_labels(const dns::Name& owner) {
  return static_cast<uint8_t>(owner.label_count() - (owner.is_wildcard() ? 1 : 0));
}

Bytes signature_data(const dns::RRset& set, const RrsigFields& f) {
  Bytes out;
  append_rrsig_prefix(out, f);
  std::vector<dns::RdataBytes> rdatas;
  rdatas.reserve(set.rdata.size());
  for (const auto& r : set.rdata) rdatas.push_back(dns::rdata::canonical(set.type, r));
  std::sort(rdatas.begin(), rdatas.end());
  rdatas.erase(std::unique(rdatas.begin(), rdatas.end()), rdatas.end());
  const dns::Name owner = signed_owner(set.owner, f.labels);
  for (const auto& r : rdatas) {
    out.insert(out.end(), owner.wire().begin(), owner.wire().end());
    put16(out, set.type);
    put16(out, set.rclass);
    put32(out, f.original_ttl);
    put16(out, static_cast<uint16_t>(r.size()));
    out.insert(out.end(), r.begin(), r.end());
  }
  return out;
}

Result<Bytes> sign_rrset(const dns::RRset& set, const PrivateKey& key, std::span<const uint8_t> dnskey,
                         const dns::Name& signer, Validity v) {
  RrsigFields f{set.type, key.algorithm(), rrsig_labels(set.owner), set.ttl, v.expiration,
                v.inception, key_tag(dnskey), signer, {}};
  auto sig = key.sign(signature_data(set, f));
  if (!sig) return sig.error();
  Bytes out;
  append_rrsig_prefix(out, f);
  out.insert(out.end(), sig->begin(), sig->end());
  return out;
}

bool within_validity(uint32_t inception, uint32_t expiration, uint32_t now) {
  return static_cast<int32_t>(now - inception) >= 0 && static_cast<int32_t>(expiration - now) >= 0;
}

Result<void> verify_rrsig(const dns::RRset& set, const RrsigFields& f, std::span<const uint8_t> dnskey,
                          const PublicKey& key, std::optional<uint32_t> now) {
  if (f.type_covered != set.type)
    return fail("the RRSIG covers " + dns::type_to_text(f.type_covered) + ", not " +
                dns::type_to_text(set.type));
  if (f.labels > rrsig_labels(set.owner)) return fail("the labels field exceeds the owner's labels");
  if (!set.owner.is_subdomain_of(f.signer)) return fail("the signer is not at or above the owner");
  auto k = parse_dnskey(dnskey);
  if (!k || k->protocol != kProtocol || !(k->flags & kFlagZone))
    return fail("the DNSKEY is not a zone key of protocol 3");
  if (k->algorithm != f.algorithm || key.algorithm() != f.algorithm)
    return fail("the DNSKEY's algorithm differs from the RRSIG's");
  if (key_tag(dnskey) != f.key_tag) return fail("the key tag does not match the DNSKEY");
  if (now && !within_validity(f.inception, f.expiration, *now))
    return fail(static_cast<int32_t>(*now - f.inception) < 0 ? "the signature is not yet valid"
                                                              : "the signature has expired");
  return key.verify(signature_data(set, f), f.signature);
}

Result<void> verify_rrsig(const dns::RRset& set, std::span<const uint8_t> rrsig,
                          std::span<const uint8_t> dnskey, std::optional<uint32_t> now) {
  auto f = parse_rrsig(rrsig);
  if (!f) return fail("malformed RRSIG rdata");
  auto k = parse_dnskey(dnskey);
  if (!k) return fail("malformed DNSKEY rdata");
  auto key = PublicKey::from_dnskey(k->algorithm, k->key);
  if (!key) return key.error();
  return verify_rrsig(set, *f, dnskey, *key, now);
}

}  // namespace namae::dnssec
