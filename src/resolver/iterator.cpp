// The iterator (RFC 1034 5.3.3), as an explicit state machine after
// Unbound's iterator: one QueryState per (name, type) being resolved (its
// iter_qstate) and one function per state.
//
// One client question, from the top:
//   Resolver::resolve            an Iterator for the question, its budget
//   Iterator::resolve_full       cached CNAME links, then iterate() per name
//   Iterator::iterate            runs the states until `finished`:
//     init_request    the closest delegation the cache knows, else prime
//     prime           RFC 8109: ask a root hint for the root's NS RRset
//     query_targets   pick a server of the zone (glueless NS addresses are
//                     looked up as nested sub-tasks: resolve_full at depth+1)
//     send_query      the name to reveal (RFC 9156), one exchange
//     query_response  what the reply means: a retry, a referral (back to
//                     query_targets), one more label, an answer, a CNAME to
//                     follow, a negative answer or a lame server
//     finished        the IterResult goes back to resolve_full
// Every exchange is described to the trace sink (`namae query +trace`).
// Sub-tasks share the Iterator, so the upstream-query and sub-task budgets
// bound a question with everything it causes (NXNS-style amplification).
#include <arpa/inet.h>
#include <netinet/in.h>

#include <algorithm>
#include <cstring>
#include <fmt/format.h>
#include <map>
#include <optional>
#include <set>

#include "dns/edns.h"
#include "dns/message.h"
#include "dns/rrtype.h"
#include "resolver/resolver.h"
#include "resolver/sections.h"
#include "resolver/server_address.h"
#include "validator/keys.h"

namespace namae::resolver {

namespace {

using dns::Name;
namespace rrtype = dns::rrtype;

std::optional<Name> substitute(const Name& name, const Name& from, const Name& to);
std::string rrset_text(const dns::RRset& rs, size_t max = 4);
EntryPtr transient(const dns::RRset& rs, Trust trust, int64_t now, Dnssec dnssec = {});
AnswerValidator::Note trace_validation(const TraceSink* trace);

// `cached`: another iterator asked this very question meanwhile, and the
// cache now holds its answer (resolve_full reads it from there).
enum class Outcome { answer, cname, nxdomain, nodata, servfail, cached };

/// What iterating one name gave.
struct IterResult {
  Outcome outcome = Outcome::servfail;
  std::vector<EntryPtr> chain;  // CNAME/DNAME links and the data, as cached
  EntryPtr negative;
  Name next;                    // Outcome::cname: the name to go on with
};

// Named states, as in Unbound's iterator.
enum class State { init_request, prime, query_targets, send_query, query_response, finished };

// Whose servers the zone's questions go to: the delegation the cache holds
// (or the root hints), a configured stub or forward domain, or the zone
// served on this host (asked in-process, its data never cached).
enum class Via { delegation, stub, forward, local };

// Flights of other iterators one name waits for before asking anyway.
constexpr int kMaxFlightWaits = 16;

/// Everything the states of one iterate() share (Unbound's iter_qstate).
struct QueryState {
  QueryState(const Name& t, uint16_t type, int d, bool minimise_names)
      : target(t), qtype(type), depth(d), minimise(minimise_names), sent_type(type) {}

  // The question.
  const Name target;
  const uint16_t qtype;
  const int depth;  // 0 = the client's question; >0 = a sub-task
  State state = State::init_request;
  IterResult result;

  // The zone whose servers are asked.
  Name zone;
  Via via = Via::delegation;
  const ZoneRoute* route = nullptr;  // Via::stub and Via::forward
  std::vector<Name> ns_names;
  bool hints_ok = false;                // the root hints' addresses may serve
  bool priming = false, primed = false;
  std::map<std::string, int> attempts;  // per server address this delegation; 99 = do not reuse
  std::set<std::string> looked_up;      // NS names whose addresses were sought
  int glueless = 0;
  int referrals = 0;

  // QNAME minimisation (RFC 9156).
  bool minimise;
  size_t extra_labels = 1;  // labels revealed below the zone cut
  int minimise_steps = 0;

  // The server chosen and the exchange with it.
  net::Endpoint server;
  Name server_name;
  std::string why;  // why that server
  bool use_tcp = false, no_edns = false;
  Name sent;
  uint16_t sent_type;
  bool sent_edns = false;
  int badcookies = 0;  // BADCOOKIE replies from this server for this question (RFC 7873 5.3)
  net::Exchange ex;

  // The identical-question flight this state owns (Resolver::begin_flight).
  std::string flight_key;
  int flight_waits = 0;
};

/// A server that may be asked: its address and the NS name it is for.
struct Candidate {
  net::Endpoint address;
  Name ns;
};

/// The answer section followed from the name sent (bailiwick-checked).
struct Chain {
  std::vector<dns::RRset> links;     // CNAMEs, DNAMEs and the CNAMEs they synthesize
  const dns::RRset* data = nullptr;  // the RRset of the type sent, in the reply
  Name end;                          // the name the chain reached
};

/// A usable reply, taken apart.
struct Reply {
  uint16_t rcode = 0;
  bool aa = false;
  bool minimised = false;  // the name or type sent was not the question's
  Sections sec;
  Chain chain;
  // When validating: the authority section's NSEC, NSEC3 and RRSIG RRsets,
  // kept with negative and wildcard answers as their proof.
  std::shared_ptr<const std::vector<dns::RRset>> proof;

  Trust answer_trust() const { return aa ? Trust::answer_auth : Trust::answer_nonauth; }
};

Chain follow_chain(const Sections& sec, const Name& sent, uint16_t sent_type, const Name& zone,
                   int max_links);
const dns::RRset* find_referral(const Reply& reply, const Name& zone, const Name& sent);
Dnssec dnssec_of(const Reply& reply, const dns::RRset& rs);
std::shared_ptr<const std::vector<dns::RRset>> denial_records(const Sections& sec);
const dns::RRset* soa_for(const Sections& sec, const Name& zone, const Name& name);
bool delegated_below(const Sections& sec, const Name& name, const dns::RRset& soa);
const dns::RRset* find_delegation_of(const Sections& sec, const Name& zone, const Name& name);
bool echoes_question(const dns::MessageView& v, const QueryState& q);
void describe_reply(const dns::MessageView& v, uint16_t rcode, TraceStep& step);

}  // namespace

/// Runs one client question (and its sub-tasks) against a Resolver.
class Iterator {
 public:
  Iterator(Resolver& r, const TraceSink* trace)
      : r_(r), trace_(trace), tracing_(trace && *trace),
        deadline_ms_(r.clock_.now_ms() + r.options_.resolution_timeout_ms) {}

