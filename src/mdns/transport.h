// The only things the protocol logic knows of the network: where a packet
// came from, where one goes, and a Transport that sends it. Sockets live in
// mdns/socket.*; unit tests plug in a recording fake and drive time by hand.
#pragma once

#include <cstdint>
#include <netinet/in.h>
#include <random>
#include <span>
#include <string>
#include <sys/socket.h>

namespace namae::mdns {

/// Where a received packet came from.
struct Source {
  sockaddr_storage addr{};
  socklen_t len = 0;
  /// The sender is on the link the packet arrived on (its address is inside
  /// one of the interface's prefixes, or IPv6 link-local) and, for port 5353
  /// traffic, the IP TTL / hop limit was 255 (RFC 6762 11).
  bool on_link = true;

  uint16_t port() const;
  /// "addr" without the port: the key for per-source rate limits.
  std::string host() const;
  /// Build from text ("192.0.2.1" or "fe80::1") and port, for tests and tools.
  static Source from(const std::string& ip, uint16_t port, bool on_link = true);
};

/// Where a packet goes: the link's multicast group(s), or one unicast address.
struct Destination {
  bool multicast = true;
  Source unicast;  // when !multicast
  static Destination group() { return Destination{}; }
  static Destination to(const Source& s) { return Destination{false, s}; }
};

/// Sends packets on one link (one interface).
class Transport {
 public:
  virtual ~Transport() = default;
  /// Send one complete mDNS message. Failures are the transport's business
  /// (mDNS is best effort; the state machines never wait for a send).
  virtual void send(std::span<const uint8_t> packet, const Destination& to) = 0;
};

/// Random delays and jitter (RFC 6762 5.2, 6, 8.1). Seeded by the caller so
/// tests are repeatable.
class Rng {
 public:
  explicit Rng(uint32_t seed) : gen_(seed) {}
  /// Uniform integer in [lo, hi].
  int64_t uniform(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(gen_); }

 private:
  std::mt19937 gen_;
};

}  // namespace namae::mdns
