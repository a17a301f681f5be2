// DNS over TLS, client side (RFC 7858), for forwarding upstream: the
// strict usage profile of RFC 8310 5.1 (the server's certificate must chain
// to a trusted CA and name the configured authentication domain name, or no
// query is sent), connections kept open and reused by every thread
// (RFC 7858 3.4), queries pipelined on them with replies matched by ID
// (RFC 7766 6.2.1.1), so a busy forwarder costs one handshake, not one per
// question. A server's session (RFC 8446 2.2 ticket, or a TLS 1.2 session)
// is kept per server and name and offered when the connection is reopened
// (RFC 7858 3.4), so a reconnect costs one round trip and no certificate
// check; a ticket is offered once (RFC 8446 C.4), the server sends new ones.
// A connection no query used for the idle timeout is closed (RFC 7766
// 6.2.3: clients close idle connections), as Unbound's tcp-reuse-timeout.
//
// Blocking like Transport::exchange: a caller sends its query and waits for
// its own reply. The waiter whose turn it is reads the connection for all
// of them (leader/followers), so no thread is kept per connection.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>

#include "base/result.h"
#include "net/address.h"
#include "net/client.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;
typedef struct ssl_session_st SSL_SESSION;

namespace namae::net {

class DotConnection;

class DotClient {
 public:
  /// Trust the PEM CA certificates in `ca_file`, or the system's store
  /// (OpenSSL's default paths) when it is empty. A connection idle for
  /// `idle_timeout` is closed.
  static Result<std::shared_ptr<DotClient>> create(const std::string& ca_file,
                                                   std::chrono::milliseconds idle_timeout = kDefaultIdleTimeout);
  static constexpr std::chrono::milliseconds kDefaultIdleTimeout{60000};  // Unbound's tcp-reuse-timeout
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
  /// Of those, the ones whose handshake resumed a kept session.
  uint64_t connections_resumed() const;
  /// Connections closed for being idle.
  uint64_t connections_idle_closed() const;
  /// Connections open now.
  size_t connections_open() const;

 private:
  friend class DotConnection;
  DotClient() = default;
  void forget(const std::string& key, const DotConnection* conn);
  // exchange() once, or twice when a kept connection turns out closed.
  Exchange exchange_once_more(const Endpoint& server, const std::string& tls_name, std::span<const uint8_t> query,
                              std::chrono::milliseconds timeout);
  // The session kept for `key` (taken: a ticket is offered once), or null.
  SSL_SESSION* take_session(const std::string& key);
  void keep_session(const std::string& key, SSL_SESSION* session);
  static int on_new_session(SSL* ssl, SSL_SESSION* session);
  void reap_idle();
  std::chrono::steady_clock::time_point close_idle();

  SSL_CTX* ctx_ = nullptr;
  std::chrono::milliseconds idle_timeout_ = kDefaultIdleTimeout;
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<DotConnection>> open_;  // by server and name
  uint64_t opened_ = 0, resumed_ = 0, idle_closed_ = 0;
  std::mutex sessions_mu_;
  std::map<std::string, SSL_SESSION*> sessions_;  // by server and name
  std::mutex reaper_mu_;
  std::condition_variable reaper_cv_;
  bool stopping_ = false;
  std::thread reaper_;
};

}  // namespace namae::net
