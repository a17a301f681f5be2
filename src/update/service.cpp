// UpdateService: the zones it makes dynamic and what it answers about them.
// The request side is request.cpp, each zone's writer writer.cpp, lease
// expiry and file sync maintenance.cpp.
#include "update/service.h"

#include <fmt/format.h>

#include "update/context.h"
#include "update/maintenance.h"
#include "update/request.h"
#include "update/writer.h"

namespace namae::update {

namespace {

// The journal of `cfg`, replayed over `version` (the loaded file) and with
// its leases read into `leases`.
Result<std::unique_ptr<Journal>> open_journal(const ServiceContext& ctx,
                                              const ZoneUpdateConfig& cfg,
                                              std::shared_ptr<const zone::ZoneVersion>& version,
                                              std::vector<Lease>& leases) {
  const std::string origin = cfg.origin.to_text();
  auto j = Journal::open(cfg.journal, cfg.origin);
  if (!j) return fail(j.message());
  const uint32_t file_serial = version->serial();
  auto plan = plan_replay(**j, file_serial);
  if (!plan) return fail("zone " + origin + ": journal: " + plan.message());
  if (plan->kind == ReplayPlan::Kind::file_newer) {
    // The file was edited by hand past everything journaled: the file wins
    // (as BIND discards an out-of-date journal); old entries go.
    ctx.say(LogLevel::warning,
            fmt::format("zone {}: file serial {} is newer than the journal's {}; journal entries "
                        "dropped",
                        origin, file_serial, *plan->journal_serial));
    if (auto r = (*j)->compact(file_serial, 0); !r) return fail(r.message());
  } else if (plan->kind == ReplayPlan::Kind::replay) {
    auto replayed = replay(version, plan->entries);
    if (!replayed) return fail(replayed.message());
    version = std::move(*replayed);
    ctx.say(LogLevel::info, fmt::format("zone {}: replayed {} journal entries, serial {} -> {}",
                                        origin, plan->entries.size(), file_serial,
                                        version->serial()));
  }
  auto held = (*j)->leases();
  if (!held) return fail(held.message());
  leases = std::move(*held);
  return std::move(*j);
}

}  // namespace

UpdateService::UpdateService(std::vector<dns::TsigKey> keys, Publisher publish,
                             const Clock& clock, LogSink log)
    : keys_(std::make_shared<const std::vector<dns::TsigKey>>(std::move(keys))),
      ctx_(std::make_unique<ServiceContext>(clock, std::move(publish), std::move(log))),
      writers_(std::make_shared<const Writers>()),
      maintenance_(std::make_unique<Maintenance>(*ctx_)) {}

UpdateService::~UpdateService() {
  stop();
  // Writers answer what they already hold, then exit; later requests get no answer.
  for (auto& z : *writers()) z->stop();
}

std::shared_ptr<ZoneWriter> UpdateService::find(const dns::Name& origin) const {
  for (const auto& z : *writers())
    if (z->origin() == origin) return z;
  return nullptr;
}

std::shared_ptr<const zone::ZoneVersion> UpdateService::current(const dns::Name& origin) const {
  auto z = find(origin);
  return z ? z->committed() : nullptr;
}

std::shared_ptr<const Journal> UpdateService::journal(const dns::Name& origin) const {
  auto z = find(origin);
  if (!z || !z->journal()) return nullptr;
  return std::shared_ptr<const Journal>(z, z->journal());  // shares the writer's ownership
}

Result<std::shared_ptr<const zone::ZoneVersion>> UpdateService::add_zone(
    const ZoneUpdateConfig& cfg, std::shared_ptr<const zone::ZoneVersion> loaded) {
  if (!loaded) return fail("zone " + cfg.origin.to_text() + ": no loaded version");
  if (!(loaded->origin() == cfg.origin))
    return fail("zone " + cfg.origin.to_text() + ": loaded version is of " +
                loaded->origin().to_text());
  std::lock_guard lock(writers_mu_);
  if (find(cfg.origin)) return fail("zone " + cfg.origin.to_text() + " is already dynamic");
  auto version = loaded;
  std::unique_ptr<Journal> journal;
  std::vector<Lease> leases;
  if (!cfg.journal.empty()) {
    auto j = open_journal(*ctx_, cfg, version, leases);
    if (!j) return j.error();
    journal = std::move(*j);
  }
  net::WorkerMetrics* metrics = metrics_ ? metrics_->add_worker() : nullptr;
  auto z = std::make_shared<ZoneWriter>(*ctx_, cfg, std::move(journal), version, leases, metrics);
  if (cfg.signer) {
    // Signed now if it was not (or not with these keys and policy): one
    // journaled version, so the journal and IXFR hold the signatures too.
    signing::Scope all;
    all.all = true;
    UpdateResult r = z->resign(all);
    if (r.rcode != dns::rcode::NOERROR)
      return fail("zone " + cfg.origin.to_text() + ": signing failed: " + r.reason);
    version = z->committed();
  }
  maintenance_->add_zone(*z, loaded->serial());
  if (ctx_->publish) ctx_->publish(version);
  auto next = std::make_shared<Writers>(*writers());
  next->push_back(std::move(z));
  std::atomic_store(&writers_, std::shared_ptr<const Writers>(std::move(next)));
  return version;
}

bool UpdateService::remove_zone(const dns::Name& origin) {
  std::lock_guard lock(writers_mu_);
  auto z = find(origin);
  if (!z) return false;
  auto next = std::make_shared<Writers>();
  for (const auto& w : *writers())
    if (w != z) next->push_back(w);
  std::atomic_store(&writers_, std::shared_ptr<const Writers>(std::move(next)));
  // A worker that found it just before gets no answer (enqueue fails) and retries.
  z->stop();
  if (auto r = maintenance_->remove_zone(*z); !r)
    ctx_->say(LogLevel::error, "zone " + origin.to_text() + ": " + r.message());
  return true;
}

bool UpdateService::set_signer(const dns::Name& origin, std::shared_ptr<const signing::ZoneSigner> signer) {
  auto z = find(origin);
  if (!z) return false;
  ZoneUpdateConfig cfg = *z->config();
  cfg.signer = std::move(signer);
  z->set_config(cfg);
  return true;
}

bool UpdateService::set_zone_config(const ZoneUpdateConfig& cfg) {
  auto z = find(cfg.origin);
  if (!z) return false;
  z->set_config(cfg);
  return true;
}

void UpdateService::set_keys(std::vector<dns::TsigKey> keys) {
  keys_.publish(std::make_shared<const std::vector<dns::TsigKey>>(std::move(keys)));
}

UpdateResult UpdateService::apply(const UpdateMessage& msg, const Permission& permission,
                                  std::optional<dns::UpdateLease> lease,
                                  const std::string& granted_to) {
  auto z = find(msg.zone);
  if (!z) {
    UpdateResult r;
    r.rcode = dns::rcode::NOTAUTH;
    r.reason = msg.zone.to_text() + " is not a dynamic zone here";
    return r;
  }
  return z->apply(msg, permission, lease, granted_to);
}

size_t UpdateService::expire(int64_t now) { return maintenance_->expire(now); }

size_t UpdateService::refresh_signatures(int64_t now) { return maintenance_->refresh_signatures(now); }

std::optional<int64_t> UpdateService::next_expiry() const {
  std::optional<int64_t> best;
  for (const auto& z : *writers()) {
    auto n = z->next_expiry();
    if (n && (!best || *n < *best)) best = n;
  }
  return best;
}

std::vector<Lease> UpdateService::leases(const dns::Name& origin) const {
  auto z = find(origin);
  return z ? z->leases() : std::vector<Lease>{};
}

Result<void> UpdateService::sync_files(bool force) { return maintenance_->sync_files(force); }

void UpdateService::start() { maintenance_->start(); }

void UpdateService::stop() { maintenance_->stop(); }

UpdateStats UpdateService::stats() const { return ctx_->stats(); }

std::string UpdateService::status() const {
  std::string out;
  for (const auto& z : *writers()) {
    auto cfg = z->config();
    out += fmt::format("dynamic {} serial {} leases {} file-serial {} journal {}\n",
                       cfg->origin.to_text(), z->committed()->serial(), z->lease_count(),
                       maintenance_->file_serial(*z), cfg->journal.empty() ? "-" : cfg->journal);
  }
  auto s = stats();
  out += fmt::format("updates received {} applied {} refused {} failed {} commits {} expired {}\n",
                     s.received, s.applied, s.refused, s.failed, s.commits, s.expired);
  return out;
}

}  // namespace namae::update
