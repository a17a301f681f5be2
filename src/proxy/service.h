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
  /// A parsed QUERY for a name at or below domain(): the reply's length,
  /// or net::kDeferred (answered later through peer.channel()).
  size_t handle(const dns::MessageView& q, std::span<uint8_t> out, const net::Peer& peer);

  /// A record entered (`added`) or left the link's cache (any thread).
  void link_changed(const mdns::Record& r, bool added);
  /// Called on the service's thread with the unicast owner name of every
  /// link record that came or went (DNS Push follows them).
  std::function<void(const dns::Name& owner)> on_change;

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
  };
  Stats stats() const;

 private:
  struct Waiter {
    QueryInfo query;
    net::ReplyChannel channel;
  };
  void run();
  void answer(std::vector<Done> done);

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

/// The authoritative listeners' handler when proxies are configured: a
/// QUERY for a name under a proxy's domain goes to that proxy, everything
/// else to `inner` (the authoritative engine).
class ProxyHandler : public net::QueryHandler {
 public:
  ProxyHandler(std::vector<ProxyService*> proxies, std::unique_ptr<net::QueryHandler> inner)
      : proxies_(std::move(proxies)), inner_(std::move(inner)) {}
  void begin_batch() override { inner_->begin_batch(); }
  void end_batch() override { inner_->end_batch(); }
  size_t handle(std::span<const uint8_t> query, std::span<uint8_t> response, const net::Peer& peer) override;
  std::unique_ptr<net::ResponseStream> take_stream() override { return inner_->take_stream(); }
  void closed(const net::Peer& peer) override { inner_->closed(peer); }

 private:
  std::vector<ProxyService*> proxies_;
  std::unique_ptr<net::QueryHandler> inner_;
};

}  // namespace namae::proxy
