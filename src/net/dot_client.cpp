#include "net/dot_client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <optional>
#include <vector>

#include "net/tls.h"
#include "net/wait.h"

namespace namae::net {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::string ssl_error_text() { return openssl_error_text("TLS error"); }

void set_failure(Exchange& ex, ExchangeError error, std::string message) {
  ex.error = error;
  ex.message = std::move(message);
}

}  // namespace

// One TLS connection to one server, shared by every caller asking it.
class DotConnection {
 public:
  static std::shared_ptr<DotConnection> open(SSL_CTX* ctx, const Endpoint& server, const std::string& name,
                                             Deadline deadline, Exchange& ex);
  ~DotConnection();
  void exchange(std::span<const uint8_t> query, Deadline deadline, Exchange& ex);
  bool dead() const {
    std::lock_guard lock(mu_);
    return dead_;
  }

 private:
  DotConnection(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}
  bool connect_socket(const Endpoint& server, Deadline deadline, Exchange& ex);
  bool handshake(const Endpoint& server, Deadline deadline, Exchange& ex);
  std::optional<uint16_t> reserve_id();
  bool send(std::span<const uint8_t> framed, Deadline deadline);
  void read_for_all(Deadline deadline);
  void deliver_frames();

  int fd_;
  SSL* ssl_;
  std::mutex ssl_mu_;  // SSL_read and SSL_write never run at once on one SSL
  mutable std::mutex mu_;
  std::condition_variable cv_;
  // By the ID sent on this connection: the reply once it came. Each query
  // gets an ID unique on the connection (its own ID is put back in the
  // reply), so callers that picked the same random ID never mix up replies.
  std::map<uint16_t, std::optional<std::vector<uint8_t>>> pending_;
  uint16_t next_id_ = 0;
  bool reading_ = false;  // a waiter is reading for all (the leader)
  bool dead_ = false;
  std::vector<uint8_t> inbuf_;  // read but not yet framed; only the leader touches it
};

std::shared_ptr<DotConnection> DotConnection::open(SSL_CTX* ctx, const Endpoint& server, const std::string& name,
                                                   Deadline deadline, Exchange& ex) {
  int fd = ::socket(server.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    set_failure(ex, ExchangeError::io, server.to_string() + ": socket: " + std::strerror(errno));
    return nullptr;
  }
  SSL* ssl = SSL_new(ctx);
  std::shared_ptr<DotConnection> c(new DotConnection(fd, ssl));
  // RFC 8310 8.1: the authentication domain name is checked against the
  // certificate's subjectAltName, and sent as SNI.
  if (!ssl || SSL_set_fd(ssl, fd) != 1 || SSL_set1_host(ssl, name.c_str()) != 1 ||
      SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) {
    set_failure(ex, ExchangeError::io, server.to_string() + ": " + ssl_error_text());
    return nullptr;
  }
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  if (!c->connect_socket(server, deadline, ex) || !c->handshake(server, deadline, ex)) return nullptr;
  return c;
}

bool DotConnection::connect_socket(const Endpoint& server, Deadline deadline, Exchange& ex) {
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&server.addr), server.len) == 0) return true;
  int err = errno;
  if (err == EINPROGRESS) {
    int r = wait_for(fd_, POLLOUT, deadline);
    if (r == 0) {
      set_failure(ex, ExchangeError::timeout, server.to_string() + ": TLS connect timed out");
      return false;
    }
    socklen_t len = sizeof err;
    err = 0;
    if (r < 0) err = errno;
    else ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (!err) return true;
  }
  set_failure(ex, err == ECONNREFUSED ? ExchangeError::refused : ExchangeError::unreachable,
              server.to_string() + ": " + std::strerror(err));
  return false;
}

