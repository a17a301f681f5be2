#include "dnssec/signer.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>

#include "dns/rrtype.h"
#include "dnssec/rrsig.h"

namespace namae::dnssec {
namespace {

bool is_dnssec_type(uint16_t t) {
  return t == dns::rrtype::RRSIG || t == dns::rrtype::NSEC || t == dns::rrtype::NSEC3 ||
         t == dns::rrtype::NSEC3PARAM;
}

// The apex DNSKEY RRset: the zone's own DNSKEYs that are not ours (e.g. a
// key pre-published elsewhere) plus our published keys.
void put_dnskeys(ZoneModel& zone, std::span<const ZoneKey> keys, uint32_t ttl, int64_t now) {
  ZoneNode& apex = zone.apex();
  ZoneSet* set = apex.find(dns::rrtype::DNSKEY);
  if (!set) {
    apex.sets.push_back(ZoneSet{dns::rrtype::DNSKEY, ttl, {}, {}});
    set = &apex.sets.back();
  }
  set->ttl = ttl;
  for (const auto& k : keys)
    if (k.timing.published(now) && std::find(set->rdata.begin(), set->rdata.end(), k.dnskey) == set->rdata.end())
      set->rdata.push_back(k.dnskey);
  std::sort(set->rdata.begin(), set->rdata.end());
}

void sort_sets(ZoneNode& node) {
  std::sort(node.sets.begin(), node.sets.end(), [](const ZoneSet& a, const ZoneSet& b) { return a.type < b.type; });
}

void add_nsec_chain(ZoneModel& zone) {
  auto chain = nsec_chain(zone);
  const uint32_t ttl = zone.negative_ttl();
  for (size_t i = 0; i < zone.nodes.size(); ++i) {
    if (chain[i].empty()) continue;
    zone.nodes[i].sets.push_back(ZoneSet{dns::rrtype::NSEC, ttl, {std::move(chain[i])}, {}});
    sort_sets(zone.nodes[i]);
  }
}

// NSEC3 records live at hashed owner names, which may coincide with
// existing names (RFC 5155 Appendix A has one): merge, then keep the order.
Result<void> add_nsec3_chain(ZoneModel& zone, const Nsec3Settings& p) {
  zone.apex().sets.push_back(ZoneSet{dns::rrtype::NSEC3PARAM, 0, {nsec3param_rdata(p)}, {}});
  sort_sets(zone.apex());
  auto chain = nsec3_chain(zone, p);
  if (!chain) return chain.error();
  const uint32_t ttl = zone.negative_ttl();
  std::vector<ZoneNode> added;
  added.reserve(chain->size());
  for (auto& e : *chain) {
    auto owner = nsec3_owner(e.hash, zone.origin);
    if (!owner) return fail("the zone name is too long for NSEC3 owner names");
    added.push_back(ZoneNode{*owner, NodeKind::authoritative, {ZoneSet{dns::rrtype::NSEC3, ttl, {std::move(e.rdata)}, {}}}});
  }
  std::vector<ZoneNode> merged;
  merged.reserve(zone.nodes.size() + added.size());
  // Hashed owners are one label under the apex: compare by canonical order.
  std::sort(added.begin(), added.end(), [](const ZoneNode& a, const ZoneNode& b) { return a.owner < b.owner; });
  size_t j = 0;
  for (auto& node : zone.nodes) {
    while (j < added.size() && added[j].owner < node.owner) merged.push_back(std::move(added[j++]));
    if (j < added.size() && added[j].owner == node.owner) {
      node.sets.push_back(std::move(added[j++].sets.front()));
      sort_sets(node);
    }
    merged.push_back(std::move(node));
  }
  while (j < added.size()) merged.push_back(std::move(added[j++]));
  zone.nodes = std::move(merged);
  classify(zone);
  return {};
}

struct Signer {
  std::vector<const ZoneKey*> ksks, zsks;
  Validity base;
  uint32_t jitter = 0;

