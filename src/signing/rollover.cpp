#include "signing/rollover.h"

#include <algorithm>
#include <charconv>
#include <iterator>

namespace namae::signing {
namespace {

uint32_t lifetime_of(KeyRole r, const RollTiming& t) { return r == KeyRole::zsk ? t.zsk_lifetime : t.ksk_lifetime; }

// The keys of `role` and `algorithm` not removed by `now` (const or not,
// as the ring is).
template <typename Ring>
auto live_keys(Ring& keys, KeyRole role, uint8_t algorithm, int64_t now) {
  std::vector<decltype(&keys.front())> out;
  for (auto& k : keys)
    if (k.role == role && k.algorithm == algorithm && !k.is_removed(now)) out.push_back(&k);
  return out;
}

// RFC 6781 4.1.4 "new RRSIGs": a key of the new algorithm signs at once and
// is published once no cache holds an RRset without its signature; a KSK
// or CSK enters the CDS set Ipub later, taking the old ones' place there.
void introduce_algorithm(std::vector<KeyRecord>& keys, KeyRecord& fresh, const RollTiming& t, int64_t now) {
  fresh.sign_from = now;
  fresh.published = now + t.retire_interval();
  fresh.active = fresh.signs_keys() ? *fresh.published + t.publish_interval() : now;
  if (!fresh.signs_keys()) return;
  for (auto& old : keys)
    if (old.algorithm != fresh.algorithm && old.signs_keys() && !old.is_removed(now) && !old.retired)
      old.retired = fresh.active;
}

// RFC 6781 4.1.4 "DNSKEY removal" and "RRSIGs removal": once the parent's
// old DS has left every cache, and the DNSKEY RRset naming the old
// algorithm after it.
void retire_algorithm(KeyRecord& old, const RollTiming& t, int64_t now) {
  old.removed = now + t.parent_interval();
  old.sign_until = *old.removed + t.publish_interval();
  if (!old.retired || *old.retired > *old.sign_until) old.retired = old.sign_until;
}

// A change of key split (csk <-> ksk-zsk, rolled as BIND rolls it): the
// keys of the fresh key's algorithm in the other split that do one of its
// jobs (the DNSKEY RRset, or the data) and have not handed it over yet.
std::vector<KeyRecord*> split_predecessors(std::vector<KeyRecord>& keys, const KeyRecord& fresh, int64_t now) {
  std::vector<KeyRecord*> out;
  for (auto& k : keys)
    if (k.algorithm == fresh.algorithm && (k.role == KeyRole::csk) != (fresh.role == KeyRole::csk) &&
        !k.is_removed(now) && !(k.retired && *k.retired <= now) &&
        ((k.signs_keys() && fresh.signs_keys()) || (k.signs_data() && fresh.signs_data())))
      out.push_back(&k);
  return out;
}

// When the only key of a role should hand over to a successor: its
// lifetime from activation, less the successor's pre-publication.
std::optional<int64_t> roll_time(const KeyRecord& k, const RollTiming& t) {
  const uint32_t life = lifetime_of(k.role, t);
  if (life == 0 || !k.active || k.retired) return std::nullopt;
  return *k.active + life - t.publish_interval();
}

std::string time_text(std::optional<int64_t> t) { return t ? std::to_string(*t) : "-"; }

}  // namespace

std::string_view role_name(KeyRole r) {
  switch (r) {
    case KeyRole::ksk: return "ksk";
    case KeyRole::zsk: return "zsk";
    case KeyRole::csk: return "csk";
  }
  return "?";
}

std::vector<KeyRole> roles_of(bool split_keys) {
  if (split_keys) return {KeyRole::ksk, KeyRole::zsk};
  return {KeyRole::csk};
}

std::vector<KeyRole> keys_needed(const std::vector<KeyRecord>& keys, const KeyPlan& plan, const RollTiming& t,
                                 int64_t now) {
  std::vector<KeyRole> out;
  if (plan.insecure) return out;
  for (KeyRole role : roles_of(plan.split_keys)) {
    auto live = live_keys(keys, role, plan.algorithm, now);
    if (live.empty()) {
      out.push_back(role);
    } else if (live.size() == 1) {
      auto at = roll_time(*live.front(), t);
      if (at && *at <= now) out.push_back(role);
    }
  }
  return out;
}

bool rolls_algorithm(const std::vector<KeyRecord>& keys, uint8_t algorithm, int64_t now) {
  return std::any_of(keys.begin(), keys.end(),
                     [&](const KeyRecord& k) { return k.algorithm != algorithm && !k.is_removed(now); });
}

bool rolls_key_set(const std::vector<KeyRecord>& keys, const KeyPlan& plan, int64_t now) {
  const auto roles = roles_of(plan.split_keys);
  return std::any_of(keys.begin(), keys.end(), [&](const KeyRecord& k) {
    return !k.is_removed(now) &&
           (k.algorithm != plan.algorithm || std::find(roles.begin(), roles.end(), k.role) == roles.end());
  });
}

void add_key(std::vector<KeyRecord>& keys, KeyRecord fresh, const RollTiming& t, int64_t now) {
  fresh.created = now;
  fresh.published = now;
  fresh.active = now;
  auto current = live_keys(keys, fresh.role, fresh.algorithm, now);
  if (current.empty() && rolls_algorithm(keys, fresh.algorithm, now)) {
    introduce_algorithm(keys, fresh, t, now);
    keys.push_back(fresh);
    return;
  }
  // A successor of its own role, or of each job of the other split's keys
  // (the CSK's two: a new KSK and a new ZSK made in one step both take
  // over at the time the first set).
  const bool split_change = current.empty();
  if (split_change) current = split_predecessors(keys, fresh, now);
  for (KeyRecord* cur : current) {
    if (cur->retired && !split_change) continue;
    fresh.active = now + t.publish_interval();
    if (!cur->retired) cur->retired = fresh.active;
    if (cur->role == KeyRole::zsk) cur->removed = *cur->retired + t.retire_interval();
  }
  keys.push_back(fresh);
}

Result<void> ds_seen(std::vector<KeyRecord>& keys, uint16_t tag, const RollTiming& t, int64_t now) {
  auto it = std::find_if(keys.begin(), keys.end(),
                         [&](const KeyRecord& k) { return k.tag == tag && k.signs_keys() && !k.is_removed(now); });
  if (it == keys.end()) return fail("no KSK or CSK with key tag " + std::to_string(tag));
  if (!it->is_active(now))
    return fail("key " + std::to_string(tag) + " is not in the CDS set " +
                (it->active && *it->active > now ? "before " + std::to_string(*it->active) : std::string("any more")));
  it->ds_seen = now;
  // The DS of the new algorithm ends the old one only once the old one's
  // KSKs or CSKs left the CDS set.
  const bool other_algorithm_left = std::all_of(keys.begin(), keys.end(), [&](const KeyRecord& k) {
    return k.algorithm == it->algorithm || !k.signs_keys() || k.is_removed(now) || (k.retired && *k.retired <= now);
  });
  for (auto& old : keys) {
    if (old.algorithm != it->algorithm && !old.removed && other_algorithm_left) retire_algorithm(old, t, now);
    // The retired KSK or CSK it replaced (in a change of key split, a CSK
    // replaced by a KSK, or a KSK by a CSK).
    if (!old.signs_keys() || old.algorithm != it->algorithm || !old.retired || *old.retired > now || old.removed)
      continue;
    int64_t at = now + t.parent_interval();
    if (old.role == KeyRole::csk) at = std::max(at, *old.retired + t.retire_interval());
    old.removed = at;
  }
  return {};
}

std::vector<uint16_t> keys_awaiting_ds(const std::vector<KeyRecord>& keys, int64_t now) {
  const bool waiting = std::any_of(keys.begin(), keys.end(), [&](const KeyRecord& k) {
    return k.signs_keys() && k.retired && *k.retired <= now && !k.removed;
  });
  std::vector<uint16_t> out;
  if (!waiting) return out;
  for (const auto& k : keys)
    if (k.signs_keys() && k.is_active(now) && !k.ds_seen && !k.is_removed(now)) out.push_back(k.tag);
  return out;
}

void go_insecure(const std::vector<KeyRecord>& keys, std::optional<Unsigning>& u, int64_t now) {
  if (u) return;
  u = Unsigning{now, std::nullopt, std::nullopt};
  if (std::none_of(keys.begin(), keys.end(), [&](const KeyRecord& k) { return !k.is_gone(now); }))
    u->ds_gone = u->unsigned_from = now;
}

bool stop_going_insecure(std::optional<Unsigning>& u, int64_t now) {
  if (!u || (u->ds_gone && !u->is_unsigned(now))) return false;
  u.reset();
  return true;
}

Result<void> ds_gone(std::vector<KeyRecord>& keys, Unsigning& u, const RollTiming& t, int64_t now) {
  if (u.ds_gone) return fail("the parent's DS was reported gone at " + std::to_string(*u.ds_gone) + " already");
  u.ds_gone = now;
  u.unsigned_from = now + t.parent_interval();
  const int64_t end = *u.unsigned_from;
  for (auto& k : keys) {
    if (k.is_removed(now)) continue;
    if (!k.removed || *k.removed > end) k.removed = end;
    if (!k.retired || *k.retired > end) k.retired = end;
    if (k.sign_until && *k.sign_until > end) k.sign_until = end;
  }
  return {};
}

std::optional<int64_t> next_event(const std::vector<KeyRecord>& keys, const KeyPlan& plan, const RollTiming& t,
                                  int64_t now, const std::optional<Unsigning>& u) {
  // A key due (namaed was down, or the policy's algorithm changed) is due now.
  if (!keys_needed(keys, plan, t, now).empty()) return now;
  std::optional<int64_t> next;
  auto consider = [&](std::optional<int64_t> at) {
    if (at && *at > now && (!next || *at < *next)) next = at;
  };
  for (const auto& k : keys)
    for (auto at : {k.published, k.active, k.retired, k.removed, k.sign_from, k.sign_until, purge_time(k, t)})
      consider(at);
  if (u) consider(u->unsigned_from);
  // A purge namaed was down for is due now.
  for (const auto& k : keys)
    if (auto at = purge_time(k, t); at && *at <= now) return now;
  if (plan.insecure) return next;
  for (KeyRole role : roles_of(plan.split_keys))
    if (auto live = live_keys(keys, role, plan.algorithm, now); live.size() == 1)
      if (auto at = roll_time(*live.front(), t)) {
        const int64_t due = std::max(*at, now);
        if (!next || due < *next) next = due;
      }
  return next;
}

std::optional<int64_t> purge_time(const KeyRecord& k, const RollTiming& t) {
  if (t.purge_keys == 0 || !k.removed) return std::nullopt;
  return std::max(*k.removed, k.sign_until.value_or(*k.removed)) + t.purge_keys;
}

std::vector<KeyRecord> take_purged(std::vector<KeyRecord>& keys, const RollTiming& t, int64_t now) {
  std::vector<KeyRecord> out;
  auto due = [&](const KeyRecord& k) {
    auto at = purge_time(k, t);
    return at && *at <= now;
  };
  std::copy_if(keys.begin(), keys.end(), std::back_inserter(out), due);
  keys.erase(std::remove_if(keys.begin(), keys.end(), due), keys.end());
  return out;
}

std::string key_status(const KeyRecord& k, int64_t now) {
  const bool sep = k.signs_keys();
  if (k.is_removed(now) && !k.is_gone(now))
    return "removed, its signatures stay until " + std::to_string(*k.sign_until) + " (algorithm rollover)";
  if (k.is_removed(now)) return "removed since " + std::to_string(*k.removed);
  if (!k.is_published(now) && k.sign_from && *k.sign_from <= now)
    return "signing, published at " + time_text(k.published) + " (algorithm rollover)";
  if (!k.is_published(now)) return "created, published at " + time_text(k.published);
  if (!k.active || *k.active > now)
    return std::string("published, ") + (sep ? "in CDS" : "active") + " at " + time_text(k.active);
  if (k.is_active(now)) {
    std::string s = "active";
    if (k.retired) s += ", retired at " + std::to_string(*k.retired);
    if (sep) s += k.ds_seen ? ", DS seen at " + std::to_string(*k.ds_seen) : ", DS not reported seen";
    return s;
  }
  if (k.removed) return "retired, removed at " + std::to_string(*k.removed);
  return "retired, waiting for ds-seen of its successor";
}

std::string format_key_state(const std::vector<KeyRecord>& keys, const std::optional<Unsigning>& u) {
  std::string out = "; namaed DNSSEC key state (unix seconds; '-': not yet). Written by namaed.\n";
  if (u)
    out += "insecure since " + std::to_string(u->since) + " ds-gone " + time_text(u->ds_gone) + " unsigned " +
           time_text(u->unsigned_from) + "\n";
  for (const auto& k : keys)
    out += "key " + std::to_string(k.tag) + " " + std::to_string(k.algorithm) + " " + std::string(role_name(k.role)) +
           " created " + std::to_string(k.created) + " published " + time_text(k.published) + " active " +
           time_text(k.active) + " retired " + time_text(k.retired) + " removed " + time_text(k.removed) +
           " ds-seen " + time_text(k.ds_seen) + " sign-from " + time_text(k.sign_from) + " sign-until " +
           time_text(k.sign_until) + "\n";
  return out;
}

namespace {

std::vector<std::string_view> words_of(std::string_view line) {
  std::vector<std::string_view> w;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t' && line[j] != '\r') ++j;
    if (j > i) w.push_back(line.substr(i, j - i));
    i = j;
  }
  return w;
}

template <typename T>
bool parse_number(std::string_view s, T& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

bool parse_time(std::string_view s, std::optional<int64_t>& out) {
  if (s == "-") {
    out.reset();
    return true;
  }
  // Up to the end of year 9999, so the timing sums cannot overflow.
  constexpr int64_t kLatest = 253402300799;
  int64_t v = 0;
  if (!parse_number(s, v) || v < 0 || v > kLatest) return false;
  out = v;
  return true;
}

std::optional<KeyRecord> parse_key_line(const std::vector<std::string_view>& w) {
  static constexpr std::string_view kFields[] = {"created", "published", "active",     "retired",
                                                 "removed", "ds-seen",   "sign-from", "sign-until"};
  constexpr size_t kOlder = 2;  // namaed before algorithm rollovers wrote no sign-from, sign-until
  const size_t fields = (w.size() - 4) / 2;
  if ((w.size() != 4 + 2 * std::size(kFields) && w.size() != 4 + 2 * (std::size(kFields) - kOlder)) || w[0] != "key")
    return std::nullopt;
  KeyRecord k;
  unsigned alg = 0;
  if (!parse_number(w[1], k.tag) || !parse_number(w[2], alg) || alg > 255) return std::nullopt;
  k.algorithm = static_cast<uint8_t>(alg);
  if (w[3] == "ksk") k.role = KeyRole::ksk;
  else if (w[3] == "zsk") k.role = KeyRole::zsk;
  else if (w[3] == "csk") k.role = KeyRole::csk;
  else return std::nullopt;
  std::optional<int64_t> created;
  std::optional<int64_t>* slots[] = {&created,   &k.published, &k.active,    &k.retired,
                                     &k.removed, &k.ds_seen,   &k.sign_from, &k.sign_until};
  for (size_t i = 0; i < fields; ++i)
    if (w[4 + 2 * i] != kFields[i] || !parse_time(w[5 + 2 * i], *slots[i])) return std::nullopt;
  if (!created) return std::nullopt;
  k.created = *created;
  return k;
}

std::optional<Unsigning> parse_insecure_line(const std::vector<std::string_view>& w) {
  std::optional<int64_t> since;
  Unsigning u;
  if (w.size() != 7 || w[0] != "insecure" || w[1] != "since" || w[3] != "ds-gone" || w[5] != "unsigned" ||
      !parse_time(w[2], since) || !since || !parse_time(w[4], u.ds_gone) || !parse_time(w[6], u.unsigned_from) ||
      u.ds_gone.has_value() != u.unsigned_from.has_value())
    return std::nullopt;
  u.since = *since;
  return u;
}

}  // namespace

Result<std::vector<KeyRecord>> parse_key_state(std::string_view text, std::optional<Unsigning>* unsigning) {
  std::optional<Unsigning> u;
  std::vector<KeyRecord> keys;
  size_t line_no = 0;
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    ++line_no;
    auto w = words_of(line);
    if (w.empty() || w[0].front() == ';') continue;
    if (w[0] == "insecure" && !u) {
      u = parse_insecure_line(w);
      if (!u) return fail("line " + std::to_string(line_no) + ": expected 'insecure since T ds-gone T unsigned T'");
      continue;
    }
    auto k = parse_key_line(w);
    if (!k) return fail("line " + std::to_string(line_no) + ": expected 'key TAG ALG ksk|zsk|csk created T published T "
                        "active T retired T removed T ds-seen T sign-from T sign-until T'");
    for (const auto& other : keys)
      if (other.tag == k->tag && other.algorithm == k->algorithm)
        return fail("line " + std::to_string(line_no) + ": key " + std::to_string(k->tag) + " listed twice");
    keys.push_back(*k);
  }
  if (unsigning) *unsigning = u;
  return keys;
}

}  // namespace namae::signing
