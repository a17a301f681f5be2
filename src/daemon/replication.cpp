#include "daemon/replication.h"

#include <ctime>
#include <filesystem>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/dynamic.h"
#include "daemon/logging.h"
#include "xfr/catalog.h"

namespace namae::daemon {
namespace {

// The zones whose catalog-zone names `origin`.
std::vector<xfr::ProducedMember> members_of(const Config& cfg, const dns::Name& origin) {
  std::vector<xfr::ProducedMember> members;
  for (const auto& z : cfg.zones) {
    if (z.catalog_zone.empty()) continue;
    auto listed_in = absolute_name(z.catalog_zone);
    auto member = absolute_name(z.name);
    if (listed_in && member && *listed_in == origin) members.push_back({*member, z.catalog_group});
  }
  return members;
}

}  // namespace

Result<std::string> check_generated_catalogs(const Config& cfg, std::vector<ZoneConfig>& zones) {
  std::string out;
  for (const auto& cat : cfg.zones) {
    if (cat.catalog_role != "generate") continue;
    auto origin = absolute_name(cat.name);
    if (!origin) return fail("zone '" + cat.name + "': " + origin.message());
    auto members = members_of(cfg, *origin);
    auto built = xfr::build_catalog(*origin, 1, members);
    if (!built) return fail(fmt::format("catalog zone {}: {}", cat.name, built.message()));
    bool written = std::filesystem::exists(cat.file);
    out += fmt::format("catalog zone {}: {} members{}\n", cat.name, members.size(),
                       written ? "" : " (its file is written at start)");
    if (!written)
      std::erase_if(zones, [&](const ZoneConfig& z) { return z.name == cat.name; });
  }
  return out;
}

Result<void> write_generated_catalogs(const Config& cfg) {
  for (const auto& cat : cfg.zones) {
    if (cat.catalog_role != "generate") continue;
    auto origin = absolute_name(cat.name);
    if (!origin) return fail("zone '" + cat.name + "': " + origin.message());
    auto members = members_of(cfg, *origin);
    auto serial = xfr::write_catalog_file(cat.file, *origin, members, static_cast<uint32_t>(time(nullptr)));
    if (!serial) return fail(fmt::format("catalog zone {}: {}: {}", cat.name, cat.file, serial.message()));
    spdlog::info("catalog zone {}: {} members, serial {}", cat.name, members.size(), *serial);
  }
  return {};
}

Result<std::vector<std::pair<dns::Name, std::vector<xfr::Remote>>>> notify_targets(const Config& cfg) {
  auto keys = tsig_keys(cfg);
  if (!keys) return keys.error();
  std::vector<std::pair<dns::Name, std::vector<xfr::Remote>>> out;
  for (const auto& z : cfg.zones) {
    auto origin = absolute_name(z.name);
    auto targets = xfr::parse_remotes(z.notify, z.notify_key, *keys);
    if (!origin || !targets) return fail("zone '" + z.name + "': notify: " + (origin ? targets.message() : origin.message()));
    out.emplace_back(*origin, std::move(*targets));
  }
  return out;
}

Result<std::unique_ptr<xfr::NotifyService>> make_notify(const Config& cfg, ZoneManager& zones) {
  auto service = std::make_unique<xfr::NotifyService>(xfr::NotifyOptions{}, &zones.metrics(), spdlog_sink());
  auto targets = notify_targets(cfg);
  if (!targets) return targets.error();
  for (auto& [origin, remotes] : *targets) service->set_targets(origin, std::move(remotes));
  auto* s = service.get();
  zones.add_observer([s](const std::shared_ptr<const zone::ZoneVersion>& v) { s->zone_changed(*v); });
  return service;
}

std::string notify_command(xfr::NotifyService* notify, const ZoneManager& zones, std::string_view name) {
  auto origin = absolute_name(std::string(name));
  if (name.empty() || !origin) return "error: usage: zone notify NAME\n";
  auto v = zones.version(*origin);
  if (!v) return "error: zone " + origin->to_text() + " is not served\n";
  size_t n = notify ? notify->zone_changed(*v, /*force=*/true) : 0;
  if (n == 0) return "error: zone " + origin->to_text() + " has no notify targets\n";
  return fmt::format("ok zone {} serial {}: NOTIFY to {} target(s)\n", origin->to_text(), v->serial(), n);
}

}  // namespace namae::daemon
