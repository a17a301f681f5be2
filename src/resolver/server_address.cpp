#include "resolver/server_address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstring>

#include "dns/rrtype.h"

namespace namae::resolver {

bool endpoint_from_rdata(uint16_t type, const dns::RdataBytes& rd, uint16_t port,
                         net::Endpoint& ep) {
  ep = net::Endpoint{};
  if (type == dns::rrtype::A && rd.size() == 4) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ep.addr);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    std::memcpy(&sin->sin_addr, rd.data(), 4);
    ep.len = sizeof(sockaddr_in);
    return true;
  }
  if (type == dns::rrtype::AAAA && rd.size() == 16) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ep.addr);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    std::memcpy(&sin6->sin6_addr, rd.data(), 16);
    ep.len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

bool address_allowed(const net::Endpoint& ep, bool allow_loopback) {
  if (ep.family() == AF_INET) {
    auto* sin = reinterpret_cast<const sockaddr_in*>(&ep.addr);
    uint32_t a = ntohl(sin->sin_addr.s_addr);
    if (a == 0 || a == 0xffffffff || (a >> 28) == 0xe) return false;
    if ((a >> 24) == 127 && !allow_loopback) return false;
    return true;
  }
  auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ep.addr);
  if (IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr) || IN6_IS_ADDR_MULTICAST(&sin6->sin6_addr))
    return false;
  if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr) && !allow_loopback) return false;
  return true;
}

}  // namespace namae::resolver
