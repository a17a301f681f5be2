#include "daemon/resolver_role.h"

#include <algorithm>
#include <atomic>
#include <mutex>

#include <fmt/format.h>

#include "daemon/logging.h"
#include "net/dot_client.h"
#include "net/metrics.h"
#include "dns/rrtype.h"
#include "mdns/stack.h"
#include "update/policy.h"

namespace namae::daemon {

namespace {
// The bridge's mDNS side: one RFC 6762 5.1 one-shot query per client
// question (from an ephemeral port, answers by unicast), through the mdns
// module's querier code. Unique answers (addresses, SRV, TXT, reverse PTR)
// end the wait early; shared ones (a browse PTR, ANY) are collected for the
// whole timeout since several responders may answer.
resolver::MdnsLookup mdns_bridge(const ResolverConfig& cfg) {
  auto interfaces = cfg.mdns_bridge_interfaces;
  int timeout_ms = static_cast<int>(cfg.mdns_bridge_timeout);
  return [interfaces, timeout_ms](const dns::Name& qname, uint16_t qtype) -> Result<std::vector<dns::RRset>> {
    namespace rrtype = dns::rrtype;
    mdns::Question q;
    q.name = qname;
    q.type = qtype;
    bool shared = qtype == rrtype::ANY ||
                  (qtype == rrtype::PTR && !qname.is_subdomain_of(*dns::Name::from_text("arpa.")));
    auto enough = [&](const std::vector<mdns::Record>& got) {
      if (shared) return false;
      return std::any_of(got.begin(), got.end(), [&](const mdns::Record& r) {
        return r.owner == qname && (r.type == qtype || r.type == rrtype::CNAME || r.type == rrtype::NSEC);
      });
    };
    std::vector<dns::RRset> out;
    auto got = mdns::one_shot({q}, interfaces, timeout_ms, enough);
    if (!got) return fail("mdns bridge: " + got.message());
    for (auto& r : *got) {
      dns::RRset rs;
      rs.owner = r.owner;
      rs.type = r.type;
      rs.rclass = r.rclass;
      rs.ttl = r.ttl;
      rs.rdata.push_back(std::move(r.rdata));
      out.push_back(std::move(rs));
    }
    return out;
  };
}
Result<std::vector<net::Endpoint>> parse_endpoints(const std::vector<std::string>& list, const char* key) {
  std::vector<net::Endpoint> eps;
  for (const auto& l : list) {
    auto ep = net::parse_endpoint(l);
    if (!ep) return fail(std::string("[resolver] ") + key + ": " + ep.message());
    eps.push_back(*ep);
  }
  return eps;
}

// The [server] TCP limits (idle timeout, connections, write buffer) for the
// resolver's stream listeners, on one event loop each.
net::TcpOptions stream_limits(const ServerConfig& server) {
  net::TcpOptions to;
  to.workers = 1;
  to.idle_timeout = std::chrono::milliseconds(server.tcp_idle_timeout_ms);
  to.max_connections = server.tcp_max_connections;
  to.write_watermark = server.tcp_write_buffer;
  return to;
}

// A DoT or DoH listener set: the TCP limits over TLS with its own context
// (its own ALPN protocol, session cache and ticket keys).
Result<std::unique_ptr<net::TcpServer>> tls_server(const ResolverConfig& cfg, net::TcpOptions to,
                                                   const std::vector<std::string>& listen, const char* key,
                                                   const char* alpn, const net::HandlerFactory& factory,
                                                   net::MetricsRegistry& metrics) {
  if (listen.empty()) return std::unique_ptr<net::TcpServer>();
  if (cfg.tls_cert.empty() || cfg.tls_key.empty())
    return fail(std::string("[resolver] ") + key + " needs tls-cert and tls-key");
  auto eps = parse_endpoints(listen, key);
  if (!eps) return eps.error();
  auto ctx = net::TlsContext::load(cfg.tls_cert, cfg.tls_key, alpn);
  if (!ctx) return fail("[resolver] " + ctx.message());
  to.listen = std::move(*eps);
  to.tls = std::move(*ctx);
  return std::make_unique<net::TcpServer>(std::move(to), factory, metrics);
}

// The zones served here as the resolver sees them: the authoritative engine
// over the current snapshot (checked per query, so an update shows at once),
// a few engines pooled for the resolver's workers and threads. No rate
// limiting or server cookies: the resolver's clients are not the
// authoritative listeners' ones, and it answers them itself.
class ServedZones final : public resolver::LocalAuthority {
 public:
  ServedZones(const zone::ZoneSetHolder& holder, const auth::AuthOptions& options)
      : holder_(holder), settings_(std::make_shared<auth::AuthSettings>(without_limits(options))) {}

