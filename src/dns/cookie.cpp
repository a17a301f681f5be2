#include "dns/cookie.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "dns/text.h"

namespace namae::dns {
namespace {

constexpr uint8_t kVersion = 1;            // RFC 9018 4.1
constexpr uint32_t kLifetime = 3600;       // 4.3: valid for an hour...
constexpr uint32_t kAhead = 300;           // ...and from up to 5 minutes in the future
constexpr uint32_t kRefreshAfter = 1800;   // 4.3: a cookie older than this is replaced

uint32_t get32(const uint8_t* p) {
  return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
}

void put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}

}  // namespace

CookieSecretSchedule CookieSecretSchedule::shared(const CookieSecret& secret) {
  CookieSecretSchedule s;
  s.shared_ = secret;
  return s;
}

CookieSecretSchedule CookieSecretSchedule::rotating(const std::array<uint8_t, 32>& master,
                                                    uint32_t period_seconds) {
  CookieSecretSchedule s;
  s.rotating_ = true;
  s.master_ = master;
  s.period_ = period_seconds ? period_seconds : 1;
  return s;
}

Result<CookieSecret> CookieSecretSchedule::parse_secret(std::string_view hex) {
  if (hex.size() == 34 && hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X')) hex.remove_prefix(2);
  CookieSecret out{};
  // 32 characters that decode to 16 octets: no room for the spaces hex_decode skips.
  if (hex.size() == 2 * out.size())
    if (auto bytes = hex_decode(hex); bytes && bytes->size() == out.size()) {
      std::copy(bytes->begin(), bytes->end(), out.begin());
      return out;
    }
  return fail("a cookie secret is 32 hex digits (128 bits, SipHash-2-4's key)");
}

// Each period's secret is HMAC-SHA-256(master, period) cut to 128 bits: every
// worker derives the same one with no shared state to rotate.
CookieSecret CookieSecretSchedule::secret_for(uint64_t period) const {
  uint8_t msg[8];
  for (int i = 0; i < 8; ++i) msg[i] = static_cast<uint8_t>(period >> (56 - 8 * i));
  uint8_t digest[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(EVP_sha256(), master_.data(), static_cast<int>(master_.size()), msg, sizeof msg, digest, &len);
  CookieSecret s{};
  std::memcpy(s.data(), digest, s.size());
  return s;
}

CookieSecrets CookieSecretSchedule::at(uint32_t now) const {
  if (!rotating_) return {shared_, std::nullopt};
  const uint64_t period = now / period_;
  CookieSecrets s{secret_for(period), std::nullopt};
  if (period > 0) s.previous = secret_for(period - 1);
  return s;
}

ServerCookies::ServerCookies(CookieSecretSchedule schedule) : schedule_(schedule) {
  mac_ = EVP_MAC_fetch(nullptr, "SIPHASH", nullptr);
  if (mac_) ctx_ = EVP_MAC_CTX_new(mac_);
}

ServerCookies::~ServerCookies() {
  EVP_MAC_CTX_free(ctx_);
  EVP_MAC_free(mac_);
}

bool ServerCookies::hash(std::span<const uint8_t> input, const CookieSecret& secret, uint8_t out[8]) {
  if (!ctx_) return false;
  unsigned int size = 8;  // SipHash-2-4 with a 64-bit output, as RFC 9018 4.4
  OSSL_PARAM params[] = {OSSL_PARAM_construct_uint(OSSL_MAC_PARAM_SIZE, &size), OSSL_PARAM_construct_end()};
  size_t len = 0;
  return EVP_MAC_init(ctx_, secret.data(), secret.size(), params) == 1 &&
         EVP_MAC_update(ctx_, input.data(), input.size()) == 1 && EVP_MAC_final(ctx_, out, &len, 8) == 1 &&
         len == 8;
}

// Hash = SipHash-2-4(Client Cookie | Version | Reserved | Timestamp |
// Client-IP): the first eight octets of the server cookie go in as they are
// (RFC 9018 A.3: reserved octets a client sends back are part of the hash).
bool ServerCookies::sign(std::span<const uint8_t, 8> client, std::span<uint8_t, 16> server,
                         std::span<const uint8_t> client_ip, const CookieSecret& secret) {
  uint8_t input[8 + 8 + 16];
  std::memcpy(input, client.data(), 8);
  std::memcpy(input + 8, server.data(), 8);
  const size_t ip = std::min<size_t>(client_ip.size(), 16);
  std::memcpy(input + 16, client_ip.data(), ip);
  return hash({input, 16 + ip}, secret, server.data() + 8);
}

std::array<uint8_t, 16> ServerCookies::make(std::span<const uint8_t, 8> client, std::span<const uint8_t> client_ip,
                                            uint32_t timestamp, const CookieSecret& secret) {
  std::array<uint8_t, 16> server{};
  server[0] = kVersion;
  put32(&server[4], timestamp);
  if (!sign(client, server, client_ip, secret)) server[0] = 0;  // no SipHash: a cookie nobody accepts
  return server;
}

CookieVerdict ServerCookies::check(std::span<const uint8_t> option, std::span<const uint8_t> client_ip,
                                   uint32_t now, CookieReply& reply) {
  // RFC 7873 4: a client cookie of 8 octets, then none or 8 to 32 of server cookie.
  if (option.size() < 8 || (option.size() > 8 && option.size() < 16) || option.size() > 40)
    return CookieVerdict::malformed;
  if (now / 60 != secrets_period_) {
    secrets_ = schedule_.at(now);
    secrets_period_ = now / 60;
  }
  const std::span<const uint8_t, 8> client = option.first<8>();
  std::memcpy(reply.data(), client.data(), 8);
  auto fresh = [&] {
    auto server = make(client, client_ip, now, secrets_.current);
    std::memcpy(reply.data() + 8, server.data(), server.size());
  };
  if (option.size() == 8) {
    fresh();
    return CookieVerdict::client_only;
  }
  const auto server = option.subspan(8);
  const bool ours = server.size() == 16 && server[0] == kVersion;
  const uint32_t stamp = ours ? get32(&server[4]) : 0;
  // Serial-number style: "ahead" and "age" are computed modulo 2^32.
  const uint32_t age = now - stamp;
  const bool in_time = ours && (age <= kLifetime || stamp - now <= kAhead);
  const CookieSecret* matched = nullptr;
  for (const CookieSecret* secret : {&secrets_.current, secrets_.previous ? &*secrets_.previous : nullptr}) {
    if (!in_time || !secret) continue;
    std::array<uint8_t, 16> expect{};
    std::memcpy(expect.data(), server.data(), 8);
    if (sign(client, expect, client_ip, *secret) && std::memcmp(expect.data(), server.data(), 16) == 0) {
      matched = secret;
      break;
    }
  }
  if (!matched) {
    fresh();
    return CookieVerdict::invalid;
  }
  // RFC 9018 4.3: a young cookie made with the current secret goes back as
  // it came; an older one (or one from the future, or of the retired secret)
  // is replaced.
  if (age <= kRefreshAfter && matched == &secrets_.current) std::memcpy(reply.data() + 8, server.data(), 16);
  else fresh();
  return CookieVerdict::valid;
}

}  // namespace namae::dns
