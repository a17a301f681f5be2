#include "mdns/responder.h"

#include <algorithm>
#include <set>

namespace namae::mdns {
namespace {

using dns::rrtype::A;
using dns::rrtype::AAAA;
using dns::rrtype::NSEC;
using dns::rrtype::PTR;
using dns::rrtype::SRV;
using dns::rrtype::TXT;

// RFC 6762 8.2: records compared by class, then type, then raw rdata.
int compare_record(const Record& a, const Record& b) {
  if (a.rclass != b.rclass) return a.rclass < b.rclass ? -1 : 1;
  if (a.type != b.type) return a.type < b.type ? -1 : 1;
  return std::lexicographical_compare(a.rdata.begin(), a.rdata.end(), b.rdata.begin(), b.rdata.end())
             ? -1
             : (a.rdata == b.rdata ? 0 : 1);
}

std::vector<Record> sorted(std::vector<Record> v) {
  std::sort(v.begin(), v.end(), [](const Record& a, const Record& b) { return compare_record(a, b) < 0; });
  return v;
}

// The name a PTR points at, or an SRV's target.
bool target_of(const Record& r, dns::Name& out) {
  std::span<const uint8_t> rd(r.rdata);
  if (r.type == SRV) {
    if (rd.size() < 7) return false;
    rd = rd.subspan(6);
  } else if (r.type != PTR) {
    return false;
  }
  auto n = dns::Name::from_wire(rd);
  if (!n) return false;
  out = *n;
  return true;
}

// RFC 6762 6.1: for each unique name, an NSEC record whose bitmap lists the
// types the name has, so a question for any other type gets a definite "no"
// instead of a querier retrying until it gives up.
std::vector<Record> with_nsec(std::vector<Record> recs) {
  std::vector<Record> out = recs;
  std::vector<dns::Name> done;
  for (const auto& r : recs) {
    if (!r.unique || r.type == NSEC || std::find(done.begin(), done.end(), r.owner) != done.end()) continue;
    done.push_back(r.owner);
    uint8_t bits[32] = {};
    int top = -1;
    uint32_t ttl = r.ttl;
    for (const auto& o : recs) {
      if (!(o.owner == r.owner) || o.type >= 256) continue;
      bits[o.type / 8] |= static_cast<uint8_t>(0x80 >> (o.type % 8));
      top = std::max(top, o.type / 8);
      ttl = std::min(ttl, o.ttl);
    }
    if (top < 0) continue;
    Record n;
    n.owner = r.owner;
    n.type = NSEC;
    n.ttl = ttl;
    n.unique = true;
    auto w = r.owner.wire();
    n.rdata.assign(w.begin(), w.end());  // next name: the name itself (RFC 6762 6.1)
    n.rdata.push_back(0);                // window 0
    n.rdata.push_back(static_cast<uint8_t>(top + 1));
    n.rdata.insert(n.rdata.end(), bits, bits + top + 1);
    out.push_back(std::move(n));
  }
  return out;
}

}  // namespace

Responder::Responder(Transport& transport, Rng& rng, ResponderOptions options)
    : transport_(transport), rng_(rng), opt_(options) {}

GroupId Responder::add(RecordMaker make, Millis now) {
  Group g;
  g.id = next_id_++;
  g.make = std::move(make);
  for (auto& r : with_nsec(g.make(1))) g.recs.push_back(Owned{std::move(r)});
  auto& placed = groups_[g.id] = std::move(g);
  start_probing(placed, now, 0);
  return placed.id;
}

void Responder::start_probing(Group& g, Millis now, Millis delay) {
  g.sent = 0;
  bool any_unique = std::any_of(g.recs.begin(), g.recs.end(), [](const Owned& o) { return o.rec.unique; });
  if (!any_unique) {
    g.state = GroupState::announcing;
    g.next = now + delay;
    return;
  }
  g.state = GroupState::probing;
  // RFC 6762 8.1: a random 0-250 ms before the first probe spreads hosts that
  // power on together.
  g.next = now + delay + rng_.uniform(0, opt_.probe_interval);
}

void Responder::rename(Group& g, Millis now) {
  ++stats_.conflicts;
  conflict_times_.push_back(now);
  conflict_times_.erase(std::remove_if(conflict_times_.begin(), conflict_times_.end(),
                                       [now](Millis t) { return t < now - 10000; }),
                        conflict_times_.end());
  if (g.announced) send_goodbye(g);
  g.announced = false;
  ++g.attempt;
  g.recs.clear();
  for (auto& r : with_nsec(g.make(g.attempt))) g.recs.push_back(Owned{std::move(r)});
  // RFC 6762 8.1: after 15 conflicts within 10 s, wait 5 s before probing again.
  Millis delay = static_cast<int>(conflict_times_.size()) >= opt_.conflict_limit ? 5000 : 0;
  start_probing(g, now, delay);
  notify(g);
}

void Responder::remove(GroupId id, Millis now) {
  auto it = groups_.find(id);
  if (it == groups_.end()) return;
  if (it->second.announced) send_goodbye(it->second);
  it->second.state = GroupState::withdrawn;
  notify(it->second);
  groups_.erase(it);
}

void Responder::replace(GroupId id, RecordMaker make, Millis now) {
  auto it = groups_.find(id);
  if (it == groups_.end()) return;
  Group& g = it->second;
  std::vector<Owned> fresh;
  for (auto& r : with_nsec(make(g.attempt))) fresh.push_back(Owned{std::move(r)});
  if (g.announced) {
    PacketWriter w;
    w.header.qr = true;
    w.header.aa = true;
    for (const auto& o : g.recs) {
      bool kept = std::any_of(fresh.begin(), fresh.end(), [&](const Owned& n) { return n.rec.same_rr(o.rec); });
      if (!kept && o.rec.type != NSEC) w.record(dns::Section::answer, o.rec, 0);
    }
    for (auto& p : w.finish()) transport_.send(p, Destination::group());
  }
  g.make = std::move(make);
  g.recs = std::move(fresh);
  start_probing(g, now, 0);
  notify(g);
}

void Responder::remove_all(Millis now) {
  while (!groups_.empty()) remove(groups_.begin()->first, now);
}

GroupState Responder::state(GroupId id) const {
  auto it = groups_.find(id);
  return it == groups_.end() ? GroupState::withdrawn : it->second.state;
}

std::vector<Record> Responder::records(GroupId id) const {
  std::vector<Record> out;
  auto it = groups_.find(id);
  if (it != groups_.end())
    for (const auto& o : it->second.recs) out.push_back(o.rec);
  return out;
}

void Responder::notify(const Group& g) {
  if (on_state) {
    std::vector<Record> recs;
    for (const auto& o : g.recs) recs.push_back(o.rec);
    on_state(g.id, g.state, g.attempt, recs);
  }
}

void Responder::send_probe(Group& g) {
  PacketWriter w;
  std::vector<dns::Name> names;
  for (const auto& o : g.recs)
    if (o.rec.unique && o.rec.type != NSEC && std::find(names.begin(), names.end(), o.rec.owner) == names.end())
      names.push_back(o.rec.owner);
  for (const auto& n : names) {
    // RFC 6762 8.1: QU on the first probe, so defenders answer by unicast.
    w.question(Question{n, dns::rrtype::ANY, dns::rrclass::IN, g.sent == 0});
  }
  for (const auto& o : g.recs)
    if (o.rec.unique && o.rec.type != NSEC) {
      Record r = o.rec;
      r.unique = false;  // authority records of a probe carry no cache-flush bit
      w.record(dns::Section::authority, r);
    }
  for (auto& p : w.finish()) transport_.send(p, Destination::group());
}

void Responder::send_announcement(Group& g, Millis now) {
  PacketWriter w;
  w.header.qr = true;
  w.header.aa = true;
  for (auto& o : g.recs) {
    if (o.rec.type == NSEC) continue;  // only sent in answer to a question
    w.record(dns::Section::answer, o.rec);
    o.last_multicast = now;
    o.pending = kNever;
  }
  for (auto& p : w.finish()) transport_.send(p, Destination::group());
  g.announced = true;
}

void Responder::send_goodbye(const Group& g) {
  PacketWriter w;
  w.header.qr = true;
  w.header.aa = true;
  for (const auto& o : g.recs)
    if (o.rec.type != NSEC) w.record(dns::Section::answer, o.rec, 0);
  for (auto& p : w.finish()) transport_.send(p, Destination::group());
}

bool Responder::allow(const Source& from, Millis now) {
  if (buckets_.size() > 4096) buckets_.clear();  // bounded memory under spoofed floods
  auto [it, fresh] = buckets_.try_emplace(from.host(), Bucket{opt_.rate_burst, now});
  Bucket& b = it->second;
  b.tokens = std::min(opt_.rate_burst, b.tokens + static_cast<double>(now - b.at) * opt_.rate_per_second / 1000.0);
  b.at = now;
  if (b.tokens < 1) return false;
  b.tokens -= 1;
  return true;
}

void Responder::receive(const Message& msg, const Source& from, Millis now) {
  if (!from.on_link) {
    ++stats_.off_link;  // RFC 6762 11: only on-link packets are answered or believed
    return;
  }
  if (msg.is_query()) handle_query(msg, from, now);
  else if (from.port() == kPort) handle_response(msg, now);  // RFC 6762 6: responses come from 5353
}

bool Responder::probe_conflict(const Group& g, const dns::Name& name, const std::vector<Record>& theirs) const {
  std::vector<Record> ours;
  for (const auto& o : g.recs)
    if (o.rec.unique && o.rec.type != NSEC && o.rec.owner == name) ours.push_back(o.rec);
  if (ours.empty() || theirs.empty()) return false;
  auto a = sorted(ours);
  auto b = sorted(theirs);
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) {
    int c = compare_record(a[i], b[i]);
    if (c != 0) return c < 0;
  }
  return a.size() < b.size();  // ours ran out first: theirs is greater
}

