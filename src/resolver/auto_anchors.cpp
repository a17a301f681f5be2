#include "resolver/auto_anchors.h"

#include "base/durable_file.h"
#include "dnssec/dnskey.h"

namespace namae::resolver {

Result<std::shared_ptr<AutoTrustAnchors>> AutoTrustAnchors::load(const std::string& path, validator::HoldDowns hold,
                                                                 const Clock& clock, LogSink log) {
  auto points = validator::read_trust_points(path);
  if (!points) return points.error();
  std::shared_ptr<AutoTrustAnchors> a(new AutoTrustAnchors(path, hold, clock, std::move(log)));
  a->points_ = std::move(*points);
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
  for (auto& tp : points_) {
    if (!(tp.zone == dnskey.owner)) continue;
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

}  // namespace namae::resolver
