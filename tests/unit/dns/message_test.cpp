// MessageView / MessageBuilder: round trips, compression down to the octet,
// truncation, EDNS, every malformed-input error, and messages made by
// dnspython (so the parser is checked against an independent encoder).
#include "dns/message.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dns/rdata.h"
#include "dns/rrtype.h"

namespace namae::dns {
namespace {

Name N(const char* text) { return *Name::from_text(text); }

std::vector<uint8_t> hex(std::string_view h) {
  std::vector<uint8_t> out;
  for (size_t i = 0; i + 1 < h.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16)));
  return out;
}

std::vector<uint8_t> bytes(std::initializer_list<int> v) {
  std::vector<uint8_t> out;
  for (int b : v) out.push_back(static_cast<uint8_t>(b));
  return out;
}

// Append helpers for hand-built messages.
void put16(std::vector<uint8_t>& m, uint16_t v) {
  m.push_back(v >> 8);
  m.push_back(v & 0xff);
}
void put32(std::vector<uint8_t>& m, uint32_t v) {
  put16(m, v >> 16);
  put16(m, v & 0xffff);
}
void append(std::vector<uint8_t>& m, std::initializer_list<int> v) {
  for (int b : v) m.push_back(static_cast<uint8_t>(b));
}
void append(std::vector<uint8_t>& m, const std::vector<uint8_t>& v) {
  m.insert(m.end(), v.begin(), v.end());
}
std::vector<uint8_t> header(uint16_t qd, uint16_t an, uint16_t ns, uint16_t ar) {
  std::vector<uint8_t> m = bytes({0xab, 0xcd, 0x84, 0x00});
  put16(m, qd);
  put16(m, an);
  put16(m, ns);
  put16(m, ar);
  return m;
}
// www.example.com. IN A right after the header (offset 12; "example" at 16).
void question(std::vector<uint8_t>& m) {
  append(m, {3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0});
  put16(m, rrtype::A);
  put16(m, rrclass::IN);
}
// A record owned by a pointer to the question name.
void a_record(std::vector<uint8_t>& m, uint16_t rdlength = 4) {
  append(m, {0xc0, 0x0c});
  put16(m, rrtype::A);
  put16(m, rrclass::IN);
  put32(m, 300);
  put16(m, rdlength);
  for (int i = 0; i < rdlength; ++i) m.push_back(static_cast<uint8_t>(192 + i));
}
void opt_record(std::vector<uint8_t>& m, std::vector<uint8_t> owner = {0},
                std::vector<uint8_t> options = {}) {
  append(m, owner);
  put16(m, rrtype::OPT);
  put16(m, 1232);
  put32(m, 0);
  put16(m, static_cast<uint16_t>(options.size()));
  append(m, options);
}
// A minimal well-formed TSIG: key "k.", hmac-sha256., time 0, fudge 300, 2-octet MAC.
void tsig_record(std::vector<uint8_t>& m, uint16_t rclass = rrclass::ANY) {
  append(m, {1, 'k', 0});
  put16(m, rrtype::TSIG);
  put16(m, rclass);
  put32(m, 0);
  std::vector<uint8_t> rd = {11, 'h', 'm', 'a', 'c', '-', 's', 'h', 'a', '2', '5', '6', 0};
  append(rd, {0, 0, 0, 0, 0, 0, 0x01, 0x2c, 0, 2, 0xaa, 0xbb, 0xab, 0xcd, 0, 0, 0, 0});
  put16(m, static_cast<uint16_t>(rd.size()));
  append(m, rd);
}

WireError parse(const std::vector<uint8_t>& m) {
  MessageView v;
  return v.parse(m);
}

RdataBytes rd_a(uint8_t a, uint8_t b, uint8_t c, uint8_t d) { return {a, b, c, d}; }
RdataBytes rd_name(const char* text) {
  Name n = N(text);
  auto w = n.wire();
  return RdataBytes(w.begin(), w.end());
}

TEST(Header, FlagsRoundTrip) {
  Header h;
  h.id = 0xbeef;
  h.qr = h.aa = h.tc = h.rd = h.ra = h.z = h.ad = h.cd = true;
  h.opcode = opcode::UPDATE;
  h.rcode = 0x0f;
  h.qdcount = 1;
  h.ancount = 2;
  h.nscount = 3;
  h.arcount = 4;
  uint8_t w[12];
  h.write(w);
  EXPECT_EQ(w[2], 0x80 | 5 << 3 | 0x07);
  EXPECT_EQ(w[3], 0xff);
  Header r = Header::read(w);
  EXPECT_EQ(r.id, 0xbeef);
  EXPECT_TRUE(r.qr && r.aa && r.tc && r.rd && r.ra && r.z && r.ad && r.cd);
  EXPECT_EQ(r.opcode, opcode::UPDATE);
  EXPECT_EQ(r.rcode, 0x0f);
  EXPECT_EQ(r.arcount, 4);
  Header zero = Header::read(std::vector<uint8_t>(12, 0).data());
  EXPECT_FALSE(zero.qr || zero.aa || zero.tc || zero.rd || zero.ra || zero.z || zero.ad || zero.cd);
  EXPECT_EQ(std::string(section_name(Section::authority)), "AUTHORITY");
}

