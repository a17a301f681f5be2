#include "daemon/push_role.h"

#include <chrono>
#include <thread>

#include <fmt/format.h>

#include "push/discovery.h"

namespace namae::daemon {

namespace {
// How long a client told to go away at shutdown waits before reconnecting.
constexpr uint32_t kShutdownRetryDelayMs = 5000;

// The service's own lines of /metrics (its connections are the
// namae_tls_* series with transport="push").
std::string render_metrics(const push::PushStats& s) {
  return fmt::format(
      "# HELP namae_push_sessions DNS Push (DSO) sessions open.\n# TYPE namae_push_sessions gauge\n"
      "namae_push_sessions {}\n"
      "# HELP namae_push_subscriptions DNS Push subscriptions held.\n# TYPE namae_push_subscriptions gauge\n"
      "namae_push_subscriptions {}\n"
      "# HELP namae_push_subscribes_total SUBSCRIBEs accepted, and refused over push-max-subscriptions.\n"
      "# TYPE namae_push_subscribes_total counter\n"
      "namae_push_subscribes_total{{result=\"accepted\"}} {}\nnamae_push_subscribes_total{{result=\"refused\"}} {}\n"
      "# HELP namae_push_messages_total PUSH messages sent (one per session each went to).\n"
      "# TYPE namae_push_messages_total counter\n"
      "namae_push_messages_total {}\n",
      s.sessions, s.subscriptions, s.subscribed, s.refused, s.pushes);
}
}  // namespace

Result<std::unique_ptr<PushRole>> PushRole::create(const ServerConfig& cfg, const zone::ZoneSetHolder& holder,
                                                   ZoneManager& zones) {
  if (cfg.push_listen.empty()) return std::unique_ptr<PushRole>();
  // RFC 8765 6.1: DNS Push runs over TLS only.
  if (cfg.tls_cert.empty() || cfg.tls_key.empty()) return fail("[server] push-listen needs tls-cert and tls-key");
  auto ctx = net::TlsContext::load(cfg.tls_cert, cfg.tls_key, "dot");
  if (!ctx) return fail("[server] " + ctx.message());
  auto role = std::unique_ptr<PushRole>(new PushRole());
  role->tls_ = std::move(*ctx);
  role->service_ = std::make_unique<push::PushService>(holder, options(cfg));
  zones.add_observer([s = role->service_.get()](const std::shared_ptr<const zone::ZoneVersion>& v) {
    s->zone_changed(v->origin());
  });
  // RFC 8765 6.1: clients find the server through each zone's SRV record.
  uint16_t port = net::parse_endpoint(cfg.push_listen.front())->port();  // validated by the config
  role->port_ = port;
  zones.set_load_hook([port](std::shared_ptr<const zone::ZoneVersion> v) { return push::with_push_srv(std::move(v), port); });
  return role;
}

Result<void> PushRole::start(const ServerConfig& cfg, net::HandlerFactory auth, net::MetricsRegistry& metrics) {
  net::TcpOptions to;
  for (const auto& t : cfg.push_listen) to.listen.push_back(*net::parse_endpoint(t));  // validated by the config
  to.workers = 1;
  to.idle_timeout = std::chrono::milliseconds(cfg.tcp_idle_timeout_ms);
  to.max_connections = cfg.push_max_connections;
  to.write_watermark = cfg.tcp_write_buffer;
  to.tls = tls_;
  to.push = true;
  net::HandlerFactory factory = [s = service_.get(), auth = std::move(auth)](net::WorkerMetrics* m) {
    return std::make_unique<push::PushHandler>(*s, auth(m));
  };
  tcp_ = std::make_unique<net::TcpServer>(std::move(to), factory, metrics);
  if (auto r = tcp_->start(); !r) return r;
  metrics.add_renderer([s = service_.get()] { return render_metrics(s->stats()); });
  service_->start();
  return {};
}

push::PushOptions PushRole::options(const ServerConfig& cfg) {
  push::PushOptions o;
  o.max_subscriptions = cfg.push_max_subscriptions;
  o.timers = {cfg.push_inactivity_timeout_ms, cfg.push_keepalive_interval_ms};
  return o;
}

void PushRole::stop() {
  if (!tcp_) return;
  service_->shutdown(kShutdownRetryDelayMs);
  // Let the event loop write the Retry Delay messages before it closes.
  for (int i = 0; i < 20 && service_->sessions(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  tcp_->stop();
}

}  // namespace namae::daemon
