// UpdateService: the server side of dynamic update. It answers UPDATE
// messages (set as AuthEngine's opcode handler, so UDP and TCP alike),
// verifies TSIG, decides permission, runs the RFC 2136 engine, commits the
// diff and its lease changes to the journal, publishes the new zone version,
// and only then replies. It also removes RRs whose leases ran out and writes
// dynamic zones back to their files.
//
// One UPDATE's path, file by file:
//   request.cpp      on the transport worker: TSIG, the zone, permission;
//                    queued to the zone's writer (net::kDeferred)
//   writer.h/.cpp    the zone's writer thread takes a batch, evaluates each
//                    update against the newest version, commits the batch in
//                    one journal transaction (one fsync), publishes, and
//                    replies through each request's net::ReplyChannel
//                    (reply and lease option built by request.cpp)
//   maintenance.h    lease expiry, zone file rewrite and journal compaction,
//                    on the maintenance thread, through the same writer
//
// Concurrency: one writer per zone. Direct callers (apply, lease expiry,
// tests calling handle() without a channel) use the same queue of evaluated
// changes synchronously: a zone's mutex serialises evaluation, the commit
// runs outside it, and whichever waiting thread finds no commit in progress
// commits everything queued so far (group commit). Readers never see a
// version before it is durable. If a commit fails, every update evaluated on
// top of it is answered SERVFAIL and the zone goes back to the last durable
// version; if signing an update fails after it changed the unpublished head
// in place, the updates queued with it are, and the head goes back to the
// version committed or being committed.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/engine.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/published.h"
#include "dns/edns.h"
#include "dns/tsig.h"
#include "net/metrics.h"
#include "signing/zone_signer.h"
#include "update/engine.h"
#include "update/journal.h"
#include "update/leases.h"
#include "update/policy.h"
#include "zone/zone.h"

namespace namae::update {

/// Dynamic-update settings of one zone (from [[zone]], docs/config.md).
struct ZoneUpdateConfig {
  dns::Name origin;
  std::string file;     // master file rewritten from memory ("" = never)
  std::string journal;  // SQLite journal path ("" = none: in memory only, tests and fuzzing)
  UpdatePolicy policy;
  net::AddressAcl allow_update;
  LeasePolicy leases;
  EngineOptions engine;
  /// Accepts SRP registrations (RFC 9665, srp.h): updates without TSIG,
  /// signed with SIG(0) by the key they carry.
  bool srp = false;
  uint32_t file_sync_interval = 300;  // seconds; 0 = only by sync_files(true)
  uint32_t journal_keep = 1000;
  /// Set: namaed keeps the zone signed (every update re-signs what it
  /// changed in the same version; DNSSEC records cannot be updated).
  std::shared_ptr<const signing::ZoneSigner> signer;
};

/// Makes a new version of a zone visible to readers (the daemon swaps its
/// ZoneSet). Called with versions in commit order, never concurrently for
/// one zone.
using Publisher = std::function<void(std::shared_ptr<const zone::ZoneVersion>)>;

/// The outcome of one update as the requester sees it.
struct UpdateResult {
  uint16_t rcode = 0;
  std::string reason;
  bool changed = false;               // a new version was committed
  uint32_t serial = 0;                // the zone's serial afterwards
  std::optional<uint32_t> lease;      // granted (RFC 9664)
  std::optional<uint32_t> key_lease;  // granted KEY-LEASE
};

/// Counters for status and tests.
struct UpdateStats {
  uint64_t received = 0, applied = 0, refused = 0, failed = 0;
  uint64_t commits = 0;  // journal transactions (group commit: commits <= applied)
  uint64_t expired = 0;  // RRs removed by lease expiry
};

struct ServiceContext;
struct CheckedUpdate;
class ZoneWriter;
class Maintenance;

class UpdateService : public auth::RequestHandler {
 public:
  /// `keys` verify TSIG on updates; `publish` shows new versions to readers;
  /// `clock` (which must outlive the service) gives lease and TSIG time.
  UpdateService(std::vector<dns::TsigKey> keys, Publisher publish,
                const Clock& clock = system_clock(), LogSink log = {});
  ~UpdateService() override;
  UpdateService(const UpdateService&) = delete;
  UpdateService& operator=(const UpdateService&) = delete;

