// The Resolver's own state and its cache-only answers; resolution itself
// (Resolver::resolve) is the Iterator's, in iterator.cpp.
#include "dns/message.h"
#include "dns/rrtype.h"
#include "resolver/resolver.h"
#include "resolver/sections.h"

namespace namae::resolver {

using dns::Name;
namespace rrtype = dns::rrtype;

Resolver::Resolver(ResolverOptions options, RootHints hints, Cache& cache, Infra& infra,
                   net::Transport& transport, const Clock& clock, LocalAuthority* local)
    : options_(std::move(options)), hints_(std::move(hints)), cache_(cache), infra_(infra),
      transport_(transport), clock_(clock), local_(local), keys_(clock), negative_(clock),
      denial_(clock, cache.options().max_entries) {}

namespace {
// Worst first: one bogus entry spoils the answer, one unchecked leaves it to be checked.
int rank(validator::Security s) {
  using validator::Security;
  switch (s) {
    case Security::bogus: return 0;
    case Security::unchecked: return 1;
    case Security::indeterminate: return 2;
    case Security::insecure: return 3;
    case Security::secure: return 4;
  }
  return 0;
}
}  // namespace

bool Resolver::settle(Answer& a, bool checking_disabled) const {
  using validator::Security;
  const CacheEntry* worst = nullptr;
  auto consider = [&](const EntryPtr& e) {
    if (e && (!worst || rank(e->judged()) < rank(worst->judged()))) worst = e.get();
  };
  for (const auto& e : a.chain) consider(e);
  consider(a.negative);
  a.security = worst ? worst->judged() : Security::unchecked;
  if (!validating() || checking_disabled) return true;
  if (a.security == Security::unchecked && worst) return false;
  if (a.security == Security::bogus) a.servfail(worst->ede.load(std::memory_order_relaxed));
  return true;
}

Result<ZoneRoute> make_route(std::string_view name, const std::vector<std::string>& servers, bool forward,
                             uint16_t port) {
  std::string text(name);
  if (text.empty() || text.back() != '.') text += '.';
  auto n = Name::from_text(text);
  if (!n) return fail("'" + std::string(name) + "': " + n.message());
  ZoneRoute r;
  r.name = *n;
  r.forward = forward;
  for (const auto& s : servers) {
    auto ep = net::parse_endpoint(s, port);
    if (!ep) return fail("'" + std::string(name) + "': " + ep.message());
    r.servers.push_back(*ep);
  }
  if (r.servers.empty()) return fail("'" + std::string(name) + "': no servers");
  return r;
}

Name delegation_start(const Name& target, uint16_t qtype) {
  return (qtype == rrtype::DS && !target.is_root()) ? target.strip_left() : target;
}

const ZoneRoute* Resolver::route_for(const Name& name) const {
  const ZoneRoute* best = nullptr;
  for (const auto& r : options_.routes)
    if (name.is_subdomain_of(r.name) && (!best || r.name.label_count() > best->name.label_count()))
      best = &r;
  return best;
}

bool Resolver::begin_flight(const std::string& key) {
  std::lock_guard lock(flight_mu_);
  auto& slot = flights_[key];
  if (slot) return false;
  slot = std::make_shared<net::Signal>();
  return true;
}

void Resolver::end_flight(const std::string& key) {
  std::shared_ptr<net::Signal> done;
  {
    std::lock_guard lock(flight_mu_);
    auto it = flights_.find(key);
    if (it == flights_.end()) return;
    done = std::move(it->second);
    flights_.erase(it);
  }
  done->notify();
}

void Resolver::wait_flight(const std::string& key, std::chrono::milliseconds at_most) {
  std::shared_ptr<net::Signal> flight;
  {
    std::lock_guard lock(flight_mu_);
    auto it = flights_.find(key);
    if (it == flights_.end()) return;
    flight = it->second;
  }
  flight->wait_until(std::chrono::steady_clock::now() + at_most);
}

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
      return synthesized(cur, qtype, out);
    }
    auto t = rdata_name(c->rrset.rdata.front());
    out.chain.push_back(std::move(c));
    if (!t) return false;
    cur = *t;
  }
  return false;
}

// RFC 8198 5.1-5.3: a name the cached, validated NSEC ranges deny, or a
// cached wildcard answers.
bool Resolver::synthesized(const Name& name, uint16_t qtype, Answer& out) const {
  if (!validating() || !options_.aggressive_nsec) return false;
  EntryPtr e = denial_.synthesize(name, qtype);
  if (!e) return false;
  out.rcode = e->kind == EntryKind::nxdomain ? dns::rcode::NXDOMAIN : dns::rcode::NOERROR;
  if (e->kind == EntryKind::rrset)
    out.chain.push_back(std::move(e));
  else
    out.negative = std::move(e);
  return true;
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

}  // namespace namae::resolver
