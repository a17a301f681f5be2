// Loading a zone version from an RFC 1035 master file: the zonefile parser
// feeds the ZoneBuilder record by record, and every problem comes back as a
// zonefile::Diagnostic naming file and line (issue 3: "a zone that fails to
// load keeps its old version and the error is logged with file and line").
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "dns/name.h"
#include "zone/zone.h"
#include "zonefile/parser.h"

namespace namae::zone {

/// Parse `path` as the master file of zone `origin` and build a version.
/// All diagnostics (parser errors and warnings, out-of-zone records, the
/// builder's per-name rules and check_zone's zone-wide ones) are appended to
/// `diags`; the result fails if any is an error.
Result<std::shared_ptr<const ZoneVersion>> load_zone_file(const std::string& path,
                                                          const dns::Name& origin,
                                                          std::vector<zonefile::Diagnostic>& diags,
                                                          uint16_t rclass = dns::rrclass::IN);

/// Same with every parser setting ($INCLUDE policy, class, error bound);
/// `options.origin` is the zone's origin and must be set.
Result<std::shared_ptr<const ZoneVersion>> load_zone_file(const std::string& path,
                                                          const zonefile::ParserOptions& options,
                                                          std::vector<zonefile::Diagnostic>& diags);

/// Same for zone text held in memory (`file_name` is used in diagnostics).
Result<std::shared_ptr<const ZoneVersion>> load_zone_text(std::string text,
                                                          const std::string& file_name,
                                                          const dns::Name& origin,
                                                          std::vector<zonefile::Diagnostic>& diags,
                                                          uint16_t rclass = dns::rrclass::IN);

/// Same for text with every parser setting; `options.origin` must be set.
Result<std::shared_ptr<const ZoneVersion>> load_zone_text(std::string text,
                                                          const std::string& file_name,
                                                          const zonefile::ParserOptions& options,
                                                          std::vector<zonefile::Diagnostic>& diags);

}  // namespace namae::zone
