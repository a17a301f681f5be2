// The validator's pure logic: trust anchors, DNSKEY by DS, RRsets by keys,
// NSEC and NSEC3 denial proofs (RFC 4035 5, RFC 5155 8, RFC 9276).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>

#include "../dnssec/test_util.h"
#include "dns/nsec3_hash.h"
#include "dns/rdata.h"
#include "dnssec/algorithm.h"
#include "dnssec/dnskey.h"
#include "dnssec/key_file.h"
#include "dnssec/rrsig.h"
#include "nsec3_chain.h"
#include "validator/anchors.h"
#include "validator/denial.h"
#include "validator/keys.h"

namespace namae::validator {
namespace {

using dnssec::test::N;
using dnssec::test::rrset;

constexpr uint32_t kNow = 1750000000;
const dnssec::Validity kValid{kNow - 3600, kNow + 86400};

struct Zone {
  dns::Name name;
  dnssec::ZoneKey ksk, zsk;
  dns::RRset dnskey;
  std::vector<dns::RdataBytes> ds;

  explicit Zone(const std::string& origin)
      : name(N(origin)),
        ksk(dnssec::generate_zone_key(name, dnssec::alg::ECDSAP256SHA256, dnssec::kFlagsKsk, kNow).value()),
        zsk(dnssec::generate_zone_key(name, dnssec::alg::ED25519, dnssec::kFlagsZsk, kNow).value()) {
    dnskey.owner = name;
    dnskey.type = dns::rrtype::DNSKEY;
    dnskey.ttl = 3600;
    dnskey.rdata = {ksk.dnskey, zsk.dnskey};
    ds.push_back(dnssec::ds_rdata(name, ksk.dnskey, dnssec::kDigestSha256).value());
  }
  dns::RdataBytes sign(const dns::RRset& set, const dnssec::ZoneKey& key, dnssec::Validity v = kValid) const {
    return dnssec::sign_rrset(set, key.key, key.dnskey, name, v).value();
  }
  KeySet keys() const { return verify_dnskeys(name, dnskey, {sign(dnskey, ksk)}, ds, {}, kNow); }
};

TEST(TrustAnchors, BuiltInRootHasBothKsks) {
  auto t = TrustAnchors::builtin_root();
  const Anchor* a = t.closest(N("www.example.com."));
  ASSERT_NE(a, nullptr);
  EXPECT_TRUE(a->zone.is_root());
  ASSERT_EQ(a->ds.size(), 2u);
  EXPECT_EQ(a->ds[0][0] << 8 | a->ds[0][1], 20326);
  EXPECT_EQ(a->ds[1][0] << 8 | a->ds[1][1], 38696);
}

TEST(TrustAnchors, FileWithDnskeyAndDeeperAnchor) {
  Zone z("example.");
  std::string path = ::testing::TempDir() + "anchors.txt";
  std::ofstream(path) << ". IN DS 20326 8 2 E06D44B80B8F1D39A95C0B0D7C65D08458E880409BBC683457104237C7F8EC8D\n"
                      << "example. IN DNSKEY " << dns::rdata::to_text(dns::rrtype::DNSKEY, z.ksk.dnskey) << "\n";
  auto t = TrustAnchors::from_file(path);
  ASSERT_TRUE(t.ok()) << t.message();
  const Anchor* a = t->closest(N("www.example."));
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->zone, N("example."));
  ASSERT_EQ(a->dnskeys.size(), 1u);
  EXPECT_TRUE(verify_dnskeys(z.name, z.dnskey, {z.sign(z.dnskey, z.ksk)}, a->ds, a->dnskeys, kNow).verdict.is_secure());
}

TEST(TrustAnchors, OtherTypesAreErrorsNamingFileAndLine) {
  std::string path = ::testing::TempDir() + "bad-anchors.txt";
  std::ofstream(path) << "; comment\nexample. 3600 IN A 192.0.2.1\n";
  auto t = TrustAnchors::from_file(path);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.message().find("bad-anchors.txt:2"), std::string::npos) << t.message();
  EXPECT_FALSE(TrustAnchors::from_text("", "empty").ok());
}

TEST(Keys, DnskeyBySdsAndRrsetByZsk) {
  Zone z("example.");
  KeySet k = z.keys();
  ASSERT_TRUE(k.verdict.is_secure()) << k.verdict.why;
  auto a = rrset("www.example. 300 IN A 192.0.2.1");
  EXPECT_TRUE(verify_rrset(a, {z.sign(a, z.zsk)}, k, kNow).is_secure());
  auto forged = rrset("www.example. 300 IN A 192.0.2.66");
  Verdict v = verify_rrset(forged, {z.sign(a, z.zsk)}, k, kNow);
  EXPECT_EQ(v.security, Security::bogus);
  EXPECT_EQ(v.ede, ede::DNSSEC_BOGUS);
  v = verify_rrset(a, {}, k, kNow);
  EXPECT_EQ(v.ede, ede::RRSIGS_MISSING);
}

