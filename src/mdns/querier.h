// The mDNS querier of one link (RFC 6762 5, 7, 10): a cache that follows the
// cache-flush and goodbye rules, and continuous questions sent with backoff,
// known-answer lists, duplicate-question suppression and refresh queries at
// 80-95 % of a record's TTL. Like the responder it has no sockets and no
// clock: receive(), tick() and next_timer() with `now` passed in.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <vector>

#include "mdns/packet.h"
#include "mdns/transport.h"

namespace namae::mdns {

/// One cached record and its bookkeeping.
struct CacheEntry {
  Record rec;          // rec.ttl: the TTL it arrived with
  Millis received = 0; // when (this copy) arrived
  Millis expires = 0;  // received + ttl (or 1 s after a goodbye / flush)
  int refreshes = 0;   // refresh queries sent for it (RFC 6762 5.2: at 80/85/90/95 %)
  Millis refresh_at = 0;
  int poof_queries = 0;  // others' queries it failed to answer (RFC 6762 10.5)
  Millis poof_since = 0;
  // RFC 6762 10.4: under reconfirmation until a fresh copy arrives; flushed
  // at `reconfirm_by` (0: not under reconfirmation).
  Millis reconfirm_by = 0;
  Millis reconfirm_next = 0;
  int reconfirm_queries = 0;  // sent so far

  /// TTL left at `now`, in seconds (for known-answer lists).
  uint32_t ttl_left(Millis now) const {
    return expires > now ? static_cast<uint32_t>((expires - now) / 1000) : 0;
  }
};

/// Receives cache changes.
struct CacheListener {
  std::function<void(const Record&)> added;    // new record (not a mere refresh)
  std::function<void(const Record&)> removed;  // expired, said goodbye, flushed or POOFed
};

/// Identifies a continuous question.
using QueryId = uint64_t;

class Querier {
 public:
  Querier(Transport& transport, Rng& rng);

  CacheListener listener;

  /// Ask `q` continuously: first at once (QU if `qu_first`, RFC 6762 5.4),
  /// then after 1 s, 2 s, 4 s ... up to 60 minutes (RFC 6762 5.2).
  QueryId start(const Question& q, Millis now, bool qu_first = true);
  void stop(QueryId id);

  /// RFC 6762 10.4: a hint (a failed connection, a DNS Push RECONFIRM)
  /// that the cached record `r` may be gone: it is asked for three times
  /// (at once, then 3 s and 6 s later) and left out of their known-answer
  /// lists; unless a responder sends it again within 10 s it is flushed
  /// (reported removed). False when the cache does not hold it.
  bool reconfirm(const Record& r, Millis now);
  static constexpr Millis kReconfirmWait = 10000;
  static constexpr Millis kReconfirmInterval = 3000;
  static constexpr int kReconfirmQueries = 3;

  /// Feed one received packet (responses fill the cache; others' queries
  /// drive duplicate-question suppression and POOF).
  void receive(const Message& msg, const Source& from, Millis now);
  /// Run what is due.
  void tick(Millis now);
  Millis next_timer() const;

  /// Live cached records answering `q` (ANY type/class match everything),
  /// with the TTL left (`ttl_left`) or the TTL they arrived with.
  std::vector<Record> lookup(const Question& q, Millis now, bool ttl_left = true) const;
  /// Every live cached record.
  std::vector<Record> all(Millis now) const;
  size_t cache_size() const { return cache_.size(); }

  static constexpr Millis kNever = std::numeric_limits<Millis>::max();
  static constexpr Millis kMaxInterval = 60 * 60 * 1000;
  /// Most records cached per link (a flood evicts the soonest to expire).
  static constexpr size_t kMaxCache = 4096;

 private:
  struct Active {
    Question q;
    Millis next = 0;
    Millis interval = 1000;
    bool first = true;
    bool qu_first = true;
  };

  void add(const Record& r, Millis now);
  void send_queries(const std::vector<Question>& qs, Millis now);
  void add_reconfirm_queries(std::vector<Question>& qs, Millis now);
  void expire(Millis now);
  bool wanted(const CacheEntry& e) const;

  Transport& transport_;
  Rng& rng_;
  std::vector<CacheEntry> cache_;
  std::map<QueryId, Active> active_;
  QueryId next_id_ = 1;
};

}  // namespace namae::mdns
