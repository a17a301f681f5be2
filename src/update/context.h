// What the parts of UpdateService share: the request side (request.h), the
// zone writers (writer.h) and maintenance (maintenance.h) all read the same
// clock, log through the same sink, publish through the same Publisher and
// count into the same counters.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "base/clock.h"
#include "base/log.h"
#include "update/service.h"

namespace namae::update {

struct ServiceContext {
  ServiceContext(const Clock& c, Publisher p, LogSink l)
      : clock(c), publish(std::move(p)), log(std::move(l)) {}

  const Clock& clock;  // unix_time(): lease expiry, TSIG time, file sync intervals
  Publisher publish;
  LogSink log;
  std::atomic<uint64_t> received{0}, applied{0}, refused{0}, failed{0}, commits{0}, expired{0};

  void say(LogLevel level, const std::string& message) const { log_to(log, level, message); }
  static void count(std::atomic<uint64_t>& counter, uint64_t n = 1) {
    counter.fetch_add(n, std::memory_order_relaxed);
  }
  UpdateStats stats() const {
    UpdateStats s;
    s.received = received.load();
    s.applied = applied.load();
    s.refused = refused.load();
    s.failed = failed.load();
    s.commits = commits.load();
    s.expired = expired.load();
    return s;
  }
};

}  // namespace namae::update
