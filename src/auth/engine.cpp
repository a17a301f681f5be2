#include "auth/engine.h"

#include <netinet/in.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "auth/reply.h"
#include "dns/wire.h"
#include "net/address.h"

namespace namae::auth {

using dns::MessageBuilder;
using dns::Name;
using dns::Section;
using zone::LookupResult;
using zone::Node;
using zone::RRsetView;
using zone::ZoneVersion;
namespace rrtype = dns::rrtype;
namespace rcode = dns::rcode;

namespace {

constexpr size_t kOptSize = 11;  // root owner, type, class, ttl, rdlength: no options

// A response carrying only a header (malformed queries: nothing else is trusted).
size_t header_only(const dns::Header& q, uint8_t rc, std::span<uint8_t> out) {
  if (out.size() < dns::kHeaderSize) return 0;
  dns::Header h;
  h.id = q.id;
  h.qr = true;
  h.opcode = q.opcode;
  h.rd = q.rd;
  h.cd = q.cd;
  h.rcode = rc;
  h.write(out.data());
  return dns::kHeaderSize;
}

// Offset of the first name inside rdata that gets additional-section
// processing (RFC 1034 3.6 / RFC 2782): NS at 0, MX after the preference,
// SRV after priority, weight and port.
int target_offset(uint16_t type) {
  switch (type) {
    case rrtype::NS:
      return 0;
    case rrtype::MX:
      return 2;
    case rrtype::SRV:
      return 6;
    default:
      return -1;
  }
}

// Octets the TSIG of the reply to `tv` takes: owner, fixed RR fields, the
// algorithm name, time/fudge/MAC size/original ID/error/other length, the
// MAC (none in a BADKEY/BADSIG reply), and a BADTIME reply's server time.
size_t tsig_reply_size(const dns::TsigVerification& tv) {
  const dns::TsigRecord& r = *tv.record;
  size_t mac = tv.key ? dns::tsig_digest_length(tv.key->algorithm) : 0;
  return r.key_name.wire().size() + 10 + r.algorithm.wire().size() + 16 + mac + 6;
}

}  // namespace

AuthEngine::AuthEngine(const zone::ZoneSetHolder& zones, AuthOptions options,
                       net::WorkerMetrics* metrics)
    : AuthEngine(zones, std::make_shared<const AuthSettings>(std::make_shared<const AuthOptions>(std::move(options))),
                 metrics) {}

AuthEngine::AuthEngine(const zone::ZoneSetHolder& zones, std::shared_ptr<const AuthSettings> settings,
                       net::WorkerMetrics* metrics)
    : holder_(zones), settings_(std::move(settings)), opts_(*settings_), metrics_(metrics) {
  take_options();
  refresh();
}

// What the engine derives from its options, again after each publish (a
// reconfiguration: rare, so allocating here is fine).
void AuthEngine::take_options() {
  max_udp_payload_ = std::max<uint16_t>(opts_->max_udp_payload, 512);
  chain_.resize(opts_->max_chain + 2);
  links_.resize(opts_->max_chain + 2);
  cookies_.reset();
  if (opts_->cookies) cookies_ = std::make_unique<dns::ServerCookies>(*opts_->cookies);
}

void AuthEngine::set_opcode_handler(uint8_t opcode, RequestHandler* handler) {
  opcode_handlers_[opcode & 0x0f] = handler;
}

void AuthEngine::refresh() {
  uint64_t g = holder_.generation();
  bool new_options = opts_.refresh();
  if (new_options) take_options();
  if (g == gen_ && snap_ && !new_options) return;
  snap_ = holder_.snapshot();
  gen_ = g;
  zone_slots_.clear();
  // Per zone index, so the query path finds a zone's list without a search.
  zone_acls_.clear();
  for (const auto& z : snap_->zones()) zone_acls_.push_back(query_acl(*snap_, z.get(), SIZE_MAX));
  if (metrics_ && metrics_->registry()) {
    // Rare (once per reload): the registry lock and the text form are fine here.
    for (const auto& z : snap_->zones()) {
      std::string name = z->origin().lower().to_text();
      if (name.size() > 1) name.pop_back();
      zone_slots_.push_back(metrics_->registry()->zone_slot(name));
    }
  }
}

const net::AddressAcl* AuthEngine::query_acl(const zone::ZoneSet& zones, const ZoneVersion* zone,
                                             size_t index) const {
  if (&zones == snap_.get() && index < zone_acls_.size()) return zone_acls_[index];
  // Another snapshot (answer() from tools and tests) or refresh() itself:
  // a search by origin, over the zones that have their own list only.
  for (const auto& [origin, acl] : opts_->zone_allow_query)
    if (origin == zone->origin()) return &acl;
  return opts_->allow_query ? &*opts_->allow_query : nullptr;
}

void AuthEngine::begin_batch() { refresh(); }

void AuthEngine::end_batch() {
  if (holder_.generation() != gen_ || opts_.stale()) refresh();
}

size_t AuthEngine::handle(std::span<const uint8_t> query, std::span<uint8_t> response,
                          const net::Peer& peer) {
  // Two relaxed-cost loads per query; the snapshot and the options are
  // re-taken only after a publish, so the TCP path (which has no batches)
  // stays current too.
  if (holder_.generation() != gen_ || opts_.stale()) [[unlikely]] refresh();
  return dispatch(*snap_, query, response, peer);
}

size_t AuthEngine::answer(const zone::ZoneSet& zones, std::span<const uint8_t> query,
                          std::span<uint8_t> response, bool tcp) {
  net::Peer peer;
  peer.tcp = tcp;
  return dispatch(zones, query, response, peer);
}

size_t AuthEngine::dispatch(const zone::ZoneSet& zones, std::span<const uint8_t> query,
                            std::span<uint8_t> response, const net::Peer& peer) {
  if (query.size() < dns::kHeaderSize || response.size() < dns::kHeaderSize) return 0;
  dns::Header qh = dns::Header::read(query.data());
  if (qh.qr) return 0;  // never answer a response (RFC 1035 7.1; reflection loops)
  // DNS Stateful Operations (RFC 8490) live on the push listeners
  // (src/push). A datagram cannot carry a session (5.1): FORMERR; this
  // listener's connections hold none: NOTIMP, "no DSO here" (5.1.1).
  // Both before parsing, as a DSO message's TLVs are no DNS sections.
  if (qh.opcode == dns::opcode::DSO) [[unlikely]]
    return qh.id ? header_only(qh, peer.tcp ? rcode::NOTIMP : rcode::FORMERR, response) : 0;

  dns::MessageView view;
  if (view.parse(query) != dns::WireError::ok)
    return rate_limit_error(peer, response, header_only(qh, rcode::FORMERR, response), nullptr);
  if (view.has_tsig()) [[unlikely]]
    return dispatch_signed(zones, view, qh, query, response, peer);
  return respond(zones, view, qh, query, response, peer, nullptr);
}

size_t AuthEngine::dispatch_signed(const zone::ZoneSet& zones, const dns::MessageView& view,
                                   const dns::Header& qh, std::span<const uint8_t> query,
                                   std::span<uint8_t> response, const net::Peer& peer) {
  // Requests routed to another handler keep their TSIG for it to verify.
  if (qh.opcode != dns::opcode::QUERY) {
    if (opcode_handlers_[qh.opcode & 0x0f])
      return respond(zones, view, qh, query, response, peer, nullptr);
  } else if (transfer_ && qh.qdcount == 1 &&
             ((peer.tcp && view.qtype() == rrtype::AXFR) || view.qtype() == rrtype::IXFR)) {
    return respond(zones, view, qh, query, response, peer, nullptr);
  }
  dns::TsigVerifyParams params;
  params.now = dns::tsig_now();
  dns::TsigVerification tv = dns::tsig_verify(view, opts_->tsig_keys, params);
  if (tv.status == dns::TsigStatus::formerr) tv.record.reset();  // FORMERR goes out unsigned
  return respond(zones, view, qh, query, response, peer, &tv);
}

namespace {

// The most a reply may take: the client's EDNS UDP size, our own and 512
// bound it over UDP (RFC 6891 6.2.5); TCP is bounded by the buffer only.
size_t reply_limit(const dns::Edns& qe, bool tcp, size_t buffer, uint16_t max_udp_payload) {
  if (tcp) return buffer;
  size_t udp = 512;
  if (qe.present) udp = std::max<size_t>(512, std::min<size_t>(qe.udp_size, max_udp_payload));
  return std::min(buffer, udp);
}

}  // namespace

size_t AuthEngine::respond(const zone::ZoneSet& zones, const dns::MessageView& view,
                           const dns::Header& qh, std::span<const uint8_t> query,
                           std::span<uint8_t> response, const net::Peer& peer,
                           const dns::TsigVerification* tv) {
  const dns::Edns& qe = view.edns();
  Reply r{
      view,
      qh,
      query,
      response,
      tv,
      MessageBuilder(response, reply_limit(qe, peer.tcp, response.size(), max_udp_payload_)),
      dns::Edns{}};
  dns::Header& h = r.b.header();
  h.id = qh.id;
  h.qr = true;
  h.opcode = qh.opcode;
  h.rd = qh.rd;
  h.cd = qh.cd;
  r.peer = &peer;
  r.rrl_exempt = tv && tv->ok();
  r.re.present = qe.present;
  r.re.udp_size = max_udp_payload_;
  r.re.do_bit = qe.do_bit;
  if (r.re.present) r.b.reserve(kOptSize);
  // Room for the reply's TSIG, so that truncation leaves space for it.
  if (tv && tv->record) r.b.reserve(tsig_reply_size(*tv));

  // RFC 8945 5.2: a query whose TSIG fails gets only the error (NOTAUTH with
  // BADKEY/BADSIG unsigned, BADTIME/BADTRUNC signed; FORMERR if malformed).
  if (tv && !tv->ok()) return finish(r, tv->reply_rcode(), true);

  // RFC 6891 6.1.3: an unknown EDNS version gets BADVERS and our version (0).
  if (qe.present && qe.version > 0) return finish(r, rcode::BADVERS, true);

  // RFC 7873 5.2: only the first COOKIE option counts. A server cookie we
  // cannot vouch for over UDP gets BADCOOKIE (with a good one to retry
  // with, 5.2.3), as PowerDNS does; over TCP the handshake already proved
  // the address, so the answer goes out with the new cookie.
  if (cookies_ && qe.present) [[unlikely]] {
    if (auto option = qe.find(dns::edns_option::COOKIE)) {
      switch (take_cookie(r, option->data, peer)) {
        case dns::CookieVerdict::valid:
          r.rrl_exempt = true;  // a server cookie we made: the address is the client's
          break;
        case dns::CookieVerdict::malformed:
          return finish(r, rcode::FORMERR, true);
        case dns::CookieVerdict::invalid:
          if (!peer.tcp && qh.opcode == dns::opcode::QUERY) return finish(r, rcode::BADCOOKIE, true);
          break;
        default:
          break;
      }
    }
  }

  if (qh.opcode != dns::opcode::QUERY) {
    if (RequestHandler* handler = opcode_handlers_[qh.opcode & 0x0f]) {
      const size_t len = handler->handle(view, response, peer, zones);
      if (r.rrl_exempt) return len;  // verified by a server cookie
      return rate_limit_error(peer, response, len, qh.qdcount == 1 ? &view.qname() : nullptr);
    }
    return finish(r, rcode::NOTIMP, false);  // as NSD and BIND: header only
  }
  if (qh.qdcount != 1) return finish(r, rcode::FORMERR, false);

  switch (view.qtype()) {
    case rrtype::OPT:
    case rrtype::TSIG:
    case rrtype::TKEY:  // outside a TKEY exchange
      return finish(r, rcode::FORMERR, true);
    case rrtype::AXFR:
    case rrtype::IXFR:
      if (transfer_ && (peer.tcp || view.qtype() == rrtype::IXFR))
        return transfer_->handle(view, response, peer, zones);
      if (!peer.tcp) return finish(r, rcode::FORMERR, true);
      return finish(r, rcode::NOTIMP, true);
    case rrtype::MAILB:
    case rrtype::MAILA:
      return finish(r, rcode::NOTIMP, true);
    default:
      break;
  }
  const uint16_t qclass = view.qclass();
  if (qclass != dns::rrclass::IN && qclass != dns::rrclass::ANY)
    return finish(r, rcode::REFUSED, true);
  if (names_ && !tv && names_->covers(view.qname())) [[unlikely]]
    return answer_by_name_handler(zones, view, response, peer, r.rrl_exempt);
  return answer_query(r, zones);
}

size_t AuthEngine::answer_by_name_handler(const zone::ZoneSet& zones, const dns::MessageView& view,
                                          std::span<uint8_t> response, const net::Peer& peer, bool exempt) {
  const size_t len = names_->handle(view, response, peer, zones);
  if (!opts_->rrl || exempt || peer.tcp || len < dns::kHeaderSize || len == net::kDeferred) return len;
  const auto acct = classify_reply(response.first(len));
  if (!acct) return len;
  return apply_rrl(account(peer, acct->cls, acct->key, &view.qname()), response, len);
}

// Judges the query's COOKIE option and, unless it is malformed, puts the
// reply's (the client cookie and our server cookie) into the reply's OPT.
dns::CookieVerdict AuthEngine::take_cookie(Reply& r, std::span<const uint8_t> option, const net::Peer& peer) {
  dns::CookieReply data{};
  // RFC 9018 4.4 hashes the client's IP as it is: 4 octets or 16.
  const auto client_ip = net::address_octets(reinterpret_cast<const sockaddr*>(&peer.addr), peer.addr_len);
  const auto verdict = cookies_->check(option, client_ip, static_cast<uint32_t>(dns::tsig_now()), data);
  if (verdict == dns::CookieVerdict::malformed) return verdict;
  reply_options_[0] = 0;
  reply_options_[1] = static_cast<uint8_t>(dns::edns_option::COOKIE);
  reply_options_[2] = 0;
  reply_options_[3] = static_cast<uint8_t>(data.size());
  std::copy(data.begin(), data.end(), reply_options_.begin() + 4);
  r.re.options = std::span<const uint8_t>(reply_options_.data(), kCookieOptionSize);
  r.b.reserve(kCookieOptionSize);
  return verdict;
}

bool AuthEngine::query_allowed(const Reply& r, const net::AddressAcl* acl) const {
  if (!acl) return true;
  // A key entry admits only a query whose TSIG verified (RFC 8945 5.2).
  const Name* key = r.tv && r.tv->ok() && r.tv->key ? &r.tv->key->name : nullptr;
  return acl->allows(reinterpret_cast<const sockaddr*>(&r.peer->addr), r.peer->addr_len, key);
}

const net::AddressAcl* AuthEngine::listener_acl(const Reply& r) const {
  const auto& acls = opts_->listener_allow_query;
  if (!r.peer || r.peer->listener >= acls.size() || !acls[r.peer->listener]) return nullptr;
  return &*acls[r.peer->listener];
}

size_t AuthEngine::refuse_prohibited(Reply& r) {
  // RFC 8914 3: EDE only in a reply to a query with EDNS (an OPT record).
  if (r.re.present) {
    const size_t off = r.re.options.size();  // after the COOKIE option, if any
    const size_t n = dns::write_ede_option(std::span<uint8_t>(reply_options_).subspan(off), dns::ede::PROHIBITED);
    r.re.options = std::span<const uint8_t>(reply_options_.data(), off + n);
    r.b.reserve(n);
  }
  return finish(r, rcode::REFUSED, true);
}

void AuthEngine::add_question(Reply& r) {
  if (r.qh.qdcount != 1) return;
  const dns::MessageView& v = r.view;
  auto raw = r.query.subspan(v.question_offset(), v.question_end() - 4 - v.question_offset());
  if (!r.b.add_question_raw(raw, v.qtype(), v.qclass()))
    (void)r.b.add_question(v.qname(), v.qtype(), v.qclass());
}

size_t AuthEngine::finish(Reply& r, uint16_t rc, bool question) {
  if (opts_->rrl && !r.rrl_exempt && r.peer && !r.peer->tcp) [[unlikely]] {
    switch (rate_limit(r, rc)) {
      case RrlAction::drop:
        return 0;
      case RrlAction::slip:  // BIND's and Knot's slip: TC=1, the question only
        if (r.has_question_mark) r.b.rollback(r.question_mark);
        r.b.set_truncated();
        break;
      case RrlAction::send:
        break;
    }
  }
  dns::set_full_rcode(rc, r.b.header(), r.re);
  if (question) add_question(r);
  if (r.re.present) r.b.add_opt(r.re);
  size_t len = r.b.finish();
  if (r.tv && r.tv->record) [[unlikely]] {
    auto signed_len =
        dns::tsig_sign_reply(r.response.first(r.b.limit()), len, *r.tv, dns::tsig_now());
    // Cannot happen with the space reserved; the client would reject the
    // reply unsigned, so SERVFAIL rather than an answer it cannot verify.
    if (!signed_len) return header_only(r.qh, rcode::SERVFAIL, r.response);
    len = *signed_len;
  }
  return len;
}

size_t AuthEngine::answer_query(Reply& r, const zone::ZoneSet& zones) {
  const Name& qname = r.view.qname();
  r.qtype = r.view.qtype();
  size_t zone_index = 0;
  const ZoneVersion* zone = zones.find(qname, &zone_index);
  // A DS record lives in the parent: at a child apex we also serve, answer
  // from the parent zone if we have it (RFC 4035 3.1.4.1).
  if (zone && r.qtype == rrtype::DS && zone->origin() == qname && !qname.is_root()) {
    size_t parent_index = 0;
    if (const ZoneVersion* parent = zones.find(qname.strip_left(1), &parent_index)) {
      zone = parent;
      zone_index = parent_index;
    }
  }
  // allow-query before anything about the zone (even that it expired):
  // the listener's, then the zone's.
  if (zone && (!query_allowed(r, listener_acl(r)) || !query_allowed(r, query_acl(zones, zone, zone_index))))
      [[unlikely]]
    return refuse_prohibited(r);
  // A secondary zone that expired or was never transferred (RFC 1035 3.3.13).
  if (zones.unavailable(qname, zone)) [[unlikely]] return finish(r, rcode::SERVFAIL, true);
  if (!zone) return finish(r, rcode::REFUSED, true);  // never recursive
  if (metrics_ && zone_index < zone_slots_.size()) metrics_->zone_query(zone_slots_[zone_index]);

  add_question(r);
  if (r.b.count(Section::question) != 1) return finish(r, rcode::SERVFAIL, false);
  r.question_mark = r.b.mark();
  r.has_question_mark = true;
  // QCLASS ANY may match data in classes we do not serve: answer, but not
  // authoritatively (as NSD does).
  r.b.header().aa = r.view.qclass() == dns::rrclass::IN;
  n_extras_ = 0;
  n_added_ = 0;
  n_answered_ = 0;
  n_proofs_ = 0;
  r.dnssec = r.re.do_bit;
  r.zone = zone;
  r.rclass = zone->rclass();
  const End end = resolve(r, zones);
  add_authority_and_additional(r, end);
  if (opts_->rrl) classify(r, end);
  return finish(r, r.rc, false);
}

void AuthEngine::classify(Reply& r, End end) {
  r.classified = true;
  const Name& qname = r.view.qname();
  switch (end) {
    case End::nxdomain:  // by zone: random names under it share one account
      r.rrl_class = RrlClass::nxdomain;
      r.rrl_key = r.zone->origin().hash();
      return;
    case End::referral:  // by delegation
      r.rrl_class = RrlClass::referral;
      r.rrl_key = r.cut->owner_name().hash();
      return;
    case End::nodata:
      if (r.b.count(Section::answer) != 0) break;  // a CNAME to no data: an answer
      r.rrl_class = RrlClass::nodata;
      r.rrl_key = qname.hash();
      return;
    default:
      break;
  }
  // Positive: by qname and qtype, or by the wildcard that made them (names
  // invented under it share one account).
  r.rrl_class = r.wildcard ? RrlClass::wildcard : RrlClass::answer;
  r.rrl_key = (r.wildcard ? r.wildcard->owner_name().hash() : qname.hash()) ^ (uint64_t{r.qtype} << 48);
}

RrlAction AuthEngine::rate_limit(Reply& r, uint16_t rc) {
  RrlClass cls = r.rrl_class;
  uint64_t key = r.rrl_key;
  if (!r.classified || (rc != rcode::NOERROR && rc != rcode::NXDOMAIN)) {
    cls = RrlClass::error;  // by rcode
    key = rc;
  }
  return account(*r.peer, cls, key, r.qh.qdcount == 1 ? &r.view.qname() : nullptr);
}

size_t AuthEngine::rate_limit_error(const net::Peer& peer, std::span<uint8_t> response, size_t len,
                                    const dns::Name* qname) {
  if (!opts_->rrl || peer.tcp || len < dns::kHeaderSize || len == net::kDeferred || len == net::kStream)
    return len;
  const dns::Header h = dns::Header::read(response.data());
  if (h.rcode == rcode::NOERROR) return len;  // extended rcodes are not on this path
  switch (account(peer, RrlClass::error, h.rcode, qname)) {
    case RrlAction::drop:
      return 0;
    case RrlAction::slip: {
      dns::Header tc;
      tc.id = h.id;
      tc.qr = true;
      tc.opcode = h.opcode;
      tc.tc = true;
      tc.rcode = h.rcode;
      tc.write(response.data());
      return dns::kHeaderSize;
    }
    case RrlAction::send:
      break;
  }
  return len;
}

RrlAction AuthEngine::account(const net::Peer& peer, RrlClass cls, uint64_t key, const dns::Name* qname) {
  const auto* sa = reinterpret_cast<const sockaddr*>(&peer.addr);
  RateLimiter& rrl = *opts_->rrl;
  if (rrl.exempt(sa, peer.addr_len)) return RrlAction::send;
  const RrlVerdict v = rrl.check(sa, peer.addr_len, cls, key);
  if (v.action == RrlAction::send) return v.action;
  if (metrics_) metrics_->rrl(v.action == RrlAction::slip, static_cast<size_t>(cls));
  if (v.log && opts_->log) [[unlikely]] log_limited(peer, cls, qname);
  return v.action;
}

// Cold: once per limited run of an account, and a few per second at most.
void AuthEngine::log_limited(const net::Peer& peer, RrlClass cls, const dns::Name* qname) {
  const auto* sa = reinterpret_cast<const sockaddr*>(&peer.addr);
  const RrlOptions& o = opts_->rrl->options();
  std::string what = std::string(net::kRrlClassNames[static_cast<size_t>(cls)]);
  if (qname) what += " for " + qname->to_text();
  const std::string how = o.slip == 0   ? "all dropped"
                          : o.slip == 1 ? "all sent truncated"
                                        : "dropped, 1 in " + std::to_string(o.slip) + " sent truncated";
  log_to(opts_->log, LogLevel::info,
         "rrl: limiting " + what + " responses to " + opts_->rrl->prefix_text(sa, peer.addr_len) + " (over " +
             std::to_string(o.responses_per_second) + "/s: " + how + "; not logged again until it is answered)");
}

void AuthEngine::add_authority_and_additional(Reply& r, End end) {
  r.b.begin(Section::authority);
  // RFC 4035 3.1.3: the proofs are required data, so a reply they do not
  // fit in is truncated. A negative answer's come after its SOA, a
  // referral's DS after its NS (add_referral).
  const bool negative = end == End::nodata || end == End::nxdomain;
  if (r.dnssec && !negative && end != End::referral && end != End::truncated &&
      !add_denial(r, end)) [[unlikely]] {
    r.b.set_truncated();
    return;
  }
  switch (end) {
    case End::positive:
      add_zone_ns(r);
      r.b.begin(Section::additional);
      if (!opts_->minimal_responses) add_extras(r);
      break;
    case End::any:
      r.b.begin(Section::additional);
      if (!opts_->minimal_responses) add_extras(r);
      break;
    case End::nodata:
    case End::nxdomain:
      add_negative_soa(r);
      if (r.dnssec && !add_denial(r, end)) r.b.set_truncated();
      break;
    case End::referral:
      if (r.b.count(Section::answer) == 0) r.b.header().aa = false;
      if (!add_referral(r, *r.zone, *r.cut)) r.b.set_truncated();
      break;
    case End::truncated:
      r.b.set_truncated();
      break;
    case End::follow:
    case End::done:
      break;
  }
}

void AuthEngine::add_zone_ns(Reply& r) {
  if (opts_->minimal_responses) return;
  const ZoneVersion& z = *r.zone;
  RRsetView ns = z.apex().find(rrtype::NS);
  if (!ns) return;
  for (size_t i = 0; i < n_extras_; ++i)
    if (extras_[i].rrset == ns) return;  // the answer holds it already
  // Optional data: dropped silently when it does not fit.
  if (add_signed_rrset(r.b, z.origin().wire(), z.apex(), ns, z.rclass(), signs(r, z)))
    note_extra(&z, ns);
}

void AuthEngine::add_negative_soa(Reply& r) {
  // RFC 2308 3: the SOA with the negative TTL, so the answer may be cached.
  const ZoneVersion& z = *r.zone;
  auto m = r.b.mark();
  if (!r.b.add_record(z.origin(), rrtype::SOA, z.rclass(), z.negative_ttl(), z.soa().first())) {
    r.b.rollback(m);
    r.b.set_truncated();
    return;
  }
  // Its signatures with the same TTL, as BIND, NSD and Knot send them.
  if (!signs(r, z)) return;
  RRsetView sig = z.apex().find_signatures(rrtype::SOA);
  auto c = sig ? sig.rdatas() : RRsetView::Cursor(nullptr, nullptr);
  std::span<const uint8_t> rd;
  while (c.next(rd)) {
    if (!r.b.add_record(z.origin(), rrtype::RRSIG, z.rclass(), z.negative_ttl(), rd)) {
      r.b.rollback(m);
      r.b.set_truncated();
      return;
    }
  }
}

bool AuthEngine::add_rrset(MessageBuilder& b, std::span<const uint8_t> owner, const RRsetView& set,
                           uint16_t rclass, bool answer) {
  if (answer && n_answered_ < answered_.size()) answered_[n_answered_++] = set;
  auto m = b.mark();
  auto c = set.rdatas();
  std::span<const uint8_t> rd;
  while (c.next(rd)) {
    if (!b.add_record(owner, set.type(), rclass, set.ttl(), rd)) {
      b.rollback(m);
      return false;
    }
  }
  return true;
}

void AuthEngine::note_extra(const ZoneVersion* z, const RRsetView& set) {
  if (target_offset(set.type()) < 0 || n_extras_ == kMaxExtras) return;
  extras_[n_extras_++] = Extra{z, set, set.type() == rrtype::NS};
}

AuthEngine::End AuthEngine::resolve(Reply& r, const zone::ZoneSet& zones) {
  r.b.begin(Section::answer);
  size_t nchain = 0;
  chain_[nchain++] = r.view.qname();
  for (;;) {
    Name next;
    links_[nchain - 1] = Link{r.zone, nullptr};
    r.links = nchain;
    const End end = answer_name(r, chain_[nchain - 1], next);
    if (end != End::follow) return end;
    // Follow the chain: stop at its length limit, at a loop, or when the
    // target is in no zone we serve (the resolver takes it from there). Those
    // answers end with the CNAMEs alone, no authority (as NSD and BIND).
    if (nchain >= opts_->max_chain + 1) return End::done;
    for (size_t i = 0; i < nchain; ++i)
      if (chain_[i] == next) return End::done;
    size_t nz_index = 0;
    const ZoneVersion* nz = zones.find(next, &nz_index);
    if (!nz) return End::done;
    // A zone this client may not query ends the chain too: its data must
    // not reach the client through a name in a zone it may query.
    if (nz != r.zone && !query_allowed(r, query_acl(zones, nz, nz_index))) return End::done;
    r.zone = nz;
    chain_[nchain++] = next;
  }
}

AuthEngine::End AuthEngine::answer_name(Reply& r, const Name& cur, Name& next) {
  LookupResult l = r.zone->lookup(cur);
  switch (l.kind) {
    case LookupResult::Kind::delegation:
      if (l.at_cut && r.qtype == rrtype::DS) break;  // the parent side of the cut answers
      r.cut = l.node;
      return End::referral;
    case LookupResult::Kind::dname:
      return answer_dname(r, cur, *l.node, next);
    case LookupResult::Kind::nxdomain:
      if (!l.wildcard) {
        r.rc = rcode::NXDOMAIN;
        r.ce = l.node;
        return End::nxdomain;
      }
      // RFC 4592 3.3.1: synthesize from the source of synthesis.
      if (&cur == &chain_[0]) r.wildcard = l.wildcard;
      links_[r.links - 1].wildcard = l.wildcard;
      return answer_node(r, cur, *l.wildcard, next);
    case LookupResult::Kind::exact:
      break;
  }
  return answer_node(r, cur, *l.node, next);
}

AuthEngine::End AuthEngine::answer_dname(Reply& r, const Name& cur, const Node& node, Name& next) {
  // RFC 6672 5.3.2: the DNAME, then a CNAME synthesized with its TTL.
  RRsetView d = node.find(rrtype::DNAME);
  Name owner = node.owner_name();
  if (!add_answer(r, owner, node, d)) return End::truncated;
  auto target = d.first();
  size_t keep = zone::label_offset(cur, cur.label_count() - owner.label_count());
  if (keep + target.size() > Name::kMaxWire) {
    r.rc = rcode::YXDOMAIN;  // RFC 6672 2.2: the substitution would overflow
    return End::done;
  }
  uint8_t buf[Name::kMaxWire];
  std::memcpy(buf, cur.wire().data(), keep);
  std::memcpy(buf + keep, target.data(), target.size());
  auto synth = Name::from_wire(std::span<const uint8_t>(buf, keep + target.size()));
  if (!synth) return End::done;
  next = *synth;
  if (!r.b.add_record(cur, rrtype::CNAME, r.rclass, d.ttl(), next.wire())) return End::truncated;
  if (r.qtype == rrtype::CNAME) return End::done;  // as NSD: no authority here
  return End::follow;
}

AuthEngine::End AuthEngine::answer_node(Reply& r, const Name& cur, const Node& node, Name& next) {
  if (r.qtype == rrtype::ANY) return answer_any(r, cur, node);
  if (r.qtype == rrtype::RRSIG) return answer_rrsig(r, cur, node);
  if (RRsetView s = node.find(r.qtype)) {
    if (!add_answer(r, cur, node, s)) return End::truncated;
    note_extra(r.zone, s);
    // A DS answer is the parent's data about the cut: NSD and BIND add no
    // NS. NSD adds none to a DNSKEY answer either (Knot to no answer).
    return r.qtype == rrtype::DS || r.qtype == rrtype::DNSKEY ? End::done : End::positive;
  }
  RRsetView cn = r.qtype == rrtype::CNAME ? RRsetView() : node.find(rrtype::CNAME);
  if (!cn) {
    r.node = &node;
    return End::nodata;
  }
  if (!add_answer(r, cur, node, cn)) return End::truncated;
  auto t = Name::from_wire(cn.first());
  if (!t) return End::positive;
  next = *t;
  return End::follow;
}

AuthEngine::End AuthEngine::answer_any(Reply& r, const Name& cur, const Node& node) {
  r.node = &node;
  if (node.empty()) return End::nodata;
  auto c = node.rrsets();
  RRsetView s;
  while (c.next(s)) {
    if (s.type() == rrtype::RRSIG) continue;
    if (!add_answer(r, cur, node, s)) return End::truncated;
    note_extra(r.zone, s);
    // RFC 8482 4.1: one RRset is a complete answer (NSD, Knot). Like NSD:
    // no authority section, but target addresses as usual.
    return End::any;
  }
  return End::nodata;
}

AuthEngine::End AuthEngine::answer_rrsig(Reply& r, const Name& cur, const Node& node) {
  // Every RRSIG RRset of the name (RFC 4035 3.1.5 leaves it open; BIND,
  // NSD and Knot answer them all), each whole or TC.
  r.node = &node;
  auto c = node.rrsets();
  RRsetView s;
  bool any = false;
  while (c.next(s)) {
    if (s.type() != rrtype::RRSIG) continue;
    if (!add_rrset(r.b, cur, s, r.rclass, true)) return End::truncated;
    any = true;
  }
  return any ? End::positive : End::nodata;
}

bool AuthEngine::add_answer(Reply& r, const Name& owner, const Node& node, const RRsetView& set) {
  return add_signed_rrset(r.b, owner.wire(), node, set, r.rclass, signs(r, *r.zone), true);
}

bool AuthEngine::add_signed_rrset(MessageBuilder& b, std::span<const uint8_t> owner, const Node& node,
                                  const RRsetView& set, uint16_t rclass, bool sign, bool answer) {
  if (!sign) return add_rrset(b, owner, set, rclass, answer);
  auto m = b.mark();
  if (!add_rrset(b, owner, set, rclass, answer)) return false;
  RRsetView sig = node.find_signatures(set.type());
  if (sig && !add_rrset(b, owner, sig, rclass)) {
    b.rollback(m);
    return false;
  }
  return true;
}

bool AuthEngine::add_addresses(MessageBuilder& b, const ZoneVersion& z, const Name& target,
                               bool glue, bool required, bool sign) {
  uint64_t h = zone::wire_hash(target.wire());
  for (size_t i = 0; i < n_added_; ++i)
    if (added_targets_[i] == h) return true;
  const Node* n = z.find(target);
  if (!n || n->empty()) return true;
  if (n->has(zone::node_flag::occluded) && !glue) return true;
  sign = sign && !n->has(zone::node_flag::occluded);
  auto m = b.mark();
  for (uint16_t type : {rrtype::A, rrtype::AAAA}) {
    RRsetView s = n->find(type);
    // Not twice: an address RRset already in the answer stays out (as NSD).
    if (s && std::find(answered_.begin(), answered_.begin() + n_answered_, s) !=
                 answered_.begin() + n_answered_)
      continue;
    if (s && !add_signed_rrset(b, target.wire(), *n, s, z.rclass(), sign)) {
      b.rollback(m);
      return !required;
    }
  }
  if (n_added_ < added_targets_.size()) added_targets_[n_added_++] = h;
  return true;
}

void AuthEngine::add_extras(Reply& r) {
  MessageBuilder& b = r.b;
  for (size_t i = 0; i < n_extras_; ++i) {
    const Extra& e = extras_[i];
    size_t off = static_cast<size_t>(target_offset(e.rrset.type()));
    auto c = e.rrset.rdatas();
    std::span<const uint8_t> rd;
    while (c.next(rd)) {
      if (off >= rd.size()) continue;
      size_t used = 0;
      auto t = Name::from_wire_prefix(rd.subspan(off), used);
      // Only names in the same zone: addresses from elsewhere are not ours
      // to vouch for in this answer (and a resolver would not trust them).
      if (!t || !t->is_subdomain_of(e.zone->origin())) continue;
      (void)add_addresses(b, *e.zone, *t, e.glue, false, signs(r, *e.zone));
    }
  }
}

bool AuthEngine::add_referral(Reply& r, const ZoneVersion& z, const Node& cut) {
  MessageBuilder& b = r.b;
  RRsetView ns = cut.find(rrtype::NS);
  Name owner = cut.owner_name();
  if (!add_rrset(b, owner, ns, z.rclass())) return false;
  // RFC 4035 3.1.4: the DS RRset (signed), or the proof there is none;
  // and for a chain that got here through a wildcard, its proofs.
  if (r.dnssec && !(add_referral_ds(r, z, cut) && add_wildcard_proofs(r))) return false;
  b.begin(Section::additional);
  // In-domain glue first (required, RFC 9471), then sibling and in-zone addresses.
  for (int pass = 0; pass < 2; ++pass) {
    auto c = ns.rdatas();
    std::span<const uint8_t> rd;
    while (c.next(rd)) {
      size_t used = 0;
      auto t = Name::from_wire_prefix(rd, used);
      if (!t) continue;
      bool in_domain = t->is_subdomain_of(owner);
      if (in_domain != (pass == 0)) continue;
      if (!add_addresses(b, z, *t, true, in_domain, signs(r, z))) return false;
    }
  }
  return true;
}

}  // namespace namae::auth
