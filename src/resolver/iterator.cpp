// The iterator state machine (see resolver.h). One Iterator serves one client
// question with its sub-tasks; its budget is shared by all of them.
#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <fmt/format.h>
#include <map>
#include <set>

#include "dns/message.h"
#include "dns/rrtype.h"
#include "resolver/resolver.h"
#include "resolver/sections.h"

namespace namae::resolver {

namespace {

using dns::Name;
namespace rrtype = dns::rrtype;

// `name` with its suffix `from` replaced by `to` (DNAME substitution, RFC 6672 2.2).
std::optional<Name> substitute(const Name& name, const Name& from, const Name& to) {
  size_t keep = name.label_count() - from.label_count();
  std::vector<std::string_view> labels;
  for (size_t i = 0; i < keep; ++i) {
    auto l = name.label(i);
    labels.emplace_back(reinterpret_cast<const char*>(l.data()), l.size());
  }
  auto prefix = Name::from_labels(labels);
  if (!prefix) return std::nullopt;
  auto r = prefix->concat(to);
  if (!r) return std::nullopt;
  return *r;
}

bool endpoint_from_rdata(uint16_t type, const dns::RdataBytes& rd, uint16_t port,
                         net::Endpoint& ep) {
  ep = net::Endpoint{};
  if (type == rrtype::A && rd.size() == 4) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ep.addr);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    std::memcpy(&sin->sin_addr, rd.data(), 4);
    ep.len = sizeof(sockaddr_in);
    return true;
  }
  if (type == rrtype::AAAA && rd.size() == 16) {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ep.addr);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    std::memcpy(&sin6->sin6_addr, rd.data(), 16);
    ep.len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

// Addresses never worth asking: unspecified, multicast, broadcast, and
// loopback unless allowed (do-not-query-localhost).
bool address_allowed(const net::Endpoint& ep, bool allow_loopback) {
  if (ep.family() == AF_INET) {
    auto* sin = reinterpret_cast<const sockaddr_in*>(&ep.addr);
    uint32_t a = ntohl(sin->sin_addr.s_addr);
    if (a == 0 || a == 0xffffffff || (a >> 28) == 0xe) return false;
    if ((a >> 24) == 127 && !allow_loopback) return false;
    return true;
  }
  auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ep.addr);
  if (IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr) || IN6_IS_ADDR_MULTICAST(&sin6->sin6_addr))
    return false;
  if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr) && !allow_loopback) return false;
  return true;
}

std::string rrset_text(const dns::RRset& rs, size_t max = 4) {
  std::string out;
  size_t n = 0;
  for (const auto& rd : rs.rdata) {
    if (n++ == max) {
      out += fmt::format(" (+{} more)", rs.rdata.size() - max);
      break;
    }
    if (!out.empty()) out += "\n";
    out += fmt::format("{} {} {} {}", rs.owner.to_text(), rs.ttl, dns::type_to_text(rs.type),
                       dns::rdata::to_text(rs.type, rd));
  }
  return out;
}

EntryPtr transient(const dns::RRset& rs, Trust trust, int64_t now) {
  auto e = std::make_shared<CacheEntry>();
  e->rrset = rs;
  e->trust = trust;
  e->stored_ms = now;
  e->expires_ms = now + int64_t{rs.ttl} * 1000;
  e->original_ttl = rs.ttl;
  return e;
}

}  // namespace

/// Runs one client question (and its sub-tasks) against a Resolver.
class Iterator {
 public:
  Iterator(Resolver& r, const TraceSink* trace) : r_(r), trace_(trace) {}

  Answer resolve_full(const Name& qname, uint16_t qtype, int depth, bool refresh);
  int upstream() const { return upstream_; }

 private:
  enum class Outcome { answer, cname, nxdomain, nodata, servfail };
  struct IterResult {
    Outcome outcome = Outcome::servfail;
    std::vector<EntryPtr> chain;
    EntryPtr negative;
    Name next;
  };
  // Named states, as in Unbound's iterator.
  enum class State { init_request, prime, query_targets, send_query, query_response, finished };

