// The transfer reader against every response shape of RFC 1995 4 and RFC
// 5936 2.2, and each thing it must refuse.
#include <gtest/gtest.h>

#include "xfr/reader.h"
#include "xfr_test_util.h"

namespace namae::xfr::test {
namespace {

using Status = XfrReader::Status;
using Kind = XfrResult::Kind;
constexpr uint16_t AXFR = dns::rrtype::AXFR, IXFR = dns::rrtype::IXFR;

XfrReader reader(uint16_t qtype, uint16_t id = 7) { return XfrReader({id, origin(), qtype, IN}); }

// SOA 100 -> 101: www loses one address and gains another; 101 -> 102: a new name.
std::vector<dns::Record> ixfr_records() {
  return {soa(102),
          soa(100), rr("www", "A", IN, 300, "192.0.2.10"),
          soa(101), rr("www", "A", IN, 300, "192.0.2.12"),
          soa(101),
          soa(102), rr("new", "TXT", IN, 60, "fresh"),
          soa(102)};
}

TEST(XfrReader, AxfrInOneMessage) {
  auto r = reader(AXFR);
  auto recs = axfr_records(100);
  EXPECT_EQ(feed_all(r, stream(7, AXFR, recs, recs.size())), Status::done);
  auto res = r.take();
  EXPECT_EQ(res.kind, Kind::full);
  EXPECT_EQ(res.serial, 100u);
  ASSERT_EQ(res.records.size(), recs.size() - 1);  // the closing SOA is not kept
  EXPECT_EQ(res.records.front(), soa(100));
  EXPECT_EQ(r.messages(), 1u);
}

TEST(XfrReader, AxfrOneRecordPerMessage) {
  auto r = reader(AXFR);
  auto recs = axfr_records(100);
  EXPECT_EQ(feed_all(r, stream(7, AXFR, recs, 1)), Status::done);
  EXPECT_EQ(r.take().records.size(), recs.size() - 1);
  EXPECT_EQ(r.messages(), recs.size());
}

TEST(XfrReader, ZoneOfOnlyTheSoa) {
  auto r = reader(AXFR);
  EXPECT_EQ(feed_all(r, stream(7, AXFR, {soa(5), soa(5)}, 2)), Status::done);
  auto res = r.take();
  EXPECT_EQ(res.kind, Kind::full);
  EXPECT_EQ(res.records.size(), 1u);
}

TEST(XfrReader, IncrementalSteps) {
  auto r = reader(IXFR);
  EXPECT_EQ(feed_all(r, stream(7, IXFR, ixfr_records(), 3)), Status::done);
  auto res = r.take();
  EXPECT_EQ(res.kind, Kind::incremental);
  EXPECT_EQ(res.serial, 102u);
  ASSERT_EQ(res.steps.size(), 2u);
  EXPECT_EQ(res.steps[0].serial_from, 100u);
  EXPECT_EQ(res.steps[0].serial_to, 101u);
  ASSERT_EQ(res.steps[0].diff.removed.size(), 2u);
  EXPECT_EQ(res.steps[0].diff.removed[0], soa(100));
  EXPECT_EQ(res.steps[0].diff.removed[1], rr("www", "A", IN, 300, "192.0.2.10"));
  ASSERT_EQ(res.steps[0].diff.added.size(), 2u);
  EXPECT_EQ(res.steps[0].diff.added[0], soa(101));
  EXPECT_EQ(res.steps[1].serial_from, 101u);
  EXPECT_EQ(res.steps[1].serial_to, 102u);
  EXPECT_EQ(res.steps[1].diff.removed.size(), 1u);  // only the SOA
  EXPECT_EQ(res.steps[1].diff.added.back(), rr("new", "TXT", IN, 60, "fresh"));
}

TEST(XfrReader, IncrementalAppliesToTheZone) {
  auto r = reader(IXFR);
  ASSERT_EQ(feed_all(r, stream(7, IXFR, ixfr_records(), 100)), Status::done);
  auto v = update::test::load();  // serial 100
  for (const auto& step : r.take().steps) {
    auto next = v->apply(step.diff);
    ASSERT_TRUE(next.ok()) << next.message();
    v = *next;
  }
  EXPECT_EQ(v->serial(), 102u);
  EXPECT_TRUE(v->find(update::test::name("new.example.net")));
}

TEST(XfrReader, IxfrAnsweredAxfrStyle) {
  auto r = reader(IXFR);
  EXPECT_EQ(feed_all(r, stream(7, IXFR, axfr_records(103), 4)), Status::done);
  auto res = r.take();
  EXPECT_EQ(res.kind, Kind::full);
  EXPECT_EQ(res.serial, 103u);
}

TEST(XfrReader, LoneSoaIsUpToDate) {
  auto r = reader(IXFR);
  EXPECT_EQ(feed_all(r, {message(7, IXFR, {soa(100)})}), Status::done);
  auto res = r.take();
  EXPECT_EQ(res.kind, Kind::up_to_date);
  EXPECT_EQ(res.serial, 100u);
}

TEST(XfrReader, LoneSoaOfAnAxfrWaitsForMore) {
  auto r = reader(AXFR);
  EXPECT_EQ(feed_all(r, {message(7, AXFR, {soa(100)})}), Status::more);
}

TEST(XfrReader, CutStreamIsNotDone) {
  auto r = reader(AXFR);
  auto msgs = stream(7, AXFR, axfr_records(100), 2);
  msgs.pop_back();
  EXPECT_EQ(feed_all(r, msgs), Status::more);
}

TEST(XfrReader, QuestionOnlyInTheFirstMessage) {
  auto r = reader(AXFR);
  auto recs = axfr_records(100);
  std::vector<std::vector<uint8_t>> msgs = {
      message(7, AXFR, {recs.begin(), recs.begin() + 2}),
      message(7, AXFR, {recs.begin() + 2, recs.end()}, /*question=*/false)};
  EXPECT_EQ(feed_all(r, msgs), Status::done);
}

// Each refusal: the reader ends in `error` and says why.
void expect_refused(XfrReader& r, const std::vector<std::vector<uint8_t>>& msgs,
                    const std::string& why) {
  EXPECT_EQ(feed_all(r, msgs), Status::error);
  EXPECT_NE(r.error().find(why), std::string::npos) << r.error();
  EXPECT_EQ(feed_all(r, {message(7, AXFR, {soa(1)})}), Status::error);  // and stays so
}

TEST(XfrReader, RefusesWrongId) {
  auto r = reader(AXFR);
  expect_refused(r, stream(8, AXFR, axfr_records(100), 100), "message ID");
}

TEST(XfrReader, RefusesWrongIdInALaterMessage) {
  auto r = reader(AXFR);
  auto msgs = stream(7, AXFR, axfr_records(100), 2);
  msgs[2] = stream(9, AXFR, axfr_records(100), 2)[2];
  expect_refused(r, msgs, "message ID");
}

TEST(XfrReader, RefusesAQuery) {
  auto r = reader(AXFR);
  auto m = message(7, AXFR, axfr_records(100));
  m[2] &= 0x7f;  // QR off
  expect_refused(r, {m}, "not a response");
}

TEST(XfrReader, KeepsTheRcode) {
  auto r = reader(IXFR);
  expect_refused(r, {message(7, IXFR, {}, true, dns::rcode::NOTIMP)}, "NOTIMP");
  EXPECT_EQ(r.rcode(), dns::rcode::NOTIMP);
}

TEST(XfrReader, RefusesTruncated) {
  auto r = reader(AXFR);
  auto m = message(7, AXFR, axfr_records(100));
  m[2] |= 0x02;  // TC
  expect_refused(r, {m}, "truncated");
}

TEST(XfrReader, RefusesAnotherQuestion) {
  auto r = reader(AXFR);
  expect_refused(r, stream(7, IXFR, axfr_records(100), 100), "question");
}

TEST(XfrReader, RefusesFirstMessageWithoutQuestion) {
  auto r = reader(AXFR);
  expect_refused(r, {message(7, AXFR, axfr_records(100), false)}, "no question");
}

TEST(XfrReader, RefusesFirstRecordNotSoa) {
  auto recs = axfr_records(100);
  std::swap(recs[0], recs[1]);
  auto r = reader(AXFR);
  expect_refused(r, stream(7, AXFR, recs, 100), "first record");
}

TEST(XfrReader, RefusesClosingSoaThatDiffers) {
  auto recs = axfr_records(100);
  recs.back() = rr("@", "SOA", IN, 300, "ns2 hostmaster 100 3600 600 86400 300");
  auto r = reader(AXFR);
  expect_refused(r, stream(7, AXFR, recs, 100), "closing SOA");
}

TEST(XfrReader, RefusesOutOfZoneRecord) {
  auto recs = axfr_records(100);
  dns::Record out = rr("www", "A", IN, 300, "192.0.2.99");
  out.owner = update::test::name("www.example.org");
  recs.insert(recs.begin() + 2, out);
  auto r = reader(AXFR);
  expect_refused(r, stream(7, AXFR, recs, 100), "outside the zone");
}

TEST(XfrReader, RefusesAnotherClass) {
  auto recs = axfr_records(100);
  recs.insert(recs.begin() + 2, rr("txt", "TXT", dns::rrclass::CH, 300, "x"));
  auto r = reader(AXFR);
  expect_refused(r, stream(7, AXFR, recs, 100), "another class");
}

TEST(XfrReader, RefusesRecordsAfterTheEnd) {
  auto recs = axfr_records(100);
  recs.push_back(rr("late", "A", IN, 300, "192.0.2.1"));
  auto r = reader(AXFR);
  expect_refused(r, stream(7, AXFR, recs, 100), "after the closing SOA");
}

TEST(XfrReader, RefusesAMessageAfterTheEnd) {
  auto r = reader(AXFR);
  auto msgs = stream(7, AXFR, axfr_records(100), 100);
  msgs.push_back(message(7, AXFR, {rr("late", "A", IN, 300, "192.0.2.1")}, false));
  expect_refused(r, msgs, "after the end");
}

TEST(XfrReader, RefusesBrokenIxfrChain) {
  auto recs = ixfr_records();
  recs[5] = soa(150);  // the second step should start at 101
  auto r = reader(IXFR);
  expect_refused(r, stream(7, IXFR, recs, 100), "previous one ended at 101");
}

TEST(XfrReader, RefusesSecondSoaInAxfr) {
  auto r = reader(AXFR);
  expect_refused(r, stream(7, AXFR, ixfr_records(), 100), "second SOA");
}

TEST(XfrReader, RefusesSoaBelowTheApex) {
  auto recs = axfr_records(100);
  dns::Record s = soa(100);
  s.owner = update::test::name("sub2.example.net");
  recs.insert(recs.begin() + 2, s);
  auto r = reader(AXFR);
  expect_refused(r, stream(7, AXFR, recs, 100), "SOA below the apex");
}

TEST(XfrReader, RefusesEmptyMessage) {
  auto r = reader(AXFR);
  auto msgs = stream(7, AXFR, axfr_records(100), 3);
  msgs.insert(msgs.begin() + 1, message(7, AXFR, {}, false));
  expect_refused(r, msgs, "without answer records");
}

TEST(XfrReader, RefusesNonEmptyAuthority) {
  std::vector<uint8_t> buf(4096);
  dns::MessageBuilder b(buf, buf.size());
  b.header().id = 7;
  b.header().qr = true;
  b.add_question(origin(), AXFR, IN);
  b.begin(dns::Section::answer);
  auto s = soa(100);
  b.add_record(s.owner, s.type, s.rclass, s.ttl, s.rdata);
  b.begin(dns::Section::authority);
  b.add_record(s.owner, s.type, s.rclass, s.ttl, s.rdata);
  buf.resize(b.finish());
  auto r = reader(AXFR);
  expect_refused(r, {buf}, "authority");
}

TEST(XfrReader, RefusesTooManyMessages) {
  XfrReader r({7, origin(), AXFR, IN}, XfrLimits{3, 1000});
  expect_refused(r, stream(7, AXFR, axfr_records(100), 1), "too many messages");
}

TEST(XfrReader, RefusesTooManyRecords) {
  XfrReader r({7, origin(), AXFR, IN}, XfrLimits{1000, 4});
  expect_refused(r, stream(7, AXFR, axfr_records(100), 100), "too many records");
}

}  // namespace
}  // namespace namae::xfr::test