TEST(Keys, TimesGiveExpiredAndNotYetValid) {
  Zone z("example.");
  KeySet k = z.keys();
  auto a = rrset("www.example. 300 IN A 192.0.2.1");
  // Beyond the hour of skew a short validity period gets.
  EXPECT_EQ(verify_rrset(a, {z.sign(a, z.zsk, {kNow - 20000, kNow - 7200})}, k, kNow).ede, ede::SIGNATURE_EXPIRED);
  EXPECT_EQ(verify_rrset(a, {z.sign(a, z.zsk, {kNow + 7200, kNow + 20000})}, k, kNow).ede,
            ede::SIGNATURE_NOT_YET_VALID);
  KeySet expired = verify_dnskeys(z.name, z.dnskey, {z.sign(z.dnskey, z.ksk, {kNow - 20000, kNow - 7200})}, z.ds, {}, kNow);
  EXPECT_EQ(expired.verdict.ede, ede::SIGNATURE_EXPIRED);
}

TEST(Keys, ClockSkewOfATenthOfTheValidityBetweenAnHourAndADay) {
  constexpr uint32_t kDay = 86400;
  // Ten days of validity: a day of skew (the ceiling) either side.
  EXPECT_TRUE(within_validity_skewed(kNow - 10 * kDay, kNow - 20 * 3600, kNow));
  EXPECT_FALSE(within_validity_skewed(kNow - 10 * kDay, kNow - 25 * 3600, kNow));
  EXPECT_TRUE(within_validity_skewed(kNow + 20 * 3600, kNow + 10 * kDay, kNow));
  EXPECT_FALSE(within_validity_skewed(kNow + 25 * 3600, kNow + 10 * kDay, kNow));
  // One day: 2.4 hours.
  EXPECT_TRUE(within_validity_skewed(kNow - kDay, kNow - 2 * 3600, kNow));
  EXPECT_FALSE(within_validity_skewed(kNow - kDay, kNow - 3 * 3600, kNow));
  // An hour: the floor, an hour.
  EXPECT_TRUE(within_validity_skewed(kNow - 7200, kNow - 3600, kNow));
  EXPECT_FALSE(within_validity_skewed(kNow - 7200, kNow - 3601, kNow));
  // Across the 32-bit wrap (RFC 4034 3.1.5 serial arithmetic).
  EXPECT_TRUE(within_validity_skewed(0xffffff00u, 0x00010000u, 0x00000100u));
  Zone z("example.");
  auto a = rrset("www.example. 300 IN A 192.0.2.1");
  EXPECT_TRUE(verify_rrset(a, {z.sign(a, z.zsk, {kNow - 10 * kDay, kNow - 3600})}, z.keys(), kNow).is_secure());
}

TEST(Keys, DsMatchingNoKeyIsBogusUnknownAlgorithmInsecure) {
  Zone z("example."), other("example.");
  KeySet k = verify_dnskeys(z.name, z.dnskey, {z.sign(z.dnskey, z.ksk)}, other.ds, {}, kNow);
  EXPECT_EQ(k.verdict.security, Security::bogus);
  EXPECT_EQ(k.verdict.ede, ede::DNSKEY_MISSING);
  auto ds = other.ds[0];
  ds[2] = 253;  // a private algorithm no one verifies
  k = verify_dnskeys(z.name, z.dnskey, {z.sign(z.dnskey, z.ksk)}, {ds}, {}, kNow);
  EXPECT_EQ(k.verdict.security, Security::insecure);
  EXPECT_EQ(k.verdict.ede, ede::UNSUPPORTED_DNSKEY_ALGORITHM);
  // The DNSKEY RRset signed only by the ZSK, which no DS names: bogus.
  k = verify_dnskeys(z.name, z.dnskey, {z.sign(z.dnskey, z.zsk)}, z.ds, {}, kNow);
  EXPECT_EQ(k.verdict.security, Security::bogus);
  auto a = rrset("www.example. 300 IN A 192.0.2.1");
  EXPECT_EQ(verify_rrset(a, {z.sign(a, z.zsk)}, k, kNow).security, Security::bogus);
}

