#include "resolver/cache.h"

#include <time.h>

#include <algorithm>

#include "dns/rrtype.h"
#include "dns/wire.h"

namespace namae::resolver {

size_t cache_key(const dns::Name& name, uint16_t type, uint8_t* buf) {
  auto wire = name.wire();
  for (size_t i = 0; i < wire.size(); ++i) buf[i] = dns::ascii_lower(wire[i]);
  dns::put_u16(buf + wire.size(), type);
  return wire.size() + 2;
}

namespace {
size_t round_pow2(size_t n) {
  size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}
}  // namespace

Cache::Cache(CacheOptions options, const Clock& clock) : options_(options), clock_(clock) {
  options_.shards = round_pow2(std::max<size_t>(1, options_.shards));
  per_shard_ = std::max<size_t>(1, options_.max_entries / options_.shards);
  shards_ = std::make_unique<Shard[]>(options_.shards);
}

Cache::Shard& Cache::shard_for(std::string_view key) const {
  size_t h = std::hash<std::string_view>{}(key);
  return shards_[(h >> 7) & (options_.shards - 1)];
}

uint32_t Cache::clamp_ttl(uint32_t ttl) const {
  return std::clamp(ttl, options_.min_ttl, std::max(options_.min_ttl, options_.max_ttl));
}

StoreResult Cache::insert(std::string_view key, EntryPtr entry, bool always_replace) {
  Shard& s = shard_for(key);
  int64_t now = clock_.now_ms();
  std::lock_guard lock(s.mu);
  auto it = s.map.find(key);
  if (it != s.map.end()) {
    const CacheEntry& old = *it->second.entry;
    bool old_live = old.expires_ms > now;
    if (!always_replace && old_live && old.kind == EntryKind::rrset &&
        entry->kind == EntryKind::rrset && entry->trust < old.trust)
      return StoreResult::kept_better;
    it->second.entry = std::move(entry);
    s.lru.splice(s.lru.begin(), s.lru, it->second.pos);
    return StoreResult::stored;
  }
  s.lru.emplace_front(key);
  s.map.emplace(std::string(key), Shard::Slot{std::move(entry), s.lru.begin()});
  while (s.map.size() > per_shard_) {
    s.map.erase(s.lru.back());
    s.lru.pop_back();
  }
  return StoreResult::stored;
}

StoreResult Cache::store(const dns::RRset& rrset, Trust trust, Dnssec dnssec) {
  if (rrset.rdata.empty() || rrset.type == dns::rrtype::OPT || rrset.type == 0)
    return StoreResult::rejected;
  auto e = std::make_shared<CacheEntry>();
  e->kind = EntryKind::rrset;
  e->rrset = rrset;
  e->trust = trust;
  e->dnssec = std::move(dnssec);
  uint32_t ttl = clamp_ttl(rrset.ttl);
  e->rrset.ttl = ttl;
  e->original_ttl = ttl;
  e->stored_ms = clock_.now_ms();
  e->expires_ms = e->stored_ms + int64_t{ttl} * 1000;
  uint8_t buf[260];
  size_t n = cache_key(rrset.owner, rrset.type, buf);
  auto r = insert(std::string_view(reinterpret_cast<char*>(buf), n), std::move(e), false);
  if (r == StoreResult::stored) {
    // The name exists now: an NXDOMAIN entry for it is obsolete.
    n = cache_key(rrset.owner, 0, buf);
    std::string_view key(reinterpret_cast<char*>(buf), n);
    Shard& s = shard_for(key);
    std::lock_guard lock(s.mu);
    if (auto it = s.map.find(key); it != s.map.end()) {
      s.lru.erase(it->second.pos);
      s.map.erase(it);
    }
  }
  return r;
}

uint32_t negative_ttl(const dns::RRset& soa) {
  uint32_t ttl = soa.ttl;
  if (!soa.rdata.empty() && soa.rdata.front().size() >= 4) {
    const auto& rd = soa.rdata.front();
    ttl = std::min(ttl, dns::get_u32(rd.data() + rd.size() - 4));
  }
  return ttl;
}

StoreResult Cache::store_negative(const dns::Name& name, uint16_t type, bool nxdomain,
                                  const dns::RRset& soa, Trust trust, Dnssec dnssec) {
  if (soa.rdata.empty()) return StoreResult::rejected;
  uint32_t ttl = std::min(negative_ttl(soa), options_.max_negative_ttl);
  auto e = std::make_shared<CacheEntry>();
  e->kind = nxdomain ? EntryKind::nxdomain : EntryKind::nodata;
  e->rrset.owner = name;
  e->rrset.type = nxdomain ? 0 : type;
  e->trust = trust;
  e->dnssec = std::move(dnssec);
  auto s = std::make_shared<dns::RRset>(soa);
  s->ttl = ttl;
  e->soa = std::move(s);
  e->original_ttl = ttl;
  e->stored_ms = clock_.now_ms();
  e->expires_ms = e->stored_ms + int64_t{ttl} * 1000;
  uint8_t buf[260];
  size_t n = cache_key(name, nxdomain ? 0 : type, buf);
  return insert(std::string_view(reinterpret_cast<char*>(buf), n), std::move(e), true);
}

EntryPtr Cache::lookup(const dns::Name& name, uint16_t type, bool allow_stale) const {
  uint8_t buf[260];
  size_t n = cache_key(name, type, buf);
  std::string_view key(reinterpret_cast<char*>(buf), n);
  Shard& s = shard_for(key);
  int64_t now = clock_.now_ms();
  std::lock_guard lock(s.mu);
  auto it = s.map.find(key);
  if (it == s.map.end()) return nullptr;
  const EntryPtr& e = it->second.entry;
  if (e->expires_ms <= now) {
    bool stale_ok = allow_stale && options_.serve_stale &&
                    now < e->expires_ms + int64_t{options_.stale_window} * 1000;
    if (!stale_ok) return nullptr;
  }
  if (e->judged() == validator::Security::bogus &&
      now >= e->checked_ms.load(std::memory_order_relaxed) + int64_t{options_.bogus_ttl} * 1000)
    return nullptr;
  s.lru.splice(s.lru.begin(), s.lru, it->second.pos);
  return e;
}

namespace {
bool key_under(std::string_view key, const dns::Name& name, dns::Name& owner) {
  auto wire = std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(key.data()), key.size() - 2);
  auto n = dns::Name::from_wire(wire);
  if (!n) return false;
  owner = *n;
  return owner.is_subdomain_of(name);
}
}  // namespace

