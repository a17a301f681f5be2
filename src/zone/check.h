// Zone-wide checks of a built version: the rules that need lookups across
// names, which named-checkzone (and so `namae zone check` and namaed) apply
// on top of the per-name rules ZoneBuilder enforces. Together they are the
// one place zone validation lives (zone/node_rules.h has the per-name half).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "zone/builder.h"
#include "zone/zone.h"
#include "zonefile/parser.h"

namespace namae::zone {

/// Check `z` and append what is wrong, in canonical name order:
///  - an in-zone target of an apex NS record without A/AAAA, or that is a
///    CNAME (error: named-checkzone refuses such a zone; RFC 2181 10.3);
///  - the same for delegations' NS targets (missing glue, RFC 1034 4.2.1)
///    and for MX and SRV targets (warnings: BIND reports them and loads);
///  - data at a delegation other than NS, DS and glue, and data below a
///    delegation (other than address glue) or below a DNAME (warning: it is
///    occluded and never served, RFC 6672 2.3).
/// `record_tags` (ZoneBuilder::record_tags(), one per record in version
/// order) give each issue its record's tag; empty means 0 for all.
void check_zone(const ZoneVersion& z, std::span<const uint32_t> record_tags,
                std::vector<BuildIssue>& issues);

/// Same, as diagnostics without file or line (for versions not read from a file).
void check_zone(const ZoneVersion& z, std::vector<zonefile::Diagnostic>& diags);

/// RRSIGs of `z` whose validity period (RFC 4034 3.1.5, serial number
/// arithmetic) does not include `now` (seconds since the epoch): one warning
/// with their count and the first of them. A pre-signed zone is served as
/// it is; validators will reject those answers until it is signed again.
void check_signatures(const ZoneVersion& z, uint32_t now, std::vector<zonefile::Diagnostic>& diags);

}  // namespace namae::zone
