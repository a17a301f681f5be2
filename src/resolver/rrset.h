// The resolver's unit of data: one RRset as learnt from an upstream answer,
// with the credibility (RFC 2181 5.4.1) of the section it came from.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/clock.h"
#include "dns/name.h"
#include "dns/rdata.h"

namespace namae::resolver {

/// RFC 2181 5.4.1 ranking, lowest first. Data of a higher rank replaces
/// cached data of a lower one; lower-ranked data never replaces higher.
enum class Trust : uint8_t {
  additional = 1,       // glue and other additional-section data
  authority_nonauth = 2,  // NS of a referral (the parent's copy)
  answer_nonauth = 3,   // answer section of a non-authoritative reply, synthesized CNAMEs
  authority_auth = 4,   // authority section of an authoritative reply (SOA of a negative)
  answer_auth = 5,      // answer section of an authoritative reply
  prime = 6,            // root NS learnt by priming (and local data)
};

/// One RRset. Rdata is uncompressed wire form (dns/rdata.h).
struct Rrset {
  dns::Name owner;
  uint16_t type = 0;
  uint16_t rclass = 1;
  uint32_t ttl = 0;
  std::vector<dns::RdataBytes> rdata;
  Trust trust = Trust::additional;
};

}  // namespace namae::resolver
