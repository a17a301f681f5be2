#include "base/clock.h"

#include <time.h>

namespace namae {

int64_t SystemClock::now_ms() const {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1'000'000;
}

int64_t SystemClock::unix_time() const {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec);
}

const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

}  // namespace namae
