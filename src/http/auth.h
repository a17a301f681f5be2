// Authentication for the HTTP API: Argon2id password hashes (libargon2),
// HTTP Basic credentials, and the limiter that slows down password guessing
// (failed logins counted per source address and per user name).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/clock.h"
#include "base/result.h"

namespace namae::http {

/// Argon2id cost of new hashes: OWASP's "m=19 MiB, t=2, p=1" (about 30 ms a
/// verification here), cheap enough for a router's update every few
/// minutes and slow enough to make offline guessing expensive.
struct PasswordCost {
  uint32_t time_cost = 2;
  uint32_t memory_kib = 19 * 1024;
  uint32_t parallelism = 1;
};

/// A new encoded hash ("$argon2id$v=19$m=...,t=...,p=...$salt$hash") of
/// `password` with a random 16-octet salt.
Result<std::string> hash_password(std::string_view password, const PasswordCost& cost = {});

/// True when `password` matches the encoded Argon2id hash. A malformed or
/// non-argon2id hash never matches.
bool verify_password(std::string_view encoded, std::string_view password);

/// Is `encoded` a well-formed Argon2id hash (for config checks)?
bool is_argon2id_hash(std::string_view encoded);

/// User name and password of an `Authorization: Basic ...` header value.
struct BasicCredentials {
  std::string user, password;
};
/// nullopt when the header is not Basic, not base64, or has no colon.
std::optional<BasicCredentials> parse_basic_auth(std::string_view header);

/// Counts failed logins per key (a source address or a user name) in a
/// sliding window; a key with `limit` failures inside the window is blocked
/// until the oldest of them leaves the window (Clock::now_ms). Thread-safe.
class FailureLimiter {
 public:
  /// `clock` must outlive the limiter.
  FailureLimiter(unsigned limit, int64_t window_ms, const Clock& clock = system_clock());

  /// Is `key` blocked now?
  bool blocked(const std::string& key);
  /// Record one failure for `key`.
  void fail(const std::string& key);
  /// Forget `key`'s failures (a successful login).
  void clear(const std::string& key);
  /// New limits (live reconfiguration); the failures recorded stay.
  void set_limits(unsigned limit, int64_t window_ms);
  /// Keys currently tracked (for tests; stale keys are pruned as they go).
  size_t tracked();

 private:
  void prune_locked(int64_t now);
  unsigned limit_;
  int64_t window_ms_;
  const Clock& clock_;
  std::mutex mu_;
  // Per key: failure times, oldest first, at most `limit_` kept.
  std::map<std::string, std::vector<int64_t>> failures_;
  int64_t last_prune_ = 0;
};

}  // namespace namae::http
