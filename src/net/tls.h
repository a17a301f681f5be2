// Server-side TLS for the stream transports: DNS over TLS (RFC 7858) and the
// HTTP/2 of DNS over HTTPS (RFC 8484). A TlsContext is one listener's
// certificate, key and policy: TLS 1.2 or later only (RFC 8310 / BCP 195),
// one ALPN protocol ("dot" for RFC 7858 per the IANA registry, "h2" for
// RFC 8484 5.2), and session resumption through a server-side session cache
// and stateless tickets (RFC 7858 3.4 asks servers to support it).
//
// TlsStream is the non-blocking byte I/O over one accepted socket: it reports
// which readiness an operation is waiting for (SSL_ERROR_WANT_READ/WRITE) so
// the event loop can set its epoll interest, and whether decrypted bytes are
// buffered inside OpenSSL that epoll will not announce.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "base/result.h"

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace namae::net {

/// The oldest queued OpenSSL error as text, or `fallback` when none is
/// queued; the thread's error queue is cleared either way, so the next
/// failure is not reported with this one's reason.
std::string openssl_error_text(const char* fallback = "TLS error");

class TlsContext {
 public:
  /// Load a PEM certificate chain and private key. `alpn` is the one protocol
  /// offered ("dot" or "h2"); a client offering ALPN without it is refused
  /// (RFC 7301 3.2), one offering none is served. The key file must not be
  /// readable by group or others.
  static Result<std::shared_ptr<TlsContext>> load(const std::string& cert_file, const std::string& key_file,
                                                  const std::string& alpn);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  SSL_CTX* native() const { return ctx_; }
  const std::string& alpn() const { return alpn_; }

 private:
  TlsContext() = default;
  SSL_CTX* ctx_ = nullptr;
  std::string alpn_;  // wire form: length-prefixed
};

/// One server-side TLS connection over a non-blocking socket it does not own.
class TlsStream {
 public:
  /// Result of read()/write(): bytes moved (> 0), or one of these.
  static constexpr long kWantRead = -1;   // retry when the socket is readable
  static constexpr long kWantWrite = -2;  // retry when the socket is writable
  static constexpr long kClosed = 0;      // read only: the peer ended the stream (close_notify or EOF)
  static constexpr long kError = -3;      // fatal: close the connection without close_notify

  TlsStream(const TlsContext& ctx, int fd);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  bool valid() const { return ssl_ != nullptr; }
  /// Decrypt into `buf` (performs the handshake first as needed).
  long read(uint8_t* buf, size_t len);
  /// Encrypt and send from `buf`; may send a prefix (partial writes on).
  long write(const uint8_t* buf, size_t len);
  /// Bytes held by OpenSSL (decrypted, or whole records read ahead) that a
  /// read would return without the socket becoming readable again. False
  /// after a read that stopped for the socket: what read-ahead still holds
  /// then is a partial record, and epoll announces the rest.
  bool has_buffered() const;
  /// Whether the last read() or write() stopped for the other direction
  /// (a handshake or ticket write during read: the loop must wait for EPOLLOUT).
  bool read_wants_write() const { return read_wants_write_; }
  /// Whether the last write() waits for the peer's bytes (a write before the
  /// handshake has finished needs the client's Finished): writable is not enough.
  bool write_wants_read() const { return write_wants_read_; }
  /// Send close_notify once (best effort, never blocks); skipped after a fatal error.
  void shutdown();
  /// The session was resumed (tests, metrics).
  bool resumed() const;
  /// A fatal TLS error ended the connection (a failed handshake, a bad record).
  bool failed() const { return failed_; }

 private:
  long result(int n, bool reading);
  SSL* ssl_ = nullptr;
  bool failed_ = false;
  bool read_wants_write_ = false;
  bool write_wants_read_ = false;
  bool read_wants_socket_ = false;  // the last call was a read() that returned kWantRead
};

}  // namespace namae::net
