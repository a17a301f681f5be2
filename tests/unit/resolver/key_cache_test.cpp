// The validated keys shared by all questions: expiry and flushing.
#include <gtest/gtest.h>

#include "../dnssec/test_util.h"
#include "base/clock.h"
#include "resolver/validate.h"

namespace namae::resolver {
namespace {

using dnssec::test::N;

std::shared_ptr<const validator::KeySet> insecure(const char* zone) {
  return std::make_shared<const validator::KeySet>(
      validator::KeySet{N(zone), validator::Verdict::insecure("unsigned"), {}});
}

TEST(KeyCache, ExpiresAndFlushesByWhereTheKeysHold) {
  FakeClock clock;
  KeyCache keys(clock);
  keys.store(N("example."), insecure("example."), 60);
  // Below a name without a cut, the parent's keys are stored under the child's name.
  keys.store(N("a.example."), insecure("example."), 60);
  keys.store(N("other."), insecure("other."), 10);
  EXPECT_NE(keys.find(N("A.Example.")), nullptr);
  clock.advance_ms(10'000);
  EXPECT_EQ(keys.find(N("other.")), nullptr);
  EXPECT_EQ(keys.flush(N("a.example.")), 1u);
  EXPECT_EQ(keys.find(N("a.example.")), nullptr);
  EXPECT_NE(keys.find(N("example.")), nullptr);
  EXPECT_EQ(keys.flush(N(".")), 2u);  // example. and the expired other.
  EXPECT_EQ(keys.find(N("example.")), nullptr);
}

}  // namespace
}  // namespace namae::resolver
