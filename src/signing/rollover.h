// Key rollovers of a zone namaed signs, as a pure state machine over the
// zone's key records (no I/O, no clock: the time is passed in, so unit
// tests run whole rollovers on fake time).
//
// Each key's record holds the times it enters and leaves each use:
//   published  in the DNSKEY RRset from then on; a KSK or CSK signs the
//              DNSKEY, CDS and CDNSKEY RRsets while it is published;
//   active     a ZSK or CSK signs the zone's data from then on; a KSK or
//              CSK is in the CDS/CDNSKEY RRsets (RFC 7344, RFC 8078): the
//              parent's DS should point to it;
//   retired    the end of the active period;
//   removed    out of the DNSKEY RRset.
//
// Timing follows RFC 7583 (Ipub = DNSKEY TTL + propagation delay, Iret =
// the zone's largest TTL + propagation delay, no signing delay: a pass
// re-signs the zone at once):
// - ZSK pre-publication (RFC 6781 4.1.1.1, RFC 7583 3.2.1): the successor is
//   published Ipub before the predecessor's lifetime ends and becomes active
//   when it ends; the predecessor, retired then, is removed Iret later, once
//   no cache can hold a signature by it.
// - KSK and CSK (RFC 7583 3.3.2 double-KSK with the DS change driven by
//   CDS): the successor is published, signing the DNSKEY RRset at once, and
//   becomes active (the CDS/CDNSKEY RRsets name it instead of the
//   predecessor) Ipub later. The predecessor keeps signing the DNSKEY RRset
//   until the operator reports the parent's new DS (ds_seen, as Knot's
//   zone-ksk-submitted), then is removed once the parent's old DS set has
//   left every cache (parent DS TTL + parent propagation delay; for a CSK
//   also Iret after it stopped signing data). While both sign, a resolver
//   holding either DS set validates.
// - Algorithm (RFC 6781 4.1.4, its conservative order, as BIND and Knot
//   roll): when the policy's algorithm is not the keys', keys of the new
//   algorithm for every role sign the whole zone at once but are published
//   only Iret later, when every cached RRset carries their signatures
//   (RFC 4035 2.2: an RRSIG for each algorithm of the DNSKEY RRset); the new
//   KSK or CSK enters the CDS set Ipub after that, the old one leaving it.
//   On the operator's ds_seen the old keys leave the DNSKEY RRset once the
//   old DS left every cache (parent DS TTL + parent propagation delay), and
//   their signatures go Ipub after that, when no cache holds a DNSKEY RRset
//   with the old algorithm.
// - Key split (csk <-> ksk-zsk, as BIND rolls a policy's new key set): the
//   keys of the policy's split are made as successors of the other split's
//   keys, each job rolled as above: every new key is published at once
//   (a new KSK or CSK signing the DNSKEY RRset from then on) and takes over
//   Ipub later, when the old keys retire (the CDS set names the new KSK or
//   CSK; the new ZSK or CSK signs the data). An old ZSK leaves Iret after,
//   an old KSK or CSK once the new DS was seen, as in a KSK or CSK roll.
//   With the algorithm changed too, the algorithm rollover rolls every key.
// - Going insecure (RFC 8078 4, as BIND's dnssec-policy "insecure"): the
//   CDS and CDNSKEY RRsets become the "delete" records at once, and no key
//   rolls any more; the zone stays signed until the parent's DS is gone
//   (the operator's ds-gone, or the parental agents' empty DS set) and the
//   old DS set has left every cache (parent DS TTL + parent propagation
//   delay). Then every DNSSEC record leaves the zone at once: with no DS a
//   resolver takes the zone as insecure and needs none of them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace namae::signing {

enum class KeyRole : uint8_t { ksk, zsk, csk };

std::string_view role_name(KeyRole r);

struct KeyRecord {
  uint16_t tag = 0;
  uint8_t algorithm = 0;
  KeyRole role = KeyRole::csk;
  int64_t created = 0;
  std::optional<int64_t> published, active, retired, removed;
  std::optional<int64_t> ds_seen;  // the operator reported the parent's DS for it
  // Algorithm rollover: signing before published, or after removed.
  std::optional<int64_t> sign_from, sign_until;

  bool signs_keys() const { return role != KeyRole::zsk; }    // SEP: DNSKEY, CDS, CDNSKEY
  bool signs_data() const { return role != KeyRole::ksk; }
  bool is_removed(int64_t now) const { return removed && *removed <= now; }
  /// Out of the DNSKEY RRset and no signature by it left.
  bool is_gone(int64_t now) const { return is_removed(now) && !(sign_until && *sign_until > now); }
  bool is_published(int64_t now) const { return published && *published <= now && !is_removed(now); }
  bool is_active(int64_t now) const { return active && *active <= now && !(retired && *retired <= now); }
};

/// Going insecure: the zone-wide part of the state (header).
struct Unsigning {
  int64_t since = 0;                     // the CDS/CDNSKEY "delete" records from then on
  std::optional<int64_t> ds_gone;        // the parent was seen without a DS for the zone
  std::optional<int64_t> unsigned_from;  // every DNSSEC record leaves the zone then

  bool is_unsigned(int64_t now) const { return unsigned_from && *unsigned_from <= now; }
};

/// What the timing depends on: the policy's and the zone's (seconds).
struct RollTiming {
  uint32_t ksk_lifetime = 0;  // 0: never rolled (for a CSK too)
  uint32_t zsk_lifetime = 0;
  uint32_t dnskey_ttl = 3600;
  uint32_t max_zone_ttl = 86400;  // the largest TTL in the zone
  uint32_t propagation_delay = 3600;
  uint32_t parent_ds_ttl = 86400;
  uint32_t parent_propagation_delay = 3600;
  uint32_t purge_keys = 90 * 86400;  // a gone key's files are deleted this long after (0: kept)

