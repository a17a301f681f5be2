// How namaed signs a zone it serves (a [[zone]]'s `dnssec` or its
// `dnssec-policy`): the algorithm and key split of its keys, where they
// live, how long RRSIGs are valid and when they are renewed, and which
// denial of existence (NSEC, RFC 4034 4; or NSEC3 with RFC 9276 3.1's
// parameters: no extra iterations, no salt, no opt-out).
#pragma once

#include <cstdint>
#include <optional>
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
  uint32_t dnskey_ttl = 0;  // TTL of DNSKEY, CDS and CDNSKEY; 0: the SOA's
  // Rollovers (signing/rollover.h): lifetimes (0: never; a CSK's is the
  // KSK's) and the delays RFC 7583's timing adds to the TTLs.
  uint32_t ksk_lifetime = 0;
  uint32_t zsk_lifetime = 0;
  uint32_t propagation_delay = 3600;         // to every secondary
  uint32_t parent_ds_ttl = 86400;
  uint32_t parent_propagation_delay = 3600;  // to the parent's secondaries
  uint32_t purge_keys = 90 * 86400;          // a removed key's files go this long after (0: kept)
  std::string key_directory;
  // Going insecure (RFC 8078 4; signing/rollover.h): the policy asks for it
  // (dnssec-policy = "insecure"); the key ring sets the times the signer
  // follows: the CDS/CDNSKEY "delete" records from delete_cds_from on, and
  // no DNSSEC record at all (DNSKEY, RRSIG, NSEC, NSEC3, NSEC3PARAM, CDS,
  // CDNSKEY) from unsigned_from on.
  bool insecure = false;
  std::optional<int64_t> delete_cds_from, unsigned_from;

  bool deletes_ds(int64_t now) const { return delete_cds_from && *delete_cds_from <= now; }
  bool is_unsigned(int64_t now) const { return unsigned_from && *unsigned_from <= now; }
};

}  // namespace namae::signing
