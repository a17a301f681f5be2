// AuthEngine: every answer shape of issue 3 (RFC 1034 4.3.2, 2181, 2308,
// 4592, 6672, 8482) over zones loaded from text, checked section by section.
// Expectations follow what NSD 4.6 and BIND 9.18 answer for the same zones
// (docs/auth.md lists where namae deliberately differs).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "auth_test_util.h"

namespace namae::auth::authtest {
namespace {

using namespace dns::rrtype;
using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

std::string big_txt(int n, int len) {
  std::string out;
  for (int i = 0; i < n; ++i)
    out += "big TXT \"" + std::to_string(i) + std::string(len, 'x') + "\"\n";
  return out;
}

const std::string kLong63(63, 'l');

std::string example_com() {
  return R"($TTL 3600
@        SOA  ns1 hostmaster 2024010101 7200 3600 1209600 300
@        NS   ns1
@        NS   ns2.example.net.
@        MX   10 mail
@        MX   20 mail.example.net.
ns1      A    192.0.2.1
ns1      AAAA 2001:db8::1
www      A    192.0.2.10
mail     A    192.0.2.20
_sip._tcp SRV 0 5 5060 sip
sip      A    192.0.2.30
alias    CNAME www
chain1   CNAME chain2
chain2   CNAME alias
loop1    CNAME loop2
loop2    CNAME loop1
self     CNAME self
ext      CNAME www.example.net.
out      CNAME www.elsewhere.org.
tocut    CNAME host.child
a.b.c.ent A   192.0.2.40
*.wild   A    192.0.2.50
*.wild   MX   10 mail
x.wild   TXT  "explicit"
*.w2     A    192.0.2.51
a.b.w2   A    192.0.2.52
*.cw     CNAME www
child    NS   ns1.child
child    NS   ns.sibling
child    DS   12345 8 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
ns1.child A   192.0.2.60
deep.child A  192.0.2.62
sibling  NS   ns.sibling
ns.sibling A  192.0.2.61
dn       DNAME example.net.
long     DNAME )" +
         kLong63 + "." + kLong63 + "." + kLong63 + R"(.example.net.
Mixed    A    192.0.2.70
)" + big_txt(40, 30) +
         [] {
           std::string s;
           for (int i = 0; i < 15; ++i)
             s += "mid TXT \"" + std::to_string(i) + std::string(50, 'm') + "\"\n";
           return s;
         }();
}

std::string example_net() {
  return R"($TTL 600
@    SOA ns1.example.com. hostmaster.example.com. 7 7200 3600 1209600 60
@    NS  ns1.example.com.
www  A   198.51.100.1
foo  A   198.51.100.2
)";
}

class AuthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    com_ = make_zone("example.com", example_com());
    net_ = make_zone("example.net", example_net());
    ASSERT_TRUE(com_ && net_);
  }
  Server server(AuthOptions o = {}) { return Server({com_, net_}, o); }
  std::shared_ptr<const zone::ZoneVersion> com_, net_;
};

const char* kSoaCom =
    "example.com. 300 SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 "
    "300";
const char* kNsCom1 = "example.com. 3600 NS ns1.example.com.";
const char* kNsCom2 = "example.com. 3600 NS ns2.example.net.";
std::string kSoaCom_any() {
  return "example.com. 3600 SOA ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 "
         "1209600 300";
}
const char* kNs1A = "ns1.example.com. 3600 A 192.0.2.1";
const char* kNs1AAAA = "ns1.example.com. 3600 AAAA 2001:db8::1";

TEST_F(AuthTest, ExactAnswerWithNsAndAddresses) {
  auto s = server();
  auto r = s.ask("www.example.com", A);
  EXPECT_EQ(r.rcode, 0);
  EXPECT_TRUE(r.h.qr);
  EXPECT_TRUE(r.h.aa);
  EXPECT_TRUE(r.h.rd);   // copied
  EXPECT_FALSE(r.h.ra);  // never recursive
  EXPECT_EQ(r.h.id, 0x1234);
  EXPECT_THAT(r.answer, ElementsAre("www.example.com. 3600 A 192.0.2.10"));
  EXPECT_THAT(r.authority, UnorderedElementsAre(kNsCom1, kNsCom2));
  // ns2.example.net is another zone's name: no address for it here.
  EXPECT_THAT(r.additional, ElementsAre(kNs1A, kNs1AAAA));
}