  IterResult iterate(const Name& target, uint16_t qtype, int depth);
  bool find_delegation(const Name& target, uint16_t qtype, Name& zone, std::vector<Name>& ns);
  std::vector<std::pair<net::Endpoint, Name>> gather(const Name& zone, const std::vector<Name>& ns,
                                                     bool hints_ok);
  bool lookup_ns_address(const Name& ns, int depth);
  EntryPtr store(const dns::RRset& rs, Trust trust);
  EntryPtr store_negative(const Name& name, uint16_t type, bool nx, const dns::RRset& soa);
  void emit(TraceStep& step) {
    if (trace_ && *trace_) (*trace_)(step);
  }

  Resolver& r_;
  const TraceSink* trace_;
  int upstream_ = 0;
  int subtasks_ = 0;
  std::set<std::pair<std::string, uint16_t>> in_progress_;
  std::map<std::string, std::vector<net::Endpoint>> sub_addresses_;  // TTL-0 results of sub-tasks
};

EntryPtr Iterator::store(const dns::RRset& rs, Trust trust) {
  r_.cache_.store(rs, trust);
  if (auto e = r_.cache_.lookup(rs.owner, rs.type)) return e;
  return transient(rs, trust, r_.clock_.now_ms());
}

EntryPtr Iterator::store_negative(const Name& name, uint16_t type, bool nx, const dns::RRset& soa) {
  r_.cache_.store_negative(name, type, nx, soa, Trust::authority_auth);
  if (auto e = r_.cache_.lookup(name, nx ? 0 : type)) return e;
  auto e = std::make_shared<CacheEntry>();
  e->kind = nx ? EntryKind::nxdomain : EntryKind::nodata;
  e->rrset.owner = name;
  e->rrset.type = type;
  e->soa = std::make_shared<dns::RRset>(soa);
  int64_t now = r_.clock_.now_ms();
  e->stored_ms = e->expires_ms = now;
  return e;
}

bool Iterator::find_delegation(const Name& target, uint16_t qtype, Name& zone,
                               std::vector<Name>& ns) {
  // DS lives in the parent (RFC 4035 3.1.4.1): start one label up.
  Name n = (qtype == rrtype::DS && !target.is_root()) ? target.strip_left() : target;
  for (;;) {
    if (auto e = r_.cache_.lookup(n, rrtype::NS); e && e->kind == EntryKind::rrset) {
      zone = n;
      ns.clear();
      for (const auto& rd : e->rrset.rdata)
        if (auto t = rdata_name(rd)) ns.push_back(*t);
      if (!ns.empty()) return true;
    }
    if (n.is_root()) return false;
    n = n.strip_left();
  }
}

std::vector<std::pair<net::Endpoint, Name>> Iterator::gather(const Name& zone,
                                                             const std::vector<Name>& ns,
                                                             bool hints_ok) {
  std::vector<std::pair<net::Endpoint, Name>> out;
  bool allow_lo = !r_.options_.do_not_query_localhost;
  uint16_t port = r_.options_.upstream_port;
  auto add = [&](const net::Endpoint& ep, const Name& n) {
    if (!address_allowed(ep, allow_lo)) return;
    for (const auto& o : out)
      if (o.first.len == ep.len && std::memcmp(&o.first.addr, &ep.addr, ep.len) == 0) return;
    out.emplace_back(ep, n);
  };
  for (const auto& name : ns) {
    bool any = false;
    for (uint16_t t : {rrtype::A, rrtype::AAAA}) {
      auto e = r_.cache_.lookup(name, t);
      if (!e || e->kind != EntryKind::rrset) continue;
      for (const auto& rd : e->rrset.rdata) {
        net::Endpoint ep;
        if (endpoint_from_rdata(t, rd, port, ep)) {
          add(ep, name);
          any = true;
        }
      }
    }
    if (auto it = sub_addresses_.find(name.lower().to_text()); it != sub_addresses_.end())
      for (const auto& ep : it->second) add(ep, name), any = true;
    if (!any && hints_ok && zone.is_root())
      for (const auto& ep : r_.hints_.endpoints_of(name, port)) add(ep, name);
  }
  return out;
}

