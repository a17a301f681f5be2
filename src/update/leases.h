// RFC 9664 leases on dynamically added RRs: how long a lease is granted for,
// and the table of leases held in a zone (in memory; the journal keeps the
// durable copy, committed with the diff that added the RRs).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "update/journal.h"

namespace namae::update {

/// A zone's lease settings (docs/config.md: max-lease, min-lease, lease-required).
struct LeasePolicy {
  uint32_t min_lease = 60;
  uint32_t max_lease = 0;  // 0: no ceiling, and leases are optional
  bool required = true;    // with max_lease: unleased adds get max_lease
  uint32_t max_key_lease = 0;  // ceiling of KEY-LEASE (0: max_lease's)
  bool zero_removes = false;   // SRP (RFC 9665 3.2.5.5): a lease of 0 is granted as 0
};

/// The lease granted for a request: the requested one clamped to
/// [min_lease, max_lease], max_lease when none was asked for and leases are
/// required, nullopt for a permanent record.
std::optional<uint32_t> grant_lease(const LeasePolicy& policy, std::optional<uint32_t> requested);
/// The same for a KEY-LEASE, under max_key_lease when set.
std::optional<uint32_t> grant_key_lease(const LeasePolicy& policy, std::optional<uint32_t> requested);

/// The leases of one zone, keyed like the journal's (owner case-insensitive,
/// rdata canonical), with an index by expiry time.
class LeaseTable {
 public:
  /// Replace the contents (at start, from Journal::leases()).
  void assign(const std::vector<Lease>& leases);
  /// Add or renew.
  void upsert(const Lease& lease);
  /// Forget the lease on <owner, type, rdata>, if any.
  void remove(const dns::Name& owner, uint16_t type, const dns::RdataBytes& rdata);
  /// The lease on <owner, type, rdata>, or nullptr.
  const Lease* find(const dns::Name& owner, uint16_t type, const dns::RdataBytes& rdata) const;
  /// Leases whose expiry is at or before `now`, soonest first, at most `limit`.
  std::vector<Lease> expired(int64_t now, size_t limit = SIZE_MAX) const;
  /// The earliest expiry, if any lease is held.
  std::optional<int64_t> next_expiry() const;
  size_t size() const { return by_key_.size(); }
  /// Every lease, in key order.
  std::vector<Lease> all() const;

  /// What apply() replaced: each touched lease as it was (or its absence),
  /// in the order touched, so restore() can put the table back.
  struct Undo {
    std::vector<std::pair<Lease, bool>> prior;  // (the lease or its key, held before)
  };
  /// Apply one commit's lease changes (upserts, then removals).
  Undo apply(const LeaseChanges& changes);
  /// Undo one apply() (the newest first when undoing several).
  void restore(const Undo& undo);

 private:
  static std::string key(const dns::Name& owner, uint16_t type, const dns::RdataBytes& rdata);
  std::map<std::string, Lease> by_key_;
  std::set<std::pair<int64_t, std::string>> by_expiry_;
};

}  // namespace namae::update
