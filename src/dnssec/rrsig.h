// RRSIGs over one RRset (RFC 4034 3): the signature data of 3.1.8.1 (the
// RRSIG rdata without its signature, then each RR in canonical form, RFC
// 4034 6.2, in canonical order, 6.3), signing and verification. The
// validator (issue 15) and `namae zone verify` share verify_rrsig().
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include "base/result.h"
#include "dns/name.h"
#include "dns/record.h"
#include "dnssec/crypto.h"

namespace namae::dnssec {

/// RRSIG rdata fields (RFC 4034 3.1); `signature` points into the rdata.
struct RrsigFields {
  uint16_t type_covered = 0;
  uint8_t algorithm = 0;
  uint8_t labels = 0;
  uint32_t original_ttl = 0;
  uint32_t expiration = 0;
  uint32_t inception = 0;
  uint16_t key_tag = 0;
  dns::Name signer;
  std::span<const uint8_t> signature;
};

/// Split RRSIG rdata; nullopt when it does not hold the fields and a signature.
std::optional<RrsigFields> parse_rrsig(std::span<const uint8_t> rdata);

/// The RFC 4034 3.1 labels field of an owner: its labels, less a leading "*".
uint8_t rrsig_labels(const dns::Name& owner);

/// Signature validity: inception and expiration as RFC 1982 serial numbers.
struct Validity {
  uint32_t inception = 0;
  uint32_t expiration = 0;
};

/// RFC 4034 3.1.8.1 signature data for `set` under the RRSIG fields `f`
/// (the signature itself is not part of it). RRs are put in canonical order,
/// duplicates dropped; a wildcard-expanded owner is rebuilt from `f.labels`.
Bytes signature_data(const dns::RRset& set, const RrsigFields& f);

/// RRSIG rdata for `set` signed by `key` (its DNSKEY rdata `dnskey`) of zone `signer`.
Result<Bytes> sign_rrset(const dns::RRset& set, const PrivateKey& key, std::span<const uint8_t> dnskey,
                         const dns::Name& signer, Validity validity);

/// Why an RRSIG does or does not validate an RRset with a DNSKEY (RFC 4035
/// 5.3.1 checks, then the signature). `now` (unix seconds, taken mod 2^32)
/// checks the validity period; nullopt skips that check.
Result<void> verify_rrsig(const dns::RRset& set, std::span<const uint8_t> rrsig,
                          std::span<const uint8_t> dnskey, std::optional<uint32_t> now);

/// The same with a public key already decoded from `dnskey` (zone checks
/// verify many RRsets with one key).
Result<void> verify_rrsig(const dns::RRset& set, const RrsigFields& rrsig,
                          std::span<const uint8_t> dnskey, const PublicKey& key,
                          std::optional<uint32_t> now);

/// RFC 4034 3.1.5: is `now` within [inception, expiration] in serial arithmetic?
bool within_validity(uint32_t inception, uint32_t expiration, uint32_t now);

}  // namespace namae::dnssec
