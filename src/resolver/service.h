// The resolver role as a network service: a QueryHandler for the resolver's
// own listeners (cache hits answered on the receiving worker, misses handed
// to the resolution loops, where each is a fiber that waits for its
// upstream exchanges on the loop's epoll (net/fiber.h), and answered later
// through the transport's ReplyChannel), RFC 6303 locally served empty
// zones, the recursion ACL, prefetch, and the `cache show|flush` control commands.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "net/acl.h"
#include "base/published.h"
#include "base/result.h"
#include "net/address.h"
#include "net/fiber.h"
#include "net/handler.h"
#include "net/metrics.h"
#include "resolver/resolver.h"

namespace namae::resolver {

/// Asks multicast DNS `qname`/`qtype` once and returns every record the
/// responders sent (answers and additional records, TTLs as received), or
/// an error when it could not ask (the client gets SERVFAIL). Called on
/// the resolution loops' blocking threads only; it may block for its timeout.
using MdnsLookup = std::function<Result<std::vector<dns::RRset>>(const dns::Name& qname, uint16_t qtype)>;

/// Everything the service needs besides the resolver's own options.
struct ServiceOptions {
  ResolverOptions resolver;
  CacheOptions cache;
  unsigned threads = 1;             // resolution loops (threads), cache misses spread over them
  size_t queries_per_thread = 1024; // misses each loop resolves at once (Unbound's num-queries-per-thread)
  size_t max_pending = 10000;       // misses queued per loop beyond those; more get SERVFAIL
  bool empty_zones = true;          // RFC 6303
  bool prefetch = true;             // refresh popular data in its last 10% of TTL
  /// RFC 8767 5 client-response timer: with serve-stale on, a client whose
  /// answer is still being resolved after this long gets the stale data
  /// now (resolution goes on and refreshes the cache).
  std::chrono::milliseconds stale_answer_timeout{1800};
  uint16_t max_udp_payload = 1232;  // largest UDP answer to clients
  /// Where resolution loops count the answers they send (one counter
  /// block each); nullptr: not counted. Cache hits are counted by the transport.
  net::MetricsRegistry* metrics = nullptr;
  /// Recursion ACL: sources outside it are REFUSED; unset, everyone may recurse.
  std::optional<net::AddressAcl> allowed;
  /// RFC 8766-style bridge: questions under `local.` and the link-local
  /// reverse zones (link_local.h) are asked with this on a blocking thread
  /// (it blocks for up to about a second) instead of being answered NXDOMAIN
  /// locally. Unset: bridge off, such names never leave the host (RFC 6762 22.1).
  MdnsLookup mdns_lookup;
  /// TTL ceiling of bridged records (RFC 8766 5.5.1, RFC 6762 6.7: 10 s).
  uint32_t mdns_max_ttl = 10;
  /// The zones served on this host, answered from their published data
  /// (nullptr: none; those names are resolved like any other). Must
  /// outlive the service.
  LocalAuthority* local = nullptr;
};

/// Owns the cache, server table, resolver and its threads.
class ServiceHandler;

class ResolverService {
  friend class ServiceHandler;
 public:
  /// `transport` and `clock` must outlive the service.
  ResolverService(ServiceOptions options, RootHints hints, net::Transport& transport,
                  const Clock& clock);
  ~ResolverService();
  ResolverService(const ResolverService&) = delete;
  ResolverService& operator=(const ResolverService&) = delete;

  /// Start the resolution loops.
  void start();
  /// Who may recurse from now on (live reconfiguration of `allow`; unset:
  /// everyone). Workers take it between two queries.
  void set_allowed(std::optional<net::AddressAcl> allowed);
  /// Stop them; queued queries are dropped (their clients retry).
  void stop();

  /// For the loops of the workers that resolve their own cache misses
  /// (as the service's own loops: queries-per-thread, the queue limit).
  net::FiberLoop::Options loop_options() const;

  /// One handler per transport thread.
  std::unique_ptr<net::QueryHandler> make_handler(net::WorkerMetrics* metrics);

  /// `cache show [NAME]`, `cache flush [NAME]`, `cache stats`: the text
  /// answered on the control socket (first line `ok ...` or `error: ...`).
  std::string control(std::string_view command);
  std::string nta_command(const std::vector<std::string>& words);

  /// Answer `query` synchronously (tests and tools; resolves on this thread).
  size_t answer(std::span<const uint8_t> query, std::span<uint8_t> out, const net::Peer& peer);

