#include "dns/nsec3_hash.h"

#include <gtest/gtest.h>

#include <string>

using namespace namae::dns;

namespace {

Nsec3Params appendix_a_params() {
  // RFC 5155 Appendix A: SHA-1, 12 extra iterations, salt aabbccdd.
  const uint8_t rdata[] = {1, 0, 0, 12, 4, 0xaa, 0xbb, 0xcc, 0xdd};
  return *Nsec3Params::from_rdata(rdata);
}

std::string label_of(const std::string& name, const Nsec3Params& p) {
  auto h = nsec3_hash(*Name::from_text(name), p);
  EXPECT_TRUE(h.has_value());
  std::array<char, kNsec3LabelSize> text{};
  nsec3_label(*h, text);
  return std::string(text.begin(), text.end());
}

}  // namespace

TEST(Nsec3Hash, Rfc5155AppendixA) {
  const Nsec3Params p = appendix_a_params();
  const std::pair<const char*, const char*> vectors[] = {
      {"example.", "0p9mhaveqvm6t7vbl5lop2u3t2rp3tom"},
      {"a.example.", "35mthgpgcu1qg68fab165klnsnk3dpvl"},
      {"ai.example.", "gjeqe526plbf1g8mklp59enfd789njgi"},
      {"ns1.example.", "2t7b4g4vsa5smi47k61mv5bv1a22bojr"},
      {"ns2.example.", "q04jkcevqvmu85r014c7dkba38o0ji5r"},
      {"w.example.", "k8udemvp1j2f7eg6jebps17vp3n8i58h"},
      {"*.w.example.", "r53bq7cc2uvmubfu5ocmm6pers9tk9en"},
      {"x.w.example.", "b4um86eghhds6nea196smvmlo4ors995"},
      {"y.w.example.", "ji6neoaepv8b5o6k4ev33abha8ht9fgc"},
      {"x.y.w.example.", "2vptu5timamqttgl4luu9kg21e0aor3s"},
      {"xx.example.", "t644ebqk9bibcna874givr6joj62mlhv"},
      {"2t7b4g4vsa5smi47k61mv5bv1a22bojr.example.", "kohar7mbb8dc2ce8a9qvl8hon4k53uhi"},
  };
  for (const auto& [name, label] : vectors) EXPECT_EQ(label_of(name, p), label) << name;
}

TEST(Nsec3Hash, CaseInsensitive) {
  const Nsec3Params p = appendix_a_params();
  EXPECT_EQ(label_of("A.EXAMPLE.", p), "35mthgpgcu1qg68fab165klnsnk3dpvl");
}

TEST(Nsec3Hash, NoSaltNoIterations) {
  // RFC 9276's recommended parameters; the value is SHA-1 of the wire name.
  Nsec3Params p;
  EXPECT_EQ(label_of("example.", p).size(), kNsec3LabelSize);
  EXPECT_NE(label_of("example.", p), label_of("example.", appendix_a_params()));
}

TEST(Nsec3Hash, UnknownAlgorithm) {
  Nsec3Params p;
  p.algorithm = 2;
  EXPECT_FALSE(nsec3_hash(*Name::from_text("example."), p).has_value());
}

TEST(Nsec3Hash, LabelRoundTrip) {
  const Nsec3Params p = appendix_a_params();
  auto h = nsec3_hash(*Name::from_text("ns1.example."), p);
  const std::string upper = "2T7B4G4VSA5SMI47K61MV5BV1A22BOJR";
  auto back = nsec3_label_hash(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(upper.data()), upper.size()));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, *h);
  const std::string bad = "2t7b4g4vsa5smi47k61mv5bv1a22bojw";  // 'w' is not base32hex
  EXPECT_FALSE(nsec3_label_hash(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bad.data()), bad.size())));
  EXPECT_FALSE(nsec3_label_hash(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(bad.data()), 31)));
}

TEST(Nsec3Hash, ParamsFromShortRdata) {
  const uint8_t shorter[] = {1, 0, 0, 12, 4, 0xaa};
  EXPECT_FALSE(Nsec3Params::from_rdata(shorter).has_value());
}
