#include "update/leases.h"

#include <algorithm>

#include "dns/rdata.h"

namespace namae::update {

std::optional<uint32_t> grant_lease(const LeasePolicy& p, std::optional<uint32_t> requested) {
  if (!requested) {
    if (p.max_lease != 0 && p.required) return p.max_lease;
    return std::nullopt;
  }
  if (*requested == 0 && p.zero_removes) return 0;
  uint32_t v = std::max(*requested, p.min_lease);
  if (p.max_lease != 0) v = std::min(v, p.max_lease);
  return std::min<uint32_t>(v, 0x7fffffff);
}

std::optional<uint32_t> grant_key_lease(const LeasePolicy& p, std::optional<uint32_t> requested) {
  LeasePolicy keys = p;
  if (p.max_key_lease != 0) keys.max_lease = p.max_key_lease;
  return grant_lease(keys, requested);
}

std::string LeaseTable::key(const dns::Name& owner, uint16_t type, const dns::RdataBytes& rdata) {
  const dns::Name low = owner.lower();
  auto w = low.wire();  // self-delimiting (length-prefixed labels)
  std::string k(w.begin(), w.end());
  k.push_back(static_cast<char>(type >> 8));
  k.push_back(static_cast<char>(type & 0xff));
  auto c = dns::rdata::canonical(type, rdata);
  k.append(c.begin(), c.end());
  return k;
}

void LeaseTable::assign(const std::vector<Lease>& leases) {
  by_key_.clear();
  by_expiry_.clear();
  for (const auto& l : leases) upsert(l);
}

void LeaseTable::upsert(const Lease& lease) {
  auto k = key(lease.owner, lease.type, lease.rdata);
  auto it = by_key_.find(k);
  if (it != by_key_.end()) {
    by_expiry_.erase({it->second.expires_at, k});
    it->second = lease;
  } else {
    by_key_.emplace(k, lease);
  }
  by_expiry_.insert({lease.expires_at, k});
}

void LeaseTable::remove(const dns::Name& owner, uint16_t type, const dns::RdataBytes& rdata) {
  auto k = key(owner, type, rdata);
  auto it = by_key_.find(k);
  if (it == by_key_.end()) return;
  by_expiry_.erase({it->second.expires_at, k});
  by_key_.erase(it);
}

const Lease* LeaseTable::find(const dns::Name& owner, uint16_t type,
                              const dns::RdataBytes& rdata) const {
  auto it = by_key_.find(key(owner, type, rdata));
  return it == by_key_.end() ? nullptr : &it->second;
}

std::vector<Lease> LeaseTable::expired(int64_t now, size_t limit) const {
  std::vector<Lease> out;
  for (const auto& [when, k] : by_expiry_) {
    if (when > now || out.size() >= limit) break;
    out.push_back(by_key_.at(k));
  }
  return out;
}

std::optional<int64_t> LeaseTable::next_expiry() const {
  if (by_expiry_.empty()) return std::nullopt;
  return by_expiry_.begin()->first;
}

std::vector<Lease> LeaseTable::all() const {
  std::vector<Lease> out;
  out.reserve(by_key_.size());
  for (const auto& [k, l] : by_key_) out.push_back(l);
  return out;
}

LeaseTable::Undo LeaseTable::apply(const LeaseChanges& changes) {
  Undo undo;
  auto remember = [&](const Lease& l) {
    const Lease* was = find(l.owner, l.type, l.rdata);
    undo.prior.emplace_back(was ? *was : l, was != nullptr);
  };
  for (const auto& l : changes.upserted) {
    remember(l);
    upsert(l);
  }
  for (const auto& l : changes.removed) {
    remember(l);
    remove(l.owner, l.type, l.rdata);
  }
  return undo;
}

void LeaseTable::restore(const Undo& undo) {
  for (auto it = undo.prior.rbegin(); it != undo.prior.rend(); ++it) {
    const auto& [lease, held] = *it;
    if (held)
      upsert(lease);
    else
      remove(lease.owner, lease.type, lease.rdata);
  }
}

}  // namespace namae::update
