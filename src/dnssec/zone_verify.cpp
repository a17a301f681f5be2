#include "dnssec/zone_verify.h"

#include <algorithm>
#include <map>
#include <set>

#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "dns/text.h"
#include "dnssec/algorithm.h"
#include "dnssec/chain.h"
#include "dnssec/crypto.h"
#include "dnssec/dnskey.h"
#include "dnssec/rrsig.h"

namespace namae::dnssec {
namespace {

struct ApexKey {
  dns::RdataBytes rdata;
  DnskeyFields fields;
  std::optional<PublicKey> key;
};

std::string where(const ZoneNode& node, uint16_t type) {
  return node.owner.to_text() + " " + dns::type_to_text(type) + ": ";
}

class Verifier {
 public:
  Verifier(ZoneModel& zone, std::optional<int64_t> now, ZoneCheck& out) : zone_(zone), out_(out) {
    if (now) now_ = static_cast<uint32_t>(*now);
  }

  void run() {
    load_keys();
    for (const auto& node : zone_.nodes)
      for (const auto& set : node.sets) check_set(node, set);
    const ZoneSet* param = zone_.apex().find(dns::rrtype::NSEC3PARAM);
    if (param && !param->rdata.empty()) {
      out_.nsec3 = true;
      check_nsec3(param->rdata[0]);
    } else {
      check_nsec();
    }
  }

 private:
  void problem(std::string p) { out_.problems.push_back(std::move(p)); }

  void load_keys() {
    const ZoneSet* set = zone_.apex().find(dns::rrtype::DNSKEY);
    if (!set || set->rdata.empty()) return problem(zone_.origin.to_text() + " DNSKEY: no DNSKEY RRset at the apex");
    for (const auto& r : set->rdata) {
      auto f = parse_dnskey(r);
      if (!f || !(f->flags & kFlagZone)) continue;
      ApexKey k{r, *f, std::nullopt};
      if (auto pk = PublicKey::from_dnskey(f->algorithm, f->key))
        k.key = std::move(*pk);
      else if (can_verify(f->algorithm))
        problem(where(zone_.apex(), dns::rrtype::DNSKEY) + "key " + std::to_string(key_tag(r)) + ": " + pk.message());
      algorithms_.insert(f->algorithm);
      keys_.push_back(std::move(k));
    }
  }

  // The algorithms whose valid signatures cover the set.
  std::set<uint8_t> check_signatures(const ZoneNode& node, const ZoneSet& set, bool& by_sep) {
    std::set<uint8_t> good;
    const dns::RRset rrset = node.rrset(set, zone_.rclass);
    for (const auto& sig : set.rrsigs) {
      auto f = parse_rrsig(sig);
      if (!f) {
        problem(where(node, set.type) + "malformed RRSIG");
        continue;
      }
      // An RRSIG by a key the DNSKEY RRset does not hold is no fault, as for
      // dnssec-verify and ldns-verify-zone: an algorithm rollover (RFC 6781
      // 4.1.4) signs before it publishes and after it removes a key. The
      // algorithms of the keys it does hold must still sign the set.
      const bool named = std::any_of(keys_.begin(), keys_.end(), [&](const ApexKey& k) {
        return key_tag(k.rdata) == f->key_tag && k.fields.algorithm == f->algorithm;
      });
      if (!named) continue;
      std::string why;
      bool ok = false;
      for (const auto& k : keys_) {
        if (key_tag(k.rdata) != f->key_tag || k.fields.algorithm != f->algorithm) continue;
        if (!k.key) {
          why = "algorithm " + std::to_string(f->algorithm) + " cannot be verified here";
          continue;
        }
        if (!(f->signer == zone_.origin)) {
          why = "the signer " + f->signer.to_text() + " is not the zone";
          break;
        }
        auto r = verify_rrsig(rrset, *f, k.rdata, *k.key, now_);
        if (r) {
          ok = true;
          by_sep |= (k.fields.flags & kFlagSep) != 0;
          break;
        }
        why = r.message();
      }
      if (ok) {
        ++out_.signatures;
        good.insert(f->algorithm);
      } else {
        problem(where(node, set.type) + "RRSIG by key " + std::to_string(f->key_tag) + ": " + why);
      }
    }
    return good;
  }

  void check_set(const ZoneNode& node, const ZoneSet& set) {
    if (set.rdata.empty()) return problem(where(node, set.type) + "RRSIG without the RRset it covers");
    if (!is_signed_set(node, set.type)) {
      if (!set.rrsigs.empty()) problem(where(node, set.type) + "signed, but not authoritative data");
      return;
    }
    bool by_sep = false;
    const auto good = check_signatures(node, set, by_sep);
    for (uint8_t a : algorithms_)
      if (!good.count(a))
        problem(where(node, set.type) + "no valid signature of algorithm " + dns::rdata::algorithm_to_text(a));
    if (set.type == dns::rrtype::DNSKEY && node.kind == NodeKind::apex && !good.empty() && !by_sep &&
        std::any_of(keys_.begin(), keys_.end(), [](const ApexKey& k) { return k.fields.flags & kFlagSep; }))
      problem(where(node, set.type) + "not signed by a key-signing (SEP) key");
  }

