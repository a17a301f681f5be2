// dig-style, +short and RFC 8427 JSON output of `namae query`, and the JSON writer.
#include "cli/print.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "cli/json.h"
#include "dns/edns.h"
#include "dns/message.h"
#include "dns/rrtype.h"
#include "dns/tsig.h"

namespace namae::cli {
namespace {

using dns::Name;
using dns::Section;

Name n(const char* text) { return Name::from_text(text).value(); }

// www.example.test A reply with one record per section, EDNS with DO and a cookie.
std::vector<uint8_t> sample_reply(bool with_edns = true, uint8_t opcode = dns::opcode::QUERY) {
  std::vector<uint8_t> buf(4096);
  dns::MessageBuilder b(buf, buf.size());
  auto& h = b.header();
  h.id = 4660;
  h.qr = h.aa = h.rd = true;
  h.opcode = opcode;
  EXPECT_TRUE(b.add_question(n("www.example.test."), dns::rrtype::A, dns::rrclass::IN));
  b.begin(Section::answer);
  const uint8_t a1[] = {192, 0, 2, 1};
  EXPECT_TRUE(b.add_record(n("www.example.test."), dns::rrtype::A, dns::rrclass::IN, 3600, a1));
  b.begin(Section::authority);
  auto ns = n("ns1.example.test.");
  EXPECT_TRUE(b.add_record(n("example.test."), dns::rrtype::NS, dns::rrclass::IN, 3600,
                           ns.wire()));
  b.begin(Section::additional);
  const uint8_t a2[] = {127, 0, 0, 1};
  EXPECT_TRUE(b.add_record(ns, dns::rrtype::A, dns::rrclass::IN, 3600, a2));
  std::vector<uint8_t> options;
  const uint8_t cookie[] = {1, 2, 3, 4, 5, 6, 7, 8};
  dns::append_edns_option(options, dns::edns_option::COOKIE, cookie);
  if (with_edns) {
    dns::Edns e;
    e.present = true;
    e.udp_size = 1232;
    e.do_bit = true;
    e.options = options;
    EXPECT_TRUE(b.add_opt(e));
  }
  buf.resize(b.finish());
  return buf;
}

class PrintTest : public ::testing::Test {
 protected:
  void SetUp() override {
    setenv("TZ", "UTC", 1);
    tzset();
  }
};

TEST_F(PrintTest, DigLayout) {
  auto wire = sample_reply();
  dns::MessageView v;
  ASSERT_EQ(v.parse(wire), dns::WireError::ok);
  ReplyFooter f;
  f.server_address = "127.0.0.1";
  f.port = 5300;
  f.protocol = "UDP";
  f.rtt_ms = 4;
  f.when = 0;
  f.size = wire.size();
  std::string expected =
      ";; Got answer:\n"
      ";; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 4660\n"
      ";; flags: qr aa rd; QUERY: 1, ANSWER: 1, AUTHORITY: 1, ADDITIONAL: 2\n"
      ";; WARNING: recursion requested but not available\n"
      "\n"
      ";; OPT PSEUDOSECTION:\n"
      "; EDNS: version: 0, flags: do; udp: 1232\n"
      "; COOKIE: 0102030405060708\n"
      ";; QUESTION SECTION:\n"
      ";www.example.test.\t\tIN\tA\n"
      "\n"
      ";; ANSWER SECTION:\n"
      "www.example.test.\t3600\tIN\tA\t192.0.2.1\n"
      "\n"
      ";; AUTHORITY SECTION:\n"
      "example.test.\t\t3600\tIN\tNS\tns1.example.test.\n"
      "\n"
      ";; ADDITIONAL SECTION:\n"
      "ns1.example.test.\t3600\tIN\tA\t127.0.0.1\n"
      "\n"
      ";; Query time: 4 msec\n"
      ";; SERVER: 127.0.0.1#5300(127.0.0.1) (UDP)\n"
      ";; WHEN: Thu Jan 01 00:00:00 UTC 1970\n"
      ";; MSG SIZE  rcvd: " +
      std::to_string(wire.size()) + "\n";
  EXPECT_EQ(format_dig(v, true, &f), expected);
  // No RD asked: no warning; no footer when not given.
  std::string no_rd = format_dig(v, false, nullptr);
  EXPECT_EQ(no_rd.find("WARNING"), std::string::npos);
  EXPECT_EQ(no_rd.find("Query time"), std::string::npos);
}

TEST_F(PrintTest, ColumnsForLongAndShortOwners) {
  // Owners shorter than 8, exactly 16, and longer than 24 columns.
  std::vector<uint8_t> buf(1024);
  dns::MessageBuilder b(buf, buf.size());
  b.header().qr = true;
  b.begin(Section::answer);
  const uint8_t a[] = {10, 0, 0, 1};
  for (const char* owner : {"a.", "abcdefghijklmno.", "a-very-long-owner-name.example.test."})
    ASSERT_TRUE(b.add_record(n(owner), dns::rrtype::A, dns::rrclass::IN, 60, a));
  buf.resize(b.finish());
  dns::MessageView v;
  ASSERT_EQ(v.parse(buf), dns::WireError::ok);
  auto c = v.records(Section::answer);
  dns::RecordView rr;
  std::vector<std::string> lines;
  while (c.next(rr)) lines.push_back(format_record(v, rr));
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "a.\t\t\t60\tIN\tA\t10.0.0.1");
  EXPECT_EQ(lines[1], "abcdefghijklmno.\t60\tIN\tA\t10.0.0.1");
  EXPECT_EQ(lines[2], "a-very-long-owner-name.example.test.\t60\tIN\tA\t10.0.0.1");
}

TEST_F(PrintTest, TsigPseudosectionAndStatus) {
  auto wire = sample_reply(false);
  wire[3] = (wire[3] & 0xf0) | dns::rcode::NOTAUTH;
  size_t len = wire.size();
  wire.resize(1024);
  dns::TsigKey key;
  key.name = n("testkey.");
  key.secret = {1, 2, 3};
  dns::TsigSignParams p;
  p.time_signed = 1700000000;
  p.unsigned_error = true;
  p.error = dns::rcode::BADSIG;
  auto signed_len = dns::tsig_sign(wire, len, key, p);
  ASSERT_TRUE(signed_len.ok());
  wire.resize(*signed_len);
  dns::MessageView v;
  ASSERT_EQ(v.parse(wire), dns::WireError::ok);
  std::string out = format_dig(v, false, nullptr);
  EXPECT_NE(out.find("status: NOTAUTH"), std::string::npos) << out;
  EXPECT_NE(out.find(";; TSIG PSEUDOSECTION:\n"
                     "testkey.\t\t0\tANY\tTSIG\thmac-sha256. 1700000000 300 0 4660 BADSIG 0\n"),
            std::string::npos)
      << out;
  // The TSIG is not listed as an additional record; ns1's A still is.
  EXPECT_EQ(out.find("ADDITIONAL SECTION:\nns1.example.test.\t3600\tIN\tA\t127.0.0.1\n\n;; TSIG"),
            out.find("ADDITIONAL SECTION:"));
  EXPECT_EQ(out.find("OPT PSEUDOSECTION"), std::string::npos);
}

TEST_F(PrintTest, UpdateSectionNames) {
  auto wire = sample_reply(false, dns::opcode::UPDATE);
  dns::MessageView v;
  ASSERT_EQ(v.parse(wire), dns::WireError::ok);
  std::string out = format_dig(v, true, nullptr);
  EXPECT_NE(out.find("opcode: UPDATE"), std::string::npos);
  EXPECT_NE(out.find("ZONE: 1, PREREQ: 1, UPDATE: 1, ADDITIONAL: 1"), std::string::npos);
  EXPECT_NE(out.find(";; ZONE SECTION:"), std::string::npos);
  EXPECT_NE(out.find(";; PREREQUISITE SECTION:"), std::string::npos);
  EXPECT_NE(out.find(";; UPDATE SECTION:"), std::string::npos);
  EXPECT_EQ(out.find("WARNING"), std::string::npos);
}

TEST_F(PrintTest, Short) {
  auto wire = sample_reply();
  dns::MessageView v;
  ASSERT_EQ(v.parse(wire), dns::WireError::ok);
  EXPECT_EQ(format_short(v), "192.0.2.1\n");
}

TEST_F(PrintTest, Json) {
  auto wire = sample_reply();
  dns::MessageView v;
  ASSERT_EQ(v.parse(wire), dns::WireError::ok);
  std::string expected = R"({
  "dateString": "2023-11-14T22:13:20Z",
  "dateSeconds": 1700000000,
  "msgLength": )" + std::to_string(wire.size()) +
                         R"(,
  "ID": 4660,
  "QR": 1,
  "Opcode": 0,
  "AA": 1,
  "TC": 0,
  "RD": 1,
  "RA": 0,
  "AD": 0,
  "CD": 0,
  "RCODE": 0,
  "QDCOUNT": 1,
  "ANCOUNT": 1,
  "NSCOUNT": 1,
  "ARCOUNT": 2,
  "QNAME": "www.example.test.",
  "QTYPE": 1,
  "QTYPEname": "A",
  "QCLASS": 1,
  "QCLASSname": "IN",
  "questionRRs": [
    {
      "NAME": "www.example.test.",
      "TYPE": 1,
      "TYPEname": "A",
      "CLASS": 1,
      "CLASSname": "IN"
    }
  ],
  "answerRRs": [
    {
      "NAME": "www.example.test.",
      "TYPE": 1,
      "TYPEname": "A",
      "CLASS": 1,
      "CLASSname": "IN",
      "TTL": 3600,
      "rdataA": "192.0.2.1",
      "RDLENGTH": 4,
      "RDATAHEX": "C0000201"
    }
  ],
  "authorityRRs": [
    {
      "NAME": "example.test.",
      "TYPE": 2,
      "TYPEname": "NS",
      "CLASS": 1,
      "CLASSname": "IN",
      "TTL": 3600,
      "rdataNS": "ns1.example.test.",
      "RDLENGTH": 18,
      "RDATAHEX": "036E7331076578616D706C65047465737400"
    }
  ],
  "additionalRRs": [
    {
      "NAME": "ns1.example.test.",
      "TYPE": 1,
      "TYPEname": "A",
      "CLASS": 1,
      "CLASSname": "IN",
      "TTL": 3600,
      "rdataA": "127.0.0.1",
      "RDLENGTH": 4,
      "RDATAHEX": "7F000001"
    },
    {
      "NAME": ".",
      "TYPE": 41,
      "TYPEname": "OPT",
      "CLASS": 1232,
      "TTL": 32768,
      "RDLENGTH": 12,
      "RDATAHEX": "000A00080102030405060708"
    }
  ]
}
)";
  EXPECT_EQ(format_json(v, 1700000000), expected);
}

