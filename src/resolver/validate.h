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
#include <string>
#include <unordered_map>

#include "base/clock.h"
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

 private:
  struct Slot {
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

/// One question's validation. `fetch` resolves (name, type) without
/// validating (the iterator, on the question's budget).
class AnswerValidator {
 public:
  using Fetch = std::function<Answer(const dns::Name&, uint16_t)>;
  /// `note` (may be empty) hears each step, for `namae query +trace`.
  using Note = std::function<void(const dns::Name& name, uint16_t type, const validator::Verdict&)>;

  /// `denial` (may be null: RFC 8198 off) keeps the NSEC records of
  /// every proof found secure.
  AnswerValidator(const validator::TrustAnchors& anchors, KeyCache& keys, const Clock& clock,
                  const NegativeAnchors& negative, uint32_t bogus_ttl, DenialCache* denial, Fetch fetch,
                  Note note = {})
      : anchors_(anchors), keys_(keys), clock_(clock), negative_(negative), bogus_ttl_(bogus_ttl),
        denial_(denial), fetch_(std::move(fetch)), note_(std::move(note)) {}

  /// Judge every entry of `a` not judged yet (CNAME links, data, negative).
  void validate(const Answer& a, uint16_t qtype);

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
  std::shared_ptr<const validator::KeySet> child_keys(const dns::Name& child, const CacheEntry& ds);
  std::shared_ptr<const validator::KeySet> remember(const dns::Name& at, validator::KeySet ks, uint32_t ttl);
  uint32_t now() const { return static_cast<uint32_t>(clock_.unix_time()); }  // RRSIG times are wall-clock

  const validator::TrustAnchors& anchors_;
  KeyCache& keys_;
  const Clock& clock_;
  const NegativeAnchors& negative_;
  uint32_t bogus_ttl_;
  DenialCache* denial_;
  Fetch fetch_;
  Note note_;
};

}  // namespace namae::resolver