void Responder::handle_query(const Message& msg, const Source& from, Millis now) {
  ++stats_.queries;
  if (!allow(from, now)) {
    ++stats_.rate_limited;
    return;
  }
  const bool legacy = from.port() != kPort;

  // A continuation packet of a truncated query carries only known answers
  // (RFC 6762 7.2): they cancel what we had scheduled.
  auto suppressed = [&msg](const Owned& o) {
    for (const auto& k : msg.answers)
      if (k.same_rr(o.rec) && k.ttl >= o.rec.ttl / 2) return true;  // RFC 6762 7.1
    return false;
  };
  if (msg.questions.empty()) {
    for (auto& [id, g] : groups_)
      for (auto& o : g.recs)
        if (o.pending != kNever && suppressed(o)) o.pending = kNever;
    return;
  }

  // Simultaneous probes (RFC 6762 8.2): the lexicographically later set wins.
  const bool is_probe = !msg.authority.empty();
  if (is_probe) {
    for (auto& [id, g] : groups_) {
      if (g.state != GroupState::probing) continue;
      for (const auto& q : msg.questions) {
        std::vector<Record> theirs;
        for (const auto& r : msg.authority)
          if (r.owner == q.name) theirs.push_back(r);
        if (probe_conflict(g, q.name, theirs)) {
          // We lost: wait one second and probe again; if they have taken the
          // name by then, their answer to our probe makes us rename.
          start_probing(g, now, 1000);
          notify(g);
          break;
        }
      }
    }
  }

  std::vector<const Owned*> unicast;
  bool any = false;
  for (const auto& q : msg.questions) {
    for (auto& [id, g] : groups_) {
      if (!answerable(g)) continue;
      for (auto& o : g.recs) {
        if (o.rec.type == NSEC) {
          // The negative answer: only when the name is ours and the type is not.
          if (q.type == dns::rrtype::ANY || !(q.name == o.rec.owner)) continue;
          bool have = std::any_of(g.recs.begin(), g.recs.end(), [&](const Owned& x) {
            return x.rec.type != NSEC && x.rec.type == q.type && x.rec.owner == q.name;
          });
          if (have && q.type != NSEC) continue;
        } else if (!q.matches(o.rec)) {
          continue;
        }
        if (!legacy && suppressed(o)) continue;
        any = true;
        if (legacy) {
          unicast.push_back(&o);
          continue;
        }
        // RFC 6762 5.4: QU is answered by unicast unless the record has not
        // been multicast within a quarter of its TTL.
        if (q.unicast_response && now - o.last_multicast < static_cast<Millis>(o.rec.ttl) * 250) {
          unicast.push_back(&o);
          continue;
        }
        // RFC 6762 6: at most once a second per record (probe defence: 250 ms).
        const Millis since = now - o.last_multicast;
        if (since < (is_probe ? 250 : 1000)) continue;
        Millis due;
        if (msg.header.tc) due = now + rng_.uniform(400, 500);  // more known answers follow
        else if (o.rec.unique) due = now;                       // unique: answer at once
        else due = now + rng_.uniform(20, 120);                 // shared: spread responders
        o.pending = std::min(o.pending, due);
      }
    }
  }
  if (any) ++stats_.answered;
  if (unicast.empty()) return;

  // Deduplicate (two questions may select the same record).
  std::sort(unicast.begin(), unicast.end());
  unicast.erase(std::unique(unicast.begin(), unicast.end()), unicast.end());
  PacketWriter w;
  w.header.qr = true;
  w.header.aa = true;
  if (legacy) {
    // RFC 6762 6.7: echo ID and question, no cache-flush bits, TTL at most 10.
    w.header.id = msg.header.id;
    w.legacy = true;
    w.ttl_cap = 10;
    for (const auto& q : msg.questions) {
      Question e = q;
      e.unicast_response = false;
      w.question(e);
    }
  }
  for (const auto* o : unicast) w.record(dns::Section::answer, o->rec);
  add_additionals(w, unicast);
  for (auto& p : w.finish()) transport_.send(p, Destination::to(from));
}

