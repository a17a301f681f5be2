#include "signing/keys.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/durable_file.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "dns/text.h"
#include "dnssec/dnskey.h"

namespace namae::signing {
namespace {

Result<void> ensure_directory(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return fail("key-directory " + dir + ": not a directory");
    return {};
  }
  // Only namaed's user may list or read the private keys.
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return fail("key-directory " + dir + ": " + std::strerror(errno));
  return {};
}

std::string state_file(const std::string& dir, const dns::Name& zone) {
  std::string name = zone.lower().to_text();
  if (!name.empty() && name.back() == '.') name.pop_back();
  return dir + "/" + (name.empty() ? "root" : name) + ".keystate";
}

// A key file's own times as a record (a key made before the state file
// existed, or by BIND): published and active from when they say.
KeyRecord adopted(const dnssec::ZoneKey& k, bool split_keys, int64_t now) {
  KeyRecord r;
  r.tag = k.tag;
  r.algorithm = k.key.algorithm();
  r.role = !k.is_ksk() ? KeyRole::zsk : split_keys ? KeyRole::ksk : KeyRole::csk;
  r.created = k.timing.created.value_or(now);
  r.published = k.timing.publish ? k.timing.publish : k.timing.activate ? k.timing.activate : r.created;
  r.active = k.timing.activate ? k.timing.activate : r.published;
  r.retired = k.timing.inactive;
  r.removed = k.timing.remove;
  return r;
}

Result<std::optional<std::string>> read_if_exists(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::optional<std::string>{};
    return fail(path + ": " + std::strerror(errno));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return std::optional<std::string>{ss.str()};
}

}  // namespace

ZoneKeyRing::ZoneKeyRing(dns::Name zone, Policy policy)
    : zone_(std::move(zone)), policy_(std::move(policy)), state_path_(state_file(policy_.key_directory, zone_)) {}

Result<std::unique_ptr<ZoneKeyRing>> ZoneKeyRing::open(const dns::Name& zone, const Policy& p, int64_t now) {
  if (!dnssec::can_sign(p.algorithm)) return fail("algorithm " + std::to_string(p.algorithm) + " cannot sign");
  if (auto d = ensure_directory(p.key_directory); !d) return d.error();
  std::unique_ptr<ZoneKeyRing> ring(new ZoneKeyRing(zone, p));
  auto text = read_if_exists(ring->state_path_);
  if (!text) return text.error();
  if (*text) {
    auto records = parse_key_state(**text, &ring->unsigning_);
    if (!records) return fail(ring->state_path_ + ": " + records.message());
    ring->records_ = std::move(*records);
    for (const auto& r : ring->records_)
      if (!r.is_gone(now))
        if (auto l = ring->load_key(r); !l) return l.error();
  } else {
    auto keys = dnssec::read_key_dir(p.key_directory, zone);
    if (!keys) return keys.error();
    for (auto& k : *keys) {
      // Going insecure takes the keys there are, of any algorithm.
      if (auto u = ring->usable(k, p.insecure ? k.key.algorithm() : p.algorithm); !u) return u.error();
      ring->records_.push_back(adopted(k, p.split_keys, now));
      ring->loaded_.insert_or_assign(k.tag, std::move(k));
    }
  }
  // Only the roles without any key get one now; rollovers, an algorithm
  // rollover or a change of key split too, wait for the zone's TTLs (tick).
  // The "insecure" policy names no key split: the keys' own.
  if (p.insecure) ring->policy_.split_keys = ring->keys_split();
  ring->follow_insecure(now);
  const RollTiming t = ring->timing(nullptr);
  if (!rolls_key_set(ring->records_, ring->plan(), now) && !ring->plan().insecure)
    for (KeyRole role : roles_of(p.split_keys))
      if (std::none_of(ring->records_.begin(), ring->records_.end(),
                       [&](const KeyRecord& r) { return r.role == role && !r.is_removed(now); }))
        if (auto k = ring->make_key(role, now, t); !k) return k.error();
  if (auto s = ring->save_and_rebuild(now, t); !s) return s.error();
  return ring;
}

RollTiming ZoneKeyRing::timing(const zone::ZoneVersion* served) const {
  RollTiming t;
  t.ksk_lifetime = policy_.ksk_lifetime;
  t.zsk_lifetime = policy_.zsk_lifetime;
  t.propagation_delay = policy_.propagation_delay;
  t.parent_ds_ttl = policy_.parent_ds_ttl;
  t.parent_propagation_delay = policy_.parent_propagation_delay;
  t.purge_keys = policy_.purge_keys;
  if (served && signer_) {
    t.dnskey_ttl = signer_->dnskey_ttl(*served);
    t.max_zone_ttl = largest_ttl(*served);
  } else if (policy_.dnskey_ttl) {
    t.dnskey_ttl = policy_.dnskey_ttl;
  }
  return t;
}

