// The resolver's unit of data: one RRset as learnt from an upstream answer,
// with the credibility (RFC 2181 5.4.1) of the section it came from, and the
// clock the resolver counts TTLs down with (replaceable so tests use fake time).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "dns/name.h"
#include "dns/rdata.h"

namespace namae::resolver {

/// RFC 2181 5.4.1 ranking, lowest first. Data of a higher rank replaces
/// cached data of a lower one; lower-ranked data never replaces higher.
enum class Trust : uint8_t {
  additional = 1,       // glue and other additional-section data
  authority_nonauth = 2,  // NS of a referral (the parent's copy)
  answer_nonauth = 3,   // answer section of a non-authoritative reply, synthesized CNAMEs
  authority_auth = 4,   // authority section of an authoritative reply (SOA of a negative)
  answer_auth = 5,      // answer section of an authoritative reply
  prime = 6,            // root NS learnt by priming (and local data)
};

/// One RRset. Rdata is uncompressed wire form (dns/rdata.h).
struct Rrset {
  dns::Name owner;
  uint16_t type = 0;
  uint16_t rclass = 1;
  uint32_t ttl = 0;
  std::vector<dns::RdataBytes> rdata;
  Trust trust = Trust::additional;
};

/// Milliseconds on a monotonic clock. Tests supply a fake one.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t now_ms() const = 0;
};

/// CLOCK_MONOTONIC_COARSE: a few ns per read, 1-4 ms resolution (enough for TTLs).
class SystemClock final : public Clock {
 public:
  int64_t now_ms() const override;
};

/// A clock that moves only when told (unit tests, replay of upstream scripts).
class FakeClock final : public Clock {
 public:
  int64_t now_ms() const override { return now_.load(std::memory_order_relaxed); }
  void advance_ms(int64_t ms) { now_.fetch_add(ms, std::memory_order_relaxed); }
  void set_ms(int64_t ms) { now_.store(ms, std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> now_{1'000'000};
};

}  // namespace namae::resolver
