#include "daemon/zones.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/signing.h"
#include "dns/rrtype.h"
#include "dns/wire.h"
#include "update/engine.h"
#include "zone/check.h"
#include "zone/load.h"

namespace namae::daemon {

namespace {

// The version with its SOA serial set to `serial` (higher than its own).
Result<std::shared_ptr<zone::ZoneVersion>> with_serial(const zone::ZoneVersion& v, uint32_t serial) {
  auto soa = v.soa();
  const auto rd = soa.first();
  dns::Record raised{v.origin(), dns::rrtype::SOA, v.rclass(), soa.ttl(), dns::RdataBytes(rd.begin(), rd.end())};
  dns::put_u32(raised.rdata.data() + raised.rdata.size() - 20, serial);
  zone::ZoneDiff diff;
  diff.added.push_back(std::move(raised));
  return update::finish_update(v, diff);
}

// A zone without a journal that namaed signs is signed whole as it loads
// (RRSIGs that are still good, e.g. from the last load, are kept), under a
// serial above the one it last served (daemon/signing.h says why). A
// dynamic zone is the update service's to sign, journaled.
Result<std::shared_ptr<const zone::ZoneVersion>> signed_if_static(const LoadedZone& z,
                                                                  std::shared_ptr<const zone::ZoneVersion> v) {
  if (!z.signer || !z.config.journal.empty()) return v;
  const uint32_t serial = serial_to_serve(v->serial(), read_served_serial(z.config));
  std::shared_ptr<zone::ZoneVersion> draft;
  if (serial != v->serial()) {
    auto raised = with_serial(*v, serial);
    if (!raised) return fail(z.config.file + ": " + raised.message());
    draft = std::move(*raised);
  } else {
    // Nobody holds the version just loaded: it is signed in place.
    draft = std::const_pointer_cast<zone::ZoneVersion>(std::move(v));
  }
  signing::Scope all;
  all.all = true;
  zone::ZoneDiff diff;
  auto s = z.signer->sign(std::move(draft), all, ::time(nullptr), diff);
  if (!s) return fail(z.config.file + ": signing: " + s.message());
  if (auto stored = store_served_serial(z.config, serial); !stored) return fail(stored.message());
  return std::shared_ptr<const zone::ZoneVersion>(std::move(*s));
}

}  // namespace

std::string ReloadReport::summary() const {
  return fmt::format("{} loaded, {} unchanged, {} failed", loaded, unchanged, failed);
}

ZoneManager::ZoneManager(zone::ZoneSetHolder& holder, net::MetricsRegistry& metrics)
    : holder_(holder), metrics_(metrics) {}

Result<void> ZoneManager::configure(const std::vector<ZoneConfig>& zones) {
  std::string errors;
  zones_.clear();
  for (const auto& z : zones) {
    auto origin = zone_origin(z);
    if (!origin) {
      errors += origin.message() + "\n";
      continue;
    }
    Entry e;
    e.config = z;
    e.origin = *origin;
    // A secondary's file is read and written by its xfr::Secondary, which
    // makes it available once it has a version.
    e.secondary = !z.primaries.empty();
    e.available = !e.secondary;
    zones_.push_back(std::make_unique<Entry>(std::move(e)));
  }
  if (!errors.empty()) {
    errors.pop_back();
    return fail(errors);
  }
  return {};
}

ReloadReport ZoneManager::reload(bool force) {
  ReloadReport report;
  bool changed = false;
  std::vector<std::shared_ptr<const zone::ZoneVersion>> fresh;  // for the observers
  std::unique_lock list(list_mu_);
  for (auto& entry : zones_) {
    Entry& z = *entry;
    if (z.dynamic || z.secondary) {
      ++report.unchanged;  // the update service or the secondary owns this zone and its file
      continue;
    }
    struct stat st {};
    if (stat(z.config.file.c_str(), &st) != 0) {
      z.last_error = fmt::format("{}: cannot read: {}", z.config.file, std::strerror(errno));
      spdlog::error("zone {}: {}{}", z.config.name, z.last_error,
                    z.version ? " (keeping the loaded version)" : "");
      report.errors.push_back(z.last_error);
      ++report.failed;
      continue;
    }
    if (!force && z.version && z.last_error.empty() && z.same_file(st)) {
      ++report.unchanged;
      continue;
    }
    std::vector<zonefile::Diagnostic> diags;
    auto loaded = load_file(z.config.file, z.origin, diags);
    if (loaded) zone::check_signatures(**loaded, static_cast<uint32_t>(::time(nullptr)), diags);
    if (loaded) loaded = signed_if_static(z, std::move(*loaded));
    for (const auto& d : diags) {
      if (d.severity == zonefile::Severity::error) {
        spdlog::error("zone {}: {}", z.config.name, d.to_string());
        report.errors.push_back(d.to_string());
      } else {
        spdlog::warn("zone {}: {}", z.config.name, d.to_string());
      }
    }
    if (!loaded) {
      z.last_error = loaded.message();
      for (const auto& d : diags)
        if (d.severity == zonefile::Severity::error) {
          z.last_error = d.to_string();  // the first error says most
          break;
        }
      if (diags.empty()) {
        spdlog::error("zone {}: {}", z.config.name, loaded.message());
        report.errors.push_back(loaded.message());
      }
      if (z.version)
        spdlog::error("zone {}: load failed; still serving serial {}", z.config.name, z.version->serial());
      else
        spdlog::error("zone {}: load failed; not served", z.config.name);
      ++report.failed;
      continue;
    }
    bool first_load = !z.version;
    uint32_t old_serial = z.version ? z.version->serial() : 0;
    {
      std::lock_guard lock(mu_);
      z.version = std::move(*loaded);
    }
    z.stamp(st);
    z.last_error.clear();
    z.loaded_at = time(nullptr);
    changed = true;
    fresh.push_back(z.version);
    ++report.loaded;
    if (first_load)
      spdlog::info("zone {}: loaded serial {} from {}", z.config.name, z.version->serial(), z.config.file);
    else
      spdlog::info("zone {}: reloaded, serial {} -> {}", z.config.name, old_serial, z.version->serial());
  }
  if (changed || force) {
    std::lock_guard lock(mu_);
    publish_locked();
  }
  list.unlock();  // an observer may add or remove zones (a catalog's members)
  tell_observers(fresh);
  holder_.reclaim();
  metrics_.zones_loaded.store(static_cast<int64_t>(loaded_zones()));
  if (report.failed) metrics_.reload_failures.fetch_add(static_cast<uint64_t>(report.failed));
  return report;
}

void ZoneManager::publish_locked() {
  std::vector<std::shared_ptr<const zone::ZoneVersion>> versions;
  std::vector<dns::Name> unavailable;
  for (auto& z : zones_) {
    if (!z->available) unavailable.push_back(z->origin);
    else if (z->version) versions.push_back(z->version);
  }
  holder_.publish(std::make_shared<const zone::ZoneSet>(std::move(versions), std::move(unavailable)));
}

std::shared_ptr<const zone::ZoneVersion> ZoneManager::version(const dns::Name& origin) const {
  std::lock_guard lock(mu_);
  for (const auto& z : zones_)
    if (z->origin == origin) return z->version;
  return nullptr;
}

ZoneManager::Entry* ZoneManager::find_locked(const dns::Name& origin) {
  for (auto& z : zones_)
    if (z->origin == origin) return z.get();
  return nullptr;
}

bool ZoneManager::set_dynamic(const dns::Name& origin) {
  std::lock_guard lock(mu_);
  Entry* z = find_locked(origin);
  if (z) z->dynamic = true;
  return z != nullptr;
}

void ZoneManager::publish_version(std::shared_ptr<const zone::ZoneVersion> v) {
  if (!v) return;
  {
    std::lock_guard lock(mu_);
    Entry* z = find_locked(v->origin());
    if (!z) return;  // removed meanwhile (a catalog member that left)
    z->version = v;
    z->available = true;
    // Only this zone changes: the other zones' versions are shared as they are.
    holder_.publish(holder_.snapshot()->with(v));
  }
  tell_observers({v});
}

void ZoneManager::tell_observers(const std::vector<std::shared_ptr<const zone::ZoneVersion>>& versions) const {
  for (const auto& v : versions)
    for (const auto& f : observers_) f(v);
}

void ZoneManager::set_available(const dns::Name& origin, bool available) {
  std::lock_guard lock(mu_);
  Entry* z = find_locked(origin);
  if (z && z->available != available) {
    z->available = available;
    publish_locked();
  }
}

Result<void> ZoneManager::add_secondary_zone(const dns::Name& origin, const std::string& file, bool member) {
  std::lock_guard list(list_mu_);
  std::lock_guard lock(mu_);
  if (find_locked(origin)) return fail("zone " + origin.to_text() + " is already served");
  auto e = std::make_unique<Entry>();
  e->config.name = origin.to_text();
  e->config.file = file;
  e->origin = origin;
  e->secondary = true;
  e->member = member;
  e->available = false;
  zones_.push_back(std::move(e));
  publish_locked();  // SERVFAIL, not REFUSED, until the first transfer
  return {};
}

bool ZoneManager::remove_zone(const dns::Name& origin) {
  std::lock_guard list(list_mu_);
  std::lock_guard lock(mu_);
  auto it = std::find_if(zones_.begin(), zones_.end(), [&](const auto& z) { return z->origin == origin; });
  if (it == zones_.end()) return false;
  zones_.erase(it);
  publish_locked();
  metrics_.zones_loaded.store(static_cast<int64_t>(std::count_if(
      zones_.begin(), zones_.end(), [](const auto& z) { return z->version != nullptr; })));
  return true;
}

size_t ZoneManager::loaded_zones() const {
  std::lock_guard lock(mu_);
  size_t n = 0;
  for (const auto& z : zones_) n += z->version != nullptr;
  return n;
}

std::string ZoneManager::status() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& entry : zones_) {
    const Entry& z = *entry;
    if (z.version) {
      out += fmt::format("zone {} serial {} {} file {}", z.config.name, z.version->serial(),
                         z.last_error.empty() ? "loaded" : "stale", z.config.file);
      if (z.dynamic) out += " dynamic";
      if (z.secondary) out += z.available ? " secondary" : " secondary expired";
      if (z.member) out += " catalog-member";
    } else if (z.secondary) {
      out += fmt::format("zone {} - not-transferred file {} secondary{}", z.config.name, z.config.file,
                         z.member ? " catalog-member" : "");
    } else {
      out += fmt::format("zone {} - not-loaded file {}", z.config.name, z.config.file);
    }
    if (!z.last_error.empty()) out += " error " + z.last_error;
    out += "\n";
  }
  return out;
}

}  // namespace namae::daemon

