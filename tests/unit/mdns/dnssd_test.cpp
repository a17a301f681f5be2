// DNS-SD records (RFC 6763) and mDNS packet encoding.
#include "mdns/dnssd.h"

#include <gtest/gtest.h>

#include "fake.h"

namespace namae::mdns::test {
namespace {

TEST(Dnssd, TxtRules) {
  auto empty = encode_txt({});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(*empty, dns::RdataBytes{0});  // RFC 6763 6.1: one zero octet
  auto t = encode_txt({"rp=queue1", "flag", "empty="});
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(decode_txt(*t), (std::vector<std::string>{"rp=queue1", "flag", "empty="}));
  EXPECT_FALSE(encode_txt({"=nokey"}).ok());
  EXPECT_FALSE(encode_txt({std::string(256, 'a')}).ok());
  EXPECT_TRUE(encode_txt({std::string(255, 'a')}).ok());
  EXPECT_FALSE(encode_txt({"k\x01y=1"}).ok());
  EXPECT_TRUE(decode_txt(dns::RdataBytes{0}).empty());
}

TEST(Dnssd, ServiceRecords) {
  ServiceSpec svc{"My Printer ünïcode.v2", "_ipp._tcp", 631, {"rp=queue1"}, {"_universal"}};
  auto recs = service_records(svc, N("laptop.local."), 1);
  ASSERT_TRUE(recs.ok()) << recs.message();
  auto inst = *instance_name(svc.instance, N("_ipp._tcp.local."));
  EXPECT_EQ(inst.label_count(), 4u);  // the dot stays inside the instance label
  EXPECT_EQ(first_label(inst), svc.instance);
  int ptr = 0, srv = 0, txt = 0;
  for (const auto& r : *recs) {
    if (r.type == dns::rrtype::PTR) {
      ++ptr;
      EXPECT_FALSE(r.unique);
    }
    if (r.type == dns::rrtype::SRV) {
      ++srv;
      EXPECT_TRUE(r.unique);
      EXPECT_EQ(r.owner, inst);
    }
    if (r.type == dns::rrtype::TXT) ++txt;
  }
  EXPECT_EQ(ptr, 3);  // type, enumeration, subtype
  EXPECT_EQ(srv, 1);
  EXPECT_EQ(txt, 1);
  EXPECT_EQ((*recs)[1].owner, services_name());
  EXPECT_EQ((*recs)[2].owner, N("_universal._sub._ipp._tcp.local."));
  auto info = assemble_service(inst, *recs);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->port, 631);
  EXPECT_EQ(info->target, N("laptop.local."));
  EXPECT_EQ(info->txt, (std::vector<std::string>{"rp=queue1"}));
}

TEST(Dnssd, Names) {
  EXPECT_EQ(*service_type("_http._tcp"), N("_http._tcp.local."));
  EXPECT_EQ(*service_type("_http._tcp.local."), N("_http._tcp.local."));
  EXPECT_FALSE(service_type("http").ok());
  EXPECT_EQ(instance_for_attempt("Name", 2), "Name (2)");
  EXPECT_EQ(host_for_attempt("host", 2), "host-2");
  EXPECT_EQ(instance_for_attempt(std::string(63, 'x'), 12).size(), 63u);
  EXPECT_EQ(*reverse_name("192.0.2.1"), N("1.2.0.192.in-addr.arpa."));
  EXPECT_EQ(*reverse_name("fe80::1"),
            N("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.e.f.ip6.arpa."));
  auto h = host_records(N("laptop.local."), {"192.0.2.1", "fe80::1"});
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->size(), 4u);
}

TEST(Packet, TopBitsRoundTrip) {
  PacketWriter w;
  w.question(Question{N("a.local."), dns::rrtype::A, dns::rrclass::IN, true});
  w.header.qr = false;
  Record r = a_record("a.local.", "192.0.2.1");
  w.record(dns::Section::answer, r, 60);
  auto p = w.finish();
  ASSERT_EQ(p.size(), 1u);
  Message m;
  ASSERT_EQ(parse_message(p[0], m), dns::WireError::ok);
  EXPECT_TRUE(m.questions[0].unicast_response);
  EXPECT_EQ(m.questions[0].rclass, dns::rrclass::IN);
  EXPECT_TRUE(m.answers[0].unique);
  EXPECT_EQ(m.answers[0].rclass, dns::rrclass::IN);
  EXPECT_EQ(m.answers[0].ttl, 60u);
}

TEST(Packet, RejectsMalformedAndOtherOpcodes) {
  Message m;
  std::vector<uint8_t> shortp = {0, 0, 0};
  EXPECT_NE(parse_message(shortp, m), dns::WireError::ok);
  PacketWriter w;
  w.question(Question{N("a.local."), dns::rrtype::A});
  auto p = w.finish()[0];
  p[2] = static_cast<uint8_t>(p[2] | (dns::opcode::UPDATE << 3));
  EXPECT_NE(parse_message(p, m), dns::WireError::ok);
  auto q = w.finish()[0];
  q[5] = 3;  // three questions claimed, one present
  EXPECT_NE(parse_message(q, m), dns::WireError::ok);
}

}  // namespace
}  // namespace namae::mdns::test

namespace namae::mdns::test {
namespace {

TEST(Packet, BadRdataCostsOneRecordNotThePacket) {
  PacketWriter w;
  w.header.qr = true;
  // NSEC whose bitmap ends in a zero octet (RFC 4034 4.1.2 forbids it; zeroconf 0.47 sends it).
  Record nsec{{N("a.local."), dns::rrtype::NSEC, dns::rrclass::IN, 120, {0, 0, 2, 0x40, 0x00}}, true};
  w.record(dns::Section::answer, nsec);
  w.record(dns::Section::answer, a_record("a.local.", "192.0.2.1"));
  auto p = w.finish();
  Message m;
  ASSERT_EQ(parse_message(p.at(0), m), dns::WireError::ok);
  ASSERT_EQ(m.answers.size(), 1u);
  EXPECT_EQ(m.answers[0].type, dns::rrtype::A);
}

}  // namespace
}  // namespace namae::mdns::test
