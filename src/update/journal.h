// Journal: the durable record of every acknowledged change to a dynamic zone.
//
// One SQLite database per zone (WAL, synchronous=FULL). An UPDATE is
// acknowledged only after commit() returns: the diff and the lease changes
// that go with it are in one transaction, so after kill -9 the zone file plus
// replay() gives exactly the acknowledged state. Entries are kept per serial
// so IXFR can be served from them later; compact() drops entries the rewritten
// zone file already contains, keeping a configurable tail for IXFR.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "dns/name.h"
#include "zone/zone.h"

namespace namae::update {

/// One committed change: the zone went from serial_from to serial_to by
/// removing then adding the diff's records (the SOA change included).
struct JournalEntry {
  uint32_t serial_from = 0;
  uint32_t serial_to = 0;
  int64_t committed_at = 0;  // unix seconds
  zone::ZoneDiff diff;
  /// No zone change, only lease changes ride on it (a renewal): the commit
  /// stores the leases and appends nothing to the serial chain, so a host
  /// renewing every few minutes does not raise the serial (and make every
  /// secondary transfer) each time.
  bool lease_only() const {
    return serial_from == serial_to && diff.removed.empty() && diff.added.empty();
  }
};

/// A lease (RFC 9664) on one RR: when it ends, the RR is removed by a normal,
/// journaled update. Keyed by (owner, type, rdata).
struct Lease {
  dns::Name owner;
  uint16_t type = 0;
  dns::RdataBytes rdata;
  int64_t expires_at = 0;  // unix seconds
  std::string granted_to;  // TSIG key name or HTTP user, for display and policy
};

/// RFC 1982 serial arithmetic: a comes strictly before b (undefined pairs,
/// exactly 2^31 apart, are neither before nor after).
bool serial_lt(uint32_t a, uint32_t b);

/// Lease changes committed together with a diff.
struct LeaseChanges {
  std::vector<Lease> upserted;  // new or renewed leases
  std::vector<Lease> removed;   // only owner/type/rdata are significant
};

/// Thread-safe: calls are serialized by an internal mutex (the engine
/// commits from its writer thread while others may read leases or entries).
class Journal {
 public:
  /// Open (creating if needed) the journal at `path` for zone `origin`.
  /// `exclusive` (the server's use) holds an advisory lock on the file for
  /// the Journal's lifetime and fails if another holder has it: two servers
  /// appending to one journal would each acknowledge updates the other then
  /// cannot replay. Without it (inspection, tests) no lock is taken.
  static Result<std::unique_ptr<Journal>> open(const std::string& path, const dns::Name& origin,
                                               bool exclusive = true);
  ~Journal();

  /// Durably commit one entry and its lease changes in one transaction;
  /// returns only after the data is on disk (fsync'ed by SQLite). The entry
  /// must continue the chain (serial_from == last_serial(), when there is
  /// one) and move the serial forward (RFC 1982); otherwise nothing is written.
  Result<void> commit(const JournalEntry& entry, const LeaseChanges& leases = {});

  /// Commit several entries in one transaction (group commit: one fsync for
  /// many updates). All or nothing.
  Result<void> commit_batch(std::span<const JournalEntry> entries,
                            std::span<const LeaseChanges> leases);

  /// Entries whose serial_from is `serial` or later in the chain, in order —
  /// what replay after loading a zone file with that serial needs, and what
  /// IXFR from that serial sends. Fails if the chain from `serial` is broken.
  /// Empty when `serial` is the newest serial_to (or the journal is empty);
  /// an error when `serial` is not in the chain at all (compacted away, or
  /// a zone file newer than the journal: see first_serial()/reset()).
  Result<std::vector<JournalEntry>> entries_since(uint32_t serial) const;

  /// Every lease currently held, soonest expiry first.
  Result<std::vector<Lease>> leases() const;

  /// Leases with expires_at <= `when`, soonest first (the expiry timer's
  /// question, answered from an index).
  Result<std::vector<Lease>> leases_expiring_by(int64_t when) const;

  /// Forget entries that end at or before `serial` (the zone file written to
  /// disk has that serial), keeping the newest `keep` entries for IXFR.
  /// "At or before" follows the chain from its oldest entry with RFC 1982
  /// comparison, so it is right across a serial wrap.
  Result<void> compact(uint32_t serial, size_t keep);

  /// Serial of the newest entry, if any.
  Result<std::optional<uint32_t>> last_serial() const;

  /// serial_from of the oldest entry kept, if any: together with
  /// last_serial() the range of zone-file serials the journal can bring up
  /// to date (a zone file outside it cannot be replayed onto).
  Result<std::optional<uint32_t>> first_serial() const;

  /// Number of entries kept.
  Result<size_t> entry_count() const;

  /// Drop every entry (leases are kept). For when the zone's serial left the
  /// journal's chain (zone file edited by hand with a new serial): commit()
  /// refuses an entry that does not continue the chain, so the owner decides
  /// explicitly to start a new one.
  Result<void> reset();

  /// The database file, as given to open() (for messages).
  const std::string& path() const;

 private:
  Journal() = default;
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

/// What start-up does with a zone's journal over its zone file: nothing
/// (the journal is empty or ends at the file's serial), drop the journal's
/// entries (the file was edited past them, as BIND discards an out-of-date
/// journal), or replay `entries` onto the file.
struct ReplayPlan {
  enum class Kind { up_to_date, file_newer, replay };
  Kind kind = Kind::up_to_date;
  std::optional<uint32_t> journal_serial;  // newest serial journaled, if any
  std::vector<JournalEntry> entries;       // Kind::replay only
};
/// The plan for a zone file at `file_serial` (namaed's start-up and
/// `namaed --check` decide alike).
Result<ReplayPlan> plan_replay(const Journal& journal, uint32_t file_serial);

/// Apply entries in order to `base` (replay after loading the zone file).
/// Each entry's serial_from must equal the version's serial, and the version
/// it produces must carry serial_to (the diff includes the SOA change).
Result<std::shared_ptr<const zone::ZoneVersion>> replay(
    std::shared_ptr<const zone::ZoneVersion> base, std::span<const JournalEntry> entries);

}  // namespace namae::update
