// NodeSeq: a zone version's nodes in canonical order, stored as chunks of
// node references that versions share. A new version copies the chunk
// pointers and copies only the chunks its changes land in, so an update
// costs O(changes * chunk + n / chunk) pointer work instead of touching all n
// nodes (the reference count of every node lives in the node itself, so a
// flat vector copy meant one cache miss per node of the zone per update).
#pragma once

#include <cstddef>
#include <memory>
#include <span>
#include <vector>

#include "zone/node.h"

namespace namae::zone {

class NodeSeq {
 public:
  NodeSeq() = default;
  /// Chunk `nodes` (already in canonical order).
  explicit NodeSeq(std::vector<NodeRef> nodes);

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  /// The i-th node in canonical order: O(log chunks).
  const NodeRef& at(size_t i) const;
  /// Index of the first node whose owner sorts at or after `owner`
  /// (RFC 4034 6.1 order); size() if none.
  size_t lower_bound(std::span<const uint8_t> owner) const;
  /// Index of `owner`'s node, or size() if the name has none.
  size_t find(std::span<const uint8_t> owner) const;

  /// Changes (copy-on-write: a chunk shared with another sequence is copied
  /// first, once).
  void insert(size_t i, NodeRef node);
  void erase(size_t i);
  void replace(size_t i, NodeRef node);
  /// Mutable access to a reference (its chunk becomes this sequence's own).
  NodeRef& writable(size_t i);

  /// Calls f(const NodeRef&) for every node in order.
  template <class F>
  void for_each(F&& f) const {
    for (const auto& c : chunks_)
      for (const auto& n : c->nodes) f(n);
  }
  /// Octets of the chunk structure itself (the nodes not counted).
  size_t overhead() const;

  /// Target chunk size; a chunk splits at twice this.
  static constexpr size_t kChunk = 64;

 private:
  struct Chunk {
    std::vector<NodeRef> nodes;
  };
  // (chunk, offset inside it) of index i, i < size().
  std::pair<size_t, size_t> locate(size_t i) const;
  Chunk& own(size_t c);
  void renumber(size_t from);

  std::vector<std::shared_ptr<Chunk>> chunks_;
  std::vector<size_t> starts_;  // index of each chunk's first node
  size_t size_ = 0;
};

}  // namespace namae::zone
