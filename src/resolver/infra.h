// Server selection: what the resolver knows about each upstream address
// (smoothed RTT and its variance, recent timeouts, whether EDNS works),
// shared by all queries. Selection follows Unbound's idea: every server
// within a band of the fastest is a candidate and one is picked at random,
// so a server that was slow once is explored again, and unknown servers get a
// moderate guess so they are tried early.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "net/address.h"
#include "base/clock.h"

namespace namae::resolver {

/// What is known about one upstream address.
struct ServerInfo {
  double srtt_ms = 0;     // smoothed RTT (RFC 6298 style), 0 = never measured
  double rttvar_ms = 0;
  int timeouts = 0;       // consecutive timeouts
  int64_t last_timeout_ms = 0;
  bool edns_broken = false;  // answered FORMERR/NOTIMP to EDNS, fine without
  std::array<uint8_t, 32> server_cookie{};  // RFC 7873: the last server cookie it gave us
  uint8_t server_cookie_len = 0;
};

/// The COOKIE option data for a query (RFC 7873 4): our client cookie and,
/// once the server gave one, its server cookie.
struct CookieOption {
  std::array<uint8_t, 40> data{};
  size_t size = 0;
  std::span<const uint8_t> bytes() const { return {data.data(), size}; }
};

/// Shared RTT/EDNS table (thread-safe, small critical sections).
class Infra {
 public:
  static constexpr double kUnknownRttMs = 376;  // guess for a server never asked (as Unbound)
  static constexpr double kBandMs = 400;        // candidates within this of the best

  /// `max_servers` bounds the table (as Unbound's infra-cache-numhosts): beyond
  /// it an arbitrary entry is forgotten, which only costs that server a re-measure.
  explicit Infra(const Clock& clock, size_t max_servers = 10000);

  /// The effective RTT used for ranking (backed off after timeouts).
  double effective_rtt(const net::Endpoint& server) const;
  /// Retransmission timeout for the next query to `server`.
  std::chrono::milliseconds timeout_for(const net::Endpoint& server) const;
  /// Pick one of `candidates` (not empty); `why` receives a short reason.
  size_t choose(std::span<const net::Endpoint> candidates, std::string* why) const;

  void record_rtt(const net::Endpoint& server, std::chrono::microseconds rtt);
  void record_timeout(const net::Endpoint& server);
  void set_edns_broken(const net::Endpoint& server);
  bool edns_broken(const net::Endpoint& server) const;
  ServerInfo info(const net::Endpoint& server) const;

  /// DNS cookies, client side (RFC 7873 5.1): the option for a query to
  /// `server`. The client cookie is an HMAC of this resolver's secret and
  /// the server's address, so each server sees its own and none can replay
  /// another's.
  CookieOption cookie_for(const net::Endpoint& server) const;
  /// A reply's COOKIE option data from `server` (RFC 7873 5.3): false when
  /// it does not carry the client cookie we sent (malformed, or a forgery
  /// by someone who never saw our query), else its server cookie is kept
  /// for the next query.
  bool take_reply_cookie(const net::Endpoint& server, std::span<const uint8_t> option);

 private:
  static std::string key(const net::Endpoint& ep);
  std::array<uint8_t, 8> client_cookie(const net::Endpoint& server) const;  // under mu_
  ServerInfo& entry(const net::Endpoint& ep);  // under mu_; creates, evicting if full
  mutable std::mutex mu_;
  std::unordered_map<std::string, ServerInfo> servers_;
  mutable std::unordered_map<std::string, std::array<uint8_t, 8>> client_cookies_;  // by key()
  const Clock& clock_;
  size_t max_servers_;
  std::array<uint8_t, 16> cookie_secret_{};  // random per process (RFC 7873 4.1)
};

/// A random 16-bit value from the kernel's CSPRNG (query IDs must not be
/// predictable, RFC 5452 9.2).
uint16_t random_u16();
/// Uniform random index below n (n > 0), from the CSPRNG.
size_t random_below(size_t n);

}  // namespace namae::resolver