  void check_nsec() {
    const auto expected = nsec_chain(zone_);
    bool any = false;
    for (size_t i = 0; i < zone_.nodes.size(); ++i) {
      const ZoneNode& node = zone_.nodes[i];
      const ZoneSet* nsec = node.find(dns::rrtype::NSEC);
      any |= nsec != nullptr;
      if (expected[i].empty()) {
        if (nsec) problem(where(node, dns::rrtype::NSEC) + "an NSEC at an occluded name");
        continue;
      }
      if (!nsec || nsec->rdata.empty()) {
        problem(where(node, dns::rrtype::NSEC) + "missing: the NSEC chain is broken here");
        continue;
      }
      if (nsec->rdata.size() > 1) problem(where(node, dns::rrtype::NSEC) + "more than one NSEC");
      if (nsec->rdata[0] != expected[i])
        problem(where(node, dns::rrtype::NSEC) + "is '" + dns::rdata::to_text(dns::rrtype::NSEC, nsec->rdata[0]) +
                "', expected '" + dns::rdata::to_text(dns::rrtype::NSEC, expected[i]) + "'");
    }
    if (!any) problem(zone_.origin.to_text() + ": no NSEC or NSEC3 chain");
  }

  void check_nsec3(const dns::RdataBytes& param) {
    auto p = parse_nsec3param(param);
    if (!p) return problem(where(zone_.apex(), dns::rrtype::NSEC3PARAM) + p.message());
    // What the zone holds, by hashed owner.
    std::map<std::string, std::pair<const ZoneNode*, const dns::RdataBytes*>> present;
    for (const auto& node : zone_.nodes)
      if (const ZoneSet* s = node.find(dns::rrtype::NSEC3))
        for (const auto& r : s->rdata) {
          if (r.size() > 1 && (r[1] & 1)) p->opt_out = true;
          present[node.owner.lower().to_text()] = {&node, &r};
        }
    auto chain = nsec3_chain(zone_, *p);
    if (!chain) return problem(zone_.origin.to_text() + ": " + chain.message());
    // With opt-out, insecure delegations may or may not have NSEC3 records:
    // the chain is then the one made of the present owners.
    std::map<std::string, const Nsec3Entry*> required;
    for (const auto& e : *chain) required[nsec3_owner(e.hash, zone_.origin)->lower().to_text()] = &e;
    for (const auto& [owner, e] : required)
      if (!present.count(owner)) problem(e->original.to_text() + " NSEC3: missing (hashed owner " + owner + ")");
    check_nsec3_ring(*p, present, required);
  }

  void check_nsec3_ring(const Nsec3Settings& p,
                        const std::map<std::string, std::pair<const ZoneNode*, const dns::RdataBytes*>>& present,
                        const std::map<std::string, const Nsec3Entry*>& required) {
    std::vector<std::pair<dns::Nsec3Hash, std::string>> ring;
    for (const auto& [owner, at] : present) {
      auto hash = dns::nsec3_label_hash(at.first->owner.label(0));
      if (!hash || !(at.first->owner.strip_left(1) == zone_.origin)) {
        problem(owner + " NSEC3: the owner is not a hashed name of the zone");
        continue;
      }
      const dns::Nsec3Hash d = *hash;
      ring.emplace_back(d, owner);
    }
    std::sort(ring.begin(), ring.end());
    for (size_t i = 0; i < ring.size(); ++i) {
      const dns::RdataBytes* rdata = present.at(ring[i].second).second;
      auto want = required.find(ring[i].second);
      std::vector<uint16_t> types;
      if (want != required.end()) {
        types = want->second->types;
      } else if (!p.opt_out) {
        problem(ring[i].second + " NSEC3: matches no name of the zone");
        continue;
      } else {
        types = {dns::rrtype::NS};  // an opted-out insecure delegation that was kept
      }
      const auto expected = nsec3_rdata(p, ring[(i + 1) % ring.size()].first, types);
      if (*rdata != expected && !(p.opt_out && want == required.end()))
        problem(ring[i].second + " NSEC3: is '" + dns::rdata::to_text(dns::rrtype::NSEC3, *rdata) + "', expected '" +
                dns::rdata::to_text(dns::rrtype::NSEC3, expected) + "'" +
                (want != required.end() ? " (for " + want->second->original.to_text() + ")" : ""));
    }
  }

  ZoneModel& zone_;
  ZoneCheck& out_;
  std::optional<uint32_t> now_;
  std::vector<ApexKey> keys_;
  std::set<uint8_t> algorithms_;
};

}  // namespace

ZoneCheck verify_zone(std::vector<dns::Record> records, const dns::Name& origin, std::optional<int64_t> now) {
  ZoneCheck out;
  auto zone = build_zone_model(std::move(records), origin);
  if (!zone) {
    out.problems.push_back(zone.message());
    return out;
  }
  Verifier(*zone, now, out).run();
  return out;
}

}  // namespace namae::dnssec
