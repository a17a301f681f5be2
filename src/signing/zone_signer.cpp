#include "signing/zone_signer.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_set>

#include "dns/rrtype.h"
#include "dnssec/chain.h"
#include "dnssec/dnskey.h"
#include "dnssec/rrsig.h"
#include "dnssec/zone_model.h"

namespace namae::signing {
namespace {

namespace rt = dns::rrtype;
using Hash = dns::Nsec3Hash;
using dnssec::ZoneKey;

bool is_chain_type(uint16_t t) { return t == rt::NSEC || t == rt::NSEC3 || t == rt::RRSIG; }

// RFC 7344 4.1: CDS and CDNSKEY are signed as DNSKEY is, by the keys the
// parent's DS points to.
bool is_key_type(uint16_t t) { return t == rt::DNSKEY || t == rt::CDS || t == rt::CDNSKEY; }

uint16_t covered_type(const dns::Record& r) {
  return r.type == rt::RRSIG && r.rdata.size() >= 2 ? static_cast<uint16_t>(r.rdata[0] << 8 | r.rdata[1]) : r.type;
}

std::vector<dns::RdataBytes> rdatas_of(zone::RRsetView set) {
  std::vector<dns::RdataBytes> out;
  if (!set) return out;
  auto c = set.rdatas();
  for (std::span<const uint8_t> rd; c.next(rd);) out.emplace_back(rd.begin(), rd.end());
  return out;
}

// The node's RRsets that are data (not the signer's RRSIG, NSEC, NSEC3), by type.
std::vector<uint16_t> data_types(const zone::Node& n) {
  std::vector<uint16_t> types;
  auto c = n.rrsets();
  for (zone::RRsetView s; c.next(s);)
    if (!is_chain_type(s.type())) types.push_back(s.type());
  std::sort(types.begin(), types.end());
  return types;
}

bool nsec3_only(const zone::Node& n) { return n.find(rt::NSEC3) && data_types(n).empty(); }

dnssec::NodeKind kind_of(const zone::Node& n) {
  using zone::node_flag::apex, zone::node_flag::delegation, zone::node_flag::occluded;
  if (n.has(apex)) return dnssec::NodeKind::apex;
  if (n.has(occluded)) return dnssec::NodeKind::occluded;
  if (n.has(delegation)) return dnssec::NodeKind::delegation;
  return dnssec::NodeKind::authoritative;
}

bool signs(const zone::Node& n, uint16_t type) {
  return dnssec::is_signed_set(dnssec::ZoneNode{{}, kind_of(n), {}}, type);
}

std::string key_of(const dns::Name& n) { return n.lookup_key(); }

// NSEC3 rdata's next hashed owner and type bitmap (RFC 5155 3.2).
std::span<const uint8_t> nsec3_bitmap(std::span<const uint8_t> r) {
  if (r.size() < 6) return {};
  const size_t hash_at = 5u + r[4];
  if (hash_at >= r.size() || hash_at + 1 + r[hash_at] > r.size()) return {};
  return r.subspan(hash_at + 1 + r[hash_at]);
}

// The unix time an RRSIG's 32-bit time stands for, near `now` (RFC 4034 3.1.5).
int64_t near(uint32_t t, int64_t now) { return now + static_cast<int32_t>(t - static_cast<uint32_t>(now)); }

}  // namespace

bool is_signer_type(uint16_t t) {
  return is_key_type(t) || t == rt::RRSIG || t == rt::NSEC || t == rt::NSEC3 || t == rt::NSEC3PARAM;
}

uint32_t largest_ttl(const zone::ZoneVersion& v) {
  uint32_t ttl = 0;
  for (size_t i = 0; i < v.node_count(); ++i) {
    auto c = v.node(i).rrsets();
    for (zone::RRsetView set; c.next(set);) ttl = std::max(ttl, set.ttl());
  }
  return ttl;
}

Scope scope_of(const zone::ZoneDiff& diff) {
  Scope s;
  for (const auto* list : {&diff.removed, &diff.added})
    for (const auto& r : *list) {
      s.names.push_back(r.owner);
      s.changed.emplace_back(r.owner, covered_type(r));
    }
  return s;
}

ZoneSigner::ZoneSigner(dns::Name origin, Policy policy, std::vector<ZoneKey> keys)
    : origin_(std::move(origin)), policy_(std::move(policy)), keys_(std::move(keys)) {}

// ---------------------------------------------------------------- one pass

struct ZoneSigner::Pass {
  Pass(const ZoneSigner& s, const zone::ZoneVersion& v, int64_t now) : s(s), v(v), now(now) {
    auto by = s.signers(now);
    ksk = std::move(by.keys);
    zsk = std::move(by.data);
    validity = {static_cast<uint32_t>(now - s.policy_.inception_offset),
                static_cast<uint32_t>(now + s.policy_.validity)};
  }

