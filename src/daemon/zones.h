// Loading the configured zones into ZoneSet snapshots, at start and on every
// reload (SIGHUP, `namae ctl reload`). Only files whose identity or contents'
// stat (inode, size, mtime) changed are re-read. A zone that fails to load
// keeps serving its previous version; its errors (file:line: reason) are
// logged and kept for `status`. Workers never wait: the new snapshot is
// published with one pointer swap.
#pragma once

#include <sys/stat.h>

#include <ctime>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "daemon/config.h"
#include "dns/name.h"
#include "net/metrics.h"
#include "signing/zone_signer.h"
#include "zone/zone_set.h"
#include "zonefile/parser.h"

namespace namae::daemon {

/// Outcome of one (re)load, for logs, `ctl reload` and tests.
struct ReloadReport {
  int loaded = 0;     // zones (re)read successfully
  int unchanged = 0;  // file not modified since the last successful load
  int failed = 0;     // zones that kept their previous version (or have none)
  std::vector<std::string> errors;  // "file:line: reason", one per diagnostic
  std::string summary() const;
};

/// A zone file read ahead of a live reconfiguration: nothing served changes
/// until ZoneManager::install().
struct LoadedZone {
  ZoneConfig config;
  dns::Name origin;
  std::shared_ptr<const zone::ZoneVersion> version;
  /// Set: the zone is signed by namaed (a zone without a journal whole at
  /// each load; a dynamic one by the update service).
  std::shared_ptr<const signing::ZoneSigner> signer;
  ino_t ino = 0;
  off_t size = -1;
  timespec mtime{};
  /// Remember the file as `st` describes it.
  void stamp(const struct stat& st) {
    ino = st.st_ino;
    size = st.st_size;
    mtime = st.st_mtim;
  }
  /// The file is still the one stamped (same inode, size and mtime).
  bool same_file(const struct stat& st) const {
    return st.st_ino == ino && st.st_size == size && st.st_mtim.tv_sec == mtime.tv_sec &&
           st.st_mtim.tv_nsec == mtime.tv_nsec;
  }
};

/// Owns the per-zone load state and publishes snapshots into a ZoneSetHolder.
class ZoneManager {
 public:
  ZoneManager(zone::ZoneSetHolder& holder, net::MetricsRegistry& metrics);

  /// Set the configured zones (at start). Names that do not parse are errors.
  Result<void> configure(const std::vector<ZoneConfig>& zones);
  /// (Re)load changed zones (all zones when `force`), publish a new snapshot
  /// if anything changed, and free snapshots no worker still holds.
  ReloadReport reload(bool force = false);
  /// Read `z`'s file for install() (a reconfiguration checks every new or
  /// changed zone this way before it changes anything). The error names
  /// the file, line and reason.
  Result<LoadedZone> read(const ZoneConfig& z, std::shared_ptr<const signing::ZoneSigner> signer = nullptr) const;
  /// Serve `z`: a new zone, or the zone of its origin with a new file or
  /// settings (an entry that was dynamic is static again until set_dynamic).
  void install(LoadedZone z);
  /// A [[zone]] with `primaries` added while running: SERVFAIL until its
  /// secondary publishes a version.
  Result<void> add_configured_secondary(const ZoneConfig& z);
  /// New settings of a served zone; its version and load state stay.
  void set_config(const ZoneConfig& z);
  /// Sign `origin` with `signer` from its next load or signature refresh on.
  void set_signer(const dns::Name& origin, std::shared_ptr<const signing::ZoneSigner> signer);
  /// The signer of `origin` (nullptr: not signed by namaed).
  std::shared_ptr<const signing::ZoneSigner> signer(const dns::Name& origin) const;
  /// Renew the RRSIGs that come due by `now` in the signed zones without a
  /// journal (dynamic zones renew theirs through the update service): the
  /// serial rises by one in memory and the new version is published.
  void refresh_signatures(int64_t now);
  /// Free retired snapshots (called periodically by the daemon).
  void reclaim() { holder_.reclaim(); }