  Resolver& resolver() { return resolver_; }
  Cache& cache() { return cache_; }

 private:
  friend class ServiceHandler;
  struct Job {
    std::vector<uint8_t> query;
    net::ReplyChannel channel;
    bool tcp = false;
    bool prefetch_only = false;
    std::chrono::steady_clock::time_point received;  // for the latency metric
    dns::Name qname;
    uint16_t qtype = 0;
  };

  // The first half of answering: checks, local zones, cache. Returns the
  // length written, or 0 with `miss` set when the resolver must run.
  using Allowed = Published<std::optional<net::AddressAcl>>;
  size_t answer_fast(const dns::MessageView& q, std::span<uint8_t> out, const net::Peer& peer,
                     const std::optional<net::AddressAcl>& allowed, bool& miss);
  size_t answer_slow(const dns::MessageView& q, std::span<uint8_t> out, bool tcp);
  bool local_zone(const dns::MessageView& q, std::span<uint8_t> out, size_t& len);
  bool served_here(const dns::MessageView& q, std::span<uint8_t> out, const net::Peer& peer, size_t& len);
  size_t write_local_zone(const dns::MessageView& q, const dns::Name& zone, std::span<uint8_t> out);
  // The mDNS bridge: a .local (or link-local reverse) question asked on the link.
  size_t answer_bridged(const dns::MessageView& q, const dns::Name& zone, std::span<uint8_t> out, bool tcp);
  Result<std::vector<dns::RRset>> ask_link(const dns::Name& qname, uint16_t qtype);
  Answer bridged_answer(const dns::Name& qname, uint16_t qtype, const dns::Name& zone,
                        const std::vector<dns::RRset>& sets, int64_t now) const;
  void maybe_prefetch(const Answer& a, const dns::Name& qname, uint16_t qtype);
  size_t flush(const dns::Name& name);
  bool enqueue(Job job, net::WorkerMetrics* here_metrics = nullptr);
  void resolve_job(Job& job, net::WorkerMetrics* metrics);
  void stale_watch();

  // A client query being resolved, visible to the stale-answer watchdog;
  // whoever flips `answered` first sends the one reply.
  struct Pending {
    std::vector<uint8_t> query;
    net::ReplyChannel channel;
    bool tcp = false;
    std::chrono::steady_clock::time_point received;
    std::atomic<bool> answered{false};
  };
  std::mutex pending_mu_;
  std::vector<std::shared_ptr<Pending>> pending_;
  std::thread stale_thread_;
  // The background threads' (stale_thread_, anchor_thread_) wait on it.
  std::condition_variable stale_cv_;
  // RFC 5011 2.3 active refresh of the trust points (auto-trust-anchor).
  std::thread anchor_thread_;
  void refresh_anchors();
  std::atomic<uint64_t> stale_answers_{0};

  ServiceOptions options_;
  Allowed allowed_;  // options_.allowed, then each set_allowed()
  const Clock& clock_;
  Cache cache_;
  Infra infra_;
  Resolver resolver_;
  std::vector<dns::Name> empty_zones_;

  std::mutex mu_;  // stopping_, for the background threads' waits
  bool stopping_ = false;
  struct Loop {
    std::unique_ptr<net::FiberLoop> loop;
    net::WorkerMetrics* metrics = nullptr;  // its counter block
  };
  std::vector<Loop> loops_;
  std::atomic<uint64_t> hits_{0}, misses_{0}, prefetches_{0}, refused_{0}, servfails_{0}, upstream_{0};
  std::atomic<uint64_t> bridged_{0}, link_local_{0}, served_here_{0};
  // Bridged questions in flight: clients asking the same name and type at
  // once share one multicast query (RFC 6762 7.3 asks queriers not to
  // repeat a question another just sent).
  struct BridgeFlight {
    std::mutex mu;
    std::condition_variable cv;
    std::optional<Result<std::vector<dns::RRset>>> result;
  };
  std::mutex bridge_mu_;
  std::map<std::string, std::shared_ptr<BridgeFlight>> bridge_flights_;
  std::atomic<uint64_t> bridge_shared_{0};
};

/// RFC 6303 section 4 zones (and RFC 6761/8375 ones Unbound also serves
/// locally), as names.
std::vector<dns::Name> rfc6303_zones();

}  // namespace namae::resolver