TEST(Keys, WildcardParentFromLabels) {
  Zone z("example.");
  auto wild = rrset("*.w.example. 300 IN TXT \"x\"");
  auto sig = z.sign(wild, z.zsk);
  auto expanded = wild;
  expanded.owner = N("a.b.w.example.");
  EXPECT_EQ(wildcard_parent(expanded, {sig}), N("w.example."));
  EXPECT_TRUE(verify_rrset(expanded, {sig}, z.keys(), kNow).is_secure());
  EXPECT_FALSE(wildcard_parent(wild, {sig}).has_value());
  EXPECT_EQ(signer_of({sig}), N("example."));
}

std::vector<dns::RRset> nsec_chain(const std::string& text) {
  std::vector<dns::RRset> out;
  for (const auto& r : dnssec::test::records(text)) {
    dns::RRset s;
    s.owner = r.owner;
    s.type = r.type;
    s.rdata = {r.rdata};
    out.push_back(s);
  }
  return out;
}

// In canonical order (RFC 4034 6.1): labels compare from the right.
const char* kNsecZone =
    "example. NSEC a.example. NS SOA RRSIG NSEC DNSKEY\n"
    "a.example. NSEC c.example. A RRSIG NSEC\n"
    "c.example. NSEC d.e.example. A RRSIG NSEC\n"
    "d.e.example. NSEC sub.example. A RRSIG NSEC\n"
    "sub.example. NSEC *.w.example. NS RRSIG NSEC\n"
    "*.w.example. NSEC example. TXT RRSIG NSEC\n";

TEST(Denial, NsecNxdomainNeedsNameAndWildcard) {
  auto all = nsec_chain(kNsecZone);
  EXPECT_TRUE(prove_nxdomain(N("b.example."), all).is_secure());
  std::vector<dns::RRset> only_cover = {all[1]};
  Verdict v = prove_nxdomain(N("b.example."), only_cover);
  EXPECT_EQ(v.ede, ede::DNSSEC_BOGUS);  // records that prove too little
  EXPECT_EQ(prove_nxdomain(N("b.example."), {}).ede, ede::NSEC_MISSING);  // none at all
  EXPECT_EQ(prove_nxdomain(N("a.example."), all).security, Security::bogus);  // it exists
  // Below a delegation the parent's NSEC proves nothing (RFC 6840 4.1).
  EXPECT_EQ(prove_nxdomain(N("x.sub.example."), all).security, Security::bogus);
}

TEST(Denial, NsecNodataEntAndWildcard) {
  auto all = nsec_chain(kNsecZone);
  EXPECT_TRUE(prove_nodata(N("a.example."), dns::rrtype::MX, all).is_secure());
  EXPECT_EQ(prove_nodata(N("a.example."), dns::rrtype::A, all).security, Security::bogus);
  EXPECT_TRUE(prove_nodata(N("e.example."), dns::rrtype::A, all).is_secure());  // empty non-terminal
  EXPECT_TRUE(prove_nodata(N("x.w.example."), dns::rrtype::A, all).is_secure());  // wildcard NODATA
  EXPECT_EQ(prove_nodata(N("x.w.example."), dns::rrtype::TXT, all).security, Security::bogus);
  // The parent side of a cut answers for DS only.
  EXPECT_TRUE(prove_nodata(N("sub.example."), dns::rrtype::DS, all).is_secure());
  EXPECT_EQ(prove_nodata(N("sub.example."), dns::rrtype::A, all).security, Security::bogus);
}

TEST(Denial, NsecWildcardAnswerAndCuts) {
  auto all = nsec_chain(kNsecZone);
  EXPECT_TRUE(prove_wildcard_answer(N("x.w.example."), N("w.example."), all).is_secure());
  EXPECT_EQ(prove_wildcard_answer(N("x.w.example."), N("w.example."), {}).ede, ede::NSEC_MISSING);
  EXPECT_EQ(prove_no_ds(N("sub.example."), all).cut, Cut::unsigned_delegation);
  EXPECT_EQ(prove_no_ds(N("c.example."), all).cut, Cut::no_delegation);
  EXPECT_EQ(prove_no_ds(N("e.example."), all).cut, Cut::no_delegation);
  EXPECT_EQ(prove_no_ds(N("c.example."), {}).cut, Cut::unproven);
}

using T = std::vector<uint16_t>;
namespace rt = dns::rrtype;
using test::nsec3_zone;

