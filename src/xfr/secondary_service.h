// The secondaries of one server and the thread that runs them: it sleeps
// until the earliest secondary's next event (refresh, retry, expiry) or
// until NOTIFY or `namae ctl` wakes it, then ticks the ones that are due.
// One thread for every secondary zone: transfers run one at a time.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "base/log.h"
#include "xfr/secondary.h"

namespace namae::xfr {

class SecondaryService {
 public:
  SecondaryService(Fetcher& fetcher, const Clock& clock, LogSink log = {});
  ~SecondaryService();

  /// Add a zone and load its saved copy (Secondary::load). Before start().
  Result<void> add(SecondaryConfig config, SecondaryHooks hooks, bool forward_updates);
  void start();
  void stop();

  /// The secondary for `origin`, or nullptr.
  Secondary* find(const dns::Name& origin) const;
  /// The journal of `origin`'s received IXFR steps (Secondary::journal), for
  /// IXFR out of this secondary; nullptr when `origin` is not a secondary.
  /// Safe from any thread once started (the zone list is fixed by then).
  std::shared_ptr<const update::Journal> journal(const dns::Name& origin) const;
  /// Whether UPDATEs to `origin` go on to its primary (RFC 2136 6).
  bool forwards_updates(const dns::Name& origin) const;
  /// A NOTIFY (already checked) asks for a check of `origin` now.
  void notify(const dns::Name& origin);

  /// `namae ctl zone status|refresh|retransfer NAME`: the reply text ("ok
  /// ..." or "error: ...").
  std::string control(std::string_view verb, std::string_view zone);
  /// Prometheus text of the per-zone transfer metrics.
  std::string metrics() const;

 private:
  struct Zone {
    std::unique_ptr<Secondary> secondary;
    bool forward_updates = false;
  };
  void run();
  void wake();

  Fetcher& fetcher_;
  const Clock& clock_;
  LogSink log_;
  std::vector<Zone> zones_;  // fixed once started
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool woken_ = false;
  std::thread thread_;
};

/// One secondary's status as `namae ctl zone status` prints it.
std::string status_text(const dns::Name& origin, const SecondaryStatus& s, int64_t now);

}  // namespace namae::xfr
