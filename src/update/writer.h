// ZoneWriter: one dynamic zone's state and its single writer.
//
// The data path of an UPDATE after the transport worker has checked it
// (request.h): enqueue() -> the writer thread takes everything queued as one
// batch -> stage each update (RFC 2136 engine against the newest version,
// leases, next version) -> one journal transaction for the batch (one
// fsync) -> publish the newest version -> reply to each request. apply()
// and expire_leases() stage and commit synchronously on the caller's thread
// through the same queue of evaluated changes: whichever thread finds no
// commit under way leads the next one, for everything queued so far (group
// commit).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "update/context.h"
#include "update/journal.h"
#include "update/leases.h"
#include "update/request.h"
#include "update/service.h"

namespace namae::update {

class ZoneWriter {
 public:
  /// A zone at `version` (replayed from `journal`, which may be null: in
  /// memory only) holding `leases`. `metrics` counts deferred replies.
  ZoneWriter(ServiceContext& ctx, ZoneUpdateConfig cfg, std::unique_ptr<Journal> journal,
             std::shared_ptr<const zone::ZoneVersion> version, const std::vector<Lease>& leases,
             net::WorkerMetrics* metrics);
  /// Stops the writer thread (see stop()).
  ~ZoneWriter();
  ZoneWriter(const ZoneWriter&) = delete;
  ZoneWriter& operator=(const ZoneWriter&) = delete;

  /// The zone's settings now (set_config may replace them at any time).
  std::shared_ptr<const ZoneUpdateConfig> config() const { return std::atomic_load(&cfg_); }
  /// Replace policy, allow-update, leases and sync settings (origin, file
  /// and journal stay) and, when it has one, the signer (same keys, other
  /// signature timing): updates checked from now on use the new ones.
  void set_config(const ZoneUpdateConfig& cfg);
  /// The zone's origin: fixed, so read without a lock.
  const dns::Name& origin() const { return origin_; }
  /// The zone's class: fixed, so read without a lock.
  uint16_t rclass() const { return rclass_; }
  /// The journal (null: none). Journal calls are thread-safe.
  Journal* journal() const { return journal_.get(); }

  /// The newest durable (published) version.
  std::shared_ptr<const zone::ZoneVersion> committed() const;
  std::vector<Lease> leases() const;
  size_t lease_count() const;
  std::optional<int64_t> next_expiry() const;

  /// Evaluate and commit one update; returns once its change is durable.
  UpdateResult apply(const UpdateMessage& msg, const Permission& permission,
                     std::optional<dns::UpdateLease> lease, const std::string& granted_to);
  /// Remove the RRs of up to `limit` leases that ended at or before `now`,
  /// as one journaled update; `ended` is how many (0: nothing to do).
  UpdateResult expire_leases(int64_t now, size_t limit, size_t& ended);

  /// Bring the zone's DNSSEC records within `scope` in line with its
  /// signer, as one journaled version; nothing when they already are (or
  /// the zone is not signed).
  UpdateResult resign(const signing::Scope& scope);
  /// resign() the names whose RRSIGs come due by `now` (the zone is
  /// scanned only once the earliest of them is due).
  UpdateResult refresh_signatures(int64_t now);

  /// Queue a checked request for the writer thread (started on the first).
  /// False when the writer is stopping: the request gets no answer.
  bool enqueue(QueuedUpdate&& update);
  /// The writer answers what it already holds, then exits; later requests
  /// get no answer.
  void stop();

 private:
  struct Slot;
  struct Staged;
  struct Pending;

