// The seam between transports and DNS roles: net/ moves datagrams and TCP
// frames, a QueryHandler turns one query into one response. net/ knows nothing
// else of DNS; roles (auth, resolver) know nothing of sockets.
//
// Most answers are written synchronously into the transport's buffer. A
// handler whose answer must wait for something slow (a dynamic update waits
// for its journal fsync) takes a ReplyChannel from the Peer, returns
// kDeferred, and sends the answer later from any thread, so the worker that
// received the request goes on serving queries meanwhile.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <sys/socket.h>

namespace namae::net {

class ReplyChannel;
class ReplySink;

/// Where a query came from and how.
struct Peer {
  sockaddr_storage addr{};
  socklen_t addr_len = 0;
  bool tcp = false;
  /// Local address the query arrived on (for multi-homed replies), if known.
  sockaddr_storage local{};
  socklen_t local_len = 0;
  /// The transport's route for deferred replies (nullptr: it has none, e.g. a
  /// direct call from a test or tool) and the connection it belongs to (TCP:
  /// connection generation and descriptor; UDP: unused).
  ReplySink* sink = nullptr;
  uint64_t conn = 0;
  /// DNS over HTTPS: the HTTP/2 stream the query came on (0 otherwise).
  int32_t stream = 0;
  /// Which configured listener received it: the transport's `first_listener`
  /// plus the index of its listen address (0: a transport that tags none).
  /// Roles key per-listener settings (an access list) on it.
  uint32_t listener = 0;

  /// True if a handler may answer this query later through channel().
  bool can_defer() const { return sink != nullptr; }
  /// A channel that delivers a later answer to this peer (invalid, and
  /// dropping everything, when !can_defer()).
  ReplyChannel channel() const;
};

/// Transport side of deferred replies: one per UDP socket or TCP event loop,
/// shared (by shared_ptr) with every channel it hands out, so a channel that
/// outlives the server finds a closed sink and drops its reply.
class ReplySink : public std::enable_shared_from_this<ReplySink> {
 public:
  virtual ~ReplySink() = default;
  /// Send `response` (one complete DNS message, unframed) to `to`. Callable
  /// from any thread. False if it was dropped (server stopping, connection
  /// gone, socket error).
  virtual bool send(const Peer& to, std::span<const uint8_t> response) = 0;

  /// What a long-lived session (DNS Stateful Operations, RFC 8490) asks of
  /// its connection, in order with the messages sent before it: a message
  /// that answers no request (a PUSH), keeping the connection open past the
  /// transport's idle timeout (the session's own timers govern it then), and
  /// closing it once what was queued before is written. Stream transports
  /// only; the default (UDP) drops them.
  enum class Control : uint8_t { unsolicited, hold, close };
  virtual bool control(const Peer& to, Control what, std::span<const uint8_t> message) {
    (void)to, (void)what, (void)message;
    return false;
  }
};

/// A deferred reply's destination: the peer (addresses, connection) plus the
/// transport's sink. Copyable and movable; copies refer to the same peer. The
/// handler that returned kDeferred must eventually send() exactly one answer
/// through one copy (or drop them all, which answers nothing).
class ReplyChannel {
 public:
  ReplyChannel() = default;
  ReplyChannel(std::shared_ptr<ReplySink> sink, const Peer& peer) : sink_(std::move(sink)), peer_(peer) {
    peer_.sink = nullptr;  // the copy must not hand out further channels
  }

  bool valid() const { return sink_ != nullptr; }
  /// The peer this channel answers (addresses, transport).
  const Peer& peer() const { return peer_; }
  /// Send one complete DNS message (at most 65535 octets; for UDP the caller
  /// has applied the requester's EDNS payload size, as in handle()).
  /// Thread-safe; false if the reply was dropped.
  bool send(std::span<const uint8_t> response) const {
    if (!sink_ || response.empty() || response.size() > 65535) return false;
    return sink_->send(peer_, response);
  }
  /// A message that answers no request (may be sent any number of times).
  bool push(std::span<const uint8_t> message) const {
    if (!sink_ || message.empty() || message.size() > 65535) return false;
    return sink_->control(peer_, ReplySink::Control::unsolicited, message);
  }
  /// Exempt the connection from the transport's idle timeout.
  bool hold() const { return sink_ && sink_->control(peer_, ReplySink::Control::hold, {}); }
  /// Close the connection once everything queued before is written.
  bool close() const { return sink_ && sink_->control(peer_, ReplySink::Control::close, {}); }

 private:
  std::shared_ptr<ReplySink> sink_;
  Peer peer_;
};

inline ReplyChannel Peer::channel() const {
  if (!sink) return {};
  return ReplyChannel(sink->shared_from_this(), *this);
}

/// Returned by QueryHandler::handle (and by roles' request handlers) to say
/// "I took the query; its answer comes later through peer.channel()". The
/// transport then sends nothing now and does not count the query as dropped.
inline constexpr size_t kDeferred = ~size_t{0};

/// A response of several messages (a zone transfer, RFC 5936 2.2), pulled
/// one message at a time by the TCP transport only while the connection's
/// unsent bytes are under its write watermark, so a zone of any size is never
/// buffered whole. Owned by the connection and dropped when it closes.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  /// Write the next complete message (unframed) into `out` (65535 octets)
  /// and return its length; 0 when the stream has ended (nothing written).
  virtual size_t next(std::span<uint8_t> out) = 0;
};

/// Returned by QueryHandler::handle to say "my answer is a stream": the
/// transport then calls take_stream() at once, on the same thread, and sends
/// its messages before answering any later query of the connection. TCP only;
/// a UDP transport treats it as a dropped query.
inline constexpr size_t kStream = ~size_t{0} - 1;

/// Answers queries. One instance per worker thread, so implementations need
/// no locking for their own scratch state; handle() must not block.
class QueryHandler {
 public:
  virtual ~QueryHandler() = default;

  /// Called by a UDP worker before and after each receive batch: a reader of
  /// shared snapshots takes its snapshot in begin_batch and reports a
  /// quiescent state in end_batch (quiescent states, no per-query refcounts: docs/ARCHITECTURE.md "Design choices").
  virtual void begin_batch() {}
  virtual void end_batch() {}

  /// Write the response to `query` into `response` (its size is the largest
  /// message the transport can carry: 65535 for TCP, the UDP buffer for UDP;
  /// the handler applies EDNS payload limits itself). Returns the response
  /// length, 0 to send nothing (e.g. the "query" was itself a response), or
  /// kDeferred after taking peer.channel() to answer later, or (TCP only)
  /// kStream when the answer is take_stream()'s messages.
  virtual size_t handle(std::span<const uint8_t> query, std::span<uint8_t> response,
                        const Peer& peer) = 0;
  /// The stream the last handle() call announced with kStream (nullptr if none).
  virtual std::unique_ptr<ResponseStream> take_stream() { return nullptr; }
  /// A stream transport closed the connection of `peer` (peer.conn), for
  /// handlers that keep state per connection. Called on the handler's thread.
  virtual void closed(const Peer& peer) { (void)peer; }
};

}  // namespace namae::net
