#include "resolver/service.h"

#include <array>
#include <cctype>
#include <cstdlib>

#include <fmt/format.h>

#include "dns/message.h"
#include "dns/rrtype.h"
#include "resolver/link_local.h"
#include "resolver/sections.h"

namespace namae::resolver {

namespace rrtype = dns::rrtype;

std::vector<dns::Name> rfc6303_zones() {
  static const char* const kZones[] = {
      // RFC 1918
      "10.in-addr.arpa.", "16.172.in-addr.arpa.", "17.172.in-addr.arpa.", "18.172.in-addr.arpa.",
      "19.172.in-addr.arpa.", "20.172.in-addr.arpa.", "21.172.in-addr.arpa.",
      "22.172.in-addr.arpa.", "23.172.in-addr.arpa.", "24.172.in-addr.arpa.",
      "25.172.in-addr.arpa.", "26.172.in-addr.arpa.", "27.172.in-addr.arpa.",
      "28.172.in-addr.arpa.", "29.172.in-addr.arpa.", "30.172.in-addr.arpa.",
      "31.172.in-addr.arpa.", "168.192.in-addr.arpa.",
      // RFC 5735 / 6890 special IPv4
      "0.in-addr.arpa.", "127.in-addr.arpa.", "254.169.in-addr.arpa.", "2.0.192.in-addr.arpa.",
      "100.51.198.in-addr.arpa.", "113.0.203.in-addr.arpa.", "255.255.255.255.in-addr.arpa.",
      // IPv6 unspecified, loopback, ULA, link-local, documentation
      "0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
      "1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa.",
      "d.f.ip6.arpa.", "8.e.f.ip6.arpa.", "9.e.f.ip6.arpa.", "a.e.f.ip6.arpa.", "b.e.f.ip6.arpa.",
      "8.b.d.0.1.0.0.2.ip6.arpa.",
      // RFC 8375
      "home.arpa.",
  };
  std::vector<dns::Name> out;
  for (const char* z : kZones) out.push_back(*dns::Name::from_text(z));
  return out;
}

namespace {
// The SOA of a locally served zone: "<zone> nobody.invalid. 1 3600 1200 604800 MINIMUM".
dns::RRset local_soa(const dns::Name& zone, uint32_t ttl, uint32_t minimum) {
  dns::RRset soa;
  soa.owner = zone;
  soa.type = rrtype::SOA;
  soa.ttl = ttl;
  dns::RdataBytes rd(zone.wire().begin(), zone.wire().end());
  auto rname = *dns::Name::from_text("nobody.invalid.");
  rd.insert(rd.end(), rname.wire().begin(), rname.wire().end());
  for (uint32_t v : {1u, 3600u, 1200u, 604800u, minimum}) {
    uint8_t b[4];
    dns::put_u32(b, v);
    rd.insert(rd.end(), b, b + 4);
  }
  soa.rdata.push_back(std::move(rd));
  return soa;
}

// Whether an authoritative response answers the question by itself: an
// error, or a chain from `qname` that ends in data of `qtype` or in a
// negative answer its SOA proves. A referral or a CNAME leaving the zones
// served here needs resolution.
bool answered_fully(std::span<const uint8_t> response, const dns::Name& qname, uint16_t qtype,
                    int max_links) {
  dns::MessageView v;
  if (v.parse(response) != dns::WireError::ok) return true;  // passed on as the engine made it
  uint16_t rc = v.edns().full_rcode(v.header().rcode);
  if (rc != dns::rcode::NOERROR && rc != dns::rcode::NXDOMAIN) return true;
  Sections sec;
  if (!v.header().aa || !split_sections(v, sec)) return false;
  dns::Name cur = qname;
  for (int i = 0; i <= max_links; ++i) {
    if (find_rrset(sec.answer, cur, qtype)) return true;
    if (qtype == rrtype::ANY &&
        std::any_of(sec.answer.begin(), sec.answer.end(), [&](const dns::RRset& rs) { return rs.owner == cur; }))
      return true;
    const dns::RRset* cname = find_rrset(sec.answer, cur, rrtype::CNAME);
    if (!cname) break;
    auto t = rdata_name(cname->rdata.front());
    if (!t) return true;
    cur = *t;
  }
  return std::any_of(sec.authority.begin(), sec.authority.end(), [&](const dns::RRset& rs) {
    return rs.type == rrtype::SOA && cur.is_subdomain_of(rs.owner);
  });
}

// mDNS records as RRsets (RFC 2181 5.2: the smallest TTL, each rdata once);
// records of other classes than IN are left out (the cache-flush bit is
// already split off).
std::vector<dns::RRset> merge_records(std::vector<dns::RRset> got) {
  std::vector<dns::RRset> sets;
  for (auto& r : got) {
    if (r.rclass != dns::rrclass::IN) continue;
    auto it = std::find_if(sets.begin(), sets.end(),
                           [&](const dns::RRset& s) { return s.type == r.type && s.owner == r.owner; });
    if (it == sets.end()) {
      sets.push_back(r);
      sets.back().rclass = dns::rrclass::IN;
      sets.back().rdata.clear();
      it = sets.end() - 1;
    }
    it->ttl = std::min(it->ttl, r.ttl);
    for (auto& rd : r.rdata)
      if (std::find(it->rdata.begin(), it->rdata.end(), rd) == it->rdata.end()) it->rdata.push_back(rd);
  }
  return sets;
}
}  // namespace

class ServiceHandler final : public net::QueryHandler {
 public:
  ServiceHandler(ResolverService& s, net::WorkerMetrics* metrics)
      : s_(s), metrics_(metrics), allowed_(s.allowed_) {}

