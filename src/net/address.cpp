#include "net/address.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

#include "dns/wire.h"

namespace namae::net {

std::span<const uint8_t> address_octets(const sockaddr* sa, socklen_t len) {
  if (sa && sa->sa_family == AF_INET && len >= static_cast<socklen_t>(sizeof(sockaddr_in)))
    return {reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in*>(sa)->sin_addr), 4};
  if (sa && sa->sa_family == AF_INET6 && len >= static_cast<socklen_t>(sizeof(sockaddr_in6)))
    return {reinterpret_cast<const uint8_t*>(&reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr), 16};
  return {};
}

std::string sockaddr_to_string(const sockaddr* sa, socklen_t len) {
  char host[INET6_ADDRSTRLEN] = "?";
  if (sa->sa_family == AF_INET && len >= sizeof(sockaddr_in)) {
    auto* in = reinterpret_cast<const sockaddr_in*>(sa);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (sa->sa_family == AF_INET6 && len >= sizeof(sockaddr_in6)) {
    auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
    return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  if (sa->sa_family == AF_UNIX) return "unix";
  return "?";
}

std::string Endpoint::to_string() const {
  return sockaddr_to_string(reinterpret_cast<const sockaddr*>(&addr), len);
}

uint16_t Endpoint::port() const {
  if (addr.ss_family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port);
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
  return 0;
}

Result<Endpoint> parse_endpoint(std::string_view text, uint16_t default_port) {
  std::string host;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos) return fail("'" + std::string(text) + "': missing ']' after IPv6 address");
    host = std::string(text.substr(1, close - 1));
    auto rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return fail("'" + std::string(text) + "': expected ':port' after ']'");
      port_text = rest.substr(1);
    }
  } else {
    auto colon = text.rfind(':');
    if (colon != std::string_view::npos && text.find(':') != colon)
      return fail("'" + std::string(text) + "': put IPv6 addresses in brackets, e.g. [::1]:53");
    if (colon == std::string_view::npos) {
      host = std::string(text);
    } else {
      host = std::string(text.substr(0, colon));
      port_text = text.substr(colon + 1);
    }
  }
  uint32_t port = default_port;
  if (!port_text.empty() || port == 0) {
    if (port_text.empty()) return fail("'" + std::string(text) + "': missing port");
    auto [p, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || p != port_text.data() + port_text.size() || port > 65535)
      return fail("'" + std::string(text) + "': bad port '" + std::string(port_text) + "'");
  }
  Endpoint ep;
  if (host == "*") host = "0.0.0.0";
  auto* in = reinterpret_cast<sockaddr_in*>(&ep.addr);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&ep.addr);
  if (inet_pton(AF_INET, host.c_str(), &in->sin_addr) == 1) {
    in->sin_family = AF_INET;
    in->sin_port = htons(static_cast<uint16_t>(port));
    ep.len = sizeof(sockaddr_in);
  } else if (inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<uint16_t>(port));
    ep.len = sizeof(sockaddr_in6);
  } else {
    return fail("'" + std::string(text) + "': '" + host + "' is not a numeric IPv4 or IPv6 address");
  }
  return ep;
}

void record_query(WorkerMetrics& m, std::span<const uint8_t> query, std::span<const uint8_t> response,
                  bool tcp, uint64_t nanos) {
  if (response.size() < 12) {
    m.dropped();
    return;
  }
  uint16_t qtype = 0;
  if (query.size() > 12 && dns::get_u16(query.data() + 4) >= 1) {
    size_t next = 0;
    if (dns::skip_name(query, 12, next) == dns::WireError::ok && next + 2 <= query.size())
      qtype = dns::get_u16(query.data() + next);
  }
  m.query(qtype, response[3] & 0x0f, tcp, nanos);
}

}  // namespace namae::net
