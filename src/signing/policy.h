// How namaed signs a zone it serves (a [[zone]]'s `dnssec` or its
// `dnssec-policy`): the algorithm and key split of its keys, where they
// live, how long RRSIGs are valid and when they are renewed, and which
// denial of existence (NSEC, RFC 4034 4; or NSEC3 with RFC 9276 3.1's
// parameters: no extra iterations, no salt, no opt-out).
#pragma once

#include <cstdint>
#include <string>

#include "dnssec/algorithm.h"

namespace namae::signing {

struct Policy {
  uint8_t algorithm = dnssec::alg::ECDSAP256SHA256;
  bool split_keys = false;           // a KSK and a ZSK instead of one combined key (CSK)
  uint32_t validity = 14 * 86400;    // an RRSIG's expiration - its signing time
  uint32_t refresh = 5 * 86400;      // signed anew when less than this validity is left
  uint32_t inception_offset = 3600;  // inception = signing time - this (clock skew)
  bool nsec3 = false;
  std::string key_directory;
};

}  // namespace namae::signing
