#include "daemon/secondary.h"

#include <filesystem>
#include <set>
#include <system_error>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/dynamic.h"
#include "daemon/logging.h"
#include "xfr/remote.h"

namespace namae::daemon {
namespace {

// A member's file, its journal and SQLite's companions of the journal.
void delete_member_files(const std::string& file) {
  for (const char* suffix : {"", ".jnl", ".jnl-wal", ".jnl-shm", ".jnl-journal"}) {
    std::error_code ec;
    std::filesystem::remove(file + suffix, ec);
    if (ec) spdlog::warn("removing {}{}: {}", file, suffix, ec.message());
  }
}

}  // namespace

SecondaryRole::SecondaryRole(ZoneManager& zones)
    : zones_(zones), client_(transport_, system_clock()), service_(client_, system_clock(), spdlog_sink()) {}

SecondaryRole::~SecondaryRole() { service_.stop(); }

xfr::SecondaryHooks SecondaryRole::hooks_for(const dns::Name& origin) {
  ZoneManager& zones = zones_;
  return {[&zones](std::shared_ptr<const zone::ZoneVersion> v) { zones.publish_version(std::move(v)); },
          [&zones, origin](bool available) { zones.set_available(origin, available); }};
}

Result<void> SecondaryRole::add_configured(const ZoneConfig& z, const std::vector<dns::TsigKey>& keys) {
  auto origin = zone_origin(z);
  if (!origin) return origin.error();
  auto remotes = xfr::parse_remotes(z.primaries, z.transfer_key, keys);
  if (!remotes) return fail("zone '" + z.name + "': primaries: " + remotes.message());
  xfr::SecondaryConfig sc{*origin, std::move(*remotes), z.file, z.file + ".jnl", z.journal_keep};
  return service_.add(std::move(sc), hooks_for(*origin), z.forward_updates);
}

Result<void> SecondaryRole::add_catalog(const ZoneConfig& z, const std::vector<dns::TsigKey>& keys) {
  auto origin = zone_origin(z);
  if (!origin) return origin.error();
  auto remotes = xfr::parse_remotes(z.primaries, z.transfer_key, keys);
  if (!remotes) return fail("zone '" + z.name + "': primaries: " + remotes.message());
  std::error_code ec;
  std::filesystem::create_directories(z.catalog_member_dir, ec);
  if (ec) return fail("zone '" + z.name + "': catalog-member-dir " + z.catalog_member_dir + ": " + ec.message());
  consumer_->add_catalog({*origin, std::move(*remotes), z.catalog_member_dir});
  return {};
}

Result<std::unique_ptr<SecondaryRole>> SecondaryRole::create(const Config& cfg, ZoneManager& zones,
                                                             auth::RequestHandler* updates) {
  auto keys = tsig_keys(cfg);
  if (!keys) return keys.error();
  std::unique_ptr<SecondaryRole> role(new SecondaryRole(zones));
  // RFC 9432 5.2: a catalog never takes over a zone configured here.
  std::set<std::string> configured;
  for (const auto& z : cfg.zones)
    if (auto o = zone_origin(z)) configured.insert(o->lower().to_text());
  role->consumer_ = std::make_shared<xfr::CatalogConsumer>(
      *role, [configured](const dns::Name& n) { return configured.count(n.lower().to_text()) != 0; },
      spdlog_sink());
  // Before any catalog loads: its saved copy's members are added as it does.
  zones.add_observer([c = role->consumer_](const std::shared_ptr<const zone::ZoneVersion>& v) {
    c->catalog_changed(*v);
  });
  // Every catalog is known before the first one loads (the consumer's list
  // is fixed once versions flow).
  for (const auto& z : cfg.zones)
    if (z.catalog_role == "consume")
      if (auto r = role->add_catalog(z, *keys); !r) return r.error();
  for (const auto& z : cfg.zones) {
    if (z.primaries.empty()) continue;
    if (auto r = role->add_configured(z, *keys); !r) return r.error();
  }
  role->notify_ = std::make_unique<xfr::NotifyHandler>(role->service_, *keys);
  role->forwarder_ = std::make_unique<xfr::UpdateForwarder>(role->service_, updates, role->transport_);
  return role;
}

Result<void> SecondaryRole::add_zone(const ZoneConfig& z, const std::vector<dns::TsigKey>& keys) {
  if (auto r = zones_.add_configured_secondary(z); !r) return r;
  if (auto r = add_configured(z, keys); !r) {
    zones_.remove_zone(*zone_origin(z));
    return r;
  }
  return {};
}

std::vector<std::string> SecondaryRole::set_keys(const std::vector<dns::TsigKey>& keys) {
  notify_->set_keys(keys);
  auto errors = consumer_->rekey(keys);
  auto more = service_.rekey(keys);
  errors.insert(errors.end(), more.begin(), more.end());
  return errors;
}

void SecondaryRole::remove_zone(const dns::Name& origin) {
  service_.remove(origin);  // retired first: no transfer in flight publishes it again
  zones_.remove_zone(origin);
}

// The zone is served (SERVFAIL) before its secondary exists, so the
// secondary's first publish has an entry to land in. While the catalog
// itself is still loading (start-up: it is not in the service yet) the
// member's saved copy is what a restart serves; once the catalog runs, a
// member is new, and files under its name are leftovers (a crash before a
// removal finished) that must not pass for its data.
Result<void> SecondaryRole::add_secondary(const xfr::SecondaryZoneSpec& spec) {
  if (auto r = zones_.add_secondary_zone(spec.zone, spec.file); !r) return r;
  if (service_.find(spec.catalog)) delete_member_files(spec.file);
  // A member has no [[zone]] of its own: journal-keep's default.
  xfr::SecondaryConfig sc{spec.zone, spec.primaries, spec.file, spec.file + ".jnl", ZoneConfig{}.journal_keep};
  if (auto r = service_.add(std::move(sc), hooks_for(spec.zone), false); !r) {
    zones_.remove_zone(spec.zone);
    return r;
  }
  return {};
}

// Retired before its files go, so no transfer in flight writes them again.
void SecondaryRole::remove_secondary(const dns::Name& zone) {
  auto gone = service_.remove(zone);
  zones_.remove_zone(zone);
  if (gone) delete_member_files(gone->config().file);
}

}  // namespace namae::daemon