TEST_F(AuthTest, MinimalResponsesLeaveOutAuthorityAndAdditional) {
  AuthOptions o;
  o.minimal_responses = true;
  auto s = server(o);
  auto r = s.ask("www.example.com", A);
  EXPECT_THAT(r.answer, ElementsAre("www.example.com. 3600 A 192.0.2.10"));
  EXPECT_TRUE(r.authority.empty());
  EXPECT_TRUE(r.additional.empty());
  r = s.ask("example.com", MX);
  EXPECT_EQ(r.answer.size(), 2u);
  EXPECT_TRUE(r.additional.empty());
}

TEST_F(AuthTest, NsQueryAtApexIsNotRepeatedInAuthority) {
  auto s = server();
  auto r = s.ask("example.com", NS);
  EXPECT_TRUE(r.h.aa);
  EXPECT_THAT(r.answer, UnorderedElementsAre(kNsCom1, kNsCom2));
  EXPECT_TRUE(r.authority.empty());
  EXPECT_THAT(r.additional, ElementsAre(kNs1A, kNs1AAAA));
}

TEST_F(AuthTest, NodataHasSoaWithNegativeTtl) {
  auto s = server();
  auto r = s.ask("www.example.com", TXT);
  EXPECT_EQ(r.rcode, dns::rcode::NOERROR);
  EXPECT_TRUE(r.h.aa);
  EXPECT_TRUE(r.answer.empty());
  // TTL = min(SOA TTL 3600, MINIMUM 300) (RFC 2308 3).
  EXPECT_THAT(r.authority, ElementsAre(kSoaCom));
  EXPECT_TRUE(r.additional.empty());
}

TEST_F(AuthTest, Nxdomain) {
  auto s = server();
  auto r = s.ask("nope.example.com", A);
  EXPECT_EQ(r.rcode, dns::rcode::NXDOMAIN);
  EXPECT_TRUE(r.h.aa);
  EXPECT_TRUE(r.answer.empty());
  EXPECT_THAT(r.authority, ElementsAre(kSoaCom));
  // Below a name that does not exist either.
  r = s.ask("a.b.nope.example.com", AAAA);
  EXPECT_EQ(r.rcode, dns::rcode::NXDOMAIN);
}

TEST_F(AuthTest, EmptyNonTerminalIsNodataNotNxdomain) {
  auto s = server();
  for (const char* name : {"b.c.ent.example.com", "c.ent.example.com", "ent.example.com"}) {
    auto r = s.ask(name, A);
    EXPECT_EQ(r.rcode, dns::rcode::NOERROR) << name;
    EXPECT_TRUE(r.answer.empty()) << name;
    EXPECT_THAT(r.authority, ElementsAre(kSoaCom)) << name;
  }
  auto r = s.ask("a.b.c.ent.example.com", A);
  EXPECT_THAT(r.answer, ElementsAre("a.b.c.ent.example.com. 3600 A 192.0.2.40"));
  r = s.ask("z.c.ent.example.com", A);
  EXPECT_EQ(r.rcode, dns::rcode::NXDOMAIN);
}

TEST_F(AuthTest, ReferralWithInDomainAndSiblingGlue) {
  auto s = server();
  auto r = s.ask("host.child.example.com", A);
  EXPECT_EQ(r.rcode, 0);
  EXPECT_FALSE(r.h.aa);
  EXPECT_TRUE(r.answer.empty());
  EXPECT_THAT(r.authority,
              UnorderedElementsAre("child.example.com. 3600 NS ns1.child.example.com.",
                                   "child.example.com. 3600 NS ns.sibling.example.com."));
  EXPECT_THAT(r.additional, ElementsAre("ns1.child.example.com. 3600 A 192.0.2.60",
                                        "ns.sibling.example.com. 3600 A 192.0.2.61"));
}

TEST_F(AuthTest, NeverAnswersFromBelowACut) {
  auto s = server();
  // deep.child has an A record in the parent file, but it is occluded.
  for (const char* name :
       {"deep.child.example.com", "ns1.child.example.com", "child.example.com"}) {
    auto r = s.ask(name, A);
    EXPECT_FALSE(r.h.aa) << name;
    EXPECT_TRUE(r.answer.empty()) << name;
    EXPECT_EQ(r.authority.size(), 2u) << name;
    EXPECT_EQ(r.authority[0].rfind("child.example.com. 3600 NS", 0), 0u) << name;
  }
  // NS at the cut is a referral too, not an authoritative answer.
  auto r = s.ask("child.example.com", NS);
  EXPECT_FALSE(r.h.aa);
  EXPECT_TRUE(r.answer.empty());
}

