// One secondary zone (RFC 1034 4.3.5, RFC 1996): its copy of the zone and
// the SOA timers that keep it fresh. Driven from outside: a service thread
// calls tick() when next_event_ms() is due (unit tests do, with a
// FakeClock and a scripted Fetcher), and NOTIFY or `namae ctl` ask for an
// early check.
//
// A check reads like the resolver's iterator, one function per state:
// refresh() asks each primary's SOA serial; a newer serial (RFC 1982) leads
// to transfer(), which asks for IXFR from ours and installs the answer as
// install_full() (a new version built whole) or install_steps() (the IXFR
// steps applied one by one, falling back to AXFR when they do not apply);
// success is contacted(), failure failed(). Every new version is built and
// checked (zone/check.h) before anything else sees it, saved (zone file
// after a full transfer, journal entries after IXFR) and only then
// published, so readers never see half a transfer and a broken one leaves
// the old version serving. After `expire` seconds without contact the zone
// is withdrawn (SERVFAIL) until a primary answers again.
//
// A NOTIFY (RFC 1996 4.4: "a slave which receives a valid NOTIFY should
// defer action on any subsequent NOTIFY ... until it has completed the
// transaction begun by the first") that arrives while a check runs is not
// dropped either: the check, once done, is followed at once by another, so
// a serial announced during a transfer is fetched right after it (without
// this, the refresh timer set at the end of the check would swallow it).
//
// The journal of received IXFR steps is also what this server's own IXFR
// answers come from (RFC 1995 as a primary to its downstream secondaries,
// chains primary -> secondary -> secondary): journal() hands it out.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "base/result.h"
#include "update/journal.h"
#include "xfr/client.h"
#include "xfr/remote.h"
#include "zone/zone.h"

namespace namae::xfr {

struct SecondaryConfig {
  dns::Name origin;
  std::vector<Remote> primaries;
  std::string file;     // where the zone is saved (may not exist yet)
  std::string journal;  // the IXFR steps since the file was written
  size_t journal_keep = 1000;  // entries beyond which the file is rewritten and the journal compacted
};

/// How a secondary changes what the server answers.
struct SecondaryHooks {
  /// Serve `v` (a checked, saved version) from now on.
  std::function<void(std::shared_ptr<const zone::ZoneVersion>)> publish;
  /// false: answer SERVFAIL for the zone (expired, or never transferred); true: serve it again.
  std::function<void(bool)> set_available;
};

/// Counters the metrics export (per zone; read under the secondary's lock).
struct SecondaryCounters {
  uint64_t transfers = 0;  // versions installed (AXFR or IXFR)
  uint64_t bytes = 0;      // octets of transfer responses received
  uint64_t failures = 0;   // checks or transfers that failed
};

/// What `namae ctl zone status` shows. Times are unix seconds, 0 for never.
struct SecondaryStatus {
  std::optional<uint32_t> serial;
  std::vector<std::string> primaries;
  int64_t last_refresh = 0;  // last successful contact with a primary
  int64_t next_refresh = 0;
  int64_t expires_at = 0;    // 0: no data to expire
  bool available = false;
  std::string last_error;
  SecondaryCounters counters;
};

class Secondary {
 public:
  Secondary(SecondaryConfig config, Fetcher& fetcher, const Clock& clock, SecondaryHooks hooks,
            LogSink log = {});

  /// Start-up: the saved zone file plus the journal's steps, served at once
  /// and checked with the primaries right away. No file yet: nothing is
  /// served until the first transfer. A file or journal that cannot be read
  /// is an error.
  Result<void> load();

  /// Run whatever is due: expiry, then a check (and transfer) if its time came.
  void tick();
  /// Monotonic ms of the next thing tick() has to do.
  int64_t next_event_ms() const;