bool Iterator::lookup_ns_address(const Name& ns, int depth) {
  if (depth + 1 > r_.options_.max_depth) return false;
  auto key = std::make_pair(ns.lower().to_text(), rrtype::A);
  if (in_progress_.count(key)) return false;  // resolving it needs itself: a loop
  if (++subtasks_ > r_.options_.max_upstream_queries / 2) return false;
  in_progress_.insert(key);
  Answer a = resolve_full(ns, rrtype::A, depth + 1, false);
  in_progress_.erase(key);
  bool found = false;
  uint16_t port = r_.options_.upstream_port;
  for (const auto& e : a.chain) {
    if (e->rrset.type != rrtype::A) continue;
    for (const auto& rd : e->rrset.rdata) {
      net::Endpoint ep;
      if (endpoint_from_rdata(rrtype::A, rd, port, ep)) {
        sub_addresses_[ns.lower().to_text()].push_back(ep);
        found = true;
      }
    }
  }
  return found;
}

Answer Iterator::resolve_full(const Name& qname, uint16_t qtype, int depth, bool refresh) {
  Answer ans;
  Name cur = qname;
  int links = 0;
  bool first = true;
  for (;;) {
    // Whatever the cache already knows along the chain.
    if (!(refresh && first)) {
      Answer cached;
      bool complete = r_.answer_from_cache(cur, qtype, cached);
      for (auto& e : cached.chain) {
        if (e->rrset.type == rrtype::CNAME && qtype != rrtype::CNAME) {
          if (++links > r_.options_.max_cname_chain) {
            ans.rcode = dns::rcode::SERVFAIL;
            return ans;
          }
          if (auto t = rdata_name(e->rrset.rdata.front())) cur = *t;
        }
        ans.chain.push_back(e);
      }
      if (complete) {
        ans.rcode = cached.rcode;
        ans.negative = cached.negative;
        ans.from_cache = upstream_ == 0;
        return ans;
      }
    }
    first = false;
    IterResult r = iterate(cur, qtype, depth);
    for (auto& e : r.chain) ans.chain.push_back(e);
    links += static_cast<int>(r.chain.size());
    switch (r.outcome) {
      case Outcome::answer:
        ans.rcode = dns::rcode::NOERROR;
        return ans;
      case Outcome::nxdomain:
        ans.rcode = dns::rcode::NXDOMAIN;
        ans.negative = r.negative;
        return ans;
      case Outcome::nodata:
        ans.rcode = dns::rcode::NOERROR;
        ans.negative = r.negative;
        return ans;
      case Outcome::servfail:
        ans.rcode = dns::rcode::SERVFAIL;
        return ans;
      case Outcome::cname:
        if (links > r_.options_.max_cname_chain) {
          ans.rcode = dns::rcode::SERVFAIL;
          return ans;
        }
        cur = r.next;
        break;
    }
  }
}

