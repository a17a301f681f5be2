#include "zone/node.h"

#include <algorithm>
#include <cassert>
#include <new>

namespace namae::zone {

namespace {
constexpr uint64_t kFnvOffset = 1469598103934665603ull;
constexpr uint64_t kFnvPrime = 1099511628211ull;

inline uint64_t hash_label(uint64_t h, const uint8_t* label_with_len) {
  uint8_t len = label_with_len[0];
  h = (h ^ len) * kFnvPrime;
  for (uint8_t i = 1; i <= len; ++i) h = (h ^ dns::ascii_lower(label_with_len[i])) * kFnvPrime;
  return h;
}

// Final mix so that the low bits (table position) depend on every octet.
inline uint64_t mix(uint64_t h) {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}
}  // namespace

uint64_t wire_hash(std::span<const uint8_t> wire) {
  uint8_t offs[dns::Name::kMaxLabels];
  size_t n = 0;
  for (size_t pos = 0; pos < wire.size() && wire[pos] != 0; pos += 1 + wire[pos]) offs[n++] = pos;
  uint64_t h = kFnvOffset;
  while (n > 0) h = hash_label(h, wire.data() + offs[--n]);
  return mix(h);
}

void suffix_hashes(const dns::Name& name, uint64_t* out) {
  size_t n = name.label_count();
  const uint8_t* w = name.wire().data();
  uint64_t h = kFnvOffset;
  out[n] = mix(h);
  for (size_t i = n; i-- > 0;) {
    h = hash_label(h, w + label_offset(name, i));
    out[i] = mix(h);
  }
}

bool wire_equal(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] != b[i] && dns::ascii_lower(a[i]) != dns::ascii_lower(b[i])) return false;
  return true;
}

int wire_canonical_compare(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  // Label start offsets, compared from the rightmost label leftwards.
  uint8_t la[128], lb[128];
  size_t na = 0, nb = 0;
  for (size_t pos = 0; pos < a.size() && a[pos] != 0; pos += 1 + a[pos]) la[na++] = pos;
  for (size_t pos = 0; pos < b.size() && b[pos] != 0; pos += 1 + b[pos]) lb[nb++] = pos;
  while (na > 0 && nb > 0) {
    const uint8_t* x = &a[la[--na]];
    const uint8_t* y = &b[lb[--nb]];
    size_t n = std::min(x[0], y[0]);
    for (size_t i = 1; i <= n; ++i) {
      uint8_t cx = dns::ascii_lower(x[i]), cy = dns::ascii_lower(y[i]);
      if (cx != cy) return cx < cy ? -1 : 1;
    }
    if (x[0] != y[0]) return x[0] < y[0] ? -1 : 1;
  }
  return na == nb ? 0 : (na < nb ? -1 : 1);
}

bool wire_is_subdomain(std::span<const uint8_t> child, std::span<const uint8_t> parent) {
  if (parent.size() > child.size()) return false;
  size_t off = child.size() - parent.size();
  size_t pos = 0;
  while (pos < off) pos += 1 + child[pos];
  if (pos != off) return false;
  return wire_equal(child.subspan(off), parent);
}

uint8_t wire_label_count(std::span<const uint8_t> wire) {
  uint8_t n = 0;
  for (size_t pos = 0; pos < wire.size() && wire[pos] != 0; pos += 1 + wire[pos]) ++n;
  return n;
}

void NodeRef::dec() {
  if (n_ && n_->refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    n_->~Node();
    ::operator delete(static_cast<void*>(n_));
  }
}

Node* Node::allocate(std::span<const uint8_t> owner, size_t rrset_bytes, uint16_t rrset_count) {
  size_t size = owner.size() + rrset_bytes;
  void* mem = ::operator new(sizeof(Node) + size);
  Node* n = new (mem) Node();
  n->owner_len_ = static_cast<uint8_t>(owner.size());
  n->labels_ = wire_label_count(owner);
  n->rrset_count_ = rrset_count;
  n->size_ = static_cast<uint32_t>(size);
  std::memcpy(n->data(), owner.data(), owner.size());
  return n;
}

dns::Name Node::owner_name() const {
  auto n = dns::Name::from_wire(owner());
  assert(n.ok());
  return n.ok() ? *n : dns::Name();
}

size_t Node::record_count() const {
  size_t total = 0;
  auto c = rrsets();
  RRsetView v;
  while (c.next(v)) total += v.count();
  return total;
}

std::vector<RRsetData> Node::to_data() const {
  std::vector<RRsetData> out;
  auto c = rrsets();
  RRsetView v;
  while (c.next(v)) {
    RRsetData d;
    d.type = v.type();
    d.ttl = v.ttl();
    auto rc = v.rdatas();
    std::span<const uint8_t> rd;
    while (rc.next(rd)) d.rdatas.emplace_back(rd.begin(), rd.end());
    out.push_back(std::move(d));
  }
  return out;
}

NodeWriter::NodeWriter(std::span<const uint8_t> owner, size_t rrset_bytes, uint16_t rrset_count)
    : node_(Node::allocate(owner, rrset_bytes, rrset_count)), p_(node_->data() + owner.size()) {}

void NodeWriter::begin_rrset(uint16_t type, uint32_t ttl, uint16_t count, uint32_t bytes) {
  std::memcpy(p_, &type, 2);
  std::memcpy(p_ + 2, &count, 2);
  std::memcpy(p_ + 4, &ttl, 4);
  std::memcpy(p_ + 8, &bytes, 4);
  p_ += RRsetView::kHeader;
}

void NodeWriter::add_rdata(std::span<const uint8_t> rdata) {
  uint16_t len = static_cast<uint16_t>(rdata.size());
  std::memcpy(p_, &len, 2);
  if (!rdata.empty()) std::memcpy(p_ + 2, rdata.data(), rdata.size());
  p_ += 2 + rdata.size();
}

NodeRef NodeWriter::finish() {
  assert(p_ == node_->data() + node_->size_);
  return NodeRef(std::exchange(node_, nullptr));
}

NodeRef Node::make(std::span<const uint8_t> owner, std::vector<RRsetData> rrsets) {
  size_t bytes = 0;
  for (const auto& s : rrsets) {
    bytes += RRsetView::kHeader;
    for (const auto& r : s.rdatas) bytes += 2 + r.size();
  }
  NodeWriter w(owner, bytes, static_cast<uint16_t>(rrsets.size()));
  for (const auto& s : rrsets) {
    uint32_t b = 0;
    for (const auto& r : s.rdatas) b += 2 + r.size();
    w.begin_rrset(s.type, s.ttl, static_cast<uint16_t>(s.rdatas.size()), b);
    for (const auto& r : s.rdatas) w.add_rdata(r);
  }
  return w.finish();
}

NodeRef Node::make_empty(std::span<const uint8_t> owner) {
  NodeWriter w(owner, 0, 0);
  return w.finish();
}

NodeRef Node::with_flags(uint16_t flags) const {
  void* mem = ::operator new(sizeof(Node) + size_);
  Node* n = new (mem) Node();
  n->flags_ = flags;
  n->owner_len_ = owner_len_;
  n->labels_ = labels_;
  n->rrset_count_ = rrset_count_;
  n->size_ = size_;
  std::memcpy(n->data(), data(), size_);
  return NodeRef(n);
}

}  // namespace namae::zone