  struct Job {
    dns::RRset set;
    const ZoneKey* key;
  };
  const ZoneSigner& s;
  const zone::ZoneVersion& v;
  const int64_t now;
  std::vector<const ZoneKey*> ksk, zsk;
  dnssec::Validity validity;
  std::set<std::pair<std::string, uint16_t>> changed;  // (lookup key, type)
  zone::ZoneDiff out;
  std::vector<Job> jobs;

  void remove(const dns::Name& owner, uint16_t type, zone::RRsetView set) {
    for (auto& rd : rdatas_of(set)) out.removed.push_back({owner, type, v.rclass(), set.ttl(), std::move(rd)});
  }
  void remove_sigs(const zone::Node& n, const dns::Name& owner, uint16_t covered) {
    remove(owner, rt::RRSIG, n.find_signatures(covered));
  }

  // RFC 4035 2.2: one good RRSIG per active key of the set's role; the
  // others go.
  bool keepable(std::span<const uint8_t> sig, const ZoneKey& k, const dns::RRset& set) const {
    auto f = dnssec::parse_rrsig(sig);
    return f && f->key_tag == k.tag && f->algorithm == k.key.algorithm() && f->original_ttl == set.ttl &&
           f->labels == dnssec::rrsig_labels(set.owner) && near(f->expiration, now) - now > s.policy_.refresh &&
           near(f->inception, now) <= now && f->signer == s.origin_;
  }
  void sign_set(const zone::Node* n, const dns::RRset& set, bool forced) {
    zone::RRsetView sigs = n ? n->find_signatures(set.type) : zone::RRsetView{};
    auto old = rdatas_of(sigs);
    std::vector<bool> kept(old.size());
    forced = forced || changed.count({key_of(set.owner), set.type});
    for (const ZoneKey* k : is_key_type(set.type) ? ksk : zsk) {
      bool have = false;
      for (size_t i = 0; i < old.size() && !have && !forced; ++i)
        if (!kept[i] && keepable(old[i], *k, set)) kept[i] = have = true;
      if (!have) jobs.push_back({set, k});
    }
    for (size_t i = 0; i < old.size(); ++i)
      if (!kept[i]) out.removed.push_back({set.owner, rt::RRSIG, v.rclass(), sigs.ttl(), std::move(old[i])});
  }
  // Replace `owner`'s RRset of `type` (a chain record) by `rdata`, signed.
  void replace(const zone::Node* n, const dns::Name& owner, uint16_t type, dns::RdataBytes rdata) {
    if (n) {
      remove(owner, type, n->find(type));
      remove_sigs(*n, owner, type);
    }
    dns::RRset set{owner, type, v.rclass(), v.negative_ttl(), {std::move(rdata)}};
    out.added.push_back({owner, type, v.rclass(), set.ttl, set.rdata[0]});
    sign_set(nullptr, set, true);
  }
  // The chain record `type` at `n` is as wanted: keep it, renew its RRSIGs if due.
  bool same_record(const zone::Node* n, uint16_t type, const dns::RdataBytes& want) const {
    if (!n) return false;
    zone::RRsetView set = n->find(type);
    if (!set || set.count() != 1 || set.ttl() != v.negative_ttl()) return false;
    auto rd = set.first();
    return std::equal(rd.begin(), rd.end(), want.begin(), want.end());
  }
  void keep_or_replace(const zone::Node* n, const dns::Name& owner, uint16_t type, dns::RdataBytes want) {
    if (same_record(n, type, want))
      sign_set(n, dns::RRset{owner, type, v.rclass(), v.negative_ttl(), {std::move(want)}}, false);
    else
      replace(n, owner, type, std::move(want));
  }

