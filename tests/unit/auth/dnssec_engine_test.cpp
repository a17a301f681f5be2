// AuthEngine with DO=1 on signed zones: which RRSIGs, NSEC and NSEC3 records
// each answer shape carries (RFC 4035 3.1, RFC 5155 7.2). The NSEC3 zone is
// RFC 5155 Appendix A's, and the expected proofs those of its Appendix B.
// Signatures are placeholders (the engine selects records, it does not
// verify them); the system tests check real ones with validators.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "auth_test_util.h"

namespace namae::auth::authtest {
namespace {

using namespace dns::rrtype;
using ::testing::Contains;
using ::testing::IsEmpty;
using ::testing::Not;

// A placeholder RRSIG over `type` at `owner` with `labels` in its labels field.
std::string sig(const std::string& owner, const std::string& type, int labels, const std::string& signer) {
  return owner + " RRSIG " + type + " 13 " + std::to_string(labels) + " 3600 20300101000000 20200101000000 1 " +
         signer + " AAAA\n";
}

// RFC 5155 Appendix A (SHA-1, 12 iterations, salt aabbccdd, opt-out).
std::string appendix_a() {
  std::string z = R"($TTL 3600
example. SOA ns1.example. bugs.x.w.example. 1 3600 300 3600000 3600
example. NS ns1.example.
example. NS ns2.example.
example. MX 1 xx.example.
example. DNSKEY 257 3 13 AAAA
example. NSEC3PARAM 1 0 12 aabbccdd
2t7b4g4vsa5smi47k61mv5bv1a22bojr.example. A 192.0.2.127
a.example. NS ns1.a.example.
a.example. DS 58470 5 1 3079f1593ebad6dc121e202a8b766a6a4837206c
ns1.a.example. A 192.0.2.5
ai.example. A 192.0.2.9
c.example. NS ns1.c.example.
ns1.c.example. A 192.0.2.7
ns1.example. A 192.0.2.1
ns2.example. A 192.0.2.2
*.w.example. MX 1 ai.example.
x.w.example. MX 1 xx.example.
x.y.w.example. MX 1 xx.example.
xx.example. A 192.0.2.10
)";
  const std::pair<const char*, const char*> chain[] = {
      {"0p9mhaveqvm6t7vbl5lop2u3t2rp3tom", "2t7b4g4vsa5smi47k61mv5bv1a22bojr MX DNSKEY NS SOA NSEC3PARAM RRSIG"},
      {"2t7b4g4vsa5smi47k61mv5bv1a22bojr", "2vptu5timamqttgl4luu9kg21e0aor3s A RRSIG"},
      {"2vptu5timamqttgl4luu9kg21e0aor3s", "35mthgpgcu1qg68fab165klnsnk3dpvl MX RRSIG"},
      {"35mthgpgcu1qg68fab165klnsnk3dpvl", "b4um86eghhds6nea196smvmlo4ors995 NS DS RRSIG"},
      {"b4um86eghhds6nea196smvmlo4ors995", "gjeqe526plbf1g8mklp59enfd789njgi MX RRSIG"},
      {"gjeqe526plbf1g8mklp59enfd789njgi", "ji6neoaepv8b5o6k4ev33abha8ht9fgc A RRSIG"},
      {"ji6neoaepv8b5o6k4ev33abha8ht9fgc", "k8udemvp1j2f7eg6jebps17vp3n8i58h"},
      {"k8udemvp1j2f7eg6jebps17vp3n8i58h", "kohar7mbb8dc2ce8a9qvl8hon4k53uhi"},
      {"kohar7mbb8dc2ce8a9qvl8hon4k53uhi", "q04jkcevqvmu85r014c7dkba38o0ji5r A RRSIG"},
      {"q04jkcevqvmu85r014c7dkba38o0ji5r", "r53bq7cc2uvmubfu5ocmm6pers9tk9en A RRSIG"},
      {"r53bq7cc2uvmubfu5ocmm6pers9tk9en", "t644ebqk9bibcna874givr6joj62mlhv MX RRSIG"},
      {"t644ebqk9bibcna874givr6joj62mlhv", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom A RRSIG"},
  };
  for (const auto& [owner, rest] : chain) {
    const std::string o = std::string(owner) + ".example.";
    z += o + " NSEC3 1 1 12 aabbccdd " + rest + "\n" + sig(o, "NSEC3", 2, "example.");
  }
  for (const auto& [owner, type, labels] :
       std::initializer_list<std::tuple<const char*, const char*, int>>{
           {"example.", "SOA", 1}, {"example.", "NS", 1}, {"example.", "MX", 1}, {"a.example.", "DS", 2},
           {"ai.example.", "A", 2}, {"ns1.example.", "A", 2}, {"ns2.example.", "A", 2},
           {"*.w.example.", "MX", 2}, {"x.w.example.", "MX", 3}, {"xx.example.", "A", 2}})
    z += sig(owner, type, labels, "example.");
  return z;
}

QueryOpts dnssec_ok() {
  QueryOpts o;
  o.edns = true;
  o.do_bit = true;
  o.rd = false;
  return o;
}

// The owners of the records of `type` in `section`.
std::vector<std::string> owners(const std::vector<std::string>& section, const std::string& type) {
  std::vector<std::string> out;
  for (const auto& rr : section) {
    auto f = rr.find(' ');
    auto t = rr.find(' ', f + 1);
    if (rr.compare(t + 1, type.size() + 1, type + " ") == 0) out.push_back(rr.substr(0, f));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// RRSIGs in `section` covering `type`.
size_t sigs_over(const std::vector<std::string>& section, const std::string& type) {
  // "owner TTL RRSIG covered ...": the type field, not a bitmap naming RRSIG.
  return std::count_if(section.begin(), section.end(), [&](const std::string& rr) {
    const size_t type_at = rr.find(' ', rr.find(' ') + 1) + 1;
    return rr.compare(type_at, 7 + type.size(), "RRSIG " + type + " ") == 0;
  });
}

class Nsec3Proofs : public ::testing::Test {
 protected:
  Server s{{make_zone("example", appendix_a())}};
};

TEST_F(Nsec3Proofs, NxdomainB1) {
  auto r = s.ask("a.c.x.w.example", MX, dnssec_ok());
  EXPECT_EQ(r.rcode, dns::rcode::NXDOMAIN);
  EXPECT_THAT(owners(r.authority, "NSEC3"),
              ::testing::ElementsAre("0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example.",  // covers c.x.w
                                     "35mthgpgcu1qg68fab165klnsnk3dpvl.example.",  // covers *.x.w
                                     "b4um86eghhds6nea196smvmlo4ors995.example."));  // matches x.w
  EXPECT_EQ(sigs_over(r.authority, "NSEC3"), 3u);
  EXPECT_EQ(sigs_over(r.authority, "SOA"), 1u);
  EXPECT_FALSE(r.h.ad);
}

TEST_F(Nsec3Proofs, NodataB2) {
  auto r = s.ask("ns1.example", MX, dnssec_ok());
  EXPECT_EQ(r.rcode, dns::rcode::NOERROR);
  EXPECT_THAT(r.answer, IsEmpty());
  EXPECT_THAT(owners(r.authority, "NSEC3"), ::testing::ElementsAre("2t7b4g4vsa5smi47k61mv5bv1a22bojr.example."));
}

TEST_F(Nsec3Proofs, EmptyNonTerminalB21) {
  auto r = s.ask("y.w.example", A, dnssec_ok());
  EXPECT_THAT(owners(r.authority, "NSEC3"), ::testing::ElementsAre("ji6neoaepv8b5o6k4ev33abha8ht9fgc.example."));
}

TEST_F(Nsec3Proofs, OptOutReferralB3) {
  auto r = s.ask("mc.c.example", MX, dnssec_ok());
  EXPECT_FALSE(r.h.aa);
  EXPECT_THAT(owners(r.authority, "NS"), ::testing::ElementsAre("c.example."));
  EXPECT_THAT(owners(r.authority, "DS"), IsEmpty());
  EXPECT_THAT(owners(r.authority, "NSEC3"),
              ::testing::ElementsAre("0p9mhaveqvm6t7vbl5lop2u3t2rp3tom.example.",  // matches example
                                     "35mthgpgcu1qg68fab165klnsnk3dpvl.example."));  // covers c.example
  EXPECT_THAT(r.additional, Contains("ns1.c.example. 3600 A 192.0.2.7"));
  EXPECT_EQ(sigs_over(r.additional, "A"), 0u);  // glue is not signed
}

TEST_F(Nsec3Proofs, WildcardExpansionB4) {
  auto r = s.ask("a.z.w.example", MX, dnssec_ok());
  EXPECT_THAT(owners(r.answer, "MX"), ::testing::ElementsAre("a.z.w.example."));
  ASSERT_EQ(sigs_over(r.answer, "MX"), 1u);
  EXPECT_NE(r.answer[1].find(" MX 13 2 "), std::string::npos) << r.answer[1];  // labels: 2
  EXPECT_THAT(owners(r.authority, "NSEC3"), ::testing::ElementsAre("q04jkcevqvmu85r014c7dkba38o0ji5r.example."));
}

TEST_F(Nsec3Proofs, WildcardNodataB5) {
  auto r = s.ask("a.z.w.example", AAAA, dnssec_ok());
  EXPECT_THAT(r.answer, IsEmpty());
  EXPECT_THAT(owners(r.authority, "NSEC3"),
              ::testing::ElementsAre("k8udemvp1j2f7eg6jebps17vp3n8i58h.example.",  // matches w
                                     "q04jkcevqvmu85r014c7dkba38o0ji5r.example.",  // covers z.w
                                     "r53bq7cc2uvmubfu5ocmm6pers9tk9en.example."));  // matches *.w
}

TEST_F(Nsec3Proofs, DsNodataB6) {
  auto r = s.ask("ai.example", DS, dnssec_ok());
  EXPECT_THAT(owners(r.authority, "NSEC3"), ::testing::ElementsAre("gjeqe526plbf1g8mklp59enfd789njgi.example."));
}

TEST_F(Nsec3Proofs, SignedReferralCarriesDs) {
  auto r = s.ask("x.a.example", A, dnssec_ok());
  EXPECT_THAT(owners(r.authority, "DS"), ::testing::ElementsAre("a.example."));
  EXPECT_EQ(sigs_over(r.authority, "DS"), 1u);
  EXPECT_THAT(owners(r.authority, "NSEC3"), IsEmpty());
}

TEST_F(Nsec3Proofs, PositiveAnswerSignedWithZoneNs) {
  auto r = s.ask("xx.example", A, dnssec_ok());
  EXPECT_EQ(sigs_over(r.answer, "A"), 1u);
  EXPECT_EQ(sigs_over(r.authority, "NS"), 1u);
  EXPECT_EQ(sigs_over(r.additional, "A"), 2u);  // ns1, ns2: authoritative addresses are signed
}

TEST_F(Nsec3Proofs, WithoutDoNothingChanges) {
  QueryOpts o = dnssec_ok();
  o.do_bit = false;
  for (auto [name, type] : {std::pair{"a.c.x.w.example", MX}, std::pair{"a.z.w.example", MX},
                            std::pair{"xx.example", A}, std::pair{"x.a.example", A}}) {
    auto r = s.ask(name, type, o);
    for (const auto* sec : {&r.answer, &r.authority, &r.additional})
      for (const auto& rr : *sec)
        for (const char* t : {" RRSIG ", " NSEC3 ", " DS "}) EXPECT_EQ(rr.find(t), std::string::npos) << rr;
  }
}

TEST_F(Nsec3Proofs, RrsigQueryGetsEverySignature) {
  auto r = s.ask("example", RRSIG, QueryOpts{});
  EXPECT_EQ(r.answer.size(), 3u);  // over SOA, NS and MX
}

// NSEC (RFC 4035 3.1.3) on a small zone with the chain spelled out.
std::string nsec_zone() {
  std::string z = R"($TTL 300
@ SOA ns hostmaster 1 3600 900 604800 300
@ NS ns
@ DNSKEY 257 3 13 AAAA
@ NSEC deleg A NS SOA RRSIG NSEC DNSKEY
a.ent A 192.0.2.1
a.ent NSEC ns A RRSIG NSEC
deleg NS ns.other.
deleg NSEC a.ent NS RRSIG NSEC
ns A 192.0.2.2
ns NSEC *.wc A RRSIG NSEC
*.wc CNAME host.deleg
*.wc NSEC *.wild CNAME RRSIG NSEC
*.wild TXT "w"
*.wild NSEC zz TXT RRSIG NSEC
zz A 192.0.2.3
zz NSEC @ A RRSIG NSEC
)";
  for (char c : std::string("abcd")) z += "zz TXT \"" + std::string(105, c) + "\"\n";
  z += sig("zz", "TXT", 2, "nz.");
  for (const auto& [owner, type] : std::initializer_list<std::pair<const char*, const char*>>{
           {"@", "SOA"}, {"@", "NS"}, {"@", "NSEC"}, {"a.ent", "A"}, {"a.ent", "NSEC"}, {"deleg", "NSEC"},
           {"ns", "A"}, {"ns", "NSEC"}, {"*.wc", "CNAME"}, {"*.wc", "NSEC"}, {"*.wild", "TXT"}, {"*.wild", "NSEC"}, {"zz", "A"}, {"zz", "NSEC"}})
    z += sig(owner, type, 2, "nz.");
  return z;
}

class NsecProofs : public ::testing::Test {
 protected:
  Server s{{make_zone("nz", nsec_zone())}};
};

TEST_F(NsecProofs, Nxdomain) {
  auto r = s.ask("f.nz", A, dnssec_ok());
  EXPECT_EQ(r.rcode, dns::rcode::NXDOMAIN);
  // f.nz is covered by a.ent's NSEC (a.ent.nz < f.nz < ns.nz); *.nz by the apex's.
  EXPECT_THAT(owners(r.authority, "NSEC"), ::testing::ElementsAre("a.ent.nz.", "nz."));
  EXPECT_EQ(sigs_over(r.authority, "NSEC"), 2u);
}

TEST_F(NsecProofs, NxdomainOneNsecCoversBoth) {
  auto r = s.ask("zzz.nz", A, dnssec_ok());
  EXPECT_THAT(owners(r.authority, "NSEC"), ::testing::ElementsAre("nz.", "zz.nz."));
  r = s.ask("b.nz", A, dnssec_ok());  // the apex's NSEC covers b.nz and *.nz
  EXPECT_THAT(owners(r.authority, "NSEC"), ::testing::ElementsAre("nz."));
}

TEST_F(NsecProofs, NodataAndEmptyNonTerminal) {
  auto r = s.ask("ns.nz", TXT, dnssec_ok());
  EXPECT_THAT(owners(r.authority, "NSEC"), ::testing::ElementsAre("ns.nz."));
  r = s.ask("ent.nz", A, dnssec_ok());
  EXPECT_EQ(r.rcode, dns::rcode::NOERROR);
  EXPECT_THAT(owners(r.authority, "NSEC"), ::testing::ElementsAre("deleg.nz."));  // covers ent.nz
}

TEST_F(NsecProofs, WildcardAnswerAndNodata) {
  auto r = s.ask("x.wild.nz", TXT, dnssec_ok());
  EXPECT_THAT(owners(r.answer, "TXT"), ::testing::ElementsAre("x.wild.nz."));
  EXPECT_THAT(owners(r.authority, "NSEC"), ::testing::ElementsAre("*.wild.nz."));  // covers x.wild
  r = s.ask("x.wild.nz", A, dnssec_ok());
  EXPECT_THAT(r.answer, IsEmpty());
  EXPECT_THAT(owners(r.authority, "NSEC"), ::testing::ElementsAre("*.wild.nz."));  // covers and matches
}

TEST_F(NsecProofs, WildcardCnameIntoDelegation) {
  // The CNAME synthesized from *.wc, then the referral: the proof that
  // x.wc.nz does not exist (RFC 4035 3.1.3.3) comes with the no-DS proof.
  auto r = s.ask("x.wc.nz", A, dnssec_ok());
  EXPECT_THAT(owners(r.answer, "CNAME"), ::testing::ElementsAre("x.wc.nz."));
  EXPECT_EQ(sigs_over(r.answer, "CNAME"), 1u);
  EXPECT_THAT(owners(r.authority, "NSEC"), ::testing::ElementsAre("*.wc.nz.", "deleg.nz."));
}

TEST_F(NsecProofs, UnsignedReferralProvesNoDs) {
  auto r = s.ask("host.deleg.nz", A, dnssec_ok());
  EXPECT_FALSE(r.h.aa);
  EXPECT_THAT(owners(r.authority, "NSEC"), ::testing::ElementsAre("deleg.nz."));
  r = s.ask("deleg.nz", DS, dnssec_ok());
  EXPECT_TRUE(r.h.aa);
  EXPECT_THAT(owners(r.authority, "NSEC"), ::testing::ElementsAre("deleg.nz."));
}

TEST_F(NsecProofs, TruncatedRatherThanSplit) {
  // RFC 4035 3.1.1: the TXT RRset fits 512 octets alone, not with its RRSIG.
  QueryOpts o = dnssec_ok();
  o.udp_size = 512;
  auto r = s.ask("zz.nz", TXT, o);
  EXPECT_TRUE(r.h.tc);
  EXPECT_THAT(r.answer, IsEmpty());
  o.do_bit = false;
  r = s.ask("zz.nz", TXT, o);
  EXPECT_FALSE(r.h.tc);
  EXPECT_EQ(r.answer.size(), 4u);
  r = s.ask("zz.nz", TXT, dnssec_ok());
  EXPECT_EQ(r.answer.size(), 5u);
}

TEST_F(NsecProofs, UnsignedZoneGetsNoProofs) {
  Server plain{{make_zone("plain", "$TTL 300\n@ SOA ns h 1 1 1 1 1\n@ NS ns\nns A 192.0.2.1\n")}};
  auto r = plain.ask("nothere.plain", A, dnssec_ok());
  EXPECT_THAT(owners(r.authority, "NSEC"), IsEmpty());
  EXPECT_TRUE(r.edns.do_bit);
}

}  // namespace
}  // namespace namae::auth::authtest
