#include "net/tcp_server.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <list>
#include <mutex>
#include <string>
#include <unordered_map>

#include "net/doh_session.h"

namespace namae::net {
namespace {

constexpr uint64_t kListenTag = 1ull << 62;
constexpr uint64_t kStopTag = 1ull << 61;
constexpr uint64_t kInboxTag = 1ull << 60;
constexpr size_t kFrameMax = 2 + 65535;
constexpr size_t kReadChunk = 16 * 1024;

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

Result<int> open_listener(const Endpoint& ep, int backlog) {
  int fd = socket(ep.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail("socket for " + ep.to_string() + ": " + std::strerror(errno));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (ep.family() == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(fd, reinterpret_cast<const sockaddr*>(&ep.addr), ep.len) != 0 || listen(fd, backlog) != 0) {
    std::string err = "bind tcp " + ep.to_string() + ": " + std::strerror(errno);
    close(fd);
    return fail(err);
  }
  return fd;
}

}  // namespace

// Deferred replies for one event loop: other threads post complete messages
// into a mutex-protected inbox and wake the loop through an eventfd; the loop
// appends each to its connection's write buffer (RFC 7766 6.2.1.1 allows
// answers out of order). A reply names its connection by descriptor and
// generation, so one for a connection that closed, even if the descriptor
// was reused since, is dropped.
class TcpServer::Inbox : public ReplySink {
 public:
  // A deferred reply settles a debt of its connection (Conn::deferred); the
  // rest are a long-lived session's (ReplySink::Control).
  enum class Kind : uint8_t { reply, unsolicited, hold, close };
  struct Item {
    uint64_t conn;
    int32_t stream;               // DoH: the HTTP/2 stream of the request
    Kind kind;
    std::vector<uint8_t> framed;  // RFC 7766 framed; for DoH the bare message
  };
  explicit Inbox(bool frame) : frame_(frame), efd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}
  ~Inbox() override {
    if (efd_ >= 0) ::close(efd_);
  }
  int fd() const { return efd_; }

  bool send(const Peer& to, std::span<const uint8_t> response) override {
    return post(to, Kind::reply, response);
  }
  bool control(const Peer& to, Control what, std::span<const uint8_t> message) override {
    return post(to, what == Control::unsolicited ? Kind::unsolicited : what == Control::hold ? Kind::hold : Kind::close,
                message);
  }
  /// Everything posted so far (loop thread).
  std::vector<Item> take() {
    uint64_t v;
    if (read(efd_, &v, sizeof v) < 0) { /* nothing pending */ }
    std::vector<Item> out;
    std::lock_guard lk(mu_);
    out.swap(items_);
    return out;
  }
  /// The server is stopping: drop what is queued and all later replies.
  void close() {
    std::lock_guard lk(mu_);
    closed_ = true;
    items_.clear();
  }

 private:
  bool post(const Peer& to, Kind kind, std::span<const uint8_t> message) {
    if (!to.tcp) return false;
    const size_t prefix = frame_ && !message.empty() ? 2 : 0;
    std::vector<uint8_t> framed(prefix + message.size());
    if (prefix) {
      framed[0] = static_cast<uint8_t>(message.size() >> 8);
      framed[1] = static_cast<uint8_t>(message.size());
    }
    if (!message.empty()) std::memcpy(framed.data() + prefix, message.data(), message.size());
    std::lock_guard lk(mu_);
    if (closed_) return false;
    items_.push_back({to.conn, to.stream, kind, std::move(framed)});
    if (items_.size() == 1) {
      uint64_t one = 1;
      if (write(efd_, &one, sizeof one) < 0) { /* already readable */ }
    }
    return true;
  }