  size_t handle(std::span<const uint8_t> query, std::span<uint8_t> response,
                const net::Peer& peer) override {
    dns::MessageView q;
    if (q.parse(query) != dns::WireError::ok) {
      if (query.size() < dns::kHeaderSize || (query[2] & 0x80)) return 0;
      // A header we can echo: FORMERR without a question.
      std::copy(query.begin(), query.begin() + dns::kHeaderSize, response.begin());
      response[2] = (response[2] & 0x79) | 0x80;
      response[3] = (response[3] & 0x70) | 0x80 | dns::rcode::FORMERR;
      for (int i = 4; i < 12; ++i) response[i] = 0;
      return dns::kHeaderSize;
    }
    if (q.header().qr) return 0;
    bool miss = false;
    if (allowed_.stale()) [[unlikely]] allowed_.refresh();
    size_t n = s_.answer_fast(q, response, peer, *allowed_, miss);
    if (!miss) return n;
    if (!peer.can_defer()) return s_.answer_slow(q, response, peer.tcp);
    ResolverService::Job job;
    job.query.assign(query.begin(), query.end());
    job.channel = peer.channel();
    job.tcp = peer.tcp;
    job.received = std::chrono::steady_clock::now();
    if (!s_.enqueue(std::move(job), metrics_)) return write_error(q, dns::rcode::SERVFAIL, true, response);
    return net::kDeferred;
  }

