// One ZoneVersion as a whole: made from its nodes (the empty non-terminals
// and every node's flags derived in one canonical-order pass), its SOA facts,
// its records and its memory. Finding names is zone/lookup.cpp's, changing a
// version zone/apply.cpp's, building one from records zone/builder.cpp's.
#include "zone/zone.h"

#include <algorithm>
#include <cassert>

#include "dns/wire.h"
#include "zone/node_rules.h"

namespace namae::zone {

using dns::Name;
namespace rrtype = dns::rrtype;

uint32_t rrset_key(uint16_t type, std::span<const uint8_t> rdata) {
  if (type != rrtype::RRSIG || rdata.size() < 2) return type;
  return uint32_t{type} << 16 | dns::get_u16(rdata.data());
}

namespace {

// Offset of label `k` (0 = leftmost) in an uncompressed wire name.
size_t wire_label_offset(std::span<const uint8_t> wire, size_t k) {
  size_t pos = 0;
  while (k-- > 0) pos += 1 + wire[pos];
  return pos;
}

bool first_label_is_star(std::span<const uint8_t> wire) {
  return wire.size() >= 2 && wire[0] == 1 && wire[1] == '*';
}

// `in` without the empty non-terminals that have no descendants left, and
// with one node per name (the later of two). `in` is sorted canonically with
// the apex first.
std::vector<NodeRef> live_nodes(std::vector<NodeRef> in) {
  std::vector<NodeRef> kept;
  kept.reserve(in.size());
  const Node* next = nullptr;
  for (size_t i = in.size(); i-- > 0;) {
    if (i != 0 && in[i]->empty() && !(next && wire_is_subdomain(next->owner(), in[i]->owner())))
      continue;
    if (next && wire_equal(next->owner(), in[i]->owner())) continue;  // duplicate: keep the later
    next = in[i].get();
    kept.push_back(std::move(in[i]));
  }
  std::reverse(kept.begin(), kept.end());
  return kept;
}

// Drop empty non-terminals that no longer have descendants, add the ones that
// are missing, and derive every node's flags. `in` is sorted canonically with
// the apex first. Nodes shared with another version are copied only if their
// flags change.
std::vector<NodeRef> finalize(std::vector<NodeRef> in) {
  std::vector<NodeRef> kept = live_nodes(std::move(in));
  std::vector<NodeRef> out;
  out.reserve(kept.size() + kept.size() / 16 + 1);
  std::vector<uint16_t> flags;
  flags.reserve(out.capacity());
  std::vector<size_t> stack;

  auto push_child = [&](NodeRef n, size_t parent) {
    uint16_t f = content_flags(*n, false);
    if (flags[parent] & (node_flag::occluded | node_flag::delegation | node_flag::dname))
      f |= node_flag::occluded;
    if (first_label_is_star(n->owner())) flags[parent] |= node_flag::wildcard_child;
    out.push_back(std::move(n));
    flags.push_back(f);
    stack.push_back(out.size() - 1);
  };

  for (size_t i = 0; i < kept.size(); ++i) {
    if (i == 0) {
      flags.push_back(content_flags(*kept[0], true));
      out.push_back(std::move(kept[0]));
      stack.push_back(0);
      continue;
    }
    auto owner = kept[i]->owner();
    while (stack.size() > 1 && !wire_is_subdomain(owner, out[stack.back()]->owner()))
      stack.pop_back();
    size_t parent = stack.back();
    size_t pl = out[parent]->label_count(), nl = kept[i]->label_count();
    for (size_t l = pl + 1; l < nl; ++l) {
      push_child(Node::make_empty(owner.subspan(wire_label_offset(owner, nl - l))), parent);
      parent = stack.back();
    }
    push_child(std::move(kept[i]), parent);
  }
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i]->flags() == flags[i]) continue;
    if (out[i].unique())
      out[i].set_flags_unique(flags[i]);
    else
      out[i] = out[i]->with_flags(flags[i]);
  }
  return out;
}

// SOA rdata: MNAME RNAME SERIAL REFRESH RETRY EXPIRE MINIMUM.
bool soa_fields(std::span<const uint8_t> rd, uint32_t& serial, uint32_t& minimum) {
  size_t pos = 0;
  for (int n = 0; n < 2; ++n) {
    while (pos < rd.size() && rd[pos] != 0) pos += 1 + rd[pos];
    ++pos;
  }
  if (pos + 20 != rd.size()) return false;
  serial = dns::get_u32(&rd[pos]);
  minimum = dns::get_u32(&rd[pos + 16]);
  return true;
}

}  // namespace

ZoneVersion::ZoneVersion(const Name& origin, uint16_t rclass, std::vector<NodeRef> nodes)
    : origin_(origin), rclass_(rclass) {
  nodes = finalize(std::move(nodes));
  assert(!nodes.empty());
  for (const auto& n : nodes) {
    record_count_ += n->record_count();
    nsec3_index_add(*n);
  }
  nodes_ = NodeSeq(std::move(nodes));
  apex_ = nodes_.at(0).get();
  read_soa();
  build_index();
}

void ZoneVersion::read_soa() {
  RRsetView s = soa();
  uint32_t minimum = 0;
  if (s && soa_fields(s.first(), serial_, minimum)) negative_ttl_ = std::min(s.ttl(), minimum);
  signed_ = static_cast<bool>(apex().find(rrtype::DNSKEY));
  // RFC 5155 4: NSEC3PARAM tells the authoritative server which NSEC3
  // chain to answer from (its flags field is 0 in the record).
  has_nsec3_ = false;
  if (RRsetView p = apex().find(rrtype::NSEC3PARAM)) {
    if (auto params = dns::Nsec3Params::from_rdata(p.first());
        params && params->algorithm == dns::kNsec3Sha1) {
      nsec3_params_ = *params;
      has_nsec3_ = true;
    }
  }
}

std::vector<dns::Record> ZoneVersion::records() const {
  std::vector<dns::Record> out;
  out.reserve(record_count_);
  nodes_.for_each([&](const NodeRef& n) {
    if (n->empty()) return;
    Name owner = n->owner_name();
    auto c = n->rrsets();
    RRsetView v;
    while (c.next(v)) {
      auto rc = v.rdatas();
      std::span<const uint8_t> rd;
      while (rc.next(rd))
        out.push_back({owner, v.type(), rclass_, v.ttl(), {rd.begin(), rd.end()}});
    }
  });
  return out;
}

size_t ZoneVersion::memory_usage() const {
  size_t total = sizeof(*this) + nodes_.overhead() + index_.capacity() * sizeof(Slot) +
                 nsec3_.capacity() * sizeof(dns::Nsec3Hash);
  nodes_.for_each([&](const NodeRef& n) {
    total += sizeof(Node) + n->owner().size();
    auto c = n->rrsets();
    RRsetView v;
    while (c.next(v)) total += v.stored_size();
  });
  return total;
}

}  // namespace namae::zone