  std::mutex mu_;
  std::vector<Item> items_;
  bool closed_ = false;
  const bool frame_;
  const int efd_;
};

// One event loop: its listeners, its connections, its handler.
struct TcpServer::Loop {
  struct Conn {
    int fd = -1;
    Peer peer;
    std::vector<uint8_t> in;  // buffered request bytes [0, in_len)
    size_t in_len = 0;
    std::vector<uint8_t> out;  // unsent response bytes [out_off, out.size())
    size_t out_off = 0;
    uint64_t last_progress = 0;  // accept, a complete query, or bytes written (DoH: for a request)
    size_t deferred = 0;         // answers a handler still owes (kDeferred)
    // A multi-message answer being sent (kStream): pulled while the unsent
    // bytes are under the watermark; later queries wait until it ends.
    std::unique_ptr<ResponseStream> stream;
    std::unique_ptr<TlsStream> tls;  // DNS over TLS: the byte layer under the framing
    std::unique_ptr<DohSession> doh;  // DNS over HTTPS: HTTP/2 instead of RFC 7766 framing
    bool eof = false;
    bool held = false;    // a long-lived session: out of the idle timeout's list
    uint32_t events = 0;  // current epoll interest
    std::list<Conn*>::iterator lru;
    size_t pending_out() const { return out.size() - out_off; }
    /// Half-closed and nothing left to send or to wait for.
    bool finished() const { return eof && pending_out() == 0 && deferred == 0 && !stream; }
  };

  unsigned index = 0;
  TcpServer* server = nullptr;
  std::vector<int> listeners;
  int epfd = -1;
  int stop_fd = -1;
  std::shared_ptr<Inbox> inbox;
  uint32_t generation = 0;  // of the newest connection
  size_t max_connections = 0;
  std::unique_ptr<QueryHandler> handler;
  WorkerMetrics* metrics = nullptr;
  std::thread thread;
  std::unordered_map<int, std::unique_ptr<Conn>> conns;
  std::list<Conn*> lru;  // front: least recent progress
  std::vector<int> paused_listeners;  // taken out of epoll after EMFILE
  std::vector<uint64_t> again;  // TLS connections with decrypted bytes epoll will not announce
  uint64_t resume_listeners_at = 0;
  std::vector<uint8_t> scratch = std::vector<uint8_t>(kFrameMax);

  void run();
  void accept_all(size_t k);  // the k-th listen address
  void deliver();
  bool take_item(Conn& c, TcpServer::Inbox::Item& item);
  void on_event(Conn& c, uint32_t ev);
  void process_frames(Conn& c);
  void process_doh(Conn& c);
  void answer_doh(Conn& c, int32_t stream, std::span<const uint8_t> query);
  void pull_stream(Conn& c);
  bool pump(Conn& c);
  static bool has_frame(const Conn& c) {
    return !c.doh && c.in_len >= 2 && c.in_len >= 2 + (size_t{c.in[0]} << 8 | c.in[1]);
  }
  bool flush(Conn& c);
  void update_interest(Conn& c);
  void run_again();
  // Byte I/O, plain or TLS: bytes moved (> 0), 0 at the peer's end of
  // stream (reads), kWouldBlock, or kIoError.
  static constexpr long kWouldBlock = -1, kIoError = -2;
  static long io_read(Conn& c, uint8_t* buf, size_t len);
  static long io_write(Conn& c, const uint8_t* buf, size_t len);
  void touch(Conn& c, uint64_t now) {
    c.last_progress = now;
    if (!c.held) lru.splice(lru.end(), lru, c.lru);
  }
  void hold(Conn& c) {
    if (c.held) return;
    lru.erase(c.lru);
    c.held = true;
  }
  // The DoT, DoH or Push listener's counters; nullptr for plain TCP.
  MetricsRegistry::TlsStreamCounters* tls_counters() const {
    auto& m = server->metrics_;
    if (!server->options_.tls) return nullptr;
    return server->options_.doh ? &m.doh : server->options_.push ? &m.push : &m.dot;
  }
  void close_conn(Conn& c) {
    if (auto* t = tls_counters()) {
      t->open.fetch_sub(1, std::memory_order_relaxed);
      if (c.tls->failed()) t->tls_errors.fetch_add(1, std::memory_order_relaxed);
    }
    if (c.tls) c.tls->shutdown();  // close_notify (RFC 8446 6.1), best effort
    epoll_ctl(epfd, EPOLL_CTL_DEL, c.fd, nullptr);
    close(c.fd);
    if (!c.held) lru.erase(c.lru);
    handler->closed(c.peer);
    server->metrics_.tcp_connections.fetch_sub(1, std::memory_order_relaxed);
    conns.erase(c.fd);  // destroys c
  }
  void expire(uint64_t now);
};

TcpServer::TcpServer(TcpOptions options, HandlerFactory factory, MetricsRegistry& metrics)
    : options_(std::move(options)), factory_(std::move(factory)), metrics_(metrics) {}

TcpServer::~TcpServer() { stop(); }

Result<void> TcpServer::start() {
  unsigned n = options_.workers ? options_.workers : 1;
  bound_ = options_.listen;
  std::vector<std::unique_ptr<Loop>> loops;
  auto cleanup = [&] {
    for (auto& l : loops)
      for (int fd : l->listeners) close(fd);
  };
  for (unsigned i = 0; i < n; ++i) {
    auto l = std::make_unique<Loop>();
    l->index = i;
    l->server = this;
    l->max_connections = std::max<size_t>(1, options_.max_connections / n);
    for (auto& ep : bound_) {
      auto fd = open_listener(ep, options_.backlog);
      if (!fd) {
        for (int f : l->listeners) close(f);
        cleanup();
        return fd.error();
      }
      if (i == 0 && ep.port() == 0) {
        ep.len = sizeof(ep.addr);
        getsockname(*fd, reinterpret_cast<sockaddr*>(&ep.addr), &ep.len);
      }
      l->listeners.push_back(*fd);
    }
    loops.push_back(std::move(l));
  }
  for (auto& l : loops) {
    l->epfd = epoll_create1(EPOLL_CLOEXEC);
    l->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    l->inbox = std::make_shared<Inbox>(!options_.doh);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = kStopTag;
    epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->stop_fd, &ev);
    ev.events = EPOLLIN;
    ev.data.u64 = kInboxTag;
    epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->inbox->fd(), &ev);
    for (size_t k = 0; k < l->listeners.size(); ++k) {
      ev.events = EPOLLIN;
      ev.data.u64 = kListenTag | k;
      epoll_ctl(l->epfd, EPOLL_CTL_ADD, l->listeners[k], &ev);
    }
    l->metrics = metrics_.add_worker();
    l->handler = factory_(l->metrics);
  }
  loops_ = std::move(loops);
  for (auto& l : loops_) l->thread = std::thread([lp = l.get()] { lp->run(); });
  return {};
}