  Answer resolve_full(const Name& qname, uint16_t qtype, int depth, bool refresh);
  int upstream() const { return upstream_; }
  // RFC 8914 4.23 "No Reachable Authority": a zone's servers all timed
  // out, refused or failed, or the deadline passed before one answered.
  bool unreachable() const { return unreachable_; }
  // The last exchange that got no reply, and why (with the server), for
  // the EDE extra text of a SERVFAIL (RFC 8914 2).
  const std::string& last_failure() const { return last_failure_; }

 private:
  enum class CacheWalk { complete, incomplete, too_long };
  CacheWalk follow_cache(Name& cur, uint16_t qtype, int& links, Answer& ans);
  IterResult iterate(const Name& target, uint16_t qtype, int depth);
  State run(QueryState& q);

  // The states.
  State process_init_request(QueryState& q);
  bool choose_route(QueryState& q, bool cached);
  State process_prime(QueryState& q);
  State process_query_targets(QueryState& q);
  State process_send_query(QueryState& q);
  State process_query_response(QueryState& q);

  // query_targets and send_query.
  State ask_local_zone(QueryState& q);
  std::vector<Candidate> servers_to_ask(QueryState& q);
  std::vector<Candidate> untried_servers(QueryState& q);
  const Name* next_glueless_name(QueryState& q);
  bool lookup_ns_address(const Name& ns, int depth);
  void choose_qname(QueryState& q);
  bool waited_for_identical_question(QueryState& q);
  bool answered_meanwhile(QueryState& q);
  bool closer_delegation_cached(QueryState& q);
  void send(QueryState& q);
  void exchange_locally(QueryState& q, std::span<const uint8_t> query);

  // query_response.
  State on_no_reply(QueryState& q, TraceStep& step);
  State retry_after_badcookie(QueryState& q, TraceStep& step);
  State on_error_rcode(QueryState& q, uint16_t rcode, bool minimised, TraceStep& step);
  State process_prime_response(QueryState& q, const Sections& sec, TraceStep& step);
  State process_reply(QueryState& q, const Reply& reply, TraceStep& step);
  State process_referral(QueryState& q, const Sections& sec, const dns::RRset& ns, TraceStep& step);
  std::vector<Name> keep_delegation(QueryState& q, const Sections& sec, const dns::RRset& ns, TraceStep& step);
  State process_minimised_reply(QueryState& q, const Reply& reply, TraceStep& step);
  bool answer_any(QueryState& q, const Reply& reply, TraceStep& step);
  State process_negative(QueryState& q, const Reply& reply, TraceStep& step);

  // Ways out of a state.
  State finish(QueryState& q, TraceStep& step, Outcome outcome, std::string text);
  State fail(QueryState& q, std::string reason);
  State drop_server(QueryState& q, TraceStep& step, std::string outcome);
  State stop_minimising(QueryState& q, TraceStep& step, const std::string& what);
  void restart_delegation(QueryState& q);

  // The cache.
  bool find_delegation(const Name& target, uint16_t qtype, Name& zone, std::vector<Name>& ns);
  void keep_addresses(const dns::RRset& rs);
  std::vector<Candidate> gather(const Name& zone, const std::vector<Name>& ns, bool hints_ok);
  EntryPtr store(const QueryState& q, const dns::RRset& rs, Trust trust, Dnssec dnssec = {});
  EntryPtr store_negative(const QueryState& q, const Name& name, uint16_t type, bool nx,
                          const dns::RRset& soa, Dnssec dnssec = {});
  void add_to_answer(QueryState& q, const Reply& reply, const dns::RRset& rs, TraceStep& step);

  // The trace's text costs more than an exchange's own work: only built
  // when someone reads it (`namae query +trace`).
  TraceStep trace_step(const QueryState& q) const;
  void note(TraceStep& step, const dns::RRset& rs) const {
    if (tracing_) note(step, rs);
  }
  void emit(const TraceStep& step) const {
    if (tracing_) (*trace_)(step);
  }

