// Loading a whole zone file and checking it as a zone (what named-checkzone
// and `namae zone check` do): origin discovery, RRset TTL consistency,
// duplicate removal, canonical order, and the RFC 1034/2181 structure checks.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dns/name.h"
#include "zonefile/parser.h"

namespace namae::zonefile {

/// Settings for load_zone.
struct LoadOptions {
  /// Zone origin. Without it, the owner of the file's first SOA record is used
  /// (the file then must not use relative names before its first $ORIGIN).
  std::optional<dns::Name> origin;
  /// Parser settings (class, $INCLUDE policy, error bound). Its `origin` is
  /// ignored in favour of the one above.
  ParserOptions parser;
};

/// A loaded zone: records in canonical order (writer.h), duplicates removed,
/// each RRset with one TTL; plus everything found wrong with it.
struct LoadedZone {
  dns::Name origin;
  /// False when no origin was given and none could be found (origin is then ".").
  bool origin_known = false;
  uint16_t rclass = 1;
  uint32_t serial = 0;
  std::vector<Record> records;
  std::vector<Diagnostic> diagnostics;
  size_t errors = 0;
  /// True when the zone may be served: no errors.
  bool ok() const { return errors == 0; }
};

/// Parse `path` and check it (check_zone). Never throws; problems are in
/// the diagnostics.
LoadedZone load_zone(const std::string& path, const LoadOptions& options);

/// Same, for text in memory (`file_name` is for messages and $INCLUDE paths).
LoadedZone load_zone_text(std::string text, const std::string& file_name,
                          const LoadOptions& options);

/// Turn records in file order into a zone: drop out-of-zone data (error),
/// unify RRset TTLs (first TTL wins, as BIND does, with a warning), drop
/// duplicates (note), sort canonically, then run the structural checks:
///  - exactly one SOA, at the apex (error); serial taken from it;
///  - NS at the apex (error);
///  - CNAME with other data, or more than one CNAME/DNAME (error; RRSIG,
///    NSEC and, per RFC 6604, nothing else may share a name with a CNAME);
///  - in-zone NS targets without A/AAAA, or that are CNAMEs (error);
///  - in-zone MX/SRV targets without A/AAAA (warning, as BIND);
///  - data below a delegation or DNAME that is not glue (warning: occluded).
void build_zone(LoadedZone& zone, std::vector<Record> records);

}  // namespace namae::zonefile