void TcpServer::stop() {
  for (auto& l : loops_) {
    uint64_t one = 1;
    if (write(l->stop_fd, &one, sizeof one) < 0) { /* cannot fail for a fresh eventfd */ }
  }
  for (auto& l : loops_) {
    if (l->thread.joinable()) l->thread.join();
    l->inbox->close();  // channels still held elsewhere now drop their replies
    while (!l->conns.empty()) l->close_conn(*l->conns.begin()->second);
    for (int fd : l->listeners) close(fd);
    close(l->epfd);
    close(l->stop_fd);
  }
  loops_.clear();
}

void TcpServer::Loop::run() {
  std::string name = "namae-tcp" + std::to_string(index);
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
  const uint64_t timeout_ns = static_cast<uint64_t>(server->options_.idle_timeout.count()) * 1000000u;
  epoll_event events[128];
  for (;;) {
    // Sleep until the oldest connection would expire (at most a second).
    int wait_ms = !again.empty() ? 0 : paused_listeners.empty() ? 1000 : 100;
    if (!lru.empty() && wait_ms) {
      uint64_t now = now_ns();
      uint64_t deadline = lru.front()->last_progress + timeout_ns;
      wait_ms = deadline <= now ? 0 : static_cast<int>(std::min<uint64_t>((deadline - now) / 1000000 + 1, static_cast<uint64_t>(wait_ms)));
    }
    int n = epoll_wait(epfd, events, 128, wait_ms);
    if (n < 0 && errno != EINTR) return;
    handler->begin_batch();
    for (int i = 0; i < n; ++i) {
      uint64_t tag = events[i].data.u64;
      if (tag == kStopTag) {
        handler->end_batch();
        return;
      }
      if (tag & kListenTag) {
        accept_all(tag & 0xffff);
        continue;
      }
      if (tag == kInboxTag) {
        deliver();
        continue;
      }
      auto it = conns.find(static_cast<int>(tag));
      if (it != conns.end()) on_event(*it->second, events[i].events);
    }
    run_again();
    handler->end_batch();
    uint64_t now = now_ns();
    expire(now);
    if (!paused_listeners.empty() && now >= resume_listeners_at) {
      for (int lfd : paused_listeners) {
        size_t k = 0;
        while (k < listeners.size() && listeners[k] != lfd) ++k;
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.u64 = kListenTag | k;
        epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev);
      }
      paused_listeners.clear();
    }
  }
}

