#include "resolver/denial_cache.h"

#include <algorithm>
#include <mutex>

#include "dns/rrtype.h"
#include "resolver/resolver.h"
#include "validator/denial.h"

namespace namae::resolver {

using dns::Name;

// The zone's entry (made on first use), or none when the cache is full of
// records still alive. Called with mu_ held.
DenialCache::Zone* DenialCache::zone_with_room(const Name& zone, int64_t now_ms) {
  if (records_ >= max_records_) sweep(now_ms);
  if (records_ >= max_records_) return nullptr;
  Zone& z = zones_[zone.lookup_key()];
  z.apex = zone;
  return &z;
}

void DenialCache::keep_nsec(const Name& zone, const dns::RRset& nsec, std::vector<dns::RdataBytes> sigs,
                            uint32_t ttl) {
  bool nsec3 = nsec.type == dns::rrtype::NSEC3;
  if (ttl == 0 || sigs.empty() || (nsec.type != dns::rrtype::NSEC && !nsec3) || !nsec.owner.is_subdomain_of(zone))
    return;
  // RFC 5155 7.1: an NSEC3 owner is one hash label above the apex.
  if (nsec3 && (nsec.rdata.size() != 1 || !(nsec.owner.strip_left() == zone))) return;
  std::unique_lock lock(mu_);
  int64_t now = clock_.now_ms();
  Zone* room = zone_with_room(zone, now);
  if (!room) return;
  Zone& z = *room;
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

void DenialCache::keep_wildcard(const Name& zone, const Name& closest, const dns::RRset& answer,
                                std::vector<dns::RdataBytes> sigs, uint32_t ttl) {
  static const uint8_t star[] = {'*'};
  auto wild = closest.prepend(star);
  if (ttl == 0 || sigs.empty() || !wild || !closest.is_subdomain_of(zone) || !answer.owner.is_subdomain_of(closest) ||
      answer.owner.label_count() <= closest.label_count())
    return;
  std::unique_lock lock(mu_);
  int64_t now = clock_.now_ms();
  Zone* room = zone_with_room(zone, now);
  if (!room) return;
  Zone& z = *room;
  dns::RRset set = answer;
  set.owner = *wild;
  auto [it, added] = z.wildcards.insert_or_assign({wild->lookup_key(), answer.type},
                                                  Signed{std::move(set), std::move(sigs), now, now + int64_t{ttl} * 1000});
  if (added) ++records_;
}

void DenialCache::sweep(int64_t now_ms) {
  auto expired = [&](const auto& kv) { return kv.second.expires_ms <= now_ms; };
  for (auto zit = zones_.begin(); zit != zones_.end();) {
    Zone& z = zit->second;
    records_ -= std::erase_if(z.nsec, expired) + std::erase_if(z.nsec3.records, expired) +
                std::erase_if(z.wildcards, expired);
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
  if (!z) return nullptr;
  int64_t now = clock_.now_ms();
  EntryPtr e = synthesize_denial(*z, qname, qtype, now);
  if (!e) e = synthesize_wildcard(*z, qname, qtype, now);
  if (e) answers_.fetch_add(1, std::memory_order_relaxed);
  return e;
}

const DenialCache::Signed* DenialCache::live_soa(const Zone& z, int64_t now) {
  return z.soa && z.soa->expires_ms > now ? &*z.soa : nullptr;
}

// RFC 8198 5.1-5.2: NXDOMAIN or NODATA, with the SOA for the authority section.
EntryPtr DenialCache::synthesize_denial(const Zone& z, const Name& qname, uint16_t qtype, int64_t now) const {
  const Signed* soa = live_soa(z, now);
  if (!soa) return nullptr;
  std::vector<const Signed*> found;
  auto s = from_nsec(z, qname, qtype, found, now);
  if (s.denied == validator::Denied::nothing) s = from_nsec3(z, qname, qtype, found, now);
  if (s.denied == validator::Denied::nothing) return nullptr;
  std::vector<const Signed*> used;
  for (const dns::RRset* p : s.used)
    for (const Signed* f : found)
      if (&f->set == p) {
        used.push_back(f);
        break;
      }
  return make_entry(qname, qtype, s.denied == validator::Denied::nxdomain, *soa, used);
}

// RFC 8198 5.3: the deepest kept wildcard above the name, of the type
// asked, expanded when a kept record proves that nothing closer to the
// name exists (RFC 4035 5.3.4, RFC 5155 8.8: the proof an upstream
// wildcard answer carries). An encloser with a wildcard exists, so a
// wildcard further up never applies below it.
EntryPtr DenialCache::synthesize_wildcard(const Zone& z, const Name& qname, uint16_t qtype, int64_t now) const {
  if (z.wildcards.empty() || dns::is_meta_type(qtype) || dns::is_question_only(qtype) || qtype == dns::rrtype::DS)
    return nullptr;
  static const uint8_t star[] = {'*'};
  for (Name closest = qname; closest.label_count() > z.apex.label_count();) {
    closest = closest.strip_left();
    auto wild = closest.prepend(star);
    if (!wild) return nullptr;
    const std::string key = wild->lookup_key();
    auto first = z.wildcards.lower_bound({key, 0});
    if (first == z.wildcards.end() || first->first.first != key) continue;  // none kept at this encloser
    auto it = z.wildcards.find({key, qtype});
    if (it == z.wildcards.end()) return nullptr;  // a wildcard of other types: not ours to answer
    if (it->second.expires_ms <= now) return nullptr;
    const Signed* proof = nonexistence_below(z, qname, closest, now);
    return proof ? make_expansion(qname, it->second, *proof, live_soa(z, now)) : nullptr;
  }
  return nullptr;
}

// The kept NSEC or NSEC3 record that proves that `qname` does not exist
// and that `closest` is its closest encloser: an NSEC covering the name,
// an NSEC3 covering the next closer name.
const DenialCache::Signed* DenialCache::nonexistence_below(const Zone& z, const Name& qname, const Name& closest,
                                                           int64_t now) const {
  const Signed* soa = live_soa(z, now);
  const Signed* candidate = nullptr;
  if (auto it = z.nsec.upper_bound(qname.lookup_key()); it != z.nsec.begin()) {
    candidate = &std::prev(it)->second;
  } else if (!z.nsec3.records.empty()) {
    auto h = dns::nsec3_hash(qname.suffix(closest.label_count() + 1), z.nsec3.params);
    if (!h) return nullptr;
    auto r = z.nsec3.records.upper_bound(*h);
    if (r == z.nsec3.records.begin()) r = z.nsec3.records.end();
    candidate = &std::prev(r)->second;
  }
  if (!candidate || usable_until(*candidate, soa) <= now) return nullptr;
  return validator::prove_wildcard_answer(qname, closest, {candidate->set}).is_secure() ? candidate : nullptr;
}

validator::NsecSynthesis DenialCache::from_nsec(const Zone& z, const Name& qname, uint16_t qtype,
                                                std::vector<const Signed*>& found, int64_t now) const {
  if (z.nsec.empty()) return {};
  auto at_or_before = [&](const Name& n) -> const dns::RRset* {
    auto it = z.nsec.upper_bound(n.lookup_key());
    if (it == z.nsec.begin()) return nullptr;
    --it;
    if (usable_until(it->second, &*z.soa) <= now) return nullptr;
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
    if (usable_until(it->second, &*z.soa) <= now) return nullptr;
    found.push_back(&it->second);
    return &it->second.set;
  };
  return validator::synthesize_from_nsec3(qname, qtype, z.apex, z.nsec3.params, at_or_before);
}

// RFC 8198 5.4 as RFC 9077 3.4 updates it: a record is used no longer than
// its own TTL nor the zone's negative TTL (the SOA's TTL and MINIMUM) from
// when it was kept; records of wildcard answers and referrals came without
// the SOA to bound them. With no SOA known (a wildcard expansion needs
// none), the record's own TTL.
int64_t DenialCache::usable_until(const Signed& record, const Signed* soa) {
  if (!soa) return record.expires_ms;
  return std::min(record.expires_ms, record.stored_ms + int64_t{negative_ttl(soa->set)} * 1000);
}

namespace {
// The RRSIG RRset over a kept record, as its zone's server sends it.
dns::RRset signatures_of(const dns::RRset& set, const std::vector<dns::RdataBytes>& sigs) {
  dns::RRset out;
  out.owner = set.owner;
  out.type = dns::rrtype::RRSIG;
  out.rclass = set.rclass;
  out.ttl = set.ttl;
  out.rdata = sigs;
  return out;
}
}  // namespace

// The entry as if the zone's server had answered: the SOA, the NSEC
// RRsets and their RRSIGs (RFC 4035 3.1.3), living as long as the
// shortest-lived of them, judged secure.
EntryPtr DenialCache::make_entry(const Name& qname, uint16_t qtype, bool nxdomain, const Signed& soa,
                                 const std::vector<const Signed*>& used) const {
  auto proof = std::make_shared<std::vector<dns::RRset>>();
  int64_t expires = soa.expires_ms;
  auto add = [&](const Signed& s) {
    if (s.set.type != dns::rrtype::SOA) proof->push_back(s.set);
    proof->push_back(signatures_of(s.set, s.sigs));
    expires = std::min(expires, usable_until(s, &soa));
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

// The wildcard's RRset renamed to the name asked, with the wildcard's
// RRSIGs (whose label count shows the expansion) and the proof that the
// name does not exist, living as long as the shorter-lived of them.
EntryPtr DenialCache::make_expansion(const Name& qname, const Signed& wildcard, const Signed& proof,
                                     const Signed* soa) const {
  int64_t now = clock_.now_ms();
  auto e = std::make_shared<CacheEntry>();
  e->kind = EntryKind::rrset;
  e->rrset = wildcard.set;
  e->rrset.owner = qname;
  e->trust = Trust::answer_auth;
  e->dnssec.sigs = wildcard.sigs;
  e->dnssec.proof = std::make_shared<std::vector<dns::RRset>>(
      std::vector<dns::RRset>{proof.set, signatures_of(proof.set, proof.sigs)});
  e->stored_ms = now;
  e->expires_ms = std::min(wildcard.expires_ms, usable_until(proof, soa));
  e->original_ttl = static_cast<uint32_t>((e->expires_ms - now) / 1000);
  e->judge(validator::Verdict::secure(), now);
  return e;
}

size_t DenialCache::flush(const Name& name) {
  std::unique_lock lock(mu_);
  size_t removed = 0;
  const std::string prefix = name.lookup_key();
  for (auto it = zones_.begin(); it != zones_.end();) {
    auto& nsec = it->second.nsec;
    removed += std::erase_if(it->second.wildcards, [&](const auto& kv) { return kv.second.set.owner.is_subdomain_of(name); });
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