TEST_F(AuthTest, DsAtCutIsAnsweredByTheParent) {
  auto s = server();
  auto r = s.ask("child.example.com", DS);
  EXPECT_TRUE(r.h.aa);
  ASSERT_EQ(r.answer.size(), 1u);
  EXPECT_EQ(r.answer[0].rfind("child.example.com. 3600 DS 12345 8 2 ", 0), 0u);
  EXPECT_TRUE(r.authority.empty());  // NSD and BIND add no NS to a DS answer
  // A cut without DS: NODATA from the parent, not a referral.
  r = s.ask("sibling.example.com", DS);
  EXPECT_TRUE(r.h.aa);
  EXPECT_TRUE(r.answer.empty());
  EXPECT_THAT(r.authority, ElementsAre(kSoaCom));
}

TEST_F(AuthTest, CnameChainInZone) {
  auto s = server();
  auto r = s.ask("chain1.example.com", A);
  EXPECT_EQ(r.rcode, 0);
  EXPECT_TRUE(r.h.aa);
  EXPECT_THAT(r.answer, ElementsAre("chain1.example.com. 3600 CNAME chain2.example.com.",
                                    "chain2.example.com. 3600 CNAME alias.example.com.",
                                    "alias.example.com. 3600 CNAME www.example.com.",
                                    "www.example.com. 3600 A 192.0.2.10"));
  EXPECT_THAT(r.authority, UnorderedElementsAre(kNsCom1, kNsCom2));
  // Asking for the CNAME itself does not follow it.
  r = s.ask("alias.example.com", CNAME);
  EXPECT_THAT(r.answer, ElementsAre("alias.example.com. 3600 CNAME www.example.com."));
  // The chain ends in NODATA / NXDOMAIN with the target zone's SOA.
  r = s.ask("alias.example.com", TXT);
  EXPECT_EQ(r.rcode, 0);
  EXPECT_THAT(r.answer, ElementsAre("alias.example.com. 3600 CNAME www.example.com."));
  EXPECT_THAT(r.authority, ElementsAre(kSoaCom));
}

TEST_F(AuthTest, CnameLoopStops) {
  auto s = server();
  auto r = s.ask("loop1.example.com", A);
  EXPECT_EQ(r.rcode, 0);
  EXPECT_THAT(r.answer, ElementsAre("loop1.example.com. 3600 CNAME loop2.example.com.",
                                    "loop2.example.com. 3600 CNAME loop1.example.com."));
  EXPECT_TRUE(r.authority.empty());
  r = s.ask("self.example.com", A);
  EXPECT_THAT(r.answer, ElementsAre("self.example.com. 3600 CNAME self.example.com."));
}

TEST_F(AuthTest, CnameChainLengthLimit) {
  std::string text = "@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n";
  for (int i = 0; i < 30; ++i)
    text += "c" + std::to_string(i) + " CNAME c" + std::to_string(i + 1) + "\n";
  text += "c30 A 192.0.2.99\n";
  auto z = make_zone("chain.test", "$TTL 60\n" + text);
  AuthOptions o;
  o.max_chain = 5;
  Server s({z}, o);
  auto r = s.ask("c0.chain.test", A);
  EXPECT_EQ(r.rcode, 0);
  EXPECT_EQ(r.answer.size(), 6u);  // the query's CNAME plus 5 links followed
  Server s2({z});
  r = s2.ask("c10.chain.test", A);
  // 20 links to the A; the default limit (16 followed) stops short of it.
  ASSERT_EQ(r.answer.size(), 17u);
  EXPECT_EQ(r.answer.back(), "c26.chain.test. 60 CNAME c27.chain.test.");
  r = s2.ask("c20.chain.test", A);
  EXPECT_EQ(r.answer.size(), 11u);
  EXPECT_EQ(r.answer.back(), "c30.chain.test. 60 A 192.0.2.99");
}

TEST_F(AuthTest, CnameAcrossServedZones) {
  auto s = server();
  auto r = s.ask("ext.example.com", A);
  EXPECT_TRUE(r.h.aa);
  EXPECT_THAT(r.answer, ElementsAre("ext.example.com. 3600 CNAME www.example.net.",
                                    "www.example.net. 600 A 198.51.100.1"));
  // Authority belongs to the zone that gave the final answer.
  EXPECT_THAT(r.authority, ElementsAre("example.net. 600 NS ns1.example.com."));
}