namespace namae::daemon {

Result<std::shared_ptr<const zone::ZoneVersion>> ZoneManager::load_file(
    const std::string& file, const dns::Name& origin, std::vector<zonefile::Diagnostic>& diags) const {
  auto loaded = zone::load_zone_file(file, origin, diags);
  if (!loaded || !load_hook_) return loaded;
  return load_hook_(*loaded);
}

Result<LoadedZone> ZoneManager::read(const ZoneConfig& z, std::shared_ptr<const signing::ZoneSigner> signer) const {
  LoadedZone out;
  out.config = z;
  out.signer = std::move(signer);
  auto origin = zone_origin(z);
  if (!origin) return origin.error();
  out.origin = *origin;
  struct stat st {};
  if (stat(z.file.c_str(), &st) != 0)
    return fail(fmt::format("zone {}: {}: cannot read: {}", z.name, z.file, std::strerror(errno)));
  std::vector<zonefile::Diagnostic> diags;
  auto loaded = load_file(z.file, out.origin, diags);
  if (!loaded) {
    for (const auto& d : diags)
      if (d.severity == zonefile::Severity::error) return fail(fmt::format("zone {}: {}", z.name, d.to_string()));
    return fail(fmt::format("zone {}: {}", z.name, loaded.message()));
  }
  auto v = signed_if_static(out, std::move(*loaded));
  if (!v) return fail(fmt::format("zone {}: {}", z.name, v.message()));
  out.version = std::move(*v);
  out.stamp(st);
  return out;
}

void ZoneManager::set_signer(const dns::Name& origin, std::shared_ptr<const signing::ZoneSigner> signer) {
  std::lock_guard list(list_mu_);
  std::lock_guard lock(mu_);
  if (Entry* e = find_locked(origin)) {
    e->signer = std::move(signer);
    e->next_refresh = 0;  // the signer's refresh may come sooner
  }
}

std::shared_ptr<const signing::ZoneSigner> ZoneManager::signer(const dns::Name& origin) const {
  std::lock_guard lock(mu_);
  for (const auto& z : zones_)
    if (z->origin == origin) return z->signer;
  return nullptr;
}

void ZoneManager::refresh_signatures(int64_t now) {
  std::vector<std::shared_ptr<const zone::ZoneVersion>> fresh;
  {
    std::lock_guard list(list_mu_);
    for (auto& entry : zones_) {
      Entry& z = *entry;
      if (!z.signer || z.dynamic || z.secondary || !z.version || now < z.next_refresh) continue;
      signing::Scope due = z.signer->refresh_scope(*z.version, now, z.next_refresh);
      if (due.names.empty()) continue;
      zone::ZoneDiff diff;
      auto bumped = update::finish_update(*z.version, diff);  // secondaries see a new serial
      if (!bumped) continue;
      due.changed.emplace_back(z.origin, dns::rrtype::SOA);
      due.names.push_back(z.origin);
      auto next = z.signer->sign(std::move(*bumped), std::move(due), now, diff);
      if (!next) {
        spdlog::error("zone {}: signature refresh failed: {}", z.config.name, next.message());
        continue;
      }
      if (auto stored = store_served_serial(z.config, (*next)->serial()); !stored) {
        spdlog::error("zone {}: signatures renewed but not served: {}", z.config.name, stored.message());
        continue;
      }
      z.next_refresh = 0;
      std::lock_guard lock(mu_);
      z.version = std::move(*next);
      fresh.push_back(z.version);
      spdlog::info("zone {}: signatures renewed, serial {}", z.config.name, z.version->serial());
    }
    if (!fresh.empty()) {
      std::lock_guard lock(mu_);
      publish_locked();
    }
  }
  tell_observers(fresh);
}

void ZoneManager::install(LoadedZone z) {
  std::shared_ptr<const zone::ZoneVersion> v = z.version;
  {
    std::lock_guard list(list_mu_);
    std::lock_guard lock(mu_);
    Entry* e = find_locked(z.origin);
    if (!e) {
      zones_.push_back(std::make_unique<Entry>());
      e = zones_.back().get();
    }
    *e = Entry{};
    static_cast<LoadedZone&>(*e) = std::move(z);
    e->loaded_at = time(nullptr);
    publish_locked();
  }
  metrics_.zones_loaded.store(static_cast<int64_t>(loaded_zones()));
  tell_observers({v});
}

Result<void> ZoneManager::add_configured_secondary(const ZoneConfig& z) {
  auto origin = zone_origin(z);
  if (!origin) return origin.error();
  if (auto r = add_secondary_zone(*origin, z.file, false); !r) return r;
  set_config(z);
  return {};
}

void ZoneManager::set_config(const ZoneConfig& z) {
  auto origin = zone_origin(z);
  if (!origin) return;
  std::lock_guard list(list_mu_);  // reload() reads the config under this lock alone
  std::lock_guard lock(mu_);
  if (Entry* e = find_locked(*origin)) e->config = z;
}

}  // namespace namae::daemon
