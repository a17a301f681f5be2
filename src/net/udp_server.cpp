#include "net/udp_server.h"

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <shared_mutex>
#include <string>

namespace namae::net {
namespace {

constexpr size_t kDatagramMax = 65535;
// Room for one IP_PKTINFO or IPV6_PKTINFO control message either way.
constexpr size_t kControlSize = CMSG_SPACE(sizeof(in6_pktinfo)) > CMSG_SPACE(sizeof(in_pktinfo))
                                    ? CMSG_SPACE(sizeof(in6_pktinfo))
                                    : CMSG_SPACE(sizeof(in_pktinfo));

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000u + static_cast<uint64_t>(ts.tv_nsec);
}

std::string errno_text(const char* what, const Endpoint& ep) {
  return std::string(what) + " " + ep.to_string() + ": " + std::strerror(errno);
}

// Fill `c` (kControlSize bytes) with the packet-info message that sources a
// reply from `local`; returns the control length to use (0: none).
size_t source_control(uint8_t* c_buf, const sockaddr_storage& local, socklen_t local_len) {
  msghdr o{};
  o.msg_control = c_buf;
  o.msg_controllen = kControlSize;
  std::memset(c_buf, 0, kControlSize);
  cmsghdr* c = CMSG_FIRSTHDR(&o);
  if (local.ss_family == AF_INET && local_len >= sizeof(sockaddr_in)) {
    in_pktinfo pi{};
    pi.ipi_spec_dst = reinterpret_cast<const sockaddr_in*>(&local)->sin_addr;
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof pi);
    std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
    return CMSG_SPACE(sizeof pi);
  }
  if (local.ss_family == AF_INET6 && local_len >= sizeof(sockaddr_in6)) {
    in6_pktinfo pi{};
    pi.ipi6_addr = reinterpret_cast<const sockaddr_in6*>(&local)->sin6_addr;
    pi.ipi6_ifindex = reinterpret_cast<const sockaddr_in6*>(&local)->sin6_scope_id;
    c->cmsg_level = IPPROTO_IPV6;
    c->cmsg_type = IPV6_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof pi);
    std::memcpy(CMSG_DATA(c), &pi, sizeof pi);
    return CMSG_SPACE(sizeof pi);
  }
  return 0;
}

// Where the datagram arrived (IP_PKTINFO / IPV6_PKTINFO): a reply must come
// from that address, and listeners are told apart by it.
void read_local_address(const msghdr& h, Peer& peer) {
  for (cmsghdr* c = CMSG_FIRSTHDR(&h); c; c = CMSG_NXTHDR(const_cast<msghdr*>(&h), c)) {
    if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      auto* pi = reinterpret_cast<const in_pktinfo*>(CMSG_DATA(c));
      auto* l = reinterpret_cast<sockaddr_in*>(&peer.local);
      l->sin_family = AF_INET;
      l->sin_addr = pi->ipi_addr;
      peer.local_len = sizeof(sockaddr_in);
    } else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      auto* pi = reinterpret_cast<const in6_pktinfo*>(CMSG_DATA(c));
      auto* l = reinterpret_cast<sockaddr_in6*>(&peer.local);
      l->sin6_family = AF_INET6;
      l->sin6_addr = pi->ipi6_addr;
      l->sin6_scope_id = pi->ipi6_ifindex;
      peer.local_len = sizeof(sockaddr_in6);
    }
  }
}

void send_batch(int fd, mmsghdr* msgs, size_t n) {
  size_t sent = 0;
  while (sent < n) {
    int got = sendmmsg(fd, msgs + sent, static_cast<unsigned>(n - sent), 0);
    if (got > 0) {
      sent += static_cast<size_t>(got);
    } else if (got < 0 && errno == EINTR) {
      continue;
    } else if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      // Send buffer full: wait briefly for room rather than dropping the batch.
      pollfd p{fd, POLLOUT, 0};
      if (poll(&p, 1, 100) <= 0) return;
    } else {
      // This datagram cannot be sent (e.g. unreachable peer); skip it, keep the rest.
      ++sent;
    }
  }
}

}  // namespace

