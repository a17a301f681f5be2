// Listen addresses ("127.0.0.1:53", "[::1]:53", "0.0.0.0:53", "[::]:53") and the
// factory that gives each transport thread its own QueryHandler.
#pragma once

#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <sys/socket.h>

#include "base/result.h"
#include "net/handler.h"
#include "net/metrics.h"

namespace namae::net {

/// A socket address parsed from "host:port" text (IPv6 hosts in brackets).
struct Endpoint {
  sockaddr_storage addr{};
  socklen_t len = 0;
  int family() const { return addr.ss_family; }
  /// Presentation form, "[::1]:53" style for IPv6.
  std::string to_string() const;
  /// The port in host order.
  uint16_t port() const;
};

/// Parse "a.b.c.d:port" or "[v6]:port". The port is required unless
/// `default_port` is non-zero. Only numeric addresses: a listener never resolves names.
Result<Endpoint> parse_endpoint(std::string_view text, uint16_t default_port = 0);

/// The address octets of an IPv4 (4) or IPv6 (16) socket address, as they
/// sit in it; empty for other families or a too-short `len`.
std::span<const uint8_t> address_octets(const sockaddr* sa, socklen_t len);

/// Text form of any socket address (used in logs and tests).
std::string sockaddr_to_string(const sockaddr* sa, socklen_t len);

/// Builds one handler per transport thread (handlers keep per-thread scratch
/// state and need no locks). `metrics` is that thread's counter block.
using HandlerFactory = std::function<std::unique_ptr<QueryHandler>(WorkerMetrics* metrics)>;

/// Records qtype/rcode/latency for one answered query: the transport calls
/// this with both packets so roles need not count what the wire shows.
void record_query(WorkerMetrics& m, std::span<const uint8_t> query,
                  std::span<const uint8_t> response, bool tcp, uint64_t nanos);

}  // namespace namae::net
