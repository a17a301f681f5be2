// Maintenance of the dynamic zones, on its own thread (start/stop) or when
// called: leases that ran out (RFC 9664) are removed through the zone's
// writer as one journaled update per zone, zones changed since their last
// write go back to their files, and each journal is compacted up to the
// file just written (keeping journal-keep entries for IXFR).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "base/result.h"
#include "update/context.h"
#include "update/writer.h"

namespace namae::update {

class Maintenance {
 public:
  explicit Maintenance(ServiceContext& ctx) : ctx_(ctx) {}
  ~Maintenance() { stop(); }
  Maintenance(const Maintenance&) = delete;
  Maintenance& operator=(const Maintenance&) = delete;

  /// Look after `zone`, whose file holds serial `file_serial` now. Before start().
  void add_zone(ZoneWriter& zone, uint32_t file_serial);
  /// Stop looking after `zone` (removed by a reconfiguration) after writing
  /// it to its file one last time (the error of that write, if any).
  Result<void> remove_zone(ZoneWriter& zone);

  /// Remove every RR whose lease ended at or before `now`. Returns the
  /// number of leases ended.
  size_t expire(int64_t now);
  /// Renew the RRSIGs of signed zones that come due by `now` (ZoneWriter::
  /// refresh_signatures). Returns the zones that changed.
  size_t refresh_signatures(int64_t now);
  /// Write zones changed since their last write (all when `force`, else
  /// those whose file-sync-interval has passed), then compact their journals.
  Result<void> sync_files(bool force);
  /// The serial last written to `zone`'s file.
  uint32_t file_serial(const ZoneWriter& zone) const;

  /// Run expire(), refresh_signatures() and sync_files(false) every second on a thread.
  void start();
  void stop();

 private:
  struct ZoneFile {
    ZoneWriter* zone = nullptr;
    std::mutex mu;  // one write at a time; guards written_at
    std::atomic<uint32_t> written_serial{0};
    int64_t written_at = 0;
  };
  // Write one zone's file and compact its journal if it is due; errors appended to `errors`.
  void sync_file(ZoneFile& f, bool force, int64_t now, std::string& errors);

  ServiceContext& ctx_;
  // Changed by add_zone/remove_zone while the thread runs; held while a
  // pass walks it (a removal waits for the write in progress).
  mutable std::mutex files_mu_;
  std::vector<std::unique_ptr<ZoneFile>> files_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace namae::update
