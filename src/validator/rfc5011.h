// RFC 5011 automated updates of DNSSEC trust anchors: for each trust point,
// the state of each key-signing key (RFC 5011 4), moved by what a DNSKEY
// RRset already validated by a key the point trusts shows, at a given time.
// Pure: the caller fetches and validates the RRset, keeps the time and
// persists the states (read_trust_points / trust_points_text: the
// trust-anchor file, with each key's state in a comment on its line).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/result.h"
#include "dns/name.h"
#include "dns/record.h"
#include "validator/anchors.h"

namespace namae::validator {

/// RFC 5011 4 states a tracked key can be in (Start and Removed are "not tracked").
enum class KeyState : uint8_t { addpend, valid, missing, revoked };
const char* key_state_text(KeyState s);

struct TrackedKey {
  dns::RdataBytes dnskey;  // as last seen (with the REVOKE bit once revoked)
  KeyState state = KeyState::valid;
  int64_t since = 0;       // unix seconds: when it entered the state
};

/// One trust point: its zone, the DS anchors it started from (until its
/// keys are tracked) and the keys tracked.
struct TrustPoint {
  dns::Name zone;
  std::vector<dns::RdataBytes> ds;
  std::vector<TrackedKey> keys;
  /// The anchor it gives now: its DS and the Valid and Missing keys
  /// (RFC 5011 4: a Missing key is still trusted; AddPend and Revoked are not).
  Anchor anchor() const;
};

/// RFC 5011 2.4.1 and 6: 30 days each by default; tests shorten them.
struct HoldDowns {
  uint32_t add = 30 * 86400;
  uint32_t remove = 30 * 86400;
  /// RFC 5011 2.3's hour, the least time between two queries of a trust
  /// point; shorter only with hold-downs under an hour (tests, as Unbound's
  /// permit-small-holddown).
  uint32_t refresh_floor = 3600;
};

/// RFC 5011 2.3: when to ask a trust point for its DNSKEY RRset again,
/// in seconds. From an RRset just validated: queryInterval = MAX(1 hour,
/// MIN(15 days, 1/2 OrigTTL, 1/2 the expiration interval)); after a query
/// that failed, retryTime = MAX(1 hour, MIN(1 day, 1/10 OrigTTL, 1/10 the
/// expiration interval)). OrigTTL is the RRSIGs' original TTL, the
/// expiration interval the time from `now` (unix seconds) until the first
/// of them expires; the hour is `floor`.
struct RefreshTimes {
  uint32_t query_interval = 3600;
  uint32_t retry_time = 3600;
};
RefreshTimes refresh_times(const dns::RRset& dnskey, const std::vector<dns::RdataBytes>& rrsigs, int64_t now,
                           uint32_t floor);

/// RFC 5011 2.4.1 and 4: `dnskey` is `tp.zone`'s DNSKEY RRset with
/// `rrsigs`, validated by a key `tp` trusts, seen at `now`. A new SEP key
/// goes AddPend, and Valid once seen again after the add hold-down; a key
/// gone from the set goes Missing (AddPend: forgotten); a key with the
/// REVOKE bit that signs the set itself goes Revoked (no longer trusted),
/// and is forgotten after the remove hold-down. A point still on DS
/// anchors tracks the keys those match as Valid. True when anything changed.
bool observe(TrustPoint& tp, const dns::RRset& dnskey, const std::vector<dns::RdataBytes>& rrsigs, int64_t now,
             const HoldDowns& hold);

/// The trust points of a trust-anchor file: DS and DNSKEY records, a
/// DNSKEY's state read from a "; state=NAME since=UNIX" comment on its
/// line (none: a Valid anchor the operator gave).
Result<std::vector<TrustPoint>> read_trust_points(const std::string& path);
/// The file text for `points`, one record a line with its state.
std::string trust_points_text(const std::vector<TrustPoint>& points);

}  // namespace namae::validator
