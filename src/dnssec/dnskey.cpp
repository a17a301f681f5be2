#include "dnssec/dnskey.h"

#include <algorithm>
#include <array>

#include <openssl/evp.h>

#include "dnssec/algorithm.h"

namespace namae::dnssec {

namespace {

// DNSKEY and DS rdata: four octets of fixed fields, then the key or digest.
// Sized once and filled: GCC 12 misreads an insert after an initializer-list
// construction as an overflow (-Warray-bounds).
Bytes fields_then(std::array<uint8_t, 4> fields, std::span<const uint8_t> rest) {
  Bytes out(fields.size() + rest.size());
  std::copy(fields.begin(), fields.end(), out.begin());
  std::copy(rest.begin(), rest.end(), out.begin() + fields.size());
  return out;
}

}  // namespace

std::optional<DnskeyFields> parse_dnskey(std::span<const uint8_t> r) {
  if (r.size() < 4) return std::nullopt;
  return DnskeyFields{static_cast<uint16_t>(r[0] << 8 | r[1]), r[2], r[3], r.subspan(4)};
}

Bytes dnskey_rdata(uint16_t flags, uint8_t algorithm, std::span<const uint8_t> public_key) {
  return fields_then({static_cast<uint8_t>(flags >> 8), static_cast<uint8_t>(flags), kProtocol, algorithm},
                     public_key);
}

uint16_t key_tag(std::span<const uint8_t> rdata) {
  uint32_t ac = 0;
  for (size_t i = 0; i < rdata.size(); ++i) ac += (i & 1) ? rdata[i] : uint32_t{rdata[i]} << 8;
  ac += (ac >> 16) & 0xffff;
  return static_cast<uint16_t>(ac & 0xffff);
}

Result<Bytes> ds_rdata(const dns::Name& owner, std::span<const uint8_t> dnskey, uint8_t digest_type) {
  auto fields = parse_dnskey(dnskey);
  if (!fields) return fail("DNSKEY rdata shorter than 4 octets");
  const EVP_MD* md = digest_type == kDigestSha256   ? EVP_sha256()
                     : digest_type == kDigestSha384 ? EVP_sha384()
                                                    : nullptr;
  if (!md) return fail("unsupported DS digest type " + std::to_string(digest_type));
  const dns::Name lower = owner.lower();
  uint8_t digest[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  const bool ok = ctx && EVP_DigestInit_ex(ctx, md, nullptr) == 1 &&
                  EVP_DigestUpdate(ctx, lower.wire().data(), lower.wire_length()) == 1 &&
                  EVP_DigestUpdate(ctx, dnskey.data(), dnskey.size()) == 1 &&
                  EVP_DigestFinal_ex(ctx, digest, &len) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return fail("digest failed");
  const uint16_t tag = key_tag(dnskey);
  return fields_then({static_cast<uint8_t>(tag >> 8), static_cast<uint8_t>(tag), fields->algorithm, digest_type},
                     std::span<const uint8_t>(digest, len));
}

}  // namespace namae::dnssec
