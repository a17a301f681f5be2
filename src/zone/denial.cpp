// The records of DNSSEC denial of existence in a ZoneVersion: the NSEC that
// matches or covers a name (RFC 4034 4, by the canonical order the nodes are
// kept in) and the NSEC3 that matches or covers a hash (RFC 5155 7.2, by a
// sorted index of the chain's owner hashes). Query path: no allocation.
#include <algorithm>
#include <cstring>
#include <optional>

#include "zone/zone.h"

namespace namae::zone {

using dns::Name;
namespace rrtype = dns::rrtype;

namespace {

// The hash an NSEC3 owner's first label spells, when `n` is one: a child
// of the apex owning NSEC3 records.
std::optional<dns::Nsec3Hash> owner_hash(const Node& n, size_t origin_labels) {
  if (n.label_count() != origin_labels + 1 || !n.find(rrtype::NSEC3)) return std::nullopt;
  auto owner = n.owner();
  return dns::nsec3_label_hash(owner.subspan(1, owner[0]));
}

}  // namespace

void ZoneVersion::nsec3_index_add(const Node& n) {
  auto h = owner_hash(n, origin_.label_count());
  if (!h) return;
  // Nodes arrive in canonical order when a version is built, which for
  // these owners is hash order: the insert is then an append.
  auto it = std::lower_bound(nsec3_.begin(), nsec3_.end(), *h);
  if (it == nsec3_.end() || *it != *h) nsec3_.insert(it, *h);
}

void ZoneVersion::nsec3_index_remove(const Node& n) {
  auto h = owner_hash(n, origin_.label_count());
  if (!h) return;
  auto it = std::lower_bound(nsec3_.begin(), nsec3_.end(), *h);
  if (it != nsec3_.end() && *it == *h) nsec3_.erase(it);
}

const Node* ZoneVersion::nsec3_node(const dns::Nsec3Hash& hash) const {
  const auto origin = origin_.wire();
  if (1 + dns::kNsec3LabelSize + origin.size() > Name::kMaxWire) return nullptr;
  uint8_t wire[Name::kMaxWire];
  wire[0] = dns::kNsec3LabelSize;
  std::array<char, dns::kNsec3LabelSize> label;
  dns::nsec3_label(hash, label);
  std::memcpy(wire + 1, label.data(), label.size());
  std::memcpy(wire + 1 + label.size(), origin.data(), origin.size());
  return find(std::span<const uint8_t>(wire, 1 + label.size() + origin.size()));
}

const Node* ZoneVersion::nsec3_match(const dns::Nsec3Hash& hash) const {
  if (!std::binary_search(nsec3_.begin(), nsec3_.end(), hash)) return nullptr;
  return nsec3_node(hash);
}

const Node* ZoneVersion::nsec3_cover(const dns::Nsec3Hash& hash) const {
  if (nsec3_.empty()) return nullptr;
  // The greatest owner hash below `hash`; below the first, the last owner's
  // NSEC3 covers it by wrapping around to the first.
  auto it = std::lower_bound(nsec3_.begin(), nsec3_.end(), hash);
  return nsec3_node(it == nsec3_.begin() ? nsec3_.back() : *(it - 1));
}

const Node* ZoneVersion::nsec_at_or_before(const Name& name) const {
  // Empty non-terminals and glue below a cut own no NSEC: step back over them.
  for (size_t i = predecessor(name) + 1; i-- > 0;) {
    const Node& n = *nodes_.at(i);
    if (n.find(rrtype::NSEC)) return &n;
  }
  return nullptr;
}

}  // namespace namae::zone
