// Names that belong to multicast DNS, not to the unicast DNS tree (RFC 6762
// 3, 12 and 22.1): `local.` and the link-local reverse zones
// 254.169.in-addr.arpa (RFC 3927) and 8/9/a/b.e.f.ip6.arpa (fe80::/10).
// Neither the resolver nor the stub library may send them to unicast servers.
#pragma once

#include <vector>

#include "dns/name.h"

namespace namae::resolver {

/// The zones above, `local.` first.
const std::vector<dns::Name>& link_local_zones();

/// The zone of link_local_zones() that holds `name`, or nullptr.
const dns::Name* link_local_zone(const dns::Name& name);

/// True if `name` is multicast DNS's (at or below one of the zones).
inline bool is_link_local_name(const dns::Name& name) { return link_local_zone(name) != nullptr; }

}  // namespace namae::resolver
