// Wiring `[server] push-listen` into namaed: a PushService (src/push) fed by
// every published zone version (ZoneManager's observer, whatever made the
// version: an update, the HTTP API, lease expiry, a reload, a transfer)
// and its own TLS listeners, whose connections carry DSO sessions and,
// for anything else, the authoritative engine's answers.
#pragma once

#include <memory>
#include <vector>

#include "base/result.h"
#include "daemon/config.h"
#include "daemon/zones.h"
#include "net/handler.h"
#include "net/metrics.h"
#include "net/tcp_server.h"
#include "push/service.h"

namespace namae::daemon {

class PushRole {
 public:
  /// nullptr when push-listen is empty. Made before the zones load: it
  /// watches every version they publish from the first one on.
  static Result<std::unique_ptr<PushRole>> create(const ServerConfig& cfg, const zone::ZoneSetHolder& holder,
                                                  ZoneManager& zones);
  /// Bind the TLS listeners; `auth` makes the engine that answers non-DSO messages.
  Result<void> start(const ServerConfig& cfg, net::HandlerFactory auth, net::MetricsRegistry& metrics);
  /// The service's limits and timers: `push-max-subscriptions`,
  /// `push-inactivity-timeout`, `push-keepalive-interval` (all live: a
  /// reconfigure hands them to PushService::set_options).
  static push::PushOptions options(const ServerConfig& cfg);
  /// Retry Delay to every session (RFC 8490 7.2), then close the listeners.
  void stop();
  const std::vector<net::Endpoint>& bound() const { return tcp_->bound(); }
  push::PushService& service() { return *service_; }
  /// The port clients are told of (RFC 8765 6.1): the first push-listen address's.
  uint16_t port() const { return port_; }

 private:
  std::shared_ptr<net::TlsContext> tls_;
  std::unique_ptr<push::PushService> service_;
  std::unique_ptr<net::TcpServer> tcp_;
  uint16_t port_ = 0;
};

}  // namespace namae::daemon