Iterator::IterResult Iterator::iterate(const Name& target, uint16_t qtype, int depth) {
  const ResolverOptions& opt = r_.options_;
  IterResult result;
  State state = State::init_request;
  Name zone;
  std::vector<Name> ns_names;
  bool priming = false, primed = false, hints_ok = false;
  std::map<std::string, int> attempts;  // per server address this delegation; 99 = do not reuse
  std::set<std::string> looked_up;       // NS names whose addresses were sought
  int glueless = 0, referrals = 0, minimise_steps = 0;
  size_t extra_labels = 1;
  bool minimise = opt.qname_minimisation;
  bool use_tcp = false, no_edns = false;
  net::Endpoint server;
  Name server_name;
  std::string why;
  Name sent;
  uint16_t sent_type = qtype;
  bool sent_edns = false;
  net::Exchange ex;
  std::string flight_key;  // the in-flight question this iterator owns
  int flight_waits = 0;

  auto fail_servfail = [&](std::string reason) {
    TraceStep s;
    s.depth = depth;
    s.zone = zone.to_text();
    s.qname = target.to_text();
    s.qtype = qtype;
    s.error = std::move(reason);
    s.outcome = "SERVFAIL";
    emit(s);
    result.outcome = Outcome::servfail;
    return State::finished;
  };

  while (state != State::finished) {
    switch (state) {
      case State::init_request: {
        if (find_delegation(target, qtype, zone, ns_names)) {
          hints_ok = zone.is_root();
          state = State::query_targets;
        } else {
          state = primed ? fail_servfail("priming gave no root NS") : State::prime;
        }
        break;
      }
      case State::prime: {
        // RFC 8109: ask a hint server for the root's NS RRset.
        zone = Name();
        ns_names = r_.hints_.ns_names;
        hints_ok = true;
        priming = true;
        state = State::query_targets;
        break;
      }
      case State::query_targets: {
        if (upstream_ >= opt.max_upstream_queries) {
          state = fail_servfail("upstream query limit reached");
          break;
        }
        auto candidates = gather(zone, ns_names, hints_ok);
        std::erase_if(candidates, [&](const auto& c) {
          auto it = attempts.find(c.first.to_string());
          return it != attempts.end() && it->second >= 2;
        });
        while (candidates.empty()) {
          // Glueless delegation: find an NS name's address as a sub-task.
          const Name* pick = nullptr;
          for (const auto& n : ns_names) {
            if (looked_up.count(n.lower().to_text())) continue;
            pick = &n;
            break;
          }
          if (!pick || glueless >= opt.max_glueless_lookups || priming) break;
          looked_up.insert(pick->lower().to_text());
          ++glueless;
          // A name inside the zone it serves needs glue: asking for it
          // would lead back to the same servers.
          if (pick->is_subdomain_of(zone) && !zone.is_root()) continue;
          if (!lookup_ns_address(*pick, depth)) continue;
          candidates = gather(zone, ns_names, hints_ok);
          std::erase_if(candidates, [&](const auto& c) {
            auto it = attempts.find(c.first.to_string());
            return it != attempts.end() && it->second >= 2;
          });
        }
        if (candidates.empty()) {
          state = fail_servfail("no reachable server for zone " + zone.to_text());
          break;
        }
        // Servers not yet asked for this question come before a second try
        // of one that already failed (failover before retransmission).
        if (std::any_of(candidates.begin(), candidates.end(),
                        [&](const auto& c) { return !attempts.count(c.first.to_string()); }))
          std::erase_if(candidates, [&](const auto& c) { return attempts.count(c.first.to_string()) > 0; });
        std::vector<net::Endpoint> eps;
        for (const auto& c : candidates) eps.push_back(c.first);
        size_t i = r_.infra_.choose(eps, &why);
        server = candidates[i].first;
        server_name = candidates[i].second;
        use_tcp = false;
        no_edns = r_.infra_.edns_broken(server);
        state = State::send_query;
        break;
      }
      case State::send_query: {
        if (upstream_ >= opt.max_upstream_queries) {
          state = fail_servfail("upstream query limit reached");
          break;
        }
        // QNAME minimisation (RFC 9156): reveal one more label than the zone
        // cut to each zone's servers; ask with the real type only at the end.
        if (priming) {
          sent = Name();
          sent_type = rrtype::NS;
        } else {
          for (;;) {
            size_t want = zone.label_count() + extra_labels;
            if (minimise && want < target.label_count() &&
                minimise_steps < opt.max_minimise_steps && qtype != rrtype::DS) {
              sent = target.suffix(want);
              sent_type = rrtype::A;
              // A name already known to exist without a delegation (a cached
              // NODATA, e.g. an empty non-terminal): go one label further.
              auto known = r_.cache_.lookup(sent, rrtype::A);
              if (known && known->kind == EntryKind::nodata) {
                ++extra_labels;
                continue;
              }
            } else {
              sent = target;
              sent_type = qtype;
            }
            break;
          }
        }
        if (flight_key.empty()) {
          std::string key = zone.lower().to_text() + "|" + sent.lower().to_text() + "|" +
                            std::to_string(sent_type);
          if (!r_.begin_flight(key)) {
            if (flight_waits < 3) {
              ++flight_waits;
              r_.wait_flight(key);
              attempts.clear();
              looked_up.clear();
              glueless = 0;
              extra_labels = 1;
              state = State::init_request;
              break;
            }
          } else {
            flight_key = std::move(key);
          }
        }
        uint8_t qbuf[512];
        dns::MessageBuilder b(qbuf, sizeof qbuf);
        b.header().id = random_u16();
        b.header().rd = false;
        b.add_question(sent, sent_type, dns::rrclass::IN);
        sent_edns = !no_edns;
        if (sent_edns) {
          dns::Edns e;
          e.present = true;
          e.udp_size = opt.edns_udp_size;
          b.add_opt(e);
        }
        size_t qlen = b.finish();
        net::ExchangeOptions xo;
        xo.protocol = use_tcp ? net::ClientProtocol::tcp : net::ClientProtocol::udp;
        xo.tries = 1;
        xo.timeout = use_tcp ? std::chrono::milliseconds(3000) : r_.infra_.timeout_for(server);
        ++upstream_;
        ex = r_.transport_.exchange(server, std::span<const uint8_t>(qbuf, qlen), xo);
        state = State::query_response;
        break;
      }
      case State::query_response: {
        TraceStep step;
        step.depth = depth;
        step.zone = zone.to_text();
        step.server_name = server_name.to_text();
        step.server = server;
        step.qname = sent.to_text();
        step.qtype = sent_type;
        step.tcp = use_tcp;
        step.edns = sent_edns;
        step.why = why;
        step.rtt_ms = ex.rtt.count() / 1000;
        std::string skey = server.to_string();
        if (!ex.ok()) {
          step.error = net::exchange_error_text(ex.error);
          step.outcome = "no reply, trying another server";
          emit(step);
          if (ex.error == net::ExchangeError::timeout) {
            r_.infra_.record_timeout(server);
            attempts[skey] += 1;
          } else {
            r_.infra_.record_timeout(server);  // refused/unreachable: back off the same way
            attempts[skey] = 99;
          }
          state = State::query_targets;
          break;
        }
        dns::MessageView v;
        bool parsed = v.parse(ex.response) == dns::WireError::ok;
        // RFC 5452 9.1: the reply must echo our question (the transport
        // has matched ID and source address/port).
        if (!parsed || !v.header().qr || v.header().opcode != dns::opcode::QUERY ||
            v.header().qdcount != 1 || !(v.qname() == sent) || v.qtype() != sent_type ||
            v.qclass() != dns::rrclass::IN) {
          step.error = parsed ? "reply does not match the question" : "malformed reply";
          step.outcome = "ignored, trying another server";
          emit(step);
          attempts[skey] = 99;
          state = State::query_targets;
          break;
        }
        r_.infra_.record_rtt(server, ex.rtt);
        const auto& h = v.header();
        uint16_t rcode = v.edns().full_rcode(h.rcode);
        step.rcode = rcode;
        step.aa = h.aa;
        step.tc = h.tc;
        step.rd = h.rd;
        step.ra = h.ra;
        for (int s = 0; s < 4; ++s) step.counts[s] = v.count(static_cast<dns::Section>(s));
        if (h.tc && !use_tcp) {
          step.outcome = "truncated, retrying over TCP";
          emit(step);
          use_tcp = true;
          state = State::send_query;
          break;
        }
        if ((rcode == dns::rcode::FORMERR || rcode == dns::rcode::NOTIMP) && sent_edns &&
            !v.edns().present) {
          step.outcome = "EDNS not understood, retrying without EDNS";
          emit(step);
          r_.infra_.set_edns_broken(server);
          no_edns = true;
          state = State::send_query;
          break;
        }
        bool minimised = !priming && (!(sent == target) || sent_type != qtype);
        if (rcode != dns::rcode::NOERROR && rcode != dns::rcode::NXDOMAIN) {
          if (minimised) {
            step.outcome = dns::rcode_to_text(rcode) + " to a minimised query, asking the full name";
            minimise = false;
            state = State::send_query;
          } else {
            step.outcome = dns::rcode_to_text(rcode) + ", trying another server";
            attempts[skey] = 99;
            state = State::query_targets;
          }
          emit(step);
          break;
        }
        Sections sec;
        if (!split_sections(v, sec)) {
          step.error = "undecodable rdata";
          step.outcome = "ignored, trying another server";
          emit(step);
          attempts[skey] = 99;
          state = State::query_targets;
          break;
        }
        Trust answer_trust = h.aa ? Trust::answer_auth : Trust::answer_nonauth;

        if (priming) {
          const dns::RRset* ns = find_rrset(sec.answer, Name(), rrtype::NS);
          if (!ns) {
            step.outcome = "priming reply without root NS, trying another server";
            emit(step);
            attempts[skey] = 99;
            state = State::query_targets;
            break;
          }
          r_.cache_.store(*ns, Trust::prime);
          for (const auto& rs : sec.additional) {
            if (rs.type != rrtype::A && rs.type != rrtype::AAAA) continue;
            r_.cache_.store(rs, Trust::additional);
          }
          step.outcome = fmt::format("primed: {} root servers", ns->rdata.size());
          step.records.push_back(rrset_text(*ns));
          emit(step);
          priming = false;
          primed = true;
          state = State::init_request;
          break;
        }

        // Follow the answer's chain from the name we sent, accepting only
        // records inside the zone whose server we asked (bailiwick).
        std::vector<dns::RRset> links;
        const dns::RRset* final_rs = nullptr;
        Name cur = sent;
        for (int i = 0; i <= opt.max_cname_chain; ++i) {
          if (!cur.is_subdomain_of(zone)) break;
          if (auto* rs = find_rrset(sec.answer, cur, sent_type)) {
            final_rs = rs;
            break;
          }
          if (sent_type == rrtype::CNAME) break;
          const dns::RRset* d = nullptr;
          for (const auto& rs : sec.answer)
            if (rs.type == rrtype::DNAME && cur.is_subdomain_of(rs.owner) && !(cur == rs.owner) &&
                rs.owner.is_subdomain_of(zone))
              d = &rs;
          if (d) {
            auto t = rdata_name(d->rdata.front());
            auto n = t ? substitute(cur, d->owner, *t) : std::nullopt;
            if (!n) break;
            links.push_back(*d);
            dns::RRset synth;  // RFC 6672 3.1: the synthesized CNAME, with the DNAME's TTL
            synth.owner = cur;
            synth.type = rrtype::CNAME;
            synth.ttl = d->ttl;
            synth.rdata.emplace_back(n->wire().begin(), n->wire().end());
            links.push_back(std::move(synth));
            cur = *n;
            continue;
          }
          if (auto* c = find_rrset(sec.answer, cur, rrtype::CNAME)) {
            auto t = rdata_name(c->rdata.front());
            if (!t) break;
            links.push_back(*c);
            cur = *t;
            continue;
          }
          break;
        }

        // A referral: NS for a zone strictly below the one asked, at or
        // above the name sent, and no answer.
        const dns::RRset* referral = nullptr;
        if (!final_rs && links.empty() && sec.answer.empty() && rcode == dns::rcode::NOERROR) {
          for (const auto& rs : sec.authority)
            if (rs.type == rrtype::NS && rs.owner.is_subdomain_of(zone) && !(rs.owner == zone) &&
                sent.is_subdomain_of(rs.owner))
              referral = &rs;
          if (referral && find_rrset(sec.authority, referral->owner, rrtype::SOA)) referral = nullptr;
        }
        auto soa_for = [&](const Name& name) -> const dns::RRset* {
          for (const auto& rs : sec.authority)
            if (rs.type == rrtype::SOA && rs.owner.is_subdomain_of(zone) &&
                name.is_subdomain_of(rs.owner))
              return &rs;
          return nullptr;
        };

        if (referral) {
          if (++referrals > opt.max_referrals) {
            emit(step);
            state = fail_servfail("referral limit reached");
            break;
          }
          const dns::RRset& ns = *referral;
          r_.cache_.store(ns, Trust::authority_nonauth);
          std::vector<Name> names;
          for (const auto& rd : ns.rdata)
            if (auto t = rdata_name(rd)) names.push_back(*t);
          // Glue: addresses of the new NS names, and only those inside the
          // zone of the server that sent them (anything else could be a
          // poisoning attempt).
          for (const auto& rs : sec.additional) {
            if (rs.type != rrtype::A && rs.type != rrtype::AAAA) continue;
            if (!rs.owner.is_subdomain_of(zone)) continue;
            if (std::find(names.begin(), names.end(), rs.owner) == names.end()) continue;
            r_.cache_.store(rs, Trust::additional);
            step.records.push_back(rrset_text(rs));
          }
          step.records.insert(step.records.begin(), rrset_text(ns, 13));
          step.outcome = "referral to " + ns.owner.to_text();
          emit(step);
          zone = ns.owner;
          ns_names = std::move(names);
          hints_ok = false;
          attempts.clear();
          looked_up.clear();
          glueless = 0;
          extra_labels = 1;
          state = State::query_targets;
          break;
        }

        if (minimised) {
          if (rcode == dns::rcode::NOERROR && links.empty() &&
              (final_rs || soa_for(sent) || h.aa)) {
            // The name exists (an empty non-terminal or a node of this
            // zone) and is not delegated: reveal one more label here.
            if (final_rs) {
              r_.cache_.store(*final_rs, answer_trust);
            } else if (const dns::RRset* soa = soa_for(sent)) {
              store_negative(sent, rrtype::A, false, *soa);
            }
            step.outcome = "no delegation at " + sent.to_text() + ", one more label";
            emit(step);
            ++extra_labels;
            ++minimise_steps;
            state = State::send_query;
          } else {
            // NXDOMAIN, CNAME or something odd for a minimised name: relaxed
            // mode does not trust it and asks the full name (RFC 9156 2.3).
            step.outcome = (rcode == dns::rcode::NXDOMAIN ? "NXDOMAIN" : "unexpected reply") +
                           std::string(" to a minimised query, asking the full name");
            emit(step);
            minimise = false;
            state = State::send_query;
          }
          break;
        }

        // ANY (RFC 8482): whatever RRsets the authority gave for the name are
        // the answer; each is cached by its own type, ANY itself never.
        if (!minimised && sent_type == rrtype::ANY && links.empty()) {
          std::vector<const dns::RRset*> all;
          for (const auto& rs : sec.answer)
            if (rs.owner == sent && sent.is_subdomain_of(zone)) all.push_back(&rs);
          if (!all.empty()) {
            for (const auto* rs : all) {
              result.chain.push_back(store(*rs, answer_trust));
              step.records.push_back(rrset_text(*rs));
            }
            step.outcome = "answer (ANY)";
            emit(step);
            result.outcome = Outcome::answer;
            state = State::finished;
            break;
          }
        }
        for (auto& rs : links) {
          result.chain.push_back(store(rs, answer_trust));
          step.records.push_back(rrset_text(rs));
        }
        if (final_rs) {
          dns::RRset rs = *final_rs;
          result.chain.push_back(store(rs, answer_trust));
          step.records.push_back(rrset_text(rs));
          step.outcome = links.empty() ? "answer" : "answer (via CNAME/DNAME)";
          emit(step);
          result.outcome = Outcome::answer;
          state = State::finished;
          break;
        }
        // Negative answers: for the end of the chain, when that name is in
        // this zone and the SOA proves it (RFC 2308 2.1, 2.2).
        const dns::RRset* soa = soa_for(cur);
        // After a CNAME/DNAME, the negative part is about the chain's end
        // only if the SOA proves it and no delegation lies in between (the
        // target may sit in a child zone that this server only refers to).
        if (!links.empty()) {
          bool delegated = false;
          for (const auto& rs : sec.authority)
            if (rs.type == rrtype::NS && cur.is_subdomain_of(rs.owner) &&
                (!soa || (rs.owner.is_subdomain_of(soa->owner) && !(rs.owner == soa->owner))))
              delegated = true;
          if (!soa || delegated) {
            step.outcome = "CNAME to " + cur.to_text() + ", following it";
            emit(step);
            result.outcome = Outcome::cname;
            result.next = cur;
            state = State::finished;
            break;
          }
        }
        if (rcode == dns::rcode::NXDOMAIN && cur.is_subdomain_of(zone)) {
          if (soa) {
            result.negative = store_negative(cur, qtype, true, *soa);
            step.records.push_back(rrset_text(*soa));
          }
          step.outcome = "NXDOMAIN";
          emit(step);
          result.outcome = Outcome::nxdomain;
          state = State::finished;
          break;
        }
        if (rcode == dns::rcode::NOERROR && (soa || h.aa)) {
          if (soa) {
            result.negative = store_negative(cur, qtype, false, *soa);
            step.records.push_back(rrset_text(*soa));
          } else {
            auto e = std::make_shared<CacheEntry>();
            e->kind = EntryKind::nodata;
            e->rrset.owner = cur;
            result.negative = e;
          }
          step.outcome = "NODATA";
          emit(step);
          result.outcome = Outcome::nodata;
          state = State::finished;
          break;
        }
        // Upward referral, out-of-zone data, no SOA: a lame server.
        step.outcome = "lame (no answer, referral or SOA for this zone), trying another server";
        emit(step);
        attempts[skey] = 99;
        state = State::query_targets;
        break;
      }
      case State::finished:
        break;
    }
    if (!flight_key.empty() && state != State::query_response) {
      r_.end_flight(flight_key);
      flight_key.clear();
    }
  }
  return result;
}

