// A signed zone's keys on disk and over time: the BIND K-files of its keys
// (dnssec/key_file.h) and the key state file `<zone>.keystate` beside them
// (signing/rollover.h's records: each key's role and times), in the
// policy's key directory. The first start makes the zone's first keys;
// rollovers add keys as the state machine asks. A new key's K-files are
// written (and fsynced) before the state file names it, and the state file
// is replaced durably (base/durable_file.h) before the signer that follows
// it is handed out, so a crash at any moment leaves either the old state
// (the new key files, unnamed, are ignored) or the new one, never a key
// served that the stored state does not know.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/result.h"
#include "dns/name.h"
#include "dnssec/key_file.h"
#include "signing/policy.h"
#include "signing/rollover.h"
#include "signing/zone_signer.h"

namespace namae::signing {

class ZoneKeyRing {
 public:
  /// The ring of `zone` in `policy.key_directory` (created 0700 if
  /// missing): its state file read, or, when there is none, every key file
  /// of the zone taken as published and active (keys made before
  /// rollovers existed); keys made for any role without one. Keys the
  /// state names of another algorithm or key split than the policy's are
  /// rolled to the policy's (signing/rollover.h) from the first tick with
  /// the served zone. A key file that
  /// cannot be used (readable by others, malformed, of another algorithm
  /// than the policy's when no state names it, missing though the state
  /// names it) or a malformed state file is an error naming the file.
  static Result<std::unique_ptr<ZoneKeyRing>> open(const dns::Name& zone, const Policy& policy, int64_t now);

  /// The signer for the keys as they are now (it follows the keys' times
  /// by itself; a new one comes when a key is added or its times change).
  std::shared_ptr<const ZoneSigner> signer() const;

  /// Run the rollover state machine once an event is due; `served` (may be
  /// null) gives the zone's DNSKEY TTL and largest TTL. True when the
  /// signer changed.
  Result<bool> tick(int64_t now, const zone::ZoneVersion* served);
  /// The operator reports the parent's DS for key `tag` (signing::ds_seen).
  Result<void> ds_seen(uint16_t tag, int64_t now, const zone::ZoneVersion* served);
  /// The parent has no DS for the zone any more (signing::ds_gone): an
  /// error unless the zone is going insecure.
  Result<void> ds_gone(int64_t now, const zone::ZoneVersion* served);

  /// What a parent DS check looks for at `now`: the DS set gone (going
  /// insecure, not yet reported), or the DS of one of `keys` (tag, DNSKEY
  /// RDATA; signing::keys_awaiting_ds). Nothing: no roll waits on the parent.
  struct DsWait {
    bool gone = false;
    std::vector<std::pair<uint16_t, dns::RdataBytes>> keys;
  };
  std::optional<DsWait> ds_wait(int64_t now) const;

  /// The DS records (SHA-256, RFC 4509) of the keys in the CDS set at
  /// `now`, one a line as `dnssec-dsfromkey -2` prints them (none when
  /// going insecure).
  std::string ds_records(int64_t now) const;
  /// One line per key (tag, role, algorithm, state, next change), then
  /// the next event.
  std::string status(int64_t now) const;

  /// A live reconfiguration's policy: its signature and rollover timing,
  /// algorithm (a change starts an algorithm rollover), key split (a
  /// change rolls every key to the new split) and going insecure or not
  /// take effect now, the next events computed anew; the key directory
  /// and denial stay the running ones (restart).
  Result<void> set_policy(const Policy& p, int64_t now);

  const std::string& state_path() const { return state_path_; }

 private:
  ZoneKeyRing(dns::Name zone, Policy policy);
  RollTiming timing(const zone::ZoneVersion* served) const;
  Result<void> make_key(KeyRole role, int64_t now, const RollTiming& t);
  Result<void> load_key(const KeyRecord& r);
  // Of `algorithm` and this zone, else the error naming its file.
  Result<void> usable(const dnssec::ZoneKey& k, uint8_t algorithm) const;
  // Whether any key has a role of the KSK + ZSK split.
  bool keys_split() const;
  KeyPlan plan() const { return {policy_.split_keys, policy_.algorithm, policy_.insecure || unsigning_.has_value()}; }
  // Going insecure as the policy says (or called off).
  void follow_insecure(int64_t now);
  Result<void> save_and_rebuild(int64_t now, const RollTiming& t);
  // Delete the files of keys removed purge-keys ago and forget them.
  Result<void> purge(int64_t now, const RollTiming& t);

  const dns::Name zone_;
  Policy policy_;  // validity and refresh change under mu_
  const std::string state_path_;
  mutable std::mutex mu_;
  std::vector<KeyRecord> records_;
  std::map<uint16_t, dnssec::ZoneKey> loaded_;  // by tag: the records' key files
  std::shared_ptr<const ZoneSigner> signer_;
  std::optional<int64_t> next_event_;
  std::optional<Unsigning> unsigning_;
};

}  // namespace namae::signing
