// The one record type and the one RRset type every module shares: zone files,
// zones, dynamic update, the CLI, mDNS and the resolver. A module that needs
// more (where a record was read, an mDNS cache-flush bit, a trust rank) wraps
// these instead of declaring its own.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "dns/name.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"

namespace namae::dns {

/// One resource record. Rdata is uncompressed wire form (rdata.h).
struct Record {
  Name owner;
  uint16_t type = 0;
  uint16_t rclass = rrclass::IN;
  uint32_t ttl = 0;
  RdataBytes rdata;

  /// Same owner, type, class and rdata (TTL aside): the same RR (RFC 2181 5).
  bool same_rr(const Record& o) const {
    return type == o.type && rclass == o.rclass && rdata == o.rdata && owner == o.owner;
  }
  /// Same owner, type and class: members of one RRset.
  bool same_set(const Record& o) const { return type == o.type && rclass == o.rclass && owner == o.owner; }
  bool operator==(const Record& o) const { return same_rr(o) && ttl == o.ttl; }
  /// "owner TTL class type rdata", as a zone file line.
  std::string to_text() const;
};

/// One RRset: owner, class, type, one TTL (RFC 2181 5.2) and the rdatas.
struct RRset {
  Name owner;
  uint16_t type = 0;
  uint16_t rclass = rrclass::IN;
  uint32_t ttl = 0;
  std::vector<RdataBytes> rdata;

  /// The members as records.
  std::vector<Record> records() const;
  bool operator==(const RRset& o) const = default;
};

}  // namespace namae::dns
