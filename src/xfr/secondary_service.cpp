#include "xfr/secondary_service.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

namespace namae::xfr {

SecondaryService::SecondaryService(Fetcher& fetcher, const Clock& clock, LogSink log)
    : fetcher_(fetcher), clock_(clock), log_(std::move(log)) {}

SecondaryService::~SecondaryService() { stop(); }

Result<void> SecondaryService::add(SecondaryConfig config, SecondaryHooks hooks,
                                   bool forward_updates) {
  if (find(config.origin)) return fail("zone " + config.origin.to_text() + " is already a secondary");
  auto s = std::make_shared<Secondary>(std::move(config), fetcher_, clock_, std::move(hooks), log_);
  if (auto r = s->load(); !r) return fail("zone " + s->origin().to_text() + ": " + r.message());
  {
    std::lock_guard lock(mu_);
    zones_.push_back({std::move(s), forward_updates});
  }
  wake();  // its first check is due now
  return {};
}

std::shared_ptr<Secondary> SecondaryService::remove(const dns::Name& origin) {
  std::shared_ptr<Secondary> gone;
  {
    std::lock_guard lock(mu_);
    auto it = std::find_if(zones_.begin(), zones_.end(),
                           [&](const Zone& z) { return z.secondary->origin() == origin; });
    if (it == zones_.end()) return nullptr;
    gone = std::move(it->secondary);
    zones_.erase(it);
  }
  gone->retire();  // outside the lock: it waits for a tick in progress
  return gone;
}

std::vector<std::string> SecondaryService::rekey(std::span<const dns::TsigKey> keys) {
  std::vector<std::string> errors;
  for (const auto& z : zones()) {
    auto primaries = xfr::rekey(z.secondary->primaries(), keys);
    if (primaries) z.secondary->set_primaries(std::move(*primaries));
    else errors.push_back("zone " + z.secondary->origin().to_text() + ": primaries: " + primaries.message());
  }
  return errors;
}

std::vector<SecondaryService::Zone> SecondaryService::zones() const {
  std::lock_guard lock(mu_);
  return zones_;
}

// The thread runs even without zones: a consumed catalog may add some later.
void SecondaryService::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void SecondaryService::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SecondaryService::wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

std::shared_ptr<Secondary> SecondaryService::find(const dns::Name& origin) const {
  std::lock_guard lock(mu_);
  for (const auto& z : zones_)
    if (z.secondary->origin() == origin) return z.secondary;
  return nullptr;
}

std::shared_ptr<const update::Journal> SecondaryService::journal(const dns::Name& origin) const {
  auto s = find(origin);
  return s ? s->journal() : nullptr;
}

bool SecondaryService::forwards_updates(const dns::Name& origin) const {
  std::lock_guard lock(mu_);
  for (const auto& z : zones_)
    if (z.secondary->origin() == origin) return z.forward_updates;
  return false;
}

void SecondaryService::notify(const dns::Name& origin) {
  if (auto s = find(origin)) {
    s->refresh_soon();
    wake();
  }
}

void SecondaryService::run() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    lock.unlock();
    const int64_t now = clock_.now_ms();
    int64_t next = now + 60'000;
    for (auto& z : zones()) {
      if (z.secondary->next_event_ms() <= now) z.secondary->tick();
      next = std::min(next, z.secondary->next_event_ms());
    }
    lock.lock();
    if (stop_) break;
    if (!woken_) {
      auto wait = std::chrono::milliseconds(std::max<int64_t>(next - clock_.now_ms(), 10));
      cv_.wait_for(lock, wait, [this] { return stop_ || woken_; });
    }
    woken_ = false;
  }
}

std::string status_text(const dns::Name& origin, const SecondaryStatus& s, int64_t now) {
  auto when = [now](int64_t t) {
    if (!t) return std::string("never");
    return t >= now ? fmt::format("{} (in {}s)", t, t - now) : fmt::format("{} ({}s ago)", t, now - t);
  };
  std::string out = fmt::format("zone {}\n", origin.to_text());
  out += "serial " + (s.serial ? std::to_string(*s.serial) : std::string("none")) + "\n";
  out += fmt::format("state {}\n", s.available ? "serving" : "servfail");
  for (const auto& p : s.primaries) out += "primary " + p + "\n";
  out += "last-refresh " + when(s.last_refresh) + "\n";
  out += "next-refresh " + when(s.next_refresh) + "\n";
  out += "expires " + (s.expires_at ? when(s.expires_at) : std::string("-")) + "\n";
  out += fmt::format("transfers {} failures {} bytes {}\n", s.counters.transfers,
                     s.counters.failures, s.counters.bytes);
  out += "last-error " + (s.last_error.empty() ? std::string("-") : s.last_error) + "\n";
  return out;
}

std::string SecondaryService::control(std::string_view verb, std::string_view zone) {
  std::string text(zone);
  if (text.empty() || text.back() != '.') text += '.';
  auto name = dns::Name::from_text(text);
  auto s = name ? find(*name) : nullptr;
  if (!s) return "error: " + std::string(zone) + " is not a secondary zone\n";
  if (verb == "status") return "ok\n" + status_text(s->origin(), s->status(), clock_.unix_time());
  if (verb == "refresh") {
    s->refresh_soon();
    wake();
    return "ok refresh of " + s->origin().to_text() + " scheduled\n";
  }
  if (verb == "retransfer") {
    s->retransfer_soon();
    wake();
    return "ok full transfer of " + s->origin().to_text() + " scheduled\n";
  }
  return "error: unknown zone command '" + std::string(verb) + "' (status, refresh, retransfer)\n";
}

std::string SecondaryService::metrics() const {
  const auto list = zones();
  if (list.empty()) return {};
  std::string transfers, bytes, failures, age;
  const int64_t now = clock_.unix_time();
  for (const auto& z : list) {
    auto s = z.secondary->status();
    std::string label = fmt::format("{{zone=\"{}\"}}", z.secondary->origin().to_text());
    transfers += fmt::format("namae_xfr_in_transfers_total{} {}\n", label, s.counters.transfers);
    bytes += fmt::format("namae_xfr_in_bytes_total{} {}\n", label, s.counters.bytes);
    failures += fmt::format("namae_xfr_in_failures_total{} {}\n", label, s.counters.failures);
    if (s.last_refresh) age += fmt::format("namae_secondary_age_seconds{} {}\n", label, now - s.last_refresh);
  }
  return "# HELP namae_xfr_in_transfers_total Zone versions installed by AXFR or IXFR.\n"
         "# TYPE namae_xfr_in_transfers_total counter\n" + transfers +
         "# HELP namae_xfr_in_bytes_total Octets of transfer responses received.\n"
         "# TYPE namae_xfr_in_bytes_total counter\n" + bytes +
         "# HELP namae_xfr_in_failures_total Refresh checks or transfers that failed.\n"
         "# TYPE namae_xfr_in_failures_total counter\n" + failures +
         "# HELP namae_secondary_age_seconds Seconds since a primary last confirmed the zone's copy.\n"
         "# TYPE namae_secondary_age_seconds gauge\n" + age;
}

}  // namespace namae::xfr
