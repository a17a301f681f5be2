#include "push/service.h"

#include <algorithm>
#include <cstring>

namespace namae::push {

using namespace dns::dso;

namespace {

size_t copy_out(const std::vector<uint8_t>& msg, std::span<uint8_t> response) {
  if (msg.size() > response.size()) return 0;
  std::memcpy(response.data(), msg.data(), msg.size());
  return msg.size();
}

// Records as a set of (type, rdata) with their TTLs, for diffing.
bool same_data(const dns::Record& a, const dns::Record& b) { return a.type == b.type && a.rdata == b.rdata; }

bool has_type(const std::vector<dns::Record>& rs, uint16_t type) {
  return std::any_of(rs.begin(), rs.end(), [&](const dns::Record& r) { return r.type == type; });
}

// RFC 8765 6.3.1: what turns `before` into `after`. A record whose TTL
// changed is sent again as an add; a type gone whole is one RRset removal.
std::vector<PushRecord> diff(const std::vector<dns::Record>& before, const std::vector<dns::Record>& after) {
  std::vector<PushRecord> out;
  std::set<uint16_t> gone_types;
  for (const auto& b : before) {
    if (std::any_of(after.begin(), after.end(), [&](const dns::Record& a) { return same_data(a, b); })) continue;
    if (!has_type(after, b.type)) {
      if (gone_types.insert(b.type).second) out.push_back({Change::remove_rrset, b});
    } else {
      out.push_back({Change::remove, b});
    }
  }
  for (const auto& a : after)
    if (std::none_of(before.begin(), before.end(), [&](const dns::Record& b) { return b == a; }))
      out.push_back({Change::add, a});
  return out;
}

bool has_padding(const Message& m) {
  for (size_t i = 1; i < m.tlvs.size(); ++i)
    if (m.tlvs[i].type == tlv::PADDING) return true;
  return false;
}

// PUSH messages carrying `changes`, split where one would pass 64 KiB (less
// room for a padding TLV of a full block).
std::vector<std::vector<uint8_t>> push_messages(const std::vector<PushRecord>& changes) {
  std::vector<std::vector<uint8_t>> out;
  size_t i = 0;
  while (i < changes.size()) {
    Writer w(0, false);
    w.limit(dns::kMaxMessage - 4 - kServerPaddingBlock);
    w.begin_push();
    size_t first = i;
    while (i < changes.size() && w.push_change(changes[i])) ++i;
    if (i == first) ++i;  // a change that fits in no message at all is skipped
    w.end_push();
    if (i > first && w.size() > dns::kHeaderSize + 4) out.push_back(w.take());
  }
  return out;
}

}  // namespace

PushService::PushService(const zone::ZoneSetHolder& zones, PushOptions options, const Clock& clock)
    : zones_(zones), options_(options), clock_(clock) {}

PushService::~PushService() {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

size_t PushService::receive(std::span<const uint8_t> msg, std::span<uint8_t> response, const net::Peer& peer) {
  std::lock_guard lk(mu_);
  auto it = sessions_.find(peer.conn);
  if (it == sessions_.end())
    it = sessions_.emplace(peer.conn, Session{DsoSession(options_.timers, clock_.now_ms()), peer.channel(), {}, false})
             .first;
  Session& s = it->second;
  if (s.dead) return 0;
  Message m;
  Verdict v = s.dso.receive(msg, m, clock_.now_ms());
  return act(s, peer.conn, v, m, response);
}

size_t PushService::act(Session& s, uint64_t conn, const Verdict& v, const Message& m, std::span<uint8_t> response) {
  switch (v.act) {
    case Act::ignore:
      return 0;
    case Act::abort:
      s.dead = true;
      s.channel.close();
      return 0;
    case Act::operation:
      return operation(s, conn, m, response);
    case Act::reply:
    case Act::reply_close:
      break;
  }
  Writer w(m.header.id, true, static_cast<uint8_t>(v.rcode));
  if (v.keepalive) {
    w.keepalive({s.dso.timers().inactivity_ms, s.dso.timers().keepalive_ms});
    s.channel.hold();  // established: the session's timers rule from now on
  }
  if (v.act == Act::reply_close) {
    s.dead = true;
    s.channel.close();
  }
  return reply(w, m, response);
}

size_t PushService::reply(Writer& w, const Message& request, std::span<uint8_t> response) const {
  std::vector<uint8_t> msg = w.take();
  if (has_padding(request)) pad_to_block(msg);
  return copy_out(msg, response);
}

void PushService::send(Session& s, const std::vector<uint8_t>& msg) {
  if (!s.dso.client_pads()) {
    s.channel.push(msg);
    return;
  }
  std::vector<uint8_t> padded = msg;
  pad_to_block(padded);
  s.channel.push(padded);
}

size_t PushService::operation(Session& s, uint64_t conn, const Message& m, std::span<uint8_t> response) {
  const Tlv& p = *m.primary();
  if (p.type == tlv::SUBSCRIBE) {
    Question q;
    uint16_t rc = read_subscribe(p.data, q) ? subscribe(s, conn, m.header.id, q) : dns::rcode::FORMERR;
    if (rc == kAbort) {
      s.dead = true;
      s.channel.close();
      return 0;
    }
    Writer w(m.header.id, true, static_cast<uint8_t>(rc));
    size_t n = reply(w, m, response);
    if (rc == dns::rcode::FORMERR) {
      s.dead = true;
      s.channel.close();
      return n;
    }
    if (rc != dns::rcode::NOERROR) return n;
    if (!s.dso.established()) s.channel.hold();
    s.dso.establish();
    // The initial answer follows the response (RFC 8765 6.2).
    const Watch& w2 = watches_.at(s.subscriptions.at(m.header.id));
    std::vector<PushRecord> adds;
    for (const auto& r : w2.current) adds.push_back({Change::add, r});
    push_changes(w2, adds, conn);
    return n;
  }
  // UNSUBSCRIBE and RECONFIRM are unidirectional: a malformed one has no
  // one to answer, so it ends the session (RFC 8490 5.4).
  uint16_t id;
  dns::Record r;
  if (p.type == tlv::UNSUBSCRIBE && read_unsubscribe(p.data, id)) {
    unsubscribe(s, conn, id);
  } else if (p.type == tlv::RECONFIRM && read_reconfirm(p.data, r)) {
    reconfirm(s, r);
  } else {
    s.dead = true;
    s.channel.close();
  }
  return 0;
}

// RFC 8765 6.2: the rcodes of a SUBSCRIBE, or kAbort.
uint16_t PushService::subscribe(Session& s, uint64_t conn, uint16_t id, const Question& q) {
  if (s.subscriptions.count(id)) return dns::rcode::FORMERR;  // an active subscription's id again
  WatchKey key{q.name, q.type, q.rclass};
  // RFC 8765 6.2.1: a duplicate of an active subscription (names compared
  // case-insensitively) is a fatal error: the connection is aborted.
  for (const auto& [other, k] : s.subscriptions)
    if (k == key) return kAbort;
  if (s.subscriptions.size() >= options_.max_subscriptions) {
    ++refused_;
    return dns::rcode::REFUSED;
  }
  if (dns::is_meta_type(q.type) && q.type != dns::rrtype::ANY) return dns::rcode::REFUSED;
  // A zone's name, or a source's (RFC 8766 5.6: the proxy's link).
  RecordSource* src = source_of(q.name);
  std::shared_ptr<const zone::ZoneSet> snap;
  const zone::ZoneVersion* z = nullptr;
  if (!src) {
    snap = zones_.snapshot();
    z = snap->find(q.name);
    if (snap->unavailable(q.name, z)) return dns::rcode::SERVFAIL;
    if (!z || (q.rclass != z->rclass() && q.rclass != dns::rrclass::ANY)) return dns::rcode::NOTAUTH;
    if (z->lookup(q.name).kind == zone::LookupResult::Kind::delegation) return dns::rcode::NOTAUTH;
  }
  auto [it, fresh] = watches_.try_emplace(key);
  if (fresh) {
    it->second.q = q;
    it->second.source = src;
    if (src) {
      it->second.current = src->records(q);
      src->watch(q);
    } else {
      it->second.current = read_records(*snap, q);
      it->second.zone = z->origin();
      by_zone_[z->origin()].insert(key);
    }
  }
  it->second.subscribers.insert({conn, id});
  s.subscriptions.emplace(id, key);
  ++subscriptions_;
  ++subscribed_;
  s.dso.set_active(s.subscriptions.size(), clock_.now_ms());
  return dns::rcode::NOERROR;
}

void PushService::unsubscribe(Session& s, uint64_t conn, uint16_t id) {
  auto it = s.subscriptions.find(id);
  if (it == s.subscriptions.end()) return;  // already gone: nothing to undo
  auto w = watches_.find(it->second);
  if (w != watches_.end()) {
    w->second.subscribers.erase({conn, id});
    if (w->second.subscribers.empty()) {
      if (auto z = by_zone_.find(w->second.zone); !w->second.source && z != by_zone_.end()) {
        z->second.erase(it->second);
        if (z->second.empty()) by_zone_.erase(z);
      }
      if (w->second.source) w->second.source->unwatch(w->second.q);
      watches_.erase(w);
    }
  }
  s.subscriptions.erase(it);
  --subscriptions_;
  s.dso.set_active(s.subscriptions.size(), clock_.now_ms());
}

// RFC 8765 6.5: the client doubts a record. An authoritative server knows:
// if the zone does not hold it, the client's subscriptions that would cover
// it hear of its removal.
void PushService::reconfirm(Session& s, const dns::Record& r) {
  if (RecordSource* src = source_of(r.owner)) src->reconfirm(r);
  for (const auto& [id, key] : s.subscriptions) {
    const Watch& w = watches_.at(key);
    bool covers = w.q.name == r.owner && (w.q.type == r.type || w.q.type == dns::rrtype::ANY);
    if (!covers) continue;
    bool held = std::any_of(w.current.begin(), w.current.end(), [&](const dns::Record& c) { return same_data(c, r); });
    if (!held) {
      for (const auto& m : push_messages({{Change::remove, r}})) {
        send(s, m);
        ++pushes_;
      }
    }
    return;
  }
}

void PushService::push_changes(const Watch& w, const std::vector<PushRecord>& changes, uint64_t only_conn) {
  if (changes.empty()) return;
  auto msgs = push_messages(changes);
  for (const auto& [conn, id] : w.subscribers) {
    if (only_conn && conn != only_conn) continue;
    auto s = sessions_.find(conn);
    if (s == sessions_.end() || s->second.dead) continue;
    for (const auto& m : msgs) send(s->second, m);
    pushes_ += msgs.size();
  }
}

std::vector<dns::Record> PushService::read_records(const zone::ZoneSet& zones, const Question& q) const {
  std::vector<dns::Record> out;
  const zone::ZoneVersion* z = zones.find(q.name);
  if (!z) return out;
  const zone::Node* node = z->find(q.name);
  if (!node) return out;
  auto sets = node->rrsets();
  zone::RRsetView v;
  while (sets.next(v)) {
    // A CNAME answers every type (RFC 8765 6.2: the client follows it itself).
    if (q.type != dns::rrtype::ANY && v.type() != q.type && v.type() != dns::rrtype::CNAME) continue;
    auto rds = v.rdatas();
    std::span<const uint8_t> rd;
    while (rds.next(rd)) out.push_back({q.name, v.type(), z->rclass(), v.ttl(), {rd.begin(), rd.end()}});
  }
  return out;
}

void PushService::zone_changed(const dns::Name& origin) {
  std::lock_guard lk(mu_);
  auto keys = by_zone_.find(origin);
  if (keys == by_zone_.end() || keys->second.empty()) return;
  auto snap = zones_.snapshot();
  for (const auto& key : keys->second) {
    Watch& w = watches_.at(key);
    refresh(w, read_records(*snap, w.q));
  }
}

void PushService::refresh(Watch& w, std::vector<dns::Record> now) {
  auto changes = diff(w.current, now);
  if (changes.empty()) return;
  w.current = std::move(now);
  push_changes(w, changes);
}

RecordSource* PushService::source_of(const dns::Name& name) const {
  for (auto* s : sources_)
    if (s->covers(name)) return s;
  return nullptr;
}

void PushService::source_changed(const dns::Name& owner) {
  std::lock_guard lk(mu_);
  for (auto& [key, w] : watches_)
    if (w.source && w.q.name == owner) refresh(w, w.source->records(w.q));
}

void PushService::closed(uint64_t conn) {
  std::lock_guard lk(mu_);
  drop_session(conn);
}

void PushService::drop_session(uint64_t conn) {
  auto it = sessions_.find(conn);
  if (it == sessions_.end()) return;
  std::vector<uint16_t> ids;
  for (const auto& [id, key] : it->second.subscriptions) ids.push_back(id);
  for (uint16_t id : ids) unsubscribe(it->second, conn, id);
  sessions_.erase(it);
}

void PushService::tick() {
  std::lock_guard lk(mu_);
  const int64_t now = clock_.now_ms();
  for (auto& [conn, s] : sessions_) {
    if (s.dead || !s.dso.expired(now)) continue;
    s.dead = true;
    s.channel.close();  // the transport's closed() then drops it
  }
  end_removed_zones();
}

namespace {
bool serves(const zone::ZoneSet& zones, const dns::Name& origin) {
  const zone::ZoneVersion* z = zones.find(origin);
  if (z && z->origin() == origin) return true;
  const auto& off = zones.unavailable_zones();  // still configured, only not served now
  return std::find(off.begin(), off.end(), origin) != off.end();
}
}  // namespace

// RFC 8490 7.2.1: NOTAUTH, "no longer authoritative for the names in
// question"; a delay of 0 (6.6.1.1) because the session's other
// subscriptions may well succeed again at once.
void PushService::end_removed_zones() {
  if (by_zone_.empty()) return;
  auto snap = zones_.snapshot();
  std::set<uint64_t> conns;
  for (const auto& [origin, keys] : by_zone_) {
    if (serves(*snap, origin)) continue;
    for (const auto& key : keys)
      for (const auto& [conn, id] : watches_.at(key).subscribers) conns.insert(conn);
  }
  for (uint64_t conn : conns) {
    Session& s = sessions_.at(conn);
    Writer w(0, false, dns::rcode::NOTAUTH);
    w.retry_delay(0);
    if (!s.dead) send(s, w.take());
    s.dead = true;
    s.channel.close();
    std::vector<uint16_t> ids;
    for (const auto& [id, key] : s.subscriptions) ids.push_back(id);
    for (uint16_t id : ids) unsubscribe(s, conn, id);
  }
}

void PushService::set_options(const PushOptions& options) {
  std::lock_guard lk(mu_);
  const bool new_timers = !(options.timers == options_.timers);
  options_ = options;
  if (!new_timers) return;
  Writer w(0, false);
  w.keepalive({options.timers.inactivity_ms, options.timers.keepalive_ms});
  const std::vector<uint8_t> msg = w.take();
  const int64_t now = clock_.now_ms();
  for (auto& [conn, s] : sessions_) {
    if (s.dead) continue;
    s.dso.set_timers(options.timers, now);
    if (s.dso.established()) send(s, msg);  // RFC 8490 7.1: only once the session is in progress
  }
}

void PushService::start() {
  ticker_ = std::thread([this] {
    std::unique_lock lk(mu_);
    while (!stopping_) {
      stop_cv_.wait_for(lk, std::chrono::milliseconds(250));
      if (stopping_) break;
      lk.unlock();
      tick();
      lk.lock();
    }
  });
}

void PushService::shutdown(uint32_t retry_delay_ms) {
  {
    std::lock_guard lk(mu_);
    stopping_ = true;
    Writer w(0, false, dns::rcode::NOERROR);
    w.retry_delay(retry_delay_ms);
    auto msg = w.take();
    for (auto& [conn, s] : sessions_) {
      if (s.dead || !s.dso.established()) continue;
      send(s, msg);
      s.channel.close();
      s.dead = true;
    }
  }
  stop_cv_.notify_all();
  if (ticker_.joinable()) ticker_.join();
}

size_t PushService::sessions() const {
  std::lock_guard lk(mu_);
  return sessions_.size();
}

size_t PushService::subscriptions() const {
  std::lock_guard lk(mu_);
  return subscriptions_;
}

PushStats PushService::stats() const {
  std::lock_guard lk(mu_);
  return {sessions_.size(), subscriptions_, watches_.size(), by_zone_.size(), subscribed_, refused_, pushes_};
}

size_t PushHandler::handle(std::span<const uint8_t> query, std::span<uint8_t> response, const net::Peer& peer) {
  if (query.size() >= dns::kHeaderSize && ((query[2] >> 3) & 0x0f) == dns::opcode::DSO && peer.tcp)
    return service_.receive(query, response, peer);
  return inner_->handle(query, response, peer);
}

}  // namespace namae::push
