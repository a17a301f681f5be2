// DNS cookies, server side (RFC 7873 5.2), with the interoperable server
// cookie of RFC 9018: several servers behind one address (namaed, BIND,
// Knot, PowerDNS) that share a secret accept each other's cookies.
//
//   server cookie = Version (1) | Reserved (0, 3 octets) | Timestamp (u32)
//                   | Hash = SipHash-2-4(Client Cookie | Version | Reserved
//                                        | Timestamp | Client-IP, Secret)
//
// A server cookie is valid for an hour from its timestamp and is accepted up
// to five minutes ahead of our clock (RFC 9018 4.3). Secrets rotate: a server
// with no configured secret derives one per period from a random master
// secret, and checks cookies against the current and the previous period's.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "base/result.h"

typedef struct evp_mac_st EVP_MAC;
typedef struct evp_mac_ctx_st EVP_MAC_CTX;

namespace namae::dns {

using CookieSecret = std::array<uint8_t, 16>;  // SipHash-2-4's key

/// The secrets in force at one moment: `current` makes server cookies, both
/// check them.
struct CookieSecrets {
  CookieSecret current{};
  std::optional<CookieSecret> previous;
};

/// Where the secrets come from: one configured secret (shared by every
/// server behind the address, never rotated), or a random master secret from
/// which each `period` gets its own.
class CookieSecretSchedule {
 public:
  static CookieSecretSchedule shared(const CookieSecret& secret);
  static CookieSecretSchedule rotating(const std::array<uint8_t, 32>& master, uint32_t period_seconds);
  /// Parse 32 hex digits (as BIND's cookie-secret and Knot's mod-cookies secret).
  static Result<CookieSecret> parse_secret(std::string_view hex);

  CookieSecrets at(uint32_t now) const;

 private:
  CookieSecret secret_for(uint64_t period) const;
  bool rotating_ = false;
  CookieSecret shared_{};
  std::array<uint8_t, 32> master_{};
  uint32_t period_ = 86400;
};

/// What a query's COOKIE option amounts to (RFC 7873 5.2).
enum class CookieVerdict {
  malformed,    // FORMERR (5.2.2)
  client_only,  // a new server cookie in the reply (5.2.3)
  invalid,      // a server cookie we did not make or that expired (5.2.3)
  valid,        // 5.2.4
};

/// COOKIE option data of a reply: the client cookie and our 16-octet server cookie.
using CookieReply = std::array<uint8_t, 24>;

/// Checks and makes server cookies. Holds an OpenSSL SipHash context, so
/// one per thread; it allocates nothing per query.
class ServerCookies {
 public:
  explicit ServerCookies(CookieSecretSchedule schedule);
  ~ServerCookies();
  ServerCookies(const ServerCookies&) = delete;
  ServerCookies& operator=(const ServerCookies&) = delete;

  /// Judge `option` (the COOKIE option's data) from `client_ip` (4 or 16
  /// octets) at `now`; unless malformed, `reply` gets the client cookie and a
  /// fresh server cookie for the answer.
  CookieVerdict check(std::span<const uint8_t> option, std::span<const uint8_t> client_ip, uint32_t now,
                      CookieReply& reply);
  /// The server cookie for `client` and `client_ip` at `timestamp` (tests, peers).
  std::array<uint8_t, 16> make(std::span<const uint8_t, 8> client, std::span<const uint8_t> client_ip,
                               uint32_t timestamp, const CookieSecret& secret);

 private:
  bool hash(std::span<const uint8_t> input, const CookieSecret& secret, uint8_t out[8]);
  bool sign(std::span<const uint8_t, 8> client, std::span<uint8_t, 16> server, std::span<const uint8_t> client_ip,
            const CookieSecret& secret);
  CookieSecretSchedule schedule_;
  CookieSecrets secrets_;
  uint64_t secrets_period_ = UINT64_MAX;  // the `now / 60` that secrets_ is for
  EVP_MAC* mac_ = nullptr;
  EVP_MAC_CTX* ctx_ = nullptr;
};

}  // namespace namae::dns
