// One DNS over HTTPS connection's HTTP/2 (RFC 8484 over RFC 9113), server
// side, with nghttp2 doing the framing, HPACK and flow control. Bytes in
// (already decrypted), requests out: each stream's request, once complete,
// is checked by doh::parse_request and either refused with its HTTP status
// or handed to the caller as a DNS query; the caller answers it now or later
// (a deferred resolver answer) by stream id. Bytes to send are appended to
// the caller's buffer, so the TCP server's write watermark and idle timeout
// apply unchanged. No socket, no DNS semantics beyond doh_request.h.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace namae::net {

class DohSession {
 public:
  /// A complete request that parsed as a DNS query.
  struct Query {
    int32_t stream = 0;
    std::vector<uint8_t> message;
  };

  /// `max_streams`: SETTINGS_MAX_CONCURRENT_STREAMS (RFC 9113 6.5.2); a
  /// client opening more gets RST_STREAM(REFUSED_STREAM). nullptr if nghttp2
  /// cannot allocate.
  static std::unique_ptr<DohSession> create(uint32_t max_streams);
  ~DohSession();
  DohSession(const DohSession&) = delete;
  DohSession& operator=(const DohSession&) = delete;

  /// Feed received bytes. False on an HTTP/2 protocol error: the connection
  /// should send what send() still produces (a GOAWAY) and close.
  bool receive(std::span<const uint8_t> data);
  /// The DNS queries completed by receive() since the last call.
  std::vector<Query> take_queries();
  /// Answer stream `stream` with one DNS message (200, application/dns-message,
  /// cache-control max-age per RFC 8484 5.1). Ignored if the stream is gone
  /// (the client reset it while the answer was being resolved).
  void respond(int32_t stream, std::span<const uint8_t> message);
  /// Refuse stream `stream` with an HTTP status and no body.
  void refuse(int32_t stream, int status);
  /// Append the frames ready to go out to `out`. False on a fatal error.
  bool send(std::vector<uint8_t>& out);
  /// The session has ended (GOAWAY exchanged, or a fatal error): close once sent.
  bool done() const;
  /// Some request is open: being received, answered or its answer being
  /// sent. Without one the connection is idle whatever else it carries
  /// (PING, SETTINGS, WINDOW_UPDATE and their acknowledgements).
  bool has_streams() const;
  /// Requests answered with an HTTP error status since the last call (metrics).
  uint64_t take_http_errors();

 private:
  struct Impl;
  explicit DohSession(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace namae::net