TEST(Denial, Nsec3Proofs) {
  auto all = nsec3_zone(0, false);
  EXPECT_TRUE(prove_nxdomain(N("nope.example."), all).is_secure());
  EXPECT_TRUE(prove_nxdomain(N("x.y.a.example."), all).is_secure());
  EXPECT_EQ(prove_nxdomain(N("a.example."), all).security, Security::bogus);
  EXPECT_TRUE(prove_nodata(N("a.example."), rt::MX, all).is_secure());
  EXPECT_EQ(prove_nodata(N("a.example."), rt::A, all).security, Security::bogus);
  EXPECT_TRUE(prove_nodata(N("e.example."), rt::A, all).is_secure());
  EXPECT_TRUE(prove_nodata(N("x.w.example."), rt::MX, all).is_secure());  // RFC 5155 8.7
  EXPECT_TRUE(prove_wildcard_answer(N("x.w.example."), N("w.example."), all).is_secure());
  EXPECT_EQ(prove_no_ds(N("a.example."), all).cut, Cut::no_delegation);
  EXPECT_EQ(prove_nxdomain(N("nope.example."), {}).ede, ede::NSEC_MISSING);
  std::vector<dns::RRset> one = {all[0]};
  EXPECT_EQ(prove_nxdomain(N("nope.example."), one).ede, ede::DNSSEC_BOGUS);
}

TEST(Denial, Nsec3OptOutAndIterationLimit) {
  // An unsigned delegation left out of an opt-out chain: insecure.
  auto optout = nsec3_zone(0, true);
  Verdict v = prove_nodata(N("unsigned.example."), rt::DS, optout);
  EXPECT_EQ(v.security, Security::insecure) << v.why;
  EXPECT_EQ(prove_no_ds(N("unsigned.example."), optout).cut, Cut::unsigned_delegation);
  EXPECT_EQ(prove_no_ds(N("unsigned.example."), nsec3_zone(0, false)).cut, Cut::no_delegation);
  // RFC 9276: 150 iterations still count, 151 make the proof insecure with EDE 27.
  EXPECT_TRUE(prove_nxdomain(N("nope.example."), nsec3_zone(150, false)).is_secure());
  v = prove_nxdomain(N("nope.example."), nsec3_zone(151, false));
  EXPECT_EQ(v.security, Security::insecure);
  EXPECT_EQ(v.ede, ede::UNSUPPORTED_NSEC3_ITERATIONS);
}

TEST(Denial, EmptyNonTerminalIsNoNxdomain) {
  // e.example. lies above d.e.example.: the NSEC c -> d.e covers it, but
  // its next name shows e.example. exists.
  auto all = nsec_chain(kNsecZone);
  EXPECT_EQ(prove_nxdomain(N("e.example."), all).security, Security::bogus);
}

// A zone's cached NSEC RRsets, found as a resolver's cache finds them: the
// last owner at or before a name.
struct CachedChain {
  std::vector<dns::RRset> sets;
  NsecAtOrBefore finder() const {
    return [this](const dns::Name& n) -> const dns::RRset* {
      const dns::RRset* best = nullptr;
      for (const auto& s : sets)
        if (s.owner.canonical_compare(n) <= 0) best = &s;
      return best;
    };
  }
};

TEST(Aggressive, NxdomainAndNodataFromCachedNsec) {
  CachedChain c{nsec_chain(kNsecZone)};
  auto s = synthesize_from_nsec(N("b.example."), rt::A, c.finder());
  EXPECT_EQ(s.denied, Denied::nxdomain);
  ASSERT_EQ(s.used.size(), 2u);  // a -> c covers b, the apex's NSEC covers *.example.
  EXPECT_EQ(s.used[0]->owner, N("a.example."));
  EXPECT_EQ(s.used[1]->owner, N("example."));
  EXPECT_EQ(synthesize_from_nsec(N("x.c.example."), rt::A, c.finder()).denied, Denied::nxdomain);
  EXPECT_EQ(synthesize_from_nsec(N("a.example."), rt::MX, c.finder()).denied, Denied::nodata);
  EXPECT_EQ(synthesize_from_nsec(N("e.example."), rt::A, c.finder()).denied, Denied::nodata);  // ENT
  EXPECT_EQ(synthesize_from_nsec(N("x.w.example."), rt::MX, c.finder()).denied, Denied::nodata);  // wildcard
  EXPECT_EQ(synthesize_from_nsec(N("sub.example."), rt::DS, c.finder()).denied, Denied::nodata);
}

