// A zone as the signer and the verifier see it: nodes in RFC 4034 6.1
// canonical order, each with its RRsets and the RRSIGs over each, and what
// the node is (apex, authoritative, delegation point, or occluded below a
// cut or a DNAME, RFC 6672 2.3). Which RRsets get signed and which names
// get NSEC/NSEC3 records follows from that (RFC 4035 2.2-2.3, RFC 5155 7.1).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "base/result.h"
#include "dns/name.h"
#include "dns/record.h"

namespace namae::dnssec {

enum class NodeKind : uint8_t { apex, authoritative, delegation, occluded };

struct ZoneSet {
  uint16_t type = 0;
  uint32_t ttl = 0;
  std::vector<dns::RdataBytes> rdata;   // canonical order, no duplicates
  std::vector<dns::RdataBytes> rrsigs;  // RRSIG rdata covering this set
};

struct ZoneNode {
  dns::Name owner;
  NodeKind kind = NodeKind::authoritative;
  std::vector<ZoneSet> sets;  // by type number

  ZoneSet* find(uint16_t type);
  const ZoneSet* find(uint16_t type) const;
  bool has(uint16_t type) const { return find(type) != nullptr; }
  /// The RRset as a dns::RRset (for signing and verification).
  dns::RRset rrset(const ZoneSet& set, uint16_t rclass) const;
};

struct ZoneModel {
  dns::Name origin;
  uint16_t rclass = 1;
  std::vector<ZoneNode> nodes;  // canonical order; nodes[0] is the apex

  const ZoneNode& apex() const { return nodes.front(); }
  ZoneNode& apex() { return nodes.front(); }
  /// RFC 9077 / RFC 4035 2.3: the TTL of NSEC and NSEC3 records, the
  /// smaller of the SOA's TTL and its MINIMUM field.
  uint32_t negative_ttl() const;
  size_t record_count() const;
};

/// Group `records` (any order) into a model of the zone at `origin`: RRSIGs
/// attached to the RRset they cover, duplicates dropped, nodes classified.
/// Fails on records outside the zone, a missing SOA, or class mixing; an
/// RRset whose TTLs differ takes the smallest (RFC 2181 5.2).
Result<ZoneModel> build_zone_model(std::vector<dns::Record> records, const dns::Name& origin);

/// Re-derive each node's kind (after nodes were added or changed).
void classify(ZoneModel& zone);

/// Is this RRset authoritative data that carries RRSIGs? Everything at the
/// apex and at authoritative names; at a delegation point only DS, NSEC
/// (and NSEC3); nothing occluded.
bool is_signed_set(const ZoneNode& node, uint16_t type);

/// Does the node carry (or own, for NSEC3) a denial record? Every node but
/// the occluded ones.
inline bool in_chain(const ZoneNode& node) { return node.kind != NodeKind::occluded; }

/// Write the zone, one record a line, each RRset followed by its RRSIGs.
bool write_zone(std::FILE* out, const ZoneModel& zone);

}  // namespace namae::dnssec
