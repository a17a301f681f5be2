#include "net/client.h"

#include "net/fiber.h"

#include "net/dot_client.h"
#include "net/wait.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

namespace namae::net {

namespace {

using Clock = std::chrono::steady_clock;

// Owns a socket descriptor for the duration of one exchange.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

ExchangeError classify(int err) {
  switch (err) {
    case ECONNREFUSED:
    case ECONNRESET:
      return ExchangeError::refused;
    case EHOSTUNREACH:
    case ENETUNREACH:
    case EADDRNOTAVAIL:
    case EAFNOSUPPORT:
      return ExchangeError::unreachable;
    case ETIMEDOUT:
      return ExchangeError::timeout;
    default:
      return ExchangeError::io;
  }
}

std::string describe(const Endpoint& server, ExchangeError e, int err = 0) {
  std::string text = endpoint_address(server) + "#" + std::to_string(server.port()) + ": ";
  if (e == ExchangeError::io && err) return text + std::strerror(err);
  return text + exchange_error_text(e);
}


struct Attempt {
  ExchangeError error = ExchangeError::none;
  int err = 0;
  std::vector<uint8_t> response;
  Clock::duration rtt{};
};

Attempt fail_with(ExchangeError e, int err = 0) {
  Attempt a;
  a.error = e;
  a.err = err;
  return a;
}

uint16_t query_id(std::span<const uint8_t> q) {
  return static_cast<uint16_t>(q[0] << 8 | q[1]);
}

// One UDP try on an already connected socket: send, then read until a
// datagram with our ID arrives or the deadline passes. The socket is
// connected, so the kernel drops datagrams from any other address or port
// and reports ICMP port unreachable as ECONNREFUSED.
Attempt udp_try(int fd, std::span<const uint8_t> query, std::chrono::milliseconds timeout) {
  for (;;) {
    ssize_t n = ::send(fd, query.data(), query.size(), 0);
    if (n >= 0) break;
    if (errno == EINTR) continue;
    return fail_with(classify(errno), errno);
  }
  auto start = Clock::now();
  auto deadline = start + timeout;
  // Received into a buffer of this thread's, the reply copied out at its
  // size: a fresh zeroed 64 KiB per exchange (and its page faults) was a
  // fifth of a cold-resolving resolver's CPU time. Left unzeroed (only
  // what recv wrote is read): zeroing it once per thread still cost 7% of
  // a cold run in a fresh process, faulting in 16 pages no reply touches.
  constexpr size_t kBufSize = 65535;
  thread_local std::unique_ptr<uint8_t[]> buf = std::make_unique_for_overwrite<uint8_t[]>(kBufSize);
  for (;;) {
    int r = wait_for(fd, POLLIN, deadline);
    if (r == 0) return fail_with(ExchangeError::timeout);
    if (r < 0) return fail_with(classify(errno), errno);
    ssize_t n = ::recv(fd, buf.get(), kBufSize, 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return fail_with(classify(errno), errno);
    }
    // Too short to carry an ID, or someone else's ID: not ours, keep waiting
    // (RFC 5452 9.1: accept only replies that match the query).
    if (n < 2 || query_id({buf.get(), 2}) != query_id(query)) continue;
    Attempt a;
    a.rtt = Clock::now() - start;
    a.response.assign(buf.get(), buf.get() + n);
    return a;
  }
}

// Writes all of `data` before `deadline`.
int write_all(int fd, std::span<const uint8_t> data, Clock::time_point deadline) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) return -1;
    int r = wait_for(fd, POLLOUT, deadline);
    if (r <= 0) return r == 0 ? 0 : -1;
  }
  return 1;
}

// Reads exactly `out.size()` octets before `deadline`. 1 ok, 0 timeout,
// -1 error (errno), -2 the peer closed early.
int read_all(int fd, std::span<uint8_t> out, Clock::time_point deadline) {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::recv(fd, out.data() + done, out.size() - done, 0);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n == 0) return -2;
    if (errno != EAGAIN && errno != EINTR) return -1;
    int r = wait_for(fd, POLLIN, deadline);
    if (r <= 0) return r == 0 ? 0 : -1;
  }
  return 1;
}

