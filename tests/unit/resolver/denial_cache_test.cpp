// RFC 8198 aggressive use of validated NSEC records: what DenialCache
// keeps, what it synthesizes and for how long.
#include <gtest/gtest.h>

#include "../dnssec/test_util.h"
#include "base/clock.h"
#include "dns/message.h"
#include "dns/rrtype.h"
#include "resolver/denial_cache.h"

namespace namae::resolver {
namespace {

using dnssec::test::N;
using dnssec::test::rrset;
namespace rt = dns::rrtype;

// Stand-ins for RRSIG rdata: DenialCache keeps what the validator verified
// and hands it back, it does not look inside.
const std::vector<dns::RdataBytes> kSig = {{1, 2, 3}};

struct Filled {
  FakeClock clock;
  DenialCache cache{clock, 100};
  Filled(uint32_t nsec_ttl = 300, uint32_t soa_ttl = 600) {
    for (const char* line : {"example. 300 NSEC a.example. NS SOA RRSIG NSEC DNSKEY",
                             "a.example. 300 NSEC c.example. A RRSIG NSEC",
                             "c.example. 300 NSEC sub.example. A RRSIG NSEC",
                             "sub.example. 300 NSEC example. NS RRSIG NSEC"})
      cache.keep_nsec(N("example."), rrset(line), kSig, nsec_ttl);
    cache.keep_soa(N("example."), rrset("example. 600 SOA ns h 1 2 3 4 600"), kSig, soa_ttl);
  }
};

TEST(DenialCache, NxdomainWithTheProofAndSoa) {
  Filled f;
  EntryPtr e = f.cache.synthesize(N("b.example."), rt::A);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->kind, EntryKind::nxdomain);
  EXPECT_EQ(e->judged(), validator::Security::secure);
  EXPECT_EQ(e->rrset.owner, N("b.example."));
  ASSERT_NE(e->soa, nullptr);
  EXPECT_EQ(e->soa->type, rt::SOA);
  // a -> c covers the name, the apex's NSEC the wildcard; each with its RRSIGs, and the SOA's.
  ASSERT_NE(e->dnssec.proof, nullptr);
  std::vector<std::string> got;
  for (const auto& rs : *e->dnssec.proof) got.push_back(rs.owner.to_text() + " " + dns::type_to_text(rs.type));
  EXPECT_EQ(got, (std::vector<std::string>{"a.example. NSEC", "a.example. RRSIG", "example. NSEC", "example. RRSIG",
                                           "example. RRSIG"}));
  EXPECT_EQ(e->ttl_left(f.clock.now_ms()), 300u);  // the shorter of the NSEC and SOA lives
  EXPECT_EQ(f.cache.answers(), 1u);
}

TEST(DenialCache, NodataAndDsAtACutFromTheParent) {
  Filled f;
  EntryPtr e = f.cache.synthesize(N("a.example."), rt::MX);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->kind, EntryKind::nodata);
  EXPECT_EQ(e->rrset.type, rt::MX);
  // The child's zone, kept too, does not answer for the parent's DS.
  f.cache.keep_nsec(N("sub.example."), rrset("sub.example. 300 NSEC sub.example. SOA NS RRSIG NSEC DNSKEY"), kSig, 300);
  f.cache.keep_soa(N("sub.example."), rrset("sub.example. 600 SOA ns h 1 2 3 4 600"), kSig, 600);
  e = f.cache.synthesize(N("sub.example."), rt::DS);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->soa->owner, N("example."));
  // Any other type at the cut is the child's to deny.
  e = f.cache.synthesize(N("sub.example."), rt::A);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->soa->owner, N("sub.example."));
}

TEST(DenialCache, NothingWithoutSoaOrOnceExpired) {
  FakeClock clock;
  DenialCache bare(clock, 100);
  bare.keep_nsec(N("example."), rrset("a.example. 300 NSEC c.example. A RRSIG NSEC"), kSig, 300);
  bare.keep_nsec(N("example."), rrset("example. 300 NSEC a.example. NS SOA RRSIG NSEC DNSKEY"), kSig, 300);
  EXPECT_EQ(bare.synthesize(N("b.example."), rt::A), nullptr);  // no SOA for the authority section
  Filled f(100, 600);
  f.clock.advance_ms(99'000);
  EXPECT_NE(f.cache.synthesize(N("b.example."), rt::A), nullptr);
  f.clock.advance_ms(1'000);
  EXPECT_EQ(f.cache.synthesize(N("b.example."), rt::A), nullptr);
  // Unsigned records, or records outside the zone, are not kept.
  bare.keep_nsec(N("example."), rrset("c.example. 300 NSEC d.example. A NSEC"), {}, 300);
  bare.keep_nsec(N("example."), rrset("c.other. 300 NSEC d.other. A NSEC"), kSig, 300);
  EXPECT_EQ(bare.size(), 2u);
}

TEST(DenialCache, FlushAndLimit) {
  Filled f;
  EXPECT_EQ(f.cache.size(), 4u);
  EXPECT_EQ(f.cache.flush(N("a.example.")), 1u);
  EXPECT_EQ(f.cache.synthesize(N("b.example."), rt::A), nullptr);
  EXPECT_NE(f.cache.synthesize(N("d.example."), rt::A), nullptr);  // c -> sub still there
  EXPECT_EQ(f.cache.flush(N("example.")), 3u);
  EXPECT_EQ(f.cache.size(), 0u);
  FakeClock clock;
  DenialCache small(clock, 2);
  small.keep_nsec(N("example."), rrset("a.example. 10 NSEC c.example. A NSEC"), kSig, 10);
  small.keep_nsec(N("example."), rrset("c.example. 300 NSEC d.example. A NSEC"), kSig, 300);
  small.keep_nsec(N("example."), rrset("d.example. 300 NSEC e.example. A NSEC"), kSig, 300);
  EXPECT_EQ(small.size(), 2u);  // full: the newest is dropped
  clock.advance_ms(10'000);
  small.keep_nsec(N("example."), rrset("d.example. 300 NSEC e.example. A NSEC"), kSig, 300);
  EXPECT_EQ(small.size(), 2u);  // the expired one made room
}

}  // namespace
}  // namespace namae::resolver
