// Response Rate Limiting (RRL) for authoritative UDP answers.
//
// Why: a UDP query's source address can be forged, so an authoritative
// server answering at line rate is a reflector that amplifies a flood onto
// the forged victim. RRL bounds what one client network can receive per
// answer: over the rate answers are dropped, and every `slip`-th one goes out
// truncated (TC=1, no records) so a real client behind the forged prefix
// retries over TCP, which cannot be spoofed.
//
// Design (BIND 9 ARM, "Response Rate Limiting", the `rate-limit` clause;
// Knot DNS `mod-rrl` docs):
//  - Accounts are per client prefix (/24 IPv4, /56 IPv6 by default) and per
//    answer class and key, as BIND's: the same answer (qname+qtype),
//    NXDOMAIN (by zone), NODATA, referral (by delegation), error (by rcode),
//    wildcard (by the wildcard's owner). The engine classifies; this module
//    only sees (prefix, class, key hash).
//  - An account is BIND's balance: credited `responses-per-second` per
//    second up to one second's worth, debited one per response (sent or
//    not), never below -window seconds' worth (the "debt"): a network that
//    floods must keep quiet for about `window` seconds before it is answered
//    again. Stored as GCRA's theoretical arrival time (the instant the
//    account is full again), which is the balance in one number.
//  - Slip as BIND's: the first limited response of a run slips, then every
//    slip-th (0: never; 1: always).
//  - A fixed table of accounts (Knot's `table-size`), indexed by hash;
//    colliding accounts share one entry, so memory is bounded whatever the
//    number of sources. Each entry is one 64-bit word updated with
//    compare-exchange: no lock, no allocation on the query path.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "base/clock.h"
#include "net/acl.h"

namespace namae::auth {

/// BIND's response classes (the order of net::kRrlClassNames).
enum class RrlClass : uint8_t { answer, nxdomain, nodata, referral, error, wildcard };
inline constexpr size_t kRrlClassCount = 6;

enum class RrlAction : uint8_t { send, drop, slip };

/// [server] rrl (docs/config.md).
struct RrlOptions {
  uint32_t responses_per_second = 10;
  uint32_t slip = 2;     // 0: drop all; 1: slip all; n: every n-th limited one
  uint32_t window = 15;  // seconds of debt at most
  uint32_t ipv4_prefix = 24;
  uint32_t ipv6_prefix = 56;
  uint32_t table_size = 65536;  // accounts, rounded up to a power of two
  net::AddressAcl exempt;       // sources never limited
};

/// What check() decided; `log` is set on the first limited response of a
/// run of an account (so log lines are limited too: one per run, and a run
/// lasts at least until the debt is paid), and at most a few a second overall.
struct RrlVerdict {
  RrlAction action = RrlAction::send;
  bool log = false;
};

/// Shared by every UDP worker; check() is thread-safe and lock-free.
class RateLimiter {
 public:
  explicit RateLimiter(RrlOptions options, const Clock& clock = system_clock());

  /// Account one response of class `cls` and key `key` (a hash of what the
  /// class is keyed by) to the client at `sa`.
  RrlVerdict check(const sockaddr* sa, socklen_t len, RrlClass cls, uint64_t key) noexcept;

  /// True when `sa` is in `exempt`.
  bool exempt(const sockaddr* sa, socklen_t len) const { return opts_.exempt.allows(sa, len); }
  /// The client's prefix as text ("192.0.2.0/24"), for log lines (allocates).
  std::string prefix_text(const sockaddr* sa, socklen_t len) const;

  size_t table_size() const { return mask_ + 1; }
  const RrlOptions& options() const { return opts_; }

 private:
  // The entry for (client prefix, class, key); nullptr for an unknown family.
  std::atomic<uint64_t>* entry(const sockaddr* sa, socklen_t len, RrlClass cls, uint64_t key) noexcept;
  int64_t now_us() const noexcept;
  // At most kLogsPerSecond log verdicts a second over all accounts.
  bool log_allowed() noexcept;
  static constexpr uint32_t kLogsPerSecond = 10;

  RrlOptions opts_;
  const Clock& clock_;
  int64_t start_ms_;
  size_t mask_;
  int64_t interval_us_;  // cost of one response: 1 s / rate
  int64_t max_debt_us_;  // (1 + window) s: the balance never below -window * rate
  std::unique_ptr<std::atomic<uint64_t>[]> table_;
  std::atomic<int64_t> log_second_{-1};
  std::atomic<uint32_t> logs_{0};
};

/// BIND's class and key of a reply made outside the engine's answer
/// algorithm (the discovery proxy's, RFC 8766), read back from the message:
/// an answer by qname and qtype when it has answer records, NODATA by
/// qname for an empty NOERROR, NXDOMAIN by qname, any other rcode an error
/// by rcode. nullopt when it does not parse.
struct RrlAccount {
  RrlClass cls;
  uint64_t key;
};
std::optional<RrlAccount> classify_reply(std::span<const uint8_t> reply);

/// The reply of `len` octets as `action` leaves it: 0 when dropped; on a
/// slip the header and question alone, TC=1 (BIND's and Knot's slip); the
/// new length.
size_t apply_rrl(RrlAction action, std::span<uint8_t> reply, size_t len);

}  // namespace namae::auth