Attempt tcp_try(const Endpoint& server, std::span<const uint8_t> query,
                std::chrono::milliseconds timeout, const std::optional<Endpoint>& local) {
  Fd fd(::socket(server.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (fd.get() < 0) return fail_with(classify(errno), errno);
  if (local && ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&local->addr), local->len) < 0)
    return fail_with(classify(errno), errno);
  auto deadline = Clock::now() + timeout;
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&server.addr), server.len) < 0) {
    if (errno != EINPROGRESS) return fail_with(classify(errno), errno);
    int r = wait_for(fd.get(), POLLOUT, deadline);
    if (r == 0) return fail_with(ExchangeError::timeout);
    if (r < 0) return fail_with(classify(errno), errno);
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
    if (err) return fail_with(classify(err), err);
  }
  std::vector<uint8_t> framed{static_cast<uint8_t>(query.size() >> 8), static_cast<uint8_t>(query.size())};
  framed.insert(framed.end(), query.begin(), query.end());
  int w = write_all(fd.get(), framed, deadline);
  if (w == 0) return fail_with(ExchangeError::timeout);
  if (w < 0) return fail_with(classify(errno), errno);
  auto start = Clock::now();
  uint8_t len_octets[2];
  int r = read_all(fd.get(), len_octets, deadline);
  if (r == 0) return fail_with(ExchangeError::timeout);
  if (r == -2) return fail_with(ExchangeError::bad_reply);  // closed without a reply
  if (r < 0) return fail_with(classify(errno), errno);
  size_t len = static_cast<size_t>(len_octets[0] << 8 | len_octets[1]);
  Attempt a;
  a.response.resize(len);
  r = read_all(fd.get(), a.response, deadline);
  if (r == 0) return fail_with(ExchangeError::timeout);
  if (r == -2) return fail_with(ExchangeError::bad_reply);
  if (r < 0) return fail_with(classify(errno), errno);
  a.rtt = Clock::now() - start;
  if (len < 2 || query_id(a.response) != query_id(query)) {
    Attempt bad = fail_with(ExchangeError::bad_reply);
    bad.response = std::move(a.response);
    return bad;
  }
  return a;
}

}  // namespace

const char* client_protocol_text(ClientProtocol p) {
  return p == ClientProtocol::tls ? "TLS" : p == ClientProtocol::tcp ? "TCP" : "UDP";
}

const char* exchange_error_text(ExchangeError e) {
  switch (e) {
    case ExchangeError::none: return "ok";
    case ExchangeError::timeout: return "timed out";
    case ExchangeError::refused: return "connection refused";
    case ExchangeError::unreachable: return "network unreachable";
    case ExchangeError::io: return "I/O error";
    case ExchangeError::bad_reply: return "bad reply (framing or ID mismatch)";
    case ExchangeError::tls: return "TLS authentication failed";
  }
  return "unknown error";
}

