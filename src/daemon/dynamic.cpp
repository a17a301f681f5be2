#include "daemon/dynamic.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <filesystem>

#include "daemon/logging.h"

namespace namae::daemon {

Result<std::vector<dns::TsigKey>> tsig_keys(const Config& cfg) {
  std::vector<dns::TsigKey> keys;
  for (const auto& k : cfg.keys) {
    auto key = dns::TsigKey::parse(k.algorithm + ":" + k.name + ":" + k.secret);
    if (!key)
      return fail(fmt::format("{}:{}: key '{}': {}", cfg.source, k.line, k.name, key.message()));
    keys.push_back(std::move(*key));
  }
  return keys;
}

Result<update::ZoneUpdateConfig> zone_update_config(const ZoneConfig& z) {
  update::ZoneUpdateConfig u;
  auto origin = zone_origin(z);
  if (!origin) return origin.error();
  u.origin = *origin;
  u.file = z.file;
  u.journal = z.journal;
  std::vector<update::Grant> grants;
  for (const auto& g : z.update_policy) {
    auto grant = update::make_grant(g.key, g.grant, g.name, g.types, u.origin);
    if (!grant) return fail("zone '" + z.name + "': " + grant.message());
    grants.push_back(std::move(*grant));
  }
  u.policy = update::UpdatePolicy(std::move(grants));
  auto acl = net::parse_acl(z.allow_update);
  if (!acl) return fail("zone '" + z.name + "': allow-update: " + acl.message());
  u.allow_update = std::move(*acl);
  u.leases.min_lease = z.min_lease;
  u.leases.max_lease = z.max_lease;
  u.leases.required = z.lease_required;
  u.leases.max_key_lease = z.max_key_lease;
  u.leases.zero_removes = z.srp;
  u.srp = z.srp;
  u.engine.dynamic_max_ttl = z.dynamic_max_ttl;
  u.file_sync_interval = z.file_sync_interval;
  u.journal_keep = z.journal_keep;
  return u;
}

Result<std::unique_ptr<update::UpdateService>> make_update_service(const Config& cfg,
                                                                   ZoneManager& zones) {
  auto keys = tsig_keys(cfg);
  if (!keys) return fail(keys.message());
  auto service = std::make_unique<update::UpdateService>(
      std::move(*keys),
      [&zones](std::shared_ptr<const zone::ZoneVersion> v) { zones.publish_version(std::move(v)); },
      system_clock(), spdlog_sink());
  service->set_metrics(&zones.metrics());
  for (const auto& z : cfg.zones) {
    if (z.journal.empty()) continue;
    auto u = zone_update_config(z);
    if (!u) return fail(u.message());
    u->signer = zones.signer(u->origin);
    auto loaded = zones.version(u->origin);
    if (!loaded) {
      spdlog::error("zone {}: not loaded, so not open for dynamic update", z.name);
      continue;
    }
    std::error_code ec;
    auto parent = std::filesystem::path(z.journal).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    auto v = service->add_zone(*u, loaded);
    if (!v) return fail(fmt::format("zone {}: journal {}: {}", z.name, z.journal, v.message()));
    zones.set_dynamic(u->origin);
    spdlog::info("zone {}: dynamic, serial {}, journal {}, {} lease(s)", z.name, (*v)->serial(),
                 z.journal, service->leases(u->origin).size());
  }
  return service;
}

Result<std::string> check_journals(const Config& cfg, const ZoneManager& zones) {
  std::string out;
  for (const auto& z : cfg.zones) {
    if (z.journal.empty()) continue;
    auto u = zone_update_config(z);
    if (!u) return fail(u.message());
    const dns::Name& origin = u->origin;
    auto loaded = zones.version(origin);
    if (!loaded) continue;  // the zone's own error is reported by the load
    if (!std::filesystem::exists(z.journal)) {
      out += fmt::format("zone {}: journal {}: none yet\n", z.name, z.journal);
      continue;
    }
    auto where = [&](const std::string& why) {
      return fail(fmt::format("zone {}: journal {}: {}", z.name, z.journal, why));
    };
    auto j = update::Journal::open(z.journal, origin, /*exclusive=*/false);
    if (!j) return fail(j.message());
    const uint32_t file_serial = loaded->serial();
    auto plan = update::plan_replay(**j, file_serial);
    if (!plan) return where(plan.message());
    using Kind = update::ReplayPlan::Kind;
    if (plan->kind == Kind::up_to_date) {
      out += fmt::format("zone {}: journal {}: up to date with the file (serial {})\n", z.name,
                         z.journal, file_serial);
    } else if (plan->kind == Kind::file_newer) {
      out += fmt::format(
          "zone {}: journal {}: file serial {} is newer than the journal's {}; start-up will drop "
          "the journal's entries\n",
          z.name, z.journal, file_serial, *plan->journal_serial);
    } else {
      auto replayed = update::replay(loaded, plan->entries);
      if (!replayed) return where(replayed.message());
      out += fmt::format("zone {}: journal {}: {} entries replay, serial {} -> {}, {} records\n",
                         z.name, z.journal, plan->entries.size(), file_serial,
                         (*replayed)->serial(), (*replayed)->record_count());
    }
  }
  return out;
}

}  // namespace namae::daemon