// The hand-computed layout of a small response; every pointer checked.
TEST(MessageBuilder, CompressionMatchesHandComputedBytes) {
  std::vector<uint8_t> buf(512);
  MessageBuilder b(buf, buf.size());
  b.header().id = 0x1234;
  b.header().qr = true;
  ASSERT_TRUE(b.add_question(N("www.example.com."), rrtype::A, rrclass::IN));
  b.begin(Section::answer);
  ASSERT_TRUE(b.add_record(N("www.example.com."), rrtype::A, rrclass::IN, 300, rd_a(192, 0, 2, 1)));
  b.begin(Section::authority);
  ASSERT_TRUE(
      b.add_record(N("example.com."), rrtype::NS, rrclass::IN, 3600, rd_name("ns1.example.com.")));
  b.begin(Section::additional);
  ASSERT_TRUE(
      b.add_record(N("ns1.example.com."), rrtype::A, rrclass::IN, 3600, rd_a(192, 0, 2, 53)));
  size_t len = b.finish();

  std::vector<uint8_t> want = bytes({0x12, 0x34, 0x80, 0x00, 0, 1, 0, 1, 0, 1, 0, 1});
  question(want);  // offset 12..32
  // answer at 33: owner -> 12
  append(want, {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4, 192, 0, 2, 1});
  // authority at 49: owner example.com -> 16; rdata "ns1" + pointer to 16
  append(want, {0xc0, 0x10, 0, 2, 0, 1, 0, 0, 0x0e, 0x10, 0, 6, 3, 'n', 's', '1', 0xc0, 0x10});
  // additional at 67: owner ns1.example.com -> 61 (where "ns1" was written)
  append(want, {0xc0, 61, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 53});
  ASSERT_EQ(len, want.size());
  EXPECT_EQ(std::vector<uint8_t>(buf.begin(), buf.begin() + len), want);
}

TEST(MessageBuilder, CompressionIsCaseInsensitiveAndLongestSuffix) {
  std::vector<uint8_t> buf(512);
  MessageBuilder b(buf, buf.size());
  ASSERT_TRUE(b.add_question(N("www.example.com."), rrtype::A, rrclass::IN));
  size_t before = b.size();
  ASSERT_TRUE(b.add_record(N("WWW.Example.COM."), rrtype::A, rrclass::IN, 1, rd_a(1, 2, 3, 4)));
  EXPECT_EQ(b.size() - before, 2u + 10 + 4);
  EXPECT_EQ(buf[before], 0xc0);
  EXPECT_EQ(buf[before + 1], 12);
  // mail.example.com: "mail" literal, then a pointer to "example.com" at 16.
  before = b.size();
  ASSERT_TRUE(b.add_record(N("mail.example.com."), rrtype::A, rrclass::IN, 1, rd_a(1, 2, 3, 4)));
  EXPECT_EQ(b.size() - before, 5u + 2 + 10 + 4);
  EXPECT_EQ(buf[before + 5], 0xc0);
  EXPECT_EQ(buf[before + 6], 16);
  // a.mail.example.com: the longest match is the "mail..." just written.
  size_t mail_at = before;
  before = b.size();
  ASSERT_TRUE(b.add_record(N("a.mail.example.com."), rrtype::A, rrclass::IN, 1, rd_a(1, 2, 3, 4)));
  EXPECT_EQ(buf[before + 2], 0xc0);
  EXPECT_EQ(buf[before + 3], mail_at);
  // Root owner: one octet, never a pointer.
  before = b.size();
  ASSERT_TRUE(b.add_record(Name(), rrtype::A, rrclass::IN, 1, rd_a(1, 2, 3, 4)));
  EXPECT_EQ(b.size() - before, 1u + 10 + 4);
  // Something unrelated is written in full.
  before = b.size();
  ASSERT_TRUE(b.add_record(N("example.org."), rrtype::A, rrclass::IN, 1, rd_a(1, 2, 3, 4)));
  EXPECT_EQ(buf[before + 8], 3);  // "org" literal after "example"
  EXPECT_EQ(buf[before + 12], 0);
  size_t len = b.finish();

  MessageView v;
  ASSERT_EQ(v.parse(std::span<const uint8_t>(buf.data(), len)), WireError::ok);
  auto c = v.records(Section::answer);
  RecordView rr;
  const char* owners[] = {"www.example.com.", "mail.example.com.", "a.mail.example.com.", ".",
                          "example.org."};
  for (const char* o : owners) {
    ASSERT_TRUE(c.next(rr));
    EXPECT_EQ(v.owner(rr).to_text(), o);
  }
  EXPECT_FALSE(c.next(rr));
}

TEST(MessageBuilder, RdataNamesCompressedOnlyForRfc1035Types) {
  std::vector<uint8_t> buf(512);
  MessageBuilder b(buf, buf.size());
  ASSERT_TRUE(b.add_question(N("example.com."), rrtype::MX, rrclass::IN));
  // MX: preference then a compressible exchange name.
  RdataBytes mx = {0, 10};
  auto ex = rd_name("mail.example.com.");
  mx.insert(mx.end(), ex.begin(), ex.end());
  size_t before = b.size();
  ASSERT_TRUE(b.add_record(N("example.com."), rrtype::MX, rrclass::IN, 60, mx));
  // owner pointer(2) + 10 + pref(2) + "mail"(5) + pointer(2)
  EXPECT_EQ(b.size() - before, 2u + 10 + 2 + 5 + 2);
  EXPECT_EQ(buf[before + 10], 0);
  EXPECT_EQ(buf[before + 11], 9);  // rdlength after compression
  // SRV (RFC 2782): the target must go out uncompressed (RFC 3597 4).
  RdataBytes srv = {0, 1, 0, 2, 0, 53};
  auto tgt = rd_name("mail.example.com.");
  srv.insert(srv.end(), tgt.begin(), tgt.end());
  before = b.size();
  ASSERT_TRUE(b.add_record(N("_dns._udp.example.com."), rrtype::SRV, rrclass::IN, 60, srv));
  size_t owner_len = 5 + 5 + 2;  // "_dns" "_udp" pointer
  EXPECT_EQ(b.size() - before, owner_len + 10 + srv.size());
  EXPECT_EQ(std::vector<uint8_t>(buf.begin() + before + owner_len + 10, buf.begin() + b.size()),
            srv);
  size_t len = b.finish();

  MessageView v;
  ASSERT_EQ(v.parse(std::span<const uint8_t>(buf.data(), len)), WireError::ok);
  auto c = v.records(Section::answer);
  RecordView rr;
  ASSERT_TRUE(c.next(rr));
  RdataBytes out;
  ASSERT_EQ(rdata::decode(rr.type, v.data(), rr.rdata_offset, rr.rdlength, out), WireError::ok);
  EXPECT_EQ(out, mx);
  ASSERT_TRUE(c.next(rr));
  out.clear();
  ASSERT_EQ(rdata::decode(rr.type, v.data(), rr.rdata_offset, rr.rdlength, out), WireError::ok);
  EXPECT_EQ(out, srv);
}

