// Node: one owner name of a zone and all its RRsets, packed into a single
// immutable heap block shared between zone versions by an intrusive count.
//
// Layout (host byte order, read with memcpy):
//   Node header (16 octets) | owner wire | RRset* in first-seen order
//   RRset: type u16 | count u16 | ttl u32 | bytes u32 | (rdlen u16 | rdata)*
// One allocation per name keeps a 1M-record zone near 60 octets per simple
// record, and lets the next version share every node an update did not touch.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <utility>
#include <vector>

#include "dns/name.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"

namespace namae::zone {

/// Per-node facts computed when a version is built, so lookups need no walk.
namespace node_flag {
inline constexpr uint16_t apex = 1;        // the zone's origin
inline constexpr uint16_t delegation = 2;  // NS below the apex: a zone cut
inline constexpr uint16_t dname = 4;       // owns a DNAME (names below are redirected)
inline constexpr uint16_t occluded = 8;    // below a cut or a DNAME: not authoritative data
inline constexpr uint16_t wildcard_child =
    16;  // "*.<this name>" exists (RFC 4592 source of synthesis)
}  // namespace node_flag

/// Read-only view of one RRset inside a node.
class RRsetView {
 public:
  RRsetView() = default;
  explicit RRsetView(const uint8_t* p) : p_(p) {}

  bool valid() const { return p_ != nullptr; }
  explicit operator bool() const { return valid(); }
  uint16_t type() const { return load<uint16_t>(0); }
  uint16_t count() const { return load<uint16_t>(2); }
  uint32_t ttl() const { return load<uint32_t>(4); }
  /// Octets of the rdata area (length-prefixed rdatas).
  uint32_t bytes() const { return load<uint32_t>(8); }
  /// Octets this RRset occupies in its node, header included.
  size_t stored_size() const { return kHeader + bytes(); }
  bool operator==(const RRsetView& o) const { return p_ == o.p_; }

  /// Walks the rdatas (uncompressed wire) in stored order.
  class Cursor {
   public:
    Cursor(const uint8_t* p, const uint8_t* end) : p_(p), end_(end) {}
    bool next(std::span<const uint8_t>& rdata) {
      if (p_ >= end_) return false;
      uint16_t len;
      std::memcpy(&len, p_, 2);
      rdata = {p_ + 2, len};
      p_ += 2 + len;
      return true;
    }

   private:
    const uint8_t* p_;
    const uint8_t* end_;
  };
  Cursor rdatas() const { return Cursor(p_ + kHeader, p_ + kHeader + bytes()); }
  /// The first rdata (CNAME, DNAME and SOA RRsets hold exactly one).
  std::span<const uint8_t> first() const {
    uint16_t len;
    std::memcpy(&len, p_ + kHeader, 2);
    return {p_ + kHeader + 2, len};
  }

  static constexpr size_t kHeader = 12;

 private:
  template <class T>
  T load(size_t off) const {
    T v;
    std::memcpy(&v, p_ + off, sizeof v);
    return v;
  }
  const uint8_t* p_ = nullptr;
};

/// An RRset in mutable form, used where nodes are assembled or changed.
struct RRsetData {
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::vector<dns::RdataBytes> rdatas;
};

class NodeRef;

/// One owner name with its RRsets. Immutable once published in a version
/// (flags are set while the version is being built, before anyone reads it).
class Node {
 public:
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  /// Owner name in uncompressed wire form, in the zone file's letter case.
  std::span<const uint8_t> owner() const { return {data(), owner_len_}; }
  /// The owner as a Name (copies; for building messages).
  dns::Name owner_name() const;
  uint8_t label_count() const { return labels_; }
  uint16_t flags() const { return flags_; }
  bool has(uint16_t flag) const { return (flags_ & flag) != 0; }
  /// An empty non-terminal: exists only because names below it do.
  bool empty() const { return rrset_count_ == 0; }
  uint16_t rrset_count() const { return rrset_count_; }

  /// The RRset of `type`, or an invalid view.
  RRsetView find(uint16_t type) const {
    const uint8_t* p = data() + owner_len_;
    for (uint16_t i = 0; i < rrset_count_; ++i) {
      RRsetView v(p);
      if (v.type() == type) return v;
      p += v.stored_size();
    }
    return {};
  }

  /// The RRSIG RRset covering `covered` (RRSIGs are kept one RRset per
  /// covered type, RFC 4034 3), or an invalid view.
  RRsetView find_signatures(uint16_t covered) const {
    const uint8_t* p = data() + owner_len_;
    for (uint16_t i = 0; i < rrset_count_; ++i) {
      RRsetView v(p);
      if (v.type() == dns::rrtype::RRSIG && v.count() > 0 && v.first().size() >= 2 &&
          (v.first()[0] << 8 | v.first()[1]) == covered)
        return v;
      p += v.stored_size();
    }
    return {};
  }

  /// Walks all RRsets in stored (first-seen) order.
  class Cursor {
   public:
    Cursor(const uint8_t* p, uint16_t left) : p_(p), left_(left) {}
    bool next(RRsetView& out) {
      if (left_ == 0) return false;
      out = RRsetView(p_);
      p_ += out.stored_size();
      --left_;
      return true;
    }

