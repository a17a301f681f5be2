// The Notifier (notifier.h) on real sockets: one UDP socket per address
// family on an ephemeral port, and one thread that reads answers and runs
// the retry timers. Publishers call zone_changed() from any thread; it only
// queues work under a mutex and wakes the thread.
//
// Versions published before start() are held, not sent: namaed loads its
// zones (and tells this service about them) before its listeners open, and
// a secondary answers a NOTIFY with an SOA query or IXFR at once (RFC 1996:
// as if its refresh timer had expired), which would find nobody listening.
// start() comes after the listeners and sends what was held (the newest
// version of each zone).
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "xfr/notifier.h"

namespace namae::xfr {

class NotifyService {
 public:
  NotifyService(NotifyOptions options, net::MetricsRegistry* metrics, LogSink log);
  ~NotifyService();
  NotifyService(const NotifyService&) = delete;
  NotifyService& operator=(const NotifyService&) = delete;

  /// Targets of `zone` (set before start(), or any time after).
  void set_targets(const dns::Name& zone, std::vector<Remote> targets);
  /// Open the sockets, start the thread and send the NOTIFYs held until now.
  Result<void> start();
  /// Stop the thread (NOTIFYs still in flight are dropped) and close the sockets.
  void stop();
  /// Notify the targets of `v`'s zone (a new version; `force` for `ctl zone
  /// notify`, see Notifier::zone_changed). Returns the number of targets
  /// (0: the zone has none).
  size_t zone_changed(const zone::ZoneVersion& v, bool force = false);
  bool has_targets(const dns::Name& zone) const;
  /// NOTIFYs in flight, for status.
  size_t in_flight() const;

 private:
  class Sink;
  void run();
  void read_socket(int fd);
  void wake();
  size_t hold(const zone::ZoneVersion& v, bool force);  // under mu_

  mutable std::mutex mu_;
  std::unique_ptr<Sink> sink_;
  Notifier notifier_;  // guarded by mu_
  struct Held {
    dns::Name zone;
    dns::Record soa;
    bool force = false;
  };
  std::vector<Held> held_;  // guarded by mu_: published before start(), newest per zone
  bool started_ = false;    // guarded by mu_
  int fd4_ = -1, fd6_ = -1, wake_fd_ = -1;
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace namae::xfr