TEST(Aggressive, NothingWhereTheCacheProvesNothing) {
  CachedChain c{nsec_chain(kNsecZone)};
  EXPECT_EQ(synthesize_from_nsec(N("a.example."), rt::A, c.finder()).denied, Denied::nothing);  // exists
  EXPECT_EQ(synthesize_from_nsec(N("x.w.example."), rt::TXT, c.finder()).denied, Denied::nothing);  // wildcard answers
  EXPECT_EQ(synthesize_from_nsec(N("x.sub.example."), rt::A, c.finder()).denied, Denied::nothing);  // below a cut
  EXPECT_EQ(synthesize_from_nsec(N("sub.example."), rt::A, c.finder()).denied, Denied::nothing);  // parent side
  EXPECT_TRUE(synthesize_from_nsec(N("a.example."), rt::ANY, c.finder()).used.empty());
  // Only the NSEC covering b.example. is cached, not the apex's: the
  // wildcard's absence is unproven.
  CachedChain partial{{c.sets[1]}};
  EXPECT_EQ(synthesize_from_nsec(N("b.example."), rt::A, partial.finder()).denied, Denied::nothing);
  // A gap in the cached chain: d.e -> sub is not cached, so nothing covers f.example.
  CachedChain gap{{c.sets[0], c.sets[1], c.sets[2]}};
  EXPECT_EQ(synthesize_from_nsec(N("f.example."), rt::A, gap.finder()).denied, Denied::nothing);
}

// A zone's cached NSEC3 RRsets, found as the resolver's cache finds them:
// the last owner hash at or before a hash, wrapping to the last.
struct CachedNsec3 {
  std::map<dns::Nsec3Hash, dns::RRset> by_hash;
  explicit CachedNsec3(const std::vector<dns::RRset>& sets) {
    for (const auto& s : sets) by_hash[*dns::nsec3_label_hash(s.owner.label(0))] = s;
  }
  Nsec3AtOrBefore finder() const {
    return [this](const dns::Nsec3Hash& h) -> const dns::RRset* {
      if (by_hash.empty()) return nullptr;
      auto it = by_hash.upper_bound(h);
      if (it == by_hash.begin()) it = by_hash.end();
      return &(--it)->second;
    };
  }
  Denied denies(const std::string& qname, uint16_t qtype, uint16_t iterations = 0) const {
    return synthesize_from_nsec3(N(qname), qtype, N("example."), test::chain_params(iterations), finder()).denied;
  }
};

TEST(Aggressive, Nsec3ClosestEncloserProofFromTheCache) {
  CachedNsec3 c(nsec3_zone(0, false));
  auto s = synthesize_from_nsec3(N("nope.example."), rt::A, N("example."), test::chain_params(0), c.finder());
  EXPECT_EQ(s.denied, Denied::nxdomain);
  // The apex matched, nope covered, *.example covered: two or three records.
  ASSERT_GE(s.used.size(), 2u);
  EXPECT_EQ(c.denies("x.y.a.example.", rt::A), Denied::nxdomain);  // encloser a.example.
  EXPECT_EQ(c.denies("a.example.", rt::MX), Denied::nodata);
  EXPECT_EQ(c.denies("e.example.", rt::A), Denied::nodata);     // ENT
  EXPECT_EQ(c.denies("x.w.example.", rt::MX), Denied::nodata);  // RFC 5155 8.7
  EXPECT_EQ(c.denies("a.example.", rt::A), Denied::nothing);    // exists
  EXPECT_EQ(c.denies("x.w.example.", rt::TXT), Denied::nothing);  // the wildcard answers
  EXPECT_EQ(c.denies("x.signed.example.", rt::A), Denied::nothing);  // below a cut
  EXPECT_EQ(c.denies("signed.example.", rt::DS), Denied::nothing);
  EXPECT_EQ(c.denies("a.example.", rt::ANY), Denied::nothing);
  // Without the record that denies the wildcard, NXDOMAIN is unproven.
  std::vector<dns::RRset> partial;
  for (const auto* r : s.used) partial.push_back(*r);
  partial.pop_back();
  EXPECT_EQ(CachedNsec3(partial).denies("nope.example.", rt::A), Denied::nothing);
}

TEST(Aggressive, Nsec3OptOutAndIterationsProveNoNxdomain) {
  // RFC 5155 9.2: an opt-out span may hide an unsigned delegation; a
  // matching record still proves NODATA.
  CachedNsec3 optout(nsec3_zone(0, true));
  EXPECT_EQ(optout.denies("nope.example.", rt::A), Denied::nothing);
  EXPECT_EQ(optout.denies("x.y.a.example.", rt::A), Denied::nothing);
  EXPECT_EQ(optout.denies("a.example.", rt::MX), Denied::nodata);
  // RFC 9276: beyond the limit the proof is insecure, so never synthesized.
  EXPECT_EQ(CachedNsec3(nsec3_zone(150, false)).denies("nope.example.", rt::A, 150), Denied::nxdomain);
  EXPECT_EQ(CachedNsec3(nsec3_zone(151, false)).denies("nope.example.", rt::A, 151), Denied::nothing);
}

}  // namespace
}  // namespace namae::validator