   private:
    const uint8_t* p_;
    uint16_t left_;
  };
  Cursor rrsets() const { return Cursor(data() + owner_len_, rrset_count_); }
  /// Number of records over all RRsets.
  size_t record_count() const;
  /// Decode into mutable form (for applying a diff).
  std::vector<RRsetData> to_data() const;

  /// A node holding `rrsets` in the given order (each must be non-empty).
  static NodeRef make(std::span<const uint8_t> owner, std::vector<RRsetData> rrsets);
  /// An empty non-terminal.
  static NodeRef make_empty(std::span<const uint8_t> owner);
  /// A copy with other flags (used when a node shared with an older version
  /// needs different flags in the new one).
  NodeRef with_flags(uint16_t flags) const;

 private:
  friend class NodeRef;
  friend class NodeWriter;
  Node() = default;
  const uint8_t* data() const { return reinterpret_cast<const uint8_t*>(this + 1); }
  uint8_t* data() { return reinterpret_cast<uint8_t*>(this + 1); }
  static Node* allocate(std::span<const uint8_t> owner, size_t rrset_bytes, uint16_t rrset_count);

  mutable std::atomic<uint32_t> refs_{1};
  uint16_t flags_ = 0;
  uint8_t owner_len_ = 0;
  uint8_t labels_ = 0;
  uint16_t rrset_count_ = 0;
  [[maybe_unused]] uint16_t reserved_ = 0;  // keeps the header at 16 octets
  uint32_t size_ = 0;                       // octets after the header
};
static_assert(sizeof(Node) == 16);

/// Owning pointer to a Node (intrusive, thread-safe count).
class NodeRef {
 public:
  NodeRef() = default;
  NodeRef(const NodeRef& o) : n_(o.n_) { inc(); }
  NodeRef(NodeRef&& o) noexcept : n_(std::exchange(o.n_, nullptr)) {}
  NodeRef& operator=(NodeRef o) noexcept {
    std::swap(n_, o.n_);
    return *this;
  }
  ~NodeRef() { dec(); }

  const Node* get() const { return n_; }
  const Node* operator->() const { return n_; }
  const Node& operator*() const { return *n_; }
  explicit operator bool() const { return n_ != nullptr; }
  /// True when no other version shares this node (so it may be changed in place).
  bool unique() const { return n_ && n_->refs_.load(std::memory_order_acquire) == 1; }
  /// Set flags on a node only this reference holds (see unique()).
  void set_flags_unique(uint16_t flags) { n_->flags_ = flags; }

 private:
  friend class Node;
  friend class NodeWriter;
  explicit NodeRef(Node* n) : n_(n) {}
  void inc() {
    if (n_) n_->refs_.fetch_add(1, std::memory_order_relaxed);
  }
  void dec();
  Node* n_ = nullptr;
};

/// Builds a node RRset by RRset without going through RRsetData (the bulk
/// loader streams records straight from its staging buffer).
class NodeWriter {
 public:
  /// `rrset_bytes` and `rrset_count` must match what is then written.
  NodeWriter(std::span<const uint8_t> owner, size_t rrset_bytes, uint16_t rrset_count);
  void begin_rrset(uint16_t type, uint32_t ttl, uint16_t count, uint32_t bytes);
  void add_rdata(std::span<const uint8_t> rdata);
  NodeRef finish();

 private:
  Node* node_;
  uint8_t* p_;
};

// Wire-name helpers shared by zone/ and auth/ (no Name copies on hot paths).

/// Hash of an uncompressed wire name, case-insensitive, computed label by label
/// from the right so that every suffix's hash falls out of one pass
/// (see suffix_hashes): the zone index and the zone set share it.
uint64_t wire_hash(std::span<const uint8_t> wire);
/// out[i] = wire_hash of `name` with its leftmost i labels removed, for
/// i = 0..label_count() (out must hold label_count()+1 entries).
void suffix_hashes(const dns::Name& name, uint64_t* out);
/// Case-insensitive equality of two uncompressed wire names.
bool wire_equal(std::span<const uint8_t> a, std::span<const uint8_t> b);
/// RFC 4034 6.1 canonical order of two uncompressed wire names (<0, 0, >0),
/// without building Names (binary searches over a zone's nodes).
int wire_canonical_compare(std::span<const uint8_t> a, std::span<const uint8_t> b);
/// True when `child` equals `parent` or lies below it.
bool wire_is_subdomain(std::span<const uint8_t> child, std::span<const uint8_t> parent);
/// Number of labels of an uncompressed wire name (root = 0).
uint8_t wire_label_count(std::span<const uint8_t> wire);
/// Offset of label `i` (0 = leftmost) inside `name`'s wire form.
inline size_t label_offset(const dns::Name& name, size_t i) {
  return i >= name.label_count()
             ? name.wire_length() - 1
             : static_cast<size_t>(name.label(i).data() - name.wire().data()) - 1;
}

}  // namespace namae::zone