void Responder::add_additionals(PacketWriter& w, const std::vector<const Owned*>& answers) const {
  std::set<const Owned*> added(answers.begin(), answers.end());
  auto add_named = [&](const dns::Name& name, std::initializer_list<uint16_t> types,
                       std::vector<const Owned*>* follow) {
    for (const auto& [id, g] : groups_) {
      if (!answerable(g)) continue;
      for (const auto& o : g.recs) {
        if (!(o.rec.owner == name) || std::find(types.begin(), types.end(), o.rec.type) == types.end())
          continue;
        if (!added.insert(&o).second) continue;
        w.record(dns::Section::additional, o.rec);
        if (follow) follow->push_back(&o);
      }
    }
  };
  // RFC 6763 12: PTR brings SRV and TXT, SRV brings the target's addresses;
  // RFC 6762 6.2: an address record brings the host's other addresses.
  std::vector<const Owned*> srvs;
  for (const auto* o : answers) {
    dns::Name t;
    if (o->rec.type == PTR && target_of(o->rec, t)) add_named(t, {SRV, TXT}, &srvs);
    if (o->rec.type == SRV) srvs.push_back(o);
    if (o->rec.type == A || o->rec.type == AAAA) {
      add_named(o->rec.owner, {A, AAAA}, nullptr);
      // RFC 6762 6.1: a host with only one address family says so, so the
      // querier does not go on asking for the other.
      const uint16_t other = o->rec.type == A ? AAAA : A;
      bool has_other = false;
      for (const auto& [id, g] : groups_)
        for (const auto& x : g.recs) has_other |= x.rec.type == other && x.rec.owner == o->rec.owner;
      if (!has_other) add_named(o->rec.owner, {NSEC}, nullptr);
    }
  }
  for (const auto* s : srvs) {
    dns::Name t;
    if (s->rec.type == SRV && target_of(s->rec, t)) add_named(t, {A, AAAA}, nullptr);
  }
}

