// Aggressive use of DNSSEC-validated cache (RFC 8198): the NSEC and NSEC3
// records that validated negative and wildcard answers brought, kept per
// zone (NSEC in canonical order, NSEC3 by owner hash, one parameter set per
// zone) with the zone's validated SOA, so a question for another name their
// ranges cover is answered NXDOMAIN or NODATA from here, without asking
// upstream (RFC 8198 5.1-5.2). NSEC3 chains beyond the RFC 9276 iteration
// limit are not kept; opt-out spans are kept but prove no NXDOMAIN (the
// proofs of src/validator judge them insecure).
//
// Filled by the validator (AnswerValidator), read on the cache-miss path of
// Resolver::answer_from_cache; a reader-writer lock, since reads dominate.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/clock.h"
#include "dns/nsec3_hash.h"
#include "dns/record.h"
#include "resolver/cache.h"
#include "validator/denial.h"

namespace namae::resolver {

class DenialCache {
 public:
  /// At most `max_records` NSEC RRsets are kept; beyond that, new ones are
  /// dropped until old ones expire (their TTLs are short: negative TTLs).
  DenialCache(const Clock& clock, size_t max_records) : clock_(clock), max_records_(max_records) {}

  /// Keep `nsec` (an NSEC or NSEC3 RRset), verified by `zone`'s keys, with
  /// its RRSIG rdatas, for `ttl` seconds.
  void keep_nsec(const dns::Name& zone, const dns::RRset& nsec, std::vector<dns::RdataBytes> sigs, uint32_t ttl);
  /// Keep `zone`'s verified SOA (the authority section of a synthesized answer).
  void keep_soa(const dns::Name& zone, const dns::RRset& soa, std::vector<dns::RdataBytes> sigs, uint32_t ttl);

  /// RFC 8198 5.1: a negative entry for (qname, qtype), judged secure, that
  /// the kept records prove; nullptr when they prove nothing.
  EntryPtr synthesize(const dns::Name& qname, uint16_t qtype) const;

  /// Forget everything at and below `name`; returns the RRsets removed.
  size_t flush(const dns::Name& name);
  size_t size() const;
  /// Answers synthesized so far.
  uint64_t answers() const { return answers_.load(std::memory_order_relaxed); }

 private:
  struct Signed {
    dns::RRset set;
    std::vector<dns::RdataBytes> sigs;
    int64_t stored_ms = 0;
    int64_t expires_ms = 0;
  };
  struct Nsec3Chain {
    dns::Nsec3Params params;
    std::map<dns::Nsec3Hash, Signed> records;  // by owner hash
  };
  struct Zone {
    dns::Name apex;
    std::optional<Signed> soa;
    std::map<std::string, Signed> nsec;  // by Name::lookup_key(): canonical order
    Nsec3Chain nsec3;
    size_t count() const { return nsec.size() + nsec3.records.size(); }
  };
  const Zone* zone_for(const dns::Name& name) const;
  static int64_t usable_until(const Signed& record, const Signed& soa);
  void keep_nsec3(Zone& z, const dns::RRset& nsec3, Signed s);
  validator::NsecSynthesis from_nsec(const Zone& z, const dns::Name& qname, uint16_t qtype,
                                     std::vector<const Signed*>& found, int64_t now) const;
  validator::NsecSynthesis from_nsec3(const Zone& z, const dns::Name& qname, uint16_t qtype,
                                      std::vector<const Signed*>& found, int64_t now) const;
  EntryPtr make_entry(const dns::Name& qname, uint16_t qtype, bool nxdomain, const Signed& soa,
                      const std::vector<const Signed*>& used) const;
  void sweep(int64_t now_ms);

  const Clock& clock_;
  const size_t max_records_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Zone> zones_;  // by the apex's lookup_key()
  size_t records_ = 0;
  mutable std::atomic<uint64_t> answers_{0};
};

}  // namespace namae::resolver
