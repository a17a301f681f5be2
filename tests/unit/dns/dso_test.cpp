// DSO messages (RFC 8490) and DNS Push TLVs (RFC 8765): what the writer
// builds parses back to the same values, and every malformed shape is named.
#include <gtest/gtest.h>

#include "dns/dso.h"
#include "dns/wire.h"

namespace namae::dns::dso {
namespace {

Name N(const char* text) { return *Name::from_text(text); }

std::vector<uint8_t> header(uint16_t id, bool qr, uint8_t op = opcode::DSO) {
  std::vector<uint8_t> m(kHeaderSize);
  Header h;
  h.id = id;
  h.qr = qr;
  h.opcode = op;
  h.write(m.data());
  return m;
}

void append_tlv(std::vector<uint8_t>& m, uint16_t type, std::vector<uint8_t> data) {
  m.push_back(type >> 8);
  m.push_back(type & 0xff);
  m.push_back(data.size() >> 8);
  m.push_back(data.size() & 0xff);
  m.insert(m.end(), data.begin(), data.end());
}

TEST(Dso, KindFollowsQrAndId) {
  Message msg;
  auto req = header(7, false);
  append_tlv(req, tlv::KEEPALIVE, {0, 0, 0, 1, 0, 0, 0, 2});
  ASSERT_EQ(parse(req, msg), Error::ok);
  EXPECT_EQ(msg.kind, Kind::request);
  ASSERT_NE(msg.primary(), nullptr);
  EXPECT_EQ(msg.primary()->type, tlv::KEEPALIVE);

  auto uni = header(0, false);
  append_tlv(uni, tlv::UNSUBSCRIBE, {0, 7});
  ASSERT_EQ(parse(uni, msg), Error::ok);
  EXPECT_EQ(msg.kind, Kind::unidirectional);

  auto resp = header(7, true);  // a response may carry no TLV
  ASSERT_EQ(parse(resp, msg), Error::ok);
  EXPECT_EQ(msg.kind, Kind::response);
  EXPECT_EQ(msg.primary(), nullptr);
}

TEST(Dso, MalformedMessagesAreNamed) {
  Message msg;
  EXPECT_EQ(parse(std::vector<uint8_t>(11), msg), Error::short_header);
  EXPECT_EQ(parse(header(1, false, opcode::QUERY), msg), Error::not_dso);
  EXPECT_EQ(parse(header(0, true), msg), Error::response_no_id);
  EXPECT_EQ(parse(header(1, false), msg), Error::no_primary);
  auto counted = header(1, false);
  counted[5] = 1;  // QDCOUNT
  EXPECT_EQ(parse(counted, msg), Error::nonzero_count);
  auto cut = header(1, false);
  append_tlv(cut, tlv::KEEPALIVE, {0, 0, 0, 1, 0, 0, 0, 2});
  cut.pop_back();
  EXPECT_EQ(parse(cut, msg), Error::truncated_tlv);
  auto half = header(1, false);
  half.insert(half.end(), {0, 1, 0});  // three octets of a TLV header
  EXPECT_EQ(parse(half, msg), Error::truncated_tlv);
  auto many = header(1, false);
  for (size_t i = 0; i <= kMaxTlvs; ++i) append_tlv(many, tlv::PADDING, {});
  EXPECT_EQ(parse(many, msg), Error::too_many_tlvs);
}

TEST(Dso, WriterRoundTripsEveryTlv) {
  Writer w(9, false);
  ASSERT_TRUE(w.keepalive({15000, 3600000}));
  ASSERT_TRUE(w.retry_delay(5000));
  ASSERT_TRUE(w.subscribe({N("host.example."), rrtype::AAAA, rrclass::IN}));
  ASSERT_TRUE(w.unsubscribe(9));
  Record rc{N("host.example."), rrtype::A, rrclass::IN, 0, {192, 0, 2, 1}};
  ASSERT_TRUE(w.reconfirm(rc));
  ASSERT_TRUE(w.padding(5));
  auto bytes = w.take();
  Message msg;
  ASSERT_EQ(parse(bytes, msg), Error::ok);
  ASSERT_EQ(msg.tlvs.size(), 6u);
  Keepalive k;
  ASSERT_TRUE(read_keepalive(msg.tlvs[0].data, k));
  EXPECT_EQ(k.inactivity_ms, 15000u);
  EXPECT_EQ(k.interval_ms, 3600000u);
  uint32_t delay;
  ASSERT_TRUE(read_retry_delay(msg.tlvs[1].data, delay));
  EXPECT_EQ(delay, 5000u);
  Question q;
  ASSERT_TRUE(read_subscribe(msg.tlvs[2].data, q));
  EXPECT_EQ(q, (Question{N("host.example."), rrtype::AAAA, rrclass::IN}));
  uint16_t id;
  ASSERT_TRUE(read_unsubscribe(msg.tlvs[3].data, id));
  EXPECT_EQ(id, 9);
  Record back;
  ASSERT_TRUE(read_reconfirm(msg.tlvs[4].data, back));
  EXPECT_TRUE(back.same_rr(rc));
  EXPECT_EQ(msg.tlvs[5].type, tlv::PADDING);
  EXPECT_EQ(msg.tlvs[5].data.size(), 5u);
}

TEST(Dso, TlvBodiesOfTheWrongSizeAreRefused) {
  Keepalive k;
  EXPECT_FALSE(read_keepalive(std::vector<uint8_t>(7), k));
  EXPECT_FALSE(read_keepalive(std::vector<uint8_t>(9), k));
  uint32_t ms;
  EXPECT_FALSE(read_retry_delay(std::vector<uint8_t>(3), ms));
  Question q;
  std::vector<uint8_t> sub = {4, 'h', 'o', 's', 't', 0, 0, 1, 0};  // class cut short
  EXPECT_FALSE(read_subscribe(sub, q));
  sub.push_back(1);
  EXPECT_TRUE(read_subscribe(sub, q));
  sub.push_back(0);  // trailing octet
  EXPECT_FALSE(read_subscribe(sub, q));
  std::vector<uint8_t> compressed = {0xc0, 12, 0, 1, 0, 1};
  EXPECT_FALSE(read_subscribe(compressed, q));
  uint16_t id;
  EXPECT_FALSE(read_unsubscribe(std::vector<uint8_t>(3), id));
  Record r;
  std::vector<uint8_t> bad_a = {0, 0, 1, 0, 1, 192, 0, 2};  // an A rdata of three octets
  EXPECT_FALSE(read_reconfirm(bad_a, r));
}

TEST(Dso, PushCarriesAddsAndEveryRemovalForm) {
  Writer w(0, false);
  w.begin_push();
  Record a{N("h.example."), rrtype::A, rrclass::IN, 300, {192, 0, 2, 1}};
  Record old{N("h.example."), rrtype::A, rrclass::IN, 300, {192, 0, 2, 9}};
  Record set{N("h.example."), rrtype::TXT, rrclass::IN, 0, {}};
  Record name{N("gone.example."), rrtype::A, rrclass::IN, 0, {}};
  ASSERT_TRUE(w.push_change({Change::add, a}));
  ASSERT_TRUE(w.push_change({Change::remove, old}));
  ASSERT_TRUE(w.push_change({Change::remove_rrset, set}));
  ASSERT_TRUE(w.push_change({Change::remove_name, name}));
  w.end_push();
  auto bytes = w.take();
  Message msg;
  ASSERT_EQ(parse(bytes, msg), Error::ok);
  EXPECT_EQ(msg.kind, Kind::unidirectional);
  ASSERT_EQ(msg.primary()->type, tlv::PUSH);
  std::vector<PushRecord> changes;
  ASSERT_TRUE(read_push(msg.primary()->data, changes));
  ASSERT_EQ(changes.size(), 4u);
  EXPECT_EQ(changes[0].change, Change::add);
  EXPECT_EQ(changes[0].record, a);
  EXPECT_EQ(changes[1].change, Change::remove);
  EXPECT_EQ(changes[1].record.ttl, kRemoveRecord);
  EXPECT_TRUE(changes[1].record.same_rr(old));
  EXPECT_EQ(changes[2].change, Change::remove_rrset);
  EXPECT_EQ(changes[2].record.type, rrtype::TXT);
  EXPECT_EQ(changes[3].change, Change::remove_name);
  EXPECT_EQ(changes[3].record.type, rrtype::ANY);
}

TEST(Dso, PushRefusesMalformedChanges) {
  std::vector<PushRecord> out;
  EXPECT_FALSE(read_push({}, out));  // a PUSH with nothing in it
  // A collective removal that carries rdata.
  std::vector<uint8_t> c = {0, 0, 1, 0, 1, 0xff, 0xff, 0xff, 0xfe, 0, 1, 7};
  EXPECT_FALSE(read_push(c, out));
  // An add of an A record with five octets of rdata.
  std::vector<uint8_t> a = {0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 5, 1, 2, 3, 4, 5};
  EXPECT_FALSE(read_push(a, out));
  a[10] = 4;
  a.pop_back();
  EXPECT_TRUE(read_push(a, out));
  a.pop_back();  // rdata runs past the end
  EXPECT_FALSE(read_push(a, out));
}

TEST(Dso, PushSplitsBeforeTheMessageLimit) {
  Writer w(0, false);
  w.begin_push();
  Record txt{N("t.example."), rrtype::TXT, rrclass::IN, 60, {}};
  for (int i = 0; i < 4; ++i) {  // four strings of 250 octets
    txt.rdata.push_back(250);
    txt.rdata.insert(txt.rdata.end(), 250, 'x');
  }
  size_t n = 0;
  while (w.push_change({Change::add, txt})) ++n;
  w.end_push();
  EXPECT_GT(n, 10u);
  EXPECT_LE(w.size(), kMaxMessage);
  Message msg;
  auto bytes = w.take();
  ASSERT_EQ(parse(bytes, msg), Error::ok);
  std::vector<PushRecord> out;
  ASSERT_TRUE(read_push(msg.primary()->data, out));
  EXPECT_EQ(out.size(), n);
}

}  // namespace
}  // namespace namae::dns::dso