TEST(MessageBuilder, SoaBothNamesCompressedAndRoundTrip) {
  std::vector<uint8_t> buf(512);
  MessageBuilder b(buf, buf.size());
  ASSERT_TRUE(b.add_question(N("nope.example.org."), rrtype::A, rrclass::IN));
  b.begin(Section::authority);
  RdataBytes soa = rd_name("ns.example.org.");
  auto rname = rd_name("hostmaster.example.org.");
  soa.insert(soa.end(), rname.begin(), rname.end());
  for (int i = 0; i < 20; ++i) soa.push_back(static_cast<uint8_t>(i));
  size_t before = b.size();
  ASSERT_TRUE(b.add_record(N("example.org."), rrtype::SOA, rrclass::IN, 900, soa));
  // owner ptr 2 + 10 + "ns"+ptr 5 + "hostmaster"+ptr 13 + 20
  EXPECT_EQ(b.size() - before, 2u + 10 + 5 + 13 + 20);
  size_t len = b.finish();
  MessageView v;
  ASSERT_EQ(v.parse(std::span<const uint8_t>(buf.data(), len)), WireError::ok);
  auto c = v.records(Section::authority);
  RecordView rr;
  ASSERT_TRUE(c.next(rr));
  RdataBytes out;
  ASSERT_EQ(rdata::decode(rr.type, v.data(), rr.rdata_offset, rr.rdlength, out), WireError::ok);
  EXPECT_EQ(out, soa);
  EXPECT_EQ(v.owner(rr).to_text(), "example.org.");
}

TEST(MessageBuilder, BuildParseRoundTrip) {
  std::vector<uint8_t> buf(1232);
  MessageBuilder b(buf, buf.size());
  b.header().id = 777;
  b.header().qr = b.header().aa = b.header().rd = true;
  b.header().opcode = opcode::QUERY;
  b.header().rcode = rcode::NXDOMAIN;
  ASSERT_TRUE(b.add_question(N("Host.Example.NET."), rrtype::AAAA, rrclass::IN));
  b.begin(Section::answer);
  RdataBytes aaaa(16, 0);
  aaaa[0] = 0x20;
  aaaa[1] = 0x01;
  aaaa[15] = 1;
  ASSERT_TRUE(b.add_record(N("host.example.net."), rrtype::AAAA, rrclass::IN, 42, aaaa));
  ASSERT_TRUE(b.add_record(N("host.example.net."), rrtype::TXT, rrclass::IN, 42,
                           RdataBytes{5, 'h', 'e', 'l', 'l', 'o'}));
  ASSERT_TRUE(b.add_record(N("x.example.net."), 65280, rrclass::IN, 1, RdataBytes{1, 2, 3}));
  ASSERT_TRUE(b.add_record(N("x.example.net."), 65281, rrclass::IN, 1, RdataBytes{}));
  size_t len = b.finish();

  MessageView v;
  ASSERT_EQ(v.parse(std::span<const uint8_t>(buf.data(), len)), WireError::ok);
  EXPECT_EQ(v.header().id, 777);
  EXPECT_TRUE(v.header().qr && v.header().aa && v.header().rd);
  EXPECT_FALSE(v.header().tc);
  EXPECT_EQ(v.header().rcode, rcode::NXDOMAIN);
  EXPECT_EQ(v.header().qdcount, 1);
  EXPECT_EQ(v.header().ancount, 4);
  EXPECT_EQ(v.qname().to_text(), "Host.Example.NET.");  // case kept
  EXPECT_EQ(v.qtype(), rrtype::AAAA);
  EXPECT_EQ(v.qclass(), rrclass::IN);
  EXPECT_FALSE(v.edns().present);
  EXPECT_FALSE(v.has_tsig());
  EXPECT_EQ(v.question_end(), 12u + 18 + 4);
  auto c = v.records(Section::answer);
  RecordView rr;
  ASSERT_TRUE(c.next(rr));
  EXPECT_EQ(rr.section, Section::answer);
  EXPECT_EQ(rr.type, rrtype::AAAA);
  EXPECT_EQ(rr.ttl, 42u);
  EXPECT_EQ(std::vector<uint8_t>(v.raw_rdata(rr).begin(), v.raw_rdata(rr).end()), aaaa);
  // Compressed against the question, so the owner takes the question's spelling.
  EXPECT_EQ(v.owner(rr).to_text(), "Host.Example.NET.");
  ASSERT_TRUE(c.next(rr));
  EXPECT_EQ(rr.type, rrtype::TXT);
  ASSERT_TRUE(c.next(rr));
  EXPECT_EQ(rr.type, 65280);
  EXPECT_EQ(rr.rdlength, 3);
  ASSERT_TRUE(c.next(rr));
  EXPECT_EQ(rr.rdlength, 0);
  EXPECT_FALSE(c.next(rr));
  // The question section walks too.
  auto q = v.records(Section::question);
  ASSERT_TRUE(q.next(rr));
  EXPECT_EQ(rr.type, rrtype::AAAA);
  EXPECT_EQ(rr.rclass, rrclass::IN);
  EXPECT_EQ(rr.rdata_offset, v.question_end());
  EXPECT_FALSE(q.next(rr));
}

