// The transfer client: what a secondary asks its primaries, over the
// network. The SOA query goes over UDP (again over TCP when truncated, or
// when the answer is an error rcode: some primaries serve some zones,
// catalogs among them, only over TCP); the
// transfer over one TCP connection (RFC 5936 4.1), IXFR from our serial
// first (RFC 1995 3: our SOA in the authority section) and AXFR when the
// primary does not do IXFR. With a key, the request is signed and every
// message of the answer verified (RFC 8945 5.3.1); a transfer whose
// signatures do not all check out is thrown away whole.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>

#include "base/clock.h"
#include "base/result.h"
#include "dns/name.h"
#include "dns/record.h"
#include "net/client.h"
#include "xfr/reader.h"
#include "xfr/remote.h"

namespace namae::xfr {

/// A finished transfer and what it cost.
struct Transfer {
  XfrResult result;
  uint16_t qtype = dns::rrtype::AXFR;  // what was finally asked (IXFR may fall back to AXFR)
  size_t messages = 0;
  size_t bytes = 0;
};

/// What a secondary asks of a primary (the seam its unit tests replace).
class Fetcher {
 public:
  virtual ~Fetcher() = default;
  /// The primary's SOA serial for `zone`.
  virtual Result<uint32_t> query_serial(const Remote& primary, const dns::Name& zone) = 0;
  /// The zone: IXFR from `ours` (our SOA record) when given, falling back to
  /// AXFR when the primary answers NOTIMP or FORMERR; AXFR otherwise.
  virtual Result<Transfer> transfer(const Remote& primary, const dns::Name& zone,
                                    const std::optional<dns::Record>& ours) = 0;
};

struct ClientOptions {
  std::chrono::milliseconds query_timeout{2000};   // per SOA query try
  int query_tries = 2;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds message_timeout{20000};  // between two messages of a transfer
  XfrLimits limits;
};

/// The Fetcher over sockets.
class TransferClient final : public Fetcher {
 public:
  TransferClient(net::Transport& transport, const Clock& clock, ClientOptions options = {});

  Result<uint32_t> query_serial(const Remote& primary, const dns::Name& zone) override;
  Result<Transfer> transfer(const Remote& primary, const dns::Name& zone,
                            const std::optional<dns::Record>& ours) override;

 private:
  // One SOA query over `protocol`; `rcode` receives an error rcode the
  // primary answered with.
  Result<uint32_t> ask_serial(const Remote& primary, const dns::Name& zone, net::ClientProtocol protocol,
                              uint16_t& rcode);
  // One IXFR or AXFR over a fresh connection. `rcode` receives the rcode
  // that ended it, if one did.
  Result<Transfer> run(const Remote& primary, const dns::Name& zone, uint16_t qtype,
                       const std::optional<dns::Record>& ours, uint16_t& rcode);

  net::Transport& transport_;
  const Clock& clock_;
  ClientOptions opts_;
};

/// The request message of an AXFR or IXFR (with `ours` in authority), unsigned.
std::vector<uint8_t> transfer_request(uint16_t id, const dns::Name& zone, uint16_t qtype,
                                      const std::optional<dns::Record>& ours);

}  // namespace namae::xfr
