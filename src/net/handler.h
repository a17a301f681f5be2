// The seam between transports and DNS roles: net/ moves datagrams and TCP
// frames, a QueryHandler turns one query into one response. net/ knows nothing
// else of DNS; roles (auth, resolver) know nothing of sockets.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <sys/socket.h>

namespace namae::net {

/// Where a query came from and how.
struct Peer {
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  bool tcp = false;
  /// Local address the query arrived on (for multi-homed replies), if known.
  sockaddr_storage local{};
  socklen_t local_len = 0;
};

/// Answers queries. One instance per worker thread, so implementations need
/// no locking for their own scratch state; handle() must not block.
class QueryHandler {
 public:
  virtual ~QueryHandler() = default;

  /// Called by a UDP worker before and after each receive batch: a reader of
  /// shared snapshots takes its snapshot in begin_batch and reports a
  /// quiescent state in end_batch (DESIGN.md: QSBR, no per-query refcounts).
  virtual void begin_batch() {}
  virtual void end_batch() {}

  /// Write the response to `query` into `response` (its size is the largest
  /// message the transport can carry: 65535 for TCP, the UDP buffer for UDP;
  /// the handler applies EDNS payload limits itself). Returns the response
  /// length, or 0 to send nothing (e.g. the "query" was itself a response).
  virtual size_t handle(std::span<const uint8_t> query, std::span<uint8_t> response,
                        const Peer& peer) = 0;
};

}  // namespace namae::net