  Resolver& r_;
  const TraceSink* trace_;
  const bool tracing_;
  int upstream_ = 0;
  int subtasks_ = 0;
  int64_t deadline_ms_ = 0;  // the question's resolution_timeout, sub-tasks included
  bool unreachable_ = false;  // a zone ran out of servers, or the question out of time
  std::string last_failure_;
  std::set<std::pair<std::string, uint16_t>> in_progress_;
  std::map<std::string, std::vector<net::Endpoint>> sub_addresses_;  // TTL-0 results of sub-tasks
};

Answer Resolver::resolve(const Name& qname, uint16_t qtype, bool refresh, const TraceSink* trace,
                         bool checking_disabled) {
  Iterator it(*this, trace);
  Answer a = it.resolve_full(qname, qtype, 0, refresh);
  if (validating() && !checking_disabled) {
    // The keys' DS and DNSKEY questions go through the same iterator: the
    // question's budgets bound them too.
    auto anchors = options_.auto_anchors ? options_.auto_anchors->anchors() : options_.trust_anchors;
    const ValidationContext ctx{*anchors, keys_, negative_, cache_, options_.aggressive_nsec ? &denial_ : nullptr,
                                options_.auto_anchors.get(), clock_, cache_.options().bogus_ttl};
    auto fetch = [&](const Name& n, uint16_t t) {
      Answer f = it.resolve_full(n, t, 1, false);
      if (f.rcode == dns::rcode::SERVFAIL && f.ede == validator::ede::NONE)
        f.ede = it.unreachable() ? dns::ede::NO_REACHABLE_AUTHORITY : validator::ede::NETWORK_ERROR;
      return f;
    };
    AnswerValidator v(ctx, fetch, trace_validation(trace));
    if (auto failed = v.validate(a, qtype)) a.servfail(failed->ede);
  }
  settle(a, checking_disabled);
  a.upstream_queries = it.upstream();
  if (a.rcode == dns::rcode::SERVFAIL && it.unreachable() && a.ede == validator::ede::NONE) {
    a.ede = dns::ede::NO_REACHABLE_AUTHORITY;
    a.ede_text = it.last_failure();
  }
  // RFC 8767 never covers bogus data: only an unreachable upstream.
  if (a.rcode == dns::rcode::SERVFAIL && cache_.options().serve_stale &&
      a.security != validator::Security::bogus) {
    Answer stale;
    if (answer_from_cache(qname, qtype, stale, true) && settle(stale, checking_disabled)) {
      stale.stale = true;
      stale.from_cache = false;
      stale.upstream_queries = a.upstream_queries;
      return stale;
    }
  }
  return a;
}

namespace {
// `namae query +trace`: each zone's keys and each RRset of the answer as
// a step of their own, secure, insecure or bogus and why.
AnswerValidator::Note trace_validation(const TraceSink* trace) {
  if (!trace || !*trace) return {};
  return [trace](const Name& name, uint16_t type, const validator::Verdict& v) {
    TraceStep s;
    s.qname = name.to_text();
    s.qtype = type;
    s.error = "DNSSEC";
    s.outcome = validator::security_text(v.security);
    if (!v.why.empty()) s.outcome += ": " + v.why;
    (*trace)(s);
  };
}
}  // namespace

Answer Iterator::resolve_full(const Name& qname, uint16_t qtype, int depth, bool refresh) {
  Answer ans;
  Name cur = qname;
  int links = 0;
  for (bool first = true;; first = false) {
    if (!(refresh && first)) {
      CacheWalk walk = follow_cache(cur, qtype, links, ans);
      if (walk == CacheWalk::complete) return ans;
      if (walk == CacheWalk::too_long) {
        ans.rcode = dns::rcode::SERVFAIL;
        return ans;
      }
    }
    IterResult r = iterate(cur, qtype, depth);
    for (auto& e : r.chain) ans.chain.push_back(e);
    links += static_cast<int>(r.chain.size());
    switch (r.outcome) {
      case Outcome::answer:
        ans.rcode = dns::rcode::NOERROR;
        return ans;
      case Outcome::nxdomain:
      case Outcome::nodata:
        ans.rcode = r.outcome == Outcome::nxdomain ? dns::rcode::NXDOMAIN : dns::rcode::NOERROR;
        ans.negative = r.negative;
        return ans;
      case Outcome::servfail:
        ans.rcode = dns::rcode::SERVFAIL;
        return ans;
      case Outcome::cached:
        break;
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

// Whatever the cache already knows along the chain from `cur`: its links
// join `ans` and `cur` moves to the chain's end.
Iterator::CacheWalk Iterator::follow_cache(Name& cur, uint16_t qtype, int& links, Answer& ans) {
  Answer cached;
  bool complete = r_.answer_from_cache(cur, qtype, cached);
  for (auto& e : cached.chain) {
    if (e->rrset.type == rrtype::CNAME && qtype != rrtype::CNAME) {
      if (++links > r_.options_.max_cname_chain) return CacheWalk::too_long;
      if (auto t = rdata_name(e->rrset.rdata.front())) cur = *t;
    }
    ans.chain.push_back(e);
  }
  if (!complete) return CacheWalk::incomplete;
  ans.rcode = cached.rcode;
  ans.negative = cached.negative;
  ans.from_cache = upstream_ == 0;
  return CacheWalk::complete;
}

IterResult Iterator::iterate(const Name& target, uint16_t qtype, int depth) {
  QueryState q(target, qtype, depth, r_.options_.qname_minimisation);
  while (q.state != State::finished) {
    q.state = run(q);
    if (!q.flight_key.empty() && q.state != State::query_response) {
      r_.end_flight(q.flight_key);
      q.flight_key.clear();
    }
  }
  return std::move(q.result);
}

State Iterator::run(QueryState& q) {
  switch (q.state) {
    case State::init_request: return process_init_request(q);
    case State::prime: return process_prime(q);
    case State::query_targets: return process_query_targets(q);
    case State::send_query: return process_send_query(q);
    case State::query_response: return process_query_response(q);
    case State::finished: break;
  }
  return State::finished;
}

State Iterator::process_init_request(QueryState& q) {
  q.via = Via::delegation;
  q.route = nullptr;
  bool cached = find_delegation(q.target, q.qtype, q.zone, q.ns_names);
  if (choose_route(q, cached)) return State::query_targets;
  if (cached) {
    q.hints_ok = q.zone.is_root();
    return State::query_targets;
  }
  return q.primed ? fail(q, "priming gave no root NS") : State::prime;
}

// The deepest of a local zone and a stub or forward domain holding the
// question (the local zone on a tie) decides where it goes, except that a
// cached delegation below a local zone or stub is closer (Unbound's rule
// for stubs; a forward domain sends everything below it to its servers).
bool Iterator::choose_route(QueryState& q, bool cached) {
  const Name start = delegation_start(q.target, q.qtype);
  const ZoneRoute* route = r_.route_for(start);
  std::optional<Name> local = r_.local_ ? r_.local_->zone_of(start) : std::nullopt;
  if (local && route && route->name.label_count() > local->label_count()) local.reset();
  if (!local && !route) return false;
  const Name& name = local ? *local : route->name;
  bool forward = !local && route->forward;
  if (!forward && cached && q.zone.label_count() > name.label_count()) return false;
  q.zone = name;
  q.ns_names.clear();
  q.hints_ok = false;
  q.via = local ? Via::local : forward ? Via::forward : Via::stub;
  q.route = local ? nullptr : route;
  return true;
}

State Iterator::process_prime(QueryState& q) {
  // RFC 8109: ask a hint server for the root's NS RRset.
  q.zone = Name();
  q.ns_names = r_.hints_.ns_names;
  q.hints_ok = true;
  q.priming = true;
  return State::query_targets;
}

State Iterator::process_query_targets(QueryState& q) {
  if (q.via == Via::local) return ask_local_zone(q);
  if (upstream_ >= r_.options_.max_upstream_queries) return fail(q, "upstream query limit reached");
  auto candidates = servers_to_ask(q);
  if (candidates.empty()) {
    unreachable_ = true;
    return fail(q, "no reachable server for zone " + q.zone.to_text());
  }
  // Servers not yet asked for this question come before a second try
  // of one that already failed (failover before retransmission).
  auto tried = [&](const Candidate& c) { return q.attempts.count(c.address.to_string()) > 0; };
  if (!std::all_of(candidates.begin(), candidates.end(), tried)) std::erase_if(candidates, tried);
  std::vector<net::Endpoint> eps;
  for (const auto& c : candidates) eps.push_back(c.address);
  size_t i = r_.infra_.choose(eps, tracing_ ? &q.why : nullptr);
  q.server = candidates[i].address;
  q.server_name = candidates[i].ns;
  if (q.route && tracing_) q.why = (q.route->forward ? "forwarder, " : "stub server, ") + q.why;
  q.use_tcp = false;
  q.badcookies = 0;
  q.no_edns = r_.infra_.edns_broken(q.server);
  return State::send_query;
}

// The zone served here has one "server", the authoritative engine in this
// process: asked once per delegation step; a reply that leads nowhere fails.
State Iterator::ask_local_zone(QueryState& q) {
  if (!q.attempts.empty()) return fail(q, "the local zone " + q.zone.to_text() + " gave no usable answer");
  q.attempts["local"] = 99;
  q.server = net::Endpoint{};
  q.server_name = q.zone;
  q.why = "zone served here";
  q.use_tcp = false;
  q.no_edns = false;
  return State::send_query;
}

// The zone's servers still worth asking; for a glueless delegation, NS
// names' addresses are looked up as sub-tasks until one gives some.
std::vector<Candidate> Iterator::servers_to_ask(QueryState& q) {
  auto candidates = untried_servers(q);
  while (candidates.empty()) {
    const Name* ns = next_glueless_name(q);
    if (!ns) break;
    // A name inside the zone it serves needs glue: asking for it
    // would lead back to the same servers.
    if (ns->is_subdomain_of(q.zone) && !q.zone.is_root()) continue;
    if (lookup_ns_address(*ns, q.depth)) candidates = untried_servers(q);
  }
  return candidates;
}

// The known addresses of the zone's servers, less those tried twice.
std::vector<Candidate> Iterator::untried_servers(QueryState& q) {
  std::vector<Candidate> candidates;
  if (q.route)
    for (const auto& ep : q.route->servers) candidates.push_back({ep, q.route->name});
  else
    candidates = gather(q.zone, q.ns_names, q.hints_ok);
  std::erase_if(candidates, [&](const Candidate& c) {
    auto it = q.attempts.find(c.address.to_string());
    return it != q.attempts.end() && it->second >= 2;
  });
  return candidates;
}

// The next NS name whose address to look up, within the per-delegation limit.
const Name* Iterator::next_glueless_name(QueryState& q) {
  const Name* pick = nullptr;
  for (const auto& n : q.ns_names) {
    if (q.looked_up.count(n.lower().to_text())) continue;
    pick = &n;
    break;
  }
  if (!pick || q.glueless >= r_.options_.max_glueless_lookups || q.priming) return nullptr;
  q.looked_up.insert(pick->lower().to_text());
  ++q.glueless;
  return pick;
}

// A sub-task: resolve `ns`'s address on this Iterator's budget.
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

State Iterator::process_send_query(QueryState& q) {
  if (upstream_ >= r_.options_.max_upstream_queries) return fail(q, "upstream query limit reached");
  if (r_.clock_.now_ms() >= deadline_ms_) {
    unreachable_ = true;
    return fail(q, "out of time: no server answered within the resolution timeout");
  }
  if (closer_delegation_cached(q)) {
    restart_delegation(q);
    return State::init_request;
  }
  choose_qname(q);
  if (waited_for_identical_question(q)) {
    if (answered_meanwhile(q)) return State::finished;
    restart_delegation(q);
    return State::init_request;
  }
  send(q);
  return State::query_response;
}

// Another iterator followed a referral below this zone since this one
// chose it (concurrent questions under one cold zone): go on from there
// rather than ask this zone's servers for it again.
bool Iterator::closer_delegation_cached(QueryState& q) {
  if (q.via != Via::delegation || q.priming) return false;
  Name zone;
  std::vector<Name> ns;
  return find_delegation(q.target, q.qtype, zone, ns) && zone.label_count() > q.zone.label_count();
}

// After waiting for another iterator that asked the question itself (not
// a minimised step of it): its answer is in the cache, and asking again
// would only repeat its exchange.
bool Iterator::answered_meanwhile(QueryState& q) {
  if (!(q.sent == q.target) || q.sent_type != q.qtype) return false;
  Answer cached;
  if (!r_.answer_from_cache(q.target, q.qtype, cached) && cached.chain.empty()) return false;
  q.result.outcome = Outcome::cached;
  return true;
}

// QNAME minimisation (RFC 9156): reveal one more label than the zone cut
// to each zone's servers; ask with the real type only at the end.
void Iterator::choose_qname(QueryState& q) {
  if (q.priming) {
    q.sent = Name();
    q.sent_type = rrtype::NS;
    return;
  }
  const ResolverOptions& opt = r_.options_;
  // A forwarder resolves the whole name itself; the local engine is this process.
  const bool minimise = q.minimise && (q.via == Via::delegation || q.via == Via::stub);
  for (;;) {
    size_t want = q.zone.label_count() + q.extra_labels;
    if (minimise && want < q.target.label_count() && q.minimise_steps < opt.max_minimise_steps &&
        q.qtype != rrtype::DS) {
      q.sent = q.target.suffix(want);
      q.sent_type = rrtype::A;
      // A name already known to exist without a delegation (a cached
      // NODATA, e.g. an empty non-terminal): go one label further.
      auto known = r_.cache_.lookup(q.sent, rrtype::A);
      if (known && known->kind == EntryKind::nodata) {
        ++q.extra_labels;
        continue;
      }
    } else {
      q.sent = q.target;
      q.sent_type = q.qtype;
    }
    return;
  }
}

// Another iterator asking the same server zone the same question: wait for
// it (up to kMaxFlightWaits times per name: concurrent questions under the
// same cold zones walk its minimised steps one behind the other, a wait
// each; the question's deadline bounds them all) and start again from what it cached. Otherwise
// this state owns the flight until its reply is handled.
bool Iterator::waited_for_identical_question(QueryState& q) {
  if (!q.flight_key.empty() || q.via == Via::local) return false;
  std::string key = q.zone.lower().to_text() + "|" + q.sent.lower().to_text() + "|" +
                    std::to_string(q.sent_type);
  if (r_.begin_flight(key)) {
    q.flight_key = std::move(key);
    return false;
  }
  if (q.flight_waits >= kMaxFlightWaits) return false;
  ++q.flight_waits;
  r_.wait_flight(key, std::chrono::milliseconds(std::max<int64_t>(1, deadline_ms_ - r_.clock_.now_ms())));
  return true;
}

namespace {

// A forwarder over TLS (RFC 7858) through the route's kept connections. A
// new connection costs a TCP and a TLS handshake before the query, so the
// wait is at least a second (the question's deadline still bounds it).
void use_tls(const ZoneRoute& route, net::ExchangeOptions& xo) {
  xo.protocol = net::ClientProtocol::tls;
  xo.dot = route.dot.get();
  xo.tls_name = route.tls_name;
  xo.timeout = std::max(xo.timeout, std::chrono::milliseconds(1000));
}

}  // namespace

void Iterator::send(QueryState& q) {
  uint8_t qbuf[512];
  dns::MessageBuilder b(qbuf, sizeof qbuf);
  b.header().id = random_u16();
  b.header().rd = q.via == Via::forward;  // a forwarder recurses for us
  // RFC 6840 5.9: a validator asks with CD=1, so a validating forwarder
  // hands over even data it finds bogus, and the verdict is ours.
  b.header().cd = r_.validating();
  b.add_question(q.sent, q.sent_type, dns::rrclass::IN);
  q.sent_edns = !q.no_edns;
  if (q.sent_edns && q.via == Via::local) {
    dns::Edns e;
    e.present = true;
    e.udp_size = 65535;  // no datagram in between
    b.add_opt(e);
  } else if (q.sent_edns) {
    const CookieOption cookie = r_.infra_.cookie_for(q.server);
    uint8_t options[4 + 40];
    options[0] = 0;
    options[1] = static_cast<uint8_t>(dns::edns_option::COOKIE);
    options[2] = 0;
    options[3] = static_cast<uint8_t>(cookie.size);
    std::memcpy(options + 4, cookie.data.data(), cookie.size);
    dns::Edns e;
    e.present = true;
    e.udp_size = r_.options_.edns_udp_size;
    e.do_bit = r_.validating();  // RFC 4035 4.1: the RRSIGs and denial records with the data
    e.options = std::span<const uint8_t>(options, 4 + cookie.size);
    b.add_opt(e);
  }
  size_t qlen = b.finish();
  if (q.via == Via::local) return exchange_locally(q, std::span<const uint8_t>(qbuf, qlen));
  net::ExchangeOptions xo;
  xo.protocol = q.use_tcp ? net::ClientProtocol::tcp : net::ClientProtocol::udp;
  xo.tries = 1;
  xo.timeout = q.use_tcp ? std::chrono::milliseconds(3000) : r_.infra_.timeout_for(q.server);
  if (q.route && q.route->dot) use_tls(*q.route, xo);
  // No exchange outlives the question's deadline.
  const auto left = std::chrono::milliseconds(std::max<int64_t>(1, deadline_ms_ - r_.clock_.now_ms()));
  xo.timeout = std::min(xo.timeout, left);
  ++upstream_;
  q.ex = r_.transport_.exchange(q.server, std::span<const uint8_t>(qbuf, qlen), xo);
}

// The local zone's engine answers as it would the resolver asking over
// loopback (so its allow-query sees the resolver, as without local zones).
// No network: no upstream query counted, no RTT for Infra.
void Iterator::exchange_locally(QueryState& q, std::span<const uint8_t> query) {
  net::Peer self;
  auto* sin = reinterpret_cast<sockaddr_in*>(&self.addr);
  sin->sin_family = AF_INET;
  sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  self.addr_len = sizeof(sockaddr_in);
  self.tcp = true;
  q.ex = net::Exchange{};
  q.ex.response.resize(65535);
  q.ex.response.resize(r_.local_->answer(query, q.ex.response, self));
  if (q.ex.response.empty()) {
    q.ex.error = net::ExchangeError::refused;
    q.ex.message = "local zone: no answer";
  }
}

State Iterator::process_query_response(QueryState& q) {
  TraceStep step = trace_step(q);
  if (!q.ex.ok()) return on_no_reply(q, step);
  dns::MessageView v;
  bool parsed = v.parse(q.ex.response) == dns::WireError::ok;
  if (!parsed || !echoes_question(v, q)) {
    step.error = parsed ? "reply does not match the question" : "malformed reply";
    return drop_server(q, step, "ignored, trying another server");
  }
  // RFC 7873 5.3: a reply whose COOKIE does not carry our client cookie was
  // not made for our query.
  if (auto cookie = v.edns().find(dns::edns_option::COOKIE);
      cookie && q.sent_edns && !r_.infra_.take_reply_cookie(q.server, cookie->data)) {
    step.error = "reply's COOKIE does not carry our client cookie";
    return drop_server(q, step, "ignored, trying another server");
  }
  if (q.via != Via::local) r_.infra_.record_rtt(q.server, q.ex.rtt);
  const auto& h = v.header();
  uint16_t rcode = v.edns().full_rcode(h.rcode);
  describe_reply(v, rcode, step);
  if (rcode == dns::rcode::BADCOOKIE && q.badcookies < 2) return retry_after_badcookie(q, step);
  if (h.tc && !q.use_tcp) {
    step.outcome = "truncated, retrying over TCP";
    emit(step);
    q.use_tcp = true;
    return State::send_query;
  }
  if ((rcode == dns::rcode::FORMERR || rcode == dns::rcode::NOTIMP) && q.sent_edns &&
      !v.edns().present) {
    step.outcome = "EDNS not understood, retrying without EDNS";
    emit(step);
    r_.infra_.set_edns_broken(q.server);
    q.no_edns = true;
    return State::send_query;
  }
  bool minimised = !q.priming && (!(q.sent == q.target) || q.sent_type != q.qtype);
  if (rcode != dns::rcode::NOERROR && rcode != dns::rcode::NXDOMAIN)
    return on_error_rcode(q, rcode, minimised, step);
  Reply reply;
  if (!split_sections(v, reply.sec)) {
    step.error = "undecodable rdata";
    return drop_server(q, step, "ignored, trying another server");
  }
  if (q.priming) return process_prime_response(q, reply.sec, step);
  reply.rcode = rcode;
  reply.aa = h.aa;
  reply.minimised = minimised;
  reply.chain = follow_chain(reply.sec, q.sent, q.sent_type, q.zone, r_.options_.max_cname_chain);
  if (r_.validating() && q.via != Via::local) reply.proof = denial_records(reply.sec);
  return process_reply(q, reply, step);
}

// RFC 7873 5.3: the BADCOOKIE reply gave us the server cookie it wants
// (kept by take_reply_cookie): ask again with it; a second BADCOOKIE, over
// TCP, where the server has no reason to insist.
State Iterator::retry_after_badcookie(QueryState& q, TraceStep& step) {
  ++q.badcookies;
  if (q.badcookies == 2) q.use_tcp = true;
  step.outcome = q.use_tcp ? "BADCOOKIE again, retrying over TCP" : "BADCOOKIE, retrying with the server's cookie";
  emit(step);
  return State::send_query;
}

State Iterator::on_no_reply(QueryState& q, TraceStep& step) {
  step.error = net::exchange_error_text(q.ex.error);
  last_failure_ = q.ex.message.empty() ? q.server.to_string() + ": " + step.error : q.ex.message;
  if (q.ex.protocol == net::ClientProtocol::tls && !q.ex.message.empty()) step.error = q.ex.message;
  step.outcome = "no reply, trying another server";
  emit(step);
  if (q.via == Via::local) return State::query_targets;  // ask_local_zone fails it
  r_.infra_.record_timeout(q.server);  // refused or unreachable backs off like a timeout
  if (q.ex.error == net::ExchangeError::timeout)
    q.attempts[q.server.to_string()] += 1;
  else
    q.attempts[q.server.to_string()] = 99;
  return State::query_targets;
}

State Iterator::on_error_rcode(QueryState& q, uint16_t rcode, bool minimised, TraceStep& step) {
  if (minimised) return stop_minimising(q, step, dns::rcode_to_text(rcode));
  return drop_server(q, step, dns::rcode_to_text(rcode) + ", trying another server");
}

State Iterator::process_prime_response(QueryState& q, const Sections& sec, TraceStep& step) {
  const dns::RRset* ns = find_rrset(sec.answer, Name(), rrtype::NS);
  if (!ns) return drop_server(q, step, "priming reply without root NS, trying another server");
  r_.cache_.store(*ns, Trust::prime);
  for (const auto& rs : sec.additional)
    if (rs.type == rrtype::A || rs.type == rrtype::AAAA) r_.cache_.store(rs, Trust::additional);
  if (tracing_) step.outcome = fmt::format("primed: {} root servers", ns->rdata.size());
  note(step, *ns);
  emit(step);
  q.priming = false;
  q.primed = true;
  return State::init_request;
}

State Iterator::process_reply(QueryState& q, const Reply& reply, TraceStep& step) {
  // A forwarder's referral is no answer (process_negative finds it lame).
  if (const dns::RRset* ns = q.via == Via::forward ? nullptr : find_referral(reply, q.zone, q.sent))
    return process_referral(q, reply.sec, *ns, step);
  if (reply.minimised) return process_minimised_reply(q, reply, step);
  if (q.sent_type == rrtype::ANY && reply.chain.links.empty() && answer_any(q, reply, step))
    return State::finished;
  for (const auto& rs : reply.chain.links) add_to_answer(q, reply, rs, step);
  if (const dns::RRset* data = reply.chain.data) {
    add_to_answer(q, reply, *data, step);
    return finish(q, step, Outcome::answer,
                  reply.chain.links.empty() ? "answer" : "answer (via CNAME/DNAME)");
  }
  return process_negative(q, reply, step);
}

// Down one zone cut: the child's NS RRset and the glue for it.
State Iterator::process_referral(QueryState& q, const Sections& sec, const dns::RRset& ns,
                                 TraceStep& step) {
  if (++q.referrals > r_.options_.max_referrals) {
    emit(step);
    return fail(q, "referral limit reached");
  }
  std::vector<Name> names = keep_delegation(q, sec, ns, step);
  if (tracing_) step.outcome = "referral to " + ns.owner.to_text();
  emit(step);
  q.zone = ns.owner;
  q.via = Via::delegation;
  q.route = nullptr;
  q.ns_names = std::move(names);
  q.hints_ok = false;
  restart_delegation(q);
  return State::query_targets;
}

// A child zone's NS RRset and the glue for it, from a referral (or a CNAME
// answer that also refers its target to a child zone); returns the NS names.
std::vector<Name> Iterator::keep_delegation(QueryState& q, const Sections& sec, const dns::RRset& ns,
                                            TraceStep& step) {
  // A local zone's delegation is asked again for each question, so a
  // change to it shows at once; its glue lives as long as this question.
  const bool local = q.via == Via::local;
  // RFC 4035 3.1.4: a signed referral carries the child's DS, or the
  // NSEC/NSEC3 records proving there is none (kept with the NS RRset);
  // either way the validator needs no DS question of its own.
  const dns::RRset* ds = find_rrset(sec.authority, ns.owner, rrtype::DS);
  const bool validating = !local && r_.validating();
  if (!local) r_.cache_.store(ns, Trust::authority_nonauth, validating && !ds ? Dnssec{{}, denial_records(sec)} : Dnssec{});
  if (ds && validating)
    r_.cache_.store(*ds, Trust::authority_nonauth, Dnssec{validator::signatures_over(*ds, sec.authority), nullptr});
  std::vector<Name> names;
  for (const auto& rd : ns.rdata)
    if (auto t = rdata_name(rd)) names.push_back(*t);
  // Glue: addresses of the new NS names, and only those inside the
  // zone of the server that sent them (anything else could be a
  // poisoning attempt).
  for (const auto& rs : sec.additional) {
    if (rs.type != rrtype::A && rs.type != rrtype::AAAA) continue;
    if (!rs.owner.is_subdomain_of(q.zone)) continue;
    if (std::find(names.begin(), names.end(), rs.owner) == names.end()) continue;
    if (local)
      keep_addresses(rs);
    else
      r_.cache_.store(rs, Trust::additional);
    note(step, rs);
  }
  if (tracing_) step.records.insert(step.records.begin(), rrset_text(ns, 13));
  return names;
}

State Iterator::process_minimised_reply(QueryState& q, const Reply& reply, TraceStep& step) {
  const dns::RRset* soa = soa_for(reply.sec, q.zone, q.sent);
  if (reply.rcode != dns::rcode::NOERROR || !reply.chain.links.empty() ||
      !(reply.chain.data || soa || reply.aa)) {
    // NXDOMAIN, CNAME or something odd for a minimised name: relaxed
    // mode does not trust it and asks the full name (RFC 9156 2.3).
    return stop_minimising(q, step, reply.rcode == dns::rcode::NXDOMAIN ? "NXDOMAIN" : "unexpected reply");
  }
  // The name exists (an empty non-terminal or a node of this zone) and is
  // not delegated: reveal one more label here.
  if (reply.chain.data)
    store(q, *reply.chain.data, reply.answer_trust());
  else if (soa)
    store_negative(q, q.sent, rrtype::A, false, *soa);
  if (tracing_) step.outcome = "no delegation at " + q.sent.to_text() + ", one more label";
  emit(step);
  ++q.extra_labels;
  ++q.minimise_steps;
  return State::send_query;
}

// ANY (RFC 8482): whatever RRsets the authority gave for the name are the
// answer; each is cached by its own type, ANY itself never.
bool Iterator::answer_any(QueryState& q, const Reply& reply, TraceStep& step) {
  std::vector<const dns::RRset*> all;
  for (const auto& rs : reply.sec.answer)
    if (rs.owner == q.sent && q.sent.is_subdomain_of(q.zone)) all.push_back(&rs);
  if (all.empty()) return false;
  for (const auto* rs : all) add_to_answer(q, reply, *rs, step);
  finish(q, step, Outcome::answer, "answer (ANY)");
  return true;
}

// No data at the chain's end: a CNAME to follow elsewhere, a negative
// answer the SOA proves (RFC 2308 2.1, 2.2), or a lame server.
State Iterator::process_negative(QueryState& q, const Reply& reply, TraceStep& step) {
  const Name& end = reply.chain.end;
  // A forwarder answers for the whole name: its SOA may be above the domain forwarded.
  const bool forward = q.via == Via::forward;
  const dns::RRset* soa = soa_for(reply.sec, forward ? Name() : q.zone, end);
  // After a CNAME/DNAME, the negative part is about the chain's end only if
  // the SOA proves it and no delegation lies in between (the target may sit
  // in a child zone that this server only refers to).
  if (!reply.chain.links.empty() && (!soa || delegated_below(reply.sec, end, *soa))) {
    // The target's delegation, when the server gave it (as NSD does), is
    // a referral: kept, the CNAME is followed without asking for it again.
    const bool cacheable = q.via == Via::delegation || q.via == Via::stub;
    if (const dns::RRset* ns = cacheable ? find_delegation_of(reply.sec, q.zone, end) : nullptr)
      keep_delegation(q, reply.sec, *ns, step);
    q.result.next = end;
    return finish(q, step, Outcome::cname, tracing_ ? "CNAME to " + end.to_text() + ", following it" : "");
  }
  if (reply.rcode == dns::rcode::NXDOMAIN && end.is_subdomain_of(q.zone)) {
    if (soa) {
      q.result.negative = store_negative(q, end, q.qtype, true, *soa, dnssec_of(reply, *soa));
      note(step, *soa);
    }
    return finish(q, step, Outcome::nxdomain, "NXDOMAIN");
  }
  if (reply.rcode == dns::rcode::NOERROR && (soa || reply.aa || forward)) {
    if (soa) {
      q.result.negative = store_negative(q, end, q.qtype, false, *soa, dnssec_of(reply, *soa));
      note(step, *soa);
    } else {
      auto e = std::make_shared<CacheEntry>();
      e->kind = EntryKind::nodata;
      e->rrset.owner = end;
      q.result.negative = e;
    }
    return finish(q, step, Outcome::nodata, "NODATA");
  }
  // Upward referral, out-of-zone data, no SOA: a lame server.
  return drop_server(q, step, "lame (no answer, referral or SOA for this zone), trying another server");
}

State Iterator::finish(QueryState& q, TraceStep& step, Outcome outcome, std::string text) {
  step.outcome = std::move(text);
  emit(step);
  q.result.outcome = outcome;
  return State::finished;
}

State Iterator::fail(QueryState& q, std::string reason) {
  TraceStep s;
  s.depth = q.depth;
  s.zone = q.zone.to_text();
  s.qname = q.target.to_text();
  s.qtype = q.qtype;
  s.error = std::move(reason);
  s.outcome = "SERVFAIL";
  emit(s);
  q.result.outcome = Outcome::servfail;
  return State::finished;
}

// The server is not asked again for this delegation; another one is chosen.
State Iterator::drop_server(QueryState& q, TraceStep& step, std::string outcome) {
  step.outcome = std::move(outcome);
  emit(step);
  q.attempts[q.server.to_string()] = 99;
  return State::query_targets;
}

State Iterator::stop_minimising(QueryState& q, TraceStep& step, const std::string& what) {
  step.outcome = what + " to a minimised query, asking the full name";
  emit(step);
  q.minimise = false;
  return State::send_query;
}

// A new zone's servers (or the same, after waiting for another iterator):
// no server tried, no NS address sought, minimisation from the cut.
void Iterator::restart_delegation(QueryState& q) {
  q.attempts.clear();
  q.looked_up.clear();
  q.glueless = 0;
  q.extra_labels = 1;
}

TraceStep Iterator::trace_step(const QueryState& q) const {
  TraceStep step;
  step.depth = q.depth;
  if (!tracing_) return step;
  step.zone = q.zone.to_text();
  step.server_name = q.via == Via::forward ? "(forwarder)"
                     : q.via == Via::stub  ? "(stub server)"
                     : q.via == Via::local ? "(zone served here)"
                                           : q.server_name.to_text();
  step.server = q.server;
  step.qname = q.sent.to_text();
  step.qtype = q.sent_type;
  step.tcp = q.use_tcp;
  step.tls = q.route && q.route->dot;
  step.edns = q.sent_edns;
  step.why = q.why;
  step.rtt_ms = q.ex.rtt.count() / 1000;
  return step;
}

// A local zone's glue, for this question only (as sub-task results are).
void Iterator::keep_addresses(const dns::RRset& rs) {
  auto& eps = sub_addresses_[rs.owner.lower().to_text()];
  for (const auto& rd : rs.rdata) {
    net::Endpoint ep;
    if (endpoint_from_rdata(rs.type, rd, r_.options_.upstream_port, ep)) eps.push_back(ep);
  }
}

bool Iterator::find_delegation(const Name& target, uint16_t qtype, Name& zone,
                               std::vector<Name>& ns) {
  Name n = delegation_start(target, qtype);
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

// Every usable address of the zone's servers, from the cache, sub-tasks
// and (for the root) the hints; each address once.
std::vector<Candidate> Iterator::gather(const Name& zone, const std::vector<Name>& ns,
                                        bool hints_ok) {
  std::vector<Candidate> out;
  bool allow_lo = !r_.options_.do_not_query_localhost;
  uint16_t port = r_.options_.upstream_port;
  auto add = [&](const net::Endpoint& ep, const Name& n) {
    if (!address_allowed(ep, allow_lo)) return;
    for (const auto& o : out)
      if (o.address.len == ep.len && std::memcmp(&o.address.addr, &ep.addr, ep.len) == 0) return;
    out.push_back({ep, n});
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

// Data from a local zone is handed to the client only: the zone, not the
// cache, is where it lives, and a dynamic update must show at once.
EntryPtr Iterator::store(const QueryState& q, const dns::RRset& rs, Trust trust, Dnssec dnssec) {
  if (q.via == Via::local) {
    // Local data is not validated and never gets AD (as Unbound's local data).
    EntryPtr e = transient(rs, trust, r_.clock_.now_ms());
    e->judge(validator::Verdict::insecure("a zone served here"), r_.clock_.now_ms());
    return e;
  }
  r_.cache_.store(rs, trust, dnssec);
  if (auto e = r_.cache_.lookup(rs.owner, rs.type)) return e;
  return transient(rs, trust, r_.clock_.now_ms(), std::move(dnssec));
}

EntryPtr Iterator::store_negative(const QueryState& q, const Name& name, uint16_t type, bool nx,
                                  const dns::RRset& soa, Dnssec dnssec) {
  if (q.via != Via::local) {
    r_.cache_.store_negative(name, type, nx, soa, Trust::authority_auth, dnssec);
    if (auto e = r_.cache_.lookup(name, nx ? 0 : type)) return e;
  }
  auto e = std::make_shared<CacheEntry>();
  e->kind = nx ? EntryKind::nxdomain : EntryKind::nodata;
  e->rrset.owner = name;
  e->rrset.type = type;
  e->soa = std::make_shared<dns::RRset>(soa);
  int64_t now = r_.clock_.now_ms();
  e->stored_ms = e->expires_ms = now;
  e->dnssec = std::move(dnssec);
  if (q.via == Via::local) {
    // RFC 2308 3: a local zone's negative answer lives min(SOA TTL, MINIMUM),
    // as the engine already set the SOA's TTL. Local data is not validated
    // and never gets AD (as Unbound's local data).
    e->expires_ms += int64_t{soa.ttl} * 1000;
    e->judge(validator::Verdict::insecure("a zone served here"), now);
  }
  return e;
}

// Cached, in the client's answer and in the trace.
void Iterator::add_to_answer(QueryState& q, const Reply& reply, const dns::RRset& rs, TraceStep& step) {
  q.result.chain.push_back(store(q, rs, reply.answer_trust(), dnssec_of(reply, rs)));
  note(step, rs);
}

namespace {

// Follow the answer's chain from the name sent, accepting only records
// inside the zone whose server was asked (bailiwick).
Chain follow_chain(const Sections& sec, const Name& sent, uint16_t sent_type, const Name& zone,
                   int max_links) {
  Chain c;
  c.end = sent;
  for (int i = 0; i <= max_links; ++i) {
    if (!c.end.is_subdomain_of(zone)) break;
    if (auto* rs = find_rrset(sec.answer, c.end, sent_type)) {
      c.data = rs;
      break;
    }
    if (sent_type == rrtype::CNAME) break;
    const dns::RRset* d = nullptr;
    for (const auto& rs : sec.answer)
      if (rs.type == rrtype::DNAME && c.end.is_subdomain_of(rs.owner) && !(c.end == rs.owner) &&
          rs.owner.is_subdomain_of(zone))
        d = &rs;
    if (d) {
      auto t = rdata_name(d->rdata.front());
      auto n = t ? substitute(c.end, d->owner, *t) : std::nullopt;
      if (!n) break;
      c.links.push_back(*d);
      dns::RRset synth;  // RFC 6672 3.1: the synthesized CNAME, with the DNAME's TTL
      synth.owner = c.end;
      synth.type = rrtype::CNAME;
      synth.ttl = d->ttl;
      synth.rdata.emplace_back(n->wire().begin(), n->wire().end());
      c.links.push_back(std::move(synth));
      c.end = *n;
      continue;
    }
    if (auto* cname = find_rrset(sec.answer, c.end, rrtype::CNAME)) {
      auto t = rdata_name(cname->rdata.front());
      if (!t) break;
      c.links.push_back(*cname);
      c.end = *t;
      continue;
    }
    break;
  }
  return c;
}

// A referral: NS for a zone strictly below the one asked, at or above the
// name sent, and no answer.
const dns::RRset* find_referral(const Reply& reply, const Name& zone, const Name& sent) {
  if (reply.chain.data || !reply.chain.links.empty() || !reply.sec.answer.empty() ||
      reply.rcode != dns::rcode::NOERROR)
    return nullptr;
  const dns::RRset* referral = nullptr;
  for (const auto& rs : reply.sec.authority)
    if (rs.type == rrtype::NS && rs.owner.is_subdomain_of(zone) && !(rs.owner == zone) &&
        sent.is_subdomain_of(rs.owner))
      referral = &rs;
  if (referral && find_rrset(reply.sec.authority, referral->owner, rrtype::SOA)) return nullptr;
  return referral;
}

// The authority section's SOA, inside `zone`, of the zone holding `name`.
const dns::RRset* soa_for(const Sections& sec, const Name& zone, const Name& name) {
  for (const auto& rs : sec.authority)
    if (rs.type == rrtype::SOA && rs.owner.is_subdomain_of(zone) && name.is_subdomain_of(rs.owner))
      return &rs;
  return nullptr;
}

// Whether the authority section delegates `name` to a zone below the SOA's.
bool delegated_below(const Sections& sec, const Name& name, const dns::RRset& soa) {
  for (const auto& rs : sec.authority)
    if (rs.type == rrtype::NS && name.is_subdomain_of(rs.owner) &&
        rs.owner.is_subdomain_of(soa.owner) && !(rs.owner == soa.owner))
      return true;
  return false;
}

// The authority section's NS RRset for a zone strictly below `zone` that
// holds `name` (the deepest, should there be several).
const dns::RRset* find_delegation_of(const Sections& sec, const Name& zone, const Name& name) {
  const dns::RRset* best = nullptr;
  for (const auto& rs : sec.authority)
    if (rs.type == rrtype::NS && name.is_subdomain_of(rs.owner) && rs.owner.is_subdomain_of(zone) &&
        !(rs.owner == zone) && (!best || rs.owner.label_count() > best->owner.label_count()))
      best = &rs;
  return best;
}

// RFC 5452 9.1: the reply must echo our question (the transport has
// matched ID and source address/port).
bool echoes_question(const dns::MessageView& v, const QueryState& q) {
  return v.header().qr && v.header().opcode == dns::opcode::QUERY && v.header().qdcount == 1 &&
         v.qname() == q.sent && v.qtype() == q.sent_type && v.qclass() == dns::rrclass::IN;
}

// The reply's header and counts, for the trace.
void describe_reply(const dns::MessageView& v, uint16_t rcode, TraceStep& step) {
  const auto& h = v.header();
  step.rcode = rcode;
  step.aa = h.aa;
  step.tc = h.tc;
  step.rd = h.rd;
  step.ra = h.ra;
  for (int s = 0; s < 4; ++s) step.counts[s] = v.count(static_cast<dns::Section>(s));
}

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

std::string rrset_text(const dns::RRset& rs, size_t max) {
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

// RFC 4035 3.1.1: the RRSIGs over `rs` in the reply's answer section, and
// the denial records a wildcard or negative answer is proven by.
Dnssec dnssec_of(const Reply& reply, const dns::RRset& rs) {
  if (!reply.proof) return {};
  const auto& sigs_in = rs.type == rrtype::SOA ? reply.sec.authority : reply.sec.answer;
  return Dnssec{validator::signatures_over(rs, sigs_in), reply.proof};
}

std::shared_ptr<const std::vector<dns::RRset>> denial_records(const Sections& sec) {
  auto out = std::make_shared<std::vector<dns::RRset>>();
  for (const auto& rs : sec.authority)
    if (rs.type == rrtype::NSEC || rs.type == rrtype::NSEC3 || rs.type == rrtype::RRSIG) out->push_back(rs);
  return out;
}

// An entry for data the cache did not keep (a TTL of 0 expires at once).
EntryPtr transient(const dns::RRset& rs, Trust trust, int64_t now, Dnssec dnssec) {
  auto e = std::make_shared<CacheEntry>();
  e->dnssec = std::move(dnssec);
  e->rrset = rs;
  e->trust = trust;
  e->stored_ms = now;
  e->expires_ms = now + int64_t{rs.ttl} * 1000;
  e->original_ttl = rs.ttl;
  return e;
}

}  // namespace

}  // namespace namae::resolver
