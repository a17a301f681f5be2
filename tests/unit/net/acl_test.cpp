#include "net/acl.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

namespace namae::net {
namespace {

TEST(AddressAcl, Prefixes) {
  auto p = parse_prefix("127.0.0.0/8");
  ASSERT_TRUE(p.ok());
  sockaddr_in a{};
  a.sin_family = AF_INET;
  inet_pton(AF_INET, "127.1.2.3", &a.sin_addr);
  EXPECT_TRUE(p->contains(reinterpret_cast<sockaddr*>(&a), sizeof a));
  inet_pton(AF_INET, "128.0.0.1", &a.sin_addr);
  EXPECT_FALSE(p->contains(reinterpret_cast<sockaddr*>(&a), sizeof a));
  // IPv4-mapped IPv6 clients match IPv4 prefixes.
  sockaddr_in6 b{};
  b.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "::ffff:127.0.0.1", &b.sin6_addr);
  EXPECT_TRUE(p->contains(reinterpret_cast<sockaddr*>(&b), sizeof b));
  auto v6 = parse_prefix("::1");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->length, 128u);
  inet_pton(AF_INET6, "::1", &b.sin6_addr);
  EXPECT_TRUE(v6->contains(reinterpret_cast<sockaddr*>(&b), sizeof b));
  EXPECT_FALSE(parse_prefix("10.1.2.3/8").ok());  // host bits set
  EXPECT_FALSE(parse_prefix("10.0.0.0/33").ok());
  EXPECT_FALSE(parse_prefix("example.net").ok());
  EXPECT_FALSE(parse_prefix("10.0.0.0/").ok());
  EXPECT_TRUE(parse_prefix("0.0.0.0/0").ok());
  AddressAcl empty;
  EXPECT_FALSE(empty.allows(reinterpret_cast<sockaddr*>(&a), sizeof a));
}

TEST(AddressAcl, ParseList) {
  EXPECT_TRUE(parse_acl({"127.0.0.0/8", "::1"}).ok());
  auto bad = parse_acl({"127.0.0.0/8", "10.1.2.3/8"});
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("10.1.2.3/8"), std::string::npos);
}

}  // namespace
}  // namespace namae::net
