// UpdateService::handle and the checks it makes on the transport worker
// (request.h); the zone's writer (writer.cpp) takes it from there.
#include "update/request.h"

#include <arpa/inet.h>
#include <fmt/format.h>

#include <algorithm>

#include "dns/rrtype.h"
#include "dnssec/sig0.h"
#include "update/context.h"
#include "update/srp.h"
#include "update/writer.h"

namespace namae::update {

namespace rc = dns::rcode;

namespace {

std::string peer_text(const net::Peer& p) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (p.addr.ss_family == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&p.addr)->sin_addr, buf, sizeof buf);
  else if (p.addr.ss_family == AF_INET6)
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&p.addr)->sin6_addr, buf,
              sizeof buf);
  else
    return "local";
  return buf;
}

// Who holds the leases an update grants, as the HTTP API writes it
// ("http:USER@ADDR"): the key and the address it came from, for status.
std::string lease_holder(const dns::TsigVerification& tv, const std::string& peer) {
  std::string holder = "dns:";
  if (tv.ok()) {
    std::string key = tv.key->name.to_text();
    if (key.size() > 1 && key.back() == '.') key.pop_back();
    holder += key + "@";
  }
  return holder + peer;
}

}  // namespace

size_t build_update_reply(const dns::MessageView& q, std::span<uint8_t> response, bool tcp,
                          const dns::TsigVerification& tv, uint16_t code,
                          const std::vector<uint8_t>& options, int64_t now) {
  const dns::Header& qh = q.header();
  const dns::Edns& qe = q.edns();
  size_t limit = response.size();
  if (!tcp) {
    size_t udp = qe.present ? std::max<size_t>(512, std::min<size_t>(qe.udp_size, 1232)) : 512;
    limit = std::min(limit, udp);
  }
  auto out = response.first(limit);
  dns::MessageBuilder b(out, limit);
  dns::Header& h = b.header();
  h.id = qh.id;
  h.qr = true;
  h.opcode = dns::opcode::UPDATE;
  dns::Edns re;
  re.present = qe.present;
  re.udp_size = 1232;
  constexpr size_t kOptReserve = 11 + 12;  // OPT + an UPDATE-LEASE option
  if (re.present) b.reserve(kOptReserve);
  // The reply's TSIG: names as in the request, a full-length MAC, other data.
  if (q.has_tsig()) b.reserve(q.data().size() - q.tsig_offset() + 64 + 8);

  dns::set_full_rcode(code, h, re);
  if (qh.qdcount == 1) {
    auto raw = q.data().subspan(q.question_offset(), q.question_end() - 4 - q.question_offset());
    if (!b.add_question_raw(raw, q.qtype(), q.qclass()))
      (void)b.add_question(q.qname(), q.qtype(), q.qclass());
  }
  if (re.present) {
    re.options = options;
    b.add_opt(re);
  }
  size_t len = b.finish();
  if (tv.record) {
    auto signed_len = dns::tsig_sign_reply(out, len, tv, static_cast<uint64_t>(now));
    if (signed_len) len = *signed_len;
  }
  return len;
}

std::vector<uint8_t> lease_option(const UpdateResult& res, bool edns) {
  std::vector<uint8_t> options;
  if (res.rcode == rc::NOERROR && res.lease && edns) {
    dns::UpdateLease granted{*res.lease, res.key_lease};
    dns::append_edns_option(options, dns::edns_option::UPDATE_LEASE,
                            dns::encode_update_lease(granted));
  }
  return options;
}

void log_update_result(const LogSink& log, const std::string& peer, const std::string& who,
                       const dns::Name& zone, const UpdateResult& res) {
  if (res.rcode == rc::NOERROR)
    log_to(log, res.changed ? LogLevel::info : LogLevel::debug,
           fmt::format("update from {} ({}) for {}: {}{}", peer, who, zone.to_text(),
                       res.changed ? "applied, serial " + std::to_string(res.serial)
                                   : std::string("no change"),
                       res.lease ? ", lease " + std::to_string(*res.lease) : ""));
  else
    log_to(log, LogLevel::info,
           fmt::format("update from {} ({}) for {}: {}: {}", peer, who, zone.to_text(),
                       dns::rcode_to_text(res.rcode), res.reason));
}

size_t UpdateService::handle(const dns::MessageView& q, std::span<uint8_t> response,
                             const net::Peer& peer, const zone::ZoneSet& zones) {
  const auto received = std::chrono::steady_clock::now();
  const int64_t now = ctx_->clock.unix_time();
  CheckedUpdate u;
  std::shared_ptr<ZoneWriter> zone;
  if (uint16_t code = check(q, peer, zones, now, u, zone); code != rc::NOERROR)
    return build_update_reply(q, response, peer.tcp, u.tsig, code, {}, now);

  if (peer.can_defer()) {
    // Hand it to the zone's writer; this transport worker goes back to queries.
    QueuedUpdate queued;
    queued.wire.assign(q.data().begin(), q.data().end());
    queued.channel = peer.channel();
    queued.update = std::move(u);
    queued.received = received;
    // Shutting down: no writer any more; the caller gets no answer and retries.
    return zone->enqueue(std::move(queued)) ? net::kDeferred : 0;
  }

  UpdateResult res = zone->apply(u.msg, u.permission, u.lease, u.granted_to);
  log_update_result(ctx_->log, u.peer, u.who, u.msg.zone, res);
  return build_update_reply(q, response, peer.tcp, u.tsig, res.rcode,
                            lease_option(res, q.edns().present), now);
}

