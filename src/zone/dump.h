// Canonical dumps of a zone version (`namae zone check --dump`): one RR a
// line in zonefile::format_record's form, names in RFC 4034 6.1 order, RRsets
// by type number (RRSIGs last, by covered type) and rdata in RFC 4034 6.3
// order, so a dump is byte-stable and compares line by line with other tools.
#pragma once

#include <cstdio>

#include "zone/zone.h"

namespace namae::zone {

/// Write every record of `z` to `out`. Returns false on a write error.
bool write_canonical(std::FILE* out, const ZoneVersion& z);

}  // namespace namae::zone
