// Known-answer tests from the RFCs: key tags and DS digests (RFC 4034 5.4,
// RFC 4509 2.3, RFC 6605 6, RFC 8080 6), the example signatures of RFC 5702
// 6, RFC 6605 6 and RFC 8080 6 (errata 4935), and Ed25519 signing, which is
// deterministic, reproducing RFC 8080's signature from its private key.
#include <gtest/gtest.h>

#include "dns/text.h"
#include "dnssec/algorithm.h"
#include "dnssec/dnskey.h"
#include "dnssec/key_file.h"
#include "dnssec/rrsig.h"
#include "test_util.h"

namespace namae::dnssec {
namespace {

using test::N;
using test::rdata;
using test::rrset;

struct DsVector {
  const char* owner;
  const char* dnskey;
  uint16_t tag;
  uint8_t digest_type;
  const char* digest;
};

TEST(DnssecKeys, KeyTagsAndDsDigests) {
  const DsVector vectors[] = {
      // RFC 4509 2.3 (RFC 4034 5.4's key)
      {"dskey.example.com.",
       "256 3 5 AQOeiiR0GOMYkDshWoSKz9XzfwJr1AYtsmx3TGkJaNXVbfi/2pHm822aJ5iI9BMzNXxeYCmZ"
       "DRD99WYwYqUSdjMmmAphXdvxegXd/M5+X7OrzKBaMbCVdFLUUh6DhweJBjEVv5f2wwjM9XzcnOf+EPbtG9DMBmADjFDc2w/rljwvFw==",
       60485, 2, "d4b7d520e7bb5f0f67674a0cceb1e3e0614b93c4f9e99b8383f6a1e4469da50a"},
      // RFC 6605 6.1 and 6.2
      {"example.net.",
       "257 3 13 GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9xMWyQLc8NAA==",
       55648, 2, "b4c8c1fe2e7477127b27115656ad6256f424625bf5c1e2770ce6d6e37df61d17"},
      {"example.net.",
       "257 3 14 xKYaNhWdGOfJ+nPrL8/arkwf2EY3MDJ+SErKivBVSum1w/egsXvSADtNJhyem5RCOpgQ6K8X1DRSEkrbYQ+OB+v8"
       "/uX45NBwY8rp65F6Glur8I/mlVNgF6W/qTI37m40",
       10771, 4,
       "72d7b62976ce06438e9c0bf319013cf801f09ecc84b8d7e9495f27e305c6a9b0563a9b5f4d288405c3008a946df983d6"},
      // RFC 8080 6.1
      {"example.com.", "257 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=", 3613, 2,
       "3aa5ab37efce57f737fc1627013fee07bdf241bd10f3b1964ab55c78e79a304b"},
  };
  for (const auto& v : vectors) {
    const auto key = rdata(std::string(v.owner) + " IN DNSKEY " + v.dnskey);
    EXPECT_EQ(key_tag(key), v.tag) << v.owner;
    auto ds = ds_rdata(N(v.owner), key, v.digest_type);
    ASSERT_TRUE(ds.ok()) << ds.message();
    EXPECT_EQ(dns::hex_encode(std::span(*ds).subspan(4)), v.digest) << v.owner;
    EXPECT_EQ((*ds)[0] << 8 | (*ds)[1], v.tag);
    EXPECT_EQ((*ds)[3], v.digest_type);
  }
  EXPECT_FALSE(ds_rdata(N("example."), rdata(". IN DNSKEY 257 3 13 AAAA"), 3).ok());
}

struct SigVector {
  const char* what;
  const char* dnskey;  // example.net. or example.com. DNSKEY rdata
  const char* rrset;
  const char* rrsig;   // RRSIG rdata
  uint32_t now;
};

const SigVector kSignatures[] = {
    {"RFC 5702 6.1 RSASHA256",
     "example.net. IN DNSKEY 256 3 8 AwEAAcFcGsaxxdgiuuGmCkVImy4h99CqT7jwY3pexPGcnUFtR2Fh36BponcwtkZ4cAgtvd4Qs8Pk"
     "xUdp6p/DlUmObdk=",
     "www.example.net. 3600 IN A 192.0.2.91",
     "A 8 3 3600 20300101000000 20000101000000 9033 example.net. kRCOH6u7l0QGy9qpC9l1sLncJcOKFLJ7GhiUOibu4teYp5VE9RncriShZNz85mwlMgNEacFYK/lPtPiVYP4bwg==",
     1281607479},
    {"RFC 5702 6.2 RSASHA512",
     "example.net. IN DNSKEY 256 3 10 AwEAAdHoNTOW+et86KuJOWRDp1pndvwb6Y83nSVXXyLA3DLroROUkN6X0O6pnWnjJQujX/AyhqFDx"
     "j13tOnD9u/1kTg7cV6rklMrZDtJCQ5PCl/D7QNPsgVsMu1J2Q8gpMpztNFLpPBz1bWXjDtaR7ZQBlZ3PFY12ZTSncorffcGmhOL",
     "www.example.net. 3600 IN A 192.0.2.91",
     "A 10 3 3600 20300101000000 20000101000000 3740 example.net. tsb4wnjRUDnB1BUi+t6TMTXThjVnG+eCkWqjvvjhzQL1d0Y"
     "RoOe0CbxrVDYd0xDtsuJRaeUw1ep94PzEWzr0iGYgZBWm/zpq+9fOuagYJRfDqfReKBzMweOLDiNa8iP5g9vMhpuv6OPlvpXwm9Sa9ZXIbNl1"
     "MBGk0fthPgxdDLw=",
     1281607479},
    {"RFC 6605 6.1 ECDSAP256SHA256",
     "example.net. IN DNSKEY 257 3 13 GojIhhXUN/u4v54ZQqGSnyhWJwaubCvTmeexv7bR6edbkrSqQpF64cYbcB7wNcP+e+MAnLr+Wi9x"
     "MWyQLc8NAA==",
     "www.example.net. 3600 IN A 192.0.2.1",
     "A 13 3 3600 20100909100439 20100812100439 55648 example.net. qx6wLYqmh+l9oCKTN6qIc+bw6ya+KJ8oMz0YP107epXAyGmt"
     "+3SNruPFKG7tZoLBLlUzGGus7ZwmwWep666VCw==",
     1281607479},
    {"RFC 6605 6.2 ECDSAP384SHA384",
     "example.net. IN DNSKEY 257 3 14 xKYaNhWdGOfJ+nPrL8/arkwf2EY3MDJ+SErKivBVSum1w/egsXvSADtNJhyem5RCOpgQ6K8X1DRS"
     "EkrbYQ+OB+v8/uX45NBwY8rp65F6Glur8I/mlVNgF6W/qTI37m40",
     "www.example.net. 3600 IN A 192.0.2.1",
     "A 14 3 3600 20100909102025 20100812102025 10771 example.net. /L5hDKIvGDyI1fcARX3z65qrmPsVz73QD1Mr5CEqOiLP95hx"
     "QouuroGCeZOvzFaxsT8Glr74hbavRKayJNuydCuzWTSSPdz7wnqXL5bdcJzusdnI0RSMROxxwGipWcJm",
     1283000000},
    {"RFC 8080 6.1 ED25519 (errata 4935)",
     "example.com. IN DNSKEY 257 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=",
     "example.com. 3600 IN MX 10 mail.example.com.",
     "MX 15 2 3600 1440021600 1438207200 3613 example.com. oL9krJun7xfBOIWcGHi7mag5/hdZrKWw15jPGrHpjQeRAvTdszaPD+QLs3"
     "fx8A4M3e23mRZ9VrbpMngwcrqNAg==",
     1438207200},
};

TEST(DnssecVerify, RfcExampleSignatures) {
  for (const auto& v : kSignatures) {
    const auto key = rdata(v.dnskey);
    const auto set = rrset(v.rrset);
    const auto sig = rdata(std::string(". IN RRSIG ") + v.rrsig);
    auto ok = verify_rrsig(set, sig, key, v.now);
    EXPECT_TRUE(ok.ok()) << v.what << ": " << (ok.ok() ? "" : ok.message());
    // A changed rdata, a changed TTL, a later time: each is reported, none throws.
    auto changed = set;
    changed.rdata[0].back() ^= 1;
    EXPECT_FALSE(verify_rrsig(changed, sig, key, v.now).ok()) << v.what;
    auto expired = verify_rrsig(set, sig, key, 0x40000000u + v.now);
    ASSERT_FALSE(expired.ok());
    EXPECT_NE(expired.message().find("expired"), std::string::npos) << expired.message();
    auto bad_sig = sig;
    bad_sig[bad_sig.size() - 5] ^= 0x40;
    EXPECT_FALSE(verify_rrsig(set, bad_sig, key, v.now).ok()) << v.what;
  }
}

TEST(DnssecVerify, MalformedInputIsAReasonNotACrash) {
  const auto set = rrset("www.example.net. 3600 IN A 192.0.2.1");
  const auto key = rdata(kSignatures[2].dnskey);
  const auto sig = rdata(std::string(". IN RRSIG ") + kSignatures[2].rrsig);
  EXPECT_FALSE(verify_rrsig(set, {}, key, std::nullopt).ok());
  EXPECT_FALSE(verify_rrsig(set, sig, {}, std::nullopt).ok());
  auto short_key = key;
  short_key.resize(20);
  auto r = verify_rrsig(set, sig, short_key, std::nullopt);
  ASSERT_FALSE(r.ok());
  auto short_sig = sig;
  short_sig.resize(short_sig.size() - 1);
  EXPECT_FALSE(verify_rrsig(set, short_sig, key, std::nullopt).ok());
  auto other_type = set;
  other_type.type = 28;
  EXPECT_FALSE(verify_rrsig(other_type, sig, key, std::nullopt).ok());
}

TEST(DnssecSign, Ed25519ReproducesRfc8080) {
  const auto pub = rdata("example.com. IN DNSKEY 257 3 15 l02Woi0iS8Aa25FQkUd9RMzZHJpBoRQwAQEX1SxZJA4=");
  auto key = parse_private_file(
      "Private-key-format: v1.2\nAlgorithm: 15 (ED25519)\nPrivateKey: ODIyNjAzODQ2MjgwODAxMjI2NDUxOTAyMDQxNDIyNjI=\n",
      N("example.com."), 257, std::span(pub).subspan(4), alg::ED25519);
  ASSERT_TRUE(key.ok()) << key.message();
  EXPECT_EQ(key->tag, 3613);
  auto sig = sign_rrset(rrset("example.com. 3600 IN MX 10 mail.example.com."), key->key, key->dnskey,
                        N("example.com."), {1438207200, 1440021600});
  ASSERT_TRUE(sig.ok());
  EXPECT_EQ(*sig, rdata(std::string(". IN RRSIG ") + kSignatures[4].rrsig));
}

TEST(DnssecSign, Rfc6605PrivateKeyLoadsAndSigns) {
  const auto pub = rdata(kSignatures[2].dnskey);
  auto key = parse_private_file(
      "Private-key-format: v1.2\nAlgorithm: 13 (ECDSAP256SHA256)\nPrivateKey: GU6SnQ/Ou+xC5RumuIUIuJZteXT2z0O/ok1s38Et6mQ=\n",
      N("example.net."), 257, std::span(pub).subspan(4), alg::ECDSAP256SHA256);
  ASSERT_TRUE(key.ok()) << key.message();
  EXPECT_EQ(key->tag, 55648);
  const auto set = rrset("www.example.net. 3600 IN A 192.0.2.1");
  auto sig = sign_rrset(set, key->key, key->dnskey, N("example.net."), {1281607479, 1284026679});
  ASSERT_TRUE(sig.ok());
  // ECDSA is randomized: the signature differs from the RFC's but verifies.
  EXPECT_TRUE(verify_rrsig(set, *sig, pub, 1281607479).ok());
  // Another key's public half is refused.
  const auto other = rdata(kSignatures[0].dnskey);
  EXPECT_FALSE(parse_private_file("Algorithm: 13\nPrivateKey: GU6SnQ/Ou+xC5RumuIUIuJZteXT2z0O/ok1s38Et6mQ=\n",
                                  N("example.net."), 257, std::span(other).subspan(4), 13)
                   .ok());
}

TEST(DnssecSign, EveryAlgorithmSignsAndVerifies) {
  for (uint8_t a : {alg::ECDSAP256SHA256, alg::ED25519, alg::RSASHA256}) {
    auto key = generate_zone_key(N("example."), a, kFlagsKsk, 1700000000);
    ASSERT_TRUE(key.ok()) << key.message();
    const auto set = rrset("*.example. 300 IN TXT \"a\"\n*.example. 300 IN TXT \"b\"");
    auto sig = sign_rrset(set, key->key, key->dnskey, N("example."), {1700000000, 1800000000});
    ASSERT_TRUE(sig.ok());
    auto f = parse_rrsig(*sig);
    ASSERT_TRUE(f);
    EXPECT_EQ(f->labels, 1);  // the wildcard label is not counted (RFC 4034 3.1.3)
    EXPECT_EQ(f->key_tag, key->tag);
    EXPECT_TRUE(verify_rrsig(set, *sig, key->dnskey, 1750000000).ok()) << int(a);
    // An expansion of the wildcard verifies with the same signature (RFC 4035 5.3.2).
    auto expanded = set;
    expanded.owner = N("host.example.");
    EXPECT_TRUE(verify_rrsig(expanded, *sig, key->dnskey, 1750000000).ok()) << int(a);
    // Member order does not matter (canonical order, RFC 4034 6.3).
    auto reordered = set;
    std::swap(reordered.rdata[0], reordered.rdata[1]);
    EXPECT_TRUE(verify_rrsig(reordered, *sig, key->dnskey, 1750000000).ok());
    EXPECT_FALSE(verify_rrsig(set, *sig, key->dnskey, 1600000000).ok());
  }
}

TEST(DnssecSign, CanonicalOrderAndForm) {
  // RFC 4034 6.2/6.3: owner and embedded names lower-cased, rdata in octet order, duplicates once.
  const auto a = rrset("Example. 300 IN NS B.example.\nexample. 300 IN NS a.EXAMPLE.\nexample. 300 IN NS b.example.");
  RrsigFields f{2, 13, 1, 300, 2, 1, 7, N("example."), {}};
  const auto data = signature_data(a, f);
  const std::string hex = dns::hex_encode(data);
  const std::string rr_a = "076578616d706c650000020001" "0000012c" "000b" "01610765" "78616d706c6500";
  const std::string rr_b = "076578616d706c650000020001" "0000012c" "000b" "01620765" "78616d706c6500";
  ASSERT_GT(hex.size(), rr_a.size() + rr_b.size());
  EXPECT_EQ(hex.substr(hex.size() - rr_a.size() - rr_b.size()), rr_a + rr_b);
}

}  // namespace
}  // namespace namae::dnssec
