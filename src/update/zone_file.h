// Writing a dynamic zone back to its master file from memory (at intervals
// and on clean shutdown), crash-safely: a temporary file in the same
// directory is written and fsync'ed, renamed over the old file, and the
// directory fsync'ed, so the file on disk is always either the old or the
// new version, never a mix.
#pragma once

#include <string>

#include "base/result.h"
#include "zone/zone.h"

namespace namae::update {

/// The zone as master-file text: a comment header, the SOA first, then every
/// other RR in canonical order, one `zonefile::format_record` line each
/// (absolute names, explicit TTL and class, so no $ORIGIN/$TTL is needed).
std::string zone_to_text(const zone::ZoneVersion& zone);

/// Atomically replace `path` with zone_to_text(zone).
Result<void> write_zone_file(const std::string& path, const zone::ZoneVersion& zone);

}  // namespace namae::update
