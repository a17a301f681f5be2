// Client transport: send one DNS query to one server and wait for its reply,
// over UDP (with retries) or TCP (RFC 1035 4.2.2 length framing).
//
// Blocking on purpose: `namae query`, `namae update` and the stub resolver ask
// one question at a time. The interface is the abstract Transport so that
// resolver tests can replace the network with a scripted one (after Unbound's
// replay tests; docs/ARCHITECTURE.md "Design choices"); SocketTransport is the
// real thing.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "net/address.h"

namespace namae::net {

/// Which transport carries the exchange.
enum class ClientProtocol : uint8_t { udp, tcp, tls };

class DotClient;

/// "UDP" / "TCP" / "TLS", as dig prints in its SERVER line.
const char* client_protocol_text(ClientProtocol p);

/// Why an exchange produced no reply. Callers map these to exit codes and
/// messages (dig: exit 9 for timeout/refused).
enum class ExchangeError : uint8_t {
  none = 0,
  timeout,      // no matching reply within the timeout on every try
  refused,      // ICMP port unreachable (UDP) or RST (TCP)
  unreachable,  // no route, network/host unreachable
  io,           // any other socket error (text in Exchange::message)
  bad_reply,    // TCP framing broken, or the reply's ID differs (TCP has no other traffic)
  tls,          // TLS handshake failed: the certificate did not verify, or no common protocol
};

/// Text for an ExchangeError ("timed out", "connection refused", ...).
const char* exchange_error_text(ExchangeError e);

/// How to carry out one exchange.
struct ExchangeOptions {
  ClientProtocol protocol = ClientProtocol::udp;
  /// Per try: for UDP the wait for a reply after each send, for TCP the
  /// connect and then the whole exchange.
  std::chrono::milliseconds timeout{5000};
  /// Attempts in total (at least 1). UDP resends the same query from the same
  /// socket; TCP reconnects.
  int tries = 3;
  /// Called before each retry with what went wrong with the previous try
  /// (dig prints ";; communications error to ...: timed out").
  std::function<void(ExchangeError, const std::string&)> on_retry;
  /// Source address (and port, 0 for any) to bind before connecting, for
  /// servers whose ACLs name the client's address (nsupdate's `local`).
  /// Unset: the kernel chooses.
  std::optional<Endpoint> local;
  /// ClientProtocol::tls: the client whose connections carry the query, and
  /// the name the server's certificate must carry (RFC 8310).
  DotClient* dot = nullptr;
  std::string tls_name;
};

/// Outcome of one exchange. On success `response` holds the reply exactly
/// as received (the caller parses it; a malformed reply is still a reply).
struct Exchange {
  ExchangeError error = ExchangeError::none;
  std::string message;  // human text for the error, including the server
  std::vector<uint8_t> response;
  std::chrono::microseconds rtt{0};  // from the last send to the reply
  ClientProtocol protocol = ClientProtocol::udp;
  int attempts = 0;

  bool ok() const { return error == ExchangeError::none; }
};

/// One query, one server, one reply. Implementations must match replies to the
/// query (ID and, for UDP, the server's address and port) and ignore
/// unrelated datagrams.
class Transport {
 public:
  virtual ~Transport() = default;
  virtual Exchange exchange(const Endpoint& server, std::span<const uint8_t> query,
                            const ExchangeOptions& options) = 0;
};

/// The real network: a fresh socket per exchange (so the kernel picks a
/// random source port each time, RFC 5452 9.2), IPv4 or IPv6 by the server's family.
class SocketTransport final : public Transport {
 public:
  Exchange exchange(const Endpoint& server, std::span<const uint8_t> query,
                    const ExchangeOptions& options) override;
};

/// Endpoint for a numeric address (IPv4 or IPv6, IPv6 may carry %scope) and port.
Result<Endpoint> make_endpoint(std::string_view address, uint16_t port);

/// Addresses for a server given by address or host name (getaddrinfo), in the
/// resolver's order. `family` is AF_UNSPEC, AF_INET or AF_INET6 (dig's -4/-6).
Result<std::vector<Endpoint>> resolve_server(std::string_view host, uint16_t port,
                                             int family);

/// The address alone ("127.0.0.1", "::1"), without port or brackets.
std::string endpoint_address(const Endpoint& ep);

/// The nameservers listed in a resolv.conf-format file, in order; empty if the
/// file is missing or lists none.
std::vector<std::string> resolv_conf_nameservers(const std::string& path = "/etc/resolv.conf");

}  // namespace namae::net
