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

// Why a handshake failed, for the log and the client's EDE (RFC 8914 extra
// text): the certificate check's verdict in words when it failed, else
// OpenSSL's reason (a handshake alert, a peer that is not speaking TLS).
std::string handshake_failure(SSL* ssl, const std::string& name) {
  const long verify = SSL_get_verify_result(ssl);
  switch (verify) {
    case X509_V_OK: {
      const unsigned long e = ERR_peek_error();
      const char* reason = e ? ERR_reason_error_string(e) : nullptr;
      ERR_clear_error();
      return std::string("handshake failed: ") + (reason ? reason : "the server closed the connection");
    }
    case X509_V_ERR_HOSTNAME_MISMATCH:
      ERR_clear_error();
      return "certificate name mismatch for " + name;
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_CERT_UNTRUSTED:
      ERR_clear_error();
      return std::string("certificate not trusted (") + X509_verify_cert_error_string(verify) + ")";
    default:
      ERR_clear_error();
      return std::string("certificate: ") + X509_verify_cert_error_string(verify);
  }
}

}  // namespace

// One TLS connection to one server, shared by every caller asking it.
class DotConnection {
 public:
  static std::shared_ptr<DotConnection> open(DotClient& client, const Endpoint& server, const std::string& name,
                                             const std::string& key, Deadline deadline, Exchange& ex);
  ~DotConnection();
  void exchange(std::span<const uint8_t> query, Deadline deadline, Exchange& ex);
  bool dead() const {
    std::lock_guard lock(mu_);
    return dead_;
  }
  bool resumed() const { return SSL_session_reused(ssl_) == 1; }
  // Closes (no new queries) when nothing is pending and the last use is
  // `idle` ago (true); otherwise false, and `due` is when that may be.
  bool close_if_idle(SteadyClock::time_point now, std::chrono::milliseconds idle, SteadyClock::time_point& due);

 private:
  DotConnection(int fd, SSL* ssl, DotClient& client, std::string key)
      : fd_(fd), ssl_(ssl), client_(client), key_(std::move(key)) {}
  friend class DotClient;  // on_new_session
  bool connect_socket(const Endpoint& server, Deadline deadline, Exchange& ex);
  bool handshake(const std::string& name, Deadline deadline, Exchange& ex);
  std::optional<uint16_t> reserve_id();
  bool send(std::span<const uint8_t> framed, Deadline deadline);
  void read_for_all(Deadline deadline);
  void deliver_frames();

  int fd_;
  SSL* ssl_;
  DotClient& client_;
  const std::string key_;  // the client's key for this server and name: its sessions are kept under it
  std::mutex ssl_mu_;  // SSL_read and SSL_write never run at once on one SSL
  mutable std::mutex mu_;
  std::condition_variable cv_;
  // By the ID sent on this connection: the reply once it came. Each query
  // gets an ID unique on the connection (its own ID is put back in the
  // reply), so callers that picked the same random ID never mix up replies.
  std::map<uint16_t, std::optional<std::vector<uint8_t>>> pending_;
  uint16_t next_id_ = 0;
  bool reading_ = false;  // a waiter is reading for all (the leader)
  bool dead_ = false;     // no new queries
  bool failed_ = false;   // an I/O or TLS failure: no close_notify
  SteadyClock::time_point last_used_ = SteadyClock::now();
  std::vector<uint8_t> inbuf_;  // read but not yet framed; only the leader touches it
};

std::shared_ptr<DotConnection> DotConnection::open(DotClient& client, const Endpoint& server,
                                                   const std::string& name, const std::string& key,
                                                   Deadline deadline, Exchange& ex) {
  int fd = ::socket(server.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) {
    set_failure(ex, ExchangeError::io, std::string("socket: ") + std::strerror(errno));
    return nullptr;
  }
  SSL* ssl = SSL_new(client.ctx_);
  std::shared_ptr<DotConnection> c(new DotConnection(fd, ssl, client, key));
  // RFC 8310 8.1: the authentication domain name is checked against the
  // certificate's subjectAltName, and sent as SNI.
  if (!ssl || SSL_set_fd(ssl, fd) != 1 || SSL_set1_host(ssl, name.c_str()) != 1 ||
      SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) {
    c->failed_ = true;
    set_failure(ex, ExchangeError::io, ssl_error_text());
    return nullptr;
  }
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  SSL_set_app_data(ssl, c.get());
  if (SSL_SESSION* kept = client.take_session(key)) {
    SSL_set_session(ssl, kept);  // takes its own reference
    SSL_SESSION_free(kept);
  }
  if (!c->connect_socket(server, deadline, ex) || !c->handshake(name, deadline, ex)) {
    c->failed_ = true;
    return nullptr;
  }
  return c;
}

