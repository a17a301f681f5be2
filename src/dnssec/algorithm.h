// DNSSEC algorithm numbers (RFC 8624's table) and what this module can do
// with each: sign with the three that RFC 8624 3.1 recommends for signing,
// verify those plus the ones a validator still meets in the wild.
#pragma once

#include <cstddef>
#include <cstdint>

namespace namae::dnssec {

namespace alg {
inline constexpr uint8_t RSASHA1 = 5;           // RFC 3110
inline constexpr uint8_t RSASHA1_NSEC3 = 7;     // RFC 5155
inline constexpr uint8_t RSASHA256 = 8;         // RFC 5702
inline constexpr uint8_t RSASHA512 = 10;        // RFC 5702
inline constexpr uint8_t ECDSAP256SHA256 = 13;  // RFC 6605
inline constexpr uint8_t ECDSAP384SHA384 = 14;  // RFC 6605
inline constexpr uint8_t ED25519 = 15;          // RFC 8080
inline constexpr uint8_t ED448 = 16;            // RFC 8080
}  // namespace alg

/// Key generation and signing: RSA/SHA-256, ECDSA P-256, Ed25519.
bool can_sign(uint8_t algorithm);
/// Signature verification: the signing ones plus RSA/SHA-1 (5, 7),
/// RSA/SHA-512, ECDSA P-384 and Ed448.
bool can_verify(uint8_t algorithm);

/// DNSKEY flags (RFC 4034 2.1.1).
inline constexpr uint16_t kFlagZone = 0x0100;
inline constexpr uint16_t kFlagSep = 0x0001;
inline constexpr uint16_t kFlagsZsk = kFlagZone;
inline constexpr uint16_t kFlagsKsk = kFlagZone | kFlagSep;
inline constexpr uint8_t kProtocol = 3;  // RFC 4034 2.1.2

/// DS digest types (RFC 4509, RFC 6605).
inline constexpr uint8_t kDigestSha256 = 2;
inline constexpr uint8_t kDigestSha384 = 4;

}  // namespace namae::dnssec
