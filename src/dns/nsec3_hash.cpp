#include "dns/nsec3_hash.h"

#include <openssl/evp.h>
#include <openssl/sha.h>

#include <cstring>

namespace namae::dns {

namespace {

constexpr char kBase32Hex[] = "0123456789abcdefghijklmnopqrstuv";

int base32hex_value(uint8_t c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = ascii_lower(c);
  if (c >= 'a' && c <= 'v') return c - 'a' + 10;
  return -1;
}

}  // namespace

std::optional<Nsec3Params> Nsec3Params::from_rdata(std::span<const uint8_t> rdata) {
  // RFC 5155 3.2 / 4.2: algorithm, flags, iterations (u16), salt length, salt.
  if (rdata.size() < 5 || rdata.size() < 5u + rdata[4]) return std::nullopt;
  Nsec3Params p;
  p.algorithm = rdata[0];
  p.flags = rdata[1];
  p.iterations = static_cast<uint16_t>(rdata[2] << 8 | rdata[3]);
  p.salt_length = rdata[4];
  std::memcpy(p.salt.data(), rdata.data() + 5, p.salt_length);
  return p;
}

std::optional<Nsec3Hash> nsec3_hash(const Name& name, const Nsec3Params& params) {
  if (params.algorithm != kNsec3Sha1) return std::nullopt;
  // RFC 5155 5: over the canonical wire form (RFC 4034 6.2: lower case).
  uint8_t wire[Name::kMaxWire];
  auto w = name.wire();
  for (size_t i = 0; i < w.size(); ++i) wire[i] = ascii_lower(w[i]);
  const auto salt = params.salt_span();
  Nsec3Hash h{};
  // The one-shot SHA1() per round: with no allocation, and as fast as a
  // reused EVP_MD_CTX for inputs this small.
  uint8_t buf[Name::kMaxWire + 255];
  std::memcpy(buf, wire, w.size());
  std::memcpy(buf + w.size(), salt.data(), salt.size());
  SHA1(buf, w.size() + salt.size(), h.data());
  std::memcpy(buf + kNsec3HashSize, salt.data(), salt.size());
  for (uint16_t k = 0; k < params.iterations; ++k) {
    std::memcpy(buf, h.data(), kNsec3HashSize);
    SHA1(buf, kNsec3HashSize + salt.size(), h.data());
  }
  return h;
}

void nsec3_label(const Nsec3Hash& hash, std::array<char, kNsec3LabelSize>& out) {
  // 20 octets = 4 groups of 5 octets = 4 groups of 8 characters, no padding.
  for (size_t g = 0; g < 4; ++g) {
    uint64_t v = 0;
    for (size_t i = 0; i < 5; ++i) v = v << 8 | hash[g * 5 + i];
    for (size_t i = 0; i < 8; ++i) out[g * 8 + i] = kBase32Hex[(v >> (35 - 5 * i)) & 31];
  }
}

std::optional<Nsec3Hash> nsec3_label_hash(std::span<const uint8_t> label) {
  if (label.size() != kNsec3LabelSize) return std::nullopt;
  Nsec3Hash h{};
  for (size_t g = 0; g < 4; ++g) {
    uint64_t v = 0;
    for (size_t i = 0; i < 8; ++i) {
      const int d = base32hex_value(label[g * 8 + i]);
      if (d < 0) return std::nullopt;
      v = v << 5 | static_cast<uint64_t>(d);
    }
    for (size_t i = 0; i < 5; ++i) h[g * 5 + i] = static_cast<uint8_t>(v >> (32 - 8 * i));
  }
  return h;
}

}  // namespace namae::dns
