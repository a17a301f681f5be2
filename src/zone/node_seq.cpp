#include "zone/node_seq.h"

#include <algorithm>
#include <cassert>

namespace namae::zone {

NodeSeq::NodeSeq(std::vector<NodeRef> nodes) : size_(nodes.size()) {
  for (size_t i = 0; i < nodes.size(); i += kChunk) {
    auto c = std::make_shared<Chunk>();
    size_t end = std::min(nodes.size(), i + kChunk);
    c->nodes.reserve(end - i);
    for (size_t k = i; k < end; ++k) c->nodes.push_back(std::move(nodes[k]));
    starts_.push_back(i);
    chunks_.push_back(std::move(c));
  }
}

std::pair<size_t, size_t> NodeSeq::locate(size_t i) const {
  assert(i < size_);
  size_t c = std::upper_bound(starts_.begin(), starts_.end(), i) - starts_.begin() - 1;
  return {c, i - starts_[c]};
}

const NodeRef& NodeSeq::at(size_t i) const {
  auto [c, k] = locate(i);
  return chunks_[c]->nodes[k];
}

size_t NodeSeq::lower_bound(std::span<const uint8_t> owner) const {
  // First chunk whose last node is not before `owner`, then inside it.
  size_t lo = 0, hi = chunks_.size();
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (wire_canonical_compare(chunks_[mid]->nodes.back()->owner(), owner) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  if (lo == chunks_.size()) return size_;
  const auto& v = chunks_[lo]->nodes;
  auto it = std::partition_point(v.begin(), v.end(), [&](const NodeRef& n) {
    return wire_canonical_compare(n->owner(), owner) < 0;
  });
  return starts_[lo] + static_cast<size_t>(it - v.begin());
}

size_t NodeSeq::find(std::span<const uint8_t> owner) const {
  size_t i = lower_bound(owner);
  return i < size_ && wire_equal(at(i)->owner(), owner) ? i : size_;
}

NodeSeq::Chunk& NodeSeq::own(size_t c) {
  if (chunks_[c].use_count() != 1) chunks_[c] = std::make_shared<Chunk>(*chunks_[c]);
  return *chunks_[c];
}

void NodeSeq::renumber(size_t from) {
  for (size_t c = from; c < chunks_.size(); ++c)
    starts_[c] = c == 0 ? 0 : starts_[c - 1] + chunks_[c - 1]->nodes.size();
}

void NodeSeq::insert(size_t i, NodeRef node) {
  assert(i <= size_);
  if (chunks_.empty()) {
    chunks_.push_back(std::make_shared<Chunk>());
    starts_.push_back(0);
  }
  // Appending goes to the last chunk; otherwise to the chunk holding index i.
  size_t c = i == size_ ? chunks_.size() - 1 : locate(i).first;
  Chunk& ch = own(c);
  ch.nodes.insert(ch.nodes.begin() + static_cast<ptrdiff_t>(i - starts_[c]), std::move(node));
  ++size_;
  if (ch.nodes.size() >= 2 * kChunk) {
    auto tail = std::make_shared<Chunk>();
    tail->nodes.assign(std::make_move_iterator(ch.nodes.begin() + kChunk),
                       std::make_move_iterator(ch.nodes.end()));
    ch.nodes.resize(kChunk);
    chunks_.insert(chunks_.begin() + static_cast<ptrdiff_t>(c) + 1, std::move(tail));
    starts_.insert(starts_.begin() + static_cast<ptrdiff_t>(c) + 1, 0);
  }
  renumber(c + 1);
}

void NodeSeq::erase(size_t i) {
  auto [c, k] = locate(i);
  Chunk& ch = own(c);
  ch.nodes.erase(ch.nodes.begin() + static_cast<ptrdiff_t>(k));
  --size_;
  if (ch.nodes.empty()) {
    chunks_.erase(chunks_.begin() + static_cast<ptrdiff_t>(c));
    starts_.erase(starts_.begin() + static_cast<ptrdiff_t>(c));
  }
  renumber(c);
}

void NodeSeq::replace(size_t i, NodeRef node) { writable(i) = std::move(node); }

NodeRef& NodeSeq::writable(size_t i) {
  auto [c, k] = locate(i);
  return own(c).nodes[k];
}

size_t NodeSeq::overhead() const {
  size_t total = chunks_.capacity() * sizeof(chunks_[0]) + starts_.capacity() * sizeof(size_t);
  for (const auto& c : chunks_) total += sizeof(Chunk) + c->nodes.capacity() * sizeof(NodeRef);
  return total;
}

}  // namespace namae::zone