TEST(MessageBuilder, QuestionRules) {
  std::vector<uint8_t> buf(512);
  MessageBuilder b(buf, buf.size());
  // A compressed or malformed raw name is refused.
  EXPECT_FALSE(b.add_question_raw(bytes({3, 'w', 'w', 'w', 0xc0, 0x0c}), rrtype::A, rrclass::IN));
  EXPECT_FALSE(b.add_question_raw(bytes({3, 'w', 'w'}), rrtype::A, rrclass::IN));
  EXPECT_FALSE(b.add_question_raw(bytes({1, 'a', 0, 0}), rrtype::A, rrclass::IN));
  EXPECT_EQ(b.size(), kHeaderSize);
  ASSERT_TRUE(b.add_question_raw(bytes({3, 'W', 'w', 'W', 0}), rrtype::A, rrclass::IN));
  ASSERT_TRUE(b.add_question(N("second."), rrtype::NS, rrclass::CH));
  ASSERT_TRUE(b.add_record(N("www."), rrtype::A, rrclass::IN, 1, rd_a(1, 1, 1, 1)));
  EXPECT_EQ(b.count(Section::answer), 1);  // no begin(): answer
  EXPECT_FALSE(b.add_question(N("late."), rrtype::A, rrclass::IN));
  b.begin(Section::authority);
  b.begin(Section::answer);  // backwards: ignored
  ASSERT_TRUE(b.add_record(N("www."), rrtype::A, rrclass::IN, 1, rd_a(1, 1, 1, 1)));
  EXPECT_EQ(b.count(Section::authority), 1);
  size_t len = b.finish();
  MessageView v;
  ASSERT_EQ(v.parse(std::span<const uint8_t>(buf.data(), len)), WireError::ok);
  EXPECT_EQ(v.qname().to_text(), "WwW.");
  auto q = v.records(Section::question);
  RecordView rr;
  ASSERT_TRUE(q.next(rr));
  ASSERT_TRUE(q.next(rr));
  EXPECT_EQ(v.owner(rr).to_text(), "second.");
  EXPECT_EQ(rr.rclass, rrclass::CH);
}

TEST(MessageBuilder, FullRecordWritesNothing) {
  std::vector<uint8_t> buf(512);
  MessageBuilder b(buf, 12 + 17 + 4 + 16 + 5);  // question + one compressed A + 5 spare
  ASSERT_TRUE(b.add_question(N("www.example.com."), rrtype::A, rrclass::IN));
  ASSERT_TRUE(b.add_record(N("www.example.com."), rrtype::A, rrclass::IN, 1, rd_a(1, 2, 3, 4)));
  auto m = b.mark();
  // "other.example.com." needs 6+2+10+4 = 22 > 5 octets.
  EXPECT_FALSE(b.add_record(N("other.example.com."), rrtype::A, rrclass::IN, 1, rd_a(1, 2, 3, 4)));
  EXPECT_EQ(b.size(), m.size);
  EXPECT_EQ(b.count(Section::answer), 1);
  // The failed record left no compression entry behind.
  EXPECT_EQ(b.mark().compression_entries, m.compression_entries);
  EXPECT_FALSE(b.add_record(N("x."), rrtype::A, rrclass::IN, 1, RdataBytes(70000, 0)));
}

TEST(MessageBuilder, TruncationWithMarkRollbackAndTc) {
  std::vector<uint8_t> buf(4096);
  MessageBuilder b(buf, 512);
  Edns e;
  e.present = true;
  e.udp_size = 512;
  b.reserve(11);  // the OPT must always fit
  ASSERT_TRUE(b.add_question(N("big.example.com."), rrtype::TXT, rrclass::IN));
  RdataBytes txt(101, 'x');
  txt[0] = 100;
  size_t rrsets = 0;
  for (int set = 0; set < 10; ++set) {
    auto m = b.mark();
    Name owner = *N("example.com.").prepend(bytes({'s', static_cast<uint8_t>('0' + set)}));
    bool ok = true;
    for (int i = 0; i < 2 && ok; ++i) {
      txt[1] = static_cast<uint8_t>('0' + i);
      ok = b.add_record(owner, rrtype::TXT, rrclass::IN, 60, txt);
    }
    if (!ok) {
      b.rollback(m);
      b.set_truncated();
      // The rolled back names are gone from the table: a new name equal to
      // the dropped owner must be written in full again.
      EXPECT_EQ(b.mark().compression_entries, m.compression_entries);
      break;
    }
    ++rrsets;
  }
  EXPECT_EQ(rrsets, 2u);  // 33 + 2 * (116 + 113) = 491; a third set cannot fit with the OPT
  ASSERT_TRUE(b.add_opt(e));
  EXPECT_EQ(b.reserved(), 0u);
  size_t len = b.finish();
  EXPECT_LE(len, 512u);

  MessageView v;
  ASSERT_EQ(v.parse(std::span<const uint8_t>(buf.data(), len)), WireError::ok);
  EXPECT_TRUE(v.header().tc);
  EXPECT_EQ(v.header().ancount, 4);
  EXPECT_EQ(v.header().arcount, 1);
  EXPECT_TRUE(v.edns().present);

  // Without the reservation the OPT would not have fitted where it did.
  MessageBuilder b2(buf, 12 + 21 + 10);
  ASSERT_TRUE(b2.add_question(N("big.example.com."), rrtype::TXT, rrclass::IN));
  EXPECT_FALSE(b2.add_opt(e));
  EXPECT_EQ(b2.count(Section::additional), 0);
}

TEST(MessageBuilder, ReservationKeepsRecordsOut) {
  std::vector<uint8_t> buf(512);
  MessageBuilder b(buf, 12 + 9 + 16 + 16);
  b.reserve(11);
  ASSERT_TRUE(b.add_question(N("a.b."), rrtype::A, rrclass::IN));
  ASSERT_TRUE(b.add_record(N("a.b."), rrtype::A, rrclass::IN, 1, rd_a(1, 2, 3, 4)));
  EXPECT_FALSE(b.add_record(N("a.b."), rrtype::A, rrclass::IN, 1, rd_a(1, 2, 3, 4)));
  b.release(11);
  EXPECT_TRUE(b.add_record(N("a.b."), rrtype::A, rrclass::IN, 1, rd_a(1, 2, 3, 5)));
}

