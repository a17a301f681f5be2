// ZoneVersion: one immutable version of a zone (readers keep the version
// they started with while an update publishes the next), and the diff that
// turns one version into the next. The code is in four rooms: the version as
// a whole (zone.cpp), finding names (lookup.cpp), applying diffs (apply.cpp)
// and building a version from records (ZoneBuilder, builder.h).
//
// Structure: a flat array of node pointers in canonical order (RFC 4034 6.1,
// i.e. Name::lookup_key() byte order) plus an open-addressing hash index over
// the owner names. Exact lookup is one probe; the closest encloser is found by
// probing the qname's ancestors, whose hashes come from one right-to-left pass
// over the qname (suffix_hashes); "previous name" (NSEC, AXFR order) is a
// binary search of the array. Empty non-terminals are real nodes, so "does
// this name exist" (NXDOMAIN vs NODATA, RFC 4592 closest encloser) is just
// "is there a node". Cut, DNAME and occlusion facts are precomputed flags.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "dns/name.h"
#include "dns/nsec3_hash.h"
#include "dns/rdata.h"
#include "dns/record.h"
#include "dns/rrtype.h"
#include "zone/node.h"
#include "zone/node_seq.h"

namespace namae::zone {

/// What the zone says about a name (RFC 1034 4.3.2 steps 3a-3c, before the
/// query type is considered).
struct LookupResult {
  enum class Kind : uint8_t {
    exact,       // `node` owns the name (maybe an empty non-terminal)
    delegation,  // the name is at or below the cut `node` (NS below the apex)
    dname,       // the name is below `node`, which owns a DNAME
    nxdomain,    // no such name; `node` is the closest encloser
  };
  Kind kind = Kind::nxdomain;
  const Node* node = nullptr;
  /// nxdomain only: "*.<closest encloser>" if it exists (RFC 4592 source of synthesis).
  const Node* wildcard = nullptr;
  /// delegation only: the name is the cut itself (a DS query is then answered
  /// from the parent side, RFC 4035 3.1.4.1).
  bool at_cut = false;
};

/// Changes between two versions: RRs removed, then RRs added. Removing an RR
/// that is not there, or adding one that is, is not an error (RFC 2136 3.4.2
/// semantics); adding an RR to an existing RRset sets the RRset's TTL. The
/// records' class is not looked at: a diff is always in its zone's class.
struct ZoneDiff {
  std::vector<dns::Record> removed;
  std::vector<dns::Record> added;
};

/// An immutable zone version. Shared through shared_ptr<const ZoneVersion>.
class ZoneVersion {
 public:
  const dns::Name& origin() const { return origin_; }
  uint16_t rclass() const { return rclass_; }
  /// SOA serial.
  uint32_t serial() const { return serial_; }
  const Node& apex() const { return *apex_; }
  /// The apex SOA RRset (always present).
  RRsetView soa() const { return apex().find(dns::rrtype::SOA); }
  /// TTL for negative answers: min(SOA TTL, SOA MINIMUM) (RFC 2308 3).
  uint32_t negative_ttl() const { return negative_ttl_; }

  /// Exact lookup, case-insensitive. Includes empty non-terminals and
  /// occluded nodes (glue); check the node's flags.
  const Node* find(std::span<const uint8_t> wire) const { return find(wire, wire_hash(wire)); }
  const Node* find(const dns::Name& name) const { return find(name.wire()); }

  /// Classify `qname` (which must be at or below origin()). No allocation.
  LookupResult lookup(const dns::Name& qname) const;

  /// Nodes in canonical order (the apex first), empty non-terminals included.
  size_t node_count() const { return nodes_.size(); }
  const Node& node(size_t i) const { return *nodes_.at(i); }
  /// Total records (what a zone transfer would send, the SOA once).
  size_t record_count() const { return record_count_; }
  /// Index of the last node whose name sorts at or before `name` (canonical order).
  size_t predecessor(const dns::Name& name) const;

  /// DNSSEC (RFC 4035 2.1): the zone is signed when its apex has a DNSKEY RRset.
  bool is_signed() const { return signed_; }
  /// The zone's NSEC3 parameters (apex NSEC3PARAM, RFC 5155 4) when its
  /// denial of existence uses NSEC3; nullptr: NSEC (or unsigned).
  const dns::Nsec3Params* nsec3_params() const { return has_nsec3_ ? &nsec3_params_ : nullptr; }
  /// The node owning the NSEC3 whose owner hash is `hash`, or nullptr.
  const Node* nsec3_match(const dns::Nsec3Hash& hash) const;
  /// The node owning the NSEC3 whose interval covers `hash` (owner hash <
  /// hash < next, the last one wrapping around, RFC 5155 1.3); nullptr
  /// when the zone has no NSEC3.
  const Node* nsec3_cover(const dns::Nsec3Hash& hash) const;
  /// The owner hashes of the NSEC3 chain, sorted (a signer repairing it).
  std::span<const dns::Nsec3Hash> nsec3_hashes() const { return nsec3_; }
  /// The last node at or before `name` in canonical order that owns an
  /// NSEC: its NSEC matches `name` or covers it (RFC 4034 4.1.1); nullptr
  /// when there is none.
  const Node* nsec_at_or_before(const dns::Name& name) const;

  /// All records in canonical order (RRsets in stored order), for dumps and AXFR.
  std::vector<dns::Record> records() const;