  // A spread of expirations keeps re-signing from happening all at once;
  // derived from the owner and type so a re-run gives the same times.
  Validity validity_for(const ZoneNode& node, uint16_t type) const {
    if (!jitter) return base;
    const uint32_t h = static_cast<uint32_t>(node.owner.hash() * 31 + type);
    return {base.inception, base.expiration - h % (jitter + 1)};
  }
};

Result<void> sign_one(const Signer& s, const ZoneModel& zone, ZoneNode& node, ZoneSet& set) {
  set.rrsigs.clear();
  const auto& keys = set.type == dns::rrtype::DNSKEY ? s.ksks : s.zsks;
  const dns::RRset rrset = node.rrset(set, zone.rclass);
  for (const ZoneKey* k : keys) {
    auto sig = sign_rrset(rrset, k->key, k->dnskey, zone.origin, s.validity_for(node, set.type));
    if (!sig) return fail(node.owner.to_text() + " " + dns::type_to_text(set.type) + ": " + sig.message());
    set.rrsigs.push_back(std::move(*sig));
  }
  return {};
}

}  // namespace

Result<void> sign_sets(ZoneModel& zone, std::span<const ZoneKey> keys, const SigningPolicy& policy, int64_t now) {
  Signer s;
  for (const auto& k : keys) {
    if (!k.timing.active(now) || !k.timing.published(now)) continue;
    (k.is_ksk() ? s.ksks : s.zsks).push_back(&k);
  }
  if (s.ksks.empty()) s.ksks = s.zsks;  // ZSKs alone sign the DNSKEY RRset too
  if (s.zsks.empty()) s.zsks = s.ksks;  // a CSK
  if (s.ksks.empty()) return fail("no active key for " + zone.origin.to_text());
  s.base = {static_cast<uint32_t>(now - policy.inception_offset), static_cast<uint32_t>(now + policy.validity)};
  s.jitter = std::min(policy.jitter, policy.validity / 2);

  std::vector<std::pair<ZoneNode*, ZoneSet*>> jobs;
  for (auto& node : zone.nodes)
    for (auto& set : node.sets) {
      if (is_signed_set(node, set.type))
        jobs.emplace_back(&node, &set);
      else
        set.rrsigs.clear();
    }
  unsigned threads = policy.threads ? policy.threads : std::max(1u, std::thread::hardware_concurrency());
  threads = std::min<unsigned>(threads, static_cast<unsigned>(jobs.size() / 256 + 1));
  std::atomic<size_t> next{0};
  std::mutex error_lock;
  std::optional<Error> error;
  auto work = [&] {
    constexpr size_t kChunk = 256;
    for (size_t begin; (begin = next.fetch_add(kChunk)) < jobs.size();) {
      for (size_t i = begin; i < std::min(begin + kChunk, jobs.size()); ++i) {
        if (auto r = sign_one(s, zone, *jobs[i].first, *jobs[i].second); !r) {
          std::lock_guard lock(error_lock);
          if (!error) error = r.error();
          next = jobs.size();
          return;
        }
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  if (error) return *error;
  return {};
}

Result<ZoneModel> sign_zone(std::vector<dns::Record> records, const dns::Name& origin,
                            std::span<const ZoneKey> keys, const SigningPolicy& policy, int64_t now) {
  std::erase_if(records, [](const dns::Record& r) { return is_dnssec_type(r.type); });
  auto zone = build_zone_model(std::move(records), origin);
  if (!zone) return zone.error();
  const ZoneSet* soa = zone->apex().find(dns::rrtype::SOA);
  put_dnskeys(*zone, keys, policy.dnskey_ttl ? policy.dnskey_ttl : soa->ttl, now);
  if (policy.nsec3) {
    if (auto r = add_nsec3_chain(*zone, policy.nsec3_params); !r) return r.error();
  } else {
    add_nsec_chain(*zone);
  }
  if (auto r = sign_sets(*zone, keys, policy, now); !r) return r.error();
  return zone;
}

}  // namespace namae::dnssec