bool DotConnection::handshake(const Endpoint& server, Deadline deadline, Exchange& ex) {
  ERR_clear_error();
  for (;;) {
    int n = SSL_connect(ssl_);
    if (n == 1) return true;
    if (wait_for_ssl(fd_, SSL_get_error(ssl_, n), deadline)) continue;
    if (SSL_get_error(ssl_, n) == SSL_ERROR_WANT_READ || SSL_get_error(ssl_, n) == SSL_ERROR_WANT_WRITE) {
      set_failure(ex, ExchangeError::timeout, server.to_string() + ": TLS handshake timed out");
      return false;
    }
    long verify = SSL_get_verify_result(ssl_);
    std::string why = verify != X509_V_OK ? X509_verify_cert_error_string(verify) : ssl_error_text();
    set_failure(ex, ExchangeError::tls, server.to_string() + ": TLS: " + why);
    ERR_clear_error();
    return false;
  }
}

DotConnection::~DotConnection() {
  if (ssl_) {
    if (!dead_ && SSL_is_init_finished(ssl_)) SSL_shutdown(ssl_);  // close_notify, best effort
    ERR_clear_error();
    SSL_free(ssl_);
  }
  ::close(fd_);
}

std::optional<uint16_t> DotConnection::reserve_id() {
  std::lock_guard lock(mu_);
  if (dead_ || pending_.size() >= 65535) return std::nullopt;
  while (pending_.count(next_id_)) ++next_id_;
  uint16_t id = next_id_++;
  pending_[id];
  return id;
}

void DotConnection::exchange(std::span<const uint8_t> query, Deadline deadline, Exchange& ex) {
  auto id = reserve_id();
  if (!id) return set_failure(ex, ExchangeError::io, "TLS connection closed");
  std::vector<uint8_t> framed(query.size() + 2);
  framed[0] = static_cast<uint8_t>(query.size() >> 8);
  framed[1] = static_cast<uint8_t>(query.size());
  std::memcpy(framed.data() + 2, query.data(), query.size());
  framed[2] = static_cast<uint8_t>(*id >> 8);
  framed[3] = static_cast<uint8_t>(*id);
  const auto start = SteadyClock::now();
  const bool sent = send(framed, deadline);
  std::unique_lock lk(mu_);
  if (!sent) dead_ = true;
  for (;;) {
    auto it = pending_.find(*id);
    if (it->second) {
      ex.response = std::move(*it->second);
      pending_.erase(it);
      std::memcpy(ex.response.data(), query.data(), 2);  // the caller's ID back
      ex.rtt = std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - start);
      ex.error = ExchangeError::none;
      return;
    }
    if (dead_ || SteadyClock::now() >= deadline) {
      pending_.erase(it);
      return set_failure(ex, dead_ ? ExchangeError::io : ExchangeError::timeout,
                         dead_ ? "TLS connection closed before the reply" : "timed out over TLS");
    }
    if (reading_) {
      cv_.wait_until(lk, deadline);
      continue;
    }
    reading_ = true;
    lk.unlock();
    read_for_all(deadline);
    lk.lock();
    reading_ = false;
    cv_.notify_all();
  }
}

bool DotConnection::send(std::span<const uint8_t> framed, Deadline deadline) {
  std::lock_guard lock(ssl_mu_);
  ERR_clear_error();
  size_t done = 0;
  while (done < framed.size()) {
    int n = SSL_write(ssl_, framed.data() + done, static_cast<int>(framed.size() - done));
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (!wait_for_ssl(fd_, SSL_get_error(ssl_, n), deadline)) {
      ERR_clear_error();
      return false;
    }
  }
  return true;
}

// The leader's turn: wait for the socket (not holding the SSL), take in all
// OpenSSL can give, hand every complete reply to its waiter.
void DotConnection::read_for_all(Deadline deadline) {
  bool buffered;
  {
    std::lock_guard lock(ssl_mu_);
    buffered = SSL_has_pending(ssl_);
  }
  if (!buffered && wait_for(fd_, POLLIN, deadline) <= 0) return;
  bool closed = false;
  {
    std::lock_guard lock(ssl_mu_);
    ERR_clear_error();
    uint8_t buf[16384];
    for (;;) {
      int n = SSL_read(ssl_, buf, sizeof buf);
      if (n > 0) {
        inbuf_.insert(inbuf_.end(), buf, buf + n);
        continue;
      }
      int e = SSL_get_error(ssl_, n);
      closed = e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE;
      ERR_clear_error();
      break;
    }
  }
  deliver_frames();
  if (closed) {
    std::lock_guard lock(mu_);
    dead_ = true;
  }
}

