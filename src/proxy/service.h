// The Discovery Proxy as a service (RFC 8766): the pure Core of one link
// behind a mutex, a thread that runs its timers and the link's cache
// changes, and the handler that takes the questions under the proxy's
// domains off the authoritative listeners.
//
// Threads: handle() runs on the listeners' workers and asks the Core (which
// reads the mDNS cache) under the service's mutex; a question that must
// wait for the link is deferred (net::kDeferred) and answered from the
// service's thread through its ReplyChannel. The mDNS stack reports cache
// changes from its own thread while holding its own lock, so link_changed()
// only queues them: the service's thread hands them to the Core.
#pragma once

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "auth/engine.h"
#include "auth/rrl.h"
#include "net/handler.h"
#include "proxy/core.h"
#include "proxy/reply.h"

namespace namae::proxy {

class ProxyService {
 public:
  /// `link` must outlive the service; `max_udp`: the largest UDP reply.
  ProxyService(ProxyOptions options, Link& link, uint16_t max_udp);
  ~ProxyService();
  ProxyService(const ProxyService&) = delete;
  ProxyService& operator=(const ProxyService&) = delete;

  const dns::Name& domain() const { return core_.options().domain; }
  /// True for a name in one of the proxy's domains (fixed from construction: no lock).
  bool covers(const dns::Name& name) const { return core_.covers(name); }
  /// A parsed QUERY for a name at or below domain(): the reply's length,
  /// or net::kDeferred (answered later through peer.channel()).
  size_t handle(const dns::MessageView& q, std::span<uint8_t> out, const net::Peer& peer);

  /// A record entered (`added`) or left the link's cache (any thread).
  void link_changed(const mdns::Record& r, bool added);
  /// Called on the service's thread with the unicast owner name of every
  /// link record that came or went (DNS Push follows them).
  std::function<void(const dns::Name& owner)> on_change;
  /// The listeners' response rate limiter now (it changes with a
  /// reconfiguration; nullptr: none): a deferred UDP answer is limited as
  /// the engine limits the immediate ones (auth::classify_reply). Unset: none.
  std::function<std::shared_ptr<auth::RateLimiter>()> rate_limiter;

  void start();
  /// Stop the thread; questions still waiting are answered with what the
  /// cache holds.
  void stop();

  /// The Core, under the service's lock, for DNS Push.
  template <class F>
  auto with_core(F&& f) {
    std::lock_guard lk(mu_);
    return f(core_);
  }

  struct Stats {
    uint64_t queries = 0, from_cache = 0, waited = 0, limited = 0;
    uint64_t rrl_limited = 0;  // deferred answers dropped or slipped by RRL
  };
  Stats stats() const;

 private:
  struct Waiter {
    QueryInfo query;
    net::ReplyChannel channel;
  };
  void run();
  void answer(std::vector<Done> done);
  // RRL on a deferred reply of `len` octets to `to`: its new length (0: dropped).
  size_t rate_limit(const net::Peer& to, std::span<uint8_t> reply, size_t len);

  mutable std::mutex mu_;  // core_, waiters_, stats_
  Core core_;
  const uint16_t max_udp_;
  std::map<Ticket, Waiter> waiters_;
  Stats stats_;

  std::mutex events_mu_;  // a leaf lock: the mDNS stack calls in holding its own
  std::condition_variable cv_;
  std::vector<std::pair<mdns::Record, bool>> events_;
  bool stopping_ = false;
  std::thread thread_;
};

/// The proxies' domains as the authoritative engine's NameHandler: the
/// engine parses each query once, checks it, and hands a QUERY for a name
/// under a proxy's domain to that proxy.
class ProxyNames final : public auth::NameHandler {
 public:
  explicit ProxyNames(std::vector<ProxyService*> proxies) : proxies_(std::move(proxies)) {}
  bool covers(const dns::Name& qname) const override { return find(qname) != nullptr; }
  size_t handle(const dns::MessageView& query, std::span<uint8_t> response, const net::Peer& peer,
                const zone::ZoneSet& zones) override;

 private:
  ProxyService* find(const dns::Name& qname) const;
  std::vector<ProxyService*> proxies_;
};

}  // namespace namae::proxy
