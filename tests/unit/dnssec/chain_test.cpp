// NSEC and NSEC3 chains: RFC 5155 Appendix A's example zone gives exactly
// the appendix's NSEC3 records (opt-out, salt aabbccdd, 12 iterations), and
// the NSEC chain skips occluded names and lists the right types.
#include <gtest/gtest.h>

#include <algorithm>

#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "dns/text.h"
#include "dnssec/chain.h"
#include "test_util.h"

namespace namae::dnssec {
namespace {

using test::N;

// RFC 5155 Appendix A without its DNSSEC records (the DNSKEY RRset and the
// RRSIGs only add "DNSKEY" and "RRSIG" to the apex types, which the signer
// would have: they are added here as the signer adds them).
const char* kRfc5155Zone = R"(
example. 3600 IN SOA ns1.example. bugs.x.w.example. 1 3600 300 3600000 3600
example. 3600 IN NS ns1.example.
example. 3600 IN NS ns2.example.
example. 3600 IN MX 1 xx.example.
example. 3600 IN DNSKEY 256 3 8 AwEAAaetidLzsKWUt4swWR8yu0wPHPiUi8LUsAD0QPWU+wzt89epO6tHzkMBVDkC7qphQO2hTY4hHn9npWFRw5BYubE=
example. 3600 IN NSEC3PARAM 1 0 12 aabbccdd
2t7b4g4vsa5smi47k61mv5bv1a22bojr.example. 3600 IN A 192.0.2.127
a.example. 3600 IN NS ns1.a.example.
a.example. 3600 IN NS ns2.a.example.
a.example. 3600 IN DS 58470 5 1 3079F1593EBAD6DC121E202A8B766A6A4837206C
ns1.a.example. 3600 IN A 192.0.2.5
ns2.a.example. 3600 IN A 192.0.2.6
ai.example. 3600 IN A 192.0.2.9
ai.example. 3600 IN HINFO "KLH-10" "ITS"
ai.example. 3600 IN AAAA 2001:db8:0:0:0:0:f00:baa9
c.example. 3600 IN NS ns1.c.example.
c.example. 3600 IN NS ns2.c.example.
ns1.c.example. 3600 IN A 192.0.2.7
ns2.c.example. 3600 IN A 192.0.2.8
ns1.example. 3600 IN A 192.0.2.1
ns2.example. 3600 IN A 192.0.2.2
*.w.example. 3600 IN MX 1 ai.example.
x.w.example. 3600 IN MX 1 xx.example.
x.y.w.example. 3600 IN MX 1 xx.example.
xx.example. 3600 IN A 192.0.2.10
xx.example. 3600 IN HINFO "KLH-10" "TOPS-20"
xx.example. 3600 IN AAAA 2001:db8:0:0:0:0:f00:baaa
)";

// The appendix's NSEC3 RRs: owner hash, then rdata.
const char* kRfc5155Chain[][2] = {
    {"0p9mhaveqvm6t7vbl5lop2u3t2rp3tom", "1 1 12 aabbccdd 2t7b4g4vsa5smi47k61mv5bv1a22bojr MX DNSKEY NS SOA NSEC3PARAM RRSIG"},
    {"2t7b4g4vsa5smi47k61mv5bv1a22bojr", "1 1 12 aabbccdd 2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG"},
    {"2vptu5timamqttgl4luu9kg21e0aor3s", "1 1 12 aabbccdd 35mthgpgcu1qg68fab165klnsnk3dpvl MX RRSIG"},
    {"35mthgpgcu1qg68fab165klnsnk3dpvl", "1 1 12 aabbccdd b4um86eghhds6nea196smvmlo4ors995 NS DS RRSIG"},
    {"b4um86eghhds6nea196smvmlo4ors995", "1 1 12 aabbccdd gjeqe526plbf1g8mklp59enfd789njgi MX RRSIG"},
    {"gjeqe526plbf1g8mklp59enfd789njgi", "1 1 12 aabbccdd ji6neoaepv8b5o6k4ev33abha8ht9fgc A HINFO AAAA RRSIG"},
    {"ji6neoaepv8b5o6k4ev33abha8ht9fgc", "1 1 12 aabbccdd k8udemvp1j2f7eg6jebps17vp3n8i58h"},
    {"k8udemvp1j2f7eg6jebps17vp3n8i58h", "1 1 12 aabbccdd kohar7mbb8dc2ce8a9qvl8hon4k53uhi"},
    {"kohar7mbb8dc2ce8a9qvl8hon4k53uhi", "1 1 12 aabbccdd q04jkcevqvmu85r014c7dkba38o0ji5r A RRSIG"},
    {"q04jkcevqvmu85r014c7dkba38o0ji5r", "1 1 12 aabbccdd r53bq7cc2uvmubfu5ocmm6pers9tk9en A RRSIG"},
    {"r53bq7cc2uvmubfu5ocmm6pers9tk9en", "1 1 12 aabbccdd t644ebqk9bibcna874givr6joj62mlhv MX RRSIG"},
    {"t644ebqk9bibcna874givr6joj62mlhv", "1 1 12 aabbccdd 0p9mhaveqvm6t7vbl5lop2u3t2rp3tom A HINFO AAAA RRSIG"},
};

TEST(Nsec3Chain, Rfc5155AppendixA) {
  auto zone = build_zone_model(test::records(kRfc5155Zone), N("example."));
  ASSERT_TRUE(zone.ok()) << zone.message();
  Nsec3Settings p{12, dns::hex_decode("aabbccdd").value(), true};
  auto chain = nsec3_chain(*zone, p);
  ASSERT_TRUE(chain.ok()) << chain.message();
  ASSERT_EQ(chain->size(), std::size(kRfc5155Chain));
  for (size_t i = 0; i < chain->size(); ++i) {
    const std::string hash = nsec3_owner((*chain)[i].hash, N(".")).value().to_text().substr(0, 32);
    EXPECT_EQ(hash, kRfc5155Chain[i][0]) << (*chain)[i].original.to_text();
    const auto want = test::rdata(std::string("x. IN NSEC3 ") + kRfc5155Chain[i][1]);
    EXPECT_EQ(dns::rdata::to_text(dns::rrtype::NSEC3, (*chain)[i].rdata), dns::rdata::to_text(dns::rrtype::NSEC3, want))
        << (*chain)[i].original.to_text();
  }
  // Without opt-out the insecure delegation c.example. is in the chain too.
  p.opt_out = false;
  auto full = nsec3_chain(*zone, p);
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(full->size(), chain->size() + 1);
  EXPECT_TRUE(std::any_of(full->begin(), full->end(), [](const Nsec3Entry& e) { return e.original == N("c.example."); }));
}

TEST(Nsec3Chain, Nsec3ParamRoundTrip) {
  Nsec3Settings p{0, {}, false};
  EXPECT_EQ(dns::rdata::to_text(dns::rrtype::NSEC3PARAM, nsec3param_rdata(p)), "1 0 0 -");
  auto back = parse_nsec3param(nsec3param_rdata({12, {0xaa, 0xbb}, true}));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->iterations, 12);
  EXPECT_EQ(back->salt, (std::vector<uint8_t>{0xaa, 0xbb}));
  const uint8_t bad[] = {2, 0, 0, 0, 0};
  EXPECT_FALSE(parse_nsec3param(bad).ok());
}