 private:
  ResolverService& s_;
  net::WorkerMetrics* metrics_;  // this worker's counter block
  ResolverService::Allowed::Reader allowed_;
};

ResolverService::ResolverService(ServiceOptions options, RootHints hints,
                                 net::Transport& transport, const Clock& clock)
    : options_(std::move(options)), allowed_(std::make_shared<const std::optional<net::AddressAcl>>(options_.allowed)),
      clock_(clock), cache_(options_.cache, clock), infra_(clock),
      resolver_(options_.resolver, std::move(hints), cache_, infra_, transport, clock, options_.local) {
  if (options_.empty_zones) empty_zones_ = rfc6303_zones();
}

ResolverService::~ResolverService() { stop(); }

net::FiberLoop::Options ResolverService::loop_options() const {
  net::FiberLoop::Options o;
  o.max_fibers = std::max<size_t>(1, options_.queries_per_thread);
  o.max_queued = options_.max_pending;
  return o;
}

void ResolverService::start() {
  std::lock_guard lock(mu_);
  stopping_ = false;
  if (loops_.empty()) {
    net::FiberLoop::Options o = loop_options();
    for (unsigned i = 0; i < std::max(1u, options_.threads); ++i)
      loops_.push_back(Loop{std::make_unique<net::FiberLoop>(o),
                            options_.metrics ? options_.metrics->add_worker() : nullptr});
  }
  for (auto& l : loops_) l.loop->start();
  if (options_.cache.serve_stale) stale_thread_ = std::thread([this] { stale_watch(); });
  if (resolver_.validating() && resolver_.options().auto_anchors)
    anchor_thread_ = std::thread([this] { refresh_anchors(); });
}

void ResolverService::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  stale_cv_.notify_all();
  for (auto& l : loops_) l.loop->stop();
  if (stale_thread_.joinable()) stale_thread_.join();
  if (anchor_thread_.joinable()) anchor_thread_.join();
}

std::unique_ptr<net::QueryHandler> ResolverService::make_handler(net::WorkerMetrics* metrics) {
  return std::make_unique<ServiceHandler>(*this, metrics);
}

bool ResolverService::local_zone(const dns::MessageView& q, std::span<uint8_t> out, size_t& len) {
  const dns::Name& qname = q.qname();
  // Every RFC 6303 zone is under arpa.: most names are out after one label.
  if (qname.label_count() == 0) return false;
  auto tld = qname.label(qname.label_count() - 1);
  if (tld.size() != 4 || (tld[0] | 0x20) != 'a' || (tld[1] | 0x20) != 'r' ||
      (tld[2] | 0x20) != 'p' || (tld[3] | 0x20) != 'a')
    return false;
  const dns::Name* zone = nullptr;
  for (const auto& z : empty_zones_)
    if (qname.is_subdomain_of(z)) zone = &z;
  if (!zone) return false;
  len = write_local_zone(q, *zone, out);
  return true;
}

size_t ResolverService::write_local_zone(const dns::MessageView& q, const dns::Name& zone_name,
                                         std::span<uint8_t> out) {
  const dns::Name& qname = q.qname();
  const dns::Name* zone = &zone_name;
  // RFC 6303 3: SOA "<zone> nobody.invalid." with 1 3600 1200 604800 10800, NS <zone>.
  dns::RRset soa = local_soa(*zone, 10800, 10800);
  int64_t now = clock_.now_ms();
  auto entry = [&](const dns::RRset& rs) {
    auto e = std::make_shared<CacheEntry>();
    e->rrset = rs;
    e->expires_ms = now + int64_t{rs.ttl} * 1000;
    return e;
  };
  Answer a;
  bool apex = qname == *zone;
  if (apex && q.qtype() == rrtype::SOA) {
    a.chain.push_back(entry(soa));
  } else if (apex && q.qtype() == rrtype::NS) {
    dns::RRset ns;
    ns.owner = *zone;
    ns.type = rrtype::NS;
    ns.ttl = 10800;
    ns.rdata.emplace_back(zone->wire().begin(), zone->wire().end());
    a.chain.push_back(entry(ns));
  } else {
    a.rcode = apex ? dns::rcode::NOERROR : dns::rcode::NXDOMAIN;
    auto neg = std::make_shared<CacheEntry>();
    neg->kind = apex ? EntryKind::nodata : EntryKind::nxdomain;
    neg->soa = std::make_shared<dns::RRset>(soa);
    neg->expires_ms = now + 10800 * 1000;
    a.negative = neg;
  }
  size_t len = write_response(q, a, now, 0, options_.max_udp_payload, false, out);
  if (len >= 3) out[2] |= 0x04;  // AA: we are authoritative for these (as Unbound)
  return len;
}

