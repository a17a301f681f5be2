#include "http/auth.h"

#include "base/clock.h"

#include <gtest/gtest.h>

#include "dns/text.h"

namespace namae::http {
namespace {

// Cheap parameters keep the test fast; the defaults are exercised once.
const PasswordCost kFast{1, 256, 1};

TEST(Password, HashVerifiesAndIsSalted) {
  auto h = hash_password("correct horse", kFast);
  ASSERT_TRUE(h.ok()) << h.message();
  EXPECT_TRUE(is_argon2id_hash(*h)) << *h;
  EXPECT_EQ(h->rfind("$argon2id$v=19$m=256,t=1,p=1$", 0), 0u) << *h;
  EXPECT_TRUE(verify_password(*h, "correct horse"));
  EXPECT_FALSE(verify_password(*h, "correct horse "));
  EXPECT_FALSE(verify_password(*h, ""));
  auto h2 = hash_password("correct horse", kFast);
  EXPECT_NE(*h, *h2);  // a fresh salt each time
  EXPECT_TRUE(verify_password(*h2, "correct horse"));
}

TEST(Password, DefaultCostIsOwaspArgon2id) {
  auto h = hash_password("pw");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->rfind("$argon2id$v=19$m=19456,t=2,p=1$", 0), 0u) << *h;
  EXPECT_TRUE(verify_password(*h, "pw"));
}

TEST(Password, MalformedOrOtherHashesNeverMatch) {
  auto h = *hash_password("pw", kFast);
  EXPECT_FALSE(verify_password("", "pw"));
  EXPECT_FALSE(verify_password("pw", "pw"));
  std::string argon2i = h;
  argon2i.replace(0, 10, "$argon2i$");
  EXPECT_FALSE(verify_password(argon2i, "pw"));
  EXPECT_FALSE(verify_password(h.substr(0, h.size() - 4), "pw"));  // truncated hash
  std::string flipped = h;
  flipped.back() = flipped.back() == 'A' ? 'B' : 'A';
  EXPECT_FALSE(verify_password(flipped, "pw"));
  EXPECT_FALSE(is_argon2id_hash("$argon2id$v=19$m=1"));
}

TEST(BasicAuth, Parse) {
  auto enc = [](const std::string& s) {
    return dns::base64_encode(std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
  };
  auto c = parse_basic_auth("Basic " + enc("alice:pa:ss"));
  ASSERT_TRUE(c);
  EXPECT_EQ(c->user, "alice");
  EXPECT_EQ(c->password, "pa:ss");  // only the first colon separates
  EXPECT_TRUE(parse_basic_auth("basic " + enc("a:")));
  EXPECT_FALSE(parse_basic_auth(""));
  EXPECT_FALSE(parse_basic_auth("Bearer " + enc("a:b")));
  EXPECT_FALSE(parse_basic_auth("Basic " + enc("nocolon")));
  EXPECT_FALSE(parse_basic_auth("Basic !!!notbase64"));
  EXPECT_FALSE(parse_basic_auth("Basic"));
}

TEST(FailureLimiter, BlocksAfterLimitWithinWindowAndForgets) {
  FakeClock clock;
  clock.set_ms(1000);
  FailureLimiter lim(3, 10000, clock);
  EXPECT_FALSE(lim.blocked("src:a"));
  lim.fail("src:a");
  lim.fail("src:a");
  EXPECT_FALSE(lim.blocked("src:a"));
  lim.fail("src:a");
  EXPECT_TRUE(lim.blocked("src:a"));
  EXPECT_FALSE(lim.blocked("src:b"));  // per key
  clock.advance_ms(9999);
  EXPECT_TRUE(lim.blocked("src:a"));
  clock.advance_ms(1);  // the oldest failure leaves the window
  EXPECT_FALSE(lim.blocked("src:a"));
  // A success clears the count.
  lim.fail("src:c");
  lim.fail("src:c");
  lim.clear("src:c");
  lim.fail("src:c");
  EXPECT_FALSE(lim.blocked("src:c"));
}

TEST(FailureLimiter, SlidingWindowAndBoundedMemory) {
  FakeClock clock;
  clock.set_ms(0);
  FailureLimiter lim(2, 1000, clock);
  lim.fail("k");
  clock.set_ms(600);
  lim.fail("k");
  EXPECT_TRUE(lim.blocked("k"));
  clock.set_ms(1000);  // first failure gone, one left
  EXPECT_FALSE(lim.blocked("k"));
  lim.fail("k");
  EXPECT_TRUE(lim.blocked("k"));
  // Many sources guessing once each are pruned after the window.
  for (int i = 0; i < 1000; ++i) lim.fail("src:" + std::to_string(i));
  EXPECT_GE(lim.tracked(), 1000u);
  clock.advance_ms(5000);
  EXPECT_EQ(lim.tracked(), 0u);
}

}  // namespace
}  // namespace namae::http
