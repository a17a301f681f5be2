// Wiring namaed as a zone-transfer primary: each [[zone]]'s allow-transfer
// becomes an xfr::TransferService entry, IXFR reads dynamic zones' journals
// through the update service and secondary zones' journals (the IXFR steps
// they received) through the secondary role, so a secondary serves IXFR to
// its own downstream as a primary does.
#pragma once

#include <memory>

#include "base/result.h"
#include "daemon/config.h"
#include "daemon/secondary.h"
#include "net/metrics.h"
#include "update/service.h"
#include "xfr/transfer_service.h"

namespace namae::daemon {

/// The transfer settings of every zone: allow-transfer parsed (prefixes and
/// "key:NAME", each NAME a [[key]]). An error names the zone and the entry.
Result<xfr::TransferOptions> transfer_options(const Config& cfg);

/// The same with IXFR's journals and the metrics: what the service runs
/// with (at start, and again on each reconfiguration).
Result<xfr::TransferOptions> transfer_options(const Config& cfg, const update::UpdateService& updates,
                                              const SecondaryRole& secondaries, net::MetricsRegistry& metrics);

/// The service set on every AuthEngine (`updates` and `secondaries`, which
/// give IXFR its journals, and `metrics` must outlive it).
Result<std::unique_ptr<xfr::TransferService>> make_transfer_service(
    const Config& cfg, const update::UpdateService& updates, const SecondaryRole& secondaries,
    net::MetricsRegistry& metrics);

}  // namespace namae::daemon