TEST_F(AuthTest, CnameOutOfServedZonesStops) {
  auto s = server();
  auto r = s.ask("out.example.com", A);
  EXPECT_EQ(r.rcode, 0);
  EXPECT_TRUE(r.h.aa);
  EXPECT_THAT(r.answer, ElementsAre("out.example.com. 3600 CNAME www.elsewhere.org."));
  EXPECT_TRUE(r.authority.empty());
}

TEST_F(AuthTest, CnameIntoDelegationGivesReferral) {
  auto s = server();
  auto r = s.ask("tocut.example.com", A);
  EXPECT_EQ(r.rcode, 0);
  EXPECT_THAT(r.answer, ElementsAre("tocut.example.com. 3600 CNAME host.child.example.com."));
  EXPECT_EQ(r.authority.size(), 2u);
  EXPECT_EQ(r.authority[0].rfind("child.example.com. 3600 NS", 0), 0u);
}

TEST_F(AuthTest, DnameSynthesizesCname) {
  auto s = server();
  auto r = s.ask("foo.dn.example.com", A);
  EXPECT_EQ(r.rcode, 0);
  EXPECT_TRUE(r.h.aa);
  EXPECT_THAT(r.answer, ElementsAre("dn.example.com. 3600 DNAME example.net.",
                                    "foo.dn.example.com. 3600 CNAME foo.example.net.",
                                    "foo.example.net. 600 A 198.51.100.2"));
  // The DNAME owner itself is not redirected.
  r = s.ask("dn.example.com", A);
  EXPECT_TRUE(r.answer.empty());
  EXPECT_THAT(r.authority, ElementsAre(kSoaCom));
  r = s.ask("dn.example.com", DNAME);
  EXPECT_THAT(r.answer, ElementsAre("dn.example.com. 3600 DNAME example.net."));
  // Target name missing in the other zone: NXDOMAIN with that zone's SOA.
  r = s.ask("bar.dn.example.com", A);
  EXPECT_EQ(r.rcode, dns::rcode::NXDOMAIN);
  EXPECT_EQ(r.answer.size(), 2u);
  ASSERT_EQ(r.authority.size(), 1u);
  EXPECT_EQ(r.authority[0].rfind("example.net. 60 SOA", 0), 0u);
}

TEST_F(AuthTest, DnameOverflowIsYxdomain) {
  auto s = server();
  auto r = s.ask(kLong63 + ".long.example.com", A);
  EXPECT_EQ(r.rcode, dns::rcode::YXDOMAIN);
  ASSERT_EQ(r.answer.size(), 1u);
  EXPECT_EQ(r.answer[0].rfind("long.example.com. 3600 DNAME", 0), 0u);
  r = s.ask("a.long.example.com", A);
  EXPECT_EQ(r.rcode, dns::rcode::NXDOMAIN);  // fits; the target does not exist
  EXPECT_EQ(r.answer.size(), 2u);
}

TEST_F(AuthTest, WildcardSynthesis) {
  auto s = server();
  auto r = s.ask("anything.wild.example.com", A);
  EXPECT_EQ(r.rcode, 0);
  EXPECT_TRUE(r.h.aa);
  EXPECT_THAT(r.answer, ElementsAre("anything.wild.example.com. 3600 A 192.0.2.50"));
  // Deeper names match too (closest encloser wild.example.com).
  r = s.ask("a.b.wild.example.com", A);
  EXPECT_THAT(r.answer, ElementsAre("a.b.wild.example.com. 3600 A 192.0.2.50"));
  // Wildcard NODATA.
  r = s.ask("anything.wild.example.com", AAAA);
  EXPECT_EQ(r.rcode, 0);
  EXPECT_TRUE(r.answer.empty());
  EXPECT_THAT(r.authority, ElementsAre(kSoaCom));
  // An existing name blocks the wildcard (x.wild has only TXT).
  r = s.ask("x.wild.example.com", A);
  EXPECT_TRUE(r.answer.empty());
  EXPECT_THAT(r.authority, ElementsAre(kSoaCom));
  // ...and so do names below it: closest encloser is x.wild, no *.x.wild.
  r = s.ask("y.x.wild.example.com", A);
  EXPECT_EQ(r.rcode, dns::rcode::NXDOMAIN);
  // Wildcard MX gets its additional addresses.
  r = s.ask("m.wild.example.com", MX);
  EXPECT_THAT(r.answer, ElementsAre("m.wild.example.com. 3600 MX 10 mail.example.com."));
  EXPECT_THAT(r.additional, ::testing::Contains("mail.example.com. 3600 A 192.0.2.20"));
  // Asking for the wildcard name itself is an ordinary exact match.
  r = s.ask("*.wild.example.com", A);
  EXPECT_THAT(r.answer, ElementsAre("*.wild.example.com. 3600 A 192.0.2.50"));
}

