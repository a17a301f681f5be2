#include "http/auth.h"

#include <argon2.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <vector>

#include "dns/text.h"

namespace namae::http {

Result<std::string> hash_password(std::string_view password, const PasswordCost& cost) {
  uint8_t salt[16];
  if (RAND_bytes(salt, sizeof salt) != 1) return fail("no random octets for the salt");
  constexpr uint32_t kHashLen = 32;
  size_t len = argon2_encodedlen(cost.time_cost, cost.memory_kib, cost.parallelism, sizeof salt,
                                 kHashLen, Argon2_id);
  std::string out(len, '\0');
  int rc =
      argon2id_hash_encoded(cost.time_cost, cost.memory_kib, cost.parallelism, password.data(),
                            password.size(), salt, sizeof salt, kHashLen, out.data(), out.size());
  if (rc != ARGON2_OK) return fail(std::string("argon2id: ") + argon2_error_message(rc));
  out.resize(std::strlen(out.c_str()));
  return out;
}

bool is_argon2id_hash(std::string_view encoded) {
  // $argon2id$v=19$m=..,t=..,p=..$salt$hash: six '$'-separated fields, the first empty.
  if (encoded.rfind("$argon2id$", 0) != 0) return false;
  return std::count(encoded.begin(), encoded.end(), '$') == 5;
}

bool verify_password(std::string_view encoded, std::string_view password) {
  if (!is_argon2id_hash(encoded)) return false;
  std::string enc(encoded);  // libargon2 wants a NUL-terminated string
  return argon2id_verify(enc.c_str(), password.data(), password.size()) == ARGON2_OK;
}

std::optional<BasicCredentials> parse_basic_auth(std::string_view header) {
  // RFC 7617: the scheme is case-insensitive; one space, then token68.
  if (header.size() < 6) return std::nullopt;
  std::string scheme(header.substr(0, 6));
  std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  if (scheme != "basic ") return std::nullopt;
  std::string_view b64 = header.substr(6);
  while (!b64.empty() && b64.front() == ' ') b64.remove_prefix(1);
  while (!b64.empty() && (b64.back() == ' ' || b64.back() == '\t')) b64.remove_suffix(1);
  if (b64.empty() || b64.size() > 1024) return std::nullopt;
  auto raw = dns::base64_decode(b64);
  if (!raw) return std::nullopt;
  std::string text(raw->begin(), raw->end());
  auto colon = text.find(':');
  if (colon == std::string::npos) return std::nullopt;
  return BasicCredentials{text.substr(0, colon), text.substr(colon + 1)};
}

FailureLimiter::FailureLimiter(unsigned limit, int64_t window_ms, const Clock& clock)
    : limit_(std::max(1u, limit)), window_ms_(window_ms), clock_(clock) {}

bool FailureLimiter::blocked(const std::string& key) {
  std::lock_guard lk(mu_);
  int64_t now = clock_.now_ms();
  auto it = failures_.find(key);
  if (it == failures_.end()) return false;
  auto& times = it->second;
  while (!times.empty() && times.front() <= now - window_ms_) times.erase(times.begin());
  if (times.empty()) {
    failures_.erase(it);
    return false;
  }
  return times.size() >= limit_;
}

void FailureLimiter::fail(const std::string& key) {
  std::lock_guard lk(mu_);
  int64_t now = clock_.now_ms();
  prune_locked(now);
  auto& times = failures_[key];
  times.push_back(now);
  // Only the newest `limit_` matter: the key is blocked while all of them are in the window.
  if (times.size() > limit_) times.erase(times.begin(), times.end() - limit_);
}

void FailureLimiter::clear(const std::string& key) {
  std::lock_guard lk(mu_);
  failures_.erase(key);
}

void FailureLimiter::set_limits(unsigned limit, int64_t window_ms) {
  std::lock_guard lock(mu_);
  limit_ = limit;
  window_ms_ = window_ms;
}

size_t FailureLimiter::tracked() {
  std::lock_guard lk(mu_);
  prune_locked(clock_.now_ms());
  return failures_.size();
}

void FailureLimiter::prune_locked(int64_t now) {
  // At most once a window: drop keys whose newest failure has left it, so a
  // stream of guesses from many sources cannot grow the map without bound.
  if (now - last_prune_ < window_ms_) return;
  last_prune_ = now;
  for (auto it = failures_.begin(); it != failures_.end();) {
    if (it->second.empty() || it->second.back() <= now - window_ms_)
      it = failures_.erase(it);
    else
      ++it;
  }
}

}  // namespace namae::http