// Deferred replies on one socket. It owns the descriptor, so a late reply can
// never go out on a closed (or reused) descriptor: close() and send() are
// ordered by the lock. UDP sendmsg on one socket from several threads is safe.
class UdpServer::Sink : public ReplySink {
 public:
  Sink(int fd, bool wildcard) : fd_(fd), wildcard_(wildcard) {}
  ~Sink() override { close_fd(); }
  int fd() const { return fd_; }
  void close_fd() {
    std::unique_lock lk(mu_);
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }
  bool send(const Peer& to, std::span<const uint8_t> response) override {
    std::shared_lock lk(mu_);
    if (fd_ < 0 || to.tcp || to.addr_len == 0) return false;
    iovec iov{const_cast<uint8_t*>(response.data()), response.size()};
    alignas(cmsghdr) uint8_t ctl[kControlSize];
    msghdr m{};
    m.msg_name = const_cast<sockaddr_storage*>(&to.addr);
    m.msg_namelen = to.addr_len;
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    if (wildcard_ && to.local_len) {
      m.msg_controllen = source_control(ctl, to.local, to.local_len);
      if (m.msg_controllen) m.msg_control = ctl;
    }
    for (int tries = 0; tries < 20; ++tries) {
      if (sendmsg(fd_, &m, MSG_DONTWAIT) >= 0) return true;
      if (errno == EINTR) continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
      // Send buffer full: wait briefly for room, as the workers do.
      pollfd p{fd_, POLLOUT, 0};
      if (poll(&p, 1, 100) <= 0) return false;
    }
    return false;
  }

 private:
  std::shared_mutex mu_;
  int fd_;
  const bool wildcard_;
};

bool is_wildcard(const Endpoint& ep) {
  if (ep.family() == AF_INET)
    return reinterpret_cast<const sockaddr_in*>(&ep.addr)->sin_addr.s_addr == htonl(INADDR_ANY);
  if (ep.family() == AF_INET6)
    return IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const sockaddr_in6*>(&ep.addr)->sin6_addr);
  return false;
}

Result<int> open_udp_socket(const Endpoint& ep, int rcvbuf, int sndbuf) {
  int fd = socket(ep.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return fail(errno_text("socket for", ep));
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
  if (rcvbuf > 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  if (sndbuf > 0) setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  if (ep.family() == AF_INET6) {
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof one);
    // Let the kernel fragment large answers rather than drop them (as NSD and Knot do).
    int pmtu = IPV6_PMTUDISC_OMIT;
    setsockopt(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &pmtu, sizeof pmtu);
  } else {
    setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof one);
    int pmtu = IP_PMTUDISC_OMIT;
    setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof pmtu);
  }
  if (bind(fd, reinterpret_cast<const sockaddr*>(&ep.addr), ep.len) != 0) {
    auto err = errno_text("bind udp", ep);
    close(fd);
    return fail(err);
  }
  return fd;
}

// Everything one worker owns: its sockets, its handler and its buffers, all
// allocated once before the thread starts.
struct UdpServer::Worker {
  unsigned index = 0;
  std::vector<int> fds;
  std::vector<bool> wildcard;
  std::vector<std::shared_ptr<Sink>> sinks;  // own fds; one per socket
  std::unique_ptr<QueryHandler> handler;
  WorkerMetrics* metrics = nullptr;
  std::thread thread;

  size_t batch = 0;
  std::unique_ptr<uint8_t[]> in_buf, out_buf;
  std::vector<mmsghdr> in_msgs, out_msgs;
  std::vector<iovec> in_iov, out_iov;
  std::vector<sockaddr_storage> peers;
  std::vector<std::array<uint8_t, kControlSize>> in_ctl, out_ctl;

