// Wiring `[[proxy]]` into namaed: per proxy, an mDNS stack on its
// interface (its own 5353 socket, shared by SO_REUSEPORT, publishing
// nothing) whose cache the proxy's service answers from, and the handler
// that the authoritative engine hands the questions under the proxies'
// domains to once it has parsed and checked them.
#pragma once

#include <functional>
#include <memory>
#include <vector>

#include "base/result.h"
#include "daemon/config.h"
#include "mdns/stack.h"
#include "net/address.h"
#include "net/handler.h"
#include "proxy/service.h"
#include "push/service.h"

namespace namae::daemon {

using RateLimiterSource = std::function<std::shared_ptr<auth::RateLimiter>()>;

class ProxyRole {
 public:
  /// nullptr when no [[proxy]] is configured. Each interface must exist
  /// and take multicast. With `push` (not started yet), subscriptions to
  /// the proxies' names are served too and `push_port` is advertised.
  /// Deferred answers are rate limited by what `rrl` returns at the time
  /// (the listeners' limiter; the engines limit the immediate ones).
  static Result<std::unique_ptr<ProxyRole>> start(const Config& cfg, push::PushService* push = nullptr,
                                                  uint16_t push_port = 0, RateLimiterSource rrl = {});
  ~ProxyRole();
  void stop();

  /// What the listeners' engines hand the proxies' questions to.
  auth::NameHandler* names() const { return names_.get(); }
  const std::vector<proxy::ProxyService*>& services() const { return services_; }
  /// Status lines for `namae ctl status`.
  std::string status() const;

 private:
  struct Proxy;
  class PushSource;
  std::vector<std::unique_ptr<Proxy>> proxies_;
  std::vector<proxy::ProxyService*> services_;
  std::unique_ptr<proxy::ProxyNames> names_;
};

}  // namespace namae::daemon
