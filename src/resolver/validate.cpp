#include "resolver/validate.h"

#include <algorithm>

#include "dns/rrtype.h"
#include "resolver/resolver.h"
#include "validator/denial.h"

namespace namae::resolver {

using dns::Name;
using validator::KeySet;
using validator::Security;
using validator::Verdict;
namespace rrtype = dns::rrtype;
namespace ede = validator::ede;

namespace {

std::string key_of(const Name& name) { return name.lower().to_text(); }

// A DS or DNSKEY question that got no answer (no server reachable, or the
// question out of time or budget) says nothing about the zone: not bogus,
// undetermined; the fetch's EDE says why (22 unreachable, 23 otherwise).
Verdict unanswered(const Answer& a, const Name& name, uint16_t type) {
  return Verdict::indeterminate(a.ede != ede::NONE ? a.ede : ede::NETWORK_ERROR,
                                "no answer to the " + dns::type_to_text(type) + " question for " + name.to_text());
}

const CacheEntry* find_data(const Answer& a, const Name& owner, uint16_t type) {
  for (const auto& e : a.chain)
    if (e->kind == EntryKind::rrset && e->rrset.type == type && e->rrset.owner == owner) return e.get();
  return nullptr;
}

// Where the keys that sign `owner`'s data are: the RRSIG's signer when it
// is at or above the owner, else the owner itself (the walk then finds the
// zone); a DS belongs to the parent (RFC 4035 2.4).
Name key_name(const CacheEntry& e, const std::vector<dns::RdataBytes>& sigs, uint16_t type) {
  const Name& owner = e.rrset.owner;
  if (auto signer = validator::signer_of(sigs); signer && owner.is_subdomain_of(*signer)) return *signer;
  return type == rrtype::DS && !owner.is_root() ? owner.strip_left() : owner;
}

}  // namespace

std::shared_ptr<const KeySet> KeyCache::find(const Name& name) const {
  std::lock_guard lock(mu_);
  auto it = map_.find(key_of(name));
  if (it == map_.end() || it->second.expires_ms <= clock_.now_ms()) return nullptr;
  return it->second.keys;
}

void KeyCache::store(const Name& name, std::shared_ptr<const KeySet> keys, uint32_t ttl) {
  std::lock_guard lock(mu_);
  // A small table: validated keys are few (one per zone in use); expired
  // ones are swept when it grows.
  if (map_.size() > 100000) std::erase_if(map_, [&](const auto& kv) { return kv.second.expires_ms <= clock_.now_ms(); });
  map_[key_of(name)] = Slot{name, std::move(keys), clock_.now_ms() + int64_t{ttl} * 1000};
}

size_t KeyCache::flush(const Name& name) {
  std::lock_guard lock(mu_);
  return std::erase_if(map_, [&](const auto& kv) { return kv.second.name.is_subdomain_of(name); });
}

void NegativeAnchors::add(const Name& name, uint32_t seconds) {
  std::lock_guard lock(mu_);
  std::erase_if(anchors_, [&](const auto& a) { return a.first == name; });
  anchors_.emplace_back(name, clock_.now_ms() + int64_t{seconds} * 1000);
}

bool NegativeAnchors::remove(const Name& name) {
  std::lock_guard lock(mu_);
  return std::erase_if(anchors_, [&](const auto& a) { return a.first == name; }) > 0;
}

bool NegativeAnchors::covers(const Name& name) const {
  std::lock_guard lock(mu_);
  int64_t now = clock_.now_ms();
  return std::any_of(anchors_.begin(), anchors_.end(),
                     [&](const auto& a) { return a.second > now && name.is_subdomain_of(a.first); });
}

std::string NegativeAnchors::list() const {
  std::lock_guard lock(mu_);
  std::string out;
  int64_t now = clock_.now_ms();
  for (const auto& [name, expires] : anchors_)
    if (expires > now) out += name.to_text() + " " + std::to_string((expires - now + 999) / 1000) + "\n";
  return out;
}

std::optional<Verdict> AnswerValidator::validate(const Answer& a, uint16_t qtype) {
  const CacheEntry* prev = nullptr;
  for (const auto& e : a.chain) {
    if (e->judged() == Security::unchecked) judge_and_note(*e, qtype, prev);
    if (unanswered_) return unanswered_;
    prev = e.get();
  }
  if (a.negative && a.negative->judged() == Security::unchecked) judge_and_note(*a.negative, qtype, prev);
  return unanswered_;
}

void AnswerValidator::judge_and_note(const CacheEntry& e, uint16_t qtype, const CacheEntry* prev) {
  Verdict v = judge(e, qtype, prev);
  if (note_) note_(e.rrset.owner, e.kind == EntryKind::rrset ? e.rrset.type : qtype, v);
  if (v.security == Security::indeterminate)
    unanswered_ = std::move(v);
  else
    e.judge(v, ctx_.clock.now_ms());
}

Verdict AnswerValidator::judge(const CacheEntry& e, uint16_t qtype, const CacheEntry* prev) {
  // RFC 4035 5.3.2... RFC 6672 5.3.1: the CNAME a DNAME synthesizes is
  // unsigned; the iterator derived it from the DNAME, whose verdict it takes.
  if (e.kind == EntryKind::rrset && e.rrset.type == rrtype::CNAME && e.dnssec.sigs.empty() && prev &&
      prev->rrset.type == rrtype::DNAME)
    return Verdict{prev->judged(), prev->ede.load(), "synthesized from the DNAME"};
  if (e.kind == EntryKind::rrset) return judge_positive(e);
  return judge_negative(e, e.kind == EntryKind::nxdomain ? qtype : e.rrset.type);
}

Verdict AnswerValidator::judge_positive(const CacheEntry& e) {
  const auto& sigs = e.dnssec.sigs;
  auto ks = keys_for(key_name(e, sigs, e.rrset.type));
  if (!ks->verdict.is_secure()) return ks->verdict;
  Verdict v = validator::verify_rrset(e.rrset, sigs, *ks, now());
  if (!v.is_secure()) return v;
  auto closest = validator::wildcard_parent(e.rrset, sigs);
  if (!closest) return v;
  // RFC 4035 5.3.4: a wildcard expansion needs the proof that the name
  // asked does not exist.
  std::vector<dns::RRset> denial;
  if (Verdict p = verified_proof(e, *ks, denial); !p.is_secure()) return p;
  Verdict w = validator::prove_wildcard_answer(e.rrset.owner, *closest, denial);
  if (w.is_secure()) {
    keep_denial(*ks, e, denial, {});
    // RFC 8198 5.3: the wildcard itself answers other names it covers.
    if (ctx_.denial) ctx_.denial->keep_wildcard(ks->zone, *closest, e.rrset, sigs, e.ttl_left(ctx_.clock.now_ms()));
  }
  return w;
}

Verdict AnswerValidator::judge_negative(const CacheEntry& e, uint16_t qtype) {
  static const std::vector<dns::RRset> none;
  const auto& proof = e.dnssec.proof ? *e.dnssec.proof : none;
  std::vector<dns::RdataBytes> soa_sigs;
  if (e.soa) soa_sigs = validator::signatures_over(*e.soa, proof);
  std::vector<dns::RdataBytes> any_sigs = soa_sigs;
  for (const auto& rs : proof)
    if (rs.type == rrtype::RRSIG && any_sigs.empty()) any_sigs = rs.rdata;
  auto ks = keys_for(key_name(e, any_sigs, qtype));
  if (!ks->verdict.is_secure()) return ks->verdict;
  if (e.soa)
    if (Verdict v = validator::verify_rrset(*e.soa, soa_sigs, *ks, now()); !v.is_secure()) return v;
  std::vector<dns::RRset> denial;
  if (Verdict v = verified_proof(e, *ks, denial); !v.is_secure()) return v;
  Verdict v = e.kind == EntryKind::nxdomain ? validator::prove_nxdomain(e.rrset.owner, denial)
                                             : validator::prove_nodata(e.rrset.owner, qtype, denial);
  if (v.is_secure()) keep_denial(*ks, e, denial, soa_sigs);
  return v;
}

// RFC 8198: the NSEC and NSEC3 records of a secure proof (and the zone's SOA, when
// it came with them) answer later questions their ranges cover.
void AnswerValidator::keep_denial(const KeySet& ks, const CacheEntry& e, const std::vector<dns::RRset>& denial,
                                  const std::vector<dns::RdataBytes>& soa_sigs) {
  if (!ctx_.denial || !e.dnssec.proof) return;
  uint32_t ttl = e.ttl_left(ctx_.clock.now_ms());
  if (e.soa && !soa_sigs.empty()) ctx_.denial->keep_soa(ks.zone, *e.soa, soa_sigs, ttl);
  for (const auto& rs : denial)  // verified NSEC and NSEC3 RRsets only
    ctx_.denial->keep_nsec(ks.zone, rs, validator::signatures_over(rs, *e.dnssec.proof), std::min(rs.ttl, ttl));
}

// The NSEC and NSEC3 RRsets of the entry's proof, each verified by `ks`.
Verdict AnswerValidator::verified_proof(const CacheEntry& e, const KeySet& ks, std::vector<dns::RRset>& out) {
  if (e.dnssec.proof)
    for (const auto& rs : *e.dnssec.proof) {
      if (rs.type != rrtype::NSEC && rs.type != rrtype::NSEC3) continue;
      Verdict v = validator::verify_rrset(rs, validator::signatures_over(rs, *e.dnssec.proof), ks, now());
      if (!v.is_secure()) return v;
      out.push_back(rs);
    }
  if (out.empty()) return Verdict::bogus(ede::NSEC_MISSING, "no NSEC or NSEC3 records for " + e.rrset.owner.to_text());
  return Verdict::secure();
}

// The keys that hold at `name`: from the deepest known point (or the
// closest trust anchor) down, one label at a time.
std::shared_ptr<const KeySet> AnswerValidator::keys_for(const Name& name) {
  if (ctx_.negative.covers(name))
    return std::make_shared<const KeySet>(KeySet{name, Verdict::insecure("under a negative trust anchor"), {}});
  const validator::Anchor* anchor = ctx_.anchors.closest(name);
  if (!anchor)
    return std::make_shared<const KeySet>(KeySet{name, Verdict::insecure("no trust anchor above " + name.to_text()), {}});
  std::shared_ptr<const KeySet> ks;
  size_t pos = name.label_count();
  for (;; --pos) {
    if ((ks = ctx_.keys.find(name.suffix(pos))) || pos <= anchor->zone.label_count()) break;
  }
  if (!ks) ks = anchor_keys(*anchor);
  while (ks->verdict.is_secure() && pos < name.label_count()) {
    ++pos;
    ks = step_down(*ks, name.suffix(pos));
  }
  return ks;
}

std::shared_ptr<const KeySet> AnswerValidator::anchor_keys(const validator::Anchor& anchor) {
  Answer a = fetch_(anchor.zone, rrtype::DNSKEY);
  const CacheEntry* k = find_data(a, anchor.zone, rrtype::DNSKEY);
  if (!k && a.rcode == dns::rcode::SERVFAIL)
    return remember(anchor.zone, KeySet{anchor.zone, unanswered(a, anchor.zone, rrtype::DNSKEY), {}}, 0);
  if (!k)
    return remember(anchor.zone, KeySet{anchor.zone, Verdict::bogus(ede::DNSKEY_MISSING,
                                         "no DNSKEY RRset for the trust anchor " + anchor.zone.to_text()), {}}, 0);
  KeySet ks = validator::verify_dnskeys(anchor.zone, k->rrset, k->dnssec.sigs, anchor.ds, anchor.dnskeys, now());
  if (ks.verdict.is_secure() && ctx_.updates) ctx_.updates->observe(k->rrset, k->dnssec.sigs);
  return remember(anchor.zone, std::move(ks), k->ttl_left(ctx_.clock.now_ms()));
}

// The keys that hold at `child`, one label below where `above` holds: the
// child's own (a signed delegation), none (unsigned) or still `above`'s.
std::shared_ptr<const KeySet> AnswerValidator::step_down(const KeySet& above, const Name& child) {
  if (auto proven = no_ds_from_referral(above, child)) return proven;
  Answer a = fetch_(child, rrtype::DS);
  if (const CacheEntry* ds = find_data(a, child, rrtype::DS)) {
    Verdict v = validator::verify_rrset(ds->rrset, ds->dnssec.sigs, above, now());
    ds->judge(v, ctx_.clock.now_ms());
    if (!v.is_secure()) return remember(child, KeySet{child, v, {}}, 0);
    return child_keys(child, *ds);
  }
  if (a.rcode == dns::rcode::SERVFAIL) return remember(child, KeySet{child, unanswered(a, child, rrtype::DS), {}}, 0);
  if (!a.negative)
    return remember(child, KeySet{child, Verdict::bogus(ede::DNSSEC_BOGUS, "no answer to the DS question for " +
                                                                              child.to_text()), {}}, 0);
  const CacheEntry& neg = *a.negative;
  std::vector<dns::RRset> denial;
  Verdict v = verified_proof(neg, above, denial);
  if (v.is_secure() && neg.soa)
    v = validator::verify_rrset(*neg.soa, validator::signatures_over(*neg.soa, *neg.dnssec.proof), above, now());
  if (!v.is_secure()) return remember(child, KeySet{child, v, {}}, 0);
  validator::CutProof cut = validator::prove_no_ds(child, denial);
  uint32_t ttl = neg.ttl_left(ctx_.clock.now_ms());
  switch (cut.cut) {
    case validator::Cut::unsigned_delegation: return remember(child, KeySet{child, cut.verdict, {}}, ttl);
    case validator::Cut::no_delegation: return remember(child, above, ttl);
    case validator::Cut::unproven: break;
  }
  return remember(child, KeySet{child, cut.verdict, {}}, 0);
}

// RFC 4035 3.1.4: a referral to an unsigned child carries the parent's
// proof that it has no DS; the iterator keeps it with the child's NS
// RRset, so the delegation is proven insecure here without a DS question
// (and remembered for as long as that proof lives).
std::shared_ptr<const KeySet> AnswerValidator::no_ds_from_referral(const KeySet& above, const Name& child) {
  EntryPtr ns = ctx_.cache.lookup(child, rrtype::NS);
  if (!ns || ns->kind != EntryKind::rrset || !ns->dnssec.proof) return nullptr;
  std::vector<dns::RRset> denial;
  if (!verified_proof(*ns, above, denial).is_secure()) return nullptr;
  validator::CutProof cut = validator::prove_no_ds(child, denial);
  if (cut.cut != validator::Cut::unsigned_delegation) return nullptr;
  uint32_t ttl = ns->ttl_left(ctx_.clock.now_ms());
  for (const auto& rs : denial) ttl = std::min(ttl, rs.ttl);
  keep_denial(above, *ns, denial, {});
  return remember(child, KeySet{child, cut.verdict, {}}, ttl);
}

std::shared_ptr<const KeySet> AnswerValidator::child_keys(const Name& child, const CacheEntry& ds) {
  Answer a = fetch_(child, rrtype::DNSKEY);
  const CacheEntry* k = find_data(a, child, rrtype::DNSKEY);
  if (!k && a.rcode == dns::rcode::SERVFAIL) return remember(child, KeySet{child, unanswered(a, child, rrtype::DNSKEY), {}}, 0);
  if (!k)
    return remember(child, KeySet{child, Verdict::bogus(ede::DNSKEY_MISSING, "no DNSKEY RRset for " + child.to_text()), {}}, 0);
  KeySet ks = validator::verify_dnskeys(child, k->rrset, k->dnssec.sigs, ds.rrset.rdata, {}, now());
  int64_t now_ms = ctx_.clock.now_ms();
  return remember(child, std::move(ks), std::min(k->ttl_left(now_ms), ds.ttl_left(now_ms)));
}

std::shared_ptr<const KeySet> AnswerValidator::remember(const Name& at, KeySet ks, uint32_t ttl) {
  if (ks.verdict.is_bogus() || ttl == 0) ttl = ks.verdict.is_bogus() ? ctx_.bogus_ttl : std::max<uint32_t>(ttl, 1);
  if (note_) note_(at, rrtype::DNSKEY, ks.verdict);
  auto p = std::make_shared<const KeySet>(std::move(ks));
  // Keys that could not be fetched are sought again by the next question.
  if (p->verdict.security != Security::indeterminate) ctx_.keys.store(at, p, ttl);
  return p;
}

}  // namespace namae::resolver