  // A node's data RRsets: signed where authoritative, unsigned elsewhere,
  // and RRSIGs over RRsets it no longer has dropped.
  void node_sets(const zone::Node& n) {
    const dns::Name owner = n.owner_name();
    auto c = n.rrsets();
    for (zone::RRsetView set; c.next(set);) {
      const uint16_t type = set.type();
      if (type == rt::RRSIG) {
        const uint16_t covered = static_cast<uint16_t>(set.first()[0] << 8 | set.first()[1]);
        if (!n.find(covered)) remove(owner, rt::RRSIG, set);
      } else if (type == rt::NSEC || type == rt::NSEC3) {
        continue;  // the chain passes decide
      } else if (signs(n, type)) {
        sign_set(&n, dns::RRset{owner, type, v.rclass(), set.ttl(), rdatas_of(set)}, false);
      } else {
        remove_sigs(n, owner, type);
      }
    }
  }

  bool member(size_t i) const {
    const zone::Node& n = v.node(i);
    return !n.has(zone::node_flag::occluded) && !data_types(n).empty();
  }
  size_t next_member(size_t i) const {
    for (size_t j = i + 1; j < v.node_count(); ++j)
      if (member(j)) return j;
    return 0;
  }
  size_t member_at_or_before(size_t i) const {
    for (; i > 0; --i)
      if (member(i)) return i;
    return 0;
  }

  // RFC 4035 2.3: the NSEC of each name the scope touches and of the name
  // before it, whose "next" may have changed.
  void nsec_chain(const std::vector<size_t>& present, const std::vector<dns::Name>& absent) {
    std::set<size_t> todo;
    for (size_t i : present) {
      if (member(i)) todo.insert(i);
      else if (v.node(i).find(rt::NSEC)) {
        const dns::Name owner = v.node(i).owner_name();
        remove(owner, rt::NSEC, v.node(i).find(rt::NSEC));
        remove_sigs(v.node(i), owner, rt::NSEC);
      }
      if (i > 0) todo.insert(member_at_or_before(i - 1));
    }
    for (const auto& name : absent) todo.insert(member_at_or_before(v.predecessor(name)));
    for (size_t i : todo) {
      const zone::Node& n = v.node(i);
      auto types = data_types(n);
      types.push_back(rt::NSEC);
      types.push_back(rt::RRSIG);
      std::sort(types.begin(), types.end());
      const dns::Name owner = n.owner_name();
      keep_or_replace(&n, owner, rt::NSEC, dnssec::nsec_rdata(v.node(next_member(i)).owner_name(), types));
    }
  }

  // RFC 5155 7.1: does `name` (at index `i`) own an NSEC3, and with which types?
  std::optional<std::vector<uint16_t>> nsec3_types(const dns::Name& name) const {
    const zone::Node* n = v.find(name);
    if (!n || n->has(zone::node_flag::occluded) || nsec3_only(*n)) return std::nullopt;
    auto types = data_types(*n);
    if (types.empty()) {  // an empty non-terminal only while data lies below it
      bool below = false;
      for (size_t j = v.predecessor(name) + 1; j < v.node_count() && !below; ++j) {
        const zone::Node& d = v.node(j);
        if (!d.owner_name().is_subdomain_of(name)) break;
        below = !d.has(zone::node_flag::occluded) && !data_types(d).empty() && !nsec3_only(d);
      }
      if (!below) return std::nullopt;
      return types;
    }
    const bool any_signed = std::any_of(types.begin(), types.end(), [&](uint16_t t) { return signs(*n, t); });
    if (any_signed) types.push_back(rt::RRSIG);
    std::sort(types.begin(), types.end());
    return types;
  }