Exchange SocketTransport::exchange(const Endpoint& server, std::span<const uint8_t> query,
                                   const ExchangeOptions& options) {
  if (options.protocol == ClientProtocol::tls && options.dot) {
    // The TLS client's connections are shared by its callers under locks
    // and condition variables: on a fiber, one of the loop's blocking
    // threads waits for the answer instead.
    Exchange ex;
    run_blocking([&] { ex = options.dot->exchange(server, options.tls_name, query, options.timeout); });
    return ex;
  }
  Exchange ex;
  ex.protocol = options.protocol;
  if (options.protocol == ClientProtocol::tls) {
    ex.error = ExchangeError::io;
    ex.message = "DNS over TLS without a TLS client";
    return ex;
  }
  if (query.size() < 2 || query.size() > 65535) {
    ex.error = ExchangeError::io;
    ex.message = "query size out of range";
    return ex;
  }
  int tries = options.tries < 1 ? 1 : options.tries;
  // UDP keeps one socket (one source port) across retries so a slow first
  // reply still matches; TCP reconnects per try.
  int udp_fd = -1;
  if (options.protocol == ClientProtocol::udp) {
    udp_fd = ::socket(server.family(), SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (udp_fd < 0 ||
        (options.local && ::bind(udp_fd, reinterpret_cast<const sockaddr*>(&options.local->addr),
                                 options.local->len) < 0) ||
        ::connect(udp_fd, reinterpret_cast<const sockaddr*>(&server.addr), server.len) < 0) {
      int err = errno;
      if (udp_fd >= 0) ::close(udp_fd);
      ex.error = classify(err);
      ex.message = describe(server, ex.error, err);
      return ex;
    }
  }
  Fd guard(udp_fd);
  for (int i = 0; i < tries; ++i) {
    ex.attempts = i + 1;
    Attempt a = options.protocol == ClientProtocol::udp ? udp_try(udp_fd, query, options.timeout)
                                                        : tcp_try(server, query, options.timeout, options.local);
    if (a.error == ExchangeError::none) {
      ex.error = ExchangeError::none;
      ex.message.clear();
      ex.response = std::move(a.response);
      ex.rtt = std::chrono::duration_cast<std::chrono::microseconds>(a.rtt);
      return ex;
    }
    ex.error = a.error;
    ex.message = describe(server, a.error, a.err);
    // A broken TCP reply is not a transient error worth repeating.
    if (a.error == ExchangeError::bad_reply) {
      ex.response = std::move(a.response);
      return ex;
    }
    if (i + 1 < tries && options.on_retry) options.on_retry(ex.error, ex.message);
  }
  return ex;
}

Result<Endpoint> make_endpoint(std::string_view address, uint16_t port) {
  std::string host(address);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICHOST;
  addrinfo* res = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &res) != 0 || !res)
    return fail("not a numeric address: '" + host + "'");
  Endpoint ep;
  std::memcpy(&ep.addr, res->ai_addr, res->ai_addrlen);
  ep.len = res->ai_addrlen;
  ::freeaddrinfo(res);
  if (ep.family() == AF_INET)
    reinterpret_cast<sockaddr_in*>(&ep.addr)->sin_port = htons(port);
  else
    reinterpret_cast<sockaddr_in6*>(&ep.addr)->sin6_port = htons(port);
  return ep;
}

Result<std::vector<Endpoint>> resolve_server(std::string_view host_text, uint16_t port,
                                             int family) {
  std::string host(host_text);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  addrinfo hints{};
  hints.ai_family = family;
  hints.ai_socktype = SOCK_DGRAM;
  addrinfo* res = nullptr;
  int rc = ::getaddrinfo(host.c_str(), nullptr, &hints, &res);
  if (rc != 0) return fail("couldn't get address for '" + host + "': " + ::gai_strerror(rc));
  std::vector<Endpoint> out;
  for (addrinfo* ai = res; ai; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6) continue;
    Endpoint ep;
    std::memcpy(&ep.addr, ai->ai_addr, ai->ai_addrlen);
    ep.len = ai->ai_addrlen;
    if (ep.family() == AF_INET)
      reinterpret_cast<sockaddr_in*>(&ep.addr)->sin_port = htons(port);
    else
      reinterpret_cast<sockaddr_in6*>(&ep.addr)->sin6_port = htons(port);
    out.push_back(ep);
  }
  ::freeaddrinfo(res);
  if (out.empty()) return fail("couldn't get address for '" + host + "': no address");
  return out;
}

std::string endpoint_address(const Endpoint& ep) {
  char host[NI_MAXHOST];
  if (::getnameinfo(reinterpret_cast<const sockaddr*>(&ep.addr), ep.len, host, sizeof host,
                    nullptr, 0, NI_NUMERICHOST) != 0)
    return "?";
  return host;
}

std::vector<std::string> resolv_conf_nameservers(const std::string& path) {
  std::vector<std::string> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key, value;
    if (!(words >> key >> value)) continue;
    if (key == "nameserver") out.push_back(value);
  }
  return out;
}

}  // namespace namae::net