// A zone served here is answered by its engine from the published data, as
// the client asked (its allow-query applies), with RA=1 and AA as the engine
// sets it (BIND answers its own zones so with recursion on). With RD=1, a
// referral or a CNAME out of these zones goes on to resolution (false).
bool ResolverService::served_here(const dns::MessageView& q, std::span<uint8_t> out,
                                  const net::Peer& peer, size_t& len) {
  if (!options_.local->zone_of(delegation_start(q.qname(), q.qtype()))) return false;
  net::Peer client = peer;
  client.sink = nullptr;  // answered now, never deferred
  len = options_.local->answer(q.data(), out, client);
  if (len < dns::kHeaderSize) {
    len = write_error(q, dns::rcode::SERVFAIL, true, out);
    return true;
  }
  if (q.header().rd && !answered_fully(out.first(len), q.qname(), q.qtype(),
                                        resolver_.options().max_cname_chain))
    return false;
  out[3] |= 0x80;  // RA
  served_here_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void ResolverService::set_allowed(std::optional<net::AddressAcl> allowed) {
  allowed_.publish(std::make_shared<const std::optional<net::AddressAcl>>(std::move(allowed)));
}

size_t ResolverService::answer_fast(const dns::MessageView& q, std::span<uint8_t> out,
                                    const net::Peer& peer, const std::optional<net::AddressAcl>& allowed,
                                    bool& miss) {
  miss = false;
  if (allowed &&
      !allowed->allows(reinterpret_cast<const sockaddr*>(&peer.addr), peer.addr_len)) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    return write_prohibited(q, out);
  }
  if (q.header().opcode != dns::opcode::QUERY) return write_error(q, dns::rcode::NOTIMP, true, out);
  if (q.header().qdcount != 1) return write_error(q, dns::rcode::FORMERR, true, out);
  if (q.qclass() != dns::rrclass::IN) return write_error(q, dns::rcode::REFUSED, true, out);
  uint16_t qt = q.qtype();
  if (qt == rrtype::AXFR || qt == rrtype::IXFR || qt == rrtype::OPT || qt == rrtype::TSIG)
    return write_error(q, dns::rcode::REFUSED, true, out);
  // RFC 6762 22.1: multicast DNS names never go to unicast servers. With
  // the bridge they are asked on the link (a resolution loop: it waits),
  // without it they are a locally served empty zone, whatever empty-zones says.
  if (const dns::Name* ll = link_local_zone(q.qname())) {
    if (options_.mdns_lookup) {
      miss = true;
      return 0;
    }
    link_local_.fetch_add(1, std::memory_order_relaxed);
    return write_local_zone(q, *ll, out);
  }
  size_t len = 0;
  if (options_.local && served_here(q, out, peer, len)) return len;
  if (!empty_zones_.empty() && local_zone(q, out, len)) return len;
  Answer a;
  // An answer not validated yet goes to a resolution loop, which checks
  // it (keys may need fetching); one judged already is answered here.
  if (resolver_.answer_from_cache(q.qname(), qt, a) && resolver_.settle(a, q.header().cd)) {
    hits_.fetch_add(1, std::memory_order_relaxed);
    int64_t now = clock_.now_ms();
    if (options_.prefetch) maybe_prefetch(a, q.qname(), qt);
    return write_response(q, a, now, 0, options_.max_udp_payload, peer.tcp, out);
  }
  if (!q.header().rd) {
    // RD=0: the client asks what we know, not for recursion (RFC 1034 4.3.1).
    Answer r;
    if (!resolver_.referral_from_cache(q.qname(), r)) return write_error(q, dns::rcode::SERVFAIL, true, out);
    return write_response(q, r, clock_.now_ms(), 0, options_.max_udp_payload, peer.tcp, out);
  }
  miss = true;
  return 0;
}