  /// The authoritative side's new options (live reconfiguration): pooled
  /// engines take them at their next query.
  void set_options(const auth::AuthOptions& options) { settings_->publish(without_limits(options)); }

  std::optional<dns::Name> zone_of(const dns::Name& name) override {
    const zone::ZoneSet& snap = current();
    std::optional<dns::Name> best;
    if (const zone::ZoneVersion* z = snap.find(name)) best = z->origin();
    for (const auto& u : snap.unavailable_zones())
      if (name.is_subdomain_of(u) && (!best || u.label_count() > best->label_count())) best = u;
    return best;
  }

  size_t answer(std::span<const uint8_t> query, std::span<uint8_t> out, const net::Peer& client) override {
    std::unique_ptr<auth::AuthEngine> engine;
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        engine = std::move(idle_.back());
        idle_.pop_back();
      }
    }
    if (!engine) engine = std::make_unique<auth::AuthEngine>(holder_, settings_);
    size_t n = engine->handle(query, out, client);
    engine->end_batch();  // lets go of a replaced snapshot now
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(engine));
    return n <= out.size() ? n : 0;  // never deferred: only queries come here
  }

 private:
  // Every resolver query asks zone_of(): the snapshot is re-taken only when
  // the holder's generation moved (one load per query otherwise, as the
  // engines do), per thread. A thread keeps at most one old snapshot alive
  // until its next query.
  const zone::ZoneSet& current() {
    struct Seen {
      uint64_t owner = 0;  // an id, not an address: a later instance may reuse one
      uint64_t generation = 0;
      std::shared_ptr<const zone::ZoneSet> snap;
    };
    thread_local Seen seen;
    uint64_t g = holder_.generation();
    if (seen.owner != id_ || seen.generation != g || !seen.snap) {
      seen.snap = holder_.snapshot();
      seen.generation = g;
      seen.owner = id_;
    }
    return *seen.snap;
  }

  static std::shared_ptr<const auth::AuthOptions> without_limits(auth::AuthOptions o) {
    o.rrl = nullptr;
    o.cookies.reset();
    return std::make_shared<const auth::AuthOptions>(std::move(o));
  }

  static inline std::atomic<uint64_t> next_id_{1};
  const uint64_t id_ = next_id_.fetch_add(1);
  const zone::ZoneSetHolder& holder_;
  std::shared_ptr<auth::AuthSettings> settings_;
  std::mutex mu_;
  std::vector<std::unique_ptr<auth::AuthEngine>> idle_;
};

