#include "resolver/auto_anchors.h"

#include <algorithm>

#include "base/durable_file.h"
#include "dns/rrtype.h"
#include "dnssec/dnskey.h"
#include "validator/keys.h"

namespace namae::resolver {

Result<std::shared_ptr<AutoTrustAnchors>> AutoTrustAnchors::load(const std::string& path, validator::HoldDowns hold,
                                                                 const Clock& clock, LogSink log) {
  auto points = validator::read_trust_points(path);
  if (!points) return points.error();
  std::shared_ptr<AutoTrustAnchors> a(new AutoTrustAnchors(path, hold, clock, std::move(log)));
  a->points_ = std::move(*points);
  // Each point is due at once: its keys may have moved while namaed was down.
  a->timers_.assign(a->points_.size(), Timer{clock.now_ms(), hold.refresh_floor});
  a->publish();
  return a;
}

std::shared_ptr<const validator::TrustAnchors> AutoTrustAnchors::anchors() const {
  std::lock_guard lock(mu_);
  return anchors_;
}

void AutoTrustAnchors::publish() {
  std::vector<validator::Anchor> out;
  for (const auto& tp : points_) out.push_back(tp.anchor());
  anchors_ = std::make_shared<const validator::TrustAnchors>(validator::TrustAnchors::from_anchors(std::move(out)));
}

void AutoTrustAnchors::observe(const dns::RRset& dnskey, const std::vector<dns::RdataBytes>& rrsigs) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < points_.size(); ++i) {
    auto& tp = points_[i];
    if (!(tp.zone == dnskey.owner)) continue;
    auto times = validator::refresh_times(dnskey, rrsigs, clock_.unix_time(), hold_.refresh_floor);
    timers_[i] = Timer{clock_.now_ms() + int64_t{times.query_interval} * 1000, times.retry_time};
    auto before = tp;
    if (!validator::observe(tp, dnskey, rrsigs, clock_.unix_time(), hold_)) return;
    // Durable first: a state the file does not hold was never reached (RFC 5011 2.4.1's timer survives restarts).
    if (auto w = write_file_durably(path_, validator::trust_points_text(points_)); !w) {
      tp = std::move(before);
      log_to(log_, LogLevel::error, "trust anchors: cannot write " + path_ + ": " + w.message());
      return;
    }
    for (const auto& k : tp.keys)
      log_to(log_, LogLevel::info, "trust anchor " + tp.zone.to_text() + ": key " +
                                       std::to_string(dnssec::key_tag(k.dnskey)) + " " + validator::key_state_text(k.state));
    publish();
    return;
  }
}

size_t AutoTrustAnchors::refresh_due(const Fetch& fetch) {
  std::vector<dns::Name> due;
  {
    std::lock_guard lock(mu_);
    int64_t now = clock_.now_ms();
    for (size_t i = 0; i < points_.size(); ++i)
      if (timers_[i].due_ms <= now) {
        due.push_back(points_[i].zone);
        // Not asked again while this query runs (it may take the whole resolution timeout).
        timers_[i].due_ms = now + int64_t{timers_[i].retry_s} * 1000;
      }
  }
  for (const auto& zone : due) {
    auto got = fetch(zone);
    if (got && validated(zone, *got)) {
      observe(got->dnskey, got->rrsigs);
    } else {
      log_to(log_, LogLevel::warning, "trust anchor " + zone.to_text() +
                                       ": no DNSKEY RRset its anchors validate; asking again later (RFC 5011 2.3)");
      retry_later(zone);
    }
  }
  return due.size();
}

// The RRset authenticated by the point's anchors now (RFC 5011 2.2: a
// trusted key signs it), as the validator's own check of a trust point.
bool AutoTrustAnchors::validated(const dns::Name& zone, const Fetched& f) const {
  validator::Anchor anchor;
  {
    std::lock_guard lock(mu_);
    auto tp = std::find_if(points_.begin(), points_.end(), [&](const auto& p) { return p.zone == zone; });
    if (tp == points_.end()) return false;
    anchor = tp->anchor();
  }
  if (!(f.dnskey.owner == zone) || f.dnskey.type != dns::rrtype::DNSKEY) return false;
  auto now = static_cast<uint32_t>(clock_.unix_time());
  return validator::verify_dnskeys(zone, f.dnskey, f.rrsigs, anchor.ds, anchor.dnskeys, now).verdict.is_secure();
}

void AutoTrustAnchors::retry_later(const dns::Name& zone) {
  std::lock_guard lock(mu_);
  for (size_t i = 0; i < points_.size(); ++i)
    if (points_[i].zone == zone) timers_[i].due_ms = clock_.now_ms() + int64_t{timers_[i].retry_s} * 1000;
}

int64_t AutoTrustAnchors::next_refresh_in_ms() const {
  std::lock_guard lock(mu_);
  int64_t now = clock_.now_ms(), soonest = INT64_MAX;
  for (const auto& t : timers_) soonest = std::min(soonest, t.due_ms);
  return soonest == INT64_MAX ? soonest : std::max<int64_t>(0, soonest - now);
}

}  // namespace namae::resolver
