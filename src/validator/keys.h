// The chain of trust, one link at a time (RFC 4035 5.2, 5.3): a zone's
// DNSKEY RRset authenticated by the DS RRset (or trust anchor) above it,
// then any RRset of that zone authenticated by one of those keys. Pure: the
// resolver fetches the records, these functions judge them. No exceptions.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "dns/name.h"
#include "dns/record.h"
#include "validator/anchors.h"
#include "validator/verdict.h"

namespace namae::validator {

/// A zone's validated keys: secure with the DNSKEY rdatas that may sign its
/// data, insecure (proven unsigned, or no algorithm we can check), or bogus.
struct KeySet {
  dns::Name zone;
  Verdict verdict;
  std::vector<dns::RdataBytes> dnskeys;
};

/// The RRSIG rdatas among `sigs` (an RRSIG RRset at the owner of `set`, or
/// several) that cover `set`'s type.
std::vector<dns::RdataBytes> signatures_over(const dns::RRset& set, const std::vector<dns::RRset>& sigs);

/// RFC 4035 5.2: `dnskey` (the zone's DNSKEY RRset) authenticated by the DS
/// rdatas `ds` of its parent (already validated) or by an anchor's DS and
/// DNSKEY rdatas, with `rrsigs` over it, at `now` (unix seconds). DS records
/// of no algorithm or digest we support make the zone insecure (RFC 4035
/// 5.2, RFC 6840 5.2); DS matching no key, or no valid self-signature by a
/// matching key, make it bogus.
KeySet verify_dnskeys(const dns::Name& zone, const dns::RRset& dnskey,
                      const std::vector<dns::RdataBytes>& rrsigs,
                      const std::vector<dns::RdataBytes>& ds,
                      const std::vector<dns::RdataBytes>& anchor_keys, uint32_t now);

/// RFC 4035 5.3: `set` authenticated by one of `keys`' DNSKEYs through one
/// of `rrsigs` whose signer is `keys.zone`. Insecure keys give insecure.
Verdict verify_rrset(const dns::RRset& set, const std::vector<dns::RdataBytes>& rrsigs,
                     const KeySet& keys, uint32_t now);

/// Clocks (ours, the signer's) drift: as Unbound's val-sig-skew-min and
/// val-sig-skew-max, a signature is taken for a tenth of its validity
/// period, at least an hour and at most a day, before its inception and
/// after its expiration (RFC 4035 5.3.1 leaves the margin to the resolver).
inline constexpr uint32_t kSigSkewMin = 3600;
inline constexpr uint32_t kSigSkewMax = 86400;
/// Whether `now` lies in [inception, expiration] widened by that skew (RFC 1982 serial arithmetic).
bool within_validity_skewed(uint32_t inception, uint32_t expiration, uint32_t now);

/// Whether the DNSKEY rdata `key` of `zone` is the one the DS rdata `ds` names.
bool key_matches_ds(const dns::Name& zone, const dns::RdataBytes& key, const dns::RdataBytes& ds);

/// The signer name of the first well-formed RRSIG in `rrsigs`, if any.
std::optional<dns::Name> signer_of(const std::vector<dns::RdataBytes>& rrsigs);

/// When `set`'s RRSIG says it was expanded from a wildcard (RFC 4035
/// 5.3.4: fewer labels than the owner), the wildcard's parent (its closest
/// encloser); nullopt when it was not.
std::optional<dns::Name> wildcard_parent(const dns::RRset& set, const std::vector<dns::RdataBytes>& rrsigs);

}  // namespace namae::validator
