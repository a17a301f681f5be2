#include "xfr/soa.h"

#include "dns/name.h"

namespace namae::xfr {

std::optional<SoaTimers> soa_timers(std::span<const uint8_t> rdata) {
  size_t pos = 0;
  for (int i = 0; i < 2; ++i) {  // MNAME, RNAME
    size_t used = 0;
    if (!dns::Name::from_wire_prefix(rdata.subspan(pos), used)) return std::nullopt;
    pos += used;
  }
  if (rdata.size() != pos + 20) return std::nullopt;
  auto u32 = [&](size_t i) {
    const uint8_t* p = rdata.data() + pos + 4 * i;
    return uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
  };
  return SoaTimers{u32(0), u32(1), u32(2), u32(3), u32(4)};
}

}  // namespace namae::xfr
