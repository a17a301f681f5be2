// ZoneSet: an immutable snapshot of every zone a server answers for, and the
// holder through which workers see the current snapshot.
//
// Readers (one AuthEngine per worker) check a generation counter per query
// (one relaxed load) and re-take the snapshot only when it changed, so there
// is no per-query reference counting and no lock on the packet path. Old
// snapshots are retired to the holder, which frees them on the control thread
// (reclaim()) once no worker holds them: the quiescent-state idea (docs/ARCHITECTURE.md,
// "Design choices") with shared_ptr counts standing in for liburcu's grace periods (a worker
// drops its reference at its next query after a swap), which keeps the large
// frees of an old zone off the workers.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "dns/name.h"
#include "zone/zone.h"

namespace namae::zone {

/// All served zones, with longest-match lookup of the zone for a name.
class ZoneSet {
 public:
  ZoneSet() = default;
  /// Zones with the same origin: the later one wins. `unavailable` are
  /// zones we are authoritative for but cannot answer from (a secondary that
  /// expired or has not had its first transfer): queries below them get
  /// SERVFAIL rather than REFUSED or a parent zone's answer.
  explicit ZoneSet(std::vector<std::shared_ptr<const ZoneVersion>> zones,
                   std::vector<dns::Name> unavailable = {});

  /// The zone with the longest origin that `qname` is at or below, or nullptr.
  /// No allocation (one pass of suffix hashes, one probe per label).
  const ZoneVersion* find(const dns::Name& qname) const { return find(qname, nullptr); }
  /// Same, also giving the zone's position in zones() (for per-zone counters).
  const ZoneVersion* find(const dns::Name& qname, size_t* index) const;
  /// The zone whose origin is exactly `origin`.
  std::shared_ptr<const ZoneVersion> get(const dns::Name& origin) const;

  /// A new set with `zone` added or replacing the zone of the same origin.
  std::shared_ptr<const ZoneSet> with(std::shared_ptr<const ZoneVersion> zone) const;
  /// A new set without the zone `origin`.
  std::shared_ptr<const ZoneSet> without(const dns::Name& origin) const;

  const std::vector<std::shared_ptr<const ZoneVersion>>& zones() const { return zones_; }
  size_t size() const { return zones_.size(); }

  /// True when `qname`'s closest enclosing zone is an unavailable one (its
  /// origin is deeper than that of `found`, the zone find() gave, if any).
  /// A short scan, and none at all while every zone is available.
  bool unavailable(const dns::Name& qname, const ZoneVersion* found) const {
    return !unavailable_.empty() && unavailable_slow(qname, found);
  }
  const std::vector<dns::Name>& unavailable_zones() const { return unavailable_; }

 private:
  int find_index(std::span<const uint8_t> wire, uint64_t hash) const;
  bool unavailable_slow(const dns::Name& qname, const ZoneVersion* found) const;

  std::vector<std::shared_ptr<const ZoneVersion>> zones_;
  std::vector<dns::Name> unavailable_;
  std::vector<int32_t> index_;  // open addressing over origins, -1 = free
  uint64_t mask_ = 0;
  size_t min_labels_ = 0, max_labels_ = 0;
};

/// The current ZoneSet, swapped atomically by the control thread (reload,
/// dynamic update) and read by every worker.
class ZoneSetHolder {
 public:
  ZoneSetHolder();
  explicit ZoneSetHolder(std::shared_ptr<const ZoneSet> initial);

  /// Make `next` current. The previous snapshot is retired, not freed here
  /// unless no reader holds it. Control-plane only.
  void publish(std::shared_ptr<const ZoneSet> next);
  /// The current snapshot (takes a reference; for control-plane callers and
  /// for readers whose generation() changed).
  std::shared_ptr<const ZoneSet> snapshot() const;
  /// Bumped by every publish(); readers compare it to skip snapshot().
  uint64_t generation() const { return gen_.load(std::memory_order_acquire); }
  /// Free retired snapshots that no reader still holds; returns how many remain.
  size_t reclaim();

 private:
  std::shared_ptr<const ZoneSet> current_;  // accessed with std::atomic_load/store
  std::atomic<uint64_t> gen_{1};
  std::mutex retired_mu_;
  std::vector<std::shared_ptr<const ZoneSet>> retired_;
};

}  // namespace namae::zone