Result<void> ZoneKeyRing::load_key(const KeyRecord& r) {
  const std::string base = policy_.key_directory + "/" + dnssec::key_file_base(zone_, r.algorithm, r.tag);
  auto k = dnssec::read_key_files(base);
  if (!k) return fail(k.message() + " (a key " + state_path_ + " names)");
  // A key of another algorithm than the policy's is one an algorithm
  // rollover is leaving.
  if (auto u = usable(*k, r.algorithm); !u) return u.error();
  if (k->is_ksk() != (r.role != KeyRole::zsk))
    return fail(base + ".key: the flags do not fit its role " + std::string(role_name(r.role)) + " in " + state_path_);
  loaded_.insert_or_assign(r.tag, std::move(*k));
  return {};
}

Result<void> ZoneKeyRing::usable(const dnssec::ZoneKey& k, uint8_t algorithm) const {
  const std::string base = policy_.key_directory + "/" + dnssec::key_file_base(k.zone, k.key.algorithm(), k.tag);
  if (k.key.algorithm() != algorithm)
    return fail(base + ".private: algorithm " + std::to_string(k.key.algorithm()) + ", but the zone is signed with " +
                std::to_string(algorithm));
  if (!(k.zone == zone_)) return fail(base + ".key: the key belongs to " + k.zone.to_text());
  return {};
}

Result<void> ZoneKeyRing::make_key(KeyRole role, int64_t now, const RollTiming& t) {
  const uint16_t flags = role == KeyRole::zsk ? dnssec::kFlagsZsk : dnssec::kFlagsKsk;
  std::string why;
  // A tag already in the ring (or left on disk by a crash) is drawn again.
  for (int attempt = 0; attempt < 4; ++attempt) {
    auto k = dnssec::generate_zone_key(zone_, policy_.algorithm, flags, now);
    if (!k) return k.error();
    const uint16_t tag = k->tag;
    if (loaded_.count(tag) ||
        std::any_of(records_.begin(), records_.end(), [&](const KeyRecord& r) { return r.tag == tag; }))
      continue;
    if (auto w = dnssec::write_key_files(policy_.key_directory, *k, t.dnskey_ttl); !w) {
      why = w.message();
      continue;
    }
    KeyRecord r;
    r.tag = tag;
    r.algorithm = policy_.algorithm;
    r.role = role;
    add_key(records_, r, t, now);
    loaded_.insert_or_assign(tag, std::move(*k));
    return {};
  }
  return fail("key-directory " + policy_.key_directory + ": cannot make a new key" + (why.empty() ? "" : ": " + why));
}

// The state first (durably), then the signer that follows it.
Result<void> ZoneKeyRing::save_and_rebuild(int64_t now, const RollTiming& t) {
  if (auto w = write_file_durably(state_path_, format_key_state(records_, unsigning_), 0600); !w) return w.error();
  std::vector<dnssec::ZoneKey> keys;
  for (const auto& r : records_) {
    auto it = loaded_.find(r.tag);
    if (r.is_gone(now) || it == loaded_.end()) continue;
    dnssec::ZoneKey k = it->second;
    k.timing = {r.created, r.published, r.active, r.retired, r.removed, r.sign_from, r.sign_until};
    k.use = r.role == KeyRole::ksk   ? dnssec::KeyUse::keys
            : r.role == KeyRole::zsk ? dnssec::KeyUse::data
                                     : dnssec::KeyUse::both;
    keys.push_back(std::move(k));
  }
  Policy p = policy_;
  p.delete_cds_from = unsigning_ ? std::optional<int64_t>(unsigning_->since) : std::nullopt;
  p.unsigned_from = unsigning_ ? unsigning_->unsigned_from : std::nullopt;
  signer_ = std::make_shared<const ZoneSigner>(zone_, std::move(p), std::move(keys));
  next_event_ = next_event(records_, plan(), t, now, unsigning_);
  return {};
}

std::shared_ptr<const ZoneSigner> ZoneKeyRing::signer() const {
  std::lock_guard lk(mu_);
  return signer_;
}

Result<bool> ZoneKeyRing::tick(int64_t now, const zone::ZoneVersion* served) {
  std::lock_guard lk(mu_);
  if (!next_event_ || now < *next_event_) return false;
  const RollTiming t = timing(served);
  // A zone signing again once its unsigning went through gets new keys.
  const bool resumed = !policy_.insecure && stop_going_insecure(unsigning_, now);
  const auto needed = keys_needed(records_, plan(), t, now);
  // An algorithm rollover's or a change of key split's first step waits
  // for the served zone's TTLs.
  if (!needed.empty() && !served && rolls_key_set(records_, plan(), now)) return false;
  for (KeyRole role : needed)
    if (auto k = make_key(role, now, t); !k) {
      next_event_ = now + 60;  // try again in a minute, not every second
      return k.error();
    }
  if (auto p = purge(now, t); !p) return p.error();
  if (needed.empty() && !resumed) {
    // Only a key's time passed: the signer follows times by itself.
    next_event_ = next_event(records_, plan(), t, now, unsigning_);
    return false;
  }
  if (auto s = save_and_rebuild(now, t); !s) return s.error();
  return true;
}

