#include "resolver/denial_cache.h"

#include <algorithm>
#include <mutex>

#include "dns/rrtype.h"
#include "resolver/resolver.h"
#include "validator/denial.h"

namespace namae::resolver {

using dns::Name;

void DenialCache::keep_nsec(const Name& zone, const dns::RRset& nsec, std::vector<dns::RdataBytes> sigs,
                            uint32_t ttl) {
  bool nsec3 = nsec.type == dns::rrtype::NSEC3;
  if (ttl == 0 || sigs.empty() || (nsec.type != dns::rrtype::NSEC && !nsec3) || !nsec.owner.is_subdomain_of(zone))
    return;
  // RFC 5155 7.1: an NSEC3 owner is one hash label above the apex.
  if (nsec3 && (nsec.rdata.size() != 1 || !(nsec.owner.strip_left() == zone))) return;
  std::unique_lock lock(mu_);
  int64_t now = clock_.now_ms();
  if (records_ >= max_records_) sweep(now);
  if (records_ >= max_records_) return;
  Zone& z = zones_[zone.lookup_key()];
  z.apex = zone;
  Signed s{nsec, std::move(sigs), now, now + int64_t{ttl} * 1000};
  if (nsec3) return keep_nsec3(z, nsec, std::move(s));
  auto [it, added] = z.nsec.insert_or_assign(nsec.owner.lookup_key(), std::move(s));
  if (added) ++records_;
}

// One chain per zone: records hashed otherwise (the zone changed its salt
// or iterations) replace the old chain, whose hashes no longer compare.
void DenialCache::keep_nsec3(Zone& z, const dns::RRset& nsec3, Signed s) {
  auto params = dns::Nsec3Params::from_rdata(nsec3.rdata.front());
  auto hash = dns::nsec3_label_hash(nsec3.owner.label(0));
  if (!params || !hash || params->algorithm != dns::kNsec3Sha1 || (params->flags & ~1) != 0 ||
      params->iterations > validator::kMaxNsec3Iterations)
    return;
  params->flags = 0;  // opt-out is per record, not the chain's
  auto& chain = z.nsec3;
  if (chain.params.iterations != params->iterations ||
      !std::ranges::equal(chain.params.salt_span(), params->salt_span())) {
    records_ -= chain.records.size();
    chain.records.clear();
    chain.params = *params;
  }
  auto [it, added] = chain.records.insert_or_assign(*hash, std::move(s));
  if (added) ++records_;
}

void DenialCache::keep_soa(const Name& zone, const dns::RRset& soa, std::vector<dns::RdataBytes> sigs,
                           uint32_t ttl) {
  if (ttl == 0 || sigs.empty() || !(soa.owner == zone)) return;
  std::unique_lock lock(mu_);
  Zone& z = zones_[zone.lookup_key()];
  z.apex = zone;
  int64_t now = clock_.now_ms();
  z.soa = Signed{soa, std::move(sigs), now, now + int64_t{ttl} * 1000};
}

void DenialCache::sweep(int64_t now_ms) {
  auto expired = [&](const auto& kv) { return kv.second.expires_ms <= now_ms; };
  for (auto zit = zones_.begin(); zit != zones_.end();) {
    Zone& z = zit->second;
    records_ -= std::erase_if(z.nsec, expired) + std::erase_if(z.nsec3.records, expired);
    bool soa_live = z.soa && z.soa->expires_ms > now_ms;
    zit = z.count() == 0 && !soa_live ? zones_.erase(zit) : std::next(zit);
  }
}

// The deepest zone kept whose apex is `name` or above it.
const DenialCache::Zone* DenialCache::zone_for(const Name& name) const {
  for (Name n = name;; n = n.strip_left()) {
    if (auto it = zones_.find(n.lookup_key()); it != zones_.end()) return &it->second;
    if (n.is_root()) return nullptr;
  }
}

EntryPtr DenialCache::synthesize(const Name& qname, uint16_t qtype) const {
  std::shared_lock lock(mu_);
  if (zones_.empty()) return nullptr;
  // A DS question is the parent's: its NSEC at the cut answers it.
  const Zone* z = zone_for(delegation_start(qname, qtype));
  int64_t now = clock_.now_ms();
  if (!z || !z->soa || z->soa->expires_ms <= now) return nullptr;
  std::vector<const Signed*> found;
  auto s = from_nsec(*z, qname, qtype, found, now);
  if (s.denied == validator::Denied::nothing) s = from_nsec3(*z, qname, qtype, found, now);
  if (s.denied == validator::Denied::nothing) return nullptr;
  std::vector<const Signed*> used;
  for (const dns::RRset* p : s.used)
    for (const Signed* f : found)
      if (&f->set == p) {
        used.push_back(f);
        break;
      }
  answers_.fetch_add(1, std::memory_order_relaxed);
  return make_entry(qname, qtype, s.denied == validator::Denied::nxdomain, *z->soa, used);
}

validator::NsecSynthesis DenialCache::from_nsec(const Zone& z, const Name& qname, uint16_t qtype,
                                                std::vector<const Signed*>& found, int64_t now) const {
  if (z.nsec.empty()) return {};
  auto at_or_before = [&](const Name& n) -> const dns::RRset* {
    auto it = z.nsec.upper_bound(n.lookup_key());
    if (it == z.nsec.begin()) return nullptr;
    --it;
    if (usable_until(it->second, *z.soa) <= now) return nullptr;
    found.push_back(&it->second);
    return &it->second.set;
  };
  return validator::synthesize_from_nsec(qname, qtype, at_or_before);
}

validator::NsecSynthesis DenialCache::from_nsec3(const Zone& z, const Name& qname, uint16_t qtype,
                                                 std::vector<const Signed*>& found, int64_t now) const {
  const auto& records = z.nsec3.records;
  if (records.empty()) return {};
  // The chain is a ring: below its first hash, the last record's span
  // (the one whose next hash wraps) is the candidate.
  auto at_or_before = [&](const dns::Nsec3Hash& h) -> const dns::RRset* {
    auto it = records.upper_bound(h);
    if (it == records.begin()) it = records.end();
    --it;
    if (usable_until(it->second, *z.soa) <= now) return nullptr;
    found.push_back(&it->second);
    return &it->second.set;
  };
  return validator::synthesize_from_nsec3(qname, qtype, z.apex, z.nsec3.params, at_or_before);
}

// RFC 8198 5.4 as RFC 9077 3.4 updates it: a record is used no longer than
// its own TTL nor the zone's negative TTL (the SOA's TTL and MINIMUM) from
// when it was kept; records of wildcard answers and referrals came without
// the SOA to bound them.
int64_t DenialCache::usable_until(const Signed& record, const Signed& soa) {
  return std::min(record.expires_ms, record.stored_ms + int64_t{negative_ttl(soa.set)} * 1000);
}

// The entry as if the zone's server had answered: the SOA, the NSEC
// RRsets and their RRSIGs (RFC 4035 3.1.3), living as long as the
// shortest-lived of them, judged secure.
EntryPtr DenialCache::make_entry(const Name& qname, uint16_t qtype, bool nxdomain, const Signed& soa,
                                 const std::vector<const Signed*>& used) const {
  auto proof = std::make_shared<std::vector<dns::RRset>>();
  int64_t expires = soa.expires_ms;
  auto add = [&](const Signed& s) {
    if (s.set.type != dns::rrtype::SOA) proof->push_back(s.set);
    dns::RRset sigs;
    sigs.owner = s.set.owner;
    sigs.type = dns::rrtype::RRSIG;
    sigs.rclass = s.set.rclass;
    sigs.ttl = s.set.ttl;
    sigs.rdata = s.sigs;
    proof->push_back(std::move(sigs));
    expires = std::min(expires, usable_until(s, soa));
  };
  for (const Signed* u : used) add(*u);
  add(soa);
  int64_t now = clock_.now_ms();
  auto e = std::make_shared<CacheEntry>();
  e->kind = nxdomain ? EntryKind::nxdomain : EntryKind::nodata;
  e->rrset.owner = qname;
  e->rrset.type = nxdomain ? 0 : qtype;
  e->trust = Trust::authority_auth;
  e->soa = std::make_shared<const dns::RRset>(soa.set);
  e->dnssec.proof = std::move(proof);
  e->stored_ms = now;
  e->expires_ms = expires;
  e->original_ttl = static_cast<uint32_t>((expires - now) / 1000);
  e->judge(validator::Verdict::secure(), now);
  return e;
}

size_t DenialCache::flush(const Name& name) {
  std::unique_lock lock(mu_);
  size_t removed = 0;
  const std::string prefix = name.lookup_key();
  for (auto it = zones_.begin(); it != zones_.end();) {
    auto& nsec = it->second.nsec;
    if (it->second.apex.is_subdomain_of(name)) {
      removed += it->second.count();
      it = zones_.erase(it);
      continue;
    }
    // NSEC3 owners are hashes: a name inside the zone may be any of them.
    if (name.is_subdomain_of(it->second.apex)) {
      removed += it->second.nsec3.records.size();
      it->second.nsec3.records.clear();
    }
    // Names at and below `name` share its key as a prefix: one run of the map.
    auto first = nsec.lower_bound(prefix), last = first;
    while (last != nsec.end() && last->first.starts_with(prefix)) ++last;
    removed += static_cast<size_t>(std::distance(first, last));
    nsec.erase(first, last);
    ++it;
  }
  records_ -= removed;
  return removed;
}

size_t DenialCache::size() const {
  std::shared_lock lock(mu_);
  return records_;
}

}  // namespace namae::resolver
