// The request side of dynamic update, run on the transport worker that
// received the UPDATE (UpdateService::handle, request.cpp): TSIG verified
// (RFC 8945), the sections read (RFC 2136 3.1), the zone found and the
// permission decided, all without any zone lock. What passes is queued to
// the zone's writer (writer.h) as a QueuedUpdate; the writer replies with
// build_update_reply() and lease_option() once the change is durable.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/log.h"
#include "dns/edns.h"
#include "dns/message.h"
#include "dns/tsig.h"
#include "net/handler.h"
#include "update/engine.h"
#include "update/policy.h"
#include "update/service.h"

namespace namae::update {

/// An UPDATE that passed every check made on the transport worker.
struct ZoneUpdateConfig;

struct CheckedUpdate {
  // The key table the request was verified against: tsig.key points into it,
  // and a reconfiguration may publish another table before the reply is signed.
  std::shared_ptr<const std::vector<dns::TsigKey>> keys;
  dns::TsigVerification tsig;  // the request's TSIG, to sign the reply with
  UpdateMessage msg;
  Permission permission;
  std::shared_ptr<const ZoneUpdateConfig> config;  // the zone's settings it was checked with (owns the policy)
  std::optional<dns::UpdateLease> lease;  // asked for (RFC 9664)
  std::string granted_to;                 // holder of the leases it grants: "dns:KEY@ADDR"
  std::string who;                        // "key NAME" or "unsigned", for logs
  std::string peer;                       // the requester's address, for logs
};

/// A checked UPDATE waiting in its zone's writer queue.
struct QueuedUpdate {
  std::vector<uint8_t> wire;  // the request, to build the reply from
  net::ReplyChannel channel;
  CheckedUpdate update;
  std::chrono::steady_clock::time_point received;  // for the latency metric
};

/// The reply to UPDATE `query` with `code` (and EDNS `options`), TSIG-signed
/// when `tv` holds the request's TSIG (RFC 8945 5.3). Returns its length.
size_t build_update_reply(const dns::MessageView& query, std::span<uint8_t> response, bool tcp,
                          const dns::TsigVerification& tv, uint16_t code,
                          const std::vector<uint8_t>& options, int64_t now);

/// The UPDATE-LEASE option (RFC 9664) granted by `res`, if the request spoke EDNS.
std::vector<uint8_t> lease_option(const UpdateResult& res, bool edns);

/// One log line for an answered update.
void log_update_result(const LogSink& log, const std::string& peer, const std::string& who,
                       const dns::Name& zone, const UpdateResult& res);

}  // namespace namae::update
