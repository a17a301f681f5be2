// The client side of DNS over TLS-style connections (RFC 7858 framing over
// TLS 1.2+), as a DNS Push client needs: one long-lived connection that
// sends requests and receives messages whenever the server sends them
// (RFC 8765 over RFC 8490). The certificate is verified against `ca_file`
// (or the system's store) for `name` (or, without one, the server's IP
// address).
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "base/result.h"
#include "net/address.h"
#include "net/stream_client.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace namae::net {

struct TlsClientOptions {
  std::string name;     // the name the certificate must carry (empty: the address)
  std::string ca_file;  // PEM trust anchors (empty: the system's)
  std::string alpn = "dot";
};

class TlsClient {
 public:
  /// Connect, handshake and verify within `timeout`.
  static Result<std::unique_ptr<TlsClient>> connect(const Endpoint& server, const TlsClientOptions& options,
                                                    std::chrono::milliseconds timeout);
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  /// Send one message with its length prefix.
  Result<void> send(std::span<const uint8_t> message, std::chrono::milliseconds timeout);
  /// The next message; nullopt when none arrived within `timeout` (a
  /// message already begun is waited for in full). The server closing the
  /// connection is an error.
  Result<std::optional<std::vector<uint8_t>>> receive(std::chrono::milliseconds timeout);

 private:
  TlsClient() = default;
  Result<void> handshake(const Endpoint& server, const TlsClientOptions& options, std::chrono::milliseconds timeout);
  // Decrypted bytes into in_; false on timeout, error on failure.
  Result<bool> fill(std::chrono::steady_clock::time_point deadline);
  std::unique_ptr<StreamConnection> tcp_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::vector<uint8_t> in_;
};

}  // namespace namae::net