  UpdateResult apply_locked(std::unique_lock<std::mutex>& lk, const UpdateMessage& msg,
                            const Permission& perm, std::optional<dns::UpdateLease> lease,
                            const std::string& granted_to, const std::vector<Lease>* expired);
  // Evaluate one update against the newest version and queue its change
  // for commit, without waiting (mu_ held).
  Staged stage_locked(const UpdateMessage& msg, const Permission& perm,
                      std::optional<dns::UpdateLease> lease, const std::string& granted_to,
                      const std::vector<Lease>* expired);
  UpdateResult resign_locked(std::unique_lock<std::mutex>& lk, const signing::Scope& scope, int64_t now);
  // An update of a signed zone may not touch what the signer maintains.
  static bool touches_signer_records(const UpdateMessage& msg, UpdateResult& res);
  void grant_leases_locked(const Evaluation& ev, const std::optional<dns::UpdateLease>& lease,
                           const std::string& granted_to, int64_t now, LeaseChanges& lc,
                           UpdateResult& res) const;
  void drop_removed_leases_locked(const Evaluation& ev, LeaseChanges& lc) const;
  std::shared_ptr<zone::ZoneVersion> next_version_locked(
      const std::shared_ptr<const zone::ZoneVersion>& base, zone::ZoneDiff& diff,
      UpdateResult& res, int64_t now);
  void queue_locked(Staged& st, JournalEntry entry,
                    std::shared_ptr<const zone::ZoneVersion> version, LeaseChanges lc);
  // A reply decided against versions not yet durable waits for them too.
  void depend_locked(Staged& st) const;

  // Wait until `slot` is durable, leading a group commit if no one else is
  // (mu_ held via `lk`). True if it was committed.
  bool wait_durable(std::unique_lock<std::mutex>& lk, const std::shared_ptr<Slot>& slot);
  void commit_queue(std::unique_lock<std::mutex>& lk);
  Result<void> write_journal(std::vector<Pending>& batch);
  void roll_back_locked(std::vector<Pending>& batch, const Result<void>& why);
  // The unpublished head was changed in place by an update that then failed:
  // drop every queued update (not a commit under way) and go back to the
  // newest version committed or being committed.
  void abandon_queue_locked(const std::string& why);
  // The requester's result of a staged update whose commit has settled (mu_ held).
  UpdateResult finish_locked(Staged& st);

  // The writer thread: answers queued requests in batches.
  void run();
  std::vector<UpdateResult> apply_batch(std::vector<QueuedUpdate>& batch);
  void reply_batch(std::vector<QueuedUpdate>& batch, const std::vector<UpdateResult>& results);

  ServiceContext& ctx_;
  std::shared_ptr<const ZoneUpdateConfig> cfg_;  // accessed with std::atomic_load/store
  const dns::Name origin_;
  const uint16_t rclass_;
  const std::unique_ptr<Journal> journal_;
  net::WorkerMetrics* const metrics_;  // written by the writer thread only

  // Requests for the writer thread.
  std::mutex wq_mu_;
  std::condition_variable wq_cv_;
  std::vector<QueuedUpdate> wq_;
  bool wq_stop_ = false;
  std::thread thread_;
  std::vector<uint8_t> reply_buf_;  // the writer thread's

  mutable std::mutex mu_;  // everything below
  std::condition_variable cv_;
  std::shared_ptr<const zone::ZoneVersion> head_;       // newest, maybe not yet durable
  std::shared_ptr<const zone::ZoneVersion> committed_;  // newest durable (published)
  // `head_` while no reader can see it (built here, not yet published nor in
  // a commit under way): the next update of the batch changes it in place
  // instead of copying it (zone::ZoneVersion::apply_in_place).
  std::shared_ptr<zone::ZoneVersion> draft_;
  LeaseTable leases_;  // as of head_
  std::vector<Pending> queue_;  // evaluated, not yet committed
  std::shared_ptr<Slot> last_;  // slot of the newest queued entry
  // The newest version of the commit under way and its slot (null: none).
  std::shared_ptr<const zone::ZoneVersion> in_flight_;
  std::shared_ptr<Slot> in_flight_slot_;
  bool committing_ = false;
  int64_t next_refresh_ = 0;  // no RRSIG is due before this (0: scan to find out)
};

}  // namespace namae::update