TEST_F(AuthTest, EmptyNonTerminalBlocksWildcard) {
  auto s = server();
  // b.w2 exists (as an empty non-terminal for a.b.w2): RFC 4592 2.2.2.
  auto r = s.ask("b.w2.example.com", A);
  EXPECT_EQ(r.rcode, 0);
  EXPECT_TRUE(r.answer.empty());
  r = s.ask("x.b.w2.example.com", A);
  EXPECT_EQ(r.rcode, dns::rcode::NXDOMAIN);
  EXPECT_TRUE(r.answer.empty());
  r = s.ask("y.w2.example.com", A);
  EXPECT_THAT(r.answer, ElementsAre("y.w2.example.com. 3600 A 192.0.2.51"));
}

TEST_F(AuthTest, WildcardCname) {
  auto s = server();
  auto r = s.ask("foo.cw.example.com", A);
  EXPECT_EQ(r.rcode, 0);
  EXPECT_THAT(r.answer, ElementsAre("foo.cw.example.com. 3600 CNAME www.example.com.",
                                    "www.example.com. 3600 A 192.0.2.10"));
}

TEST_F(AuthTest, AdditionalDoesNotRepeatTheAnswer) {
  auto s = server();
  auto r = s.ask("ns1.example.com", A);
  EXPECT_THAT(r.answer, ElementsAre(kNs1A));
  EXPECT_THAT(r.additional, ElementsAre(kNs1AAAA));  // as NSD
  // ANY: no authority, but target addresses as for the type itself (as NSD).
  r = s.ask("_sip._tcp.example.com", ANY);
  EXPECT_TRUE(r.authority.empty());
  EXPECT_THAT(r.additional, ElementsAre("sip.example.com. 3600 A 192.0.2.30"));
  // A DNAME-synthesized answer to a CNAME query stands alone (as NSD).
  r = s.ask("foo.dn.example.com", CNAME);
  EXPECT_EQ(r.answer.size(), 2u);
  EXPECT_TRUE(r.authority.empty());
}

TEST_F(AuthTest, MxAndSrvAdditional) {
  auto s = server();
  auto r = s.ask("example.com", MX);
  EXPECT_THAT(r.answer, UnorderedElementsAre("example.com. 3600 MX 10 mail.example.com.",
                                             "example.com. 3600 MX 20 mail.example.net."));
  // In-zone targets only, then the NS addresses.
  EXPECT_THAT(r.additional, ElementsAre("mail.example.com. 3600 A 192.0.2.20", kNs1A, kNs1AAAA));
  r = s.ask("_sip._tcp.example.com", SRV);
  EXPECT_THAT(r.answer, ElementsAre("_sip._tcp.example.com. 3600 SRV 0 5 5060 sip.example.com."));
  EXPECT_THAT(r.additional, ElementsAre("sip.example.com. 3600 A 192.0.2.30", kNs1A, kNs1AAAA));
}

TEST_F(AuthTest, AnyIsAnsweredWithOneRRset) {
  auto s = server();
  for (bool tcp : {false, true}) {
    auto r = s.ask("ns1.example.com", ANY, {}, tcp);
    EXPECT_EQ(r.rcode, 0);
    EXPECT_TRUE(r.h.aa);
    EXPECT_THAT(r.answer, ElementsAre(kNs1A));
    EXPECT_TRUE(r.authority.empty());  // as NSD: the ANY answer alone
    EXPECT_TRUE(r.additional.empty());
    r = s.ask("example.com", ANY, {}, tcp);
    EXPECT_THAT(r.answer, ElementsAre(kSoaCom_any()));
  }
  auto r = s.ask("nope.example.com", ANY);
  EXPECT_EQ(r.rcode, dns::rcode::NXDOMAIN);
  r = s.ask("ent.example.com", ANY);
  EXPECT_TRUE(r.answer.empty());
  EXPECT_THAT(r.authority, ElementsAre(kSoaCom));
  r = s.ask("nope.example.com", ANY);
  EXPECT_EQ(r.rcode, dns::rcode::NXDOMAIN);
}

