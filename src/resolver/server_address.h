// Upstream server addresses from A/AAAA rdata, and which of them the
// resolver may ask at all.
#pragma once

#include <cstdint>

#include "dns/rdata.h"
#include "net/address.h"

namespace namae::resolver {

/// The address in A (4 octets) or AAAA (16 octets) rdata, with `port`.
/// False for any other type or a wrong length.
bool endpoint_from_rdata(uint16_t type, const dns::RdataBytes& rd, uint16_t port,
                         net::Endpoint& ep);

/// False for addresses never worth asking: unspecified, multicast,
/// broadcast, and loopback unless `allow_loopback` (do-not-query-localhost).
bool address_allowed(const net::Endpoint& ep, bool allow_loopback);

}  // namespace namae::resolver
