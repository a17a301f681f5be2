// namaed's HTTP listener: /metrics (Prometheus text exposition), plus any
// routes other parts register before it starts (the DynDNS2 and REST
// endpoints of update_api.h share it). Plain HTTP or TLS (cpp-httplib's
// SSLServer over OpenSSL) with a configured certificate and key.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

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
  /// Same, over TLS with the PEM certificate (chain) and key at these paths
  /// when both are non-empty.
  Result<void> start(const std::string& listen, const std::string& tls_cert,
                     const std::string& tls_key);
  /// Register more routes; called with the server just before it listens.
  void add_routes(std::function<void(httplib::Server&)> install);
  /// Append more Prometheus text to /metrics (other parts' own counters,
  /// e.g. the update API's); call before start().
  void add_metrics(std::function<std::string()> render);
  /// True when serving over TLS.
  bool tls() const { return tls_; }
  void stop();
  /// The port actually bound (for listen ports of 0).
  int port() const { return port_; }

 private:
  net::MetricsRegistry& metrics_;
  std::unique_ptr<httplib::Server> server_;
  std::thread thread_;
  std::vector<std::function<void(httplib::Server&)>> routes_;
  std::vector<std::function<std::string()>> extra_metrics_;
  int port_ = 0;
  bool tls_ = false;
};

}  // namespace namae::http
