// A signed zone's keys on disk (BIND K-files, dnssec/key_file.h): read from
// the policy's key directory, generated there on first use, so a restart
// signs with the same keys (same key tags, same DS at the parent).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "dns/name.h"
#include "dnssec/key_file.h"
#include "signing/policy.h"

namespace namae::signing {

/// The keys of `zone` in `policy.key_directory` (created 0700 if missing).
/// A zone without a key gets a CSK, or a KSK and a ZSK with split_keys; a
/// key file that cannot be used (readable by others, malformed, of another
/// algorithm than the policy's) is an error naming the file.
Result<std::vector<dnssec::ZoneKey>> zone_keys(const dns::Name& zone, const Policy& policy,
                                               int64_t now);

}  // namespace namae::signing
