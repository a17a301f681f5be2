// The RFC 2136 engine: reads an UPDATE message's sections, checks the
// prerequisites (3.2), prescans and authorises the update section (3.3,
// 3.4.1) and applies it (3.4.2) to a working copy of the zone, producing the
// ZoneDiff that turns the current version into the next one.
//
// The engine is pure: it never changes a ZoneVersion (they are immutable) and
// knows nothing of sockets, TSIG or the journal, so a refused message leaves
// the zone unchanged by construction and the same code serves DNS UPDATE,
// lease expiry and (later) the HTTP API. UpdateService (service.h) adds
// serialisation, the journal, leases and publication.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/result.h"
#include "dns/message.h"
#include "dns/name.h"
#include "dns/rdata.h"
#include "dns/record.h"
#include "update/policy.h"
#include "zone/zone.h"

namespace namae::update {

/// The sections of an UPDATE message (RFC 2136 2.3-2.5); each RR's rdata
/// decompressed, its class the section's meaning (RFC 2136 2.4, 2.5).
struct UpdateMessage {
  dns::Name zone;
  uint16_t zclass = dns::rrclass::IN;
  std::vector<dns::Record> prerequisites;
  std::vector<dns::Record> updates;
};

/// Read the zone, prerequisite and update sections of a parsed UPDATE.
/// Returns NOERROR, or FORMERR when ZOCOUNT is not 1 (RFC 2136 3.1.1), the
/// zone's type is not SOA, or a record's rdata cannot be decoded.
uint16_t read_update(const dns::MessageView& msg, UpdateMessage& out,
                     std::string* reason = nullptr);

/// Engine settings of one zone.
struct EngineOptions {
  uint32_t dynamic_max_ttl = 0;  // TTL ceiling for added RRs (0: none); not applied to SOA
};

/// What evaluate() decided.
struct Evaluation {
  uint16_t rcode = 0;
  std::string reason;   // why a failure (or an ignored RR) happened, for logs
  zone::ZoneDiff diff;  // the changes; the SOA serial bump is added by finish_update()
  /// RRs that add operations put (or found already) in the zone and that are
  /// still there at the end, as stored: the RRs a lease applies to.
  std::vector<dns::Record> added;
  bool changed() const { return !diff.removed.empty() || !diff.added.empty(); }
};

/// Run RFC 2136 3.2-3.4 for `msg` against `zone` (whose origin must be
/// msg.zone). Never touches `zone`; on any rcode but NOERROR the diff is empty.
Evaluation evaluate(const zone::ZoneVersion& zone, const UpdateMessage& msg,
                    const Permission& permission, const EngineOptions& options = {});

/// RFC 2136 3.2 alone (exposed for tests): NOERROR or the failing rcode.
uint16_t check_prerequisites(const zone::ZoneVersion& zone, const UpdateMessage& msg,
                             std::string* reason = nullptr);

/// RFC 1982 serial arithmetic: true when `a` is greater than `b`.
bool serial_gt(uint32_t a, uint32_t b);
/// The next serial (BIND's "increment" method): +1, skipping 0.
uint32_t next_serial(uint32_t s);
/// Serial field of SOA rdata (0 if malformed).
uint32_t soa_serial(std::span<const uint8_t> soa_rdata);

/// BIND's post-update name server sanity check: every apex NS whose target
/// lies inside the zone must have an A or AAAA record there, or the zone
/// could not be loaded again from its own file (named-checkzone and namaed
/// refuse such a zone). False, with the offending target in `reason`, if not.
bool apex_ns_have_addresses(const zone::ZoneVersion& zone, std::string* reason);

/// Complete `diff` with the SOA serial change (unless the diff itself
/// already raises the serial, i.e. the update replaced the SOA with a higher
/// one) and build the next version. With an empty diff the serial is still
/// raised (a journaled lease renewal). With `draft` (which must be `zone`
/// itself, not yet visible to any reader) the change is made in it where
/// possible (zone::ZoneVersion::apply_in_place).
Result<std::shared_ptr<zone::ZoneVersion>> finish_update(
    const zone::ZoneVersion& zone, zone::ZoneDiff& diff,
    std::shared_ptr<zone::ZoneVersion> draft = nullptr);

/// True when `diff` cannot change what apex_ns_have_addresses() says about
/// `zone` (it touches no apex NS and removes no address of an in-zone NS
/// target), so a zone that passed still passes without checking again.
bool keeps_ns_addresses(const zone::ZoneVersion& zone, const zone::ZoneDiff& diff);

}  // namespace namae::update
