// Root hints: where iteration starts before the root's own NS RRset is
// known (RFC 1034 5.3.2 SBELT). Read from a named.root-format file (so a
// private root works, as in the system tests) or the built-in IANA copy.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "net/address.h"
#include "dns/record.h"

namespace namae::resolver {

/// The root's NS names and their addresses.
struct RootHints {
  std::vector<dns::Name> ns_names;
  /// Address records of those names (A and AAAA RRsets).
  std::vector<dns::RRset> addresses;

  /// Every address of `ns` listed in the hints, on port 53.
  std::vector<net::Endpoint> endpoints_of(const dns::Name& ns, uint16_t port) const;
};

/// Parse named.root-format text (a master file with NS records for "." and
/// A/AAAA records for the servers). `source` names it in errors.
Result<RootHints> parse_root_hints(std::string_view text, const std::string& source);
/// Read and parse a hints file.
Result<RootHints> load_root_hints(const std::string& path);
/// The IANA root hints compiled in (named.root of 2024).
const RootHints& builtin_root_hints();

}  // namespace namae::resolver
