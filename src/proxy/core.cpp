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

// RFC 6763 11: the browsing-domain enumeration names, "b" (browse), "db"
// (default browse), "lb" (legacy browse), and the registration ones "r"
// and "dr" (the proxy takes no registrations: they stay empty).
const std::vector<std::string_view>& enumeration_labels() {
  static const std::vector<std::string_view> labels = {"b", "db", "lb", "r", "dr"};
  return labels;
}

Core::Core(ProxyOptions options, Link& link)
    : opt_(std::move(options)), link_(link), rw_(opt_.domain, opt_.hosts, opt_.reverse), tokens_(opt_.questions_per_second) {
  // The proxy's forward domains, and each reverse zone's subnet (RFC 6763
  // 11: a client derives that name from its own address and prefix).
  std::vector<dns::Name> bases = {rw_.domain()};
  if (!(rw_.hosts() == rw_.domain())) bases.push_back(rw_.hosts());
  for (const auto& z : rw_.reverse()) bases.push_back(z.network);
  for (const auto& base : bases)
    for (auto label : enumeration_labels()) {
      std::string text = std::string(label) + "._dns-sd._udp";  // relative to `base`
      if (auto n = dns::Name::from_text(text, &base)) enumeration_.push_back(*n);
    }
}

// RFC 8766 6.1: serial 0, the recommended timers, MINIMUM the 10 s of 5.5.1.
dns::Record Core::soa(const dns::Name& apex) const {
  dns::Record r{apex, rrtype::SOA, dns::rrclass::IN, opt_.max_ttl, {}};
  put_name(r.rdata, opt_.nameservers.front());
  put_name(r.rdata, opt_.contact);
  for (uint32_t v : {0u, 7200u, 3600u, 86400u, opt_.max_ttl}) put32(r.rdata, v);
  return r;
}

// RFC 8766 6.3: each apex is answered at once, never asked on the link.
std::optional<std::vector<dns::Record>> Core::apex_records(const dns::Name& apex, uint16_t qtype) const {
  std::vector<dns::Record> out;
  bool any = qtype == rrtype::ANY;
  if (qtype == rrtype::SOA || any) out.push_back(soa(apex));
  if (qtype == rrtype::NSEC) out.push_back(nsec(apex, {rrtype::SOA, rrtype::NS}));
  if (qtype == rrtype::NS || any)
    for (const auto& ns : opt_.nameservers) {
      dns::Record r{apex, rrtype::NS, dns::rrclass::IN, opt_.max_ttl, {}};
      put_name(r.rdata, ns);
      out.push_back(std::move(r));
    }
  return out;
}

// RFC 6763 11, RFC 8766 5.2: the proxy's domain is a browsing domain of its
// own names and of the subnets it maps back; the registration names are
// empty. False when `qname` is no enumeration name.
bool Core::enumeration_records(const dns::Name& qname, uint16_t qtype, std::vector<dns::Record>& out) const {
  auto it = std::find(enumeration_.begin(), enumeration_.end(), qname);
  if (it == enumeration_.end()) return false;
  auto label = qname.label(0);
  bool browse = label.size() <= 2 && label.back() == 'b';
  if (browse && (qtype == rrtype::PTR || qtype == rrtype::ANY)) {
    dns::Record r{qname, rrtype::PTR, dns::rrclass::IN, opt_.max_ttl, {}};
    put_name(r.rdata, opt_.domain);
    out.push_back(std::move(r));
  }
  return true;
}