void TcpServer::Loop::accept_all(size_t k) {
  const int lfd = listeners[k];
  for (;;) {
    sockaddr_storage ss{};
    socklen_t len = sizeof ss;
    int fd = accept4(lfd, reinterpret_cast<sockaddr*>(&ss), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
        // Out of descriptors: a level-triggered listener would spin. Stop
        // watching it for a moment; expire() may free descriptors meanwhile.
        epoll_ctl(epfd, EPOLL_CTL_DEL, lfd, nullptr);
        paused_listeners.push_back(lfd);
        resume_listeners_at = now_ns() + 100 * 1000000ull;
      }
      return;  // EAGAIN, or a transient error retried on the next event
    }
    auto& m = server->metrics_;
    if (conns.size() >= max_connections) {
      // At the limit: make room by dropping the connection that has gone
      // longest without progress, unless it is younger than a tenth of the
      // timeout (then everyone is busy and the newcomer is refused instead).
      Conn* oldest = lru.empty() ? nullptr : lru.front();
      uint64_t timeout_ns = static_cast<uint64_t>(server->options_.idle_timeout.count()) * 1000000u;
      if (oldest && now_ns() - oldest->last_progress >= timeout_ns / 10) {
        close_conn(*oldest);
        m.tcp_idle_closed.fetch_add(1, std::memory_order_relaxed);
      } else {
        // Count before closing, so a client that sees the close also sees the count.
        m.tcp_refused.fetch_add(1, std::memory_order_relaxed);
        close(fd);
        continue;
      }
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    auto c = std::make_unique<Conn>();
    c->fd = fd;
    std::memcpy(&c->peer.addr, &ss, len);
    c->peer.addr_len = len;
    c->peer.tcp = true;
    c->peer.sink = inbox.get();
    c->peer.conn = uint64_t{++generation} << 32 | static_cast<uint32_t>(fd);
    if (server->options_.first_listener)
      c->peer.listener = server->options_.first_listener + static_cast<uint32_t>(k);
    c->peer.local_len = sizeof c->peer.local;
    getsockname(fd, reinterpret_cast<sockaddr*>(&c->peer.local), &c->peer.local_len);
    if (server->options_.tls) {
      c->tls = std::make_unique<TlsStream>(*server->options_.tls, fd);
      if (!c->tls->valid()) {
        close(fd);
        continue;
      }
    }
    if (server->options_.doh) {
      c->doh = DohSession::create(static_cast<uint32_t>(server->options_.max_streams));
      if (!c->doh) {
        close(fd);
        continue;
      }
    }
    c->last_progress = now_ns();
    c->lru = lru.insert(lru.end(), c.get());
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = static_cast<uint64_t>(fd);
    c->events = ev.events;
    epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
    conns.emplace(fd, std::move(c));
    m.tcp_accepted.fetch_add(1, std::memory_order_relaxed);
    m.tcp_connections.fetch_add(1, std::memory_order_relaxed);
    if (auto* t = tls_counters()) {
      t->accepted.fetch_add(1, std::memory_order_relaxed);
      t->open.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

void TcpServer::Loop::on_event(Conn& c, uint32_t ev) {
  if (ev & (EPOLLERR | EPOLLHUP)) {
    close_conn(c);
    return;
  }
  if (ev & EPOLLOUT) {
    if (!flush(c)) return;
    if (!pump(c)) return;  // queries held back by the watermark may go now
  }
  // A TLS read that stopped to write (handshake) resumes when writable.
  bool readable = (ev & (EPOLLIN | EPOLLRDHUP)) || (c.tls && (ev & EPOLLOUT) && c.tls->read_wants_write());
  if (readable && !c.eof && !c.stream && c.pending_out() < server->options_.write_watermark) {
    // One bounded read per event keeps a fast talker from monopolising the loop.
    size_t want = kReadChunk;
    if (c.in_len >= 2 && !c.doh) {
      size_t frame = 2 + (size_t{c.in[0]} << 8 | c.in[1]);
      if (frame > c.in_len) want = std::max(want, frame - c.in_len);
    }
    if (c.in.size() < c.in_len + want) c.in.resize(std::min(c.in_len + want, kFrameMax + kReadChunk));
    long n = io_read(c, c.in.data() + c.in_len, c.in.size() - c.in_len);
    while (n > 0) {
      c.in_len += static_cast<size_t>(n);
      // DoT: the records that came with this one (TLS read-ahead) are read
      // now, within the buffer, so their answers leave in one write. DoH
      // answers stay one request's worth per TLS record: dnsperf's DoH
      // client (2.10) takes one DNS message per SSL_read and loses the rest.
      if (!c.tls || c.doh || !c.tls->has_buffered() || c.in_len == c.in.size()) break;
      n = io_read(c, c.in.data() + c.in_len, c.in.size() - c.in_len);
    }
    if (n == 0) {
      c.eof = true;  // half-close: answer what was sent, then close
    } else if (n == kIoError) {
      close_conn(c);
      return;
    }
    if (!pump(c)) return;
  }
  if (c.finished()) {
    close_conn(c);
    return;
  }
  update_interest(c);
}

void TcpServer::Loop::deliver() {
  for (auto& item : inbox->take()) {
    auto it = conns.find(static_cast<int>(static_cast<uint32_t>(item.conn)));
    if (it == conns.end() || it->second->peer.conn != item.conn) continue;  // closed meanwhile
    Conn& c = *it->second;
    if (!take_item(c, item)) continue;
    // Write now; then read on if the watermark held queries back.
    if (!pump(c)) continue;
    if (c.finished()) {
      close_conn(c);
      continue;
    }
    update_interest(c);
  }
}

// One inbox item into its connection; false if that closed the connection:
// a client whose unsent bytes pass max_unsent has stopped reading what the
// server sends unasked (pushes), which the write watermark cannot pace.
bool TcpServer::Loop::take_item(Conn& c, TcpServer::Inbox::Item& item) {
  using Kind = TcpServer::Inbox::Kind;
  switch (item.kind) {
    case Kind::hold:
      hold(c);
      return true;
    case Kind::close:
      c.eof = true;
      return true;
    case Kind::reply:
      if (c.deferred) --c.deferred;
      break;
    case Kind::unsolicited:
      break;
  }
  if (c.doh) {
    c.doh->respond(item.stream, item.framed);
    if (item.kind == Kind::reply) touch(c, now_ns());  // its stream may close before the write
    if (!c.doh->send(c.out)) c.eof = true;
  } else {
    c.out.insert(c.out.end(), item.framed.begin(), item.framed.end());
  }
  if (c.pending_out() > server->options_.max_unsent) {
    server->metrics_.tcp_slow_closed.fetch_add(1, std::memory_order_relaxed);
    close_conn(c);
    return false;
  }
  return true;
}

void TcpServer::Loop::process_frames(Conn& c) {
  if (c.doh) {
    process_doh(c);
    return;
  }
  size_t pos = 0;
  const size_t watermark = server->options_.write_watermark;
  while (!c.stream && c.in_len - pos >= 2 && c.pending_out() < watermark) {
    size_t len = size_t{c.in[pos]} << 8 | c.in[pos + 1];
    if (len == 0) {  // no DNS message is empty: the stream is garbage
      c.eof = true;
      c.in_len = pos = 0;
      metrics->dropped();
      break;
    }
    if (c.in_len - pos < 2 + len) break;
    std::span<const uint8_t> query(c.in.data() + pos + 2, len);
    pos += 2 + len;
    if (auto* t = tls_counters()) t->queries.fetch_add(1, std::memory_order_relaxed);
    uint64_t t0 = now_ns();
    size_t rlen = handler->handle(query, {scratch.data() + 2, kFrameMax - 2}, c.peer);
    touch(c, now_ns());
    if (rlen == kDeferred) {
      ++c.deferred;  // answered later through the inbox
      continue;
    }
    if (rlen == kStream) {
      c.stream = handler->take_stream();
      if (!c.stream) metrics->dropped();
      pull_stream(c);  // the loop condition holds later queries back meanwhile
      continue;
    }
    if (rlen == 0 || rlen > 65535) {
      metrics->dropped();
      continue;
    }
    record_query(*metrics, query, {scratch.data() + 2, rlen}, true, now_ns() - t0);
    scratch[0] = static_cast<uint8_t>(rlen >> 8);
    scratch[1] = static_cast<uint8_t>(rlen);
    c.out.insert(c.out.end(), scratch.begin(), scratch.begin() + 2 + rlen);
  }
  if (pos) {
    std::memmove(c.in.data(), c.in.data() + pos, c.in_len - pos);
    c.in_len -= pos;
  }
  // Give back a large buffer once a big frame has been consumed.
  if (c.in_len == 0 && c.in.size() > kReadChunk * 2) {
    c.in.clear();
    c.in.shrink_to_fit();
  }
}

// DNS over HTTPS: all buffered bytes go to the HTTP/2 session (its flow
// control bounds them); each complete request is one query for the handler,
// answered on its stream now or, deferred, through the inbox.
void TcpServer::Loop::process_doh(Conn& c) {
  if (c.in_len) {
    if (!c.doh->receive({c.in.data(), c.in_len})) c.eof = true;
    c.in_len = 0;
  }
  for (auto& q : c.doh->take_queries()) answer_doh(c, q.stream, q.message);
  server->metrics_.doh.http_errors.fetch_add(c.doh->take_http_errors(), std::memory_order_relaxed);
  if (!c.doh->send(c.out) || c.doh->done()) c.eof = true;
  if (c.in.size() > kReadChunk * 2) {
    c.in.clear();
    c.in.shrink_to_fit();
  }
}

void TcpServer::Loop::answer_doh(Conn& c, int32_t stream, std::span<const uint8_t> query) {
  Peer peer = c.peer;
  peer.stream = stream;
  server->metrics_.doh.queries.fetch_add(1, std::memory_order_relaxed);
  uint64_t t0 = now_ns();
  size_t rlen = handler->handle(query, {scratch.data(), kFrameMax - 2}, peer);
  touch(c, now_ns());
  if (rlen == kDeferred) {
    ++c.deferred;
    return;
  }
  if (rlen == kStream) handler->take_stream();  // a multi-message answer has no HTTP form
  if (rlen == 0 || rlen > 65535) {
    metrics->dropped();
    c.doh->refuse(stream, 400);  // not a query this server answers (e.g. a response)
    return;
  }
  record_query(*metrics, query, {scratch.data(), rlen}, true, now_ns() - t0);
  c.doh->respond(stream, {scratch.data(), rlen});
}

// Frames the stream's next messages into the write buffer until the unsent
// bytes reach the watermark (flow control: the client's reading paces the
// stream) or the stream ends.
void TcpServer::Loop::pull_stream(Conn& c) {
  const size_t watermark = server->options_.write_watermark;
  while (c.stream && c.pending_out() < watermark) {
    size_t len = c.stream->next({scratch.data() + 2, kFrameMax - 2});
    if (len == 0 || len > 65535) {
      c.stream.reset();
      break;
    }
    scratch[0] = static_cast<uint8_t>(len >> 8);
    scratch[1] = static_cast<uint8_t>(len);
    c.out.insert(c.out.end(), scratch.begin(), scratch.begin() + 2 + len);
  }
}

// Answer buffered queries and write, until the buffer holds no complete
// query or the client's unsent answers reach the watermark. Buffered frames
// must be drained here: epoll only reports new bytes on the socket. A stream
// gets one fill per call, so one fast transfer cannot monopolise the loop:
// EPOLLOUT stays armed while it lasts and brings the loop back.
bool TcpServer::Loop::pump(Conn& c) {
  const size_t watermark = server->options_.write_watermark;
  if (c.stream) {
    pull_stream(c);
    if (!flush(c)) return false;
    if (c.stream) return true;
  }
  do {
    process_frames(c);
    if (!flush(c)) return false;
  } while (!c.stream && has_frame(c) && c.pending_out() < watermark);
  return true;
}

bool TcpServer::Loop::flush(Conn& c) {
  while (c.pending_out()) {
    long n = io_write(c, c.out.data() + c.out_off, c.pending_out());
    if (n > 0) {
      c.out_off += static_cast<size_t>(n);
      // Written bytes are progress for answers; HTTP/2's own frames (a PING
      // client's ACKs) with no request open are not.
      if (!c.doh || c.doh->has_streams()) touch(c, now_ns());
    } else if (n == kWouldBlock) {
      break;
    } else {
      close_conn(c);
      return false;
    }
  }
  if (c.out_off == c.out.size()) {
    c.out.clear();
    c.out_off = 0;
    if (c.out.capacity() > 4 * server->options_.write_watermark) c.out.shrink_to_fit();
  } else if (c.out_off > c.out.size() / 2) {
    c.out.erase(c.out.begin(), c.out.begin() + static_cast<ptrdiff_t>(c.out_off));
    c.out_off = 0;
  }
  return true;
}

void TcpServer::Loop::update_interest(Conn& c) {
  uint32_t want = 0;
  // While a stream lasts, reading waits (its queries could not be answered yet).
  if (!c.eof && !c.stream && c.pending_out() < server->options_.write_watermark)
    want |= EPOLLIN | EPOLLRDHUP;
  // Unsent bytes that wait for the handshake to finish wait for EPOLLIN: the
  // read finishes it and pump() flushes (EPOLLOUT would fire at once, a spin
  // for as long as the client keeps its Finished back).
  bool out_blocked = c.tls && c.tls->write_wants_read();
  if ((c.pending_out() && !out_blocked) || c.stream || (c.tls && c.tls->read_wants_write())) want |= EPOLLOUT;
  if ((want & EPOLLIN) && c.tls && c.tls->has_buffered()) again.push_back(c.peer.conn);
  if (want == c.events) return;
  epoll_event ev{};
  ev.events = want;
  ev.data.u64 = static_cast<uint64_t>(c.fd);
  epoll_ctl(epfd, EPOLL_CTL_MOD, c.fd, &ev);
  c.events = want;
}

long TcpServer::Loop::io_read(Conn& c, uint8_t* buf, size_t len) {
  if (c.tls) {
    long n = c.tls->read(buf, len);
    return n >= 0 ? n : n == TlsStream::kError ? kIoError : kWouldBlock;
  }
  for (;;) {
    ssize_t n = read(c.fd, buf, len);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK ? kWouldBlock : kIoError;
  }
}

long TcpServer::Loop::io_write(Conn& c, const uint8_t* buf, size_t len) {
  if (c.tls) {
    long n = c.tls->write(buf, len);
    return n > 0 ? n : n == TlsStream::kError ? kIoError : kWouldBlock;
  }
  for (;;) {
    ssize_t n = send(c.fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) return n;
    if (n < 0 && errno == EINTR) continue;
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) ? kWouldBlock : kIoError;
  }
}

// Connections whose decrypted bytes wait inside OpenSSL: read on as if the
// socket had signalled (the id check skips connections closed meanwhile).
void TcpServer::Loop::run_again() {
  if (again.empty()) return;
  std::vector<uint64_t> ids;
  ids.swap(again);
  for (uint64_t id : ids) {
    auto it = conns.find(static_cast<int>(static_cast<uint32_t>(id)));
    if (it != conns.end() && it->second->peer.conn == id) on_event(*it->second, EPOLLIN);
  }
}

void TcpServer::Loop::expire(uint64_t now) {
  const uint64_t timeout_ns = static_cast<uint64_t>(server->options_.idle_timeout.count()) * 1000000u;
  auto& m = server->metrics_;
  while (!lru.empty() && now - lru.front()->last_progress >= timeout_ns) {
    Conn& c = *lru.front();
    // A connection with answers queued and no write progress is a client that
    // does not read; one with nothing queued is merely idle (or half-open).
    (c.pending_out() ? m.tcp_slow_closed : m.tcp_idle_closed).fetch_add(1, std::memory_order_relaxed);
    close_conn(c);
  }
}

}  // namespace namae::net
