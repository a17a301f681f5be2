#include "validator/rfc5011.h"

#include <algorithm>
#include <fstream>

#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "dnssec/algorithm.h"
#include "dnssec/rrsig.h"
#include "validator/keys.h"

namespace namae::validator {

namespace {

constexpr uint16_t kFlagRevoke = 0x0080;  // RFC 5011 7
constexpr KeyState kStates[] = {KeyState::addpend, KeyState::valid, KeyState::missing, KeyState::revoked};

uint16_t flags_of(const dns::RdataBytes& key) { return key.size() >= 2 ? static_cast<uint16_t>(key[0] << 8 | key[1]) : 0; }

// The key as it was before revocation: revoking sets one flag bit only.
dns::RdataBytes unrevoked(dns::RdataBytes key) {
  if (key.size() >= 2) key[1] &= static_cast<uint8_t>(~kFlagRevoke);
  return key;
}

bool same_key(const dns::RdataBytes& a, const dns::RdataBytes& b) { return unrevoked(a) == unrevoked(b); }

TrackedKey* tracked(TrustPoint& tp, const dns::RdataBytes& key) {
  for (auto& t : tp.keys)
    if (same_key(t.dnskey, key)) return &t;
  return nullptr;
}

// RFC 5011 2.1: a revocation counts only when the revoked key signs the
// DNSKEY RRset itself.
bool self_signed(const dns::RRset& dnskey, const dns::RdataBytes& key, const std::vector<dns::RdataBytes>& rrsigs,
                 int64_t now) {
  KeySet only{dnskey.owner, Verdict::secure(), {key}};
  return verify_rrset(dnskey, rrsigs, only, static_cast<uint32_t>(now)).is_secure();
}

// A point still on its DS anchors: the keys they name are its Valid keys.
bool adopt_ds_keys(TrustPoint& tp, const dns::RRset& dnskey, int64_t now) {
  for (const auto& k : dnskey.rdata)
    if ((flags_of(k) & dnssec::kFlagSep) && !(flags_of(k) & kFlagRevoke) && !tracked(tp, k) &&
        std::any_of(tp.ds.begin(), tp.ds.end(), [&](const auto& d) { return key_matches_ds(tp.zone, k, d); }))
      tp.keys.push_back({k, KeyState::valid, now});
  if (tp.keys.empty()) return false;
  tp.ds.clear();
  return true;
}

// One SEP key of the set: new, confirmed after the hold-down, back, or revoked.
bool see(TrustPoint& tp, const dns::RRset& dnskey, const dns::RdataBytes& k,
         const std::vector<dns::RdataBytes>& rrsigs, int64_t now, const HoldDowns& hold) {
  TrackedKey* t = tracked(tp, k);
  if (flags_of(k) & kFlagRevoke) {
    if (!t || t->state == KeyState::revoked || !self_signed(dnskey, k, rrsigs, now)) return false;
    *t = {k, KeyState::revoked, now};
    return true;
  }
  if (!t) {
    tp.keys.push_back({k, KeyState::addpend, now});
    return true;
  }
  if ((t->state == KeyState::addpend && now - t->since >= hold.add) || t->state == KeyState::missing) {
    *t = {k, KeyState::valid, now};
    return true;
  }
  return false;
}

// The tracked keys the set no longer shows, and revoked keys past the
// remove hold-down.
bool age(TrustPoint& tp, const dns::RRset& dnskey, int64_t now, const HoldDowns& hold) {
  bool changed = false;
  for (auto it = tp.keys.begin(); it != tp.keys.end();) {
    bool present = std::any_of(dnskey.rdata.begin(), dnskey.rdata.end(),
                               [&](const auto& k) { return same_key(k, it->dnskey); });
    bool forget = (it->state == KeyState::revoked && now - it->since >= hold.remove) ||
                  (it->state == KeyState::addpend && !present);
    if (forget) {
      it = tp.keys.erase(it);
      changed = true;
      continue;
    }
    if (it->state == KeyState::valid && !present) {
      *it = {it->dnskey, KeyState::missing, now};
      changed = true;
    }
    ++it;
  }
  return changed;
}

// "; state=valid since=1700000000" on a record's line.
void read_state(const std::string& line, TrackedKey& key) {
  auto at = line.find("; state=");
  if (at == std::string::npos) return;
  std::string word = line.substr(at + 8, line.find_first_of(" \t", at + 8) - (at + 8));
  for (KeyState s : kStates)
    if (word == key_state_text(s)) key.state = s;
  if (auto since = line.find("since=", at); since != std::string::npos)
    key.since = std::strtoll(line.c_str() + since + 6, nullptr, 10);
}

}  // namespace

const char* key_state_text(KeyState s) {
  switch (s) {
    case KeyState::addpend: return "addpend";
    case KeyState::valid: return "valid";
    case KeyState::missing: return "missing";
    case KeyState::revoked: return "revoked";
  }
  return "?";
}

Anchor TrustPoint::anchor() const {
  Anchor a{zone, ds, {}};
  for (const auto& k : keys)
    if (k.state == KeyState::valid || k.state == KeyState::missing) a.dnskeys.push_back(k.dnskey);
  return a;
}

bool observe(TrustPoint& tp, const dns::RRset& dnskey, const std::vector<dns::RdataBytes>& rrsigs, int64_t now,
             const HoldDowns& hold) {
  bool changed = !tp.ds.empty() && adopt_ds_keys(tp, dnskey, now);
  for (const auto& k : dnskey.rdata)
    if (flags_of(k) & dnssec::kFlagSep) changed = see(tp, dnskey, k, rrsigs, now, hold) || changed;
  return age(tp, dnskey, now, hold) || changed;
}

RefreshTimes refresh_times(const dns::RRset& dnskey, const std::vector<dns::RdataBytes>& rrsigs, int64_t now,
                           uint32_t floor) {
  int64_t ttl = -1, expiry = -1;
  for (const auto& sig : rrsigs)
    if (auto f = dnssec::parse_rrsig(sig)) {
      int64_t left = std::max<int64_t>(0, int64_t{f->expiration} - now);
      ttl = ttl < 0 ? f->original_ttl : std::min<int64_t>(ttl, f->original_ttl);
      expiry = expiry < 0 ? left : std::min(expiry, left);
    }
  if (ttl < 0) ttl = dnskey.ttl;
  if (expiry < 0) expiry = 0;
  auto bound = [&](int64_t most, int64_t divisor) {
    int64_t t = std::min({most, ttl / divisor, expiry / divisor});
    return static_cast<uint32_t>(std::max<int64_t>(floor, t));
  };
  return {bound(15 * 86400, 2), bound(86400, 10)};
}

Result<std::vector<TrustPoint>> read_trust_points(const std::string& path) {
  std::vector<std::string> lines;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) lines.push_back(std::move(line));
  std::vector<TrustPoint> points;
  auto r = read_anchor_records(path, [&](const zonefile::Record& rec) {
    auto p = std::find_if(points.begin(), points.end(), [&](const auto& tp) { return tp.zone == rec.owner; });
    if (p == points.end()) p = points.insert(points.end(), TrustPoint{rec.owner, {}, {}});
    if (rec.type == dns::rrtype::DS) {
      p->ds.push_back(rec.rdata);
      return;
    }
    TrackedKey key{rec.rdata, KeyState::valid, 0};
    if (rec.line >= 1 && rec.line <= lines.size()) read_state(lines[rec.line - 1], key);
    p->keys.push_back(std::move(key));
  });
  if (!r) return r.error();
  return points;
}

std::string trust_points_text(const std::vector<TrustPoint>& points) {
  std::string out =
      "; Trust anchors kept by namaed (RFC 5011, [resolver] auto-trust-anchor): rewritten as keys change.\n";
  for (const auto& tp : points) {
    for (const auto& d : tp.ds)
      out += tp.zone.to_text() + " IN DS " + dns::rdata::to_text(dns::rrtype::DS, d) + "\n";
    for (const auto& k : tp.keys)
      out += tp.zone.to_text() + " IN DNSKEY " + dns::rdata::to_text(dns::rrtype::DNSKEY, k.dnskey) +
             " ; state=" + key_state_text(k.state) + " since=" + std::to_string(k.since) + "\n";
  }
  return out;
}

}  // namespace namae::validator
