#include "xfr/secondary.h"

#include <sys/stat.h>

#include <algorithm>

#include <fmt/format.h>

#include "update/zone_file.h"
#include "xfr/soa.h"
#include "zone/builder.h"
#include "zone/check.h"
#include "zone/load.h"

namespace namae::xfr {
namespace {

// Before the first transfer there is no SOA to take the retry interval from.
constexpr int64_t kRetryWithoutSoaMs = 10'000;

SoaTimers timers_of(const zone::ZoneVersion& v) {
  auto t = soa_timers(v.soa().first());
  return t ? *t : SoaTimers{};
}

int64_t seconds_ms(uint32_t s) { return std::max<int64_t>(int64_t{s} * 1000, 1000); }

// The version's zone-wide errors (zone/check.h), joined; empty if none.
std::string check_errors(const zone::ZoneVersion& v) {
  std::vector<zonefile::Diagnostic> diags;
  zone::check_zone(v, diags);
  std::string out;
  for (const auto& d : diags)
    if (d.severity == zonefile::Severity::error) out += (out.empty() ? "" : "; ") + d.message;
  return out;
}

}  // namespace

Secondary::Secondary(SecondaryConfig config, Fetcher& fetcher, const Clock& clock,
                     SecondaryHooks hooks, LogSink log)
    : cfg_(std::move(config)), fetcher_(fetcher), clock_(clock), hooks_(std::move(hooks)),
      log_(std::move(log)) {}

void Secondary::say(LogLevel level, const std::string& text) const {
  log_to(log_, level, "zone " + cfg_.origin.to_text() + ": " + text);
}

Result<void> Secondary::load() {
  auto j = update::Journal::open(cfg_.journal, cfg_.origin);
  if (!j) return fail("journal " + cfg_.journal + ": " + j.message());
  {
    std::lock_guard lock(mu_);
    journal_ = std::move(*j);
  }
  next_check_ms_ = clock_.now_ms();
  struct stat st {};
  if (stat(cfg_.file.c_str(), &st) != 0) {
    say(LogLevel::info, "no saved copy yet (" + cfg_.file + "); SERVFAIL until the first transfer");
    return {};
  }
  std::vector<zonefile::Diagnostic> diags;
  auto loaded = zone::load_zone_file(cfg_.file, cfg_.origin, diags);
  if (!loaded) return fail(cfg_.file + ": " + (diags.empty() ? loaded.message() : diags[0].to_string()));
  auto plan = update::plan_replay(*journal_, (*loaded)->serial());
  if (!plan) return fail("journal " + cfg_.journal + ": " + plan.message());
  std::shared_ptr<const zone::ZoneVersion> v = *loaded;
  if (plan->kind == update::ReplayPlan::Kind::replay) {
    auto replayed = update::replay(v, plan->entries);
    if (!replayed) return fail("journal " + cfg_.journal + ": " + replayed.message());
    v = *replayed;
  } else if (plan->kind == update::ReplayPlan::Kind::file_newer) {
    if (auto r = journal_->reset(); !r) return r;
  }
  say(LogLevel::info, fmt::format("serving saved serial {} ({} journal steps)", v->serial(),
                                  plan->entries.size()));
  // How long ago the primary was last heard from is not saved: the copy
  // counts as fresh from now, and is checked at once.
  publish(v, "loaded");
  std::lock_guard lock(mu_);
  expire_at_ms_ = clock_.now_ms() + seconds_ms(timers_of(*v).expire);
  return {};
}

int64_t Secondary::next_event_ms() const {
  std::lock_guard lock(mu_);
  if (retired_) return INT64_MAX;
  int64_t next = next_check_ms_;
  if (available_ && expire_at_ms_) next = std::min(next, expire_at_ms_);
  return next;
}

void Secondary::refresh_soon() {
  std::lock_guard lock(mu_);
  ++asked_;
  next_check_ms_ = clock_.now_ms();
}

void Secondary::retransfer_soon() {
  std::lock_guard lock(mu_);
  ++asked_;
  ++asked_whole_;
  whole_ = true;
  next_check_ms_ = clock_.now_ms();
}

// When the next check is due after one that just ended: at once if a
// NOTIFY or `ctl` asked for one while it ran, else after `wait_ms`.
int64_t Secondary::next_check_locked(int64_t now, int64_t wait_ms) const {
  return asked_ != check_asked_ ? now : now + wait_ms;
}

bool Secondary::is_primary(const net::Endpoint& addr) const {
  std::lock_guard lock(mu_);
  for (const auto& p : cfg_.primaries)
    if (net::endpoint_address(p.address) == net::endpoint_address(addr)) return true;
  return false;
}

std::optional<dns::TsigKey> Secondary::key() const {
  std::lock_guard lock(mu_);
  if (cfg_.primaries.empty()) return std::nullopt;
  return cfg_.primaries.front().key;
}

std::vector<Remote> Secondary::primaries() const {
  std::lock_guard lock(mu_);
  return cfg_.primaries;
}

void Secondary::set_primaries(std::vector<Remote> primaries) {
  std::lock_guard lock(mu_);
  cfg_.primaries = std::move(primaries);
}

std::shared_ptr<const zone::ZoneVersion> Secondary::version() const {
  std::lock_guard lock(mu_);
  return version_;
}

std::shared_ptr<const update::Journal> Secondary::journal() const {
  std::lock_guard lock(mu_);
  return journal_;
}

SecondaryStatus Secondary::status() const {
  std::lock_guard lock(mu_);
  SecondaryStatus s;
  if (version_) s.serial = version_->serial();
  for (const auto& p : cfg_.primaries) s.primaries.push_back(p.to_string());
  const int64_t now_ms = clock_.now_ms(), now = clock_.unix_time();
  auto to_unix = [&](int64_t ms) { return now + (ms - now_ms) / 1000; };
  s.last_refresh = last_contact_unix_;
  s.next_refresh = to_unix(next_check_ms_);
  s.expires_at = version_ && expire_at_ms_ ? to_unix(expire_at_ms_) : 0;
  s.available = available_;
  s.last_error = last_error_;
  s.counters = counters_;
  return s;
}

void Secondary::retire() {
  std::lock_guard work(work_mu_);
  std::lock_guard lock(mu_);
  retired_ = true;
  journal_.reset();  // an IXFR out still reading it holds its own reference
}

void Secondary::tick() {
  std::lock_guard work(work_mu_);
  const int64_t now = clock_.now_ms();
  bool due, whole, expiring;
  {
    std::lock_guard lock(mu_);
    if (retired_) return;
    expiring = available_ && expire_at_ms_ && now >= expire_at_ms_;
    due = now >= next_check_ms_;
    whole = whole_;
    if (due) {
      check_asked_ = asked_;
      check_asked_whole_ = asked_whole_;
    }
  }
  if (expiring) expire();
  if (due) refresh(whole);
}

// State: ask each primary in turn for its serial; the first that answers
// decides. A newer serial (or a retransfer) goes on to transfer().
void Secondary::refresh(bool whole) {
  const auto current = version();
  std::string errors;
  for (const auto& primary : primaries()) {
    auto serial = fetcher_.query_serial(primary, cfg_.origin);
    if (!serial) {
      errors += (errors.empty() ? "" : "; ") + serial.message();
      continue;
    }
    const uint32_t ours = current ? current->serial() : 0;
    if (!current || whole || update::serial_lt(ours, *serial)) {
      auto done = transfer(primary, whole);
      if (done) return contacted(primary);
      errors += (errors.empty() ? "" : "; ") + done.message();
      continue;
    }
    if (*serial == ours) return contacted(primary);
    // RFC 1982: older, or exactly 2^31 away (undefined): never go back.
    errors += fmt::format("{}{}: serial {} is not newer than ours {}; refused",
                          errors.empty() ? "" : "; ", primary.address.to_string(), *serial, ours);
  }
  failed(errors.empty() ? "no primaries" : errors);  // logged there
}

// State: fetch the zone (IXFR from our serial unless the whole zone is
// wanted) and install what came. An IXFR that does not apply to our copy,
// or an "up to date" that is not, is asked again as AXFR.
Result<void> Secondary::transfer(const Remote& primary, bool whole) {
  auto ours = whole ? std::nullopt : our_soa();
  auto t = fetcher_.transfer(primary, cfg_.origin, ours);
  if (!t) return t.error();
  {
    std::lock_guard lock(mu_);
    counters_.bytes += t->bytes;
  }
  using Kind = XfrResult::Kind;
  Result<void> installed = fail("");
  switch (t->result.kind) {
    case Kind::up_to_date:
      if (ours && t->result.serial == version()->serial()) return {};
      installed = fail(fmt::format("primary said up to date at serial {}", t->result.serial));
      break;
    case Kind::full:
      return install_full(*t);
    case Kind::incremental:
      installed = install_steps(*t);
      if (installed) return installed;
      break;
  }
  if (!ours) return installed;
  say(LogLevel::info, installed.message() + "; asking for AXFR");
  auto again = fetcher_.transfer(primary, cfg_.origin, std::nullopt);
  if (!again) return again.error();
  {
    std::lock_guard lock(mu_);
    counters_.bytes += again->bytes;
  }
  if (again->result.kind != Kind::full) return fail("AXFR did not give a full zone");
  return install_full(*again);
}

// State: a full zone built whole, checked, saved to the file, served.
Result<void> Secondary::install_full(Transfer& t) {
  const auto current = version();
  if (current && update::serial_lt(t.result.serial, current->serial()))
    return fail(fmt::format("transferred serial {} is older than ours {}; refused",
                            t.result.serial, current->serial()));
  zone::ZoneBuilder b(cfg_.origin);
  b.reserve(t.result.records.size(), t.bytes);
  for (const auto& r : t.result.records)
    if (auto added = b.add(r); !added) return fail("transferred zone: " + added.message());
  auto built = b.build();
  if (!built) {
    auto errs = b.errors();
    return fail("transferred zone: " + (errs.empty() ? built.message() : errs[0].message));
  }
  if (auto errs = check_errors(**built); !errs.empty()) return fail("transferred zone: " + errs);
  if (auto saved = save_full(**built); !saved) return saved;
  publish(*built, fmt::format("{} ({} records)", dns::type_to_text(t.qtype), (*built)->record_count()));
  return {};
}

// State: the IXFR steps applied in order to our version, the result checked,
// the steps journaled, the last version served.
Result<void> Secondary::install_steps(Transfer& t) {
  auto v = version();
  if (!v) return fail("IXFR without a version to apply it to");
  if (t.result.steps.front().serial_from != v->serial())
    return fail(fmt::format("IXFR starts at serial {}, ours is {}",
                            t.result.steps.front().serial_from, v->serial()));
  for (const auto& step : t.result.steps) {
    auto next = v->apply(step.diff);
    if (!next) return fail(fmt::format("IXFR step {} -> {} does not apply: {}", step.serial_from,
                                       step.serial_to, next.message()));
    if ((*next)->serial() != step.serial_to)
      return fail(fmt::format("IXFR step to {} gives serial {}", step.serial_to, (*next)->serial()));
    v = *next;
  }
  if (auto errs = check_errors(*v); !errs.empty()) return fail("zone after IXFR: " + errs);
  if (auto saved = save_steps(t.result.steps, *v); !saved) return saved;
  publish(v, fmt::format("IXFR ({} steps)", t.result.steps.size()));
  return {};
}

void Secondary::publish(std::shared_ptr<const zone::ZoneVersion> v, const std::string& how) {
  {
    std::lock_guard lock(mu_);
    if (retired_) return;
  }
  say(LogLevel::info, fmt::format("serial {} now served ({})", v->serial(), how));
  if (hooks_.publish) hooks_.publish(v);
  bool was_available;
  {
    std::lock_guard lock(mu_);
    version_ = std::move(v);
    was_available = available_;
    available_ = true;
    if (how != "loaded") ++counters_.transfers;
  }
  if (!was_available && hooks_.set_available) hooks_.set_available(true);
}

// A primary answered and our copy matches its serial: the timers restart,
// and an expired copy is served again.
void Secondary::contacted(const Remote& primary) {
  bool revived;
  {
    std::lock_guard lock(mu_);
    const int64_t now = clock_.now_ms();
    SoaTimers t = version_ ? timers_of(*version_) : SoaTimers{};
    last_contact_unix_ = clock_.unix_time();
    next_check_ms_ = next_check_locked(now, seconds_ms(t.refresh));
    expire_at_ms_ = now + seconds_ms(t.expire);
    if (asked_whole_ == check_asked_whole_) whole_ = false;  // else a retransfer came meanwhile
    last_error_.clear();
    revived = version_ && !available_;
    available_ = available_ || version_ != nullptr;
  }
  if (revived) {
    say(LogLevel::info, "primary " + primary.address.to_string() + " reached again; serving");
    if (hooks_.set_available) hooks_.set_available(true);
  }
}

void Secondary::failed(const std::string& why) {
  say(LogLevel::warning, why);
  std::lock_guard lock(mu_);
  ++counters_.failures;
  last_error_ = why;
  next_check_ms_ = next_check_locked(clock_.now_ms(), version_ ? seconds_ms(timers_of(*version_).retry)
                                                               : kRetryWithoutSoaMs);
}

// RFC 1035 3.3.13: past `expire` without contact the data is no longer
// authoritative; answer SERVFAIL until a primary is reached again.
void Secondary::expire() {
  {
    std::lock_guard lock(mu_);
    available_ = false;
  }
  say(LogLevel::error, "expired: no primary reached within the SOA expire time; answering SERVFAIL");
  if (hooks_.set_available) hooks_.set_available(false);
}

Result<void> Secondary::save_full(const zone::ZoneVersion& v) {
  if (auto w = update::write_zone_file(cfg_.file, v); !w) return fail("saving " + cfg_.file + ": " + w.message());
  if (journal_)
    if (auto r = journal_->reset(); !r) return fail("journal " + cfg_.journal + ": " + r.message());
  return {};
}

Result<void> Secondary::save_steps(const std::vector<XfrStep>& steps, const zone::ZoneVersion& v) {
  if (!journal_) return {};
  std::vector<update::JournalEntry> entries;
  std::vector<update::LeaseChanges> leases(steps.size());
  for (const auto& s : steps)
    entries.push_back({s.serial_from, s.serial_to, clock_.unix_time(), s.diff});
  // A journal that does not continue from the file (first IXFR after start
  // with an empty journal) simply starts here.
  if (auto r = journal_->commit_batch(entries, leases); !r)
    return fail("journal " + cfg_.journal + ": " + r.message());
  auto count = journal_->entry_count();
  if (count && *count > cfg_.journal_keep) {
    if (auto w = update::write_zone_file(cfg_.file, v); !w) return fail("saving " + cfg_.file + ": " + w.message());
    if (auto c = journal_->compact(v.serial(), cfg_.journal_keep / 2); !c)
      return fail("journal " + cfg_.journal + ": " + c.message());
  }
  return {};
}

std::optional<dns::Record> Secondary::our_soa() const {
  auto v = version();
  if (!v) return std::nullopt;
  auto recs = v->soa();
  dns::Record r;
  r.owner = cfg_.origin;
  r.type = dns::rrtype::SOA;
  r.ttl = recs.ttl();
  auto rd = recs.first();
  r.rdata.assign(rd.begin(), rd.end());
  return r;
}

}  // namespace namae::xfr
