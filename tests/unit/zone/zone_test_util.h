// Record builders shared by the zone and journal tests (names, SOA rdata).
#pragma once

#include <cstdint>
#include <string>

#include "dns/name.h"
#include "dns/rdata.h"

namespace namae::zone::test {

inline dns::Name N(const std::string& t) { return *dns::Name::from_text(t); }

inline dns::RdataBytes name_rdata(const std::string& t) {
  auto n = N(t);
  return {n.wire().begin(), n.wire().end()};
}

/// SOA "ns.example. hm.example. SERIAL 7200 3600 1209600 300".
inline dns::RdataBytes soa_rdata(uint32_t serial = 42) {
  auto r = name_rdata("ns.example.");
  auto m = name_rdata("hm.example.");
  r.insert(r.end(), m.begin(), m.end());
  for (uint32_t v : {serial, 7200u, 3600u, 1209600u, 300u})
    for (int s = 24; s >= 0; s -= 8) r.push_back(static_cast<uint8_t>(v >> s));
  return r;
}

}  // namespace namae::zone::test
