// The NSEC and NSEC3 records a ZoneVersion finds for denial of existence
// (zone/denial.cpp): the NSEC at or before a name, and the NSEC3 index kept
// through diffs (RFC 5155 7.2's match and cover).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "dns/nsec3_hash.h"
#include "dns/text.h"
#include "dns/rrtype.h"
#include "zone/load.h"
#include "zone/zone.h"
#include "zone_test_util.h"

namespace namae::zone {
namespace {

using test::N;
namespace rrtype = dns::rrtype;

std::shared_ptr<const ZoneVersion> load(const std::string& text) {
  std::vector<zonefile::Diagnostic> diags;
  auto z = load_zone_text(text, "t.zone", N("example."), diags);
  EXPECT_TRUE(z.ok()) << (z.ok() ? "" : z.message());
  return z.ok() ? *z : nullptr;
}

// An NSEC3 record at `label` whose next hash is `next` (as nsec3_zone() writes them).
dns::Record nsec3(const std::string& label, const std::string& next) {
  auto next_hash = dns::base32hex_decode(next);
  dns::RdataBytes rd = {1, 0, 0, 0, 0, static_cast<uint8_t>(next_hash->size())};
  rd.insert(rd.end(), next_hash->begin(), next_hash->end());
  rd.insert(rd.end(), {0, 1, 0x40});  // type bitmap: A
  return {N(label + ".example."), rrtype::NSEC3, dns::rrclass::IN, 300, rd};
}

dns::Nsec3Hash hash_of(const std::string& label) {
  auto h = dns::nsec3_label_hash(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(label.data()), label.size()));
  return *h;
}

const std::string kH1 = "1111111111111111111111111111111a";
const std::string kH5 = "5555555555555555555555555555555a";
const std::string kH9 = "9999999999999999999999999999999a";

std::string nsec3_zone() {
  return "$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n@ DNSKEY 257 3 13 AAAA\n"
         "@ NSEC3PARAM 1 0 0 -\n" +
         kH1 + " NSEC3 1 0 0 - " + kH5 + " A\n" + kH5 + " NSEC3 1 0 0 - " + kH1 + " A\n";
}

TEST(Nsec3Index, MatchAndCover) {
  auto z = load(nsec3_zone());
  ASSERT_TRUE(z->is_signed());
  ASSERT_NE(z->nsec3_params(), nullptr);
  EXPECT_EQ(z->nsec3_params()->iterations, 0);
  EXPECT_EQ(z->nsec3_match(hash_of(kH1))->owner_name(), N(kH1 + ".example."));
  EXPECT_EQ(z->nsec3_match(hash_of(kH9)), nullptr);
  EXPECT_EQ(z->nsec3_cover(hash_of("3333333333333333333333333333333a"))->owner_name(), N(kH1 + ".example."));
  // After the last and before the first: the last wraps around.
  EXPECT_EQ(z->nsec3_cover(hash_of(kH9))->owner_name(), N(kH5 + ".example."));
  EXPECT_EQ(z->nsec3_cover(hash_of("0000000000000000000000000000000a"))->owner_name(), N(kH5 + ".example."));
}

TEST(Nsec3Index, FollowsDiffs) {
  auto v1 = load(nsec3_zone());
  ZoneDiff d;
  d.added.push_back(nsec3(kH9, kH1));
  d.removed.push_back(nsec3(kH1, kH5));
  auto v2 = *v1->apply(d);
  EXPECT_NE(v2->nsec3_match(hash_of(kH9)), nullptr);
  EXPECT_EQ(v2->nsec3_match(hash_of(kH1)), nullptr);
  EXPECT_EQ(v2->nsec3_cover(hash_of("0000000000000000000000000000000a"))->owner_name(), N(kH9 + ".example."));
  // The old version keeps its own chain.
  EXPECT_NE(v1->nsec3_match(hash_of(kH1)), nullptr);
  EXPECT_EQ(v1->nsec3_match(hash_of(kH9)), nullptr);
  // A node copied for new flags keeps its entry (the index holds hashes).
  ZoneDiff flags;
  flags.added.push_back({N("*." + kH5 + ".example."), rrtype::TXT, dns::rrclass::IN, 300, {1, 'x'}});
  auto v3 = *v2->apply(flags);
  EXPECT_NE(v3->nsec3_match(hash_of(kH5)), nullptr);
}

TEST(Nsec3Index, UnsignedOrNsecZone) {
  auto z = load("$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n");
  EXPECT_FALSE(z->is_signed());
  EXPECT_EQ(z->nsec3_params(), nullptr);
  EXPECT_EQ(z->nsec3_cover(hash_of(kH1)), nullptr);
}

TEST(NsecChain, AtOrBeforeSkipsNodesWithoutNsec) {
  auto z = load(
      "$TTL 300\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\n@ NSEC a.b A NS SOA NSEC\n"
      "a.b A 192.0.2.2\na.b NSEC ns A NSEC\nns A 192.0.2.1\nns NSEC @ A NSEC\n");
  EXPECT_EQ(z->nsec_at_or_before(N("b.example."))->owner_name(), N("example."));  // ENT b
  EXPECT_EQ(z->nsec_at_or_before(N("a.b.example."))->owner_name(), N("a.b.example."));
  EXPECT_EQ(z->nsec_at_or_before(N("c.example."))->owner_name(), N("a.b.example."));
  EXPECT_EQ(z->nsec_at_or_before(N("zz.example."))->owner_name(), N("ns.example."));
}

}  // namespace
}  // namespace namae::zone