TEST_F(PrintTest, JsonEscapesRdataText) {
  // TXT with a quote, a backslash and a control octet: presentation form
  // escapes them, and the JSON string escapes the presentation form again.
  std::vector<uint8_t> buf(512);
  dns::MessageBuilder b(buf, buf.size());
  b.header().qr = true;
  b.begin(Section::answer);
  const uint8_t txt[] = {5, 'a', '"', '\\', 0x07, 0xff};
  ASSERT_TRUE(b.add_record(n("t."), dns::rrtype::TXT, dns::rrclass::IN, 1, txt));
  buf.resize(b.finish());
  dns::MessageView v;
  ASSERT_EQ(v.parse(buf), dns::WireError::ok);
  std::string out = format_json(v, 0);
  EXPECT_NE(out.find(R"("rdataTXT": "\"a\\\"\\\\\\007\\255\"")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("questionRRs": [])"), std::string::npos) << out;
}

TEST(Json, QuoteEscapes) {
  EXPECT_EQ(json_quote("plain"), "\"plain\"");
  EXPECT_EQ(json_quote("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(json_quote("\n\t\r\b\f"), "\"\\n\\t\\r\\b\\f\"");
  EXPECT_EQ(json_quote(std::string("\x01\x1f\x7f\xff", 4)), "\"\\u0001\\u001f\\u007f\\u00ff\"");
  EXPECT_EQ(json_quote(std::string("\0", 1)), "\"\\u0000\"");
}

TEST(Json, Nesting) {
  JsonWriter w;
  w.begin_object();
  w.member("a", 1);
  w.key("list");
  w.begin_array();
  w.value("x");
  w.value(true);
  w.null();
  w.begin_object();
  w.end_object();
  w.begin_array();
  w.end_array();
  w.end_array();
  w.member("n", static_cast<int64_t>(-5));
  w.end_object();
  EXPECT_EQ(w.str(),
            "{\n  \"a\": 1,\n  \"list\": [\n    \"x\",\n    true,\n    null,\n    {},\n    []\n"
            "  ],\n  \"n\": -5\n}\n");
}

}  // namespace
}  // namespace namae::cli
