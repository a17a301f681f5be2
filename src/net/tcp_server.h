// TCP transport per RFC 7766: 2-octet length framing, pipelined queries
// answered in order, an idle timeout, a connection limit, and per-connection
// buffers on non-blocking sockets so a slow or half-open client costs only its
// own connection slot. Raw epoll, one event loop per TCP worker thread.
// A multi-message answer (kStream, handler.h: a zone transfer) stays on its
// connection and is pulled one message at a time while the connection's
// unsent bytes are under write_watermark; the connection's later queries wait
// for it to end.
//
// A long-lived session (DNS Stateful Operations, RFC 8490) talks to its
// connection through the ReplySink controls (handler.h): messages sent
// unasked, a hold that takes the connection out of the idle timeout (the
// session's own keepalive rules it then), and a close after what is queued.
// Unasked messages are not paced by the client's requests, so a client that
// stops reading is closed once its unsent bytes pass max_unsent.
//
// TLS (DNS over TLS, RFC 7858; the HTTPS of RFC 8484) is a byte layer under
// the same framing: with `tls` set, every read and write goes through a
// TlsStream, the handshake counts against the idle timeout (a client that
// connects and never finishes it is closed like an idle one), and decrypted
// bytes that OpenSSL holds back (epoll cannot see them) bring the connection
// back on the next loop turn. With `doh` set the framing is HTTP/2 instead of
// RFC 7766 length prefixes (net/doh_session.h), with the same limits.
//
// Why epoll and not Asio: the loop needs exactly four things (accept, read,
// write-with-backpressure, one timeout per connection ordered by last
// activity), each connection is a few fields and two buffers, and every limit
// is explicit. Asio would add an allocation-heavy handler per operation and,
// on clang 14, coroutine configuration workarounds, without removing any of
// that bookkeeping.
#pragma once

#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "base/result.h"
#include "net/address.h"
#include "net/metrics.h"
#include "net/tls.h"

namespace namae::net {

/// Tunables for TcpServer (config keys in docs/config.md).
struct TcpOptions {
  std::vector<Endpoint> listen;
  unsigned workers = 1;                      // event-loop threads, each with its own listeners
  std::chrono::milliseconds idle_timeout{10000};  // RFC 7766 6.2.3: no query and no progress
  size_t max_connections = 1024;             // over all workers
  size_t write_watermark = 64 * 1024;        // stop reading a client whose unsent answers exceed this
  size_t max_unsent = 1 << 20;               // close a client whose unsent bytes (pushes included) pass this
  int backlog = 1024;
  std::shared_ptr<TlsContext> tls;  // set: DNS over TLS (RFC 7858) or, with doh, HTTPS
  bool doh = false;                 // HTTP/2 framing (RFC 8484) instead of RFC 7766
  bool push = false;                // with tls: DNS Push (DSO), counted apart from DoT
  size_t max_streams = 100;         // DoH: concurrent HTTP/2 streams per connection
  uint32_t first_listener = 0;      // nonzero: Peer::listener = this + listen index
};

/// Runs the TCP workers. start() binds and listens on every address before any
/// thread runs.
class TcpServer {
 public:
  TcpServer(TcpOptions options, HandlerFactory factory, MetricsRegistry& metrics);
  ~TcpServer();
  TcpServer(const TcpServer&) = delete;
  TcpServer& operator=(const TcpServer&) = delete;

  /// Bind, listen and start the event loops.
  Result<void> start();
  /// Close every connection and join the threads (idempotent).
  void stop();

  /// The addresses actually bound (port 0 resolved).
  const std::vector<Endpoint>& bound() const { return bound_; }

 private:
  struct Loop;
  class Inbox;
  TcpOptions options_;
  HandlerFactory factory_;
  MetricsRegistry& metrics_;
  std::vector<Endpoint> bound_;
  std::vector<std::unique_ptr<Loop>> loops_;
};

}  // namespace namae::net
