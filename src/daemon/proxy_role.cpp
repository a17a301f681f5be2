#include "daemon/proxy_role.h"

#include <unistd.h>

#include <algorithm>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/logging.h"
#include "net/acl.h"

namespace namae::daemon {

namespace {

// The proxy's link is the mdns Stack's cache and continuous questions.
class StackLink final : public proxy::Link {
 public:
  explicit StackLink(mdns::Stack& s) : stack_(s) {}
  std::vector<mdns::Record> lookup(const mdns::Question& q, bool ttl_left) override { return stack_.lookup(q, ttl_left); }
  // Multicast questions (QM): the answers then reach every program sharing
  // port 5353 here, namaed's own [mdns] responder's socket included.
  uint64_t watch(const mdns::Question& q) override { return stack_.watch(q, false); }
  void unwatch(uint64_t id) override { stack_.unwatch(id); }
  void reconfirm(const mdns::Record& r) override { stack_.reconfirm(r); }

 private:
  mdns::Stack& stack_;
};

// The interface of `p`, checked at start: a proxy on a link it cannot
// reach would answer nothing but timeouts.
Result<void> check_interface(const Config& cfg, const ProxyConfig& p) {
  auto ifs = mdns::list_interfaces();
  auto it = std::find_if(ifs.begin(), ifs.end(), [&](const mdns::InterfaceInfo& i) { return i.name == p.interface; });
  std::string where = fmt::format("{}:{}: [[proxy]] '{}': interface '{}'", cfg.source, p.line, p.name, p.interface);
  if (it == ifs.end()) return fail(where + " does not exist");
  if (!it->multicast) return fail(where + " does not do multicast");
  return {};
}

// RFC 8766 6.2: the NS targets; by default this host, in the parent domain
// when its name is a single label.
std::vector<dns::Name> nameservers(const ProxyConfig& p, const dns::Name& domain) {
  std::vector<dns::Name> out;
  for (const auto& ns : p.nameservers) out.push_back(*absolute_name(ns));  // checked by the config
  if (!out.empty()) return out;
  char buf[256] = "";
  gethostname(buf, sizeof buf - 1);
  std::string host = buf[0] ? buf : "localhost";
  if (host.find('.') == std::string::npos) host += "." + domain.strip_left().to_text();
  auto name = absolute_name(host);
  out.push_back(name ? *name : domain.strip_left());
  return out;
}

}  // namespace

// DNS Push subscriptions to a proxy's names (RFC 8766 5.6): the records
// as the link's cache holds them, TTLs unmodified, and the link asked
// continuously while anyone subscribes.
class ProxyRole::PushSource final : public push::RecordSource {
 public:
  explicit PushSource(proxy::ProxyService& s) : s_(s) {}
  bool covers(const dns::Name& name) const override { return s_.covers(name); }
  std::vector<dns::Record> records(const dns::dso::Question& q) override {
    return s_.with_core([&](proxy::Core& c) { return c.link_records(q.name, q.type); });
  }
  void watch(const dns::dso::Question& q) override {
    s_.with_core([&](proxy::Core& c) { c.follow(q.name, q.type); });
  }
  void unwatch(const dns::dso::Question& q) override {
    s_.with_core([&](proxy::Core& c) { c.unfollow(q.name, q.type); });
  }
  void reconfirm(const dns::Record& r) override {
    s_.with_core([&](proxy::Core& c) { return c.reconfirm(r); });
  }

 private:
  proxy::ProxyService& s_;
};

struct ProxyRole::Proxy {
  std::unique_ptr<mdns::Stack> stack;
  std::unique_ptr<StackLink> link;
  std::unique_ptr<proxy::ProxyService> service;
  std::unique_ptr<PushSource> push_source;
};

Result<std::unique_ptr<ProxyRole>> ProxyRole::start(const Config& cfg, push::PushService* push, uint16_t push_port,
                                                    RateLimiterSource rrl) {
  if (cfg.proxies.empty()) return std::unique_ptr<ProxyRole>();
  auto role = std::make_unique<ProxyRole>();
  for (const auto& p : cfg.proxies) {
    if (auto r = check_interface(cfg, p); !r) return r.error();
    proxy::ProxyOptions o;
    o.domain = *absolute_name(p.name);  // checked by the config, as the others
    if (!p.host_domain.empty()) o.hosts = *absolute_name(p.host_domain);
    for (const auto& text : p.reverse) o.reverse.push_back(*proxy::reverse_zone(*net::parse_prefix(text)));
    o.nameservers = nameservers(p, o.domain);
    o.contact = *dns::Name::from_text("hostmaster.", &o.domain);
    o.push_port = push ? push_port : 0;
    o.timeout = p.timeout;
    mdns::StackOptions so;
    so.interfaces = {p.interface};
    auto px = std::make_unique<Proxy>();
    px->stack = std::make_unique<mdns::Stack>(so);
    px->stack->log = spdlog_sink();
    px->link = std::make_unique<StackLink>(*px->stack);
    px->service = std::make_unique<proxy::ProxyService>(o, *px->link, cfg.server.edns_udp_size);
    px->service->rate_limiter = rrl;
    px->stack->on_record = [s = px->service.get()](const mdns::RecordEvent& e) { s->link_changed(e.record, e.added); };
    if (push) {
      px->push_source = std::make_unique<PushSource>(*px->service);
      push->add_source(px->push_source.get());
      px->service->on_change = [push](const dns::Name& owner) { push->source_changed(owner); };
    }
    px->service->start();
    if (auto r = px->stack->start(); !r) return fail(fmt::format("[[proxy]] '{}': {}", p.name, r.message()));
    spdlog::info("discovery proxy for {} on {} (ns {})", o.domain.to_text(), p.interface, o.nameservers.front().to_text());
    role->services_.push_back(px->service.get());
    role->proxies_.push_back(std::move(px));
  }
  role->names_ = std::make_unique<proxy::ProxyNames>(role->services_);
  return role;
}

ProxyRole::~ProxyRole() { stop(); }

void ProxyRole::stop() {
  for (auto& p : proxies_) {
    p->stack->stop();
    p->service->stop();
  }
}

std::string ProxyRole::status() const {
  std::string out;
  for (const auto& p : proxies_) {
    auto s = p->service->stats();
    out += fmt::format("proxy {} queries {} answered-at-once {} waited {} limited {} rrl-limited {}\n",
                       p->service->domain().to_text(), s.queries, s.from_cache, s.waited, s.limited, s.rrl_limited);
  }
  return out;
}

}  // namespace namae::daemon
