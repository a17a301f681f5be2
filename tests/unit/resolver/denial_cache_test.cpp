// RFC 8198 aggressive use of validated NSEC records: what DenialCache
// keeps, what it synthesizes and for how long.
#include <gtest/gtest.h>

#include "../dnssec/test_util.h"
#include "base/clock.h"
#include "dns/message.h"
#include "dns/rrtype.h"
#include "resolver/denial_cache.h"
#include "../validator/nsec3_chain.h"

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

// example. signed with NSEC3 (validator::test::nsec3_zone), every record
// and the SOA kept as a secure proof leaves them.
struct FilledNsec3 {
  FakeClock clock;
  DenialCache cache{clock, 100};
  explicit FilledNsec3(bool opt_out = false, uint16_t iterations = 0, uint32_t ttl = 300) {
    for (const auto& rs : validator::test::nsec3_zone(iterations, opt_out)) cache.keep_nsec(N("example."), rs, kSig, ttl);
    cache.keep_soa(N("example."), rrset("example. 300 SOA ns h 1 2 3 4 300"), kSig, 300);
  }
};

TEST(DenialCache, Nsec3NxdomainAndNodataWithTheProof) {
  FilledNsec3 f;
  EXPECT_EQ(f.cache.size(), 7u);
  EntryPtr e = f.cache.synthesize(N("nope.example."), rt::A);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->kind, EntryKind::nxdomain);
  EXPECT_EQ(e->judged(), validator::Security::secure);
  size_t nsec3 = 0, sigs = 0;
  for (const auto& rs : *e->dnssec.proof) (rs.type == rt::NSEC3 ? nsec3 : sigs) += 1;
  EXPECT_GE(nsec3, 2u);            // encloser, next closer, wildcard (two may coincide)
  EXPECT_EQ(sigs, nsec3 + 1);      // each with its RRSIGs, and the SOA's
  e = f.cache.synthesize(N("a.example."), rt::MX);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->kind, EntryKind::nodata);
  EXPECT_EQ(f.cache.synthesize(N("a.example."), rt::A), nullptr);
  EXPECT_EQ(f.cache.synthesize(N("x.w.example."), rt::TXT), nullptr);
  EXPECT_EQ(f.cache.answers(), 2u);
}

TEST(DenialCache, Nsec3OptOutIterationsAndResalting) {
  FilledNsec3 optout(true);
  EXPECT_EQ(optout.cache.synthesize(N("nope.example."), rt::A), nullptr);  // may be an unsigned delegation
  EXPECT_NE(optout.cache.synthesize(N("a.example."), rt::MX), nullptr);
  FilledNsec3 costly(false, 151);
  EXPECT_EQ(costly.cache.size(), 0u);  // RFC 9276: not kept at all
  // A record of another salt or iteration count replaces the old chain.
  FilledNsec3 f;
  f.cache.keep_nsec(N("example."), validator::test::nsec3_zone(5, false).front(), kSig, 300);
  EXPECT_EQ(f.cache.size(), 1u);
  EXPECT_EQ(f.cache.synthesize(N("nope.example."), rt::A), nullptr);
  // Flushing a name in the zone drops its chain (hashed names hide where it lies).
  FilledNsec3 g;
  EXPECT_EQ(g.cache.flush(N("a.example.")), 7u);
}