bool Resolver::begin_flight(const std::string& key) {
  std::lock_guard lock(flight_mu_);
  return flights_.insert(key).second;
}

void Resolver::end_flight(const std::string& key) {
  {
    std::lock_guard lock(flight_mu_);
    flights_.erase(key);
  }
  flight_cv_.notify_all();
}

void Resolver::wait_flight(const std::string& key) {
  std::unique_lock lock(flight_mu_);
  flight_cv_.wait_for(lock, std::chrono::seconds(5), [&] { return !flights_.count(key); });
}

Resolver::Resolver(ResolverOptions options, RootHints hints, Cache& cache, Infra& infra,
                   net::Transport& transport, const Clock& clock)
    : options_(options), hints_(std::move(hints)), cache_(cache), infra_(infra),
      transport_(transport), clock_(clock) {}

bool Resolver::answer_from_cache(const Name& qname, uint16_t qtype, Answer& out,
                                 bool allow_stale) const {
  Name cur = qname;
  out.from_cache = true;
  for (int i = 0; i <= options_.max_cname_chain; ++i) {
    if (auto e = cache_.lookup(cur, qtype, allow_stale)) {
      if (e->kind == EntryKind::nodata) {
        out.rcode = dns::rcode::NOERROR;
        out.negative = std::move(e);
      } else {
        out.rcode = dns::rcode::NOERROR;
        out.chain.push_back(std::move(e));
      }
      return true;
    }
    if (auto e = cache_.lookup(cur, 0, allow_stale)) {
      out.rcode = dns::rcode::NXDOMAIN;
      out.negative = std::move(e);
      return true;
    }
    auto c = qtype == rrtype::CNAME ? nullptr : cache_.lookup(cur, rrtype::CNAME, allow_stale);
    if (!c || c->kind != EntryKind::rrset) {
      // RFC 8020: nothing exists below a name that does not exist.
      for (Name up = cur; up.label_count() > 1;) {
        up = up.strip_left();
        if (auto e = cache_.lookup(up, 0, allow_stale); e && e->kind == EntryKind::nxdomain) {
          out.rcode = dns::rcode::NXDOMAIN;
          out.negative = std::move(e);
          return true;
        }
      }
      return false;
    }
    auto t = rdata_name(c->rrset.rdata.front());
    out.chain.push_back(std::move(c));
    if (!t) return false;
    cur = *t;
  }
  return false;
}