  struct Nsec3Plan {
    std::span<const Hash> chain;                      // as it is, sorted
    std::map<Hash, std::vector<uint16_t>> wanted;     // hashes the scope's names want, with types
    std::set<Hash> removed;
    std::map<Hash, std::vector<uint16_t>> added;      // not in `chain` yet

    bool gone(const Hash& h) const { return removed.count(h) > 0; }
    // The neighbour of `h` in the chain as it will be, going up (next) or down.
    Hash neighbour(const Hash& h, bool up) const {
      std::optional<Hash> from_chain, from_added;
      const size_t n = chain.size();
      if (n) {
        size_t i = up ? std::upper_bound(chain.begin(), chain.end(), h) - chain.begin()
                      : std::lower_bound(chain.begin(), chain.end(), h) - chain.begin();
        for (size_t step = 0; step < n; ++step) {
          size_t at = up ? (i + step) % n : (i + n - 1 - step) % n;
          if (!gone(chain[at])) {
            from_chain = chain[at];
            break;
          }
        }
      }
      if (!added.empty()) {
        if (up) {
          auto it = added.upper_bound(h);
          from_added = it == added.end() ? added.begin()->first : it->first;
        } else {
          auto it = added.lower_bound(h);
          from_added = it == added.begin() ? added.rbegin()->first : std::prev(it)->first;
        }
      }
      if (!from_chain) return from_added.value_or(h);
      if (!from_added) return *from_chain;
      // The nearer one in the direction of travel, wrapping around.
      auto ahead = [&](const Hash& x) { return up ? x > h : x < h; };
      const bool a = ahead(*from_chain), b = ahead(*from_added);
      if (a != b) return a ? *from_chain : *from_added;
      return up ? std::min(*from_chain, *from_added) : std::max(*from_chain, *from_added);
    }
  };

  dns::RdataBytes nsec3_record(const Hash& next, std::span<const uint8_t> bitmap) const {
    dnssec::Nsec3Settings p;
    auto rd = dnssec::nsec3_rdata(p, next, {});
    rd.insert(rd.end(), bitmap.begin(), bitmap.end());
    return rd;
  }
  dns::RdataBytes nsec3_record(const Hash& next, const std::vector<uint16_t>& types) const {
    return dnssec::nsec3_rdata(dnssec::Nsec3Settings{}, next, types);
  }

