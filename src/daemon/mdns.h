// Wiring the [mdns] role into namaed: one mdns::Stack (sockets on 5353, a
// responder and querier per interface) publishing the host name and the
// configured DNS-SD services, logging through spdlog.
#pragma once

#include <memory>

#include "base/result.h"
#include "daemon/config.h"
#include "mdns/stack.h"

namespace namae::daemon {

/// Check every [mdns] service (type shape, TXT rules, instance length) so a
/// bad entry is reported with its line before anything starts.
Result<std::vector<mdns::ServiceSpec>> mdns_services(const Config& cfg);

/// Start the responder for `cfg.mdns` (enabled) and publish its services.
Result<std::unique_ptr<mdns::Stack>> start_mdns(const Config& cfg);

}  // namespace namae::daemon
