#include "xfr/remote.h"

#include <gtest/gtest.h>

namespace namae::xfr {
namespace {

std::vector<dns::TsigKey> keys() {
  return {*dns::TsigKey::parse("hmac-sha256:k1:c2VjcmV0LWtleS1vbmU=")};
}

TEST(Remote, AddressesWithAndWithoutPortAndKey) {
  auto k = keys();
  auto r = parse_remotes({"127.0.0.1:5300", "192.0.2.1", "[::1]:53"}, "k1", k);
  ASSERT_TRUE(r) << r.message();
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].address.port(), 5300);
  EXPECT_EQ((*r)[1].address.port(), 53);
  EXPECT_EQ((*r)[0].to_string(), "127.0.0.1:5300 key k1.");
  ASSERT_TRUE((*r)[2].key);
}

TEST(Remote, UnsignedWhenNoKeyNamed) {
  auto r = parse_remotes({"127.0.0.1:53"}, "", {});
  ASSERT_TRUE(r);
  EXPECT_FALSE((*r)[0].key);
}

TEST(Remote, UnknownKeyAndBadAddressAreErrors) {
  auto k = keys();
  EXPECT_FALSE(parse_remotes({"127.0.0.1:53"}, "nokey", k));
  auto bad = parse_remotes({"primary.example:53"}, "", k);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.message().find("primary.example"), std::string::npos);
}

TEST(Remote, FindKeyIgnoresCaseAndTrailingDot) {
  auto k = keys();
  EXPECT_NE(find_key(k, "K1."), nullptr);
  EXPECT_EQ(find_key(k, "k2"), nullptr);
}

TEST(Remote, RekeyTakesTheNewSecretByName) {
  auto k = keys();
  auto r = parse_remotes({"127.0.0.1:53", "127.0.0.2:53"}, "k1", k);
  ASSERT_TRUE(r);
  r->push_back({*net::parse_endpoint("127.0.0.3:53"), std::nullopt});
  std::vector<dns::TsigKey> next = {*dns::TsigKey::parse("hmac-sha512:K1.:bmV3LXNlY3JldA==")};
  auto again = rekey(*r, next);
  ASSERT_TRUE(again) << again.message();
  EXPECT_EQ((*again)[0].key->secret, next[0].secret);
  EXPECT_EQ((*again)[1].key->algorithm, dns::TsigAlgorithm::hmac_sha512);
  EXPECT_FALSE((*again)[2].key);
  EXPECT_FALSE(rekey(*r, {}));
}

}  // namespace
}  // namespace namae::xfr
