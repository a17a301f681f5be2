// A signed zone's whole NSEC3 chain (RFC 5155 7.1), built for tests of the
// proofs and of the resolver's aggressive use of them: salt ABCD, SHA-1.
#pragma once

#include <algorithm>
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "dns/name.h"
#include "dns/nsec3_hash.h"
#include "dns/rdata.h"
#include "dns/record.h"
#include "dns/rrtype.h"

namespace namae::validator::test {

/// The NSEC3 parameters the chains below use.
inline dns::Nsec3Params chain_params(uint16_t iterations) {
  dns::Nsec3Params p;
  p.iterations = iterations;
  p.salt_length = 2;
  p.salt[0] = 0xab;
  p.salt[1] = 0xcd;
  return p;
}

/// The chain of `zone` for names with their types (ENTs included by the caller).
inline std::vector<dns::RRset> nsec3_chain(const std::vector<std::pair<std::string, std::vector<uint16_t>>>& names,
                                           uint16_t iterations, bool opt_out, const std::string& zone = "example.") {
  dns::Nsec3Params p = chain_params(iterations);
  std::vector<std::pair<dns::Nsec3Hash, std::vector<uint16_t>>> hashed;
  for (const auto& [n, t] : names) hashed.push_back({*dns::nsec3_hash(dns::Name::from_text(n).value(), p), t});
  std::sort(hashed.begin(), hashed.end());
  std::vector<dns::RRset> out;
  for (size_t i = 0; i < hashed.size(); ++i) {
    const auto& next = hashed[(i + 1) % hashed.size()].first;
    const uint8_t fields[] = {1, static_cast<uint8_t>(opt_out ? 1 : 0), static_cast<uint8_t>(iterations >> 8),
                              static_cast<uint8_t>(iterations & 0xff), 2, 0xab, 0xcd, 20};
    // Sized once (GCC 12 warns -Warray-bounds on an insert after an initializer list).
    dns::RdataBytes rd(sizeof fields + next.size());
    std::copy(std::begin(fields), std::end(fields), rd.begin());
    std::copy(next.begin(), next.end(), rd.begin() + sizeof fields);
    dns::rdata::append_type_bitmap(hashed[i].second, rd);
    std::array<char, dns::kNsec3LabelSize> label;
    dns::nsec3_label(hashed[i].first, label);
    dns::RRset s;
    s.owner = dns::Name::from_text(std::string(label.data(), label.size()) + "." + zone).value();
    s.type = dns::rrtype::NSEC3;
    s.ttl = 3600;
    s.rdata = {rd};
    out.push_back(s);
  }
  return out;
}

/// example.: the apex, a, an empty non-terminal e above d.e, the wildcard
/// *.w (w an ENT) and a signed delegation.
inline std::vector<dns::RRset> nsec3_zone(uint16_t iterations, bool opt_out) {
  using T = std::vector<uint16_t>;
  namespace rt = dns::rrtype;
  return nsec3_chain({{"example.", T{rt::NS, rt::SOA, rt::RRSIG, rt::DNSKEY, rt::NSEC3PARAM}},
                      {"a.example.", T{rt::A, rt::RRSIG}},
                      {"e.example.", T{}},
                      {"d.e.example.", T{rt::A, rt::RRSIG}},
                      {"w.example.", T{}},
                      {"*.w.example.", T{rt::TXT, rt::RRSIG}},
                      {"signed.example.", T{rt::NS, rt::DS, rt::RRSIG}}},
                     iterations, opt_out);
}

}  // namespace namae::validator::test
