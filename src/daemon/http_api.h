// Wiring the HTTP update API (DynDNS2 + REST, src/http/update_api.h) into
// namaed: [http] users and limits from the configuration become an
// http::UpdateApi on the same listener as /metrics.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "daemon/config.h"
#include "http/metrics_server.h"
#include "http/update_api.h"
#include "update/service.h"
#include "zone/zone_set.h"

namespace namae::daemon {

/// The API settings of [http] (names and prefixes checked).
Result<http::ApiOptions> api_options(const HttpConfig& cfg);

/// One line per user hostname that lies in no dynamic zone of `service`
/// (its updates would answer "nohost").
std::vector<std::string> hostnames_without_zone(const http::ApiOptions& opt, const update::UpdateService& service);

/// Build the update API for `cfg` and register its routes on `server`
/// (call before server.start()). Returns the API, which must outlive the
/// server's serving. Users whose names lie in no dynamic zone are reported
/// as warnings (their updates would answer "nohost").
Result<std::unique_ptr<http::UpdateApi>> install_update_api(const Config& cfg,
                                                            update::UpdateService& service,
                                                            const zone::ZoneSetHolder& zones,
                                                            http::MetricsServer& server);

}  // namespace namae::daemon