  int64_t publish_interval() const { return int64_t{dnskey_ttl} + propagation_delay; }        // Ipub
  int64_t retire_interval() const { return int64_t{max_zone_ttl} + propagation_delay; }       // Iret
  int64_t parent_interval() const { return int64_t{parent_ds_ttl} + parent_propagation_delay; }
};

/// The roles a zone's keys take: a CSK, or a KSK and a ZSK.
std::vector<KeyRole> roles_of(bool split_keys);

/// What the policy wants of the keys: their split and algorithm.
struct KeyPlan {
  bool split_keys = false;
  uint8_t algorithm = 0;
  bool insecure = false;  // going insecure: no key is made or rolled
};

/// The roles that need a new key of the plan's algorithm at `now`: none
/// yet (the zone's first keys, or an algorithm rollover), or the only key's
/// lifetime ends within Ipub and no rollover of that role is under way.
std::vector<KeyRole> keys_needed(const std::vector<KeyRecord>& keys, const KeyPlan& plan, const RollTiming& t,
                                 int64_t now);

/// Whether keys of another algorithm than `algorithm` are still published:
/// new keys of `algorithm` then start an algorithm rollover.
bool rolls_algorithm(const std::vector<KeyRecord>& keys, uint8_t algorithm, int64_t now);

/// Whether the ring holds keys the plan rolls away from (another
/// algorithm, or a role of the other key split): the plan's new keys then
/// wait for the served zone's TTLs.
bool rolls_key_set(const std::vector<KeyRecord>& keys, const KeyPlan& plan, int64_t now);

/// Take a key made at `now` for `fresh.role` into the ring: the zone's first
/// of that role is published and active at once; one of a new algorithm
/// starts an algorithm rollover; else it succeeds the current one of its
/// role and algorithm, or the keys of the other key split doing its jobs
/// (times set as the header says).
void add_key(std::vector<KeyRecord>& keys, KeyRecord fresh, const RollTiming& t, int64_t now);

/// The operator saw the parent's DS for key `tag` at `now`: the KSKs or
/// CSKs it replaced, or in an algorithm rollover every key of the old
/// algorithm, get their removal time. An error when no active KSK or CSK
/// has that tag.
Result<void> ds_seen(std::vector<KeyRecord>& keys, uint16_t tag, const RollTiming& t, int64_t now);

/// The KSKs or CSKs whose DS at the parent would move a roll on at `now`
/// (what a parent DS check looks for): in the CDS set, not reported seen,
/// while another KSK or CSK, retired, waits for it to be.
std::vector<uint16_t> keys_awaiting_ds(const std::vector<KeyRecord>& keys, int64_t now);

/// The policy asks to go insecure at `now`: the CDS/CDNSKEY "delete"
/// records from now on (kept as they are when already going insecure). A
/// zone without a key left has nothing to unsign: unsigned at once.
void go_insecure(const std::vector<KeyRecord>& keys, std::optional<Unsigning>& u, int64_t now);

/// The policy signs again: going insecure is called off while the parent's
/// DS was not seen gone, or once the zone is unsigned (new keys are then
/// made, as a zone's first). True when it was called off.
bool stop_going_insecure(std::optional<Unsigning>& u, int64_t now);

/// The parent has no DS for the zone at `now` (RFC 8078 4): every key
/// leaves, and with them every DNSSEC record, once the old DS set has left
/// every cache. An error when the zone is not going insecure.
Result<void> ds_gone(std::vector<KeyRecord>& keys, Unsigning& u, const RollTiming& t, int64_t now);

/// The next time after `now` anything changes by itself (a key's time, a
/// lifetime ending), or `now` when a roll is due already; nullopt:
/// nothing is scheduled.
std::optional<int64_t> next_event(const std::vector<KeyRecord>& keys, const KeyPlan& plan, const RollTiming& t,
                                  int64_t now, const std::optional<Unsigning>& u = std::nullopt);

/// When a removed key's files are deleted (BIND's purge-keys): `purge_keys`
/// after it is gone (out of the DNSKEY RRset, no signature by it left);
/// nullopt while it is not removed, or when purge_keys is 0.
std::optional<int64_t> purge_time(const KeyRecord& k, const RollTiming& t);

/// Take the keys whose purge time has come out of `keys`; they are returned.
std::vector<KeyRecord> take_purged(std::vector<KeyRecord>& keys, const RollTiming& t, int64_t now);

/// What a key waits for at `now`, for `namae ctl dnssec status`.
std::string key_status(const KeyRecord& k, int64_t now);

/// The key state file: a comment header, a line when going insecure:
///   insecure since T ds-gone T|- unsigned T|-
/// then one line per key:
///   key TAG ALG ROLE created T published T|- active T|- retired T|- removed T|- ds-seen T|-
///       sign-from T|- sign-until T|-
/// (unix seconds, on one line; the last two may be missing, as namaed wrote
/// them before algorithm rollovers). parse_key_state rejects anything else,
/// naming the line.
std::string format_key_state(const std::vector<KeyRecord>& keys, const std::optional<Unsigning>& u = std::nullopt);
Result<std::vector<KeyRecord>> parse_key_state(std::string_view text, std::optional<Unsigning>* u = nullptr);

}  // namespace namae::signing
