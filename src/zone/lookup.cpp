// Finding a name in a ZoneVersion: the open-addressing hash index over owner
// names (built whole, or patched one node at a time by diff application),
// exact lookup, the closest encloser, the wildcard that may synthesise an
// answer (RFC 4592), the cut or DNAME above a name (RFC 1034 4.3.2 steps
// 3a-3c, RFC 6672) and the canonical predecessor. This is the query path:
// nothing here allocates.
#include <algorithm>
#include <cassert>
#include <cstring>
#include <vector>

#include "zone/zone.h"

namespace namae::zone {

using dns::Name;

void ZoneVersion::build_index(size_t min_nodes) {
  size_t want = 8;
  while (want < std::max(nodes_.size(), min_nodes) * 2) want <<= 1;
  index_.assign(want, 0);
  mask_ = want - 1;
  // Hash every owner first (a sequential walk over the nodes), then insert
  // with the slot a few nodes ahead prefetched: the table is far larger than
  // the cache and each insert would otherwise wait for one miss.
  std::vector<uint64_t> hashes;
  std::vector<const Node*> ptrs;
  hashes.reserve(nodes_.size());
  ptrs.reserve(nodes_.size());
  nodes_.for_each([&](const NodeRef& n) {
    hashes.push_back(wire_hash(n->owner()));
    ptrs.push_back(n.get());
  });
  constexpr size_t kAhead = 16;
  for (size_t i = 0; i < ptrs.size(); ++i) {
    if (i + kAhead < ptrs.size()) __builtin_prefetch(&index_[hashes[i + kAhead] & mask_], 1);
    const uint64_t h = hashes[i];
    auto addr = reinterpret_cast<uintptr_t>(ptrs[i]);
    assert((addr & ~kPtrMask) == 0);
    size_t pos = h & mask_;
    while (index_[pos] != 0) pos = (pos + 1) & mask_;
    index_[pos] = (h >> 48) << 48 | addr;
  }
}

void ZoneVersion::index_insert(const Node* n) {
  const uint64_t h = wire_hash(n->owner());
  size_t pos = h & mask_;
  while (index_[pos] != 0) pos = (pos + 1) & mask_;
  index_[pos] = (h >> 48) << 48 | reinterpret_cast<uintptr_t>(n);
}

void ZoneVersion::index_erase(const Node* n) {
  const uint64_t h = wire_hash(n->owner());
  const auto addr = reinterpret_cast<uintptr_t>(n);
  size_t pos = h & mask_;
  while ((index_[pos] & kPtrMask) != addr) {
    assert(index_[pos] != 0);
    pos = (pos + 1) & mask_;
  }
  // Backward-shift deletion (linear probing has no tombstones): move later
  // entries of the probe run into the hole when their home slot allows it.
  size_t hole = pos;
  for (size_t j = (hole + 1) & mask_; index_[j] != 0; j = (j + 1) & mask_) {
    const Node* m = reinterpret_cast<const Node*>(static_cast<uintptr_t>(index_[j] & kPtrMask));
    size_t home = wire_hash(m->owner()) & mask_;
    // The entry at j may fill the hole if its home is not in (hole, j] (cyclically).
    bool between = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
    if (!between) {
      index_[hole] = index_[j];
      hole = j;
    }
  }
  index_[hole] = 0;
}

const Node* ZoneVersion::find(std::span<const uint8_t> wire, uint64_t hash) const {
  const uint64_t tag = (hash >> 48) << 48;
  for (size_t pos = hash & mask_;; pos = (pos + 1) & mask_) {
    Slot s = index_[pos];
    if (s == 0) return nullptr;
    if ((s & ~kPtrMask) == tag) {
      const Node* n = reinterpret_cast<const Node*>(static_cast<uintptr_t>(s & kPtrMask));
      if (wire_equal(n->owner(), wire)) return n;
    }
  }
}

const Node* ZoneVersion::find_hashed(const Name& name, size_t strip, uint64_t hash) const {
  return find(name.wire().subspan(label_offset(name, strip)), hash);
}

const Node* ZoneVersion::highest_cut(const Name& qname, const uint64_t* hashes) const {
  size_t depth = qname.label_count() - origin_.label_count();
  for (size_t strip = depth; strip >= 1; --strip) {
    const Node* n = find_hashed(qname, strip, hashes[strip]);
    if (n && n->has(node_flag::delegation | node_flag::dname)) return n;
  }
  return nullptr;
}

LookupResult ZoneVersion::lookup(const Name& qname) const {
  uint64_t hashes[Name::kMaxLabels + 1];
  suffix_hashes(qname, hashes);
  LookupResult r;
  auto cut = [&](const Node* c) {
    r.node = c;
    r.kind = (c && c->has(node_flag::delegation)) ? LookupResult::Kind::delegation
                                                  : LookupResult::Kind::dname;
    return r;
  };

  const Node* n = find_hashed(qname, 0, hashes[0]);
  if (n) {
    if (n->has(node_flag::occluded)) return cut(highest_cut(qname, hashes));
    if (n->has(node_flag::delegation)) {
      r.at_cut = true;
      return cut(n);
    }
    r.kind = LookupResult::Kind::exact;
    r.node = n;
    return r;
  }
  size_t depth = qname.label_count() - origin_.label_count();
  for (size_t strip = 1; strip <= depth && !n; ++strip)
    n = find_hashed(qname, strip, hashes[strip]);
  if (!n) n = &apex();  // qname outside the zone: callers must not do this
  if (n->has(node_flag::occluded)) return cut(highest_cut(qname, hashes));
  if (n->has(node_flag::delegation | node_flag::dname)) return cut(n);
  r.kind = LookupResult::Kind::nxdomain;
  r.node = n;
  if (n->has(node_flag::wildcard_child)) r.wildcard = find_wildcard_child(n->owner());
  return r;
}

const Node* ZoneVersion::find_wildcard_child(std::span<const uint8_t> owner) const {
  if (owner.size() + 2 > Name::kMaxWire) return nullptr;  // "*." would not fit
  uint8_t buf[Name::kMaxWire];
  buf[0] = 1;
  buf[1] = '*';
  std::memcpy(buf + 2, owner.data(), owner.size());
  return find(std::span<const uint8_t>(buf, owner.size() + 2));
}

size_t ZoneVersion::predecessor(const Name& name) const {
  // The apex sorts before every name of the zone, so the answer is >= 0.
  size_t i = nodes_.lower_bound(name.wire());
  if (i < nodes_.size() && wire_equal(nodes_.at(i)->owner(), name.wire())) return i;
  return i == 0 ? 0 : i - 1;
}

}  // namespace namae::zone
