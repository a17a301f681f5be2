// Authenticated denial chains over a ZoneModel: NSEC (RFC 4034 4, RFC 4035
// 2.3) and NSEC3 (RFC 5155 7.1, with RFC 9276's advice as the defaults:
// no extra iterations, no salt, no opt-out). The builders compute what the
// chain must be; the signer adds it and the verifier compares with it.
#pragma once

#include <cstdint>
#include <vector>

#include "base/result.h"
#include "dns/nsec3_hash.h"
#include "dnssec/zone_model.h"

namespace namae::dnssec {

struct Nsec3Settings {
  uint16_t iterations = 0;
  std::vector<uint8_t> salt;
  bool opt_out = false;
};

/// The hash of `name` under these settings (SHA-1, RFC 5155 5).
dns::Nsec3Hash nsec3_hash(const dns::Name& name, const Nsec3Settings& s);
/// The hashed owner name: the hash's base32hex label under `zone`; fails
/// only when `zone` leaves no room for a 32-octet label.
Result<dns::Name> nsec3_owner(const dns::Nsec3Hash& hash, const dns::Name& zone);

/// NSEC3PARAM rdata (flags 0: the opt-out flag belongs to NSEC3 only).
dns::RdataBytes nsec3param_rdata(const Nsec3Settings& p);
/// Read NSEC3PARAM rdata; fails on a hash algorithm other than SHA-1.
Result<Nsec3Settings> parse_nsec3param(std::span<const uint8_t> rdata);

/// The types an NSEC at `node` lists: its RRsets, NSEC and RRSIG.
std::vector<uint16_t> nsec_types(const ZoneNode& node);
/// The types an NSEC3 for `node` lists: its RRsets (the NSEC3 itself lives
/// elsewhere), plus RRSIG when any of them is signed. Empty for an ENT.
std::vector<uint16_t> nsec3_types(const ZoneNode& node);

/// NSEC rdata: next owner name and type bitmap.
dns::RdataBytes nsec_rdata(const dns::Name& next, const std::vector<uint16_t>& types);

/// The NSEC chain: for each node in the chain, the next one (wrapping to the apex).
/// Returns, parallel to zone.nodes, the NSEC rdata each node must carry (empty: none).
std::vector<dns::RdataBytes> nsec_chain(const ZoneModel& zone);

/// One NSEC3 record the chain must have.
struct Nsec3Entry {
  dns::Nsec3Hash hash;
  dns::Name original;             // the name it was hashed from
  std::vector<uint16_t> types;    // empty for an empty non-terminal
  dns::RdataBytes rdata;          // filled by nsec3_chain
};

/// The NSEC3 chain in hash order: every name in the chain and every empty
/// non-terminal between it and the apex (RFC 5155 7.1), without insecure
/// delegations (and the ENTs only they need) when opting out. Fails on a
/// hash collision (RFC 5155 7.1: choose another salt).
Result<std::vector<Nsec3Entry>> nsec3_chain(const ZoneModel& zone, const Nsec3Settings& p);

/// NSEC3 rdata for one entry with its successor's hash.
dns::RdataBytes nsec3_rdata(const Nsec3Settings& p, const dns::Nsec3Hash& next,
                            const std::vector<uint16_t>& types);

/// Is `node` a name that exists only to own NSEC3 records (not an original name)?
bool is_nsec3_only(const ZoneNode& node);

}  // namespace namae::dnssec
