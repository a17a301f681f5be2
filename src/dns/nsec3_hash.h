// NSEC3 owner hashing (RFC 5155 5): IH(salt, x, 0) = H(x || salt),
// IH(salt, x, k) = H(IH(salt, x, k-1) || salt), over the canonical (lower-cased,
// uncompressed) wire form of the name. SHA-1 (algorithm 1) is the only hash
// RFC 5155 defines. Shared by the authoritative server (denial proofs), the
// signer (chain construction) and validators. No allocation.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "dns/name.h"

namespace namae::dns {

/// RFC 5155 11: the one NSEC3 hash algorithm, SHA-1.
inline constexpr uint8_t kNsec3Sha1 = 1;
inline constexpr size_t kNsec3HashSize = 20;
/// The base32hex text of a SHA-1 hash: one owner label (RFC 5155 3.3).
inline constexpr size_t kNsec3LabelSize = 32;

using Nsec3Hash = std::array<uint8_t, kNsec3HashSize>;

/// The hash parameters of an NSEC3 chain (NSEC3PARAM or an NSEC3's fields).
struct Nsec3Params {
  uint8_t algorithm = kNsec3Sha1;
  uint8_t flags = 0;
  uint16_t iterations = 0;
  uint8_t salt_length = 0;
  std::array<uint8_t, 255> salt{};

  std::span<const uint8_t> salt_span() const { return {salt.data(), salt_length}; }
  /// From NSEC3PARAM or NSEC3 rdata (the same first fields); nullopt when
  /// it is too short.
  static std::optional<Nsec3Params> from_rdata(std::span<const uint8_t> rdata);
};

/// The hash of `name` (any letter case) with `params`; nullopt for an
/// unknown algorithm.
std::optional<Nsec3Hash> nsec3_hash(const Name& name, const Nsec3Params& params);

/// The lower-case base32hex form of `hash` into `out` (an owner label).
void nsec3_label(const Nsec3Hash& hash, std::array<char, kNsec3LabelSize>& out);
/// The hash an owner label spells (either case); nullopt if it is not one.
std::optional<Nsec3Hash> nsec3_label_hash(std::span<const uint8_t> label);

}  // namespace namae::dns
