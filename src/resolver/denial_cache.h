// Aggressive use of DNSSEC-validated cache (RFC 8198): the NSEC and NSEC3
// records that validated negative and wildcard answers brought, kept per
// zone (NSEC in canonical order, NSEC3 by owner hash, one parameter set per
// zone) with the zone's validated SOA, so a question for another name their
// ranges cover is answered NXDOMAIN or NODATA from here, without asking
// upstream (RFC 8198 5.1-5.2). NSEC3 chains beyond the RFC 9276 iteration
// limit are not kept; opt-out spans are kept but prove no NXDOMAIN (the
// proofs of src/validator judge them insecure).
//
// The RRsets of validated wildcard answers are kept too, under the
// wildcard's own name (*.closest-encloser, as Unbound keeps them): with a
// kept record proving that another name below the same encloser does not
// exist, the wildcard answers it positively (RFC 8198 5.3), its RRSIGs and
// that proof as an upstream server would have sent them (RFC 4035 3.1.3.3).
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
  /// Keep `answer`, a verified expansion of the wildcard *.`closest` in `zone`
  /// (its RRSIGs in `sigs`), for `ttl` seconds.
  void keep_wildcard(const dns::Name& zone, const dns::Name& closest, const dns::RRset& answer,
                     std::vector<dns::RdataBytes> sigs, uint32_t ttl);

  /// RFC 8198 5.1-5.3: an entry for (qname, qtype), judged secure, that the
  /// kept records prove: negative (with the zone's SOA), or the expansion of
  /// a kept wildcard; nullptr when they prove nothing.
  EntryPtr synthesize(const dns::Name& qname, uint16_t qtype) const;

  /// Forget everything at and below `name`; returns the RRsets removed.
  size_t flush(const dns::Name& name);
  size_t size() const;
  /// Answers synthesized so far (negative and wildcard).
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
    std::map<std::pair<std::string, uint16_t>, Signed> wildcards;  // by (owner's lookup_key(), type)
    size_t count() const { return nsec.size() + nsec3.records.size() + wildcards.size(); }
  };
  const Zone* zone_for(const dns::Name& name) const;
  static int64_t usable_until(const Signed& record, const Signed* soa);
  static const Signed* live_soa(const Zone& z, int64_t now);
  EntryPtr synthesize_denial(const Zone& z, const dns::Name& qname, uint16_t qtype, int64_t now) const;
  EntryPtr synthesize_wildcard(const Zone& z, const dns::Name& qname, uint16_t qtype, int64_t now) const;
  const Signed* nonexistence_below(const Zone& z, const dns::Name& qname, const dns::Name& closest,
                                   int64_t now) const;
  void keep_nsec3(Zone& z, const dns::RRset& nsec3, Signed s);
  validator::NsecSynthesis from_nsec(const Zone& z, const dns::Name& qname, uint16_t qtype,
                                     std::vector<const Signed*>& found, int64_t now) const;
  validator::NsecSynthesis from_nsec3(const Zone& z, const dns::Name& qname, uint16_t qtype,
                                      std::vector<const Signed*>& found, int64_t now) const;
  EntryPtr make_entry(const dns::Name& qname, uint16_t qtype, bool nxdomain, const Signed& soa,
                      const std::vector<const Signed*>& used) const;
  EntryPtr make_expansion(const dns::Name& qname, const Signed& wildcard, const Signed& proof,
                          const Signed* soa) const;
  void sweep(int64_t now_ms);
  Zone* zone_with_room(const dns::Name& zone, int64_t now_ms);

  const Clock& clock_;
  const size_t max_records_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Zone> zones_;  // by the apex's lookup_key()
  size_t records_ = 0;
  mutable std::atomic<uint64_t> answers_{0};
};

}  // namespace namae::resolver
