// namaed signing its own zones (issue 14): a [[zone]]'s `dnssec` or
// `dnssec-policy` becomes a signing::ZoneSigner with the zone's keys, which
// the zone manager (zones without a journal, signed whole at each load)
// and the update service (dynamic zones, signed incrementally) use.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/result.h"
#include "daemon/config.h"
#include "signing/zone_signer.h"

namespace namae::daemon {

/// The signing policy a zone's configuration gives.
signing::Policy signing_policy(const ZoneConfig& z);

/// The signer of a zone that signs (z.signs()): its keys read from, or on
/// first use generated into, its key-directory. An unusable key file is an
/// error naming it.
Result<std::shared_ptr<const signing::ZoneSigner>> make_zone_signer(const ZoneConfig& z, int64_t now);
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