TEST_F(AuthTest, RefusedOutsideServedZones) {
  auto s = server();
  for (const char* name : {"www.example.org", "com", "."}) {
    auto r = s.ask(name, A);
    EXPECT_EQ(r.rcode, dns::rcode::REFUSED) << name;
    EXPECT_FALSE(r.h.aa);
    EXPECT_FALSE(r.h.ra);
    EXPECT_EQ(r.h.qdcount, 1);
    EXPECT_TRUE(r.answer.empty());
  }
  QueryOpts o;
  o.qclass = dns::rrclass::CH;
  auto r = s.ask("version.bind", TXT, o);
  EXPECT_EQ(r.rcode, dns::rcode::REFUSED);
  // QCLASS ANY: answered from the IN data, but not authoritatively (as NSD).
  o.qclass = dns::rrclass::ANY;
  r = s.ask("www.example.com", A, o);
  EXPECT_EQ(r.rcode, 0);
  EXPECT_FALSE(r.h.aa);
  EXPECT_THAT(r.answer, ElementsAre("www.example.com. 3600 A 192.0.2.10"));
}

TEST_F(AuthTest, FormerrForMalformedQueries) {
  auto s = server();
  // A question that runs past the end.
  auto q = make_query("www.example.com", A);
  q.resize(q.size() - 3);
  auto r = s.ask(q);
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(r.rcode, dns::rcode::FORMERR);
  EXPECT_EQ(r.h.id, 0x1234);
  EXPECT_TRUE(r.h.qr);
  EXPECT_EQ(r.h.qdcount, 0);
  // QDCOUNT 2.
  q = make_query("www.example.com", A);
  auto q2 = make_query("mail.example.com", A);
  q.insert(q.end(), q2.begin() + 12, q2.end());
  q[5] = 2;
  r = s.ask(q);
  EXPECT_EQ(r.rcode, dns::rcode::FORMERR);
  // QDCOUNT 0.
  q = make_query("www.example.com", A);
  q.resize(12);
  q[5] = 0;
  r = s.ask(q);
  EXPECT_EQ(r.rcode, dns::rcode::FORMERR);
  // Compression pointer loop in the question.
  q = make_query("www.example.com", A);
  q.resize(12);
  for (int b : {0xc0, 12, 0, 1, 0, 1}) q.push_back(static_cast<uint8_t>(b));
  r = s.ask(q);
  EXPECT_EQ(r.rcode, dns::rcode::FORMERR);
  // Trailing garbage after the counted records.
  q = make_query("www.example.com", A);
  q.push_back(0);
  r = s.ask(q);
  EXPECT_EQ(r.rcode, dns::rcode::FORMERR);
  // Shorter than a header: nothing to answer.
  r = s.ask(std::vector<uint8_t>{1, 2, 3});
  EXPECT_TRUE(r.empty());
  // Meta types in the question.
  r = s.ask("www.example.com", OPT);
  EXPECT_EQ(r.rcode, dns::rcode::FORMERR);
  // AXFR over UDP.
  r = s.ask("example.com", AXFR);
  EXPECT_EQ(r.rcode, dns::rcode::FORMERR);
  r = s.ask("example.com", AXFR, {}, true);
  EXPECT_EQ(r.rcode, dns::rcode::NOTIMP);
}

TEST_F(AuthTest, ResponsesAreNeverAnswered) {
  auto s = server();
  auto q = make_query("www.example.com", A);
  q[2] |= 0x80;
  EXPECT_TRUE(s.ask(q).empty());
  q.resize(q.size() - 2);  // malformed response: still silent
  EXPECT_TRUE(s.ask(q).empty());
}

TEST_F(AuthTest, NotimpForOtherOpcodes) {
  auto s = server();
  for (uint8_t op : {dns::opcode::IQUERY, dns::opcode::STATUS, dns::opcode::NOTIFY,
                     dns::opcode::UPDATE, uint8_t{3}, uint8_t{15}}) {
    QueryOpts o;
    o.opcode = op;
    auto r = s.ask("example.com", SOA, o);
    EXPECT_EQ(r.rcode, dns::rcode::NOTIMP) << int(op);
    EXPECT_EQ(r.h.opcode, op);
    EXPECT_EQ(r.h.qdcount, 0);  // header only, as NSD and BIND
    EXPECT_TRUE(r.answer.empty());
  }
}

