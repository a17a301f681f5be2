// The SOA timers a secondary lives by (RFC 1035 3.3.13: serial, refresh,
// retry, expire, minimum follow the two names), read off wire rdata. Kept
// apart from update/ so the transfer reader (and its fuzz target) needs only dns/.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

namespace namae::xfr {

struct SoaTimers {
  uint32_t serial = 0;
  uint32_t refresh = 0;
  uint32_t retry = 0;
  uint32_t expire = 0;
  uint32_t minimum = 0;
};

/// The five numbers of uncompressed SOA rdata; nullopt if it is malformed.
std::optional<SoaTimers> soa_timers(std::span<const uint8_t> rdata);

}  // namespace namae::xfr