void DotConnection::deliver_frames() {
  size_t at = 0;
  std::lock_guard lock(mu_);
  while (inbuf_.size() - at >= 2) {
    size_t len = size_t{inbuf_[at]} << 8 | inbuf_[at + 1];
    if (inbuf_.size() - at - 2 < len) break;
    if (len >= 2) {
      uint16_t id = static_cast<uint16_t>(inbuf_[at + 2] << 8 | inbuf_[at + 3]);
      // A reply nobody waits for (its waiter timed out) is dropped.
      if (auto it = pending_.find(id); it != pending_.end() && !it->second)
        it->second.emplace(inbuf_.begin() + static_cast<long>(at) + 2,
                           inbuf_.begin() + static_cast<long>(at + 2 + len));
    }
    at += 2 + len;
  }
  inbuf_.erase(inbuf_.begin(), inbuf_.begin() + static_cast<long>(at));
}

Result<std::shared_ptr<DotClient>> DotClient::create(const std::string& ca_file) {
  std::shared_ptr<DotClient> self(new DotClient());
  self->ctx_ = SSL_CTX_new(TLS_client_method());
  if (!self->ctx_) return fail("TLS client context: " + ssl_error_text());
  SSL_CTX* ctx = self->ctx_;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);  // RFC 8310 9, BCP 195
  SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_IGNORE_UNEXPECTED_EOF);
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  static const unsigned char alpn[] = {3, 'd', 'o', 't'};  // RFC 7858's ALPN id (IANA)
  SSL_CTX_set_alpn_protos(ctx, alpn, sizeof alpn);
  const int loaded = ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx)
                                     : SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr);
  if (loaded != 1) return fail((ca_file.empty() ? "system CA store" : ca_file) + ": " + ssl_error_text());
  return self;
}

DotClient::~DotClient() {
  open_.clear();
  if (ctx_) SSL_CTX_free(ctx_);
}

uint64_t DotClient::connections_opened() const {
  std::lock_guard lock(mu_);
  return opened_;
}

Exchange DotClient::exchange(const Endpoint& server, const std::string& tls_name, std::span<const uint8_t> query,
                             std::chrono::milliseconds timeout) {
  Exchange ex;
  ex.protocol = ClientProtocol::tls;
  ex.attempts = 1;
  if (query.size() < 2 || query.size() > 65535) {
    set_failure(ex, ExchangeError::io, "query size out of range");
    return ex;
  }
  const Deadline deadline = SteadyClock::now() + timeout;
  const std::string key = server.to_string() + " " + tls_name;
  for (int round = 0; round < 2; ++round) {
    std::shared_ptr<DotConnection> conn;
    {
      std::lock_guard lock(mu_);
      if (auto it = open_.find(key); it != open_.end() && !it->second->dead()) conn = it->second;
    }
    const bool reused = conn != nullptr;
    if (!conn) {
      conn = DotConnection::open(ctx_, server, tls_name, deadline, ex);
      if (!conn) return ex;
      std::lock_guard lock(mu_);
      ++opened_;
      open_[key] = conn;
    }
    conn->exchange(query, deadline, ex);
    if (conn->dead()) forget(key, conn.get());
    // A kept connection the server closed meanwhile (its idle timeout, RFC
    // 7766 6.2.3) is no failure of the server: once more on a new one.
    if (ex.ok() || !reused || !conn->dead() || ex.error == ExchangeError::timeout) return ex;
  }
  return ex;
}

void DotClient::forget(const std::string& key, const DotConnection* conn) {
  std::lock_guard lock(mu_);
  if (auto it = open_.find(key); it != open_.end() && it->second.get() == conn) open_.erase(it);
}

}  // namespace namae::net