TEST_F(AuthTest, OpcodeHandlerPlugsIn) {
  struct Notify : RequestHandler {
    int calls = 0;
    size_t handle(const dns::MessageView& q, std::span<uint8_t> out, const net::Peer&,
                  const zone::ZoneSet& zones) override {
      ++calls;
      dns::MessageBuilder b(out, out.size());
      b.header().id = q.header().id;
      b.header().qr = true;
      b.header().opcode = q.header().opcode;
      b.header().aa = zones.find(q.qname()) != nullptr;
      return b.finish();
    }
  } notify;
  auto s = server();
  s.engine().set_opcode_handler(dns::opcode::NOTIFY, &notify);
  QueryOpts o;
  o.opcode = dns::opcode::NOTIFY;
  auto r = s.ask("example.com", SOA, o);
  EXPECT_EQ(notify.calls, 1);
  EXPECT_EQ(r.rcode, 0);
  EXPECT_TRUE(r.h.aa);
}

TEST_F(AuthTest, EdnsBadversAndPayload) {
  auto s = server();
  QueryOpts o;
  o.edns = true;
  o.version = 1;
  auto r = s.ask("www.example.com", A, o);
  EXPECT_EQ(r.rcode, dns::rcode::BADVERS);
  EXPECT_TRUE(r.has_opt);
  EXPECT_EQ(r.edns.version, 0);
  EXPECT_TRUE(r.answer.empty());

  o.version = 0;
  o.do_bit = true;
  o.udp_size = 4096;
  r = s.ask("www.example.com", A, o);
  EXPECT_EQ(r.rcode, 0);
  ASSERT_TRUE(r.has_opt);
  EXPECT_TRUE(r.edns.do_bit);  // echoed
  EXPECT_EQ(r.edns.udp_size, 1232);
  o.do_bit = false;
  r = s.ask("www.example.com", A, o);
  EXPECT_FALSE(r.edns.do_bit);
  // No EDNS in the query: none in the answer.
  r = s.ask("www.example.com", A);
  EXPECT_FALSE(r.has_opt);
}

TEST_F(AuthTest, TruncationOfAnswersThatDoNotFit) {
  auto s = server();
  // ~1800 octets of TXT: TC without EDNS (512) and with EDNS (1232).
  auto r = s.ask("big.example.com", TXT);
  EXPECT_TRUE(r.h.tc);
  EXPECT_TRUE(r.answer.empty());
  EXPECT_LE(r.wire.size(), 512u);
  QueryOpts o;
  o.edns = true;
  o.udp_size = 4096;
  r = s.ask("big.example.com", TXT, o);
  EXPECT_TRUE(r.h.tc);
  EXPECT_TRUE(r.has_opt);  // OPT survives truncation
  EXPECT_LE(r.wire.size(), 1232u);
  r = s.ask("big.example.com", TXT, {}, true);
  EXPECT_FALSE(r.h.tc);
  EXPECT_EQ(r.answer.size(), 40u);
  // ~1000 octets: TC at 512, fits in 1232, and a tiny client size means 512.
  r = s.ask("mid.example.com", TXT);
  EXPECT_TRUE(r.h.tc);
  o.udp_size = 1232;
  r = s.ask("mid.example.com", TXT, o);
  EXPECT_FALSE(r.h.tc);
  EXPECT_EQ(r.answer.size(), 15u);
  EXPECT_LE(r.wire.size(), 1232u);
  o.udp_size = 100;
  r = s.ask("mid.example.com", TXT, o);
  EXPECT_TRUE(r.h.tc);
  EXPECT_LE(r.wire.size(), 512u);
  // Optional additional data is dropped without TC.
  AuthOptions small;
  small.max_udp_payload = 512;
  Server s2({com_, net_}, small);
  o.udp_size = 4096;
  r = s2.ask("example.com", MX, o);
  EXPECT_FALSE(r.h.tc);
}

TEST_F(AuthTest, QuestionCaseIsEchoed) {
  auto s = server();
  auto q = make_query("WwW.ExAmPlE.CoM", A);
  auto r = s.ask(q);
  EXPECT_EQ(r.qname_raw, std::string("\x03WwW\x07"
                                     "ExAmPlE\x03"
                                     "CoM",
                                     16) +
                             std::string(1, '\0'));
  ASSERT_EQ(r.answer.size(), 1u);
  EXPECT_EQ(r.answer[0], "WwW.ExAmPlE.CoM. 3600 A 192.0.2.10");
  // Zone-file case is kept for names that come from the zone.
  r = s.ask("mixed.example.com", A);
  EXPECT_THAT(r.answer, ElementsAre("mixed.example.com. 3600 A 192.0.2.70"));
}

