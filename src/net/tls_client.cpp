#include "net/tls_client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <arpa/inet.h>
#include <poll.h>

#include <cerrno>
#include <cstring>

#include "net/tls.h"
#include "net/wait.h"

namespace namae::net {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::string tls_error() { return openssl_error_text("TLS connection failed"); }

// The address alone, for verifying a certificate's IP address SAN.
std::string ip_text(const Endpoint& ep) {
  char buf[INET6_ADDRSTRLEN] = "";
  const void* a = ep.family() == AF_INET6 ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(&ep.addr)->sin6_addr)
                                          : static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(&ep.addr)->sin_addr);
  inet_ntop(ep.family(), a, buf, sizeof buf);
  return buf;
}

}  // namespace

Result<std::unique_ptr<TlsClient>> TlsClient::connect(const Endpoint& server, const TlsClientOptions& options,
                                                      std::chrono::milliseconds timeout) {
  std::unique_ptr<TlsClient> c(new TlsClient());
  auto tcp = StreamConnection::connect(server, timeout);
  if (!tcp) return tcp.error();
  c->tcp_ = std::move(*tcp);
  if (auto r = c->handshake(server, options, timeout); !r) return r.error();
  return c;
}

Result<void> TlsClient::handshake(const Endpoint& server, const TlsClientOptions& o, std::chrono::milliseconds timeout) {
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (!ctx_) return fail(tls_error());
  SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
  SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  int loaded = o.ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx_)
                                 : SSL_CTX_load_verify_locations(ctx_, o.ca_file.c_str(), nullptr);
  if (loaded != 1) return fail("CA file " + o.ca_file + ": " + tls_error());
  ssl_ = SSL_new(ctx_);
  if (!ssl_ || SSL_set_fd(ssl_, tcp_->fd()) != 1) return fail(tls_error());
  std::string alpn(1, static_cast<char>(o.alpn.size()));
  alpn += o.alpn;
  SSL_set_alpn_protos(ssl_, reinterpret_cast<const unsigned char*>(alpn.data()), static_cast<unsigned>(alpn.size()));
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl_);
  if (!o.name.empty()) {
    SSL_set_tlsext_host_name(ssl_, o.name.c_str());
    X509_VERIFY_PARAM_set1_host(param, o.name.c_str(), 0);
  } else {
    X509_VERIFY_PARAM_set1_ip_asc(param, ip_text(server).c_str());
  }
  auto deadline = SteadyClock::now() + timeout;
  for (;;) {
    int r = SSL_connect(ssl_);
    if (r == 1) return {};
    int e = SSL_get_error(ssl_, r);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) {
      long v = SSL_get_verify_result(ssl_);
      if (v != X509_V_OK) return fail(server.to_string() + ": certificate: " + X509_verify_cert_error_string(v));
      return fail(server.to_string() + ": " + tls_error());
    }
    if (!wait_for_ssl(tcp_->fd(), e, deadline)) return fail(server.to_string() + ": TLS handshake timed out");
  }
}

TlsClient::~TlsClient() {
  if (ssl_) {
    SSL_shutdown(ssl_);
    SSL_free(ssl_);
  }
  if (ctx_) SSL_CTX_free(ctx_);
}

Result<void> TlsClient::send(std::span<const uint8_t> message, std::chrono::milliseconds timeout) {
  if (message.size() > 65535) return fail("message too long");
  std::vector<uint8_t> framed{static_cast<uint8_t>(message.size() >> 8), static_cast<uint8_t>(message.size())};
  framed.insert(framed.end(), message.begin(), message.end());
  auto deadline = SteadyClock::now() + timeout;
  size_t off = 0;
  while (off < framed.size()) {
    int n = SSL_write(ssl_, framed.data() + off, static_cast<int>(framed.size() - off));
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    int e = SSL_get_error(ssl_, n);
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) return fail("send: " + tls_error());
    if (!wait_for_ssl(tcp_->fd(), e, deadline)) return fail("send timed out");
  }
  return {};
}

Result<bool> TlsClient::fill(SteadyClock::time_point deadline) {
  uint8_t buf[16384];
  for (;;) {
    int n = SSL_read(ssl_, buf, sizeof buf);
    if (n > 0) {
      in_.insert(in_.end(), buf, buf + n);
      return true;
    }
    int e = SSL_get_error(ssl_, n);
    if (e == SSL_ERROR_ZERO_RETURN || (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0))
      return fail("the server closed the connection");
    if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE) return fail("receive: " + tls_error());
    if (!wait_for_ssl(tcp_->fd(), e, deadline)) return false;
  }
}

Result<std::optional<std::vector<uint8_t>>> TlsClient::receive(std::chrono::milliseconds timeout) {
  auto deadline = SteadyClock::now() + timeout;
  for (;;) {
    if (in_.size() >= 2) {
      size_t len = size_t{in_[0]} << 8 | in_[1];
      if (in_.size() >= 2 + len) {
        std::vector<uint8_t> msg(in_.begin() + 2, in_.begin() + 2 + static_cast<ptrdiff_t>(len));
        in_.erase(in_.begin(), in_.begin() + 2 + static_cast<ptrdiff_t>(len));
        return std::optional<std::vector<uint8_t>>(std::move(msg));
      }
      // Part of a message is here: wait for the rest however long it takes the timeout.
    }
    auto got = fill(deadline);
    if (!got) return got.error();
    if (!*got) return std::optional<std::vector<uint8_t>>();
  }
}

}  // namespace namae::net