bool DotConnection::connect_socket(const Endpoint& server, Deadline deadline, Exchange& ex) {
  if (::connect(fd_, reinterpret_cast<const sockaddr*>(&server.addr), server.len) == 0) return true;
  int err = errno;
  if (err == EINPROGRESS) {
    int r = wait_for(fd_, POLLOUT, deadline);
    if (r == 0) {
      set_failure(ex, ExchangeError::timeout, "connect timed out");
      return false;
    }
    socklen_t len = sizeof err;
    err = 0;
    if (r < 0) err = errno;
    else ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (!err) return true;
  }
  set_failure(ex, err == ECONNREFUSED ? ExchangeError::refused : ExchangeError::unreachable, std::strerror(err));
  return false;
}

bool DotConnection::handshake(const std::string& name, Deadline deadline, Exchange& ex) {
  ERR_clear_error();
  for (;;) {
    int n = SSL_connect(ssl_);
    if (n == 1) return true;
    if (wait_for_ssl(fd_, SSL_get_error(ssl_, n), deadline)) continue;
    if (SSL_get_error(ssl_, n) == SSL_ERROR_WANT_READ || SSL_get_error(ssl_, n) == SSL_ERROR_WANT_WRITE) {
      set_failure(ex, ExchangeError::timeout, "handshake timed out");
      return false;
    }
    set_failure(ex, ExchangeError::tls, handshake_failure(ssl_, name));
    ERR_clear_error();
    return false;
  }
}

