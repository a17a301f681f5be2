// Unicast replies of the Discovery Proxy: the question as the client wrote
// it, AA=1 (RFC 8766 5.1: the proxy is the zone's authoritative server),
// the sections of a proxy::Answer, EDNS when the query had it, and TC=1 when
// the answer or authority does not fit (RFC 2181 9; additional data is
// optional and simply left out).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "dns/message.h"
#include "proxy/core.h"

namespace namae::proxy {

/// What a reply needs of its query, copied out of the message (a deferred
/// reply is written long after the query buffer is gone).
struct QueryInfo {
  uint16_t id = 0;
  bool rd = false, cd = false;
  std::vector<uint8_t> qname;  // wire form, letter case as received
  uint16_t qtype = 0, qclass = 0;
  bool edns = false;
  uint16_t udp_size = 512;
  bool tcp = false;

  static QueryInfo from(const dns::MessageView& q, bool tcp);
};

/// Write the reply into `out`; `max_udp` is our own UDP payload limit.
/// Returns its length (0 if `out` cannot hold a header).
size_t write_reply(const QueryInfo& q, const Answer& a, std::span<uint8_t> out, uint16_t max_udp);

}  // namespace namae::proxy
