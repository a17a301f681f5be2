// The rules one name's content must follow, whoever builds it: the bulk
// ZoneBuilder (zone/builder.cpp) and diff application (zone/apply.cpp) both
// check a name here, and derive from here the flags its content gives it.
// Zone-wide checks that need lookups are check_zone()'s (zone/check.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "dns/name.h"
#include "dns/rrtype.h"
#include "zone/builder.h"
#include "zone/node.h"

namespace namae::zone {

/// One RRset's census for check_node(): how many records survived
/// deduplication and the tags of the records the messages point at.
struct TypeCount {
  uint16_t type;
  size_t count;
  uint32_t first_line = 0;
  uint32_t second_line = 0;
  uint32_t last_line = 0;
};

/// Appends to `issues` every rule the name breaks: CNAME alone at its name
/// (RFC 1034 3.6.2, RFC 2181 10.1) and single, one DNAME (RFC 6672), the
/// SOA only at the apex and single (RFC 1035 5.2), SOA and NS at the apex.
/// The messages follow named-checkzone's where it has one.
void check_node(std::span<const uint8_t> owner, bool apex, std::span<const TypeCount> types,
                const dns::Name& origin, std::vector<BuildIssue>& issues);

/// The flags a node's own content gives it (apex; DNAME; NS below the apex,
/// i.e. a cut). The rest (occluded, wildcard_child) depend on other names.
inline uint16_t content_flags(const Node& n, bool apex) {
  uint16_t f = apex ? node_flag::apex : 0;
  if (n.empty()) return f;
  if (n.find(dns::rrtype::DNAME)) f |= node_flag::dname;
  if (!apex && n.find(dns::rrtype::NS)) f |= node_flag::delegation;
  return f;
}

/// A cut or a DNAME: what occludes the names below (RFC 1034 4.3.2, RFC 6672).
inline bool occludes(const Node& n, bool apex) {
  return (content_flags(n, apex) & (node_flag::delegation | node_flag::dname)) != 0;
}

/// An uncompressed wire name in presentation form ("?" if malformed), for messages.
std::string owner_text(std::span<const uint8_t> wire);

/// The zone's name for messages: the origin without its final dot.
std::string zone_label(const dns::Name& origin);

}  // namespace namae::zone
