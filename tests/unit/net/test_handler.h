// A tiny QueryHandler for transport tests: answers with the query echoed back
// and QR set (optionally padded to a fixed size), drops messages that are
// already responses or shorter than a header, and counts batch calls.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <string>
#include <vector>

#include "net/address.h"
#include "net/handler.h"

namespace namae::net::testing {

struct EchoStats {
  std::atomic<int> handlers{0}, begins{0}, ends{0}, queries{0};
  std::atomic<size_t> pad_to{0};
  std::atomic<bool> saw_local{false};
  std::atomic<bool> saw_tcp{false};
  std::atomic<uint32_t> last_listener{0};  // Peer::listener of the latest query
};

class EchoHandler : public QueryHandler {
 public:
  explicit EchoHandler(EchoStats& s) : s_(s) { s_.handlers++; }
  void begin_batch() override { s_.begins++; }
  void end_batch() override { s_.ends++; }
  size_t handle(std::span<const uint8_t> q, std::span<uint8_t> r, const Peer& peer) override {
    s_.queries++;
    if (peer.local_len) s_.saw_local = true;
    if (peer.tcp) s_.saw_tcp = true;
    s_.last_listener = peer.listener;
    if (q.size() < 12 || (q[2] & 0x80)) return 0;
    size_t n = std::max(q.size(), s_.pad_to.load());
    if (n > r.size()) return 0;
    std::memset(r.data(), 0, n);
    std::memcpy(r.data(), q.data(), q.size());
    r[2] |= 0x80;
    return n;
  }

 private:
  EchoStats& s_;
};

inline HandlerFactory echo_factory(EchoStats& s) {
  return [&s](WorkerMetrics*) { return std::make_unique<EchoHandler>(s); };
}

/// Deferred answers taken by DeferringHandler, for another thread to send.
struct DeferQueue {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<std::pair<ReplyChannel, std::vector<uint8_t>>> items;  // channel, answer

  /// Wait until `n` answers are queued (false on timeout), then take them all.
  bool take(size_t n, std::vector<std::pair<ReplyChannel, std::vector<uint8_t>>>& out) {
    std::unique_lock lk(mu);
    if (!cv.wait_for(lk, std::chrono::seconds(5), [&] { return items.size() >= n; })) return false;
    out = std::move(items);
    items.clear();
    return true;
  }
};

/// Defers queries for qtype 65280 (private use): it keeps a channel and the
/// echo answer in `q` instead of answering; every other query is echoed now.
class DeferringHandler : public EchoHandler {
 public:
  static constexpr uint16_t kDeferType = 65280;
  DeferringHandler(EchoStats& s, DeferQueue& q) : EchoHandler(s), q_(q) {}
  size_t handle(std::span<const uint8_t> query, std::span<uint8_t> r, const Peer& peer) override {
    size_t n = EchoHandler::handle(query, r, peer);
    if (n == 0 || query.size() < 19 || !peer.can_defer()) return n;
    size_t qt = query.size() - 4;
    if ((query[qt] << 8 | query[qt + 1]) != kDeferType) return n;
    std::lock_guard lk(q_.mu);
    q_.items.emplace_back(peer.channel(), std::vector<uint8_t>(r.begin(), r.begin() + n));
    q_.cv.notify_all();
    return kDeferred;
  }

 private:
  DeferQueue& q_;
};

inline HandlerFactory deferring_factory(EchoStats& s, DeferQueue& q) {
  return [&s, &q](WorkerMetrics*) { return std::make_unique<DeferringHandler>(s, q); };
}

/// A minimal DNS query (id, qname "a.", qtype) for tests.
inline std::vector<uint8_t> make_query(uint16_t id, uint16_t qtype = 1) {
  std::vector<uint8_t> q = {uint8_t(id >> 8), uint8_t(id), 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
                            1, 'a', 0, uint8_t(qtype >> 8), uint8_t(qtype), 0, 1};
  return q;
}

inline Endpoint ep(const char* text) { return *parse_endpoint(text); }

/// Framed (2-octet length) copy of `msg`.
inline std::vector<uint8_t> frame(const std::vector<uint8_t>& msg) {
  std::vector<uint8_t> f = {uint8_t(msg.size() >> 8), uint8_t(msg.size())};
  f.insert(f.end(), msg.begin(), msg.end());
  return f;
}

/// Connect a blocking TCP socket with a receive timeout.
inline int tcp_connect(const Endpoint& to, int timeout_ms = 2000) {
  int fd = socket(to.family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&to.addr), to.len) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/// Read exactly n bytes (false on EOF/timeout).
inline bool read_exact(int fd, uint8_t* p, size_t n) {
  while (n) {
    ssize_t r = read(fd, p, n);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

/// Read one framed message; empty on EOF/timeout.
inline std::vector<uint8_t> read_frame(int fd) {
  uint8_t len[2];
  if (!read_exact(fd, len, 2)) return {};
  std::vector<uint8_t> m(size_t{len[0]} << 8 | len[1]);
  if (!read_exact(fd, m.data(), m.size())) return {};
  return m;
}

/// True once the peer has closed (read returns 0 or ECONNRESET) within the timeout.
inline bool wait_closed(int fd) {
  uint8_t b[4096];
  for (;;) {
    ssize_t r = read(fd, b, sizeof b);
    if (r == 0) return true;
    if (r < 0) return errno == ECONNRESET;
  }
}

}  // namespace namae::net::testing