TEST(MessageBuilder, TinyBufferNeverOverruns) {
  std::vector<uint8_t> buf(8, 0xee);
  MessageBuilder b(std::span<uint8_t>(buf.data(), 4), 512);
  EXPECT_FALSE(b.add_question(N("a."), rrtype::A, rrclass::IN));
  Edns e;
  EXPECT_FALSE(b.add_opt(e));
  EXPECT_EQ(b.finish(), 0u);
  EXPECT_EQ(buf[4], 0xee);
}

TEST(MessageBuilder, EdnsBothWaysWithExtendedRcode) {
  std::vector<uint8_t> buf(512);
  MessageBuilder b(buf, buf.size());
  b.header().qr = true;
  ASSERT_TRUE(b.add_question(N("example.com."), rrtype::SOA, rrclass::IN));
  std::vector<uint8_t> opts;
  const uint8_t cookie[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  append_edns_option(opts, edns_option::COOKIE, cookie);
  append_edns_option(opts, edns_option::NSID, {});
  Edns e;
  e.present = true;
  e.udp_size = 1232;
  e.version = 0;
  e.do_bit = true;
  e.z = 0x0123;
  e.options = opts;
  set_full_rcode(rcode::BADVERS, b.header(), e);
  EXPECT_EQ(b.header().rcode, 0);
  EXPECT_EQ(e.ext_rcode, 1);
  b.reserve(11 + opts.size());
  ASSERT_TRUE(b.add_opt(e));
  size_t len = b.finish();
  // OPT at the end: root, type 41, class 1232, TTL 01 00 81 23, rdlength.
  size_t opt_at = len - 11 - opts.size();
  EXPECT_EQ(
      std::vector<uint8_t>(buf.begin() + opt_at, buf.begin() + opt_at + 11),
      bytes({0, 0, 41, 0x04, 0xd0, 0x01, 0x00, 0x81, 0x23, 0, static_cast<int>(opts.size())}));

  MessageView v;
  ASSERT_EQ(v.parse(std::span<const uint8_t>(buf.data(), len)), WireError::ok);
  const Edns& got = v.edns();
  ASSERT_TRUE(got.present);
  EXPECT_EQ(got.udp_size, 1232);
  EXPECT_EQ(got.ext_rcode, 1);
  EXPECT_EQ(got.version, 0);
  EXPECT_TRUE(got.do_bit);
  EXPECT_EQ(got.z, 0x0123);
  EXPECT_EQ(v.header().rcode, 0);
  EXPECT_EQ(got.full_rcode(v.header().rcode), rcode::BADVERS);
  auto ck = got.find(edns_option::COOKIE);
  ASSERT_TRUE(ck.has_value());
  EXPECT_EQ(ck->data.size(), 16u);
  EXPECT_EQ(ck->data[15], 16);
  auto ns = got.find(edns_option::NSID);
  ASSERT_TRUE(ns.has_value());
  EXPECT_TRUE(ns->data.empty());
  EXPECT_FALSE(got.find(edns_option::PADDING).has_value());
  // The OPT shows up in the additional walk as a record too.
  auto c = v.records(Section::additional);
  RecordView rr;
  ASSERT_TRUE(c.next(rr));
  EXPECT_EQ(rr.type, rrtype::OPT);
  EXPECT_TRUE(v.owner(rr).is_root());

  // Version and an rcode above 255 both survive.
  MessageBuilder b2(buf, buf.size());
  Edns e2;
  e2.present = true;
  e2.version = 1;
  e2.udp_size = 4096;
  set_full_rcode(0xfff, b2.header(), e2);
  ASSERT_TRUE(b2.add_opt(e2));
  len = b2.finish();
  ASSERT_EQ(v.parse(std::span<const uint8_t>(buf.data(), len)), WireError::ok);
  EXPECT_EQ(v.edns().version, 1);
  EXPECT_FALSE(v.edns().do_bit);
  EXPECT_EQ(v.edns().full_rcode(v.header().rcode), 0xfff);
  EXPECT_EQ(v.header().qdcount, 0);
  EXPECT_TRUE(v.qname().is_root());
}

TEST(MessageBuilder, RawTailCountsAsAdditional) {
  std::vector<uint8_t> buf(512);
  MessageBuilder b(buf, buf.size());
  ASSERT_TRUE(b.add_question(N("example.net."), rrtype::SOA, rrclass::IN));
  std::vector<uint8_t> m;
  tsig_record(m);
  ASSERT_TRUE(b.append_raw_tail(m));
  size_t len = b.finish();
  MessageView v;
  ASSERT_EQ(v.parse(std::span<const uint8_t>(buf.data(), len)), WireError::ok);
  ASSERT_TRUE(v.has_tsig());
  EXPECT_EQ(v.tsig_offset(), len - m.size());
  EXPECT_EQ(v.tsig().rclass, rrclass::ANY);
}

// ---- malformed input -------------------------------------------------------

TEST(MessageView, ShortAndCountsBeyondData) {
  EXPECT_EQ(parse({}), WireError::truncated);
  EXPECT_EQ(parse(bytes({1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})), WireError::truncated);
  EXPECT_EQ(parse(header(0, 0, 0, 0)), WireError::ok);
  EXPECT_EQ(parse(header(1, 0, 0, 0)), WireError::truncated);
  auto m = header(1, 0, 0, 0);
  question(m);
  m.pop_back();  // class cut short
  EXPECT_EQ(parse(m), WireError::truncated);
  m = header(1, 5, 0, 0);  // five answers announced, one present
  question(m);
  a_record(m);
  EXPECT_EQ(parse(m), WireError::truncated);
  m = header(1, 0, 0, 0xffff);
  question(m);
  EXPECT_EQ(parse(m), WireError::truncated);
  // Fixed fields cut short.
  m = header(1, 1, 0, 0);
  question(m);
  append(m, {0xc0, 0x0c, 0, 1, 0, 1, 0, 0});
  EXPECT_EQ(parse(m), WireError::truncated);
}

TEST(MessageView, TruncatedRdata) {
  auto m = header(1, 1, 0, 0);
  question(m);
  a_record(m);
  m.resize(m.size() - 2);  // rdlength 4, 2 octets present
  EXPECT_EQ(parse(m), WireError::truncated);
}

TEST(MessageView, RdataCheckedAgainstType) {
  auto m = header(1, 1, 0, 0);
  question(m);
  a_record(m, 3);  // an A record of 3 octets
  EXPECT_EQ(parse(m), WireError::bad_rdata);
  m = header(1, 1, 0, 0);
  question(m);
  append(m, {0xc0, 0x0c, 0, 2, 0, 1, 0, 0, 0, 1, 0, 3, 1, 'a', 0xc0});  // NS, name cut by rdlength
  EXPECT_NE(parse(m), WireError::ok);
}

TEST(MessageView, TrailingDataIsAnError) {
  auto m = header(1, 1, 0, 0);
  question(m);
  a_record(m);
  EXPECT_EQ(parse(m), WireError::ok);
  m.push_back(0);
  EXPECT_EQ(parse(m), WireError::trailing_data);
}

TEST(MessageView, PointerErrors) {
  // Pointer to itself.
  auto m = header(1, 0, 0, 0);
  append(m, {0xc0, 12, 0, 1, 0, 1});
  EXPECT_EQ(parse(m), WireError::pointer_loop);
  // Pointer forward (to the type field after it).
  m = header(1, 0, 0, 0);
  append(m, {0xc0, 14, 0, 1, 0, 1});
  EXPECT_EQ(parse(m), WireError::forward_pointer);
  // Pointer past the end of the message.
  m = header(1, 0, 0, 0);
  append(m, {0xc0, 0xff, 0, 1, 0, 1});
  EXPECT_EQ(parse(m), WireError::pointer_past_end);
  // Two names pointing at each other: the second points forward into the first's pointer.
  m = header(1, 1, 0, 0);
  question(m);  // ends at 33
  append(m, {0xc0, 35, 0xc0, 33, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0});
  EXPECT_NE(parse(m), WireError::ok);
  // A loop through an earlier name: owner -> 33 which points back at itself.
  m = header(1, 1, 0, 0);
  question(m);
  append(m, {1, 'a', 0xc0, 33, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4});
  EXPECT_EQ(parse(m), WireError::pointer_loop);
  // Pointer cut in half.
  m = header(1, 0, 0, 0);
  append(m, {0xc0});
  EXPECT_EQ(parse(m), WireError::truncated);
  // Compressed name inside rdata pointing forward.
  m = header(1, 1, 0, 0);
  question(m);
  append(m, {0xc0, 0x0c, 0, 2, 0, 1, 0, 0, 0, 1, 0, 2, 0xc0, 0x40});
  EXPECT_NE(parse(m), WireError::ok);
}

TEST(MessageView, LabelTypesAndLengths) {
  auto m = header(1, 0, 0, 0);
  append(m, {0x40, 'a', 0, 0, 1, 0, 1});
  EXPECT_EQ(parse(m), WireError::bad_label_type);
  m = header(1, 0, 0, 0);
  append(m, {0x80, 'a', 0, 0, 1, 0, 1});
  EXPECT_EQ(parse(m), WireError::bad_label_type);
  // 63-octet labels are fine; five of them exceed 255.
  m = header(1, 0, 0, 0);
  for (int l = 0; l < 3; ++l) {
    m.push_back(63);
    m.insert(m.end(), 63, 'x');
  }
  append(m, {61});
  m.insert(m.end(), 61, 'y');
  append(m, {0, 0, 1, 0, 1});  // 3*64 + 62 + 1 = 255: the maximum
  EXPECT_EQ(parse(m), WireError::ok);
  m = header(1, 0, 0, 0);
  for (int l = 0; l < 4; ++l) {
    m.push_back(63);
    m.insert(m.end(), 63, 'x');
  }
  append(m, {0, 0, 1, 0, 1});  // 257
  EXPECT_EQ(parse(m), WireError::name_too_long);
  // Too long only once decompressed: 200 octets + pointer to a 64-octet name.
  m = header(2, 0, 0, 0);
  append(m, {63});
  m.insert(m.end(), 63, 'p');
  append(m, {0, 0, 1, 0, 1});  // first question at 12, 65 octets
  for (int l = 0; l < 3; ++l) {
    m.push_back(63);
    m.insert(m.end(), 63, 'q');
  }
  append(m, {0xc0, 12, 0, 1, 0, 1});
  EXPECT_EQ(parse(m), WireError::name_too_long);
}

TEST(MessageView, OptPlacement) {
  auto ok = header(1, 0, 0, 1);
  question(ok);
  opt_record(ok);
  EXPECT_EQ(parse(ok), WireError::ok);
  // OPT in the answer section.
  auto m = header(1, 1, 0, 0);
  question(m);
  opt_record(m);
  EXPECT_EQ(parse(m), WireError::bad_opt);
  // OPT in authority.
  m = header(1, 0, 1, 0);
  question(m);
  opt_record(m);
  EXPECT_EQ(parse(m), WireError::bad_opt);
  // Two OPTs.
  m = header(1, 0, 0, 2);
  question(m);
  opt_record(m);
  opt_record(m);
  EXPECT_EQ(parse(m), WireError::bad_opt);
  // Owner not the root.
  m = header(1, 0, 0, 1);
  question(m);
  opt_record(m, {0xc0, 0x0c});
  EXPECT_EQ(parse(m), WireError::bad_opt);
  // Owner a pointer that leads to the root: still the root name.
  m = header(1, 0, 0, 1);
  question(m);
  opt_record(m, {0xc0, 28});  // offset 28 is the question's terminating zero
  EXPECT_EQ(parse(m), WireError::ok);
  // Option list malformed: a length running past the rdata, or a stray octet.
  m = header(1, 0, 0, 1);
  question(m);
  opt_record(m, {0}, bytes({0, 10, 0, 8, 1, 2, 3}));
  EXPECT_EQ(parse(m), WireError::bad_opt);
  m = header(1, 0, 0, 1);
  question(m);
  opt_record(m, {0}, bytes({0, 3, 0, 0, 7}));
  EXPECT_EQ(parse(m), WireError::bad_opt);
  // An unknown option is fine.
  m = header(1, 0, 0, 1);
  question(m);
  opt_record(m, {0}, bytes({0xfd, 0xe9, 0, 1, 7}));
  EXPECT_EQ(parse(m), WireError::ok);
}

TEST(MessageView, TsigPlacement) {
  auto ok = header(1, 0, 0, 2);
  question(ok);
  opt_record(ok);
  tsig_record(ok);
  MessageView v;
  ASSERT_EQ(v.parse(ok), WireError::ok);
  ASSERT_TRUE(v.has_tsig());
  EXPECT_EQ(v.tsig_offset(), 12u + 21 + 11);
  EXPECT_EQ(v.tsig().type, rrtype::TSIG);
  EXPECT_TRUE(v.edns().present);
  // TSIG not last.
  auto m = header(1, 0, 0, 2);
  question(m);
  tsig_record(m);
  opt_record(m);
  EXPECT_EQ(parse(m), WireError::bad_tsig);
  // TSIG in the answer section.
  m = header(1, 1, 0, 0);
  question(m);
  tsig_record(m);
  EXPECT_EQ(parse(m), WireError::bad_tsig);
  // Two TSIGs.
  m = header(1, 0, 0, 2);
  question(m);
  tsig_record(m);
  tsig_record(m);
  EXPECT_EQ(parse(m), WireError::bad_tsig);
  // Class other than ANY.
  m = header(1, 0, 0, 1);
  question(m);
  tsig_record(m, rrclass::IN);
  EXPECT_EQ(parse(m), WireError::bad_tsig);
}

// ---- messages made by dnspython 2.3 ----------------------------------------

// make_query('www.example.com.', 'A', use_edns=0, payload=1232, want_dnssec=True,
//            options=[GenericOption(10, 0123456789abcdef)]), id 0x1234
constexpr const char* kPyQuery =
    "12340100000100000000000103777777076578616d706c6503636f6d000001000100002904d0000080"
    "00000c000a00080123456789abcdef";
// make_response of it, AA, two A, two NS, A + AAAA glue.
constexpr const char* kPyResponse =
    "12348500000100020002000303777777076578616d706c6503636f6d0000010001c00c00010001000001"
    "2c0004c0000202c00c000100010000012c0004c0000201c0100002000100000e100006036e7331c010c0"
    "100002000100000e100006036e7332c010c04d0001000100000e100004c0000235c04d001c000100000e"
    "10001020010db80000000000000000000000530000292000000000000000";
// NXDOMAIN-style response with set_rcode(BADVERS) and an SOA in authority.
constexpr const char* kPyBadvers =
    "beef81000001000000010001046e6f7065076578616d706c65036f726700000f0001c011000600010000"
    "03840026026e73c0110a686f73746d6173746572c01178a3f17500001c2000000e10001275000000012c"
    "0000292000010000000000";
// make_query('example.net.', 'SOA') signed with hmac-sha256 key "key.example.".
constexpr const char* kPyTsig =
    "424201000001000000000001076578616d706c65036e65740000060001036b6579076578616d706c6500"
    "00fa00ff00000000003d0b686d61632d7368613235360000006b05110e012c002082a75701d9215fee87"
    "eb0c5ea6e7a4008aadd9894e2adcdb6f7f76010c703928424200000000";

TEST(MessageView, DnspythonQuery) {
  auto m = hex(kPyQuery);
  MessageView v;
  ASSERT_EQ(v.parse(m), WireError::ok);
  EXPECT_EQ(v.header().id, 0x1234);
  EXPECT_TRUE(v.header().rd);
  EXPECT_FALSE(v.header().qr);
  EXPECT_EQ(v.qname().to_text(), "www.example.com.");
  EXPECT_EQ(v.qtype(), rrtype::A);
  ASSERT_TRUE(v.edns().present);
  EXPECT_EQ(v.edns().udp_size, 1232);
  EXPECT_TRUE(v.edns().do_bit);
  EXPECT_EQ(v.edns().version, 0);
  auto ck = v.edns().find(edns_option::COOKIE);
  ASSERT_TRUE(ck.has_value());
  auto cookie = parse_cookie(ck->data);
  ASSERT_TRUE(cookie.has_value());
  EXPECT_EQ(cookie->client, hex("0123456789abcdef"));
  EXPECT_TRUE(cookie->server.empty());
}

TEST(MessageView, DnspythonResponseAndRebuild) {
  auto m = hex(kPyResponse);
  MessageView v;
  ASSERT_EQ(v.parse(m), WireError::ok);
  EXPECT_TRUE(v.header().qr && v.header().aa && v.header().rd);
  EXPECT_EQ(v.header().ancount, 2);
  EXPECT_EQ(v.header().nscount, 2);
  EXPECT_EQ(v.header().arcount, 3);
  EXPECT_EQ(v.edns().udp_size, 8192);
  struct Want {
    Section s;
    const char* owner;
    uint16_t type;
    uint32_t ttl;
  } want[] = {{Section::answer, "www.example.com.", rrtype::A, 300},
              {Section::answer, "www.example.com.", rrtype::A, 300},
              {Section::authority, "example.com.", rrtype::NS, 3600},
              {Section::authority, "example.com.", rrtype::NS, 3600},
              {Section::additional, "ns1.example.com.", rrtype::A, 3600},
              {Section::additional, "ns1.example.com.", rrtype::AAAA, 3600},
              {Section::additional, ".", rrtype::OPT, 0}};
  size_t i = 0;
  // Rebuild with namae's builder; dnspython compresses the same way, so the
  // octets must come out identical.
  std::vector<uint8_t> buf(512);
  MessageBuilder b(buf, buf.size());
  b.header() = v.header();
  ASSERT_TRUE(b.add_question(v.qname(), v.qtype(), v.qclass()));
  for (Section s : {Section::answer, Section::authority, Section::additional}) {
    b.begin(s);
    auto c = v.records(s);
    RecordView rr;
    while (c.next(rr)) {
      ASSERT_LT(i, std::size(want));
      EXPECT_EQ(rr.section, want[i].s);
      EXPECT_EQ(v.owner(rr).to_text(), want[i].owner);
      EXPECT_EQ(rr.type, want[i].type);
      EXPECT_EQ(rr.ttl, want[i].ttl);
      ++i;
      if (rr.type == rrtype::OPT) {
        ASSERT_TRUE(b.add_opt(v.edns()));
        continue;
      }
      RdataBytes rd;
      ASSERT_EQ(rdata::decode(rr.type, v.data(), rr.rdata_offset, rr.rdlength, rd), WireError::ok);
      ASSERT_TRUE(b.add_record(v.owner(rr), rr.type, rr.rclass, rr.ttl, rd));
    }
  }
  EXPECT_EQ(i, std::size(want));
  size_t len = b.finish();
  EXPECT_EQ(std::vector<uint8_t>(buf.begin(), buf.begin() + len), m);
}

TEST(MessageView, DnspythonBadvers) {
  auto m = hex(kPyBadvers);
  MessageView v;
  ASSERT_EQ(v.parse(m), WireError::ok);
  EXPECT_EQ(v.header().id, 0xbeef);
  EXPECT_EQ(v.header().rcode, 0);
  EXPECT_EQ(v.edns().ext_rcode, 1);
  EXPECT_EQ(v.edns().full_rcode(v.header().rcode), rcode::BADVERS);
  EXPECT_EQ(v.qname().to_text(), "nope.example.org.");
  EXPECT_EQ(v.qtype(), rrtype::MX);
  auto c = v.records(Section::authority);
  RecordView rr;
  ASSERT_TRUE(c.next(rr));
  EXPECT_EQ(rr.type, rrtype::SOA);
  EXPECT_EQ(rr.ttl, 900u);
  EXPECT_EQ(v.owner(rr).to_text(), "example.org.");
  RdataBytes rd;
  ASSERT_EQ(rdata::decode(rr.type, v.data(), rr.rdata_offset, rr.rdlength, rd), WireError::ok);
  RdataBytes want = rd_name("ns.example.org.");
  auto rn = rd_name("hostmaster.example.org.");
  want.insert(want.end(), rn.begin(), rn.end());
  auto tail = hex("78a3f17500001c2000000e10001275000000012c");
  want.insert(want.end(), tail.begin(), tail.end());
  EXPECT_EQ(rd, want);
}

TEST(MessageView, DnspythonTsig) {
  auto m = hex(kPyTsig);
  MessageView v;
  ASSERT_EQ(v.parse(m), WireError::ok);
  ASSERT_TRUE(v.has_tsig());
  EXPECT_EQ(v.tsig_offset(), 12u + 13 + 4);
  EXPECT_EQ(v.tsig().rclass, rrclass::ANY);
  EXPECT_EQ(v.tsig().rdlength, 0x3d);
  RecordView rr = v.tsig();
  EXPECT_EQ(v.owner(rr).to_text(), "key.example.");
  // Moving the TSIG before another record must be refused.
  auto bad = m;
  bad[11] = 2;  // ARCOUNT 2
  append(bad, {0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0});
  EXPECT_EQ(parse(bad), WireError::bad_tsig);
}

// UpdateMessage('example.com.'): present x, absent y AAAA, delete host A,
// delete host2, delete host3 A 192.0.2.1, add new 300 A 192.0.2.9.
constexpr const char* kPyUpdate =
    "515028000001000200040000076578616d706c6503636f6d00000600010178c00c00ff00ff00000000000001"
    "79c00c001c00fe00000000000004686f7374c00c000100ff00000000000005686f737432c00c00ff00ff0000"
    "0000000005686f737433c00c000100fe000000000004c0000201036e6577c00c000100010000012c0004c000"
    "0209";

TEST(MessageView, DnspythonUpdateWithEmptyRdata) {
  auto m = hex(kPyUpdate);
  MessageView v;
  ASSERT_EQ(v.parse(m), WireError::ok);
  EXPECT_EQ(v.header().opcode, opcode::UPDATE);
  EXPECT_EQ(v.qname().to_text(), "example.com.");  // the zone section
  EXPECT_EQ(v.qtype(), rrtype::SOA);
  EXPECT_EQ(v.count(Section::answer), 2);     // prerequisites
  EXPECT_EQ(v.count(Section::authority), 4);  // updates
  auto c = v.records(Section::authority);
  RecordView rr;
  ASSERT_TRUE(c.next(rr));
  EXPECT_EQ(v.owner(rr).to_text(), "host.example.com.");
  EXPECT_EQ(rr.type, rrtype::A);
  EXPECT_EQ(rr.rclass, rrclass::ANY);
  EXPECT_EQ(rr.rdlength, 0);
  // The same empty A record outside UPDATE is malformed.
  auto q = m;
  q[2] = 0x00;  // opcode QUERY
  EXPECT_EQ(parse(q), WireError::bad_rdata);
}

TEST(MessageView, RejectedMessageWalksNothing) {
  auto m = header(1, 1, 0, 0);
  question(m);
  a_record(m, 3);
  MessageView v;
  ASSERT_NE(v.parse(m), WireError::ok);
  RecordView rr;
  EXPECT_FALSE(v.records(Section::answer).next(rr));
  EXPECT_FALSE(v.records(Section::question).next(rr));
}

TEST(MessageView, ReuseResetsState) {
  MessageView v;
  ASSERT_EQ(v.parse(hex(kPyTsig)), WireError::ok);
  EXPECT_TRUE(v.has_tsig());
  auto m = header(0, 0, 0, 0);
  ASSERT_EQ(v.parse(m), WireError::ok);
  EXPECT_FALSE(v.has_tsig());
  EXPECT_FALSE(v.edns().present);
  EXPECT_TRUE(v.qname().is_root());
}

}  // namespace
}  // namespace namae::dns
