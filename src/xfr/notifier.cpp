#include "xfr/notifier.h"

#include <netinet/in.h>

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "dns/message.h"
#include "dns/rrtype.h"
#include "dns/tsig.h"

namespace namae::xfr {
namespace {

std::string zone_key(const dns::Name& zone) { return zone.lower().to_text(); }

// Same address and port: an answer must come from the target asked.
bool same_endpoint(const net::Endpoint& a, const net::Endpoint& b) {
  if (a.family() != b.family() || a.port() != b.port()) return false;
  if (a.family() == AF_INET)
    return reinterpret_cast<const sockaddr_in*>(&a.addr)->sin_addr.s_addr ==
           reinterpret_cast<const sockaddr_in*>(&b.addr)->sin_addr.s_addr;
  const auto& x = reinterpret_cast<const sockaddr_in6*>(&a.addr)->sin6_addr;
  const auto& y = reinterpret_cast<const sockaddr_in6*>(&b.addr)->sin6_addr;
  return std::memcmp(&x, &y, sizeof x) == 0;
}

uint32_t soa_serial(const dns::Record& soa) {
  // SOA rdata: MNAME, RNAME (uncompressed names), then SERIAL.
  size_t used = 0;
  std::span<const uint8_t> rd = soa.rdata;
  if (!dns::Name::from_wire_prefix(rd, used)) return 0;
  size_t more = 0;
  if (!dns::Name::from_wire_prefix(rd.subspan(used), more)) return 0;
  used += more;
  if (rd.size() < used + 4) return 0;
  return uint32_t{rd[used]} << 24 | uint32_t{rd[used + 1]} << 16 | uint32_t{rd[used + 2]} << 8 |
         rd[used + 3];
}

}  // namespace

Result<std::vector<uint8_t>> make_notify(const dns::Name& zone, const dns::Record& soa, uint16_t id,
                                         const std::optional<dns::TsigKey>& key, uint64_t now,
                                         std::vector<uint8_t>* mac_out) {
  std::vector<uint8_t> buf(dns::kMaxMessage);
  dns::MessageBuilder b(buf, buf.size());
  b.header().id = id;
  b.header().opcode = dns::opcode::NOTIFY;
  b.header().aa = true;
  if (!b.add_question(zone, dns::rrtype::SOA, dns::rrclass::IN) ||
      !b.add_record(soa.owner, dns::rrtype::SOA, dns::rrclass::IN, soa.ttl, soa.rdata))
    return fail("NOTIFY for " + zone.to_text() + " does not fit");
  size_t len = b.finish();
  if (key) {
    dns::TsigSignParams params;
    params.time_signed = now;
    auto signed_len = dns::tsig_sign(buf, len, *key, params, mac_out);
    if (!signed_len) return signed_len.error();
    len = *signed_len;
  }
  buf.resize(len);
  return buf;
}

dns::Record soa_record(const zone::ZoneVersion& v) {
  auto set = v.soa();
  auto rd = set.first();
  return dns::Record{v.origin(), dns::rrtype::SOA, v.rclass(), set.ttl(),
                     dns::RdataBytes(rd.begin(), rd.end())};
}

Notifier::Notifier(const Clock& clock, NotifySink& sink, NotifyOptions options, IdSource ids,
                   LogSink log)
    : clock_(clock), sink_(sink), options_(options), ids_(std::move(ids)), log_(std::move(log)) {
  options_.tries = std::max(options_.tries, 1);
}

void Notifier::set_targets(const dns::Name& zone, std::vector<Remote> targets) {
  auto& peers = zones_[zone_key(zone)];
  peers.clear();
  for (auto& t : targets) peers.push_back(Peer{zone, std::move(t), {}, {}, {}});
  if (peers.empty()) zones_.erase(zone_key(zone));
}

bool Notifier::has_targets(const dns::Name& zone) const { return zones_.count(zone_key(zone)) != 0; }

size_t Notifier::target_count(const dns::Name& zone) const {
  auto it = zones_.find(zone_key(zone));
  return it == zones_.end() ? 0 : it->second.size();
}

size_t Notifier::zone_changed(const dns::Name& zone, const dns::Record& soa, bool force) {
  auto it = zones_.find(zone_key(zone));
  if (it == zones_.end()) return 0;
  const uint32_t serial = soa_serial(soa);
  for (auto& p : it->second) {
    if (!force && p.last_serial == serial) continue;
    p.last_serial = serial;
    if (!p.flight) {
      start(p, soa);
    } else if (clock_.now_ms() - p.flight->last_sent >= options_.supersede_after_ms && renew(p, soa)) {
      p.pending.reset();
      send(p);
    } else {
      p.pending = soa;  // sent once the flight ends or at its next try (coalescing)
    }
  }
  return it->second.size();
}

void Notifier::start(Peer& p, const dns::Record& soa) {
  Flight f;
  f.id = ids_();
  f.serial = soa_serial(soa);
  auto wire = make_notify(p.zone, soa, f.id, p.target.key, static_cast<uint64_t>(clock_.unix_time()),
                          &f.mac);
  if (!wire) {
    log_to(log_, LogLevel::error, describe(p) + ": " + wire.message());
    count(&NotifyStats::failed);
    return;
  }
  f.wire = std::move(*wire);
  f.wait = options_.first_retry_ms;
  p.flight = std::move(f);
  send(p);
}

// The flight's message becomes a NOTIFY for `soa` (new ID, new MAC); its
// count of tries and its backoff go on as they were, so a target that never
// answers is still given up on after `tries` sends.
bool Notifier::renew(Peer& p, const dns::Record& soa) {
  Flight& f = *p.flight;
  std::vector<uint8_t> mac;
  const uint16_t id = ids_();
  auto wire = make_notify(p.zone, soa, id, p.target.key, static_cast<uint64_t>(clock_.unix_time()), &mac);
  if (!wire) return false;
  f.id = id;
  f.serial = soa_serial(soa);
  f.wire = std::move(*wire);
  f.mac = std::move(mac);
  return true;
}

void Notifier::send(Peer& p) {
  Flight& f = *p.flight;
  sink_.send(p.target.address, f.wire);
  ++f.sent;
  f.last_sent = clock_.now_ms();
  f.next_at = f.last_sent + f.wait;
  f.wait = std::min(f.wait * 2, options_.max_retry_ms);
  count(&NotifyStats::sent);
  log_to(log_, LogLevel::debug,
         fmt::format("{}: NOTIFY serial {} sent (try {} of {})", describe(p), f.serial, f.sent, options_.tries));
}

// The flight ended (answered or given up on): the newest pending SOA, if
// any, goes out now.
void Notifier::finish(Peer& p) {
  p.flight.reset();
  if (p.pending) {
    dns::Record soa = std::move(*p.pending);
    p.pending.reset();
    start(p, soa);
  }
}

void Notifier::tick() {
  const int64_t now = clock_.now_ms();
  for (auto& [name, peers] : zones_)
    for (auto& p : peers) {
      if (!p.flight || p.flight->next_at > now) continue;
      if (p.flight->sent < options_.tries) {
        if (p.pending && renew(p, *p.pending)) p.pending.reset();  // resend the newest serial
        send(p);
        continue;
      }
      log_to(log_, LogLevel::warning,
             fmt::format("{}: NOTIFY serial {} not answered after {} tries", describe(p),
                         p.flight->serial, p.flight->sent));
      count(&NotifyStats::failed);
      finish(p);
    }
}

std::optional<int64_t> Notifier::next_timer() const {
  std::optional<int64_t> next;
  for (const auto& [name, peers] : zones_)
    for (const auto& p : peers)
      if (p.flight && (!next || p.flight->next_at < *next)) next = p.flight->next_at;
  return next;
}

size_t Notifier::in_flight() const {
  size_t n = 0;
  for (const auto& [name, peers] : zones_)
    for (const auto& p : peers) n += p.flight.has_value();
  return n;
}

// RFC 1996 3.6: the answer matches the NOTIFY's ID and QNAME and comes from
// the target's address and port; QR, the NOTIFY opcode and the SOA question
// are checked once by receive(). When we signed, it must be signed over our
// MAC (RFC 8945 5.3).
bool Notifier::answers(const Peer& p, const dns::MessageView& msg, const net::Endpoint& from) const {
  if (!p.flight || msg.header().id != p.flight->id || !same_endpoint(p.target.address, from)) return false;
  if (!(msg.qname() == p.zone)) return false;
  if (!p.target.key) return true;
  dns::TsigVerifyParams params;
  params.now = static_cast<uint64_t>(clock_.unix_time());
  params.prior_mac = &p.flight->mac;
  auto v = dns::tsig_verify_response(msg, *p.target.key, params);
  if (!v.ok()) {
    log_to(log_, LogLevel::warning,
           fmt::format("{}: NOTIFY answer ignored: TSIG {}", describe(p), dns::tsig_status_text(v.status)));
    return false;
  }
  return true;
}

void Notifier::receive(std::span<const uint8_t> wire, const net::Endpoint& from) {
  dns::MessageView msg;
  if (msg.parse(wire) != dns::WireError::ok) return;
  const auto& h = msg.header();
  if (!h.qr || h.opcode != dns::opcode::NOTIFY || h.qdcount != 1 || msg.qtype() != dns::rrtype::SOA) return;
  for (auto& [name, peers] : zones_)
    for (auto& p : peers) {
      if (!answers(p, msg, from)) continue;
      const uint8_t rcode = h.rcode;
      if (rcode == dns::rcode::NOERROR) {
        count(&NotifyStats::answered);
        log_to(log_, LogLevel::info,
               fmt::format("{}: NOTIFY serial {} answered", describe(p), p.flight->serial));
      } else {
        // An error answer (NOTIMP from a server without NOTIFY, REFUSED
        // from one that does not take it from us) will not change on a resend.
        count(&NotifyStats::failed);
        log_to(log_, LogLevel::warning,
               fmt::format("{}: NOTIFY serial {} answered {}", describe(p), p.flight->serial,
                           dns::rcode_to_text(rcode)));
      }
      finish(p);
      return;
    }
}

void Notifier::count(uint64_t NotifyStats::*field) {
  ++(stats_.*field);
  if (!metrics_) return;
  if (field == &NotifyStats::sent) metrics_->notify_sent.fetch_add(1);
  else if (field == &NotifyStats::answered) metrics_->notify_answered.fetch_add(1);
  else metrics_->notify_failed.fetch_add(1);
}

std::string Notifier::describe(const Peer& p) const {
  return "zone " + p.zone.to_text() + " notify " + p.target.to_string();
}

}  // namespace namae::xfr
