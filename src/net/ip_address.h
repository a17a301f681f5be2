// One IPv4 or IPv6 address as a value: what `namae ddns` publishes and what
// the DynDNS2 endpoint receives in `myip` or sees as the client's address.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace namae::net {

/// An IPv4 or IPv6 address.
struct IpAddress {
  int family = 0;  // AF_INET or AF_INET6
  std::array<uint8_t, 16> bytes{};

  /// Octets as they go into A (4) or AAAA (16) rdata (RFC 1035 3.4.1, RFC 3596 2.2).
  std::vector<uint8_t> rdata() const;
  /// The RR type it is published as (A or AAAA).
  uint16_t rrtype() const;
  std::string to_text() const;
  bool operator==(const IpAddress& o) const { return family == o.family && bytes == o.bytes; }
};

/// Parse a numeric address strictly (inet_pton; no scope id, no brackets).
/// An IPv4-mapped IPv6 address (::ffff:a.b.c.d, how a dual-stack socket
/// reports IPv4 peers) is returned as IPv4.
std::optional<IpAddress> parse_ip(std::string_view text);

}  // namespace namae::net