  Result<void> nsec3_chain(const std::vector<dns::Name>& candidates, bool all, std::set<Hash>& handled) {
    Nsec3Plan plan;
    plan.chain = v.nsec3_hashes();
    const dnssec::Nsec3Settings p;
    for (const auto& name : candidates) {
      const Hash h = dnssec::nsec3_hash(name, p);
      if (auto types = nsec3_types(name)) {
        if (!plan.wanted.emplace(h, *types).second) return fail("NSEC3 hash collision at " + name.to_text());
      } else if (v.nsec3_match(h)) {
        plan.removed.insert(h);
      }
    }
    if (all)
      for (const Hash& h : plan.chain)
        if (!plan.wanted.count(h)) plan.removed.insert(h);
    std::set<Hash> rewrite;
    for (const auto& [h, types] : plan.wanted) {
      if (!std::binary_search(plan.chain.begin(), plan.chain.end(), h)) {
        plan.added.emplace(h, types);
        rewrite.insert(h);
        rewrite.insert(plan.neighbour(h, false));
      } else {
        rewrite.insert(h);  // its types may have changed
      }
    }
    for (const Hash& h : plan.removed) {
      if (plan.chain.size() > plan.removed.size() || !plan.added.empty()) rewrite.insert(plan.neighbour(h, false));
      auto owner = dnssec::nsec3_owner(h, s.origin_);
      if (!owner) return owner.error();
      const zone::Node* n = v.find(*owner);
      if (!n) continue;
      remove(*owner, rt::NSEC3, n->find(rt::NSEC3));
      remove_sigs(*n, *owner, rt::NSEC3);
      handled.insert(h);
    }
    for (const Hash& h : rewrite) {
      if (plan.gone(h)) continue;
      auto owner = dnssec::nsec3_owner(h, s.origin_);
      if (!owner) return owner.error();
      const zone::Node* n = v.find(*owner);
      const Hash next = plan.neighbour(h, true);
      auto w = plan.wanted.find(h);
      dns::RdataBytes rd;
      if (w != plan.wanted.end()) {
        rd = nsec3_record(next, w->second);
      } else {
        if (!n || !n->find(rt::NSEC3)) continue;  // not ours to fix
        rd = nsec3_record(next, nsec3_bitmap(n->find(rt::NSEC3).first()));
      }
      keep_or_replace(n, *owner, rt::NSEC3, std::move(rd));
      handled.insert(h);
    }
    return {};
  }