size_t ResolverService::answer_slow(const dns::MessageView& q, std::span<uint8_t> out, bool tcp) {
  if (options_.mdns_lookup)
    if (const dns::Name* ll = link_local_zone(q.qname())) {
      // The multicast query and the sharing of it block for real.
      size_t n = 0;
      net::run_blocking([&] { n = answer_bridged(q, *ll, out, tcp); });
      return n;
    }
  misses_.fetch_add(1, std::memory_order_relaxed);
  Answer a = resolver_.resolve(q.qname(), q.qtype(), false, nullptr, q.header().cd);
  upstream_.fetch_add(static_cast<uint64_t>(a.upstream_queries), std::memory_order_relaxed);
  if (a.rcode == dns::rcode::SERVFAIL) servfails_.fetch_add(1, std::memory_order_relaxed);
  return write_response(q, a, clock_.now_ms(), resolver_.options().stale_answer_ttl,
                        options_.max_udp_payload, tcp, out);
}

size_t ResolverService::answer_bridged(const dns::MessageView& q, const dns::Name& zone,
                                      std::span<uint8_t> out, bool tcp) {
  bridged_.fetch_add(1, std::memory_order_relaxed);
  Result<std::vector<dns::RRset>> looked = ask_link(q.qname(), q.qtype());
  if (!looked) {
    servfails_.fetch_add(1, std::memory_order_relaxed);
    return write_error(q, dns::rcode::SERVFAIL, true, out);
  }
  // Not cached: the answer lives at most mdns_max_ttl seconds anyway, and
  // the resolver cache would not see the goodbyes (RFC 6762 10.1) that the
  // next one-shot query does. The loops' blocking threads bound how many
  // multicast queries can be in flight.
  int64_t now = clock_.now_ms();
  Answer a = bridged_answer(q.qname(), q.qtype(), zone, merge_records(std::move(*looked)), now);
  return write_response(q, a, now, 0, options_.max_udp_payload, tcp, out);
}

Result<std::vector<dns::RRset>> ResolverService::ask_link(const dns::Name& qname, uint16_t qt) {
  std::string key(qname.wire().begin(), qname.wire().end());
  for (auto& ch : key) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  key += static_cast<char>(qt >> 8);
  key += static_cast<char>(qt & 0xff);
  std::shared_ptr<BridgeFlight> flight;
  bool leader = false;
  {
    std::lock_guard lock(bridge_mu_);
    auto& slot = bridge_flights_[key];
    if (!slot) {
      slot = std::make_shared<BridgeFlight>();
      leader = true;
    }
    flight = slot;
  }
  if (leader) {
    auto r = options_.mdns_lookup(qname, qt);
    {
      std::lock_guard lock(flight->mu);
      flight->result = std::move(r);
    }
    flight->cv.notify_all();
    std::lock_guard lock(bridge_mu_);
    bridge_flights_.erase(key);
  } else {
    bridge_shared_.fetch_add(1, std::memory_order_relaxed);
    std::unique_lock lock(flight->mu);
    flight->cv.wait(lock, [&] { return flight->result.has_value(); });
  }
  return *flight->result;  // a copy: others read it too
}

Answer ResolverService::bridged_answer(const dns::Name& qname, uint16_t qt, const dns::Name& zone,
                                       const std::vector<dns::RRset>& sets, int64_t now) const {
  auto entry = [&](dns::RRset rs) {
    rs.ttl = std::min(rs.ttl, options_.mdns_max_ttl);
    auto e = std::make_shared<CacheEntry>();
    e->expires_ms = now + int64_t{rs.ttl} * 1000;
    e->rrset = std::move(rs);
    return e;
  };
  Answer a;
  bool name_exists = false;
  for (const auto& s : sets) {
    if (s.rdata.empty() || s.ttl == 0) continue;
    bool at_name = s.owner == qname;
    if (at_name) name_exists = true;
    // NSEC is mDNS's negative answer (RFC 6762 6.1): it proves the name
    // exists, and means nothing to a unicast client.
    if (s.type == rrtype::NSEC) continue;
    bool match = at_name && (s.type == qt || qt == rrtype::ANY || s.type == rrtype::CNAME);
    if (match) a.chain.push_back(entry(s));
    else a.glue.push_back(entry(s));  // RFC 6763 12 additional records (SRV, TXT, addresses)
  }
  if (a.chain.empty()) {
    // Nothing answered within the wait: NXDOMAIN, or NODATA when the name
    // showed up with other types; the SOA of the zone, synthesized.
    a.rcode = name_exists ? dns::rcode::NOERROR : dns::rcode::NXDOMAIN;
    auto neg = std::make_shared<CacheEntry>();
    neg->kind = name_exists ? EntryKind::nodata : EntryKind::nxdomain;
    neg->soa = std::make_shared<dns::RRset>(local_soa(zone, options_.mdns_max_ttl, options_.mdns_max_ttl));
    neg->expires_ms = now + int64_t{options_.mdns_max_ttl} * 1000;
    a.negative = neg;
    a.glue.clear();
  }
  return a;
}

