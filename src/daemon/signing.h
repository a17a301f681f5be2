// namaed signing its own zones (issue 14): a [[zone]]'s `dnssec` or
// `dnssec-policy` becomes a signing::ZoneSigner with the zone's keys, which
// the zone manager (zones without a journal, signed whole at each load)
// and the update service (dynamic zones, signed incrementally) use.
#pragma once

#include <cstdint>
#include <memory>

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

}  // namespace namae::daemon
