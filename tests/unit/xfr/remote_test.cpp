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

}  // namespace
}  // namespace namae::xfr
