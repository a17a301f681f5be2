// A client-side TCP connection that carries a stream of DNS messages (RFC
// 1035 4.2.2 framing, RFC 7766): one request out, any number of replies in,
// as a zone transfer (RFC 5936 4.1) needs. Transport::exchange is one
// question, one reply; this is its many-replies sibling.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "base/result.h"
#include "net/address.h"

namespace namae::net {

/// One connected TCP socket, closed with the object.
class StreamConnection {
 public:
  /// Connect to `server` within `timeout`.
  static Result<std::unique_ptr<StreamConnection>> connect(const Endpoint& server,
                                                           std::chrono::milliseconds timeout);
  ~StreamConnection();
  StreamConnection(const StreamConnection&) = delete;
  StreamConnection& operator=(const StreamConnection&) = delete;

  /// Send one message with its length prefix, within `timeout`.
  Result<void> send(std::span<const uint8_t> message, std::chrono::milliseconds timeout);
  /// The next message, waiting at most `timeout` for all of it. A peer that
  /// closes the connection (even mid-message) is an error.
  Result<std::vector<uint8_t>> receive(std::chrono::milliseconds timeout);
  /// The socket (non-blocking), for a byte layer on top (TlsClient).
  int fd() const { return fd_; }

 private:
  explicit StreamConnection(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace namae::net
