// DNSKEY rdata (RFC 4034 2), key tags (RFC 4034 Appendix B) and DS records
// (RFC 4034 5, RFC 4509 SHA-256, RFC 6605 SHA-384).
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "base/result.h"
#include "dns/name.h"
#include "dnssec/crypto.h"

namespace namae::dnssec {

/// The fields of DNSKEY rdata; `key` points into the rdata it was read from.
struct DnskeyFields {
  uint16_t flags = 0;
  uint8_t protocol = 0;
  uint8_t algorithm = 0;
  std::span<const uint8_t> key;
};

/// Split DNSKEY rdata (at least the four fixed octets); nullopt when shorter.
std::optional<DnskeyFields> parse_dnskey(std::span<const uint8_t> rdata);

/// DNSKEY rdata for a public key field.
Bytes dnskey_rdata(uint16_t flags, uint8_t algorithm, std::span<const uint8_t> public_key);

/// RFC 4034 Appendix B: the key tag of DNSKEY rdata (the ones' complement
/// style sum; algorithm 1's special case is not used by any key we read).
uint16_t key_tag(std::span<const uint8_t> dnskey_rdata);

/// DS rdata for `owner`'s DNSKEY: key tag, algorithm, digest type and the
/// digest of owner (canonical) || DNSKEY rdata. Digest types 2 and 4.
Result<Bytes> ds_rdata(const dns::Name& owner, std::span<const uint8_t> dnskey_rdata,
                       uint8_t digest_type);

}  // namespace namae::dnssec
