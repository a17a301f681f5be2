#include "proxy/core.h"

#include <algorithm>
#include <cctype>

#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "mdns/querier.h"

namespace namae::proxy {

namespace rrtype = dns::rrtype;
namespace rcode = dns::rcode;

namespace {

void put16(std::vector<uint8_t>& out, uint32_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
void put32(std::vector<uint8_t>& out, uint32_t v) {
  put16(out, v >> 16);
  put16(out, v & 0xffff);
}
void put_name(std::vector<uint8_t>& out, const dns::Name& n) { out.insert(out.end(), n.wire().begin(), n.wire().end()); }

std::string key_of(const dns::Name& name, uint16_t type) {
  std::string k(name.wire().begin(), name.wire().end());
  for (auto& ch : k) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  k += static_cast<char>(type >> 8);
  k += static_cast<char>(type & 0xff);
  return k;
}

// The target host of an SRV record (RFC 2782), as the link names it.
std::optional<dns::Name> srv_target(const mdns::Record& srv) {
  if (srv.type != rrtype::SRV || srv.rdata.size() <= 6) return std::nullopt;
  auto target = dns::Name::from_wire(std::span<const uint8_t>(srv.rdata).subspan(6));
  if (!target) return std::nullopt;
  return *target;
}

// The types an mDNS NSEC says its owner has (RFC 6762 6.1); empty when
// its rdata does not parse.
std::vector<uint16_t> nsec_types(const mdns::Record& nsec) {
  size_t used = 0;
  if (!dns::Name::from_wire_prefix(nsec.rdata, used)) return {};
  auto types = dns::rdata::type_bitmap_types(std::span<const uint8_t>(nsec.rdata).subspan(used));
  return types ? *types : std::vector<uint16_t>{};
}

// Questions several responders answer (a browse, RFC 6763 4; ANY): worth
// waiting a moment after the first answer.
bool shared_question(uint16_t qtype) { return qtype == rrtype::PTR || qtype == rrtype::ANY; }

// RFC 8766 6.4: names about the zone itself, never asked on the link.
const std::vector<dns::Name>& admin_prefixes() {
  static const std::vector<dns::Name> names = [] {
    std::vector<dns::Name> v;
    for (const char* t : {"_dns-push-tls._tcp", "_dns-llq._udp", "_dns-llq._tcp", "_dns-llq-tls._tcp",
                          "_dns-update._udp", "_dns-update._tcp", "_dns-update-tls._tcp"})
      v.push_back(*dns::Name::from_text(std::string(t) + "."));
    return v;
  }();
  return names;
}

}  // namespace

Core::Core(ProxyOptions options, Link& link)
    : opt_(std::move(options)), link_(link), rw_(opt_.domain), tokens_(opt_.questions_per_second) {}

// RFC 8766 6.1: serial 0, the recommended timers, MINIMUM the 10 s of 5.5.1.
dns::Record Core::soa() const {
  dns::Record r{opt_.domain, rrtype::SOA, dns::rrclass::IN, opt_.max_ttl, {}};
  put_name(r.rdata, opt_.nameservers.front());
  put_name(r.rdata, opt_.contact);
  for (uint32_t v : {0u, 7200u, 3600u, 86400u, opt_.max_ttl}) put32(r.rdata, v);
  return r;
}

std::optional<std::vector<dns::Record>> Core::zone_records(const dns::Name& qname, uint16_t qtype) const {
  std::vector<dns::Record> out;
  bool any = qtype == rrtype::ANY;
  if (qname == opt_.domain) {
    // RFC 8766 6.3: the apex is answered at once, never asked on the link.
    if (qtype == rrtype::SOA || any) out.push_back(soa());
    if (qtype == rrtype::NSEC) out.push_back(nsec(opt_.domain, {rrtype::SOA, rrtype::NS}));
    if (qtype == rrtype::NS || any)
      for (const auto& ns : opt_.nameservers) {
        dns::Record r{opt_.domain, rrtype::NS, dns::rrclass::IN, opt_.max_ttl, {}};
        put_name(r.rdata, ns);
        out.push_back(std::move(r));
      }
    return out;
  }
  // RFC 8766 6.3: no delegation below the apex; DNSSEC types are not served.
  // NSEC3 owners are hashes under parameters (NSEC3PARAM) an unsigned zone
  // does not have; NSEC is made per name (5.5.3, nsec_answer).
  if (qtype == rrtype::SOA || qtype == rrtype::NS || qtype == rrtype::DS || qtype == rrtype::NSEC3 ||
      qtype == rrtype::RRSIG || qtype == rrtype::DNSKEY)
    return out;
  for (const auto& prefix : admin_prefixes()) {
    auto name = prefix.concat(opt_.domain);
    if (!name || !(*name == qname)) continue;
    if (prefix == admin_prefixes().front() && opt_.push_port && (qtype == rrtype::SRV || any)) {
      dns::Record r{qname, rrtype::SRV, dns::rrclass::IN, opt_.max_ttl, {}};
      put16(r.rdata, 0);
      put16(r.rdata, 0);
      put16(r.rdata, opt_.push_port);
      put_name(r.rdata, opt_.nameservers.front());
      out.push_back(std::move(r));
    }
    return out;
  }
  return std::nullopt;
}

// RFC 8766 5.6: "no error no answer", never NXDOMAIN (a name without
// answers may have children on the link), with the SOA for negative caching.
Answer Core::negative() const {
  Answer a;
  a.authority.push_back(soa());
  return a;
}

// RFC 8766 5.5.3: an NSEC about `owner` alone: the next name is its
// immediate successor (\000.owner, as RFC 4470 does), so it denies no
// other name; the bitmap has the NSEC bit an mDNS NSEC lacks.
dns::Record Core::nsec(const dns::Name& owner, std::vector<uint16_t> types) const {
  static const std::string_view zero("\0", 1);
  dns::Record r{owner, rrtype::NSEC, dns::rrclass::IN, opt_.max_ttl, {}};
  auto next = dns::Name::from_labels(std::span(&zero, 1))->concat(owner);
  put_name(r.rdata, next ? *next : owner);
  types.push_back(rrtype::NSEC);
  dns::rdata::append_type_bitmap(std::move(types), r.rdata);
  return r;
}

// RFC 8766 5.5.3: the types the link holds at `local` (asked with ANY), as
// far as they survive translation (5.5.2).
Answer Core::nsec_answer(const dns::Name& local) {
  std::vector<dns::Record> held;
  add_translated(usable(link_.lookup({local, rrtype::ANY}, true)), held, opt_.max_ttl);
  std::vector<uint16_t> types;
  for (const auto& r : held) types.push_back(r.type);
  auto owner = rw_.from_local(local);
  if (!owner) return negative();
  Answer a;
  a.answer.push_back(nsec(*owner, std::move(types)));
  return a;
}

Answer Core::answer_for(const mdns::Question& q, uint16_t qtype) {
  return qtype == rrtype::NSEC ? nsec_answer(q.name) : from_link(q);
}

// RFC 6762 6.1: a cached NSEC at the name whose bitmap leaves `q.type` out
// is the owner's "no such record", a negative answer in the cache
// (RFC 8766 5.6 answers from it at once).
bool Core::denied(const mdns::Question& q) {
  if (q.type == rrtype::ANY) return false;
  for (const auto& n : link_.lookup({q.name, rrtype::NSEC}, true)) {
    auto types = nsec_types(n);
    if (!types.empty() && std::find(types.begin(), types.end(), q.type) == types.end()) return true;
  }
  return false;
}

// What the cache holds for `q`: an answer, a CNAME, or a denial.
bool Core::cached(const mdns::Question& q) {
  if (!link_.lookup(q, true).empty()) return true;
  if (q.type != rrtype::CNAME && !link_.lookup({q.name, rrtype::CNAME}, true).empty()) return true;
  return denied(q);
}

Answer Core::from_zone(const std::vector<dns::Record>& recs) const {
  if (recs.empty()) return negative();
  Answer a;
  a.answer = recs;
  return a;
}

void Core::add_translated(const std::vector<mdns::Record>& recs, std::vector<dns::Record>& out, uint32_t ttl_cap) {
  for (const auto& r : recs) {
    if (r.rclass != dns::rrclass::IN) continue;
    auto t = rw_.from_link(r, ttl_cap);
    if (!t) continue;
    if (std::none_of(out.begin(), out.end(), [&](const dns::Record& o) { return o.same_rr(*t); }))
      out.push_back(std::move(*t));
  }
}

// RFC 8766 5.5.2: a host whose addresses the cache holds, none of them
// usable off the link. A host the cache knows no address of is not judged:
// the client may still find one.
bool Core::unusable_host(const dns::Name& host) {
  bool any = false;
  for (uint16_t type : {rrtype::A, rrtype::AAAA})
    for (const auto& r : link_.lookup({host, type}, true)) {
      if (!is_link_local_address(r)) return false;
      any = true;
    }
  return any;
}

// RFC 8766 5.5.2: an SRV whose target is unusable, and a browse PTR whose
// instance has SRV records, all of them unusable.
bool Core::unusable(const mdns::Record& r) {
  if (auto target = srv_target(r)) return unusable_host(*target);
  if (r.type != rrtype::PTR) return false;
  auto instance = dns::Name::from_wire(r.rdata);
  if (!instance) return false;
  auto srvs = link_.lookup({*instance, rrtype::SRV}, true);
  return !srvs.empty() && std::all_of(srvs.begin(), srvs.end(), [&](const mdns::Record& s) { return unusable(s); });
}

std::vector<mdns::Record> Core::usable(std::vector<mdns::Record> recs) {
  std::erase_if(recs, [&](const mdns::Record& r) { return unusable(r); });
  return recs;
}

// RFC 6763 12: a browse answer brings the instances' SRV and TXT, an SRV
// the addresses of its target, as far as the cache holds them (nothing
// more is asked on the link for them).
void Core::add_additional(const std::vector<mdns::Record>& answered, Answer& a) {
  std::vector<dns::Name> hosts;
  auto add_host = [&](const mdns::Record& srv) {
    auto target = srv_target(srv);
    if (target && std::none_of(hosts.begin(), hosts.end(), [&](const dns::Name& h) { return h == *target; }))
      hosts.push_back(*target);
  };
  for (const auto& r : answered) {
    if (r.type == rrtype::PTR) {
      auto instance = dns::Name::from_wire(r.rdata);
      if (!instance) continue;
      auto srv = usable(link_.lookup({*instance, rrtype::SRV}, true));
      add_translated(srv, a.additional, opt_.max_ttl);
      add_translated(link_.lookup({*instance, rrtype::TXT}, true), a.additional, opt_.max_ttl);
      for (const auto& s : srv) add_host(s);
    } else {
      add_host(r);
    }
  }
  for (const auto& h : hosts) {
    add_translated(link_.lookup({h, rrtype::A}, true), a.additional, opt_.max_ttl);
    add_translated(link_.lookup({h, rrtype::AAAA}, true), a.additional, opt_.max_ttl);
  }
}

Answer Core::from_link(const mdns::Question& q) {
  auto recs = link_.lookup(q, true);
  if (recs.empty() && q.type != rrtype::CNAME) recs = link_.lookup({q.name, rrtype::CNAME}, true);
  recs = usable(std::move(recs));
  Answer a;
  add_translated(recs, a.answer, opt_.max_ttl);
  if (a.answer.empty()) return negative();
  add_additional(recs, a);
  return a;
}

bool Core::take_token(Millis now) {
  double rate = opt_.questions_per_second;
  tokens_ = std::min(rate, tokens_ + static_cast<double>(now - refilled_) * rate / 1000.0);
  refilled_ = now;
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

Outcome Core::ask(const dns::Name& qname, uint16_t qtype, Millis now) {
  Outcome o;
  if (auto own = zone_records(qname, qtype)) {
    o.answer = from_zone(*own);
    return o;
  }
  auto local = rw_.to_local(qname);
  if (!local) {
    o.answer = negative();
    return o;
  }
  // RFC 8766 5.5.3: an NSEC question asks the link for every type (ANY).
  mdns::Question q{*local, qtype == rrtype::NSEC ? rrtype::ANY : qtype};
  // RFC 8766 5.6: what the cache holds is answered at once, no query sent.
  if (cached(q)) {
    o.answer = answer_for(q, qtype);
    return o;
  }
  auto key = key_of(*local, qtype);
  auto it = pending_.find(key);
  if (it == pending_.end()) {
    // RFC 8766 9.3: a remote client must not flood the link with queries.
    if (pending_.size() >= opt_.max_pending || !take_token(now)) {
      o.answer.rcode = rcode::SERVFAIL;
      return o;
    }
    Pending p{q, qtype, link_.watch(q), now + opt_.timeout, 0, {}};
    it = pending_.emplace(key, std::move(p)).first;
  }
  o.pending = true;
  o.ticket = next_ticket_++;
  it->second.tickets.push_back(o.ticket);
  return o;
}

void Core::finish(std::map<std::string, Pending>::iterator it, std::vector<Done>& out) {
  Pending& p = it->second;
  link_.unwatch(p.watch);
  Answer a = answer_for(p.q, p.qtype);
  for (Ticket t : p.tickets) out.push_back({t, a});
  pending_.erase(it);
}

std::vector<Done> Core::changed(const mdns::Record& r, Millis now) {
  std::vector<Done> out;
  for (auto it = pending_.begin(); it != pending_.end();) {
    auto next = std::next(it);
    Pending& p = it->second;
    bool at_name = r.owner == p.q.name;
    // NSEC is mDNS's "nothing more here" (RFC 6762 6.1): answer now.
    bool final = at_name && (r.type == rrtype::NSEC || (!shared_question(p.q.type) && (p.q.matches(r) || r.type == rrtype::CNAME)));
    if (final) {
      finish(it, out);
    } else if (at_name && p.q.matches(r) && !p.answer_at) {
      p.answer_at = now + opt_.settle;
    }
    it = next;
  }
  return out;
}

std::vector<Done> Core::tick(Millis now) {
  std::vector<Done> out;
  for (auto it = pending_.begin(); it != pending_.end();) {
    auto next = std::next(it);
    const Pending& p = it->second;
    if (p.deadline <= now || (p.answer_at && p.answer_at <= now)) finish(it, out);
    it = next;
  }
  return out;
}

Millis Core::next_timer() const {
  Millis t = mdns::Querier::kNever;
  for (const auto& [k, p] : pending_) t = std::min({t, p.deadline, p.answer_at ? p.answer_at : p.deadline});
  return t;
}

void Core::follow(const dns::Name& qname, uint16_t qtype) {
  auto local = rw_.to_local(qname);
  if (!local || zone_records(qname, qtype)) return;
  Followed& f = followed_[key_of(*local, qtype)];
  if (f.subscribers++ == 0) f.watch = link_.watch({*local, qtype});
}

void Core::unfollow(const dns::Name& qname, uint16_t qtype) {
  auto local = rw_.to_local(qname);
  if (!local) return;
  auto it = followed_.find(key_of(*local, qtype));
  if (it == followed_.end() || --it->second.subscribers > 0) return;
  link_.unwatch(it->second.watch);
  followed_.erase(it);
}

std::vector<dns::Record> Core::link_records(const dns::Name& qname, uint16_t qtype) {
  std::vector<dns::Record> out;
  if (auto own = zone_records(qname, qtype)) return *own;
  auto local = rw_.to_local(qname);
  if (!local) return out;
  add_translated(link_.lookup({*local, qtype}, false), out, 0);
  return out;
}

}  // namespace namae::proxy
