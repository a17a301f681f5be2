// Transfer responses built in memory for the reader, client and secondary
// tests: records split over messages as a primary would send them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "../update/update_test_util.h"
#include "dns/message.h"
#include "xfr/reader.h"

namespace namae::xfr::test {

using update::test::IN;
using update::test::origin;
using update::test::rr;

/// SOA of example.net with `serial` (the test zone's timers).
inline dns::Record soa(uint32_t serial) {
  return rr("@", "SOA", IN, 300,
            "ns1 hostmaster " + std::to_string(serial) + " 3600 600 86400 300");
}

/// One response message: header with `id`, the question (when `question`),
/// `records` in the answer section.
inline std::vector<uint8_t> message(uint16_t id, uint16_t qtype,
                                    const std::vector<dns::Record>& records, bool question = true,
                                    uint16_t rcode = 0) {
  std::vector<uint8_t> buf(65535);
  dns::MessageBuilder b(buf, buf.size());
  b.header().id = id;
  b.header().qr = true;
  b.header().aa = true;
  b.header().rcode = static_cast<uint8_t>(rcode);
  if (question) b.add_question(origin(), qtype, IN);
  b.begin(dns::Section::answer);
  for (const auto& r : records) EXPECT_TRUE(b.add_record(r.owner, r.type, r.rclass, r.ttl, r.rdata));
  buf.resize(b.finish());
  return buf;
}

/// `records` as a stream of messages of `per` records each (the first with
/// the question).
inline std::vector<std::vector<uint8_t>> stream(uint16_t id, uint16_t qtype,
                                                const std::vector<dns::Record>& records,
                                                size_t per) {
  std::vector<std::vector<uint8_t>> out;
  for (size_t i = 0; i < records.size(); i += per) {
    std::vector<dns::Record> part(records.begin() + i,
                                  records.begin() + std::min(records.size(), i + per));
    out.push_back(message(id, qtype, part, i == 0));
  }
  return out;
}

/// Feed every message; the reader's last status.
inline XfrReader::Status feed_all(XfrReader& r, const std::vector<std::vector<uint8_t>>& msgs) {
  XfrReader::Status s = XfrReader::Status::more;
  for (const auto& m : msgs) {
    dns::MessageView v;
    EXPECT_EQ(v.parse(m), dns::WireError::ok);
    s = r.feed(v);
  }
  return s;
}

/// The test zone's records as a primary at `serial` sends them in an AXFR
/// (SOA, records, SOA).
inline std::vector<dns::Record> axfr_records(uint32_t serial) {
  auto v = update::test::load();
  std::vector<dns::Record> out{soa(serial)};
  for (auto& r : v->records())
    if (r.type != dns::rrtype::SOA) out.push_back(r);
  out.push_back(soa(serial));
  return out;
}

}  // namespace namae::xfr::test
