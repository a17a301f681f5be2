// What the resolver adds to the shared dns::RRset: the credibility (RFC 2181
// 5.4.1) of the section an RRset was learnt from. The cache keeps it beside
// each RRset (CacheEntry) and lets better data replace worse, never the reverse.
#pragma once

#include <cstdint>

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

}  // namespace namae::resolver
