// What validating something gave (RFC 4035 4.3): secure, insecure, bogus or
// indeterminate, with the RFC 8914 Extended DNS Error a bogus (or
// deliberately insecure) answer carries and a sentence saying why, for the
// client's EDE text, the trace and the logs.
#pragma once

#include <cstdint>
#include <string>

namespace namae::validator {

/// RFC 4035 4.3 security states, plus `unchecked` for data not validated yet.
enum class Security : uint8_t { unchecked, indeterminate, insecure, bogus, secure };

/// RFC 8914 INFO-CODEs the validator gives.
namespace ede {
inline constexpr uint16_t NONE = 0xffff;
inline constexpr uint16_t UNSUPPORTED_DNSKEY_ALGORITHM = 1;  // 4.2
inline constexpr uint16_t UNSUPPORTED_DS_DIGEST = 2;         // 4.3
inline constexpr uint16_t DNSSEC_INDETERMINATE = 5;          // 4.6
inline constexpr uint16_t DNSSEC_BOGUS = 6;                  // 4.7
inline constexpr uint16_t SIGNATURE_EXPIRED = 7;             // 4.8
inline constexpr uint16_t SIGNATURE_NOT_YET_VALID = 8;       // 4.9
inline constexpr uint16_t DNSKEY_MISSING = 9;                // 4.10
inline constexpr uint16_t RRSIGS_MISSING = 10;               // 4.11
inline constexpr uint16_t NSEC_MISSING = 12;                 // 4.13
inline constexpr uint16_t NO_REACHABLE_AUTHORITY = 22;       // 4.23
inline constexpr uint16_t NETWORK_ERROR = 23;                // 4.24
inline constexpr uint16_t UNSUPPORTED_NSEC3_ITERATIONS = 27; // RFC 9276 3.2 (IANA registry)
}  // namespace ede

struct Verdict {
  Security security = Security::unchecked;
  uint16_t ede = ede::NONE;
  std::string why;

  static Verdict secure() { return {Security::secure, ede::NONE, {}}; }
  static Verdict insecure(std::string why, uint16_t code = ede::NONE) {
    return {Security::insecure, code, std::move(why)};
  }
  static Verdict bogus(uint16_t code, std::string why) { return {Security::bogus, code, std::move(why)}; }
  /// The records needed to judge could not be had (a fetch failed): why, for the client's SERVFAIL.
  static Verdict indeterminate(uint16_t code, std::string why) {
    return {Security::indeterminate, code, std::move(why)};
  }
  bool is_secure() const { return security == Security::secure; }
  bool is_bogus() const { return security == Security::bogus; }
};

/// "secure", "insecure", "bogus", ... for traces and logs.
const char* security_text(Security s);

}  // namespace namae::validator
