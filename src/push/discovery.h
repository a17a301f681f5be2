// How DNS Push clients find the server of a zone (RFC 8765 6.1): the SRV
// record "_dns-push-tls._tcp.<zone>", which namaed adds to every zone it
// loads from a file while it listens for push sessions.
#pragma once

#include <cstdint>
#include <memory>

#include "zone/zone.h"

namespace namae::push {

/// `zone` with "_dns-push-tls._tcp.<origin> SRV 0 0 <port> <SOA MNAME>"
/// (the SOA TTL) added, unless the zone already has that SRV RRset (an
/// operator's own, or one written back to a dynamic zone's file). The
/// primary name server named in the SOA is the target: the host that takes
/// updates is the one that sees every change first.
std::shared_ptr<const zone::ZoneVersion> with_push_srv(std::shared_ptr<const zone::ZoneVersion> zone, uint16_t port);

}  // namespace namae::push