size_t Cache::flush(const dns::Name& name) {
  size_t removed = 0;
  for (size_t i = 0; i < options_.shards; ++i) {
    Shard& s = shards_[i];
    std::lock_guard lock(s.mu);
    if (name.is_root()) {
      removed += s.map.size();
      s.map.clear();
      s.lru.clear();
      continue;
    }
    for (auto it = s.map.begin(); it != s.map.end();) {
      dns::Name owner;
      if (key_under(it->first, name, owner)) {
        s.lru.erase(it->second.pos);
        it = s.map.erase(it);
        ++removed;
      } else {
        ++it;
      }
    }
  }
  return removed;
}

std::string Cache::dump(const dns::Name& name, size_t limit) const {
  std::vector<std::pair<dns::Name, std::string>> lines;
  int64_t now = clock_.now_ms();
  for (size_t i = 0; i < options_.shards; ++i) {
    Shard& s = shards_[i];
    std::lock_guard lock(s.mu);
    for (const auto& [key, slot] : s.map) {
      if (lines.size() >= limit) break;
      dns::Name owner;
      if (!key_under(key, name, owner)) continue;
      const CacheEntry& e = *slot.entry;
      uint32_t left = e.ttl_left(now);
      std::string stale = e.expires_ms <= now ? " ; stale" : "";
      std::string rank = " ; trust " + std::to_string(static_cast<int>(e.trust));
      if (e.kind == EntryKind::rrset) {
        for (const auto& rd : e.rrset.rdata) {
          lines.emplace_back(owner, e.rrset.owner.to_text() + " " + std::to_string(left) + " " +
                                        dns::class_to_text(e.rrset.rclass) + " " +
                                        dns::type_to_text(e.rrset.type) + " " +
                                        dns::rdata::to_text(e.rrset.type, rd) + rank + stale);
        }
      } else {
        std::string what = e.kind == EntryKind::nxdomain ? "NXDOMAIN" : "NODATA " + dns::type_to_text(e.rrset.type);
        lines.emplace_back(owner, e.rrset.owner.to_text() + " " + std::to_string(left) + " ; " +
                                      what + " (SOA " + e.soa->owner.to_text() + ")" + stale);
      }
    }
  }
  std::sort(lines.begin(), lines.end(), [](const auto& a, const auto& b) {
    int c = a.first.canonical_compare(b.first);
    return c != 0 ? c < 0 : a.second < b.second;
  });
  std::string out;
  for (const auto& l : lines) out += l.second + "\n";
  return out;
}

size_t Cache::size() const {
  size_t n = 0;
  for (size_t i = 0; i < options_.shards; ++i) {
    std::lock_guard lock(shards_[i].mu);
    n += shards_[i].map.size();
  }
  return n;
}

}  // namespace namae::resolver