TEST_F(AuthTest, ChildZoneServedTooIsAnsweredAuthoritatively) {
  auto child = make_zone("child.example.com",
                         "$TTL 100\n@ SOA ns1 hm 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.60\n"
                         "host A 192.0.2.63\n");
  Server s({com_, net_, child});
  auto r = s.ask("host.child.example.com", A);
  EXPECT_TRUE(r.h.aa);
  EXPECT_THAT(r.answer, ElementsAre("host.child.example.com. 100 A 192.0.2.63"));
  // DS still comes from the parent.
  r = s.ask("child.example.com", DS);
  EXPECT_TRUE(r.h.aa);
  ASSERT_EQ(r.answer.size(), 1u);
  EXPECT_EQ(r.answer[0].rfind("child.example.com. 3600 DS", 0), 0u);
  // The CNAME into the cut continues into the child zone.
  r = s.ask("tocut.example.com", A);
  EXPECT_THAT(r.answer, ElementsAre("tocut.example.com. 3600 CNAME host.child.example.com.",
                                    "host.child.example.com. 100 A 192.0.2.63"));
}

TEST_F(AuthTest, ReverseZonesAndClasslessDelegation) {
  // RFC 2317: the /24 owner delegates 0/25 and points each address at it.
  auto parent = make_zone("2.0.192.in-addr.arpa", R"($TTL 86400
@        SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300
@        NS  ns1.example.com.
0/25     NS  ns1.customer.example.
1        CNAME 1.0/25
2        CNAME 1.0/25.2.0.192.in-addr.arpa.
200      PTR www.example.com.
)");
  auto v6 = make_zone("8.b.d.0.1.0.0.2.ip6.arpa", R"($TTL 86400
@  SOA ns1.example.com. hostmaster.example.com. 1 7200 3600 1209600 300
@  NS  ns1.example.com.
1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0 PTR ns1.example.com.
)");
  Server s({com_, parent, v6});
  auto r = s.ask("200.2.0.192.in-addr.arpa", PTR);
  EXPECT_TRUE(r.h.aa);
  EXPECT_THAT(r.answer, ElementsAre("200.2.0.192.in-addr.arpa. 86400 PTR www.example.com."));
  r = s.ask("1.2.0.192.in-addr.arpa", PTR);
  EXPECT_THAT(r.answer,
              ElementsAre("1.2.0.192.in-addr.arpa. 86400 CNAME 1.0/25.2.0.192.in-addr.arpa."));
  EXPECT_THAT(r.authority,
              ElementsAre("0/25.2.0.192.in-addr.arpa. 86400 NS ns1.customer.example."));
  r = s.ask("3.2.0.192.in-addr.arpa", PTR);
  EXPECT_EQ(r.rcode, dns::rcode::NXDOMAIN);
  r = s.ask("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", PTR);
  EXPECT_THAT(r.answer, ElementsAre("1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0."
                                    "2.ip6.arpa. 86400 PTR ns1.example.com."));
  // The classless child served here as well: the chain ends in its PTR.
  auto sub = make_zone("0/25.2.0.192.in-addr.arpa", R"($TTL 3600
@  SOA ns1.customer.example. hm.customer.example. 1 7200 3600 1209600 300
@  NS  ns1.customer.example.
1  PTR host1.customer.example.
)");
  Server s2({com_, parent, sub});
  r = s2.ask("1.2.0.192.in-addr.arpa", PTR);
  EXPECT_TRUE(r.h.aa);
  EXPECT_THAT(r.answer,
              ElementsAre("1.2.0.192.in-addr.arpa. 86400 CNAME 1.0/25.2.0.192.in-addr.arpa.",
                          "1.0/25.2.0.192.in-addr.arpa. 3600 PTR host1.customer.example."));
}

TEST_F(AuthTest, SnapshotSwapIsSeenByTheNextQuery) {
  auto s = server();
  EXPECT_EQ(s.ask("www.example.com", A).answer.size(), 1u);
  zone::ZoneDiff d;
  d.added.push_back({N("new.example.com"), A, dns::rrclass::IN, 60, {192, 0, 2, 99}});
  auto next = com_->apply(d);
  ASSERT_TRUE(next.ok()) << next.message();
  s.holder().publish(s.holder().snapshot()->with(*next));
  auto r = s.ask("new.example.com", A);
  EXPECT_THAT(r.answer, ElementsAre("new.example.com. 60 A 192.0.2.99"));
  EXPECT_EQ(s.holder().reclaim(), 0u);
}

}  // namespace
}  // namespace namae::auth::authtest