size_t ResolverService::answer(std::span<const uint8_t> query, std::span<uint8_t> out,
                               const net::Peer& peer) {
  dns::MessageView q;
  if (q.parse(query) != dns::WireError::ok || q.header().qr) return 0;
  bool miss = false;
  size_t n = answer_fast(q, out, peer, *allowed_.get(), miss);
  return miss ? answer_slow(q, out, peer.tcp) : n;
}

void ResolverService::maybe_prefetch(const Answer& a, const dns::Name& qname, uint16_t qtype) {
  // Unbound's rule: data asked for in the last 10% of its TTL is fetched
  // again in the background, so popular names never expire from the cache.
  const EntryPtr& e = !a.chain.empty() ? a.chain.back() : a.negative;
  if (!e || e->original_ttl < 10) return;
  int64_t left_ms = e->expires_ms - clock_.now_ms();
  if (left_ms > int64_t{e->original_ttl} * 100) return;
  if (e->prefetching.exchange(true)) return;
  Job job;
  job.prefetch_only = true;
  job.qname = qname;
  job.qtype = qtype;
  if (enqueue(std::move(job))) prefetches_.fetch_add(1, std::memory_order_relaxed);
}

// A worker that is itself a loop (the UDP workers) resolves the miss on
// its own thread: no hand-off to another thread, as in Unbound. Others
// (the stream transports' threads) hand it to the least loaded of the
// service's loops: a loop's fibers share its thread, so a loop busy
// validating should not get the next miss too.
bool ResolverService::enqueue(Job job, net::WorkerMetrics* here_metrics) {
  net::FiberLoop* loop = net::FiberLoop::on_this_thread();
  net::WorkerMetrics* m = here_metrics;
  if (!loop) {
    std::lock_guard lock(mu_);
    if (stopping_ || loops_.empty()) return false;
    const Loop* to = &loops_.front();
    for (const auto& l : loops_)
      if (l.loop->load() < to->loop->load()) to = &l;
    loop = to->loop.get();
    m = to->metrics;
  }
  return loop->post([this, m, job = std::move(job)]() mutable { resolve_job(job, m); });
}

