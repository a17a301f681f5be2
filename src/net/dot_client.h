// DNS over TLS, client side (RFC 7858), for forwarding upstream: the
// strict usage profile of RFC 8310 5.1 (the server's certificate must chain
// to a trusted CA and name the configured authentication domain name, or no
// query is sent), connections kept open and reused by every thread
// (RFC 7858 3.4), queries pipelined on them with replies matched by ID
// (RFC 7766 6.2.1.1), so a busy forwarder costs one handshake, not one per
// question.
//
// Blocking like Transport::exchange: a caller sends its query and waits for
// its own reply. The waiter whose turn it is reads the connection for all
// of them (leader/followers), so no thread is kept per connection.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>

#include "base/result.h"
#include "net/address.h"
#include "net/client.h"

typedef struct ssl_ctx_st SSL_CTX;

namespace namae::net {

class DotConnection;

class DotClient {
 public:
  /// Trust the PEM CA certificates in `ca_file`, or the system's store
  /// (OpenSSL's default paths) when it is empty.
  static Result<std::shared_ptr<DotClient>> create(const std::string& ca_file);
  ~DotClient();
  DotClient(const DotClient&) = delete;
  DotClient& operator=(const DotClient&) = delete;

  /// One query to `server`, whose certificate must be valid for `tls_name`,
  /// within `timeout` (connect and handshake included when no connection is
  /// open). A certificate that fails verification is ExchangeError::tls.
  Exchange exchange(const Endpoint& server, const std::string& tls_name, std::span<const uint8_t> query,
                    std::chrono::milliseconds timeout);

  /// Connections opened so far (handshakes done), for tests of reuse.
  uint64_t connections_opened() const;

 private:
  DotClient() = default;
  void forget(const std::string& key, const DotConnection* conn);

  SSL_CTX* ctx_ = nullptr;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<DotConnection>> open_;  // by server and name
  uint64_t opened_ = 0;
};

}  // namespace namae::net
