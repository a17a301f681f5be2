#include "update/maintenance.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>

#include "update/zone_file.h"

namespace namae::update {

namespace {
constexpr size_t kExpiryBatch = 1000;  // leases ended per journaled update
}  // namespace

void Maintenance::add_zone(ZoneWriter& zone, uint32_t file_serial) {
  auto f = std::make_unique<ZoneFile>();
  f->zone = &zone;
  f->written_serial = file_serial;
  f->written_at = ctx_.clock.unix_time();
  std::lock_guard files(files_mu_);
  files_.push_back(std::move(f));
}

Result<void> Maintenance::remove_zone(ZoneWriter& zone) {
  std::lock_guard files(files_mu_);
  auto it = std::find_if(files_.begin(), files_.end(), [&](const auto& f) { return f->zone == &zone; });
  if (it == files_.end()) return {};
  std::string errors;
  if (!zone.config()->file.empty()) sync_file(**it, true, ctx_.clock.unix_time(), errors);
  files_.erase(it);
  if (!errors.empty()) return fail(errors);
  return {};
}

size_t Maintenance::expire(int64_t now) {
  size_t total = 0;
  std::lock_guard files(files_mu_);
  for (auto& f : files_) {
    ZoneWriter& z = *f->zone;
    size_t ended = 0;
    UpdateResult r = z.expire_leases(now, kExpiryBatch, ended);
    if (ended == 0) continue;
    const std::string origin = z.origin().to_text();
    if (r.rcode == dns::rcode::NOERROR) {
      total += ended;
      ServiceContext::count(ctx_.expired, ended);
      ctx_.say(LogLevel::info,
               fmt::format("zone {}: {} lease(s) expired, serial {}", origin, ended, r.serial));
    } else {
      ctx_.say(LogLevel::error, fmt::format("zone {}: lease expiry failed: {}: {}", origin,
                                            dns::rcode_to_text(r.rcode), r.reason));
    }
  }
  return total;
}

size_t Maintenance::refresh_signatures(int64_t now) {
  size_t changed = 0;
  std::lock_guard files(files_mu_);
  for (auto& f : files_) {
    ZoneWriter& z = *f->zone;
    UpdateResult r = z.refresh_signatures(now);
    if (r.rcode != dns::rcode::NOERROR)
      ctx_.say(LogLevel::error, fmt::format("zone {}: signature refresh failed: {}", z.origin().to_text(), r.reason));
    else if (r.changed)
      ++changed, ctx_.say(LogLevel::info, fmt::format("zone {}: signatures renewed, serial {}", z.origin().to_text(), r.serial));
  }
  return changed;
}

Result<void> Maintenance::sync_files(bool force) {
  std::string errors;
  const int64_t now = ctx_.clock.unix_time();
  std::lock_guard files(files_mu_);
  for (auto& f : files_)
    if (!f->zone->config()->file.empty()) sync_file(*f, force, now, errors);
  if (!errors.empty()) return fail(errors);
  return {};
}

void Maintenance::sync_file(ZoneFile& f, bool force, int64_t now, std::string& errors) {
  const auto config = f.zone->config();
  const ZoneUpdateConfig& cfg = *config;
  auto report = [&](const std::string& context, const std::string& why) {
    ctx_.say(LogLevel::error, fmt::format("zone {}: {}{}", cfg.origin.to_text(), context, why));
    errors += (errors.empty() ? "" : "\n") + why;
  };
  std::lock_guard lk(f.mu);
  std::shared_ptr<const zone::ZoneVersion> v = f.zone->committed();
  if (v->serial() == f.written_serial) return;
  if (!force && (cfg.file_sync_interval == 0 || now - f.written_at < cfg.file_sync_interval))
    return;
  if (auto r = write_zone_file(cfg.file, *v); !r) return report("", r.message());
  f.written_serial = v->serial();
  f.written_at = now;
  ctx_.say(LogLevel::info, fmt::format("zone {}: wrote serial {} to {}", cfg.origin.to_text(),
                                       v->serial(), cfg.file));
  if (Journal* j = f.zone->journal())
    if (auto r = j->compact(v->serial(), cfg.journal_keep); !r)
      report("journal compaction: ", r.message());
}

uint32_t Maintenance::file_serial(const ZoneWriter& zone) const {
  std::lock_guard files(files_mu_);
  for (const auto& f : files_)
    if (f->zone == &zone) return f->written_serial;
  return 0;
}

void Maintenance::start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lk(mu_);
    stop_ = false;
  }
  thread_ = std::thread([this] {
    std::unique_lock lk(mu_);
    while (!stop_) {
      lk.unlock();
      expire(ctx_.clock.unix_time());
      refresh_signatures(ctx_.clock.unix_time());
      (void)sync_files(false);
      lk.lock();
      cv_.wait_for(lk, std::chrono::seconds(1), [this] { return stop_; });
    }
  });
}

void Maintenance::stop() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

}  // namespace namae::update
