// Checking a signed zone, as dnssec-verify and ldns-verify-zone do: every
// RRSIG by an apex DNSKEY verifies and is within its validity period (one
// by another key is let be, as an algorithm rollover makes them),
// every authoritative RRset is signed by each algorithm of the DNSKEY RRset
// (RFC 4035 2.2), the DNSKEY RRset by a SEP key, nothing non-authoritative
// is signed, and the NSEC or NSEC3 chain is exactly what the data requires.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dns/record.h"
#include "dnssec/zone_model.h"

namespace namae::dnssec {

struct ZoneCheck {
  std::vector<std::string> problems;  // "owner TYPE: why", one a problem
  size_t signatures = 0;              // RRSIGs that verified
  bool nsec3 = false;
};

/// Check the zone at `origin`. `now` (unix seconds) checks validity periods;
/// nullopt skips that.
ZoneCheck verify_zone(std::vector<dns::Record> records, const dns::Name& origin, std::optional<int64_t> now);

}  // namespace namae::dnssec