  /// Check with the primaries at the next tick (NOTIFY, `ctl zone refresh`).
  void refresh_soon();
  /// Transfer the whole zone at the next tick, whatever the serials (`ctl zone retransfer`).
  void retransfer_soon();
  /// The zone left the server (a catalog dropped it): wait for a tick in
  /// progress on another thread to end, close the journal, and from now on
  /// do nothing: tick() returns at once and no hook is called again, so a
  /// service thread still holding this secondary cannot resurrect the zone
  /// or write to files about to be deleted. Never call it from this
  /// secondary's own tick (its hooks): that would wait for itself.
  void retire();
  /// True if `addr` (IP only: NOTIFY may come from any port) is one of the primaries.
  bool is_primary(const net::Endpoint& addr) const;
  /// The key a primary signs with (NOTIFY must be signed with it), if any.
  std::optional<dns::TsigKey> key() const;

  const dns::Name& origin() const { return cfg_.origin; }
  /// Origin, file, journal and journal-keep (the primaries may change: primaries()).
  const SecondaryConfig& config() const { return cfg_; }
  /// A copy: set_primaries() may replace them while a worker or the
  /// update forwarder reads them.
  std::vector<Remote> primaries() const;
  /// New keys for the same primaries (a live reconfiguration changed a
  /// [[key]]'s secret): the next check uses them; one running finishes
  /// with the copy it took.
  void set_primaries(std::vector<Remote> primaries);
  SecondaryStatus status() const;
  /// The version being served (nullptr before the first transfer).
  std::shared_ptr<const zone::ZoneVersion> version() const;
  /// The IXFR steps received and kept (at most about journal_keep; emptied
  /// by a full transfer), for serving IXFR onwards; nullptr before load().
  /// Shared, so a transfer thread that got it keeps it open even if the
  /// zone goes away meanwhile; update::Journal serializes its own calls, so
  /// readers may use it while tick() appends or compacts (they see the
  /// chain before or after; a serial compacted away is answered AXFR-style).
  std::shared_ptr<const update::Journal> journal() const;

 private:
  // The states of one check.
  void refresh(bool whole);
  Result<void> transfer(const Remote& primary, bool whole);
  Result<void> install_full(Transfer& t);
  Result<void> install_steps(Transfer& t);
  void publish(std::shared_ptr<const zone::ZoneVersion> v, const std::string& how);
  void contacted(const Remote& primary);
  void failed(const std::string& why);
  int64_t next_check_locked(int64_t now, int64_t wait_ms) const;
  void expire();

  Result<void> save_full(const zone::ZoneVersion& v);
  Result<void> save_steps(const std::vector<XfrStep>& steps, const zone::ZoneVersion& v);
  std::optional<dns::Record> our_soa() const;
  void say(LogLevel level, const std::string& text) const;

  SecondaryConfig cfg_;
  Fetcher& fetcher_;
  const Clock& clock_;
  SecondaryHooks hooks_;
  LogSink log_;
  // Set by load() under mu_ (journal() copies it under mu_); written to
  // only by tick()'s thread; dropped by retire() under mu_.
  std::shared_ptr<update::Journal> journal_;
  std::mutex work_mu_;  // held by tick() and retire(): a retired secondary works no more

  mutable std::mutex mu_;  // cfg_.primaries and everything below: tick() writes, status()/refresh_soon() read
  std::shared_ptr<const zone::ZoneVersion> version_;
  int64_t next_check_ms_ = 0;
  int64_t expire_at_ms_ = 0;   // 0: nothing to expire
  int64_t last_contact_unix_ = 0;
  bool available_ = false;
  bool whole_ = false;         // the next check transfers the whole zone
  bool retired_ = false;       // retire() was called: no more work, no more hooks
  // Requests for a check (refresh_soon) and for a whole transfer
  // (retransfer_soon) so far, and the counts when the running check began:
  // a difference at its end means one came during it, so it runs again.
  uint64_t asked_ = 0, asked_whole_ = 0;
  uint64_t check_asked_ = 0, check_asked_whole_ = 0;
  std::string last_error_;
  SecondaryCounters counters_;
};

}  // namespace namae::xfr
