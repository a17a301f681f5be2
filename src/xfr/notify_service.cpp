#include "xfr/notify_service.h"

#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "net/signed_exchange.h"

namespace namae::xfr {

// Sends on the socket of the target's family; a full socket buffer or an
// unreachable target is left to the retry timer.
class NotifyService::Sink final : public NotifySink {
 public:
  explicit Sink(NotifyService& s) : s_(s) {}
  void send(const net::Endpoint& to, std::span<const uint8_t> wire) override {
    int fd = to.family() == AF_INET6 ? s_.fd6_ : s_.fd4_;
    if (fd < 0) return;
    (void)::sendto(fd, wire.data(), wire.size(), MSG_DONTWAIT, reinterpret_cast<const sockaddr*>(&to.addr),
                   to.len);
  }

 private:
  NotifyService& s_;
};

NotifyService::NotifyService(NotifyOptions options, net::MetricsRegistry* metrics, LogSink log)
    : sink_(std::make_unique<Sink>(*this)),
      notifier_(system_clock(), *sink_, options, [] { return net::random_message_id(); }, std::move(log)) {
  notifier_.set_metrics(metrics);
}

NotifyService::~NotifyService() { stop(); }

void NotifyService::set_targets(const dns::Name& zone, std::vector<Remote> targets) {
  std::lock_guard lock(mu_);
  notifier_.set_targets(zone, std::move(targets));
}

bool NotifyService::has_targets(const dns::Name& zone) const {
  std::lock_guard lock(mu_);
  return notifier_.has_targets(zone);
}

size_t NotifyService::in_flight() const {
  std::lock_guard lock(mu_);
  return notifier_.in_flight();
}

Result<void> NotifyService::start() {
  fd4_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  fd6_ = ::socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);  // may fail without IPv6
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (fd4_ < 0 && fd6_ < 0) return fail(std::string("NOTIFY socket: ") + std::strerror(errno));
  if (wake_fd_ < 0) return fail(std::string("NOTIFY eventfd: ") + std::strerror(errno));
  running_ = true;
  thread_ = std::thread([this] { run(); });
  {
    std::lock_guard lock(mu_);
    started_ = true;
    for (const auto& h : held_) notifier_.zone_changed(h.zone, h.soa, h.force);
    held_.clear();
  }
  wake();
  return {};
}

void NotifyService::stop() {
  if (running_.exchange(false)) {
    wake();
    thread_.join();
  }
  for (int* fd : {&fd4_, &fd6_, &wake_fd_})
    if (*fd >= 0) ::close(std::exchange(*fd, -1));
}

size_t NotifyService::zone_changed(const zone::ZoneVersion& v, bool force) {
  size_t n;
  {
    std::lock_guard lock(mu_);
    if (!notifier_.has_targets(v.origin())) return 0;
    if (!started_) return hold(v, force);
    n = notifier_.zone_changed(v.origin(), soa_record(v), force);
  }
  wake();  // the thread recomputes its next timer
  return n;
}

// Before start(): keep the newest version of each zone for start() to send.
size_t NotifyService::hold(const zone::ZoneVersion& v, bool force) {
  auto it = std::find_if(held_.begin(), held_.end(), [&](const Held& h) { return h.zone == v.origin(); });
  if (it == held_.end()) it = held_.insert(held_.end(), Held{v.origin(), {}, false});
  it->soa = soa_record(v);
  it->force = it->force || force;
  return notifier_.target_count(v.origin());
}

void NotifyService::wake() {
  uint64_t one = 1;
  if (wake_fd_ >= 0 && ::write(wake_fd_, &one, sizeof one) < 0) { /* already signalled */ }
}

void NotifyService::read_socket(int fd) {
  uint8_t buf[4096];
  for (;;) {
    net::Endpoint from;
    from.len = sizeof from.addr;
    ssize_t n = ::recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, reinterpret_cast<sockaddr*>(&from.addr), &from.len);
    if (n < 0) return;
    std::lock_guard lock(mu_);
    notifier_.receive({buf, static_cast<size_t>(n)}, from);
  }
}

void NotifyService::run() {
  while (running_) {
    int timeout = -1;
    {
      std::lock_guard lock(mu_);
      notifier_.tick();
      if (auto next = notifier_.next_timer())
        timeout = static_cast<int>(std::max<int64_t>(0, *next - system_clock().now_ms()) + 1);
    }
    pollfd fds[3] = {{wake_fd_, POLLIN, 0}, {fd4_, POLLIN, 0}, {fd6_, POLLIN, 0}};
    if (::poll(fds, 3, timeout) < 0 && errno != EINTR) return;
    if (fds[0].revents) {
      uint64_t count;
      (void)!::read(wake_fd_, &count, sizeof count);
    }
    if (fd4_ >= 0 && fds[1].revents) read_socket(fd4_);
    if (fd6_ >= 0 && fds[2].revents) read_socket(fd6_);
  }
}

}  // namespace namae::xfr
