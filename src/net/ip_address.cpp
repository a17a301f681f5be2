#include "net/ip_address.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <cstring>

#include "dns/rrtype.h"

namespace namae::net {

std::vector<uint8_t> IpAddress::rdata() const {
  size_t n = family == AF_INET ? 4 : 16;
  return std::vector<uint8_t>(bytes.begin(), bytes.begin() + static_cast<ptrdiff_t>(n));
}

uint16_t IpAddress::rrtype() const {
  return family == AF_INET ? dns::rrtype::A : dns::rrtype::AAAA;
}

std::string IpAddress::to_text() const {
  char buf[INET6_ADDRSTRLEN] = "";
  inet_ntop(family, bytes.data(), buf, sizeof buf);
  return buf;
}

std::optional<IpAddress> parse_ip(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  std::string s(text);
  IpAddress ip;
  if (inet_pton(AF_INET, s.c_str(), ip.bytes.data()) == 1) {
    ip.family = AF_INET;
    return ip;
  }
  if (inet_pton(AF_INET6, s.c_str(), ip.bytes.data()) == 1) {
    static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (std::memcmp(ip.bytes.data(), mapped, 12) == 0) {
      IpAddress v4;
      v4.family = AF_INET;
      std::memcpy(v4.bytes.data(), ip.bytes.data() + 12, 4);
      return v4;
    }
    ip.family = AF_INET6;
    return ip;
  }
  return std::nullopt;
}

}  // namespace namae::net
