// Authenticated denial of existence (RFC 4035 5.4 with RFC 6840 4, and
// RFC 5155 8 for NSEC3): given NSEC or NSEC3 RRsets whose signatures have
// already been verified, do they prove what the answer claims? Pure logic
// over names and hashes; the resolver supplies the records.
//
// NSEC3 chains hashed with more than kMaxNsec3Iterations iterations are not
// worth the work (RFC 9276 3.2): their proofs count as insecure (the verdict
// carries EDE 27; Unbound 1.17 sends no EDE for it, and neither does the resolver).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "dns/name.h"
#include "dns/nsec3_hash.h"
#include "dns/record.h"
#include "validator/verdict.h"

namespace namae::validator {

/// RFC 9276 3.2: the iteration count above which NSEC3 proofs are insecure
/// (Unbound's default, val-nsec3-keysize-iterations "1024 150 2048 150 4096 150").
inline constexpr uint16_t kMaxNsec3Iterations = 150;

/// NXDOMAIN: `qname` does not exist and no wildcard could have made it.
Verdict prove_nxdomain(const dns::Name& qname, const std::vector<dns::RRset>& denial);

/// NODATA: `qname` exists (or a wildcard matching it does) without `qtype`
/// (nor a CNAME). For DS, an opt-out span proves an unsigned delegation
/// (RFC 5155 8.6): insecure.
Verdict prove_nodata(const dns::Name& qname, uint16_t qtype, const std::vector<dns::RRset>& denial);

/// A wildcard answer (RFC 4035 5.3.4, RFC 5155 8.8): no name closer to
/// `qname` than the wildcard's parent `closest` exists.
Verdict prove_wildcard_answer(const dns::Name& qname, const dns::Name& closest,
                              const std::vector<dns::RRset>& denial);

/// What a negative answer to a DS question at `name` says about the zone cut
/// (RFC 4035 5.2, RFC 5155 8.6): a proven delegation without DS (the child
/// is insecure), no delegation at `name` at all (keep the parent's keys), or
/// nothing (bogus).
enum class Cut : uint8_t { unsigned_delegation, no_delegation, unproven };
struct CutProof {
  Cut cut = Cut::unproven;
  Verdict verdict;
};
CutProof prove_no_ds(const dns::Name& name, const std::vector<dns::RRset>& denial);

/// RFC 8198 5.1: a negative answer for `qname`/`qtype` that a zone's
/// cached NSEC records (each already verified) prove without asking.
/// `at_or_before(name)` gives the zone's cached NSEC RRset whose owner is the
/// last at or before `name` in canonical order (nullptr: none known), which
/// matches or covers `name` when the chain holds it.
enum class Denied : uint8_t { nothing, nxdomain, nodata };
struct NsecSynthesis {
  Denied denied = Denied::nothing;
  std::vector<const dns::RRset*> used;  // the NSEC RRsets of the proof, from at_or_before
};
using NsecAtOrBefore = std::function<const dns::RRset*(const dns::Name&)>;
NsecSynthesis synthesize_from_nsec(const dns::Name& qname, uint16_t qtype, const NsecAtOrBefore& at_or_before);

/// RFC 8198 5.2 with RFC 5155 8.4-8.7: the same from a zone's cached NSEC3
/// chain hashed with `params`. `at_or_before(hash)` gives the cached NSEC3
/// RRset whose owner hash is the last at or before `hash`, wrapping to the
/// last of the chain below the first (nullptr: none). The closest encloser
/// proof is rebuilt from the cache; an opt-out span proves no NXDOMAIN (the
/// proofs judge it insecure), nor does a chain beyond kMaxNsec3Iterations.
using Nsec3AtOrBefore = std::function<const dns::RRset*(const dns::Nsec3Hash&)>;
NsecSynthesis synthesize_from_nsec3(const dns::Name& qname, uint16_t qtype, const dns::Name& zone,
                                    const dns::Nsec3Params& params, const Nsec3AtOrBefore& at_or_before);

}  // namespace namae::validator
