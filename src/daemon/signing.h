// namaed signing its own zones (issue 14): a [[zone]]'s `dnssec` or
// `dnssec-policy` becomes a signing::ZoneSigner with the zone's keys, which
// the zone manager (zones without a journal, signed whole at each load)
// and the update service (dynamic zones, signed incrementally) use.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <mutex>
#include <string_view>
#include <utility>
#include <vector>

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
/// the `namae ctl dnssec` commands.
class KeyRings {
 public:
  Result<void> open(const std::vector<ZoneConfig>& zones, ZoneManager& manager, int64_t now);
  /// The ring of one zone (a live reconfiguration adds a signed zone, or
  /// signing to a zone): opened or made as at a start, and stepped from now
  /// on; its signer.
  Result<std::shared_ptr<const signing::ZoneSigner>> open_zone(const ZoneConfig& z, int64_t now);
  /// A live reconfiguration gave `origin` other signature timing: the
  /// signers the ring makes from now on keep it.
  void set_signature_timing(const dns::Name& origin, const signing::Policy& p);
  void tick(int64_t now, ZoneManager& manager, update::UpdateService* updates);
  /// "ds NAME", "ds-seen NAME TAG", "status NAME": the reply ("ok" or "error: ...").
  std::string control(std::string_view args, ZoneManager& manager, update::UpdateService* updates, int64_t now);

 private:
  signing::ZoneKeyRing* find(const dns::Name& origin);
  static void install(const dns::Name& origin, const signing::ZoneKeyRing& ring, ZoneManager& manager,
                      update::UpdateService* updates);

  std::mutex mu_;  // the daemon's loop and the control thread
  std::vector<std::pair<dns::Name, std::unique_ptr<signing::ZoneKeyRing>>> rings_;
};
/// `running` with the signature validity and refresh `z` now gives (a live
/// reconfiguration: same keys), or null when they are the ones it has.
std::shared_ptr<const signing::ZoneSigner> with_new_validity(const signing::ZoneSigner& running, const ZoneConfig& z);

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
