// The resolver's cache: positive RRsets and negative answers (RFC 2308),
// sharded hash tables each with its own lock and LRU list, so the cache-hit
// path takes one uncontended mutex and copies nothing but a shared_ptr.
//
// Entries are immutable once stored (readers hold a shared_ptr and need no
// lock while writing an answer). TTLs are absolute expiry times on the
// resolver's Clock; the remaining TTL is computed at read time.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "dns/record.h"
#include "resolver/trust.h"
#include "validator/verdict.h"

namespace namae::resolver {

/// What a cache entry says about (name, type).
enum class EntryKind : uint8_t {
  rrset,     // positive data
  nodata,    // RFC 2308 NODATA: the name exists, the type does not
  nxdomain,  // RFC 2308 NXDOMAIN: the name does not exist (stored with type 0)
};

/// DNSSEC material kept with an entry (RFC 4035 3.1.1, 3.1.3): the RRSIGs
/// over its RRset and, for a negative or wildcard answer, the authority
/// section's NSEC/NSEC3 RRsets and RRSIG RRsets that prove it.
struct Dnssec {
  std::vector<dns::RdataBytes> sigs;
  std::shared_ptr<const std::vector<dns::RRset>> proof;
};

/// One cached item: the shared dns::RRset with what only the resolver adds
/// (its trust rank, expiry and use). Immutable after insertion.
struct CacheEntry {
  EntryKind kind = EntryKind::rrset;
  dns::RRset rrset;           // kind == rrset: the data; negatives: owner/type asked
  Trust trust = Trust::additional;  // RFC 2181 5.4.1 rank of the section it came from
  std::shared_ptr<const dns::RRset> soa;  // negatives: the SOA for the authority section
  int64_t stored_ms = 0;
  int64_t expires_ms = 0;
  uint32_t original_ttl = 0;  // as stored (after floor/ceiling), for prefetch decisions
  Dnssec dnssec;
  mutable std::atomic<uint32_t> hits{0};
  mutable std::atomic<bool> prefetching{false};
  // What validating it gave (the data itself never changes): set by the
  // resolution thread that checked it, read by the cache-hit path for AD=1
  // or SERVFAIL. A bogus verdict holds for CacheOptions::bogus_ttl only.
  mutable std::atomic<validator::Security> security{validator::Security::unchecked};
  mutable std::atomic<uint16_t> ede{validator::ede::NONE};
  mutable std::atomic<int64_t> checked_ms{0};

  void judge(const validator::Verdict& v, int64_t now_ms) const {
    ede.store(v.ede, std::memory_order_relaxed);
    checked_ms.store(now_ms, std::memory_order_relaxed);
    security.store(v.security, std::memory_order_release);
  }
  validator::Security judged() const { return security.load(std::memory_order_acquire); }

  /// Seconds left at `now_ms` (0 once expired).
  uint32_t ttl_left(int64_t now_ms) const {
    return expires_ms > now_ms ? static_cast<uint32_t>((expires_ms - now_ms + 999) / 1000) : 0;
  }
};

using EntryPtr = std::shared_ptr<const CacheEntry>;

/// Limits and policy of the cache.
struct CacheOptions {
  size_t max_entries = 200000;  // over all shards; LRU eviction beyond it
  size_t shards = 16;           // power of two
  uint32_t min_ttl = 0;         // TTL floor for positive data
  uint32_t max_ttl = 86400;     // TTL ceiling for positive data
  uint32_t max_negative_ttl = 3600;  // RFC 2308 5: negative TTLs are capped
  bool serve_stale = false;     // RFC 8767: keep expired data for stale answers
  uint32_t stale_window = 86400;  // how long past expiry data may still be served stale
  // A bogus answer is a SERVFAIL for this long, then asked again: a broken
  // zone costs one resolution a minute, not one per query (RFC 4035 4.7).
  uint32_t bogus_ttl = 60;
};

/// RFC 2308 5: how long a negative answer lives, the smaller of its SOA's
/// TTL and the SOA's MINIMUM field.
uint32_t negative_ttl(const dns::RRset& soa);

/// Outcome of Cache::store.
enum class StoreResult : uint8_t { stored, kept_better, rejected };

/// Sharded LRU cache keyed by (lower-cased name, type).
class Cache {
 public:
  Cache(CacheOptions options, const Clock& clock);

  /// Store positive data. It replaces a cached RRset only when its trust is
  /// at least the cached one's, or the cached one has expired (RFC 2181
  /// 5.4.1). A positive RRset also clears a negative entry for the same key.
  StoreResult store(const dns::RRset& rrset, Trust trust, Dnssec dnssec = {});
  /// Store an RFC 2308 negative answer: NXDOMAIN (for `name`, any type) or
  /// NODATA (for `name`/`type`), with the SOA that bounds its TTL.
  StoreResult store_negative(const dns::Name& name, uint16_t type, bool nxdomain,
                             const dns::RRset& soa, Trust trust, Dnssec dnssec = {});

  /// Live entry for (name, type), or nullptr. NXDOMAIN entries are found with
  /// type 0; an entry judged bogus longer than bogus_ttl ago is not. With `allow_stale`, an expired entry inside the stale window is
  /// returned too (the caller checks ttl_left).
  EntryPtr lookup(const dns::Name& name, uint16_t type, bool allow_stale = false) const;

  /// Remove everything at `name` and below (the root: everything). Returns
  /// the number of entries removed.
  size_t flush(const dns::Name& name);
  /// Text dump of entries at `name` and below, one RR per line with the TTL
  /// left, for `namae ctl cache show`.
  std::string dump(const dns::Name& name, size_t limit = 10000) const;

  size_t size() const;
  const CacheOptions& options() const { return options_; }
  const Clock& clock() const { return clock_; }

 private:
  struct Shard {
    mutable std::mutex mu;
    // LRU order: front = most recently used. The map holds iterators into it.
    mutable std::list<std::string> lru;
    struct Slot {
      EntryPtr entry;
      std::list<std::string>::iterator pos;
    };
    struct Hash {
      using is_transparent = void;
      size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
    };
    std::unordered_map<std::string, Slot, Hash, std::equal_to<>> map;
  };

  Shard& shard_for(std::string_view key) const;
  StoreResult insert(std::string_view key, EntryPtr entry, bool always_replace);
  uint32_t clamp_ttl(uint32_t ttl) const;

  CacheOptions options_;
  const Clock& clock_;
  size_t per_shard_;
  std::unique_ptr<Shard[]> shards_;
};

/// Key bytes for (name, type): lower-cased wire name then the type, written
/// into `buf` (at least 257 octets); returns the length used.
size_t cache_key(const dns::Name& name, uint16_t type, uint8_t* buf);

}  // namespace namae::resolver
