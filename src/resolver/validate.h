// Validation of a resolved answer (RFC 4035 5), the resolver's side of the
// validator: it fetches what the pure checks of src/validator need (DS and
// DNSKEY RRsets down from the closest trust anchor, each through the same
// iterator and cache as any question) and records the verdict on each
// cache entry, so the cache-hit path reads it without validating again.
//
// The chain walk follows Unbound's: from the deepest zone whose keys are
// known, one DS question per label towards the signer; a DS RRset leads to
// the child's DNSKEY RRset, a proven absence of DS either ends the chain
// (an unsigned delegation: insecure) or shows no cut at that label.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "base/clock.h"
#include "resolver/auto_anchors.h"
#include "resolver/cache.h"
#include "resolver/denial_cache.h"
#include "validator/anchors.h"
#include "validator/keys.h"

namespace namae::resolver {

struct Answer;

/// Validated keys by name (the KeySet that holds at that name), with
/// expiry; shared by all resolution threads.
class KeyCache {
 public:
  explicit KeyCache(const Clock& clock) : clock_(clock) {}
  std::shared_ptr<const validator::KeySet> find(const dns::Name& name) const;
  void store(const dns::Name& name, std::shared_ptr<const validator::KeySet> keys, uint32_t ttl);
  /// Forget the keys of `name` and the zones below it; returns how many.
  size_t flush(const dns::Name& name);

 private:
  struct Slot {
    dns::Name name;  // where the keys hold (a zone, or a name below one without a cut)
    std::shared_ptr<const validator::KeySet> keys;
    int64_t expires_ms = 0;
  };
  const Clock& clock_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Slot> map_;
};

/// RFC 7646 negative trust anchors: domains an operator declared broken,
/// whose answers are taken as insecure (no validation, no AD) until the
/// anchor expires or is removed.
class NegativeAnchors {
 public:
  explicit NegativeAnchors(const Clock& clock) : clock_(clock) {}
  void add(const dns::Name& name, uint32_t seconds);
  bool remove(const dns::Name& name);
  /// Whether `name` is at or below a live negative anchor.
  bool covers(const dns::Name& name) const;
  /// "NAME SECONDS-LEFT" lines.
  std::string list() const;

 private:
  const Clock& clock_;
  mutable std::mutex mu_;
  std::vector<std::pair<dns::Name, int64_t>> anchors_;  // name, expiry (ms)
};

/// What the validators of all questions share (the Resolver's).
struct ValidationContext {
  const validator::TrustAnchors& anchors;
  KeyCache& keys;
  const NegativeAnchors& negative;
  const Cache& cache;    // where referrals left their no-DS proofs (with the child's NS RRset)
  DenialCache* denial;   // RFC 8198: the NSEC records of secure proofs go here (null: off)
  AutoTrustAnchors* updates;  // RFC 5011: hears each trust point's validated DNSKEY RRset (null: off)
  const Clock& clock;
  uint32_t bogus_ttl;    // how long a bogus zone's keys are remembered
};

/// One question's validation. `fetch` resolves (name, type) without
/// validating (the iterator, on the question's budget); an Answer it
/// cannot get is a SERVFAIL carrying why in its EDE (22: no server
/// reachable).
class AnswerValidator {
 public:
  using Fetch = std::function<Answer(const dns::Name&, uint16_t)>;
  /// `note` (may be empty) hears each step, for `namae query +trace`.
  using Note = std::function<void(const dns::Name& name, uint16_t type, const validator::Verdict&)>;

  AnswerValidator(const ValidationContext& ctx, Fetch fetch, Note note = {})
      : ctx_(ctx), fetch_(std::move(fetch)), note_(std::move(note)) {}

  /// Judge every entry of `a` not judged yet (CNAME links, data, negative).
  /// When the DS or DNSKEY records an entry needs could not be fetched
  /// (RFC 4035 4.3's indeterminate, as far as this question goes), the
  /// verdict saying so: the answer is then a SERVFAIL, and the entry is
  /// left unjudged (not bogus for bogus_ttl), to be checked again.
  std::optional<validator::Verdict> validate(const Answer& a, uint16_t qtype);

 private:
  void judge_and_note(const CacheEntry& e, uint16_t qtype, const CacheEntry* prev);
  validator::Verdict judge(const CacheEntry& e, uint16_t qtype, const CacheEntry* prev);
  validator::Verdict judge_positive(const CacheEntry& e);
  validator::Verdict judge_negative(const CacheEntry& e, uint16_t qtype);
  validator::Verdict verified_proof(const CacheEntry& e, const validator::KeySet& ks,
                                    std::vector<dns::RRset>& out);
  void keep_denial(const validator::KeySet& ks, const CacheEntry& e, const std::vector<dns::RRset>& denial,
                   const std::vector<dns::RdataBytes>& soa_sigs);

  std::shared_ptr<const validator::KeySet> keys_for(const dns::Name& name);
  std::shared_ptr<const validator::KeySet> anchor_keys(const validator::Anchor& anchor);
  std::shared_ptr<const validator::KeySet> step_down(const validator::KeySet& above, const dns::Name& child);
  std::shared_ptr<const validator::KeySet> no_ds_from_referral(const validator::KeySet& above, const dns::Name& child);
  std::shared_ptr<const validator::KeySet> child_keys(const dns::Name& child, const CacheEntry& ds);
  std::shared_ptr<const validator::KeySet> remember(const dns::Name& at, validator::KeySet ks, uint32_t ttl);
  uint32_t now() const { return static_cast<uint32_t>(ctx_.clock.unix_time()); }  // RRSIG times are wall-clock

  const ValidationContext& ctx_;
  Fetch fetch_;
  Note note_;
  std::optional<validator::Verdict> unanswered_;  // the first fetch that failed
};

}  // namespace namae::resolver
