// The parent DS check's reading of answers: a reply's DS set (NOERROR with
// or without DS, NXDOMAIN; anything else no verdict), and the verdict over
// every agent: the DS of an awaited key (any digest type) everywhere is
// ds-seen, an empty set everywhere ds-gone, one agent disagreeing or not
// answering is nothing.
#include "daemon/parent_ds.h"

#include <gtest/gtest.h>

#include "dns/rrtype.h"
#include "dnssec/algorithm.h"
#include "dnssec/dnskey.h"
#include "dnssec/key_file.h"

namespace namae::daemon {
namespace {

dns::Name N(const std::string& t) { return dns::Name::from_text(t).value(); }

std::vector<uint8_t> reply(const dns::Name& qname, uint16_t qtype, uint8_t rcode,
                           const std::vector<dns::RdataBytes>& ds) {
  std::vector<uint8_t> buf(1024);
  dns::MessageBuilder b(buf, buf.size());
  b.header().id = 7;
  b.header().qr = true;
  b.header().rcode = rcode;
  b.add_question(qname, qtype, dns::rrclass::IN);
  b.begin(dns::Section::answer);
  for (const auto& rd : ds) b.add_record(qname, dns::rrtype::DS, dns::rrclass::IN, 60, rd);
  buf.resize(b.finish());
  return buf;
}

std::optional<std::vector<dns::RdataBytes>> read(const std::vector<uint8_t>& wire) {
  dns::MessageView v;
  EXPECT_EQ(v.parse(wire), dns::WireError::ok);
  return ds_set_of(v, v.header().rcode, N("kid.test."));
}

ParentDs agent(std::vector<dns::RdataBytes> ds) { return {true, std::move(ds), ""}; }

TEST(ParentDs, ReadsTheDsSetOfAReply) {
  const dns::Name zone = N("kid.test.");
  const dns::RdataBytes ds = {1, 2, 13, 2, 0xaa, 0xbb};
  EXPECT_EQ(read(reply(zone, dns::rrtype::DS, dns::rcode::NOERROR, {ds})), std::vector<dns::RdataBytes>{ds});
  EXPECT_EQ(read(reply(zone, dns::rrtype::DS, dns::rcode::NOERROR, {})), std::vector<dns::RdataBytes>{});
  EXPECT_EQ(read(reply(zone, dns::rrtype::DS, dns::rcode::NXDOMAIN, {})), std::vector<dns::RdataBytes>{});
  EXPECT_EQ(read(reply(zone, dns::rrtype::DS, dns::rcode::SERVFAIL, {})), std::nullopt);
  EXPECT_EQ(read(reply(zone, dns::rrtype::DS, dns::rcode::REFUSED, {})), std::nullopt);
  EXPECT_EQ(read(reply(N("other.test."), dns::rrtype::DS, dns::rcode::NOERROR, {ds})), std::nullopt);
  EXPECT_EQ(read(reply(zone, dns::rrtype::SOA, dns::rcode::NOERROR, {})), std::nullopt);
}

TEST(ParentDs, JudgesEveryAgentsAnswer) {
  const dns::Name zone = N("kid.test.");
  auto k1 = dnssec::generate_zone_key(zone, dnssec::alg::ECDSAP256SHA256, dnssec::kFlagsKsk, 0);
  auto k2 = dnssec::generate_zone_key(zone, dnssec::alg::ECDSAP256SHA256, dnssec::kFlagsKsk, 0);
  ASSERT_TRUE(k1.ok() && k2.ok());
  const auto ds1 = *dnssec::ds_rdata(zone, k1->dnskey, 2);
  const auto ds2 = *dnssec::ds_rdata(zone, k2->dnskey, 2);
  const auto ds2_sha384 = *dnssec::ds_rdata(zone, k2->dnskey, 4);
  signing::ZoneKeyRing::DsWait wait;
  wait.keys = {{k2->tag, k2->dnskey}};
  // The old DS only: nothing; the new one at every agent (any digest): seen.
  EXPECT_FALSE(judge({agent({ds1})}, zone, wait).seen);
  EXPECT_EQ(judge({agent({ds1, ds2})}, zone, wait).seen, k2->tag);
  EXPECT_EQ(judge({agent({ds2}), agent({ds2_sha384})}, zone, wait).seen, k2->tag);
  // One agent behind, or not answering: nothing yet.
  EXPECT_FALSE(judge({agent({ds2}), agent({ds1})}, zone, wait).seen);
  EXPECT_FALSE(judge({agent({ds2}), ParentDs{false, {}, "timed out"}}, zone, wait).seen);
  EXPECT_FALSE(judge({}, zone, wait).seen);
  // A DS of the right tag but another key's digest is not it.
  auto forged = ds2;
  forged.back() ^= 1;
  EXPECT_FALSE(judge({agent({forged})}, zone, wait).seen);
  // Going insecure: gone only when every agent has no DS.
  signing::ZoneKeyRing::DsWait gone;
  gone.gone = true;
  EXPECT_TRUE(judge({agent({}), agent({})}, zone, gone).gone);
  EXPECT_FALSE(judge({agent({}), agent({ds1})}, zone, gone).gone);
  EXPECT_FALSE(judge({agent({}), ParentDs{false, {}, "REFUSED"}}, zone, gone).gone);
}

}  // namespace
}  // namespace namae::daemon