std::optional<std::vector<dns::Record>> Core::zone_records(const dns::Name& qname, uint16_t qtype) const {
  std::vector<dns::Record> out;
  bool any = qtype == rrtype::ANY;
  const dns::Name* apex = rw_.apex_of(qname);
  if (!apex) return std::nullopt;
  if (qname == *apex) return apex_records(*apex, qtype);
  if (enumeration_records(qname, qtype, out)) return out;
  // RFC 8766 6.3: no delegation below the apex; DNSSEC types are not served.
  // NSEC3 owners are hashes under parameters (NSEC3PARAM) an unsigned zone
  // does not have; NSEC is made per name (5.5.3, nsec_answer).
  if (qtype == rrtype::SOA || qtype == rrtype::NS || qtype == rrtype::DS || qtype == rrtype::NSEC3 ||
      qtype == rrtype::RRSIG || qtype == rrtype::DNSKEY)
    return out;
  for (const auto& prefix : admin_prefixes()) {
    auto name = prefix.concat(*apex);
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
Answer Core::negative(const dns::Name& qname) const {
  Answer a;
  const dns::Name* apex = rw_.apex_of(qname);
  a.authority.push_back(soa(apex ? *apex : opt_.domain));
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
Answer Core::nsec_answer(const dns::Name& qname, const dns::Name& local) {
  std::vector<dns::Record> held;
  add_translated(usable(link_.lookup({local, rrtype::ANY}, true)), held, opt_.max_ttl, rw_.target_for(qname));
  std::vector<uint16_t> types;
  for (const auto& r : held) types.push_back(r.type);
  Answer a;
  a.answer.push_back(nsec(qname, std::move(types)));
  return a;
}

Answer Core::answer_for(const dns::Name& qname, const mdns::Question& q, uint16_t qtype) {
  return qtype == rrtype::NSEC ? nsec_answer(qname, q.name) : from_link(qname, q);
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

Answer Core::from_zone(const dns::Name& qname, const std::vector<dns::Record>& recs) const {
  if (recs.empty()) return negative(qname);
  Answer a;
  a.answer = recs;
  return a;
}

void Core::add_translated(const std::vector<mdns::Record>& recs, std::vector<dns::Record>& out, uint32_t ttl_cap,
                          const Target& t) {
  for (const auto& r : recs) {
    if (r.rclass != dns::rrclass::IN) continue;
    auto tr = rw_.from_link(r, ttl_cap, t);
    if (!tr) continue;
    if (std::none_of(out.begin(), out.end(), [&](const dns::Record& o) { return o.same_rr(*tr); }))
      out.push_back(std::move(*tr));
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
// more is asked on the link for them). Addresses are named as the SRV
// targets are: in the host-name domain (RFC 8766 5.5).
void Core::add_additional(const std::vector<mdns::Record>& answered, Answer& a, const Target& t) {
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
      add_translated(srv, a.additional, opt_.max_ttl, t);
      add_translated(link_.lookup({*instance, rrtype::TXT}, true), a.additional, opt_.max_ttl, t);
      for (const auto& s : srv) add_host(s);
    } else {
      add_host(r);
    }
  }
  const Target host{t.host, t.host, t.host};
  for (const auto& h : hosts) {
    add_translated(link_.lookup({h, rrtype::A}, true), a.additional, opt_.max_ttl, host);
    add_translated(link_.lookup({h, rrtype::AAAA}, true), a.additional, opt_.max_ttl, host);
  }
}

Answer Core::from_link(const dns::Name& qname, const mdns::Question& q) {
  const Target t = rw_.target_for(qname);
  auto recs = link_.lookup(q, true);
  if (recs.empty() && q.type != rrtype::CNAME) recs = link_.lookup({q.name, rrtype::CNAME}, true);
  recs = usable(std::move(recs));
  Answer a;
  add_translated(recs, a.answer, opt_.max_ttl, t);
  if (a.answer.empty()) return negative(qname);
  add_additional(recs, a, t);
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
    o.answer = from_zone(qname, *own);
    return o;
  }
  auto local = rw_.to_local(qname);
  if (!local) {
    o.answer = negative(qname);
    return o;
  }
  // RFC 8766 5.5.3: an NSEC question asks the link for every type (ANY).
  mdns::Question q{*local, qtype == rrtype::NSEC ? rrtype::ANY : qtype};
  // RFC 8766 5.6: what the cache holds is answered at once, no query sent.
  if (cached(q)) {
    o.answer = answer_for(qname, q, qtype);
    return o;
  }
  // By the client's name: the same link name in two domains is answered
  // with two sets of names.
  auto key = key_of(qname, qtype);
  auto it = pending_.find(key);
  if (it == pending_.end()) {
    // RFC 8766 9.3: a remote client must not flood the link with queries.
    if (pending_.size() >= opt_.max_pending || !take_token(now)) {
      o.answer.rcode = rcode::SERVFAIL;
      return o;
    }
    Pending p{q, qtype, qname, link_.watch(q), now + opt_.timeout, 0, {}};
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
  Answer a = answer_for(p.qname, p.q, p.qtype);
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

bool Core::reconfirm(const dns::Record& unicast) {
  auto local = rw_.to_local(unicast.owner);
  if (!local || zone_records(unicast.owner, unicast.type)) return false;
  const Target t = rw_.target_for(unicast.owner);
  bool found = false;
  for (const auto& r : link_.lookup({*local, unicast.type}, false)) {
    auto seen = rw_.from_link(r, 0, t);
    if (seen && seen->rdata == unicast.rdata) {
      link_.reconfirm(r);
      found = true;
    }
  }
  return found;
}

std::vector<dns::Record> Core::link_records(const dns::Name& qname, uint16_t qtype) {
  std::vector<dns::Record> out;
  if (auto own = zone_records(qname, qtype)) return *own;
  auto local = rw_.to_local(qname);
  if (!local) return out;
  add_translated(link_.lookup({*local, qtype}, false), out, 0, rw_.target_for(qname));
  return out;
}

}  // namespace namae::proxy