  void allocate(size_t n) {
    batch = n;
    // Uninitialised: pages are only touched as datagrams land in them.
    in_buf.reset(new uint8_t[n * kDatagramMax]);
    out_buf.reset(new uint8_t[n * kDatagramMax]);
    in_msgs.resize(n);
    out_msgs.resize(n);
    in_iov.resize(n);
    out_iov.resize(n);
    peers.resize(n);
    in_ctl.resize(n);
    out_ctl.resize(n);
  }
  uint8_t* in(size_t i) { return in_buf.get() + i * kDatagramMax; }
  uint8_t* out(size_t i) { return out_buf.get() + i * kDatagramMax; }
};

UdpServer::UdpServer(UdpOptions options, HandlerFactory factory, MetricsRegistry& metrics)
    : options_(std::move(options)), factory_(std::move(factory)), metrics_(metrics) {}

UdpServer::~UdpServer() { stop(); }

Result<void> UdpServer::start() {
  unsigned n = options_.workers ? options_.workers : std::max(1u, std::thread::hardware_concurrency());
  if (options_.batch == 0) options_.batch = 1;
  bound_ = options_.listen;
  std::vector<std::unique_ptr<Worker>> workers;
  auto close_all = [&] {
    for (auto& w : workers)
      for (auto& sink : w->sinks) sink->close_fd();
  };
  for (unsigned i = 0; i < n; ++i) {
    auto w = std::make_unique<Worker>();
    w->index = i;
    for (size_t a = 0; a < bound_.size(); ++a) {
      auto fd = open_udp_socket(bound_[a], options_.receive_buffer, options_.send_buffer);
      if (!fd) {
        for (auto& sink : w->sinks) sink->close_fd();
        close_all();
        return fd.error();
      }
      if (i == 0 && bound_[a].port() == 0) {
        // Port 0: the first worker's socket picks the port, the others join it.
        bound_[a].len = sizeof(bound_[a].addr);
        getsockname(*fd, reinterpret_cast<sockaddr*>(&bound_[a].addr), &bound_[a].len);
      }
      w->fds.push_back(*fd);
      w->wildcard.push_back(is_wildcard(bound_[a]));
      w->sinks.push_back(std::make_shared<Sink>(*fd, w->wildcard.back()));
    }
    workers.push_back(std::move(w));
  }
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  for (auto& w : workers) {
    w->metrics = metrics_.add_worker();
    w->handler = factory_(w->metrics);
    w->allocate(options_.batch);
  }
  workers_ = std::move(workers);
  for (auto& w : workers_) w->thread = std::thread([this, wp = w.get()] { run(*wp); });
  return {};
}

void UdpServer::stop() {
  if (stop_fd_ < 0) return;
  uint64_t one = 1;
  if (write(stop_fd_, &one, sizeof one) < 0) { /* eventfd write cannot fail short of EAGAIN at 2^64 */ }
  for (auto& w : workers_) {
    if (w->thread.joinable()) w->thread.join();
    // Through the sinks: a deferred reply in flight on another thread either
    // goes out before the close or finds the socket closed.
    for (auto& sink : w->sinks) sink->close_fd();
  }
  workers_.clear();
  close(stop_fd_);
  stop_fd_ = -1;
}

