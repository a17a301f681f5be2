#include "validator/keys.h"

#include <algorithm>

#include "dns/rrtype.h"
#include "dnssec/algorithm.h"
#include "dnssec/dnskey.h"
#include "dnssec/rrsig.h"

namespace namae::validator {

namespace {

bool ds_supported(const dns::RdataBytes& ds) {
  return ds.size() > 4 && dnssec::can_verify(ds[2]) &&
         (ds[3] == dnssec::kDigestSha256 || ds[3] == dnssec::kDigestSha384);
}

// The most telling failure of the RRSIGs tried, in Unbound's order of
// preference: a time problem says more than "did not verify".
struct Failure {
  uint16_t ede = ede::DNSKEY_MISSING;
  std::string why = "no RRSIG made by a key of the zone";
  void note(uint16_t code, std::string text) {
    if (ede == ede::DNSKEY_MISSING || code == ede::SIGNATURE_EXPIRED || code == ede::SIGNATURE_NOT_YET_VALID) {
      ede = code;
      why = std::move(text);
    }
  }
};

// One RRSIG with one key; records why it failed.
bool try_signature(const dns::RRset& set, const dnssec::RrsigFields& f, const dns::RdataBytes& key,
                   uint32_t now, Failure& failure) {
  auto k = dnssec::parse_dnskey(key);
  if (!k || k->algorithm != f.algorithm || dnssec::key_tag(key) != f.key_tag) return false;
  if (!within_validity_skewed(f.inception, f.expiration, now)) {
    bool early = static_cast<int32_t>(now - f.inception) < 0;
    failure.note(early ? ede::SIGNATURE_NOT_YET_VALID : ede::SIGNATURE_EXPIRED,
                 "the RRSIG over " + set.owner.to_text() + " " + dns::type_to_text(set.type) +
                     (early ? " is not yet valid" : " has expired"));
    return false;
  }
  auto pub = dnssec::PublicKey::from_dnskey(k->algorithm, k->key);
  // The times were checked above, with the skew.
  auto ok = pub ? dnssec::verify_rrsig(set, f, key, *pub, std::nullopt) : Result<void>(pub.error());
  if (!ok)
    failure.note(ede::DNSSEC_BOGUS, "the RRSIG over " + set.owner.to_text() + " " +
                                        dns::type_to_text(set.type) + " does not verify: " + ok.message());
  return ok.ok();
}

// Whether one of `rrsigs` by `signer` verifies `set` with one of `keys`.
Verdict check_signatures(const dns::RRset& set, const std::vector<dns::RdataBytes>& rrsigs,
                         const dns::Name& signer, const std::vector<dns::RdataBytes>& keys, uint32_t now) {
  if (rrsigs.empty())
    return Verdict::bogus(ede::RRSIGS_MISSING,
                          "no RRSIG over " + set.owner.to_text() + " " + dns::type_to_text(set.type));
  Failure failure;
  for (const auto& sig : rrsigs) {
    auto f = dnssec::parse_rrsig(sig);
    if (!f || !(f->signer == signer)) continue;
    for (const auto& key : keys)
      if (try_signature(set, *f, key, now, failure)) return Verdict::secure();
  }
  return Verdict::bogus(failure.ede, std::move(failure.why));
}

}  // namespace

bool within_validity_skewed(uint32_t inception, uint32_t expiration, uint32_t now) {
  int32_t span = static_cast<int32_t>(expiration - inception);
  uint32_t skew = std::clamp<uint32_t>(span > 0 ? static_cast<uint32_t>(span) / 10 : 0, kSigSkewMin, kSigSkewMax);
  return static_cast<int32_t>(now - (inception - skew)) >= 0 && static_cast<int32_t>(expiration + skew - now) >= 0;
}

bool key_matches_ds(const dns::Name& zone, const dns::RdataBytes& key, const dns::RdataBytes& ds) {
  if (ds.size() < 4 || dnssec::key_tag(key) != static_cast<uint16_t>(ds[0] << 8 | ds[1])) return false;
  auto mine = dnssec::ds_rdata(zone, key, ds[3]);
  return mine && mine->size() == ds.size() && std::equal(mine->begin(), mine->end(), ds.begin());
}

const char* security_text(Security s) {
  switch (s) {
    case Security::unchecked: return "unchecked";
    case Security::indeterminate: return "indeterminate";
    case Security::insecure: return "insecure";
    case Security::bogus: return "bogus";
    case Security::secure: return "secure";
  }
  return "?";
}

std::vector<dns::RdataBytes> signatures_over(const dns::RRset& set, const std::vector<dns::RRset>& sigs) {
  std::vector<dns::RdataBytes> out;
  for (const auto& rs : sigs) {
    if (rs.type != dns::rrtype::RRSIG || !(rs.owner == set.owner)) continue;
    for (const auto& rd : rs.rdata)
      if (rd.size() >= 2 && static_cast<uint16_t>(rd[0] << 8 | rd[1]) == set.type) out.push_back(rd);
  }
  return out;
}

KeySet verify_dnskeys(const dns::Name& zone, const dns::RRset& dnskey,
                      const std::vector<dns::RdataBytes>& rrsigs, const std::vector<dns::RdataBytes>& ds,
                      const std::vector<dns::RdataBytes>& anchor_keys, uint32_t now) {
  KeySet out{zone, {}, {}};
  std::vector<dns::RdataBytes> trusted;
  bool any_supported = false;
  for (const auto& key : dnskey.rdata) {
    if (std::find(anchor_keys.begin(), anchor_keys.end(), key) != anchor_keys.end()) trusted.push_back(key);
    for (const auto& d : ds)
      if (ds_supported(d) && key_matches_ds(zone, key, d)) {
        trusted.push_back(key);
        break;
      }
  }
  for (const auto& d : ds) any_supported = any_supported || ds_supported(d);
  for (const auto& k : anchor_keys)
    if (k.size() > 3 && dnssec::can_verify(k[3])) any_supported = true;
  if (!any_supported) {
    // RFC 4035 5.2: a DS of no algorithm or digest we know is as no DS.
    bool alg = std::any_of(ds.begin(), ds.end(), [](const auto& d) { return d.size() > 4 && !dnssec::can_verify(d[2]); });
    out.verdict = Verdict::insecure("the DS records of " + zone.to_text() + " use no supported " +
                                        (alg ? "algorithm" : "digest type"),
                                    alg ? ede::UNSUPPORTED_DNSKEY_ALGORITHM : ede::UNSUPPORTED_DS_DIGEST);
    return out;
  }
  if (trusted.empty()) {
    out.verdict = Verdict::bogus(ede::DNSKEY_MISSING, "no DNSKEY of " + zone.to_text() + " matches its DS");
    return out;
  }
  out.verdict = check_signatures(dnskey, rrsigs, zone, trusted, now);
  if (out.verdict.is_secure()) out.dnskeys = dnskey.rdata;
  return out;
}

Verdict verify_rrset(const dns::RRset& set, const std::vector<dns::RdataBytes>& rrsigs, const KeySet& keys,
                     uint32_t now) {
  if (!keys.verdict.is_secure()) return keys.verdict;
  return check_signatures(set, rrsigs, keys.zone, keys.dnskeys, now);
}

std::optional<dns::Name> signer_of(const std::vector<dns::RdataBytes>& rrsigs) {
  for (const auto& sig : rrsigs)
    if (auto f = dnssec::parse_rrsig(sig)) return f->signer;
  return std::nullopt;
}

std::optional<dns::Name> wildcard_parent(const dns::RRset& set, const std::vector<dns::RdataBytes>& rrsigs) {
  for (const auto& sig : rrsigs) {
    auto f = dnssec::parse_rrsig(sig);
    if (!f) continue;
    uint8_t owner_labels = dnssec::rrsig_labels(set.owner);
    if (f->labels >= owner_labels) return std::nullopt;
    return set.owner.suffix(f->labels);
  }
  return std::nullopt;
}

}  // namespace namae::validator