  /// Make `cfg.origin` dynamic, starting from `loaded` (the zone file): opens
  /// the journal, replays it from the file's serial, loads the leases and
  /// publishes the result, which it also returns. Call before serving.
  Result<std::shared_ptr<const zone::ZoneVersion>> add_zone(
      const ZoneUpdateConfig& cfg, std::shared_ptr<const zone::ZoneVersion> loaded);
  bool has_zone(const dns::Name& origin) const { return find(origin) != nullptr; }
  /// Stop taking updates for `origin` (live reconfiguration removed it or
  /// changed its file or journal): its writer answers what it holds, the
  /// zone is written to its file and the journal closed. False if not dynamic.
  bool remove_zone(const dns::Name& origin);
  /// New policy, allow-update, lease and sync settings of a dynamic zone
  /// (same origin, file and journal); updates checked from now on use them.
  bool set_zone_config(const ZoneUpdateConfig& cfg);
  /// Sign `origin` with `signer` from now on (a key rollover's new keys;
  /// the zone's signatures are checked against it at the next refresh).
  bool set_signer(const dns::Name& origin, std::shared_ptr<const signing::ZoneSigner> signer);
  /// The TSIG keys updates are verified against from now on.
  void set_keys(std::vector<dns::TsigKey> keys);
  /// The newest durable version of a dynamic zone (nullptr if not dynamic).
  std::shared_ptr<const zone::ZoneVersion> current(const dns::Name& origin) const;
  /// The journal of a dynamic zone, for IXFR (nullptr: not dynamic, or in
  /// memory only). Thread-safe, like every Journal call; it stays open while
  /// held, even if a reconfiguration removes the zone meanwhile.
  std::shared_ptr<const Journal> journal(const dns::Name& origin) const;

  /// auth::RequestHandler: answer one UPDATE message (thread-safe). With a
  /// deferrable peer it returns net::kDeferred and the zone's writer replies
  /// once the change is durable; otherwise it blocks until then.
  size_t handle(const dns::MessageView& query, std::span<uint8_t> response, const net::Peer& peer,
                const zone::ZoneSet& zones) override;

  /// Apply an already-read update with a decided permission (the DNS path
  /// after TSIG and ACL, the HTTP API).
  UpdateResult apply(const UpdateMessage& msg, const Permission& permission,
                     std::optional<dns::UpdateLease> lease = std::nullopt,
                     const std::string& granted_to = {});

  /// Remove every RR whose lease ended at or before `now`, one journaled
  /// update per zone. Returns the number of leases ended.
  size_t expire(int64_t now);
  /// Renew the RRSIGs of signed zones that come due by `now`, one
  /// journaled version per zone that needs it. Returns the zones changed.
  size_t refresh_signatures(int64_t now);
  /// Earliest lease expiry over all zones.
  std::optional<int64_t> next_expiry() const;
  /// Leases held in a zone (for status and tests).
  std::vector<Lease> leases(const dns::Name& origin) const;

  /// Write zones changed since their last write to their files (all changed
  /// zones when `force`, else those whose file-sync-interval has passed),
  /// then compact their journals. Errors of each zone are joined.
  Result<void> sync_files(bool force);

  /// Count replies the zones' writer threads send (deferred UPDATE answers)
  /// in `registry`, as the transports count theirs: one counter block per
  /// zone writer, its only writer. Call before add_zone().
  void set_metrics(net::MetricsRegistry* registry) { metrics_ = registry; }

  /// Start the maintenance thread (lease expiry, periodic file sync).
  void start();
  /// Stop it (no final sync: call sync_files(true) after).
  void stop();

  UpdateStats stats() const;
  /// One line per dynamic zone for `namae ctl status`.
  std::string status() const;

 private:
  using Writers = std::vector<std::shared_ptr<ZoneWriter>>;
  // Workers find a zone's writer in this list without a lock (one atomic
  // load per UPDATE); the control thread swaps it whole (writers_mu_).
  std::shared_ptr<ZoneWriter> find(const dns::Name& origin) const;
  std::shared_ptr<const Writers> writers() const { return std::atomic_load(&writers_); }
  // The request side (request.cpp): every check an UPDATE passes on the
  // transport worker, before any zone lock. NOERROR, or the rcode to reply.
  uint16_t check(const dns::MessageView& query, const net::Peer& peer, const zone::ZoneSet& zones,
                 int64_t now, CheckedUpdate& out, std::shared_ptr<ZoneWriter>& zone) const;
  // Verifies into out.tsig, keeping the key table it used alive in out.keys.
  uint16_t verify_tsig(const dns::MessageView& query, const net::Peer& peer, int64_t now,
                       CheckedUpdate& out) const;
  uint16_t find_zone(const UpdateMessage& msg, const net::Peer& peer,
                     const zone::ZoneSet& zones, std::shared_ptr<ZoneWriter>& zone) const;
  // An SRP update's SIG(0), shape and lease (RFC 9665 3.3): fills the
  // claim into out.permission, the update as applied into out.msg.
  uint16_t check_srp(const dns::MessageView& query, int64_t now, CheckedUpdate& out) const;

  Published<std::vector<dns::TsigKey>> keys_;
  std::unique_ptr<ServiceContext> ctx_;
  std::shared_ptr<const Writers> writers_;  // accessed with std::atomic_load/store
  std::mutex writers_mu_;  // add_zone/remove_zone, one at a time
  std::unique_ptr<Maintenance> maintenance_;
  net::MetricsRegistry* metrics_ = nullptr;
};

}  // namespace namae::update