// On a fiber of a resolution loop.
void ResolverService::resolve_job(Job& job, net::WorkerMetrics* metrics) {
  if (job.prefetch_only) {
    Answer a = resolver_.resolve(job.qname, job.qtype, true);
    upstream_.fetch_add(static_cast<uint64_t>(a.upstream_queries), std::memory_order_relaxed);
    return;
  }
  dns::MessageView q;
  if (q.parse(job.query) != dns::WireError::ok) return;
  std::shared_ptr<Pending> pending;
  if (stale_thread_.joinable()) {
    pending = std::make_shared<Pending>();
    pending->query = job.query;
    pending->channel = job.channel;
    pending->tcp = job.tcp;
    pending->received = job.received;
    std::lock_guard lock(pending_mu_);
    pending_.push_back(pending);
  }
  // The job's own (other fibers of this thread run while it resolves). A
  // UDP answer is at most 4096 octets (edns-udp-size): on the fiber's
  // stack; a fresh 64 KiB from the heap each was a few percent of a cold
  // run (the heap grown and its pages faulted in). Left unzeroed: only
  // what the response writer wrote is sent.
  std::array<uint8_t, 4096> small;
  std::unique_ptr<uint8_t[]> large;
  std::span<uint8_t> buf(small);
  if (job.tcp) {
    large = std::make_unique_for_overwrite<uint8_t[]>(65535);
    buf = std::span<uint8_t>(large.get(), 65535);
  }
  size_t n = answer_slow(q, buf, job.tcp);
  if (pending) {
    std::lock_guard lock(pending_mu_);
    std::erase(pending_, pending);
    if (pending->answered.exchange(true)) return;  // the stale answer went out already
  }
  if (n == 0) return;
  // Counted before sending, so a client that reads /metrics after its
  // answer arrived sees it.
  if (metrics)
    net::record_query(*metrics, job.query, buf.first(n), job.tcp,
                      static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                std::chrono::steady_clock::now() - job.received)
                                                .count()));
  job.channel.send(buf.first(n));
}