DotConnection::~DotConnection() {
  if (ssl_) {
    if (!failed_ && SSL_is_init_finished(ssl_)) SSL_shutdown(ssl_);  // close_notify, best effort
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
  if (!id) return set_failure(ex, ExchangeError::io, "connection closed");
  std::vector<uint8_t> framed(query.size() + 2);
  framed[0] = static_cast<uint8_t>(query.size() >> 8);
  framed[1] = static_cast<uint8_t>(query.size());
  std::memcpy(framed.data() + 2, query.data(), query.size());
  framed[2] = static_cast<uint8_t>(*id >> 8);
  framed[3] = static_cast<uint8_t>(*id);
  const auto start = SteadyClock::now();
  const bool sent = send(framed, deadline);
  std::unique_lock lk(mu_);
  if (!sent) dead_ = failed_ = true;
  for (;;) {
    auto it = pending_.find(*id);
    if (it->second) {
      ex.response = std::move(*it->second);
      pending_.erase(it);
      last_used_ = SteadyClock::now();
      std::memcpy(ex.response.data(), query.data(), 2);  // the caller's ID back
      ex.rtt = std::chrono::duration_cast<std::chrono::microseconds>(SteadyClock::now() - start);
      ex.error = ExchangeError::none;
      return;
    }
    if (dead_ || SteadyClock::now() >= deadline) {
      pending_.erase(it);
      last_used_ = SteadyClock::now();
      return set_failure(ex, dead_ ? ExchangeError::io : ExchangeError::timeout,
                         dead_ ? "connection closed before the reply" : "timed out");
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
    dead_ = failed_ = true;
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

bool DotConnection::close_if_idle(SteadyClock::time_point now, std::chrono::milliseconds idle,
                                  SteadyClock::time_point& due) {
  std::lock_guard lock(mu_);
  due = now + idle;
  if (dead_ || !pending_.empty()) return false;  // a dead one is its last user's to forget
  if (now - last_used_ < idle) {
    due = last_used_ + idle;
    return false;
  }
  dead_ = true;  // the close_notify goes when the last holder lets go
  return true;
}

Result<std::shared_ptr<DotClient>> DotClient::create(const std::string& ca_file, std::chrono::milliseconds idle_timeout) {
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
  // Sessions are kept by on_new_session under the connection's server and
  // name, not in OpenSSL's cache (which a client does not look up anyway).
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
  SSL_CTX_sess_set_new_cb(ctx, &DotClient::on_new_session);
  self->idle_timeout_ = idle_timeout;
  self->reaper_ = std::thread([c = self.get()] { c->reap_idle(); });
  return self;
}

DotClient::~DotClient() {
  if (reaper_.joinable()) {
    {
      std::lock_guard lock(reaper_mu_);
      stopping_ = true;
    }
    reaper_cv_.notify_all();
    reaper_.join();
  }
  open_.clear();
  for (auto& [key, session] : sessions_) SSL_SESSION_free(session);
  if (ctx_) SSL_CTX_free(ctx_);
}

uint64_t DotClient::connections_opened() const {
  std::lock_guard lock(mu_);
  return opened_;
}

uint64_t DotClient::connections_resumed() const {
  std::lock_guard lock(mu_);
  return resumed_;
}

uint64_t DotClient::connections_idle_closed() const {
  std::lock_guard lock(mu_);
  return idle_closed_;
}

size_t DotClient::connections_open() const {
  std::lock_guard lock(mu_);
  return open_.size();
}

SSL_SESSION* DotClient::take_session(const std::string& key) {
  std::lock_guard lock(sessions_mu_);
  auto it = sessions_.find(key);
  if (it == sessions_.end()) return nullptr;
  SSL_SESSION* s = it->second;
  sessions_.erase(it);
  return s;
}

void DotClient::keep_session(const std::string& key, SSL_SESSION* session) {
  std::lock_guard lock(sessions_mu_);
  auto& slot = sessions_[key];
  if (slot) SSL_SESSION_free(slot);
  slot = session;
}

// OpenSSL hands over each new session (after a TLS 1.2 handshake, or a TLS
// 1.3 NewSessionTicket read with a reply); the latest one is kept.
int DotClient::on_new_session(SSL* ssl, SSL_SESSION* session) {
  auto* conn = static_cast<DotConnection*>(SSL_get_app_data(ssl));
  if (!conn || !SSL_SESSION_is_resumable(session)) return 0;
  conn->client_.keep_session(conn->key_, session);
  return 1;  // the reference is ours now
}

// One thread per client wakes when the next idle connection is due.
void DotClient::reap_idle() {
  std::unique_lock lk(reaper_mu_);
  while (!stopping_) {
    lk.unlock();
    const auto next = close_idle();
    lk.lock();
    reaper_cv_.wait_until(lk, next, [this] { return stopping_; });
  }
}

SteadyClock::time_point DotClient::close_idle() {
  const auto now = SteadyClock::now();
  auto next = now + idle_timeout_;
  std::vector<std::shared_ptr<DotConnection>> closed;  // let go of outside the lock
  std::lock_guard lock(mu_);
  for (auto it = open_.begin(); it != open_.end();) {
    SteadyClock::time_point due;
    if (!it->second->close_if_idle(now, idle_timeout_, due)) {
      next = std::min(next, due);
      ++it;
      continue;
    }
    ++idle_closed_;
    closed.push_back(std::move(it->second));
    it = open_.erase(it);
  }
  return next;
}

Exchange DotClient::exchange(const Endpoint& server, const std::string& tls_name, std::span<const uint8_t> query,
                             std::chrono::milliseconds timeout) {
  Exchange ex = exchange_once_more(server, tls_name, query, timeout);
  // Exchange::message names the server (the resolver's EDE extra text shows it).
  if (!ex.ok()) ex.message = "TLS to " + server.to_string() + ": " + ex.message;
  return ex;
}

Exchange DotClient::exchange_once_more(const Endpoint& server, const std::string& tls_name,
                                       std::span<const uint8_t> query, std::chrono::milliseconds timeout) {
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
      conn = DotConnection::open(*this, server, tls_name, key, deadline, ex);
      if (!conn) return ex;
      std::lock_guard lock(mu_);
      ++opened_;
      if (conn->resumed()) ++resumed_;
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
