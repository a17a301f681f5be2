#include "zone/zone_set.h"

#include <algorithm>

namespace namae::zone {

using dns::Name;

ZoneSet::ZoneSet(std::vector<std::shared_ptr<const ZoneVersion>> zones,
                 std::vector<Name> unavailable)
    : unavailable_(std::move(unavailable)) {
  for (auto& z : zones) {
    if (!z) continue;
    auto it = std::find_if(zones_.begin(), zones_.end(),
                           [&](const auto& o) { return o->origin() == z->origin(); });
    if (it != zones_.end())
      *it = std::move(z);
    else
      zones_.push_back(std::move(z));
  }
  size_t want = 8;
  while (want < zones_.size() * 2) want <<= 1;
  index_.assign(want, -1);
  mask_ = want - 1;
  min_labels_ = Name::kMaxLabels;
  max_labels_ = 0;
  for (size_t i = 0; i < zones_.size(); ++i) {
    const Name& o = zones_[i]->origin();
    size_t pos = wire_hash(o.wire()) & mask_;
    while (index_[pos] != -1) pos = (pos + 1) & mask_;
    index_[pos] = static_cast<int32_t>(i);
    min_labels_ = std::min(min_labels_, o.label_count());
    max_labels_ = std::max(max_labels_, o.label_count());
  }
}

int ZoneSet::find_index(std::span<const uint8_t> wire, uint64_t hash) const {
  for (size_t pos = hash & mask_;; pos = (pos + 1) & mask_) {
    int32_t i = index_[pos];
    if (i < 0) return -1;
    if (wire_equal(zones_[i]->origin().wire(), wire)) return i;
  }
}

const ZoneVersion* ZoneSet::find(const Name& qname, size_t* index) const {
  if (zones_.empty()) return nullptr;
  size_t labels = qname.label_count();
  if (labels < min_labels_) return nullptr;
  uint64_t hashes[Name::kMaxLabels + 1];
  suffix_hashes(qname, hashes);
  // Longest origin first: strip as few labels as the deepest zone allows.
  size_t first = labels > max_labels_ ? labels - max_labels_ : 0;
  for (size_t strip = first; strip + min_labels_ <= labels; ++strip) {
    int i = find_index(qname.wire().subspan(label_offset(qname, strip)), hashes[strip]);
    if (i >= 0) {
      if (index) *index = static_cast<size_t>(i);
      return zones_[i].get();
    }
  }
  return nullptr;
}

bool ZoneSet::unavailable_slow(const Name& qname, const ZoneVersion* found) const {
  const size_t depth = found ? found->origin().label_count() : 0;
  for (const auto& o : unavailable_)
    if ((!found || o.label_count() > depth) && qname.is_subdomain_of(o)) return true;
  return false;
}

std::shared_ptr<const ZoneVersion> ZoneSet::get(const Name& origin) const {
  if (zones_.empty()) return nullptr;
  int i = find_index(origin.wire(), wire_hash(origin.wire()));
  return i >= 0 ? zones_[i] : nullptr;
}

std::shared_ptr<const ZoneSet> ZoneSet::with(std::shared_ptr<const ZoneVersion> zone) const {
  auto all = zones_;
  std::vector<Name> unavailable;
  for (const auto& o : unavailable_)
    if (!(o == zone->origin())) unavailable.push_back(o);
  all.push_back(std::move(zone));
  return std::make_shared<const ZoneSet>(std::move(all), std::move(unavailable));
}

std::shared_ptr<const ZoneSet> ZoneSet::without(const Name& origin) const {
  std::vector<std::shared_ptr<const ZoneVersion>> all;
  for (const auto& z : zones_)
    if (!(z->origin() == origin)) all.push_back(z);
  return std::make_shared<const ZoneSet>(std::move(all), unavailable_);
}

ZoneSetHolder::ZoneSetHolder() : current_(std::make_shared<const ZoneSet>()) {}

ZoneSetHolder::ZoneSetHolder(std::shared_ptr<const ZoneSet> initial)
    : current_(initial ? std::move(initial) : std::make_shared<const ZoneSet>()) {}

void ZoneSetHolder::publish(std::shared_ptr<const ZoneSet> next) {
  if (!next) next = std::make_shared<const ZoneSet>();
  auto old = std::atomic_exchange(&current_, std::move(next));
  gen_.fetch_add(1, std::memory_order_acq_rel);
  {
    std::lock_guard lock(retired_mu_);
    retired_.push_back(std::move(old));
  }
  reclaim();
}

std::shared_ptr<const ZoneSet> ZoneSetHolder::snapshot() const {
  return std::atomic_load(&current_);
}

size_t ZoneSetHolder::reclaim() {
  std::vector<std::shared_ptr<const ZoneSet>> dead;
  size_t left;
  {
    std::lock_guard lock(retired_mu_);
    auto it = std::partition(retired_.begin(), retired_.end(),
                             [](const auto& p) { return p.use_count() > 1; });
    dead.assign(std::make_move_iterator(it), std::make_move_iterator(retired_.end()));
    retired_.erase(it, retired_.end());
    left = retired_.size();
  }
  return left;  // `dead` frees its snapshots here, outside the lock
}

}  // namespace namae::zone