// [[resolver.stub]] and [[resolver.forward]] as the resolver's routes.
Result<std::vector<resolver::ZoneRoute>> zone_routes(const ResolverConfig& cfg) {
  std::vector<resolver::ZoneRoute> out;
  for (const auto* list : {&cfg.stubs, &cfg.forwards}) {
    for (const auto& rc : *list) {
      auto r = resolver::make_route(rc.name, rc.servers, list == &cfg.forwards, rc.tls ? 853 : 53);
      if (!r) return fail("[resolver] " + r.message());
      if (rc.tls) {
        auto dot = net::DotClient::create(rc.tls_ca_file, std::chrono::milliseconds(rc.tls_idle_timeout_ms));
        if (!dot) return fail("[resolver] forward '" + rc.name + "': " + dot.message());
        r->dot = std::move(*dot);
        r->tls_name = rc.tls_name;
      }
      out.push_back(std::move(*r));
    }
  }
  return out;
}
// The forwarders' DoT connections on /metrics: handshakes (resumed or
// full, RFC 7858 3.4), idle closes and the ones open, per forward domain.
void add_forward_tls_metrics(const std::vector<resolver::ZoneRoute>& routes, net::MetricsRegistry& metrics) {
  std::vector<std::pair<std::string, std::weak_ptr<net::DotClient>>> clients;
  for (const auto& r : routes)
    if (r.dot) clients.emplace_back(r.name.to_text(), r.dot);
  if (clients.empty()) return;
  metrics.add_renderer([clients] {
    std::string o =
        "# HELP namae_forward_tls_handshakes_total TLS connections opened to forwarders, by session resumption.\n"
        "# TYPE namae_forward_tls_handshakes_total counter\n";
    std::string idle =
        "# HELP namae_forward_tls_idle_closed_total Forwarder TLS connections closed for being idle.\n"
        "# TYPE namae_forward_tls_idle_closed_total counter\n";
    std::string open = "# HELP namae_forward_tls_connections Open TLS connections to forwarders.\n"
                       "# TYPE namae_forward_tls_connections gauge\n";
    for (const auto& [name, weak] : clients) {
      auto c = weak.lock();
      if (!c) continue;
      const uint64_t opened = c->connections_opened(), resumed = c->connections_resumed();
      o += fmt::format("namae_forward_tls_handshakes_total{{forward=\"{}\",resumed=\"false\"}} {}\n", name,
                       opened - resumed);
      o += fmt::format("namae_forward_tls_handshakes_total{{forward=\"{}\",resumed=\"true\"}} {}\n", name, resumed);
      idle += fmt::format("namae_forward_tls_idle_closed_total{{forward=\"{}\"}} {}\n", name,
                          c->connections_idle_closed());
      open += fmt::format("namae_forward_tls_connections{{forward=\"{}\"}} {}\n", name, c->connections_open());
    }
    return o + idle + open;
  });
}
}  // namespace

// The built-in root KSKs, or the file's DS/DNSKEY records.
static Result<validator::TrustAnchors> trust_anchors(const ResolverConfig& cfg) {
  if (cfg.trust_anchor_file.empty()) return validator::TrustAnchors::builtin_root();
  auto t = validator::TrustAnchors::from_file(cfg.trust_anchor_file);
  if (!t) return fail("[resolver] trust-anchor-file: " + t.message());
  return t;
}

// RFC 5011 needs a file to keep the states in, and validation to act on them.
static Result<std::shared_ptr<resolver::AutoTrustAnchors>> auto_trust_anchors(const ResolverConfig& cfg,
                                                                              const Clock& clock) {
  if (!cfg.validate || cfg.trust_anchor_file.empty())
    return fail("[resolver] auto-trust-anchor needs validate = true and a trust-anchor-file to keep up to date");
  // A hold-down under RFC 5011 2.3's hour (tests) shortens that hour too.
  validator::HoldDowns hold{cfg.trust_anchor_hold_down, cfg.trust_anchor_hold_down,
                            std::min<uint32_t>(3600, cfg.trust_anchor_hold_down)};
  auto a = resolver::AutoTrustAnchors::load(cfg.trust_anchor_file, hold, clock, spdlog_sink());
  if (!a) return fail("[resolver] trust-anchor-file: " + a.message());
  return a;
}

