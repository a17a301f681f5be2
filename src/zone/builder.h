// ZoneBuilder: a validated ZoneVersion from records (a zone file, a
// transfer). Owns the staging of records, their sorting into canonical order,
// the packing of each name's records into a node (RRsets, duplicates, TTL
// agreement) and the per-name rules (zone/node_rules.h); the version itself
// is zone/zone.h's. RFC 1035 5.2, RFC 2181 5.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "dns/name.h"
#include "dns/record.h"
#include "dns/rrtype.h"
#include "zone/node.h"
#include "zone/zone.h"
#include "zonefile/parser.h"

namespace namae::zone {

/// A problem found while building or checking a zone; `line` is the caller's
/// tag (the zone file line) of the record it concerns, 0 for zone-wide problems.
struct BuildIssue {
  uint32_t line = 0;
  std::string message;
  zonefile::Severity severity = zonefile::Severity::error;
};

/// Collects records and builds a validated ZoneVersion. Records are staged in
/// one flat buffer, consecutive records of one owner sharing a single key
/// (no per-record allocation), sorted once by owner, and packed into nodes;
/// nothing of the staging survives build().
class ZoneBuilder {
 public:
  explicit ZoneBuilder(const dns::Name& origin, uint16_t rclass = dns::rrclass::IN);

  /// Stage one record. Rejects names outside the zone, another class, meta
  /// types (OPT, TSIG, AXFR, ANY...) and oversize rdata. `line` tags the
  /// record in later issues.
  Result<void> add(const dns::Name& owner, uint16_t type, uint32_t ttl,
                   std::span<const uint8_t> rdata, uint16_t rclass = dns::rrclass::IN,
                   uint32_t line = 0) {
    return add_wire(owner.wire(), type, ttl, rdata, rclass, line);
  }
  Result<void> add(const dns::Record& r) { return add(r.owner, r.type, r.ttl, r.rdata, r.rclass); }
  /// Same with the owner as an uncompressed wire name (must be well formed),
  /// so a loader need not build a dns::Name per record.
  Result<void> add_wire(std::span<const uint8_t> owner, uint16_t type, uint32_t ttl,
                        std::span<const uint8_t> rdata, uint16_t rclass = dns::rrclass::IN,
                        uint32_t line = 0);

  /// Validate the nodes (exactly one SOA, at the apex; NS at the apex; CNAME
  /// alone at its name; one CNAME / DNAME per name) and build. Duplicate RRs
  /// (equal in canonical form, RFC 4034 6.2) are dropped with a note (RFC
  /// 2181 5); a record whose TTL differs from its RRset's first one takes that
  /// TTL, with a warning (RFC 2181 5.2). RRSIGs form one RRset per covered
  /// type (RFC 4034 3: their TTLs follow the covered RRset). On failure the
  /// errors in issues() list every problem. Zone-wide checks that need
  /// lookups are check_zone()'s (zone/check.h).
  Result<std::shared_ptr<const ZoneVersion>> build();

  /// Every note, warning and error of build(), in canonical node order.
  const std::vector<BuildIssue>& issues() const { return issues_; }
  std::vector<BuildIssue> errors() const { return filtered(zonefile::Severity::error); }
  std::vector<BuildIssue> warnings() const { return filtered(zonefile::Severity::warning); }
  std::vector<BuildIssue> notes() const { return filtered(zonefile::Severity::note); }
  /// After a successful build(): the `line` tag of every record of the
  /// version, in its iteration order (nodes canonical, then RRsets and rdatas
  /// as stored), for check_zone's messages. One u32 a record.
  const std::vector<uint32_t>& record_tags() const { return tags_; }
  /// Records staged so far.
  size_t staged() const { return staged_; }
  /// Expected number of records and octets of input, to size the staging once.
  void reserve(size_t records, size_t octets);

 private:
  // One run of consecutive records with the same owner spelling.
  struct Run {
    uint64_t prefix;  // first 8 octets of the key, big-endian: most comparisons stop here
    uint64_t offset;  // into stage_
    uint32_t count;   // records in the run
  };
  // Builds one node from its staged records (builder.cpp).
  class NodeAssembler;

  std::vector<BuildIssue> filtered(zonefile::Severity s) const;
  // Starts a run for a new owner spelling: its key and owner in stage_.
  void start_run(std::span<const uint8_t> owner);
  // Sorts the runs into canonical owner order, file order among equals.
  void sort_runs();
  // Hands `into` the records of runs_[i] and of the runs after it with the
  // same owner; returns the index of the first run of the next owner.
  size_t gather(size_t i, NodeAssembler& into) const;
  // The version from the built nodes, or the errors among issues_.
  Result<std::shared_ptr<const ZoneVersion>> finish(std::vector<NodeRef> nodes);

  dns::Name origin_;
  uint16_t rclass_;
  size_t origin_labels_;
  std::vector<uint8_t> stage_;
  std::vector<Run> runs_;
  size_t staged_ = 0;
  size_t last_owner_ = 0;  // offset of the current run's owner in stage_
  std::vector<BuildIssue> issues_;
  std::vector<uint32_t> tags_;
};

}  // namespace namae::zone