// RFC 5011 2.3: each trust point's DNSKEY RRset asked for when due, with
// or without client traffic; the answer is not taken from the cache, and
// AutoTrustAnchors checks it against the anchors itself (CD=1 here: a set
// the cached keys no longer validate must still reach it).
void ResolverService::refresh_anchors() {
  AutoTrustAnchors& anchors = *resolver_.options().auto_anchors;
  auto fetch = [this](const dns::Name& zone) -> std::optional<AutoTrustAnchors::Fetched> {
    Answer a = resolver_.resolve(zone, rrtype::DNSKEY, true, nullptr, true);
    upstream_.fetch_add(static_cast<uint64_t>(a.upstream_queries), std::memory_order_relaxed);
    for (const auto& e : a.chain)
      if (e->kind == EntryKind::rrset && e->rrset.type == rrtype::DNSKEY && e->rrset.owner == zone)
        return AutoTrustAnchors::Fetched{e->rrset, e->dnssec.sigs};
    return std::nullopt;
  };
  for (;;) {
    {
      std::unique_lock lock(mu_);
      // Woken at least once a minute: the clock may have jumped.
      auto wait = std::chrono::milliseconds(std::clamp<int64_t>(anchors.next_refresh_in_ms(), 0, 60'000));
      if (stale_cv_.wait_for(lock, wait, [&] { return stopping_; })) return;
    }
    anchors.refresh_due(fetch);
  }
}

void ResolverService::stale_watch() {
  std::vector<uint8_t> buf(65535);
  for (;;) {
    {
      std::unique_lock lock(mu_);
      if (stale_cv_.wait_for(lock, std::chrono::milliseconds(50), [&] { return stopping_; })) return;
    }
    auto now = std::chrono::steady_clock::now();
    std::vector<std::shared_ptr<Pending>> due;
    {
      std::lock_guard lock(pending_mu_);
      for (const auto& p : pending_)
        if (!p->answered.load() && now - p->received >= options_.stale_answer_timeout) due.push_back(p);
    }
    for (const auto& p : due) {
      dns::MessageView q;
      if (q.parse(p->query) != dns::WireError::ok) continue;
      Answer a;
      if (!resolver_.answer_from_cache(q.qname(), q.qtype(), a, true) || !resolver_.settle(a, q.header().cd) ||
          a.security == validator::Security::bogus)
        continue;
      a.stale = true;
      size_t n = write_response(q, a, clock_.now_ms(), resolver_.options().stale_answer_ttl,
                                options_.max_udp_payload, p->tcp, buf);
      if (n == 0 || p->answered.exchange(true)) continue;
      stale_answers_.fetch_add(1, std::memory_order_relaxed);
      p->channel.send(std::span<const uint8_t>(buf.data(), n));
    }
  }
}

// RFC 7646: "nta add NAME [SECONDS]" (default an hour, at most a week),
// "nta remove NAME", "nta list". Adding or removing one flushes the cache
// at and below the name, so its answers are judged again at once.
std::string ResolverService::nta_command(const std::vector<std::string>& words) {
  static const char* kUsage = "error: usage: nta add NAME [SECONDS] | nta remove NAME | nta list\n";
  if (words.size() == 2 && words[1] == "list")
    return "ok negative trust anchors\n" + resolver_.negative_anchors().list();
  if (words.size() < 3 || words.size() > 4 || (words[1] != "add" && words[1] != "remove")) return kUsage;
  auto n = dns::Name::from_text(words[2].back() == '.' ? words[2] : words[2] + ".");
  if (!n) return "error: bad name '" + words[2] + "': " + n.message() + "\n";
  if (words[1] == "remove") {
    if (words.size() != 3) return kUsage;
    if (!resolver_.negative_anchors().remove(*n)) return "error: no negative trust anchor at " + n->to_text() + "\n";
    flush(*n);
    return "ok removed the negative trust anchor at " + n->to_text() + "\n";
  }
  uint32_t seconds = 3600;
  if (words.size() == 4) {
    char* end = nullptr;
    unsigned long v = std::strtoul(words[3].c_str(), &end, 10);
    if (*end || v == 0 || v > 7 * 86400) return "error: SECONDS must be 1 to 604800\n";
    seconds = static_cast<uint32_t>(v);
  }
  resolver_.negative_anchors().add(*n, seconds);
  flush(*n);
  return fmt::format("ok negative trust anchor at {} for {} s\n", n->to_text(), seconds);
}

// The cache, the NSEC ranges kept for RFC 8198 and the validated keys,
// which would otherwise still answer for (or judge) the flushed names.
size_t ResolverService::flush(const dns::Name& name) {
  return cache_.flush(name) + resolver_.denial_cache().flush(name) + resolver_.key_cache().flush(name);
}

std::string ResolverService::control(std::string_view command) {
  // "cache show [name]" / "cache flush [name]" / "cache stats"
  std::vector<std::string> words;
  size_t i = 0;
  while (i < command.size()) {
    while (i < command.size() && command[i] == ' ') ++i;
    size_t j = i;
    while (j < command.size() && command[j] != ' ') ++j;
    if (j > i) words.emplace_back(command.substr(i, j - i));
    i = j;
  }
  if (!words.empty() && words[0] == "nta") return nta_command(words);
  if (words.size() < 2 || words[0] != "cache")
    return "error: usage: cache show [NAME] | cache flush [NAME] | cache stats\n";
  dns::Name name;
  if (words.size() >= 3) {
    auto n = dns::Name::from_text(words[2].back() == '.' ? words[2] : words[2] + ".");
    if (!n) return "error: bad name '" + words[2] + "': " + n.message() + "\n";
    name = *n;
  }
  if (words[1] == "show") {
    std::string body = cache_.dump(name);
    size_t lines = static_cast<size_t>(std::count(body.begin(), body.end(), '\n'));
    return fmt::format("ok {} records at or below {}\n", lines, name.to_text()) + body;
  }
  if (words[1] == "flush") {
    size_t n = flush(name);
    return fmt::format("ok flushed {} entries at or below {}\n", n, name.to_text());
  }
  if (words[1] == "stats") {
    return fmt::format(
        "ok entries {} hits {} misses {} prefetches {} refused {} servfail {} upstream-queries {} "
        "stale-answers {} mdns-bridged {} mdns-bridged-shared {} mdns-names-answered-locally {} "
        "served-here {} aggressive-nsec-answers {}\n",
        cache_.size(), hits_.load(), misses_.load(), prefetches_.load(), refused_.load(),
        servfails_.load(), upstream_.load(), stale_answers_.load(), bridged_.load(), bridge_shared_.load(), link_local_.load(),
        served_here_.load(), resolver_.denial_cache().answers());
  }
  return "error: unknown cache command '" + words[1] + "' (show, flush, stats)\n";
}

}  // namespace namae::resolver
