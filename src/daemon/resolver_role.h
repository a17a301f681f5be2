// Wiring the [resolver] table into namaed: a ResolverService on its own UDP
// and TCP listeners (never the authoritative ones) and optional DNS over TLS
// and DNS over HTTPS listeners, the recursion ACL from `allow`, root hints
// from `root-hints` or the built-in copy, stub and forward domains, and
// (`local-zones`) the zones served here answered by the authoritative engine
// from the published snapshot.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/engine.h"
#include "base/result.h"
#include "daemon/config.h"
#include "net/client.h"
#include "net/metrics.h"
#include "net/tcp_server.h"
#include "net/udp_server.h"
#include "resolver/local_authority.h"
#include "resolver/service.h"
#include "zone/zone_set.h"

namespace namae::daemon {

/// The running resolver role: service plus its listeners.
class ResolverRole {
 public:
  /// Build from the config (hints loaded, ACL parsed); nothing is bound yet.
  /// The stream listeners (TCP, DoT, DoH) take `server`'s TCP limits.
  /// `zones` (which must outlive the role) and `auth` are the authoritative
  /// side's snapshot holder and options, for `local-zones`.
  static Result<std::unique_ptr<ResolverRole>> create(const ResolverConfig& cfg, const ServerConfig& server,
                                                      net::MetricsRegistry& metrics,
                                                      const zone::ZoneSetHolder& zones,
                                                      const auth::AuthOptions& auth);
  ~ResolverRole();

  /// Start the resolution threads and bind the listeners.
  Result<void> start();
  void stop();

  /// The addresses bound (for logs and `status`).
  const std::vector<net::Endpoint>& bound() const { return udp_->bound(); }
  /// The authoritative side's options after a reconfiguration (`local-zones`
  /// answers as the authoritative listeners do).
  void set_auth_options(const auth::AuthOptions& auth) {
    if (set_local_options_) set_local_options_(auth);
  }
  /// Who may recurse from now on ([resolver] allow, live reconfiguration).
  void set_allowed(std::optional<net::AddressAcl> allowed) { service_->set_allowed(std::move(allowed)); }
  /// `cache ...` and `nta ...` control commands.
  std::string control(std::string_view command) { return service_->control(command); }

 private:
  ResolverRole() = default;
  net::SocketTransport transport_;
  SystemClock clock_;
  std::unique_ptr<resolver::LocalAuthority> local_;
  std::function<void(const auth::AuthOptions&)> set_local_options_;
  std::unique_ptr<resolver::ResolverService> service_;
  std::unique_ptr<net::UdpServer> udp_;
  std::unique_ptr<net::TcpServer> tcp_;
  std::unique_ptr<net::TcpServer> dot_;  // DNS over TLS (RFC 7858), if configured
  std::unique_ptr<net::TcpServer> doh_;  // DNS over HTTPS (RFC 8484), if configured
};

}  // namespace namae::daemon
