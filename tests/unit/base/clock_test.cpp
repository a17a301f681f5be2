#include "base/clock.h"

#include <gtest/gtest.h>

namespace namae {
namespace {

TEST(FakeClock, BothReadingsMoveTogether) {
  FakeClock c;
  c.set_unix_time(1'800'000'000);
  int64_t ms = c.now_ms();
  c.advance_ms(2'500);
  EXPECT_EQ(c.now_ms(), ms + 2'500);
  EXPECT_EQ(c.unix_time(), 1'800'000'002);
}

TEST(SystemClock, Monotonic) {
  const Clock& c = system_clock();
  int64_t a = c.now_ms();
  EXPECT_GE(c.now_ms(), a);
  EXPECT_GT(c.unix_time(), 1'700'000'000);
}

}  // namespace
}  // namespace namae