  void sign_jobs() {
    std::vector<std::optional<dns::RdataBytes>> sigs(jobs.size());
    std::atomic<size_t> next{0};
    auto work = [&] {
      for (size_t i; (i = next.fetch_add(1)) < jobs.size();) {
        auto sig = dnssec::sign_rrset(jobs[i].set, jobs[i].key->key, jobs[i].key->dnskey, s.origin_, validity);
        if (sig) sigs[i] = std::move(*sig);
      }
    };
    const unsigned threads = std::min<unsigned>(std::max(1u, std::thread::hardware_concurrency()),
                                                static_cast<unsigned>(jobs.size() / 64 + 1));
    std::vector<std::thread> pool;
    for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
    for (size_t i = 0; i < jobs.size(); ++i)
      if (sigs[i]) out.added.push_back({jobs[i].set.owner, rt::RRSIG, v.rclass(), jobs[i].set.ttl, std::move(*sigs[i])});
  }
  bool all_signed() const {
    size_t n = 0;
    for (const auto& r : out.added) n += r.type == rt::RRSIG;
    return n >= jobs.size();
  }
};

// ---------------------------------------------------------------- apex and whole-zone cleanup

ZoneSigner::Signers ZoneSigner::signers(int64_t now) const {
  Signers by;
  for (const auto& k : keys_) {
    if (signs_keys(k) && k.timing.signs_keys_at(now)) by.keys.push_back(&k);
    if (signs_data(k) && k.timing.signs_data_at(now)) by.data.push_back(&k);
  }
  if (by.keys.empty()) by.keys = by.data;
  if (by.data.empty()) by.data = by.keys;
  return by;
}

// Going insecure keeps the denial the zone has (the "insecure" policy
// names none).
bool ZoneSigner::uses_nsec3(const zone::ZoneVersion& v) const {
  return policy_.insecure ? static_cast<bool>(v.apex().find(rt::NSEC3PARAM)) : policy_.nsec3;
}

uint32_t ZoneSigner::dnskey_ttl(const zone::ZoneVersion& v) const {
  if (policy_.dnskey_ttl) return policy_.dnskey_ttl;
  zone::RRsetView old_keys = v.apex().find(rt::DNSKEY);
  return old_keys ? old_keys.ttl() : v.soa().ttl();
}

namespace {

// RFC 8078 4: the parent is asked to remove the DS RRset by a CDS or
// CDNSKEY RRset of exactly one record of these fields.
const dns::RdataBytes kDeleteCds = {0, 0, 0, 0, 0};         // CDS 0 0 0 00
const dns::RdataBytes kDeleteCdnskey = {0, 0, 3, 0, 0};     // CDNSKEY 0 3 0 AA==

bool is_dnssec_type(uint16_t t) { return is_chain_type(t) || is_key_type(t) || t == rt::NSEC3PARAM; }

}  // namespace

zone::ZoneDiff ZoneSigner::apex_changes(const zone::ZoneVersion& v, bool all, int64_t now) const {
  zone::ZoneDiff d;
  const zone::Node& apex = v.apex();
  auto put = [&](uint16_t type, std::vector<dns::RdataBytes> want, uint32_t ttl) {
    std::sort(want.begin(), want.end());
    zone::RRsetView set = apex.find(type);
    auto have = rdatas_of(set);
    std::sort(have.begin(), have.end());
    if (have == want && (!set || set.ttl() == ttl)) return;
    for (auto& rd : have) d.removed.push_back({origin_, type, v.rclass(), set.ttl(), std::move(rd)});
    for (auto& rd : want) d.added.push_back({origin_, type, v.rclass(), ttl, std::move(rd)});
  };
  // RFC 7344 4: CDS and CDNSKEY name the keys the parent's DS should
  // point to (the active KSKs or CSKs), kept in step with the DNSKEY RRset.
  std::vector<dns::RdataBytes> dnskeys, cdnskeys, cds;
  const bool gone = policy_.is_unsigned(now);
  for (const auto& k : keys_) {
    if (gone || !k.timing.published(now)) continue;
    dnskeys.push_back(k.dnskey);
    if (!signs_keys(k) || !k.timing.active(now)) continue;
    cdnskeys.push_back(k.dnskey);
    if (auto ds = dnssec::ds_rdata(origin_, k.dnskey, 2)) cds.push_back(std::move(*ds));
  }
  if (policy_.deletes_ds(now) && !gone) {
    cdnskeys = {kDeleteCdnskey};
    cds = {kDeleteCds};
  }
  const uint32_t key_ttl = dnskey_ttl(v);
  put(rt::DNSKEY, std::move(dnskeys), key_ttl);
  put(rt::CDNSKEY, std::move(cdnskeys), key_ttl);
  put(rt::CDS, std::move(cds), key_ttl);
  std::vector<dns::RdataBytes> param;
  const bool nsec3 = uses_nsec3(v);
  if (nsec3 && !gone) param.push_back(dnssec::nsec3param_rdata(dnssec::Nsec3Settings{}));
  put(rt::NSEC3PARAM, std::move(param), 0);
  if (!all || gone) return d;
  // A chain of the other kind, or NSEC3 of other parameters, goes whole.
  const auto wanted_param = dnssec::nsec3param_rdata(dnssec::Nsec3Settings{});
  for (size_t i = 0; i < v.node_count(); ++i) {
    const zone::Node& n = v.node(i);
    const uint16_t stale = nsec3 ? rt::NSEC : rt::NSEC3;
    zone::RRsetView chain = n.find(rt::NSEC3);
    const bool other_params = nsec3 && chain &&
                              !std::equal(wanted_param.begin() + 2, wanted_param.end(), chain.first().begin() + 2);
    const uint16_t drop = other_params ? rt::NSEC3 : stale;
    zone::RRsetView set = n.find(drop);
    if (!set) continue;
    const dns::Name owner = n.owner_name();
    for (auto& rd : rdatas_of(set)) d.removed.push_back({owner, drop, v.rclass(), set.ttl(), std::move(rd)});
    for (auto& rd : rdatas_of(n.find_signatures(drop)))
      d.removed.push_back({owner, rt::RRSIG, v.rclass(), n.find_signatures(drop).ttl(), std::move(rd)});
  }
  return d;
}

// ---------------------------------------------------------------- sign

namespace {

void append(zone::ZoneDiff& to, zone::ZoneDiff&& from) {
  std::move(from.removed.begin(), from.removed.end(), std::back_inserter(to.removed));
  std::move(from.added.begin(), from.added.end(), std::back_inserter(to.added));
}

// The scope's names, each once, with the subtrees of cuts and DNAMEs that
// came or went (their names change between signed and occluded).
std::vector<dns::Name> scope_names(const zone::ZoneVersion& v, const Scope& scope) {
  std::vector<dns::Name> names;
  std::unordered_set<std::string> seen;
  auto add = [&](const dns::Name& n) {
    if (seen.insert(key_of(n)).second) names.push_back(n);
  };
  if (scope.all) {
    for (size_t i = 0; i < v.node_count(); ++i) add(v.node(i).owner_name());
    return names;
  }
  for (const auto& n : scope.names) add(n);
  for (const auto& [owner, type] : scope.changed) {
    if (!(type == rt::NS || type == rt::DNAME) || owner == v.origin()) continue;
    for (size_t j = v.predecessor(owner); j < v.node_count(); ++j) {
      dns::Name below = v.node(j).owner_name();
      if (!below.is_subdomain_of(owner)) {
        if (j == v.predecessor(owner)) continue;
        break;
      }
      add(below);
    }
  }
  return names;
}

}  // namespace

// Going insecure's last step: the apex key RRsets and every RRSIG, NSEC
// and NSEC3 at the scope's names leave.
Result<std::shared_ptr<zone::ZoneVersion>> ZoneSigner::strip(std::shared_ptr<zone::ZoneVersion> v, const Scope& scope,
                                                             int64_t now, zone::ZoneDiff& diff) const {
  zone::ZoneDiff d = apex_changes(*v, false, now);
  auto drop = [&](const zone::Node& n) {
    const dns::Name owner = n.owner_name();
    auto c = n.rrsets();
    for (zone::RRsetView set; c.next(set);)
      if (is_chain_type(set.type()))
        for (auto& rd : rdatas_of(set)) d.removed.push_back({owner, set.type(), v->rclass(), set.ttl(), std::move(rd)});
  };
  if (scope.all) {
    for (size_t i = 0; i < v->node_count(); ++i) drop(v->node(i));
  } else {
    for (const auto& name : scope_names(*v, scope))
      if (const zone::Node* n = v->find(name)) drop(*n);
  }
  if (d.removed.empty() && d.added.empty()) return v;
  auto next = zone::ZoneVersion::apply_in_place(std::move(v), d);
  if (!next) return next.error();
  append(diff, std::move(d));
  return std::move(*next);
}

Result<std::shared_ptr<zone::ZoneVersion>> ZoneSigner::sign(std::shared_ptr<zone::ZoneVersion> v, Scope scope,
                                                            int64_t now, zone::ZoneDiff& diff) const {
  if (policy_.is_unsigned(now)) return strip(std::move(v), scope, now, diff);
  zone::ZoneDiff apex = apex_changes(*v, scope.all, now);
  if (!apex.removed.empty() || !apex.added.empty()) {
    for (const auto* list : {&apex.removed, &apex.added})
      for (const auto& r : *list) {
        scope.names.push_back(r.owner);
        scope.changed.emplace_back(r.owner, covered_type(r));
      }
    auto next = zone::ZoneVersion::apply_in_place(std::move(v), apex);
    if (!next) return next.error();
    v = std::move(*next);
    append(diff, std::move(apex));
  }
  Pass pass(*this, *v, now);
  for (const auto& [owner, type] : scope.changed) pass.changed.emplace(key_of(owner), type);
  const auto names = scope_names(*v, scope);
  std::vector<size_t> present;
  std::vector<dns::Name> absent, candidates;
  std::unordered_set<std::string> candidate_seen;
  for (const auto& name : names) {
    if (const zone::Node* n = v->find(name); n && !nsec3_only(*n)) {
      pass.node_sets(*n);
      present.push_back(v->predecessor(name));
    } else if (!n) {
      absent.push_back(name);
    }
    // RFC 5155 7.1: the empty non-terminals above a name come and go with it.
    for (dns::Name up = name; up.label_count() >= v->origin().label_count(); up = up.strip_left()) {
      if (!candidate_seen.insert(key_of(up)).second) break;
      candidates.push_back(up);
      if (up.label_count() == v->origin().label_count()) break;
    }
  }
  std::set<Hash> handled;
  if (uses_nsec3(*v)) {
    if (auto r = pass.nsec3_chain(candidates, scope.all, handled); !r) return r.error();
  } else {
    pass.nsec_chain(present, absent);
  }
  // Hashed owners in the scope whose NSEC3 stays: renew due RRSIGs.
  for (const auto& name : names)
    if (const zone::Node* n = v->find(name); n && nsec3_only(*n)) {
      auto h = dns::nsec3_label_hash(name.wire().subspan(1, name.wire()[0]));
      if (h && handled.count(*h)) continue;
      zone::RRsetView set = n->find(rt::NSEC3);
      pass.sign_set(n, dns::RRset{name, rt::NSEC3, v->rclass(), set.ttl(), rdatas_of(set)}, false);
    }
  pass.sign_jobs();
  if (!pass.all_signed()) return fail("zone " + origin_.to_text() + ": signing failed");
  if (pass.out.removed.empty() && pass.out.added.empty()) return v;
  auto next = zone::ZoneVersion::apply_in_place(std::move(v), pass.out);
  if (!next) return next.error();
  append(diff, std::move(pass.out));
  return std::move(*next);
}

Scope ZoneSigner::refresh_scope(const zone::ZoneVersion& v, int64_t now, int64_t& next_due) const {
  Scope scope;
  next_due = INT64_MAX;
  if (policy_.is_unsigned(now)) {
    for (size_t i = 0; i < v.node_count(); ++i) {
      const zone::Node& n = v.node(i);
      auto c = n.rrsets();
      bool dnssec = false;
      for (zone::RRsetView set; c.next(set) && !dnssec;) dnssec = is_dnssec_type(set.type());
      if (dnssec) scope.names.push_back(n.owner_name());
    }
    return scope;
  }
  for (auto at : {policy_.delete_cds_from, policy_.unsigned_from})
    if (at && *at > now) next_due = std::min(next_due, *at);
  const Signers by = signers(now);
  std::unordered_set<uint16_t> key_tags, data_tags;
  for (const ZoneKey* k : by.keys) key_tags.insert(k->tag);
  for (const ZoneKey* k : by.data) data_tags.insert(k->tag);
  for (const auto& k : keys_)
    for (auto at : {k.timing.publish, k.timing.activate, k.timing.inactive, k.timing.remove, k.timing.sign_from,
                    k.timing.sign_until})
      if (at && *at > now) next_due = std::min(next_due, *at);
  const zone::ZoneDiff apex = apex_changes(v, false, now);
  if (!apex.added.empty() || !apex.removed.empty()) scope.names.push_back(origin_);
  for (size_t i = 0; i < v.node_count(); ++i) {
    const zone::Node& n = v.node(i);
    auto c = n.rrsets();
    bool due = false;
    for (zone::RRsetView set; c.next(set) && !due;) {
      if (set.type() != rt::RRSIG) continue;
      auto rd = set.rdatas();
      size_t by_signers = 0, wanted = 0;
      for (std::span<const uint8_t> sig; rd.next(sig) && !due;) {
        auto f = dnssec::parse_rrsig(sig);
        const int64_t renew_at = f ? near(f->expiration, now) - policy_.refresh : now;
        const auto& tags = f && is_key_type(f->type_covered) ? key_tags : data_tags;
        wanted = tags.size();
        due = !f || !tags.count(f->key_tag) || renew_at <= now;
        if (!due) next_due = std::min(next_due, renew_at);
        ++by_signers;
      }
      // A key that started signing (an algorithm rollover's) has no RRSIG here yet.
      due = due || by_signers < wanted;
    }
    if (due) scope.names.push_back(n.owner_name());
  }
  return scope;
}

}  // namespace namae::signing
