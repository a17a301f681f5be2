#include "mdns/querier.h"

#include <algorithm>

namespace namae::mdns {

Querier::Querier(Transport& transport, Rng& rng) : transport_(transport), rng_(rng) {}

QueryId Querier::start(const Question& q, Millis now, bool qu_first) {
  Active a;
  a.q = q;
  a.q.unicast_response = false;
  a.qu_first = qu_first;
  // RFC 6762 5.2: the first query goes out after a random 20-120 ms, so a
  // burst of applications asking at once is merged (here: by tick()).
  a.next = now + rng_.uniform(20, 120);
  active_[next_id_] = a;
  return next_id_++;
}

void Querier::stop(QueryId id) { active_.erase(id); }

bool Querier::wanted(const CacheEntry& e) const {
  for (const auto& [id, a] : active_)
    if (a.q.matches(e.rec)) return true;
  return false;
}

void Querier::add(const Record& r, Millis now) {
  if (r.unique) {
    // RFC 6762 10.2: cache-flush: the other members of the RRset that are
    // more than a second old expire in one second (newer ones are part of
    // the same burst of answers and stay).
    for (auto& e : cache_)
      if (e.rec.same_set(r) && !e.rec.same_rr(r) && e.received < now - 1000 && e.expires > now + 1000)
        e.expires = now + 1000;
  }
  auto it = std::find_if(cache_.begin(), cache_.end(), [&](const CacheEntry& e) { return e.rec.same_rr(r); });
  if (r.ttl == 0) {
    // RFC 6762 10.1: a goodbye; keep it one more second (in case another
    // responder still holds the record and answers).
    if (it != cache_.end()) {
      it->rec.ttl = 0;
      it->expires = now + 1000;
      it->refreshes = 4;
    }
    return;
  }
  bool fresh = it == cache_.end();
  if (fresh && cache_.size() >= kMaxCache) {
    // A link flooding us with records does not grow memory without bound:
    // the entry closest to expiry makes room (reported as removed).
    auto victim = std::min_element(cache_.begin(), cache_.end(),
                                   [](const CacheEntry& a, const CacheEntry& b) { return a.expires < b.expires; });
    Record gone = victim->rec;
    cache_.erase(victim);
    if (listener.removed) listener.removed(gone);
  }
  if (fresh) {
    cache_.push_back(CacheEntry{});
    it = cache_.end() - 1;
  }
  it->rec = r;
  it->rec.unique = false;
  it->received = now;
  it->expires = now + static_cast<Millis>(r.ttl) * 1000;
  it->refreshes = 0;
  // RFC 6762 5.2: refresh at 80 % of the TTL plus 0-2 % random variation.
  it->refresh_at = now + static_cast<Millis>(r.ttl) * (800 + rng_.uniform(0, 20));
  it->poof_queries = 0;
  it->reconfirm_by = 0;  // answered: confirmed
  if (fresh && listener.added) listener.added(it->rec);
}

void Querier::receive(const Message& msg, const Source& from, Millis now) {
  if (!from.on_link) return;
  if (!msg.is_query()) {
    // RFC 6762 6: multicast responses come from port 5353; others (replies
    // to a legacy query from some other program) are not for our cache.
    if (from.port() != kPort) return;
    for (const auto& r : msg.answers) add(r, now);
    for (const auto& r : msg.additional) add(r, now);
    return;
  }
  if (msg.questions.empty()) return;  // a known-answer continuation
  auto in_their_list = [&msg](const Record& r) {
    return std::any_of(msg.answers.begin(), msg.answers.end(), [&](const Record& k) { return k.same_rr(r); });
  };
  // Duplicate question suppression (RFC 6762 7.3).
  for (auto& [id, a] : active_) {
    if (a.first) continue;
    for (const auto& q : msg.questions) {
      if (q.unicast_response || !(q.name == a.q.name) || q.type != a.q.type || q.rclass != a.q.rclass) continue;
      bool subset = true;
      for (const auto& k : msg.answers) {
        if (!a.q.matches(k)) continue;
        bool ours = std::any_of(cache_.begin(), cache_.end(), [&](const CacheEntry& e) {
          return e.rec.same_rr(k) && e.rec.ttl > 0 && e.ttl_left(now) * 2 > e.rec.ttl;
        });
        if (!ours) subset = false;
      }
      if (subset && a.next > now) {
        a.next = now + a.interval;
        a.interval = std::min(a.interval * 2, kMaxInterval);
      }
    }
  }
  // POOF (RFC 6762 10.5): a query our cached record should have answered.
  for (const auto& q : msg.questions) {
    if (q.unicast_response) continue;
    for (auto& e : cache_) {
      if (e.rec.ttl == 0 || !q.matches(e.rec) || in_their_list(e.rec)) continue;
      if (e.poof_queries++ == 0) e.poof_since = now;
    }
  }
}

void Querier::expire(Millis now) {
  std::vector<Record> gone;
  cache_.erase(std::remove_if(cache_.begin(), cache_.end(),
                              [&](const CacheEntry& e) {
                                bool poofed = e.poof_queries >= 2 && now >= e.poof_since + 10000;
                                bool unconfirmed = e.reconfirm_by && now >= e.reconfirm_by;
                                if (e.expires > now && !poofed && !unconfirmed) return false;
                                gone.push_back(e.rec);
                                return true;
                              }),
               cache_.end());
  if (listener.removed)
    for (const auto& r : gone) listener.removed(r);
}

void Querier::send_queries(const std::vector<Question>& qs, Millis now) {
  if (qs.empty()) return;
  PacketWriter w;
  for (const auto& q : qs) w.question(q);
  // RFC 6762 7.1: known answers with more than half their TTL left; a
  // record being reconfirmed is not one (its answer is the point, 10.4).
  for (const auto& e : cache_) {
    if (e.rec.ttl == 0 || e.reconfirm_by || e.ttl_left(now) * 2 <= e.rec.ttl) continue;
    bool asked = std::any_of(qs.begin(), qs.end(), [&](const Question& q) { return q.matches(e.rec); });
    if (asked) w.known_answer(e.rec, e.ttl_left(now));
  }
  for (auto& p : w.finish()) transport_.send(p, Destination::group());
}

bool Querier::reconfirm(const Record& r, Millis now) {
  auto it = std::find_if(cache_.begin(), cache_.end(), [&](const CacheEntry& e) { return e.rec.same_rr(r); });
  if (it == cache_.end() || it->rec.ttl == 0) return false;
  if (it->reconfirm_by) return true;  // already under way
  it->reconfirm_by = now + kReconfirmWait;
  it->reconfirm_next = now;
  it->reconfirm_queries = 0;
  return true;
}

void Querier::add_reconfirm_queries(std::vector<Question>& qs, Millis now) {
  for (auto& e : cache_) {
    if (!e.reconfirm_by || e.reconfirm_queries >= kReconfirmQueries || e.reconfirm_next > now) continue;
    ++e.reconfirm_queries;
    e.reconfirm_next = now + kReconfirmInterval;
    Question q{e.rec.owner, e.rec.type, e.rec.rclass, false};
    if (std::none_of(qs.begin(), qs.end(), [&](const Question& o) { return o.name == q.name && o.type == q.type; }))
      qs.push_back(q);
  }
}

void Querier::tick(Millis now) {
  expire(now);
  std::vector<Question> qs;
  for (auto& [id, a] : active_) {
    if (a.next > now) continue;
    Question q = a.q;
    q.unicast_response = a.first && a.qu_first;
    if (std::none_of(qs.begin(), qs.end(), [&](const Question& o) { return o.name == q.name && o.type == q.type; }))
      qs.push_back(q);
    if (!a.first) a.interval = std::min(a.interval * 2, kMaxInterval);
    a.first = false;
    a.next = now + a.interval;
  }
  // Refresh queries for records someone is still asking about.
  for (auto& e : cache_) {
    if (e.refreshes >= 4 || e.refresh_at > now) continue;
    if (!wanted(e)) {
      e.refreshes = 4;
      continue;
    }
    ++e.refreshes;
    e.refresh_at = e.received + static_cast<Millis>(e.rec.ttl) * (800 + 50 * e.refreshes + rng_.uniform(0, 20));
    Question q{e.rec.owner, e.rec.type, e.rec.rclass, false};
    if (std::none_of(qs.begin(), qs.end(), [&](const Question& o) { return o.name == q.name && o.type == q.type; }))
      qs.push_back(q);
  }
  add_reconfirm_queries(qs, now);
  send_queries(qs, now);
}

Millis Querier::next_timer() const {
  Millis t = kNever;
  for (const auto& [id, a] : active_) t = std::min(t, a.next);
  for (const auto& e : cache_) {
    t = std::min(t, e.expires);
    if (e.refreshes < 4) t = std::min(t, e.refresh_at);
    if (e.poof_queries >= 2) t = std::min(t, e.poof_since + 10000);
    if (e.reconfirm_by) t = std::min(t, e.reconfirm_by);
    if (e.reconfirm_by && e.reconfirm_queries < kReconfirmQueries) t = std::min(t, e.reconfirm_next);
  }
  return t;
}

std::vector<Record> Querier::lookup(const Question& q, Millis now, bool ttl_left) const {
  std::vector<Record> out;
  for (const auto& e : cache_)
    if (e.rec.ttl > 0 && e.expires > now && q.matches(e.rec)) {
      Record r = e.rec;
      if (ttl_left) r.ttl = e.ttl_left(now);
      out.push_back(std::move(r));
    }
  return out;
}

std::vector<Record> Querier::all(Millis now) const {
  std::vector<Record> out;
  for (const auto& e : cache_)
    if (e.rec.ttl > 0 && e.expires > now) {
      Record r = e.rec;
      r.ttl = e.ttl_left(now);
      out.push_back(std::move(r));
    }
  return out;
}

}  // namespace namae::mdns