uint16_t UpdateService::check(const dns::MessageView& q, const net::Peer& peer,
                              const zone::ZoneSet& zones, int64_t now, CheckedUpdate& u,
                              std::shared_ptr<ZoneWriter>& zone) const {
  if (uint16_t code = verify_tsig(q, peer, now, u); code != rc::NOERROR) return code;
  if (q.edns().present) {
    if (auto opt = q.edns().find(dns::edns_option::UPDATE_LEASE)) {
      u.lease = dns::parse_update_lease(opt->data);
      if (!u.lease) return rc::FORMERR;  // RFC 9664: LEASE, optionally KEY-LEASE
    }
  }
  std::string why;
  if (uint16_t code = read_update(q, u.msg, &why); code != rc::NOERROR) {
    ctx_->say(LogLevel::info, fmt::format("update from {}: {}: {}", peer_text(peer),
                                          dns::rcode_to_text(code), why));
    return code;
  }
  if (uint16_t code = find_zone(u.msg, peer, zones, zone); code != rc::NOERROR) return code;

  u.peer = peer_text(peer);
  u.who = u.tsig.ok() ? "key " + u.tsig.key->name.to_text() : "unsigned";
  u.config = zone->config();  // keeps the policy alive while the update waits
  const ZoneUpdateConfig& cfg = *u.config;
  if (cfg.allow_update.allows(reinterpret_cast<const sockaddr*>(&peer.addr), peer.addr_len)) {
    u.permission.everything = true;
  } else if (u.tsig.ok() && cfg.policy.knows(u.tsig.key->name)) {
    u.permission.policy = &cfg.policy;
    u.permission.signer = u.tsig.key->name;
  } else if (cfg.srp && !q.has_tsig()) {
    return check_srp(q, now, u);
  } else {
    ctx_->say(LogLevel::info, fmt::format("update from {} ({}) for {}: REFUSED (not allowed)",
                                          u.peer, u.who, u.msg.zone.to_text()));
    ServiceContext::count(ctx_->refused);
    return rc::REFUSED;
  }
  u.granted_to = lease_holder(u.tsig, u.peer);
  return rc::NOERROR;
}

uint16_t UpdateService::check_srp(const dns::MessageView& q, int64_t now, CheckedUpdate& u) const {
  auto refuse = [&](uint16_t code, const std::string& why) {
    ctx_->say(LogLevel::info, fmt::format("SRP update from {} for {}: {}: {}", u.peer,
                                          u.msg.zone.to_text(), dns::rcode_to_text(code), why));
    ServiceContext::count(ctx_->refused);
    return code;
  };
  auto sig = dnssec::find_sig0(q);
  if (!sig) return refuse(rc::FORMERR, sig.message());
  if (!*sig) return refuse(rc::REFUSED, "not signed (no TSIG, no SIG(0))");
  SrpClaim claim;
  std::string why;
  if (uint16_t code = read_srp(u.msg, claim, &why); code != rc::NOERROR) return refuse(code, why);
  // Requesters without a clock (Thread devices) sign with no validity
  // period at all; any other period is checked.
  const auto& f = (*sig)->fields;
  std::optional<uint32_t> at;
  if (f.inception != 0 || f.expiration != 0) at = static_cast<uint32_t>(now);
  if (auto ok = dnssec::verify_sig0(q.data(), **sig, claim.key, at); !ok)
    return refuse(rc::REFUSED, "SIG(0): " + ok.message());
  const bool remove = u.lease && u.lease->lease == 0;
  if (!remove && claim.addresses == 0) return refuse(rc::FORMERR, "a host with no address");
  const bool keep_key = u.lease && u.lease->key_lease.value_or(u.lease->lease) != 0;
  srp_apply_form(u.msg, claim, remove, keep_key);
  std::string host = claim.host.to_text();
  u.who = "SIG(0) of " + host;
  u.granted_to = "srp:" + host + "@" + u.peer;
  u.permission.srp = std::make_shared<const SrpClaim>(std::move(claim));
  return rc::NOERROR;
}

uint16_t UpdateService::verify_tsig(const dns::MessageView& q, const net::Peer& peer, int64_t now,
                                    CheckedUpdate& u) const {
  if (!q.has_tsig()) return rc::NOERROR;
  dns::TsigVerifyParams params;
  params.now = static_cast<uint64_t>(now);
  u.keys = keys_.get();
  dns::TsigVerification& tv = u.tsig;
  tv = dns::tsig_verify(q, *u.keys, params);
  if (tv.status == dns::TsigStatus::formerr) tv.record.reset();  // answered unsigned
  if (tv.ok()) return rc::NOERROR;
  ctx_->say(LogLevel::warning, fmt::format("update from {}: TSIG {}", peer_text(peer),
                                           dns::tsig_status_text(tv.status)));
  ServiceContext::count(ctx_->refused);
  return tv.status == dns::TsigStatus::formerr ? rc::FORMERR : tv.reply_rcode();
}

uint16_t UpdateService::find_zone(const UpdateMessage& msg, const net::Peer& peer,
                                  const zone::ZoneSet& zones, std::shared_ptr<ZoneWriter>& zone) const {
  zone = find(msg.zone);
  // The zone's class never changes, so reading it needs no lock.
  if (zone && msg.zclass == zone->rclass()) return rc::NOERROR;
  // RFC 2136 3.1.2: not a zone we are authoritative for is NOTAUTH; a zone
  // we serve but that is not dynamic refuses updates (as BIND).
  bool served = zones.get(msg.zone) != nullptr && msg.zclass == dns::rrclass::IN;
  ctx_->say(LogLevel::info, fmt::format("update from {} for {}: {}", peer_text(peer),
                                        msg.zone.to_text(),
                                        served ? "zone is not dynamic" : "not authoritative"));
  return served ? rc::REFUSED : rc::NOTAUTH;
}

}  // namespace namae::update
