// The zones this host serves authoritatively, as the resolver sees them: a
// seam the daemon fills with the authoritative engine over the published
// ZoneSet, so the resolver answers them with no network hop and sees a
// dynamic update the moment it is published, without depending on the auth
// and zone modules (docs/ARCHITECTURE.md, layering).
#pragma once

#include <cstddef>
#include <optional>
#include <span>

#include "dns/name.h"
#include "net/handler.h"

namespace namae::resolver {

class LocalAuthority {
 public:
  virtual ~LocalAuthority() = default;
  /// The origin of the deepest zone served here that holds `name` (one that
  /// cannot be answered now, an expired secondary, counts: its answer is
  /// SERVFAIL, as the authoritative listener gives).
  virtual std::optional<dns::Name> zone_of(const dns::Name& name) = 0;
  /// The authoritative engine's response to the whole DNS message `query`
  /// as `client` sent it (its allow-query applies), written to `out`; its
  /// length, 0 when there is none. Thread-safe.
  virtual size_t answer(std::span<const uint8_t> query, std::span<uint8_t> out,
                        const net::Peer& client) = 0;
};

}  // namespace namae::resolver