Result<std::unique_ptr<ResolverRole>> ResolverRole::create(const ResolverConfig& cfg, const ServerConfig& server,
                                                           net::MetricsRegistry& metrics,
                                                           const zone::ZoneSetHolder& zones,
                                                           const auth::AuthOptions& auth) {
  std::unique_ptr<ResolverRole> role(new ResolverRole());
  resolver::RootHints hints;
  if (cfg.root_hints.empty()) {
    hints = resolver::builtin_root_hints();
  } else {
    auto h = resolver::load_root_hints(cfg.root_hints);
    if (!h) return fail("[resolver] root-hints: " + h.message());
    hints = std::move(*h);
  }
  auto acl = net::parse_acl(cfg.allow);
  if (!acl) return fail("[resolver] allow: " + acl.message());
  resolver::ServiceOptions o;
  o.resolver.qname_minimisation = cfg.qname_minimisation;
  o.resolver.do_not_query_localhost = cfg.do_not_query_localhost;
  o.resolver.edns_udp_size = cfg.edns_udp_size;
  o.resolver.upstream_port = cfg.upstream_port;
  o.resolver.aggressive_nsec = cfg.aggressive_nsec;
  auto routes = zone_routes(cfg);
  if (!routes) return routes.error();
  add_forward_tls_metrics(*routes, metrics);
  o.resolver.routes = std::move(*routes);
  if (cfg.validate) {
    auto anchors = trust_anchors(cfg);
    if (!anchors) return anchors.error();
    o.resolver.trust_anchors = std::make_shared<const validator::TrustAnchors>(std::move(*anchors));
  }
  if (cfg.auto_trust_anchor) {
    auto a = auto_trust_anchors(cfg, role->clock_);
    if (!a) return a.error();
    o.resolver.auto_anchors = std::move(*a);
  }
  if (cfg.local_zones) {
    auto local = std::make_unique<ServedZones>(zones, auth);
    role->set_local_options_ = [l = local.get()](const auth::AuthOptions& a) { l->set_options(a); };
    role->local_ = std::move(local);
    o.local = role->local_.get();
  }
  o.cache.max_entries = cfg.cache_size;
  o.cache.min_ttl = cfg.min_ttl;
  o.cache.max_ttl = cfg.max_ttl;
  o.cache.max_negative_ttl = cfg.max_negative_ttl;
  o.cache.serve_stale = cfg.serve_stale;
  o.threads = cfg.threads;
  o.queries_per_thread = cfg.queries_per_thread;
  o.empty_zones = cfg.empty_zones;
  o.prefetch = cfg.prefetch;
  o.max_udp_payload = cfg.edns_udp_size;
  o.metrics = &metrics;
  if (cfg.mdns_bridge) o.mdns_lookup = mdns_bridge(cfg);
  o.allowed = std::move(*acl);
  role->service_ = std::make_unique<resolver::ResolverService>(std::move(o), std::move(hints),
                                                               role->transport_, role->clock_);
  auto eps = parse_endpoints(cfg.listen, "listen");
  if (!eps) return eps.error();
  auto* service = role->service_.get();
  net::HandlerFactory factory = [service](net::WorkerMetrics* m) { return service->make_handler(m); };
  net::UdpOptions uo;
  uo.listen = *eps;
  uo.workers = cfg.workers;
  uo.fibers = service->loop_options();  // each UDP worker resolves its own misses
  net::TcpOptions to = stream_limits(server);
  to.listen = *eps;
  role->udp_ = std::make_unique<net::UdpServer>(uo, factory, metrics);
  role->tcp_ = std::make_unique<net::TcpServer>(to, factory, metrics);
  auto dot = tls_server(cfg, stream_limits(server), cfg.dot_listen, "dot-listen", "dot", factory, metrics);
  if (!dot) return dot.error();
  role->dot_ = std::move(*dot);
  auto doh_limits = stream_limits(server);
  doh_limits.doh = true;
  auto doh = tls_server(cfg, doh_limits, cfg.doh_listen, "doh-listen", "h2", factory, metrics);
  if (!doh) return doh.error();
  role->doh_ = std::move(*doh);
  return role;
}

ResolverRole::~ResolverRole() { stop(); }

Result<void> ResolverRole::start() {
  service_->start();
  if (auto r = udp_->start(); !r) return r;
  for (auto* s : {tcp_.get(), dot_.get(), doh_.get()}) {
    if (!s) continue;
    if (auto r = s->start(); !r) {
      stop();
      return r;
    }
  }
  return {};
}

void ResolverRole::stop() {
  if (doh_) doh_->stop();
  if (dot_) dot_->stop();
  if (tcp_) tcp_->stop();
  if (udp_) udp_->stop();
  if (service_) service_->stop();
}

}  // namespace namae::daemon
