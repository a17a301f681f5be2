// TransferService: namaed as a zone-transfer primary. Set on every AuthEngine
// with set_transfer_handler, it answers AXFR (RFC 5936) and IXFR (RFC 1995)
// from the snapshot the worker holds:
//  - TSIG first (RFC 8945 5.2: a failure is answered NOTAUTH with its error),
//    then the zone (not ours: NOTAUTH, RFC 5936 2.2.1), then `allow-transfer`
//    (an address prefix, or "key:NAME" for a request verified with that key;
//    nobody by default: REFUSED).
//  - AXFR over TCP: a stream (net::kStream) of the version current when the
//    request came, however long the client takes to read it.
//  - IXFR: the journal's differences (a dynamic zone's updates, or the
//    steps a secondary zone received: chains of secondaries) from the
//    client's serial to the served version's; the whole zone AXFR-style
//    when the journal cannot bridge that (serial unknown, compacted away,
//    no journal); the single SOA when the client is current or newer. Over
//    UDP (RFC 1995 4) the differences when they fit in one datagram, else
//    the single SOA.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "auth/engine.h"
#include "base/published.h"
#include "dns/tsig.h"
#include "net/acl.h"
#include "net/metrics.h"
#include "update/journal.h"
#include "zone/zone_set.h"

namespace namae::xfr {

/// allow-transfer of one zone.
struct TransferZone {
  dns::Name origin;
  net::AddressAcl allow;  // prefixes and "key:NAME" entries
};

struct TransferOptions {
  std::vector<TransferZone> zones;   // zones not listed are refused to everyone
  std::vector<dns::TsigKey> keys;    // [[key]]: what signed requests are verified against
  uint16_t max_udp_payload = 1232;   // largest IXFR-over-UDP answer
  /// The journal of a dynamic zone, or the received steps of a secondary
  /// (nullptr: none, IXFR answers in full). Shared: a secondary zone may be
  /// removed while a transfer reads its journal.
  std::function<std::shared_ptr<const update::Journal>(const dns::Name&)> journal;
  net::MetricsRegistry* metrics = nullptr;  // transfers, bytes, refusals
};

class TransferService : public auth::RequestHandler {
 public:
  explicit TransferService(TransferOptions options);
  /// New zones, ACLs and keys (live reconfiguration): transfers that start
  /// from now on use them; one in progress keeps the zone version it has.
  void set_options(TransferOptions options);

  /// auth::RequestHandler: AXFR/IXFR (thread-safe; nothing here is shared
  /// but the options, read-only after construction).
  size_t handle(const dns::MessageView& query, std::span<uint8_t> response, const net::Peer& peer,
                const zone::ZoneSet& zones) override;
  /// The stream of the last handle() on this thread that returned kStream.
  std::unique_ptr<net::ResponseStream> take_stream() override;

 private:
  struct Request;
  size_t answer_ixfr(Request& r);
  // A single-message answer: rcode, question, and the SOA when `with_soa`.
  size_t reply(Request& r, uint16_t rc, bool with_soa);
  size_t stream(std::unique_ptr<net::ResponseStream> s);
  const TransferZone* find(const TransferOptions& opts, const dns::Name& origin) const;

  Published<TransferOptions> opts_;
};

}  // namespace namae::xfr
