#include "proxy/service.h"

#include <algorithm>
#include <chrono>
#include <limits>

#include "dns/rrtype.h"
#include "mdns/stack.h"

namespace namae::proxy {

ProxyService::ProxyService(ProxyOptions options, Link& link, uint16_t max_udp)
    : core_(std::move(options), link), max_udp_(max_udp) {}

ProxyService::~ProxyService() { stop(); }

size_t ProxyService::handle(const dns::MessageView& q, std::span<uint8_t> out, const net::Peer& peer) {
  QueryInfo info = QueryInfo::from(q, peer.tcp);
  Outcome o;
  {
    std::lock_guard lk(mu_);
    ++stats_.queries;
    o = core_.ask(q.qname(), q.qtype(), mdns::monotonic_ms());
    if (o.answer.rcode == dns::rcode::SERVFAIL) ++stats_.limited;
    if (o.pending && peer.can_defer()) {
      ++stats_.waited;
      waiters_.emplace(o.ticket, Waiter{std::move(info), peer.channel()});
      cv_.notify_one();  // a new deadline
      return net::kDeferred;
    }
    if (!o.pending) ++stats_.from_cache;
  }
  // A caller that cannot wait (a test, a tool) gets what there is now.
  if (o.pending) o.answer = Answer{dns::rcode::SERVFAIL, {}, {}, {}};
  return write_reply(info, o.answer, out, max_udp_);
}

void ProxyService::link_changed(const mdns::Record& r, bool added) {
  std::lock_guard lk(events_mu_);
  events_.emplace_back(r, added);
  cv_.notify_one();
}

void ProxyService::answer(std::vector<Done> done) {
  // A ticket may have no waiter (its caller could not wait): each answer
  // stays paired with its own waiter.
  std::vector<std::pair<Waiter, const Answer*>> ready;
  {
    std::lock_guard lk(mu_);
    for (auto& d : done) {
      auto it = waiters_.find(d.ticket);
      if (it == waiters_.end()) continue;
      ready.emplace_back(std::move(it->second), &d.answer);
      waiters_.erase(it);
    }
  }
  std::vector<uint8_t> buf(65535);
  for (auto& [w, a] : ready) {
    size_t n = write_reply(w.query, *a, buf, max_udp_);
    n = rate_limit(w.channel.peer(), buf, n);
    if (n) w.channel.send(std::span<const uint8_t>(buf.data(), n));
  }
}

size_t ProxyService::rate_limit(const net::Peer& to, std::span<uint8_t> reply, size_t len) {
  if (to.tcp || !rate_limiter) return len;
  auto rrl = rate_limiter();
  const auto* sa = reinterpret_cast<const sockaddr*>(&to.addr);
  if (!rrl || rrl->exempt(sa, to.addr_len)) return len;
  auto acct = auth::classify_reply(reply.first(len));
  if (!acct) return len;
  auto verdict = rrl->check(sa, to.addr_len, acct->cls, acct->key);
  if (verdict.action != auth::RrlAction::send) {
    std::lock_guard lk(mu_);
    ++stats_.rrl_limited;
  }
  return auth::apply_rrl(verdict.action, reply, len);
}

void ProxyService::run() {
  for (;;) {
    std::vector<std::pair<mdns::Record, bool>> events;
    Millis next;
    {
      std::lock_guard lk(mu_);
      next = core_.next_timer();
    }
    {
      std::unique_lock lk(events_mu_);
      auto wait = std::chrono::milliseconds(std::clamp<Millis>(next - mdns::monotonic_ms(), 0, 1000));
      cv_.wait_for(lk, wait, [&] { return stopping_ || !events_.empty(); });
      if (stopping_) return;
      events.swap(events_);
    }
    std::vector<Done> done;
    {
      std::lock_guard lk(mu_);
      Millis now = mdns::monotonic_ms();
      for (const auto& [r, added] : events)
        if (added)
          for (auto& d : core_.changed(r, now)) done.push_back(std::move(d));
      for (auto& d : core_.tick(now)) done.push_back(std::move(d));
    }
    answer(std::move(done));
    if (!on_change) continue;
    // The Core's Rewriter is fixed from construction: no lock needed.
    const Rewriter& rw = core_.rewriter();
    for (const auto& [r, added] : events)
      for (const auto& owner : rw.unicast_names(r.owner)) on_change(owner);
  }
}

void ProxyService::start() { thread_ = std::thread([this] { run(); }); }

void ProxyService::stop() {
  {
    std::lock_guard lk(events_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::vector<Done> done;
  {
    std::lock_guard lk(mu_);
    done = core_.tick(std::numeric_limits<Millis>::max());
  }
  answer(std::move(done));
}

ProxyService::Stats ProxyService::stats() const {
  std::lock_guard lk(mu_);
  return stats_;
}

ProxyService* ProxyNames::find(const dns::Name& qname) const {
  for (auto* p : proxies_)
    if (p->covers(qname)) return p;
  return nullptr;
}

size_t ProxyNames::handle(const dns::MessageView& query, std::span<uint8_t> response, const net::Peer& peer,
                          const zone::ZoneSet&) {
  ProxyService* p = find(query.qname());
  return p ? p->handle(query, response, peer) : 0;
}

}  // namespace namae::proxy
