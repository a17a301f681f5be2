// namae::StubResolver: the library an application links to ask its
// configured recursive resolvers (RFC 1123 6.1.3.1 "stub resolver"): the
// nameserver list, search list, ndots, timeout and attempts of
// /etc/resolv.conf (or given), TCP after a truncated reply, and a small
// cache of answers. Queries go through net::Transport (SocketTransport by
// default), so tests script the servers.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <future>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/result.h"
#include "net/client.h"
#include "net/push_client.h"
#include "base/clock.h"
#include "dns/record.h"

namespace namae {

/// How the stub resolver asks. Defaults are glibc's.
struct StubConfig {
  std::vector<net::Endpoint> servers;  // tried in order (or rotated)
  std::vector<dns::Name> search;       // appended to names with fewer than ndots dots
  int ndots = 1;
  std::chrono::milliseconds timeout{5000};  // per try
  int attempts = 2;                     // rounds over the server list
  bool rotate = false;                  // start each query at the next server
  bool edns = true;                     // EDNS0, 1232 octets (RFC 6891)
  bool use_tcp = false;                 // always TCP
  size_t cache_entries = 512;           // 0 turns the cache off
  uint32_t max_cache_ttl = 3600;

  /// Parse resolv.conf text: nameserver, search, domain, options ndots:
  /// timeout: attempts: rotate use-vc edns0. Missing nameservers: 127.0.0.1.
  static Result<StubConfig> parse_resolv_conf(std::string_view text);
  /// Read a resolv.conf file.
  static Result<StubConfig> from_resolv_conf(const std::string& path = "/etc/resolv.conf");
};

/// One answer.
struct StubAnswer {
  uint16_t rcode = 0;
  dns::Name qname;                          // the name that gave this answer (after search)
  uint16_t qtype = 0;
  std::vector<dns::RRset> answer;           // CNAME chain and data, as received
  std::vector<dns::RRset> authority;        // SOA for negative answers
  bool from_cache = false;
  bool truncated_retried = false;           // TC=1 over UDP, answer came over TCP
  net::Endpoint server;                     // who answered (unset for a cache hit)
  /// The name is multicast DNS's (.local, 254.169.in-addr.arpa,
  /// 8-b.e.f.ip6.arpa; RFC 6762 22.1): no server was asked, rcode is
  /// NXDOMAIN. Use namae::mdns (or a resolver with its mDNS bridge) for it.
  bool multicast_name = false;

  /// The rdata texts of the records of `type` (e.g. addresses for A).
  std::vector<std::string> texts(uint16_t type) const;
};

/// One DNS Push subscription (RFC 8765) made by StubResolver::subscribe:
/// one DSO session on a thread of its own, until it ends or this goes.
class PushSubscription {
 public:
  PushSubscription(net::PushServer server, dns::dso::Question q, net::PushCallbacks cb);
  /// Stops the session (within a quarter second) and joins its thread.
  ~PushSubscription();
  PushSubscription(const PushSubscription&) = delete;
  PushSubscription& operator=(const PushSubscription&) = delete;
  /// Why the session ended, once it has (nullopt if it still runs after `timeout`).
  std::optional<net::PushEnd> wait(std::chrono::milliseconds timeout);
  const net::PushServer& server() const { return server_; }

 private:
  net::PushServer server_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  std::optional<net::PushEnd> end_;
  std::thread thread_;
};

/// Thread-safe; blocking calls run on the caller's thread, async ones on the
/// resolver's own worker thread.
class StubResolver {
 public:
  /// `transport` (default: the real network) and `clock` (default: the
  /// monotonic clock) must outlive the resolver when given.
  explicit StubResolver(StubConfig config, net::Transport* transport = nullptr,
                        const Clock* clock = nullptr);
  ~StubResolver();
  StubResolver(const StubResolver&) = delete;
  StubResolver& operator=(const StubResolver&) = delete;

  /// Resolve `name` (text; relative names use the search list and ndots).
  /// Fails only when no server gave a usable reply; NXDOMAIN is an answer.
  Result<StubAnswer> query(std::string_view name, uint16_t type);
  /// Resolve exactly this name (no search list).
  Result<StubAnswer> query_exact(const dns::Name& name, uint16_t type);

  /// Asynchronous query: `done` is called on the resolver's worker thread.
  void query_async(std::string name, uint16_t type,
                   std::function<void(Result<StubAnswer>)> done);
  /// Asynchronous query as a future.
  std::future<Result<StubAnswer>> query_future(std::string name, uint16_t type);

  /// Subscribe to `name`'s records of `type` with DNS Push: `cb.changes`
  /// is called on the subscription's thread with each PUSH's changes, the
  /// records already there first (RFC 8765 6.2). The server is `server`,
  /// or else found as RFC 8765 6.1 says, through the configured resolvers:
  /// the zone of `name` (its SOA), that zone's `_dns-push-tls._tcp` SRV,
  /// the target's address (its certificate must carry the target's name).
  /// One session: what to do when it ends (PushSubscription::wait) is the
  /// caller's choice.
  Result<std::unique_ptr<PushSubscription>> subscribe(const dns::Name& name, uint16_t type, net::PushCallbacks cb,
                                                      std::optional<net::PushServer> server = std::nullopt);
  /// RFC 8765 6.1's discovery alone. `ca_file` for the server's certificate.
  Result<net::PushServer> find_push_server(const dns::Name& name, const std::string& ca_file = "");

  /// Drop every cached answer.
  void flush_cache();
  const StubConfig& config() const { return config_; }

 private:
  Result<StubAnswer> exchange(const dns::Name& name, uint16_t type);
  // One server, once (again over TCP when the UDP reply is truncated).
  Result<StubAnswer> ask(const net::Endpoint& server, const dns::Name& name, uint16_t type);
  bool cache_get(const dns::Name& name, uint16_t type, StubAnswer& out);
  void cache_put(const StubAnswer& a);
  void worker();

  StubConfig config_;
  std::unique_ptr<net::Transport> own_transport_;
  net::Transport* transport_;
  std::unique_ptr<Clock> own_clock_;
  const Clock* clock_;
  std::atomic<unsigned> next_server_{0};

  struct Cached {
    StubAnswer answer;
    int64_t expires_ms = 0;
    std::list<std::string>::iterator pos;
  };
  std::mutex cache_mu_;
  std::map<std::string, Cached> cache_;
  std::list<std::string> lru_;

  std::mutex q_mu_;
  std::condition_variable q_cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace namae