void UdpServer::run(Worker& w) {
  std::string name = "namae-udp" + std::to_string(w.index);
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
  if (options_.fibers) return run_fibers(w);

  std::vector<pollfd> pfds;
  for (int fd : w.fds) pfds.push_back({fd, POLLIN, 0});
  pfds.push_back({stop_fd_, POLLIN, 0});
  const size_t nsock = w.fds.size();
  for (;;) {
    int r = poll(pfds.data(), pfds.size(), -1);
    if (r < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (pfds[nsock].revents) return;
    for (size_t s = 0; s < nsock; ++s)
      if (pfds[s].revents) drain(w, s);
  }
}

// The same batches, driven by the worker's FiberLoop: the handler's
// deferred queries run as fibers between them, on this thread.
void UdpServer::run_fibers(Worker& w) {
  FiberLoop loop(*options_.fibers);
  for (size_t s = 0; s < w.fds.size(); ++s) loop.watch(w.fds[s], [this, &w, s] { drain(w, s); });
  loop.watch(stop_fd_, [&loop] { loop.request_stop(); });
  loop.run_here();
}

// Drain the socket in batches; go back to poll only when it is empty, so a
// busy worker makes one syscall per batch, not per datagram.
void UdpServer::drain(Worker& w, size_t s) {
  for (;;) {
    int got = receive_batch(w, w.fds[s]);
    if (got <= 0) return;
    w.handler->begin_batch();
    size_t nout = 0;
    for (int i = 0; i < got; ++i)
      if (answer(w, s, static_cast<size_t>(i), nout)) ++nout;
    w.handler->end_batch();
    send_batch(w.fds[s], w.out_msgs.data(), nout);
    if (static_cast<size_t>(got) < w.batch) return;
  }
}

int UdpServer::receive_batch(Worker& w, int fd) {
  for (size_t i = 0; i < w.batch; ++i) {
    w.in_iov[i] = {w.in(i), kDatagramMax};
    msghdr& h = w.in_msgs[i].msg_hdr;
    h.msg_name = &w.peers[i];
    h.msg_namelen = sizeof(sockaddr_storage);
    h.msg_iov = &w.in_iov[i];
    h.msg_iovlen = 1;
    h.msg_control = w.in_ctl[i].data();
    h.msg_controllen = kControlSize;
    h.msg_flags = 0;
    w.in_msgs[i].msg_len = 0;
  }
  return recvmmsg(fd, w.in_msgs.data(), static_cast<unsigned>(w.batch), MSG_DONTWAIT, nullptr);
}

// Datagram `i` of the batch: its answer goes to out slot `nout`, sourced
// from the address the query was sent to (a wildcard socket has many).
// False: nothing to send now (dropped, or deferred to peer.channel()).
bool UdpServer::answer(Worker& w, size_t s, size_t i, size_t nout) {
  const msghdr& h = w.in_msgs[i].msg_hdr;
  Peer peer;
  std::memcpy(&peer.addr, &w.peers[i], h.msg_namelen);
  peer.addr_len = h.msg_namelen;
  peer.tcp = false;
  peer.sink = w.sinks[s].get();
  if (options_.first_listener) peer.listener = options_.first_listener + static_cast<uint32_t>(s);
  read_local_address(h, peer);

  std::span<const uint8_t> query(w.in(i), w.in_msgs[i].msg_len);
  if (h.msg_flags & MSG_TRUNC) query = query.first(0);  // larger than any DNS message
  uint64_t t0 = now_ns();
  size_t len = query.empty() ? 0 : w.handler->handle(query, {w.out(nout), kDatagramMax}, peer);
  if (len == kDeferred) return false;
  if (len == kStream) (void)w.handler->take_stream();  // UDP never streams: dropped
  if (len == 0 || len > kDatagramMax) {
    w.metrics->dropped();
    return false;
  }
  record_query(*w.metrics, query, {w.out(nout), len}, false, now_ns() - t0);

  w.out_iov[nout] = {w.out(nout), len};
  msghdr& o = w.out_msgs[nout].msg_hdr;
  o = {};
  o.msg_name = &w.peers[i];
  o.msg_namelen = h.msg_namelen;
  o.msg_iov = &w.out_iov[nout];
  o.msg_iovlen = 1;
  if (w.wildcard[s] && peer.local_len) {
    o.msg_controllen = source_control(w.out_ctl[nout].data(), peer.local, peer.local_len);
    if (o.msg_controllen) o.msg_control = w.out_ctl[nout].data();
  }
  return true;
}

}  // namespace namae::net