  /// The next version: this one with `diff` applied and validated (SOA,
  /// CNAME exclusivity...). Nodes and node chunks the diff does not touch are
  /// shared with this version. A small diff is applied in place of the
  /// copy: changed nodes, the empty non-terminals and flags around them, and
  /// the hash index are patched, O(changes * (log n + chunk)) plus a copy of
  /// the index array and of n / NodeSeq::kChunk chunk pointers. A diff that
  /// adds or removes a zone cut or DNAME (flags of a whole subtree change),
  /// or touches a large part of the zone, re-derives everything in one pass.
  Result<std::shared_ptr<const ZoneVersion>> apply(const ZoneDiff& diff) const;
  /// apply() that changes `v` itself when the diff can be patched, saving
  /// the copy of its index and chunk pointers: only for a version no reader
  /// can see yet (an update writer's unpublished head, chained updates of
  /// one batch). Returns `v`, or a new version when the diff needed the
  /// whole zone re-derived. On failure `v` is unchanged.
  static Result<std::shared_ptr<ZoneVersion>> apply_in_place(std::shared_ptr<ZoneVersion> v,
                                                             const ZoneDiff& diff);

  /// Approximate heap octets held (nodes counted fully even when shared).
  size_t memory_usage() const;

  /// Built by ZoneBuilder / apply(); `nodes` sorted canonically, apex first.
  ZoneVersion(const dns::Name& origin, uint16_t rclass, std::vector<NodeRef> nodes);

 private:
  // One index slot: the node's address in the low 48 bits (x86-64 and
  // AArch64 user space) and 16 bits of its hash above them, so a probe costs
  // one cache miss for the slot and one for the node, and most mismatches
  // are skipped without touching the node. 0 = free.
  using Slot = uint64_t;
  static constexpr uint64_t kPtrMask = (uint64_t{1} << 48) - 1;

  const Node* find(std::span<const uint8_t> wire, uint64_t hash) const;
  const Node* find_hashed(const dns::Name& name, size_t strip, uint64_t hash) const;
  // "*.<owner>" (RFC 4592 source of synthesis), if it exists.
  const Node* find_wildcard_child(std::span<const uint8_t> owner) const;
  // Highest proper ancestor of `qname` (from the apex down) that is a cut or owns a DNAME.
  const Node* highest_cut(const dns::Name& qname, const uint64_t* hashes) const;
  // Sizes the index for max(nodes, min_nodes) at most half full and fills it.
  void build_index(size_t min_nodes = 0);
  // apply(), into `target` (this very version, changed in place) or into a copy.
  Result<std::shared_ptr<ZoneVersion>> apply_to(const ZoneDiff& diff,
                                                std::shared_ptr<ZoneVersion> target) const;
  // A name's new content in apply().
  struct Replacement;
  // apply() for a large diff, or one that adds or removes a cut or DNAME: a
  // new version from this one's nodes merged with the replacements.
  std::shared_ptr<ZoneVersion> rebuilt_with(std::vector<Replacement>& repl) const;
  // apply() for a small diff that adds or removes no cut or DNAME, on a copy
  // of the version it is called on: nodes, empty non-terminals, flags and
  // the index are changed where the names are.
  void patch(std::vector<Replacement>& repl);
  // patch() steps. Names whose flags must be derived again go to `touched`,
  // names left without data to `emptied`.
  void put_name(Replacement& r, std::vector<dns::Name>& touched, std::vector<dns::Name>& emptied);
  void insert_node(std::span<const uint8_t> owner, NodeRef node, std::vector<dns::Name>& touched);
  // Removes the emptied names, and empty non-terminals above them, that have
  // nothing left below.
  void drop_emptied(const std::vector<dns::Name>& emptied, std::vector<dns::Name>& touched);
  // Derives the flags of `name` again from its content and its neighbours.
  void reflag(const dns::Name& name);
  void index_insert(const Node* n);
  void index_erase(const Node* n);
  // Reads serial and negative TTL off the apex SOA, and the DNSSEC facts
  // (DNSKEY, NSEC3PARAM) off the apex.
  void read_soa();
  // The NSEC3 owner-hash index (zone/denial.cpp): a node's entry when it
  // owns an NSEC3 (built whole, or kept by patch() as nodes change).
  void nsec3_index_add(const Node& n);
  void nsec3_index_remove(const Node& n);
  const Node* nsec3_node(const dns::Nsec3Hash& hash) const;

  dns::Name origin_;
  uint16_t rclass_;
  uint32_t serial_ = 0;
  uint32_t negative_ttl_ = 0;
  size_t record_count_ = 0;
  NodeSeq nodes_;
  const Node* apex_ = nullptr;
  std::vector<Slot> index_;
  uint64_t mask_ = 0;
  bool signed_ = false;
  bool has_nsec3_ = false;
  dns::Nsec3Params nsec3_params_;
  // Owner hashes of the nodes that own NSEC3 records, sorted: the chain in
  // hash order, to find the NSEC3 matching or covering a hash by binary
  // search (RFC 5155 7.2). Hashes, not node pointers, so that a node copied
  // for new flags needs no index change.
  std::vector<dns::Nsec3Hash> nsec3_;
};

/// What makes records one RRset: the type, and for RRSIG also the covered
/// type (RFC 4034 3), as type << 16 | covered.
uint32_t rrset_key(uint16_t type, std::span<const uint8_t> rdata);

}  // namespace namae::zone
