// The HTTP listener's /metrics endpoint (Prometheus text exposition). The
// DynDNS2 and REST endpoints of the http module will share this listener.
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "base/result.h"
#include "net/metrics.h"

namespace httplib {
class Server;
}

namespace namae::http {

/// Serves GET /metrics from a MetricsRegistry on its own thread(s).
class MetricsServer {
 public:
  explicit MetricsServer(net::MetricsRegistry& metrics);
  ~MetricsServer();

  /// Bind `listen` ("127.0.0.1:8053", "[::1]:8053") and start serving.
  Result<void> start(const std::string& listen);
  void stop();
  /// The port actually bound (for listen ports of 0).
  int port() const { return port_; }

 private:
  net::MetricsRegistry& metrics_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  int port_ = 0;
};

}  // namespace namae::http