// The state without the purged keys first (durably), then their files: a
// crash in between leaves files no state names, which are ignored.
Result<void> ZoneKeyRing::purge(int64_t now, const RollTiming& t) {
  auto before = records_;
  auto purged = take_purged(records_, t, now);
  if (purged.empty()) return {};
  if (auto s = save_and_rebuild(now, t); !s) {
    records_ = std::move(before);
    next_event_ = now + 60;
    return s.error();
  }
  for (const auto& r : purged) {
    const std::string base = policy_.key_directory + "/" + dnssec::key_file_base(zone_, r.algorithm, r.tag);
    for (const char* ext : {".key", ".private", ".state"})
      if (::unlink((base + ext).c_str()) != 0 && errno != ENOENT)
        return fail(base + ext + ": " + std::strerror(errno));
    loaded_.erase(r.tag);
  }
  return {};
}

Result<void> ZoneKeyRing::ds_seen(uint16_t tag, int64_t now, const zone::ZoneVersion* served) {
  std::lock_guard lk(mu_);
  const RollTiming t = timing(served);
  auto before = records_;
  if (auto r = signing::ds_seen(records_, tag, t, now); !r) return r;
  if (auto s = save_and_rebuild(now, t); !s) {
    records_ = std::move(before);
    return s;
  }
  return {};
}

Result<void> ZoneKeyRing::ds_gone(int64_t now, const zone::ZoneVersion* served) {
  std::lock_guard lk(mu_);
  if (!unsigning_) return fail("zone " + zone_.to_text() + " is not going insecure (dnssec-policy = \"insecure\")");
  const RollTiming t = timing(served);
  auto before = records_;
  auto was = unsigning_;
  if (auto r = signing::ds_gone(records_, *unsigning_, t, now); !r) return r;
  if (auto s = save_and_rebuild(now, t); !s) {
    records_ = std::move(before);
    unsigning_ = std::move(was);
    return s;
  }
  return {};
}

void ZoneKeyRing::follow_insecure(int64_t now) {
  if (policy_.insecure) go_insecure(records_, unsigning_, now);
  else stop_going_insecure(unsigning_, now);
}

bool ZoneKeyRing::keys_split() const {
  return std::any_of(records_.begin(), records_.end(), [](const KeyRecord& r) { return r.role != KeyRole::csk; });
}

Result<void> ZoneKeyRing::set_policy(const Policy& p, int64_t now) {
  std::lock_guard lk(mu_);
  Policy next = p;
  next.key_directory = policy_.key_directory;
  next.nsec3 = policy_.nsec3;
  // Another split rolls the keys at the next tick, as another algorithm
  // does; "insecure" names none and keeps the running one.
  if (p.insecure) next.split_keys = policy_.split_keys;
  policy_ = std::move(next);
  follow_insecure(now);
  if (auto s = save_and_rebuild(now, timing(nullptr)); !s) return s;
  next_event_ = now;  // the next tick computes the events with the served zone's TTLs
  return {};
}

std::optional<ZoneKeyRing::DsWait> ZoneKeyRing::ds_wait(int64_t now) const {
  std::lock_guard lk(mu_);
  DsWait w;
  if (unsigning_) {
    if (unsigning_->ds_gone) return std::nullopt;
    w.gone = true;
    return w;
  }
  for (uint16_t tag : keys_awaiting_ds(records_, now))
    if (auto it = loaded_.find(tag); it != loaded_.end()) w.keys.emplace_back(tag, it->second.dnskey);
  if (w.keys.empty()) return std::nullopt;
  return w;
}

std::string ZoneKeyRing::ds_records(int64_t now) const {
  std::lock_guard lk(mu_);
  std::string out;
  if (unsigning_) return out;  // the CDS set asks the parent to remove the DS
  for (const auto& r : records_) {
    auto it = loaded_.find(r.tag);
    if (!r.signs_keys() || !r.is_active(now) || it == loaded_.end()) continue;
    auto ds = dnssec::ds_rdata(zone_, it->second.dnskey, 2);
    if (ds) out += zone_.to_text() + " IN DS " + dns::rdata::to_text(dns::rrtype::DS, *ds) + "\n";
  }
  return out;
}

std::string ZoneKeyRing::status(int64_t now) const {
  std::lock_guard lk(mu_);
  std::string out;
  for (const auto& r : records_)
    out += "key " + std::to_string(r.tag) + " " + std::string(role_name(r.role)) + " algorithm " +
           std::to_string(r.algorithm) + ": " + key_status(r, now) + "\n";
  if (unsigning_) {
    out += "going insecure since " + std::to_string(unsigning_->since) + ": ";
    if (unsigning_->is_unsigned(now)) out += "unsigned since " + std::to_string(*unsigning_->unsigned_from) + "\n";
    else if (unsigning_->ds_gone)
      out += "parent DS gone at " + std::to_string(*unsigning_->ds_gone) + ", unsigned at " +
             std::to_string(*unsigning_->unsigned_from) + "\n";
    else out += "CDS/CDNSKEY delete published, waiting for the parent's DS to go (ds-gone)\n";
  }
  out += "next event: " + (next_event_ ? std::to_string(*next_event_) : std::string("none")) + "\n";
  return out;
}

}  // namespace namae::signing