TEST(DenialCache, Nsec3LivesTheShorterOfItsTtlAndTheNegativeTtl) {
  FilledNsec3 f(false, 0, 100);
  f.clock.advance_ms(99'000);
  EntryPtr e = f.cache.synthesize(N("nope.example."), rt::A);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->ttl_left(f.clock.now_ms()), 1u);
  f.clock.advance_ms(1'000);
  EXPECT_EQ(f.cache.synthesize(N("nope.example."), rt::A), nullptr);
}

// RFC 9077 3.4: records kept from a wildcard answer (TTL 3600, no SOA with
// them) are used no longer than the SOA's negative TTL (60 here) after
// they were kept, though the SOA itself is renewed later.
TEST(DenialCache, RecordsBoundByTheSoaMinimumFromWhenKept) {
  for (bool nsec3 : {false, true}) {
    FakeClock clock;
    DenialCache cache(clock, 100);
    if (nsec3)
      for (const auto& rs : validator::test::nsec3_zone(0, false)) cache.keep_nsec(N("example."), rs, kSig, 3600);
    else
      for (const char* line : {"example. 3600 NSEC a.example. NS SOA RRSIG NSEC DNSKEY",
                               "a.example. 3600 NSEC example. A RRSIG NSEC"})
        cache.keep_nsec(N("example."), rrset(line), kSig, 3600);
    clock.advance_ms(30'000);
    cache.keep_soa(N("example."), rrset("example. 60 SOA ns h 1 2 3 4 60"), kSig, 60);
    const auto q = nsec3 ? N("nope.example.") : N("b.example.");
    EntryPtr e = cache.synthesize(q, rt::A);
    ASSERT_NE(e, nullptr) << nsec3;
    EXPECT_EQ(e->ttl_left(clock.now_ms()), 30u) << nsec3;
    clock.advance_ms(30'000);
    cache.keep_soa(N("example."), rrset("example. 60 SOA ns h 1 2 3 4 60"), kSig, 60);
    EXPECT_EQ(cache.synthesize(q, rt::A), nullptr) << nsec3;
  }
}

// RFC 8198 5.3: example. with the wildcard *.w (w an empty non-terminal)
// and b.w beside it; one wildcard answer validated (its TXT RRset and the
// NSEC that came with it) and kept.
struct Wild {
  FakeClock clock;
  DenialCache cache{clock, 100};
  explicit Wild(uint32_t wild_ttl = 300, uint32_t nsec_ttl = 200) {
    for (const char* line : {"*.w.example. 300 NSEC b.w.example. TXT RRSIG NSEC",
                             "b.w.example. 300 NSEC z.example. A RRSIG NSEC"})
      cache.keep_nsec(N("example."), rrset(line), kSig, nsec_ttl);
    cache.keep_wildcard(N("example."), N("w.example."), rrset("x.w.example. 300 TXT \"wild\""), kSig, wild_ttl);
  }
};

TEST(DenialCache, WildcardExpandedForACoveredName) {
  Wild f;
  EXPECT_EQ(f.cache.size(), 3u);
  EntryPtr e = f.cache.synthesize(N("y.w.example."), rt::TXT);  // covered by b.w -> z, encloser w
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->kind, EntryKind::rrset);
  EXPECT_EQ(e->judged(), validator::Security::secure);
  EXPECT_EQ(e->rrset.owner, N("y.w.example."));
  EXPECT_EQ(e->rrset.type, rt::TXT);
  EXPECT_EQ(e->rrset.rdata, rrset("x.w.example. 300 TXT \"wild\"").rdata);
  EXPECT_EQ(e->dnssec.sigs, kSig);  // the wildcard's own RRSIGs: their label count shows the expansion
  ASSERT_NE(e->dnssec.proof, nullptr);
  std::vector<std::string> got;
  for (const auto& rs : *e->dnssec.proof) got.push_back(rs.owner.to_text() + " " + dns::type_to_text(rs.type));
  EXPECT_EQ(got, (std::vector<std::string>{"b.w.example. NSEC", "b.w.example. RRSIG"}));
  EXPECT_EQ(e->ttl_left(f.clock.now_ms()), 200u);  // the shorter of the wildcard's and the proof's
  // Deeper names too; the name the wildcard answered first, which does not exist either.
  EXPECT_NE(f.cache.synthesize(N("a.b.c.w.example."), rt::TXT), nullptr);  // covered by *.w -> b.w
  EXPECT_NE(f.cache.synthesize(N("x.w.example."), rt::TXT), nullptr);
  EXPECT_EQ(f.cache.answers(), 3u);
}

TEST(DenialCache, WildcardNotExpandedWithoutItsProof) {
  Wild f;
  EXPECT_EQ(f.cache.synthesize(N("y.w.example."), rt::A), nullptr);        // no A kept at *.w (nor a SOA for NODATA)
  EXPECT_EQ(f.cache.synthesize(N("c.b.w.example."), rt::TXT), nullptr);    // below b.w, which exists
  EXPECT_EQ(f.cache.synthesize(N("b.w.example."), rt::TXT), nullptr);      // b.w itself exists
  EXPECT_EQ(f.cache.synthesize(N("w.example."), rt::TXT), nullptr);        // the encloser is no expansion
  EXPECT_EQ(f.cache.synthesize(N("zz.example."), rt::TXT), nullptr);       // no wildcard *.example
  EXPECT_EQ(f.cache.synthesize(N("y.w.example."), rt::ANY), nullptr);
  // No kept NSEC covers names before *.w: nothing proves they do not exist.
  FakeClock clock;
  DenialCache bare(clock, 100);
  bare.keep_wildcard(N("example."), N("w.example."), rrset("x.w.example. 300 TXT \"wild\""), kSig, 300);
  EXPECT_EQ(bare.synthesize(N("y.w.example."), rt::TXT), nullptr);
  // Unsigned, or not an expansion of *.closest, or outside the zone: not kept.
  bare.keep_wildcard(N("example."), N("w.example."), rrset("x.w.example. 300 TXT \"wild\""), {}, 300);
  bare.keep_wildcard(N("example."), N("w.example."), rrset("w.example. 300 TXT \"wild\""), kSig, 300);
  bare.keep_wildcard(N("other."), N("w.example."), rrset("x.w.example. 300 TXT \"wild\""), kSig, 300);
  EXPECT_EQ(bare.size(), 1u);
}

TEST(DenialCache, WildcardExpansionExpiresAndIsFlushed) {
  Wild f(100, 300);
  f.clock.advance_ms(99'000);
  EntryPtr e = f.cache.synthesize(N("y.w.example."), rt::TXT);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->ttl_left(f.clock.now_ms()), 1u);
  f.clock.advance_ms(1'000);
  EXPECT_EQ(f.cache.synthesize(N("y.w.example."), rt::TXT), nullptr);
  Wild g;
  EXPECT_EQ(g.cache.flush(N("w.example.")), 3u);  // the wildcard and the NSEC records at and below w
  EXPECT_EQ(g.cache.synthesize(N("y.w.example."), rt::TXT), nullptr);
  // With the zone's SOA known, the proof lives no longer than the negative TTL (RFC 9077 3.4).
  Wild h(300, 300);
  h.cache.keep_soa(N("example."), rrset("example. 60 SOA ns h 1 2 3 4 60"), kSig, 60);
  e = h.cache.synthesize(N("y.w.example."), rt::TXT);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->ttl_left(h.clock.now_ms()), 60u);
  // And a type the wildcard lacks is NODATA from its NSEC, as before.
  e = h.cache.synthesize(N("y.w.example."), rt::A);
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->kind, EntryKind::nodata);
}

TEST(DenialCache, WildcardExpandedFromNsec3) {
  FilledNsec3 f;
  f.cache.keep_wildcard(N("example."), N("w.example."), rrset("x.w.example. 300 TXT \"wild\""), kSig, 300);
  for (const char* q : {"x.w.example.", "y.w.example.", "a.b.w.example."}) {
    EntryPtr e = f.cache.synthesize(N(q), rt::TXT);
    ASSERT_NE(e, nullptr) << q;
    EXPECT_EQ(e->kind, EntryKind::rrset);
    EXPECT_EQ(e->rrset.owner, N(q));
    ASSERT_EQ(e->dnssec.proof->size(), 2u);
    EXPECT_EQ(e->dnssec.proof->front().type, rt::NSEC3);  // the span covering the next closer name
  }
  EntryPtr other = f.cache.synthesize(N("x.d.e.example."), rt::TXT);  // no wildcard at *.d.e
  ASSERT_NE(other, nullptr);
  EXPECT_EQ(other->kind, EntryKind::nxdomain);
  // An opt-out span may hide an unsigned delegation at the next closer name.
  FilledNsec3 optout(true);
  optout.cache.keep_wildcard(N("example."), N("w.example."), rrset("x.w.example. 300 TXT \"wild\""), kSig, 300);
  EXPECT_EQ(optout.cache.synthesize(N("y.w.example."), rt::TXT), nullptr);
}

}  // namespace
}  // namespace namae::resolver
