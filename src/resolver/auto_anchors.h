// RFC 5011 automated trust-anchor updates for the resolver: the trust
// points of `[resolver] trust-anchor-file`, the anchors they give now and
// the file, kept in step. The validator reports each trust point's DNSKEY
// RRset it validated (once per TTL of that RRset, when its keys are fetched
// again: RFC 5011 2.3's refresh, driven by use); a state that changed is
// written back to the file durably before the new anchors are used.
#pragma once

#include <memory>
#include <mutex>
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
  /// rewritten when one did.
  void observe(const dns::RRset& dnskey, const std::vector<dns::RdataBytes>& rrsigs);

 private:
  AutoTrustAnchors(std::string path, validator::HoldDowns hold, const Clock& clock, LogSink log)
      : path_(std::move(path)), hold_(hold), clock_(clock), log_(std::move(log)) {}
  void publish();  // under mu_

  const std::string path_;
  const validator::HoldDowns hold_;
  const Clock& clock_;
  const LogSink log_;
  mutable std::mutex mu_;
  std::vector<validator::TrustPoint> points_;
  std::shared_ptr<const validator::TrustAnchors> anchors_;
};

}  // namespace namae::resolver
