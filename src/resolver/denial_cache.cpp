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
  if (ttl == 0 || sigs.empty() || nsec.type != dns::rrtype::NSEC || !nsec.owner.is_subdomain_of(zone)) return;
  std::unique_lock lock(mu_);
  int64_t now = clock_.now_ms();
  if (records_ >= max_records_) sweep(now);
  if (records_ >= max_records_) return;
  Zone& z = zones_[zone.lookup_key()];
  z.apex = zone;
  auto [it, added] = z.nsec.insert_or_assign(nsec.owner.lookup_key(),
                                             Signed{nsec, std::move(sigs), now + int64_t{ttl} * 1000});
  if (added) ++records_;
}

void DenialCache::keep_soa(const Name& zone, const dns::RRset& soa, std::vector<dns::RdataBytes> sigs,
                           uint32_t ttl) {
  if (ttl == 0 || sigs.empty() || !(soa.owner == zone)) return;
  std::unique_lock lock(mu_);
  Zone& z = zones_[zone.lookup_key()];
  z.apex = zone;
  z.soa = Signed{soa, std::move(sigs), clock_.now_ms() + int64_t{ttl} * 1000};
}

void DenialCache::sweep(int64_t now_ms) {
  for (auto zit = zones_.begin(); zit != zones_.end();) {
    auto& nsec = zit->second.nsec;
    records_ -= std::erase_if(nsec, [&](const auto& kv) { return kv.second.expires_ms <= now_ms; });
    bool soa_live = zit->second.soa && zit->second.soa->expires_ms > now_ms;
    zit = nsec.empty() && !soa_live ? zones_.erase(zit) : std::next(zit);
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
  auto at_or_before = [&](const Name& n) -> const dns::RRset* {
    auto it = z->nsec.upper_bound(n.lookup_key());
    if (it == z->nsec.begin()) return nullptr;
    --it;
    if (it->second.expires_ms <= now) return nullptr;
    found.push_back(&it->second);
    return &it->second.set;
  };
  auto s = validator::synthesize_from_nsec(qname, qtype, at_or_before);
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

// The entry as if the zone's server had answered: the SOA, the NSEC
// RRsets and their RRSIGs (RFC 4035 3.1.3), living as long as the
// shortest-lived of them (RFC 8198 5.4), judged secure.
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
    expires = std::min(expires, s.expires_ms);
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
      removed += nsec.size();
      it = zones_.erase(it);
      continue;
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
