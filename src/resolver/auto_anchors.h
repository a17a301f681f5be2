// RFC 5011 automated trust-anchor updates for the resolver: the trust
// points of `[resolver] trust-anchor-file`, the anchors they give now and
// the file, kept in step. Each trust point's DNSKEY RRset the validator
// validates moves its states (RFC 5011 4); a state that changed is
// written back to the file durably before the new anchors are used.
//
// Active refresh (RFC 5011 2.3): each trust point is due a query of its
// DNSKEY RRset at the query interval after the last one validated (first
// at startup), and at the retry time after one that failed, whatever the
// clients ask; the resolver's refresh thread runs refresh_due() then.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "base/result.h"
#include "validator/anchors.h"
#include "validator/rfc5011.h"

namespace namae::resolver {

class AutoTrustAnchors {
 public:
  /// The trust points of the file at `path` (its DS or DNSKEY records and the states it keeps).
  static Result<std::shared_ptr<AutoTrustAnchors>> load(const std::string& path, validator::HoldDowns hold,
                                                        const Clock& clock, LogSink log = {});

  /// The anchors now.
  std::shared_ptr<const validator::TrustAnchors> anchors() const;
  /// `dnskey` (with `rrsigs`), the DNSKEY RRset of a trust point's zone,
  /// validated by the anchors now: RFC 5011's states move; the file is
  /// rewritten when one did. The point's next query is due a query interval later.
  void observe(const dns::RRset& dnskey, const std::vector<dns::RdataBytes>& rrsigs);

  /// A DNSKEY RRset and its RRSIGs, as a fresh query got them.
  struct Fetched {
    dns::RRset dnskey;
    std::vector<dns::RdataBytes> rrsigs;
  };
  /// Resolves a zone's DNSKEY RRset afresh (not from the cache); nullopt: no answer.
  using Fetch = std::function<std::optional<Fetched>(const dns::Name& zone)>;
  /// RFC 5011 2.3: query each trust point that is due with `fetch` (no lock
  /// held meanwhile); an RRset the point's anchors validate is observed,
  /// anything else is retried after the retry time. Returns the points asked.
  size_t refresh_due(const Fetch& fetch);
  /// Milliseconds of the clock until a trust point is due (0: one is).
  int64_t next_refresh_in_ms() const;

 private:
  AutoTrustAnchors(std::string path, validator::HoldDowns hold, const Clock& clock, LogSink log)
      : path_(std::move(path)), hold_(hold), clock_(clock), log_(std::move(log)) {}
  void publish();  // under mu_
  bool validated(const dns::Name& zone, const Fetched& f) const;
  void retry_later(const dns::Name& zone);

  // When a point is next due (clock ms) and how long after a failure to retry.
  struct Timer {
    int64_t due_ms = 0;
    uint32_t retry_s = 0;
  };

  const std::string path_;
  const validator::HoldDowns hold_;
  const Clock& clock_;
  const LogSink log_;
  mutable std::mutex mu_;
  std::vector<validator::TrustPoint> points_;
  std::vector<Timer> timers_;  // one per point
  std::shared_ptr<const validator::TrustAnchors> anchors_;
};

}  // namespace namae::resolver
