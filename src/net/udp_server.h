// UDP transport: N worker threads, each with its own SO_REUSEPORT socket on
// every listen address, moving datagrams in recvmmsg/sendmmsg batches through
// preallocated buffers (no allocation per query). The kernel spreads flows
// across the workers' sockets, so workers share nothing on the packet path.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "base/result.h"
#include "net/address.h"
#include "net/fiber.h"
#include "net/metrics.h"

namespace namae::net {

/// Tunables for UdpServer (config keys in docs/config.md).
struct UdpOptions {
  std::vector<Endpoint> listen;
  unsigned workers = 0;               // 0: one per core
  size_t batch = 64;                  // datagrams per recvmmsg/sendmmsg
  int receive_buffer = 8 << 20;       // SO_RCVBUF request (the kernel caps it at rmem_max)
  int send_buffer = 4 << 20;          // SO_SNDBUF request
  uint32_t first_listener = 0;        // nonzero: Peer::listener = this + listen index
  /// Each worker runs a FiberLoop (net/fiber.h) with these options instead
  /// of a plain poll loop, so its handler can resolve deferred queries as
  /// fibers on the worker's own thread (FiberLoop::on_this_thread()).
  std::optional<FiberLoop::Options> fibers;
};

/// Runs the UDP workers. start() binds every socket before any thread runs, so
/// bind errors are reported (and readiness announced) only once all are ready.
class UdpServer {
 public:
  UdpServer(UdpOptions options, HandlerFactory factory, MetricsRegistry& metrics);
  ~UdpServer();
  UdpServer(const UdpServer&) = delete;
  UdpServer& operator=(const UdpServer&) = delete;

  /// Bind all sockets and start the workers.
  Result<void> start();
  /// Stop and join the workers (idempotent).
  void stop();

  /// The addresses actually bound, in listen order (port 0 resolved).
  const std::vector<Endpoint>& bound() const { return bound_; }
  unsigned workers() const { return static_cast<unsigned>(workers_.size()); }

 private:
  struct Worker;
  class Sink;
  void run(Worker& w);
  void run_fibers(Worker& w);
  void drain(Worker& w, size_t socket);
  int receive_batch(Worker& w, int fd);
  bool answer(Worker& w, size_t socket, size_t i, size_t nout);

  UdpOptions options_;
  HandlerFactory factory_;
  MetricsRegistry& metrics_;
  std::vector<Endpoint> bound_;
  std::vector<std::unique_ptr<Worker>> workers_;
  int stop_fd_ = -1;  // eventfd: readable once stop() is called
};

/// Open a UDP socket bound to `ep` with SO_REUSEPORT, packet-info ancillary
/// data enabled, IPV6_V6ONLY on IPv6, and the given buffer sizes. Exposed for tests.
Result<int> open_udp_socket(const Endpoint& ep, int rcvbuf, int sndbuf);

/// True if `ep` is a wildcard address (0.0.0.0 or ::), where replies must name
/// the local address explicitly so they leave from the address that was asked.
bool is_wildcard(const Endpoint& ep);

}  // namespace namae::net
