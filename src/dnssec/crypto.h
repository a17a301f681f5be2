// The OpenSSL side of DNSSEC: keys as EVP_PKEYs, the DNSKEY public key
// field of each algorithm (RFC 3110 2 for RSA, RFC 6605 4 for ECDSA, RFC
// 8080 3 for EdDSA) and signatures in their DNS forms (ECDSA as r||s, RFC
// 6605 4; EdDSA raw; RSA PKCS#1 v1.5, RFC 3110 3 / RFC 5702 3).
//
// Nothing here throws: untrusted keys and signatures (a validator's input)
// come back as a Result with the reason.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "base/result.h"

struct evp_pkey_st;

namespace namae::dnssec {

using Bytes = std::vector<uint8_t>;

struct PkeyFree {
  void operator()(evp_pkey_st* p) const;
};
using PkeyPtr = std::unique_ptr<evp_pkey_st, PkeyFree>;

/// A public key that checks signatures of one algorithm.
class PublicKey {
 public:
  /// From a DNSKEY's algorithm and public key field; fails on an algorithm
  /// we cannot verify or a key that does not decode.
  static Result<PublicKey> from_dnskey(uint8_t algorithm, std::span<const uint8_t> key);

  /// Does `signature` (DNS form) sign `data`?
  Result<void> verify(std::span<const uint8_t> data, std::span<const uint8_t> signature) const;
  uint8_t algorithm() const { return algorithm_; }

 private:
  PublicKey(uint8_t algorithm, PkeyPtr key) : algorithm_(algorithm), key_(std::move(key)) {}
  uint8_t algorithm_;
  std::shared_ptr<evp_pkey_st> key_;
};

/// A private key of a signing algorithm (can_sign()).
class PrivateKey {
 public:
  /// A new key: ECDSA P-256, Ed25519, or RSA of `rsa_bits` (2048 by default).
  static Result<PrivateKey> generate(uint8_t algorithm, unsigned rsa_bits = 2048);
  /// Wrap a loaded key; checks it is of the algorithm's kind.
  static Result<PrivateKey> from_pkey(uint8_t algorithm, PkeyPtr key);

  /// The private key as BIND's v1.3 private-key file names its fields, in
  /// its order ("Modulus"... for RSA, "PrivateKey" for ECDSA and EdDSA).
  using Fields = std::vector<std::pair<std::string, Bytes>>;
  Result<Fields> private_fields() const;
  /// The inverse, with the DNSKEY public key field (ECDSA's private field
  /// alone does not give it); fails when the fields are missing, malformed,
  /// or do not belong to `public_key`.
  static Result<PrivateKey> from_fields(uint8_t algorithm, const Fields& fields,
                                        std::span<const uint8_t> public_key);

  /// The DNSKEY public key field.
  const Bytes& public_key() const { return public_key_; }
  /// Sign `data`; the signature in DNS form. Safe to call from many threads.
  Result<Bytes> sign(std::span<const uint8_t> data) const;
  uint8_t algorithm() const { return algorithm_; }
  evp_pkey_st* pkey() const { return key_.get(); }

 private:
  PrivateKey(uint8_t algorithm, PkeyPtr key, Bytes pub)
      : algorithm_(algorithm), key_(std::move(key)), public_key_(std::move(pub)) {}
  uint8_t algorithm_;
  std::shared_ptr<evp_pkey_st> key_;
  Bytes public_key_;
};

}  // namespace namae::dnssec
