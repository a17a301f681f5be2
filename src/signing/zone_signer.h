// Keeping a served zone signed (RFC 4035 2, RFC 5155 7): given a version
// of the zone and the names that may need work (the scope), the ZoneDiff
// that brings them in line with the policy: the apex DNSKEY and NSEC3PARAM
// RRsets, an RRSIG by each active key over every authoritative RRset, and
// the NSEC or NSEC3 records of the chain around those names, each record
// that changes signed anew. An RRSIG that is still good (by an active key,
// over an RRset the scope does not name as changed, not within `refresh`
// of its expiration) is kept, so running it again changes nothing.
//
// The same code signs a zone whole (scope `all`: at load, or when keys or
// policy changed), incrementally after a dynamic update (the diff's names),
// and refreshes signatures that come due (refresh_scope).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "base/result.h"
#include "dns/name.h"
#include "dnssec/key_file.h"
#include "signing/policy.h"
#include "zone/zone.h"

namespace namae::signing {

/// The names a signing pass looks at.
struct Scope {
  bool all = false;
  std::vector<dns::Name> names;  // owners whose data, existence or signatures may need work
  /// RRsets whose content changed: their RRSIGs are made anew.
  std::vector<std::pair<dns::Name, uint16_t>> changed;
};

/// The scope of a dynamic update's diff: its owners, the RRsets it
/// changed, and the whole subtree under a cut or DNAME it added or removed.
Scope scope_of(const zone::ZoneDiff& diff);

/// Types the signer alone maintains (an UPDATE touching them is refused).
bool is_signer_type(uint16_t type);

/// The largest TTL of any RRset in `v` (RFC 7583's TTLsig bound).
uint32_t largest_ttl(const zone::ZoneVersion& v);

class ZoneSigner {
 public:
  ZoneSigner(dns::Name origin, Policy policy, std::vector<dnssec::ZoneKey> keys);
  virtual ~ZoneSigner() = default;

  const dns::Name& origin() const { return origin_; }
  const Policy& policy() const { return policy_; }
  std::span<const dnssec::ZoneKey> keys() const { return keys_; }

  /// Sign `v` (a version no reader can see yet, changed in place where
  /// zone::ZoneVersion::apply_in_place can) within `scope` at `now` (unix
  /// seconds). The records changed are appended to `diff`; the result is
  /// the signed version. A failure (OpenSSL's) may leave `v` changed.
  /// Virtual so that tests can stand in such a failure.
  virtual Result<std::shared_ptr<zone::ZoneVersion>> sign(std::shared_ptr<zone::ZoneVersion> v, Scope scope,
                                                          int64_t now, zone::ZoneDiff& diff) const;

  /// The names of `v` holding an RRSIG that is due (within `refresh` of its
  /// expiration, or by a key no longer signing that RRset), the apex when
  /// its key RRsets are not those of `now`'s keys, and when the next of
  /// these comes due (a signature, or a key's time) if none is now.
  Scope refresh_scope(const zone::ZoneVersion& v, int64_t now, int64_t& next_due) const;

  /// The TTL the DNSKEY, CDS and CDNSKEY RRsets get in `v`.
  uint32_t dnskey_ttl(const zone::ZoneVersion& v) const;

  /// The keys signing at `now` (signing/rollover.h): the DNSKEY, CDS and
  /// CDNSKEY RRsets by every published KSK or CSK, the rest by every active
  /// ZSK or CSK, and in an algorithm rollover the keys of either algorithm
  /// whose signatures come before or outlast their publication.
  struct Signers {
    std::vector<const dnssec::ZoneKey*> keys, data;
  };
  Signers signers(int64_t now) const;

 private:
  struct Pass;
  // The apex DNSKEY, CDS, CDNSKEY and NSEC3PARAM RRsets for `now`, and
  // (whole-zone passes) the records of a denial chain the policy does not use.
  zone::ZoneDiff apex_changes(const zone::ZoneVersion& v, bool all, int64_t now) const;
  Result<std::shared_ptr<zone::ZoneVersion>> strip(std::shared_ptr<zone::ZoneVersion> v, const Scope& scope,
                                                   int64_t now, zone::ZoneDiff& diff) const;
  bool uses_nsec3(const zone::ZoneVersion& v) const;
  bool signs_keys(const dnssec::ZoneKey& k) const {
    return k.use ? *k.use != dnssec::KeyUse::data : !policy_.split_keys || k.is_ksk();
  }
  bool signs_data(const dnssec::ZoneKey& k) const {
    return k.use ? *k.use != dnssec::KeyUse::keys : !policy_.split_keys || !k.is_ksk();
  }

  dns::Name origin_;
  Policy policy_;
  std::vector<dnssec::ZoneKey> keys_;
};

}  // namespace namae::signing
