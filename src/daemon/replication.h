// Wiring replication into namaed: outgoing NOTIFY for zones with `notify`
// targets (src/xfr/notifier.h) and the catalog zones namaed generates
// (src/xfr/catalog.h). Consumed catalogs belong to the secondary role
// (src/daemon/secondary.h), whose zones they add and remove.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "base/result.h"
#include "daemon/config.h"
#include "daemon/zones.h"
#include "xfr/notify_service.h"

namespace namae::daemon {

/// Write the file of every zone with catalog-role = "generate" from the
/// zones whose catalog-zone names it (before zones load, so the catalog
/// loads like any zone). The serial changes only when the member set does.
Result<void> write_generated_catalogs(const Config& cfg);

/// `namaed --check`: build every generated catalog in memory (nothing is
/// written) and take those whose file start-up has not written yet out of
/// `zones`, so that the check loads the rest. One line per catalog.
Result<std::string> check_generated_catalogs(const Config& cfg, std::vector<ZoneConfig>& zones);

/// The NOTIFY targets of every zone (empty for a zone without `notify`).
Result<std::vector<std::pair<dns::Name, std::vector<xfr::Remote>>>> notify_targets(const Config& cfg);

/// A NotifyService that every new version of a zone with `notify` targets
/// reaches (a ZoneManager observer), made even when no zone has targets yet
/// (a reconfiguration may add some). Call
/// before the zones first load, so their first versions are notified too;
/// it is not started: the caller starts it once the listeners are up (what
/// was published until then is held and sent by start(), see
/// notify_service.h), so that a downstream's SOA query or IXFR in answer
/// to the NOTIFY finds this server listening.
Result<std::unique_ptr<xfr::NotifyService>> make_notify(const Config& cfg, ZoneManager& zones);

/// `ctl zone notify NAME`: send NOTIFY for NAME's current version now.
std::string notify_command(xfr::NotifyService* notify, const ZoneManager& zones, std::string_view name);

}  // namespace namae::daemon
