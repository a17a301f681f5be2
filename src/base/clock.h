// The one clock interface. Code that counts time down (TTLs, timeouts, leases,
// rate windows, TSIG time) reads it through a Clock so tests can use FakeClock.
#pragma once

#include <atomic>
#include <cstdint>

namespace namae {

class Clock {
 public:
  virtual ~Clock() = default;
  /// Milliseconds on a monotonic clock: timeouts, TTLs, rate windows.
  virtual int64_t now_ms() const = 0;
  /// Seconds since the Unix epoch: leases, TSIG time signed, signature validity.
  virtual int64_t unix_time() const = 0;
};

/// CLOCK_MONOTONIC_COARSE (a few ns per read, 1-4 ms resolution: enough for
/// TTLs and timeouts) and CLOCK_REALTIME.
class SystemClock final : public Clock {
 public:
  int64_t now_ms() const override;
  int64_t unix_time() const override;
};

/// The process's SystemClock, for callers that are not handed one.
const Clock& system_clock();

/// A clock that moves only when told (unit tests, replays). Both readings
/// move together.
class FakeClock final : public Clock {
 public:
  int64_t now_ms() const override { return now_.load(std::memory_order_relaxed); }
  int64_t unix_time() const override {
    return unix_base_.load(std::memory_order_relaxed) + now_ms() / 1000;
  }
  void advance_ms(int64_t ms) { now_.fetch_add(ms, std::memory_order_relaxed); }
  void set_ms(int64_t ms) { now_.store(ms, std::memory_order_relaxed); }
  /// Make unix_time() read `t` now.
  void set_unix_time(int64_t t) { unix_base_.store(t - now_ms() / 1000, std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> now_{1'000'000};
  std::atomic<int64_t> unix_base_{1'700'000'000};
};

}  // namespace namae