bool Resolver::referral_from_cache(const Name& qname, Answer& out) const {
  for (Name n = qname;; n = n.strip_left()) {
    if (auto ns = cache_.lookup(n, rrtype::NS); ns && ns->kind == EntryKind::rrset) {
      out.rcode = dns::rcode::NOERROR;
      out.referral = ns;
      for (const auto& rd : ns->rrset.rdata) {
        auto target = rdata_name(rd);
        if (!target) continue;
        for (uint16_t t : {rrtype::A, rrtype::AAAA})
          if (auto a = cache_.lookup(*target, t); a && a->kind == EntryKind::rrset)
            out.glue.push_back(std::move(a));
      }
      return true;
    }
    if (n.is_root()) return false;
  }
}

Answer Resolver::resolve(const Name& qname, uint16_t qtype, bool refresh, const TraceSink* trace) {
  Iterator it(*this, trace);
  Answer a = it.resolve_full(qname, qtype, 0, refresh);
  a.upstream_queries = it.upstream();
  if (a.rcode == dns::rcode::SERVFAIL && cache_.options().serve_stale) {
    Answer stale;
    if (answer_from_cache(qname, qtype, stale, true)) {
      stale.stale = true;
      stale.from_cache = false;
      stale.upstream_queries = a.upstream_queries;
      return stale;
    }
  }
  return a;
}

}  // namespace namae::resolver
