#include "http/metrics_server.h"

#include <arpa/inet.h>
#include <httplib.h>

#include <chrono>

#include "net/address.h"

namespace namae::http {

MetricsServer::MetricsServer(net::MetricsRegistry& metrics) : metrics_(metrics) {}

MetricsServer::~MetricsServer() { stop(); }

Result<void> MetricsServer::start(const std::string& listen) { return start(listen, "", ""); }

void MetricsServer::add_routes(std::function<void(httplib::Server&)> install) {
  routes_.push_back(std::move(install));
}

void MetricsServer::add_metrics(std::function<std::string()> render) {
  extra_metrics_.push_back(std::move(render));
}

Result<void> MetricsServer::start(const std::string& listen, const std::string& tls_cert,
                                  const std::string& tls_key) {
  auto ep = net::parse_endpoint(listen);
  if (!ep) return ep.error();
  char host[INET6_ADDRSTRLEN] = "";
  if (ep->family() == AF_INET)
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(&ep->addr)->sin_addr, host,
              sizeof host);
  else
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(&ep->addr)->sin6_addr, host,
              sizeof host);

  tls_ = !tls_cert.empty() && !tls_key.empty();
  if (tls_) {
    auto ssl = std::make_unique<httplib::SSLServer>(tls_cert.c_str(), tls_key.c_str());
    if (!ssl->is_valid())
      return fail("http listen " + listen + ": cannot load TLS certificate " + tls_cert +
                  " and key " + tls_key);
    server_ = std::move(ssl);
  } else {
    server_ = std::make_unique<httplib::Server>();
  }
  // Argon2 verification takes tens of milliseconds: a few threads keep a slow
  // login from holding up /metrics scrapes.
  server_->new_task_queue = [] { return new httplib::ThreadPool(4); };
  server_->set_read_timeout(10, 0);
  server_->set_payload_max_length(64 * 1024);
  server_->Get("/metrics", [this](const httplib::Request&, httplib::Response& res) {
    std::string text = metrics_.render();
    for (const auto& extra : extra_metrics_) text += extra();
    res.set_content(text, "text/plain; version=0.0.4; charset=utf-8");
  });
  server_->Get("/", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("namaed: see /metrics\n", "text/plain");
  });
  for (const auto& install : routes_) install(*server_);
  // SO_REUSEADDR, as the DNS listeners: a restart binds again while the last
  // run's closed HTTP connections sit in TIME_WAIT (cpp-httplib's default
  // sets only SO_REUSEPORT, which fails over them when the user differs).
  server_->set_socket_options([](socket_t sock) {
    int one = 1;
    setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  });
  if (ep->port() == 0) {
    port_ = server_->bind_to_any_port(host);
    if (port_ <= 0) return fail("http listen " + listen + ": cannot bind");
  } else {
    if (!server_->bind_to_port(host, ep->port()))
      return fail("http listen " + listen + ": cannot bind (address in use or not local)");
    port_ = ep->port();
  }
  thread_ = std::thread([this] { server_->listen_after_bind(); });
  // cpp-httplib 0.11's stop() does nothing until the listening thread has
  // marked the server running, so a stop() that came first would leave join()
  // waiting forever. Wait for that mark (it is set before the accept loop).
  for (int i = 0; i < 5000 && !server_->is_running(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return {};
}

void MetricsServer::stop() {
  if (!server_) return;
  server_->stop();
  if (thread_.joinable()) thread_.join();
  server_.reset();
}

}  // namespace namae::http
