// The validator's denial proofs (src/validator/denial) over arbitrary NSEC
// and NSEC3 rdata from an upstream reply: type bitmaps, next names, NSEC3
// parameters, hash lengths and owner labels of any shape. None may crash or
// read out of bounds; each answers with a verdict.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "dns/name.h"
#include "dns/rrtype.h"
#include "validator/denial.h"

using namespace namae;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const bool nsec3 = data[0] & 1;
  static const dns::Name zone = dns::Name::from_text("example.").value();
  static const dns::Name qname = dns::Name::from_text("a.b.example.").value();
  // Records: a length octet, then that much rdata; NSEC3 owners take their
  // first label from the record's first 32 octets (often not base32hex),
  // the rdata is the rest.
  std::vector<dns::RRset> denial;
  size_t at = 1;
  while (at < size && denial.size() < 16) {
    size_t len = std::min<size_t>(data[at], size - at - 1);
    std::span<const uint8_t> rd(data + at + 1, len);
    at += 1 + len;
    dns::RRset rs;
    rs.type = nsec3 ? dns::rrtype::NSEC3 : dns::rrtype::NSEC;
    rs.owner = zone;
    if (nsec3 && rd.size() >= 32) {
      auto o = zone.prepend(rd.first(32));
      if (o) rs.owner = *o;
      rd = rd.subspan(32);
    } else if (!nsec3 && denial.size() % 2) {
      rs.owner = qname;
    }
    rs.rdata.emplace_back(rd.begin(), rd.end());
    denial.push_back(std::move(rs));
  }
  const uint16_t qtype = data[0] >> 1;
  (void)validator::prove_nxdomain(qname, denial);
  (void)validator::prove_nodata(qname, qtype, denial);
  (void)validator::prove_wildcard_answer(qname, zone, denial);
  (void)validator::prove_no_ds(qname, denial);
  return 0;
}