TEST(NsecChain, SkipsOccludedNamesAndListsTypes) {
  auto zone = build_zone_model(test::records(R"(
example. 300 IN SOA ns.example. h.example. 1 2 3 4 60
example. 300 IN NS ns.example.
ns.example. 300 IN A 192.0.2.1
sub.example. 300 IN NS ns.sub.example.
ns.sub.example. 300 IN A 192.0.2.2
deep.ns.sub.example. 300 IN A 192.0.2.3
secure.example. 300 IN NS ns.secure.example.
secure.example. 300 IN DS 1 13 2 0000000000000000000000000000000000000000000000000000000000000000
d.example. 300 IN DNAME elsewhere.test.
x.d.example. 300 IN A 192.0.2.4
*.w.example. 300 IN TXT "w"
)"), N("example."));
  ASSERT_TRUE(zone.ok()) << zone.message();
  const auto chain = nsec_chain(*zone);
  std::vector<std::string> lines;
  for (size_t i = 0; i < zone->nodes.size(); ++i)
    if (!chain[i].empty())
      lines.push_back(zone->nodes[i].owner.to_text() + " " + dns::rdata::to_text(dns::rrtype::NSEC, chain[i]));
  EXPECT_EQ(lines, (std::vector<std::string>{
                       "example. d.example. NS SOA RRSIG NSEC",
                       "d.example. ns.example. DNAME RRSIG NSEC",
                       "ns.example. secure.example. A RRSIG NSEC",
                       "secure.example. sub.example. NS DS RRSIG NSEC",
                       "sub.example. *.w.example. NS RRSIG NSEC",
                       "*.w.example. example. TXT RRSIG NSEC",
                   }));
  EXPECT_EQ(zone->negative_ttl(), 60u);
}

}  // namespace
}  // namespace namae::dnssec
