// The secondaries of one server and the thread that runs them: it sleeps
// until the earliest secondary's next event (refresh, retry, expiry) or
// until NOTIFY or `namae ctl` wakes it, then ticks the ones that are due.
// One thread for every secondary zone: transfers run one at a time.
// Zones may come and go while it runs (catalog members, RFC 9432): the
// list is copied under the lock for each round, and find() hands out
// shared_ptrs, so a zone removed meanwhile stays alive until the last user
// lets go; remove() retires it first, so that user does no more work.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <span>
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

  /// Add a zone and load its saved copy (Secondary::load), before or after
  /// start(); a running thread checks it with its primaries at once. An
  /// origin already here is an error. Not under the lock while loading:
  /// the load publishes, and the publish may add further zones (a catalog's
  /// members).
  Result<void> add(SecondaryConfig config, SecondaryHooks hooks, bool forward_updates);
  /// Take `origin` out and retire it (Secondary::retire): its files may be
  /// deleted once this returns. Not from `origin`'s own hooks. Returns the
  /// retired secondary (nullptr if there was none).
  std::shared_ptr<Secondary> remove(const dns::Name& origin);
  void start();
  void stop();

  /// The secondary for `origin`, or nullptr.
  std::shared_ptr<Secondary> find(const dns::Name& origin) const;
  /// The journal of `origin`'s received IXFR steps (Secondary::journal), for
  /// IXFR out of this secondary; nullptr when `origin` is not a secondary
  /// (or was retired). Safe from any thread.
  std::shared_ptr<const update::Journal> journal(const dns::Name& origin) const;
  /// Whether UPDATEs to `origin` go on to its primary (RFC 2136 6).
  bool forwards_updates(const dns::Name& origin) const;
  /// Every secondary's primaries with their keys taken from `keys` anew
  /// (xfr::rekey; a live reconfiguration changed a secret). One line per
  /// zone whose key is gone (it keeps the old one).
  std::vector<std::string> rekey(std::span<const dns::TsigKey> keys);
  /// A NOTIFY (already checked) asks for a check of `origin` now.
  void notify(const dns::Name& origin);

  /// `namae ctl zone status|refresh|retransfer NAME`: the reply text ("ok
  /// ..." or "error: ...").
  std::string control(std::string_view verb, std::string_view zone);
  /// Prometheus text of the per-zone transfer metrics.
  std::string metrics() const;

 private:
  struct Zone {
    std::shared_ptr<Secondary> secondary;
    bool forward_updates = false;
  };
  void run();
  void wake();
  std::vector<Zone> zones() const;  // a copy of the list, taken under the lock

  Fetcher& fetcher_;
  const Clock& clock_;
  LogSink log_;
  std::vector<Zone> zones_;  // guarded by mu_
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool woken_ = false;
  std::thread thread_;
};

/// One secondary's status as `namae ctl zone status` prints it.
std::string status_text(const dns::Name& origin, const SecondaryStatus& s, int64_t now);

}  // namespace namae::xfr