  /// One line per zone: name, serial, state, file, last error.
  std::string status() const;
  size_t loaded_zones() const;
  /// The registry zone counters (and the roles serving these zones) report to.
  net::MetricsRegistry& metrics() { return metrics_; }

  /// The version currently served for `origin` (nullptr if none).
  std::shared_ptr<const zone::ZoneVersion> version(const dns::Name& origin) const;
  /// Hand `origin` over to dynamic update: from now on its versions come
  /// from publish_version() and reload() no longer re-reads its file (the
  /// update service rewrites it). False if `origin` is not configured.
  bool set_dynamic(const dns::Name& origin);
  /// Serve `v` as the new version of its zone (one pointer swap for
  /// readers). Safe to call from update threads while a reload runs. An
  /// unavailable zone becomes available again.
  void publish_version(std::shared_ptr<const zone::ZoneVersion> v);
  /// Withdraw a secondary zone (false: queries get SERVFAIL) or serve its
  /// version again (true).
  void set_available(const dns::Name& origin, bool available);

  /// A secondary zone that came while running (a member of a consumed
  /// catalog, RFC 9432): SERVFAIL until its secondary publishes a version.
  /// Its file is the secondary's, never read by reload(). An origin that is
  /// already served is an error.
  Result<void> add_secondary_zone(const dns::Name& origin, const std::string& file, bool member = true);
  /// Stop serving `origin` (it drops out of the next snapshot; queries for
  /// it are then answered as for any zone not served). False if not there.
  bool remove_zone(const dns::Name& origin);

  /// Told of every new version a zone serves, whatever made it: a dynamic
  /// update's publish_version(), a reload that read a changed file, (later)
  /// a zone transfer. Outgoing NOTIFY and the catalog consumer hang here, so
  /// no source of versions can forget them. Called on the publishing thread
  /// after the new snapshot is out and outside the manager's lock (an
  /// observer may call version()). Add observers before anything publishes.
  using VersionObserver = std::function<void(const std::shared_ptr<const zone::ZoneVersion>&)>;
  void add_observer(VersionObserver f) { observers_.push_back(std::move(f)); }

  /// Applied to every version read from a zone file (reload() and read(),
  /// before a zone is signed),
  /// for records the server adds to the zones it serves (the DNS Push SRV,
  /// RFC 8765 6.1). Set before anything loads.
  using LoadHook = std::function<std::shared_ptr<const zone::ZoneVersion>(std::shared_ptr<const zone::ZoneVersion>)>;
  void set_load_hook(LoadHook f) { load_hook_ = std::move(f); }

 private:
  Result<std::shared_ptr<const zone::ZoneVersion>> load_file(const std::string& file, const dns::Name& origin,
                                                             std::vector<zonefile::Diagnostic>& diags) const;
  // A served zone: what read() gives (config, origin, version, file stamp)
  // and how it is kept.
  struct Entry : LoadedZone {
    std::string last_error;
    time_t loaded_at = 0;
    bool dynamic = false;  // versions come from the update service
    bool secondary = false;  // versions come from transfers (config `primaries`)
    bool available = true;   // false: SERVFAIL (a secondary expired or not transferred yet)
    bool member = false;     // added by add_secondary_zone() (a catalog member)
    int64_t next_refresh = 0;  // no RRSIG of a signed zone is due before this
  };
  Entry* find_locked(const dns::Name& origin);
  void publish_locked();
  void tell_observers(const std::vector<std::shared_ptr<const zone::ZoneVersion>>& versions) const;
  zone::ZoneSetHolder& holder_;
  net::MetricsRegistry& metrics_;
  // By pointer, so an Entry stays put while zones come and go.
  std::vector<std::unique_ptr<Entry>> zones_;
  std::vector<VersionObserver> observers_;
  LoadHook load_hook_;
  // Guards the versions of dynamic entries, every publish() and every
  // change to the list, so an update's publish and a reload's never undo
  // one another.
  mutable std::mutex mu_;
  // Held by reload() while it walks the list without mu_ (it reads files),
  // and by add/remove, which change the list.
  std::mutex list_mu_;
};

}  // namespace namae::daemon
