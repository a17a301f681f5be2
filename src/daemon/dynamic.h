// Wiring dynamic update into namaed: TSIG keys and the zones with a
// `journal` from the configuration become an update::UpdateService whose
// new versions are served through the ZoneManager.
#pragma once

#include <memory>

#include "base/log.h"
#include "base/result.h"
#include "daemon/config.h"
#include "daemon/zones.h"
#include "update/service.h"

namespace namae::daemon {

/// TSIG keys of the [[key]] tables.
Result<std::vector<dns::TsigKey>> tsig_keys(const Config& cfg);

/// The update settings of one [[zone]] (policy names and prefixes checked).
Result<update::ZoneUpdateConfig> zone_update_config(const ZoneConfig& zone);

/// Build the update service and make every zone with a `journal` dynamic:
/// its journal is replayed over the loaded file and the result served. A
/// journal that cannot be opened or replayed is an error (serving the file
/// alone would silently drop acknowledged updates).
Result<std::unique_ptr<update::UpdateService>> make_update_service(const Config& cfg,
                                                                   ZoneManager& zones);

/// `namaed --check`: replay every zone's journal (opened without the
/// server's lock, so a running namaed may hold it) over the loaded file, as
/// start-up would, without changing anything. One line per zone with a
/// journal; an error names the zone and the journal if one cannot be
/// replayed (start-up would refuse it too).
Result<std::string> check_journals(const Config& cfg, const ZoneManager& zones);

}  // namespace namae::daemon
