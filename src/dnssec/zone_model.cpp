#include "dnssec/zone_model.h"

#include <algorithm>
#include <numeric>
#include <optional>

#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "dnssec/rrsig.h"
#include "zonefile/writer.h"

namespace namae::dnssec {

ZoneSet* ZoneNode::find(uint16_t type) {
  for (auto& s : sets)
    if (s.type == type) return &s;
  return nullptr;
}

const ZoneSet* ZoneNode::find(uint16_t type) const { return const_cast<ZoneNode*>(this)->find(type); }

dns::RRset ZoneNode::rrset(const ZoneSet& set, uint16_t rclass) const {
  return dns::RRset{owner, set.type, rclass, set.ttl, set.rdata};
}

uint32_t ZoneModel::negative_ttl() const {
  const ZoneSet* soa = apex().find(dns::rrtype::SOA);
  if (!soa || soa->rdata.empty() || soa->rdata[0].size() < 4) return 0;
  const auto& r = soa->rdata[0];
  const uint32_t minimum = dns::get_u32(&r[r.size() - 4]);
  return std::min(minimum, soa->ttl);
}

size_t ZoneModel::record_count() const {
  size_t n = 0;
  for (const auto& node : nodes)
    for (const auto& s : node.sets) n += s.rdata.size() + s.rrsigs.size();
  return n;
}

namespace {

struct Keyed {
  std::string key;  // Name::lookup_key(): bytewise order is canonical order
  uint32_t index;
};

// The type an RRSIG covers, or the record's own type.
uint16_t set_type(const dns::Record& r, bool& is_sig) {
  is_sig = r.type == dns::rrtype::RRSIG && r.rdata.size() >= 2;
  return is_sig ? dns::get_u16(r.rdata.data()) : r.type;
}

void add_to_node(ZoneNode& node, dns::Record& r) {
  bool is_sig = false;
  const uint16_t type = set_type(r, is_sig);
  ZoneSet* set = node.find(type);
  if (!set) {
    node.sets.push_back(ZoneSet{type, r.ttl, {}, {}});
    set = &node.sets.back();
    if (!is_sig) set->ttl = r.ttl;
  }
  if (is_sig) {
    set->rrsigs.push_back(std::move(r.rdata));
    return;
  }
  // A placeholder made by an RRSIG seen first takes the RRset's own TTL.
  set->ttl = set->rdata.empty() ? r.ttl : std::min(set->ttl, r.ttl);
  set->rdata.push_back(dns::rdata::canonical(r.type, r.rdata));
}

void normalize(ZoneNode& node) {
  std::sort(node.sets.begin(), node.sets.end(), [](const ZoneSet& a, const ZoneSet& b) { return a.type < b.type; });
  for (auto& s : node.sets) {
    std::sort(s.rdata.begin(), s.rdata.end());
    s.rdata.erase(std::unique(s.rdata.begin(), s.rdata.end()), s.rdata.end());
  }
}

}  // namespace

Result<ZoneModel> build_zone_model(std::vector<dns::Record> records, const dns::Name& origin) {
  std::vector<Keyed> order(records.size());
  for (uint32_t i = 0; i < records.size(); ++i) {
    if (!records[i].owner.is_subdomain_of(origin))
      return fail(records[i].owner.to_text() + " is outside the zone " + origin.to_text());
    order[i] = {records[i].owner.lookup_key(), i};
  }
  std::stable_sort(order.begin(), order.end(), [](const Keyed& a, const Keyed& b) { return a.key < b.key; });
  ZoneModel zone;
  zone.origin = origin;
  if (!records.empty()) zone.rclass = records[0].rclass;
  const std::string* last_key = nullptr;
  for (const auto& k : order) {
    dns::Record& r = records[k.index];
    if (r.rclass != zone.rclass) return fail(r.owner.to_text() + ": a record of another class");
    if (!last_key || *last_key != k.key) zone.nodes.push_back(ZoneNode{r.owner, NodeKind::authoritative, {}});
    last_key = &k.key;
    add_to_node(zone.nodes.back(), r);
  }
  records.clear();
  records.shrink_to_fit();
  if (zone.nodes.empty() || !(zone.nodes[0].owner == origin) || !zone.nodes[0].has(dns::rrtype::SOA))
    return fail("the zone has no SOA record at " + origin.to_text());
  for (auto& n : zone.nodes) normalize(n);
  classify(zone);
  return zone;
}

void classify(ZoneModel& zone) {
  // Canonical order puts every name right after its ancestors, so one
  // "innermost cut so far" is enough to know what lies below a cut.
  std::optional<dns::Name> cut;
  for (auto& node : zone.nodes) {
    if (node.owner == zone.origin) {
      node.kind = NodeKind::apex;
      if (node.has(dns::rrtype::DNAME)) cut = node.owner;
      continue;
    }
    if (cut && node.owner.is_subdomain_of(*cut)) {
      node.kind = NodeKind::occluded;
      continue;
    }
    cut.reset();
    if (node.has(dns::rrtype::NS)) {
      node.kind = NodeKind::delegation;
      cut = node.owner;
    } else {
      node.kind = NodeKind::authoritative;
      if (node.has(dns::rrtype::DNAME)) cut = node.owner;
    }
  }
}

bool is_signed_set(const ZoneNode& node, uint16_t type) {
  switch (node.kind) {
    case NodeKind::apex:
    case NodeKind::authoritative:
      return type != dns::rrtype::RRSIG;
    case NodeKind::delegation:
      return type == dns::rrtype::DS || type == dns::rrtype::NSEC || type == dns::rrtype::NSEC3;
    case NodeKind::occluded:
      return type == dns::rrtype::NSEC3;  // a hashed owner that happens to sit below a cut
  }
  return false;
}

bool write_zone(std::FILE* out, const ZoneModel& zone) {
  std::string line;
  for (const auto& node : zone.nodes) {
    const std::string owner = node.owner.to_text();
    for (const auto& s : node.sets) {
      for (const auto& r : s.rdata) {
        line = zonefile::format_record(owner, s.ttl, zone.rclass, s.type, r);
        line += '\n';
        if (std::fputs(line.c_str(), out) < 0) return false;
      }
      for (const auto& r : s.rrsigs) {
        line = zonefile::format_record(owner, s.ttl, zone.rclass, dns::rrtype::RRSIG, r);
        line += '\n';
        if (std::fputs(line.c_str(), out) < 0) return false;
      }
    }
  }
  return std::fflush(out) == 0;
}

}  // namespace namae::dnssec
