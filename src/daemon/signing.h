// namaed signing its own zones (issue 14): a [[zone]]'s `dnssec` or
// `dnssec-policy` becomes a signing::ZoneSigner with the zone's keys, which
// the zone manager (zones without a journal, signed whole at each load)
// and the update service (dynamic zones, signed incrementally) use.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <condition_variable>
#include <mutex>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "net/address.h"

#include "base/result.h"
#include "daemon/config.h"
#include "daemon/zones.h"
#include "signing/keys.h"
#include "signing/zone_signer.h"

namespace namae::update {
class UpdateService;
}

namespace namae::daemon {

/// The signing policy a zone's configuration gives.
signing::Policy signing_policy(const ZoneConfig& z);

/// The keys of a zone that signs (z.signs()), read from, or on first use
/// generated into, its key-directory, and rolled over by its policy. An
/// unusable key or state file is an error naming it.
Result<std::unique_ptr<signing::ZoneKeyRing>> open_key_ring(const ZoneConfig& z, int64_t now);

/// The key rings of the zones namaed signs: opened at start, stepped by
/// the daemon's loop every second (a rollover's new key or new times make
/// a new signer, handed to the zone manager and, for a dynamic zone, to
/// the update service; the next signature refresh then follows it), and
/// the `namae ctl dnssec` commands. A thread of its own asks the zones'
/// parental agents for their DS while a roll waits on the parent
/// (daemon/parent_ds.h); what they say is taken up by the next tick.
class KeyRings {
 public:
  KeyRings() = default;
  KeyRings(const KeyRings&) = delete;
  KeyRings& operator=(const KeyRings&) = delete;
  ~KeyRings();
  Result<void> open(const std::vector<ZoneConfig>& zones, ZoneManager& manager, int64_t now);
  /// The ring of one zone (a live reconfiguration adds a signed zone, or
  /// signing to a zone): opened or made as at a start, and stepped from now
  /// on; its signer.
  Result<std::shared_ptr<const signing::ZoneSigner>> open_zone(const ZoneConfig& z, int64_t now);
  /// A live reconfiguration gave a signed zone another policy (timing,
  /// algorithm, going insecure): its ring takes it (the next events
  /// computed anew) and the ring's signer is installed.
  Result<void> set_policy(const ZoneConfig& z, int64_t now, ZoneManager& manager, update::UpdateService* updates);
  void tick(int64_t now, ZoneManager& manager, update::UpdateService* updates);
  /// A zone no longer served: its ring is no longer stepped nor its parent
  /// asked (its key files and state stay for a zone added again).
  void forget(const dns::Name& origin);
  /// "ds NAME", "ds-seen NAME TAG", "ds-gone NAME", "status NAME": the reply ("ok" or "error: ...").
  std::string control(std::string_view args, ZoneManager& manager, update::UpdateService* updates, int64_t now);
  /// One round of parent DS checks at `now` (the checker thread's; tests
  /// call it directly): the zones whose check is due and that wait on the
  /// parent ask their agents; a verdict is queued for tick.
  void check_parents(int64_t now);

 private:
  struct Entry {
    dns::Name origin;
    std::unique_ptr<signing::ZoneKeyRing> ring;
    std::vector<net::Endpoint> agents;  // parental-agents
    uint32_t check_interval = 3600;
    int64_t next_check = 0;
  };
  struct Verdict {
    dns::Name origin;
    bool gone = false;
    uint16_t tag = 0;
  };
  Entry* find(const dns::Name& origin);
  static void set_agents(Entry& e, const ZoneConfig& z);
  static void install(const dns::Name& origin, const signing::ZoneKeyRing& ring, ZoneManager& manager,
                      update::UpdateService* updates);
  void take_verdicts(int64_t now, ZoneManager& manager, update::UpdateService* updates);
  void start_checker();

  std::mutex mu_;  // the daemon's loop, the control thread and the checker
  std::vector<Entry> rings_;
  std::mutex verdicts_mu_;
  std::vector<Verdict> verdicts_;
  std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;
  std::thread checker_;
};
/// `running` with the policy `z` now gives but what only a restart changes
/// (key directory, key split, denial) and its ring's going-insecure times
/// (a live reconfiguration: same keys), or null when nothing differs.
std::shared_ptr<const signing::ZoneSigner> with_new_policy(const signing::ZoneSigner& running, const ZoneConfig& z);

/// A zone signed from its file is namaed's own version of the file's zone
/// (as BIND's inline-signing): every load and every signature refresh makes
/// new records, so the serial it serves must keep rising even when the
/// file's does not, across restarts too, or secondaries that already hold a
/// higher serial would never take the new signatures. The serial last served
/// is kept in the key directory as `<zone>.serial` (written durably before
/// the version is published).
std::optional<uint32_t> read_served_serial(const ZoneConfig& z);
Result<void> store_served_serial(const ZoneConfig& z, uint32_t serial);
/// The file's serial when it is newer (RFC 1982) than the one last served,
/// else the next after that one.
uint32_t serial_to_serve(uint32_t file_serial, std::optional<uint32_t> last_served);

}  // namespace namae::daemon
