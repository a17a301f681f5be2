// NOTIFY (RFC 1996) to a secondary zone: a listed primary says the zone
// changed, and the secondary checks at once instead of at its next refresh.
// Answered at once on the worker (RFC 1996 3.7: same ID and question, QR,
// NOERROR); the check itself runs on the secondaries' thread.
#pragma once

#include <vector>

#include "auth/engine.h"
#include "base/published.h"
#include "dns/tsig.h"
#include "xfr/secondary_service.h"

namespace namae::xfr {

class NotifyHandler final : public auth::RequestHandler {
 public:
  /// `keys` are the server's TSIG keys; a zone with a transfer-key accepts
  /// only NOTIFYs signed with that one.
  NotifyHandler(SecondaryService& secondaries, std::vector<dns::TsigKey> keys,
                const Clock& clock = system_clock());

  /// A new key table (live reconfiguration): a NOTIFY being answered
  /// keeps the table it was verified with, whose key signs its reply.
  void set_keys(std::vector<dns::TsigKey> keys);

  /// NOTAUTH for a zone that is not a secondary here (or a bad signature),
  /// REFUSED for a source that is not one of its primaries, FORMERR for a
  /// NOTIFY without exactly one SOA question.
  size_t handle(const dns::MessageView& query, std::span<uint8_t> response, const net::Peer& peer,
                const zone::ZoneSet& zones) override;

 private:
  // The rcode for `query` from `peer`; `tv` receives its TSIG verification
  // (its key points into `keys`).
  uint16_t decide(const dns::MessageView& query, const net::Peer& peer, const std::vector<dns::TsigKey>& keys,
                  dns::TsigVerification& tv);

  SecondaryService& secondaries_;
  Published<std::vector<dns::TsigKey>> keys_;
  const Clock& clock_;
};

}  // namespace namae::xfr
