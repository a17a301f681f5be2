// Zone signing (RFC 4035 2): DNSKEY RRset at the apex, an NSEC or NSEC3
// chain, and RRSIGs over every authoritative RRset, signed in parallel.
// Offline (`namae zone sign`) and, later, namaed's signing share it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "base/result.h"
#include "dns/record.h"
#include "dnssec/chain.h"
#include "dnssec/key_file.h"
#include "dnssec/zone_model.h"

namespace namae::dnssec {

struct SigningPolicy {
  bool nsec3 = false;
  Nsec3Settings nsec3_params;            // RFC 9276 3.1 defaults: 0 iterations, no salt, no opt-out
  uint32_t validity = 14 * 86400;      // expiration - now
  uint32_t inception_offset = 3600;    // inception = now - offset (clock skew)
  uint32_t jitter = 0;                 // expirations spread over [validity - jitter, validity]
  uint32_t dnskey_ttl = 0;             // 0: the SOA's TTL
  unsigned threads = 0;                // 0: one per core
};

/// Sign the zone at `origin` made of `records` (any RRSIG, NSEC, NSEC3 and
/// NSEC3PARAM in them are replaced) with the keys that are published and
/// active at `now` (unix seconds). KSKs (SEP bit) sign the DNSKEY RRset,
/// ZSKs the rest; without ZSKs the KSKs sign everything (a CSK).
Result<ZoneModel> sign_zone(std::vector<dns::Record> records, const dns::Name& origin,
                            std::span<const ZoneKey> keys, const SigningPolicy& policy, int64_t now);

/// Sign a model already holding its denial chain: fills every signed set's rrsigs.
Result<void> sign_sets(ZoneModel& zone, std::span<const ZoneKey> keys, const SigningPolicy& policy,
                       int64_t now);

}  // namespace namae::dnssec