void Responder::handle_response(const Message& msg, Millis now) {
  auto check = [&](const Record& r) {
    for (auto& [id, g] : groups_) {
      // Duplicate answer suppression (RFC 6762 7.4).
      for (auto& o : g.recs)
        if (o.pending != kNever && r.same_rr(o.rec) && r.ttl >= o.rec.ttl / 2) o.pending = kNever;
      if (r.ttl == 0) continue;  // a goodbye claims nothing
      bool ours = std::any_of(g.recs.begin(), g.recs.end(), [&](const Owned& o) { return o.rec.same_rr(r); });
      if (ours) continue;
      if (g.state == GroupState::probing) {
        // RFC 6762 8.1: any record with a name we are probing is a conflict.
        bool hit = std::any_of(g.recs.begin(), g.recs.end(),
                               [&](const Owned& o) { return o.rec.unique && o.rec.owner == r.owner; });
        if (hit) {
          rename(g, now);
          return;
        }
      } else {
        // RFC 6762 9: same name, type and class, different rdata, on a unique
        // record we own. Probe again: if they hold the name, their defence
        // of it makes us rename.
        bool hit = std::any_of(g.recs.begin(), g.recs.end(),
                               [&](const Owned& o) { return o.rec.unique && o.rec.same_set(r); });
        if (hit) {
          ++stats_.conflicts;
          start_probing(g, now, 0);
          notify(g);
          return;
        }
      }
    }
  };
  for (const auto& r : msg.answers) check(r);
  for (const auto& r : msg.additional) check(r);
}

void Responder::tick(Millis now) {
  for (auto& [id, g] : groups_) {
    if (g.next > now) continue;
    if (g.state == GroupState::probing) {
      if (g.sent < opt_.probes) {
        send_probe(g);
        ++g.sent;
        g.next = now + opt_.probe_interval;
        continue;
      }
      g.state = GroupState::announcing;
      g.sent = 0;
    }
    if (g.state == GroupState::announcing) {
      send_announcement(g, now);
      ++g.sent;
      if (g.sent >= opt_.announcements) {
        g.state = GroupState::established;
        g.next = kNever;
        notify(g);
      } else {
        g.next = now + opt_.announce_interval;
      }
    }
  }

  std::vector<const Owned*> due;
  for (auto& [id, g] : groups_) {
    if (!answerable(g)) continue;
    for (auto& o : g.recs)
      if (o.pending <= now) {
        due.push_back(&o);
        o.pending = kNever;
        o.last_multicast = now;
      }
  }
  if (due.empty()) return;
  PacketWriter w;
  w.header.qr = true;
  w.header.aa = true;
  for (const auto* o : due) w.record(dns::Section::answer, o->rec);
  add_additionals(w, due);
  for (auto& p : w.finish()) transport_.send(p, Destination::group());
}

Millis Responder::next_timer() const {
  Millis t = kNever;
  for (const auto& [id, g] : groups_) {
    t = std::min(t, g.next);
    if (answerable(g))
      for (const auto& o : g.recs) t = std::min(t, o.pending);
  }
  return t;
}

}  // namespace namae::mdns
