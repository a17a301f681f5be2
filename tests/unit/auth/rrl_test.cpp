// The response rate limiter (auth/rrl.h) on a fake clock: rate, slip
// cadence, the window's debt, exempt prefixes, prefix grouping, classes, and
// a table whose size does not grow with the number of sources.
#include "auth/rrl.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include <string>
#include <thread>
#include <vector>

namespace namae::auth {
namespace {

struct Addr {
  sockaddr_storage ss{};
  socklen_t len = 0;
  const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&ss); }
};

Addr addr(const std::string& text) {
  Addr a;
  if (text.find(':') == std::string::npos) {
    auto* in = reinterpret_cast<sockaddr_in*>(&a.ss);
    in->sin_family = AF_INET;
    EXPECT_EQ(inet_pton(AF_INET, text.c_str(), &in->sin_addr), 1) << text;
    a.len = sizeof(sockaddr_in);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.ss);
    in6->sin6_family = AF_INET6;
    EXPECT_EQ(inet_pton(AF_INET6, text.c_str(), &in6->sin6_addr), 1) << text;
    a.len = sizeof(sockaddr_in6);
  }
  return a;
}

RrlOptions opts(uint32_t rate, uint32_t slip = 2, uint32_t window = 15) {
  RrlOptions o;
  o.responses_per_second = rate;
  o.slip = slip;
  o.window = window;
  return o;
}

struct Count {
  int sent = 0, dropped = 0, slipped = 0, logged = 0;
};

Count run(RateLimiter& rrl, const Addr& a, int n, RrlClass cls = RrlClass::answer, uint64_t key = 1) {
  Count c;
  for (int i = 0; i < n; ++i) {
    RrlVerdict v = rrl.check(a.sa(), a.len, cls, key);
    (v.action == RrlAction::send ? c.sent : v.action == RrlAction::slip ? c.slipped : c.dropped)++;
    c.logged += v.log;
  }
  return c;
}

TEST(Rrl, SendsOneSecondsWorthThenLimits) {
  FakeClock clock;
  RateLimiter rrl(opts(10, 0), clock);
  Count c = run(rrl, addr("192.0.2.1"), 100);
  EXPECT_EQ(c.sent, 10);
  EXPECT_EQ(c.dropped, 90);
  EXPECT_EQ(c.logged, 1);  // one log line per limited run
}

TEST(Rrl, RefillsAtTheRateWhenUnderIt) {
  FakeClock clock;
  RateLimiter rrl(opts(10, 0), clock);
  Addr a = addr("192.0.2.1");
  int sent = 0;
  for (int i = 0; i < 600; ++i) {  // 60 s at exactly the rate: 10/s, every answer goes out
    sent += rrl.check(a.sa(), a.len, RrlClass::answer, 1).action == RrlAction::send;
    clock.advance_ms(100);
  }
  EXPECT_EQ(sent, 600);
}

TEST(Rrl, SlipCadence) {
  FakeClock clock;
  for (uint32_t slip : {1u, 2u, 3u}) {
    RateLimiter rrl(opts(10, slip), clock);
    Count c = run(rrl, addr("192.0.2.1"), 10 + 30);
    EXPECT_EQ(c.sent, 10);
    EXPECT_EQ(c.slipped, 30 / static_cast<int>(slip)) << slip;  // the first limited one, then every slip-th
    EXPECT_EQ(c.dropped, 30 - 30 / static_cast<int>(slip)) << slip;
  }
  RateLimiter rrl(opts(10, 2), clock);
  Addr a = addr("192.0.2.1");
  run(rrl, a, 10);
  EXPECT_EQ(rrl.check(a.sa(), a.len, RrlClass::answer, 1).action, RrlAction::slip);
  EXPECT_EQ(rrl.check(a.sa(), a.len, RrlClass::answer, 1).action, RrlAction::drop);
  EXPECT_EQ(rrl.check(a.sa(), a.len, RrlClass::answer, 1).action, RrlAction::slip);
}

TEST(Rrl, FloodRunsUpDebtBoundedByTheWindow) {
  FakeClock clock;
  RateLimiter rrl(opts(10, 0, 5), clock);
  Addr a = addr("192.0.2.1");
  run(rrl, a, 10000);  // far over: the debt stops at 5 s
  clock.advance_ms(5000);
  EXPECT_EQ(run(rrl, a, 1).sent, 0) << "still paying the debt";
  clock.advance_ms(1100);  // the window, one second of credit, and the dropped one's 0.1 s
  EXPECT_EQ(run(rrl, a, 20).sent, 10);
}

TEST(Rrl, QuietClientRecoversAfterTheWindow) {
  FakeClock clock;
  RateLimiter rrl(opts(5, 2, 15), clock);
  Addr a = addr("198.51.100.7");
  run(rrl, a, 1000);
  clock.advance_ms(16000);
  Count c = run(rrl, a, 5);
  EXPECT_EQ(c.sent, 5);
  EXPECT_EQ(run(rrl, a, 1).logged, 1) << "a new run logs again";
}

TEST(Rrl, GroupsClientsByPrefix) {
  FakeClock clock;
  RateLimiter rrl(opts(10, 0), clock);
  int sent = 0;
  for (int i = 1; i <= 50; ++i) sent += run(rrl, addr("127.0.1." + std::to_string(i)), 2).sent;
  EXPECT_EQ(sent, 10) << "one /24, one account";
  EXPECT_EQ(run(rrl, addr("127.0.2.1"), 10).sent, 10) << "another /24";
  // IPv6 by /56; an IPv4-mapped client is its IPv4 /24.
  EXPECT_EQ(run(rrl, addr("2001:db8:0:aa::1"), 10).sent, 10);
  EXPECT_EQ(run(rrl, addr("2001:db8:0:bb::2"), 10).sent, 0) << "same /56";
  EXPECT_EQ(run(rrl, addr("2001:db8:0:100::1"), 10).sent, 10) << "another /56";
  EXPECT_EQ(run(rrl, addr("::ffff:127.0.1.200"), 1).sent, 0);
  EXPECT_EQ(rrl.prefix_text(addr("127.0.1.77").sa(), sizeof(sockaddr_in)), "127.0.1.0/24");
  EXPECT_EQ(rrl.prefix_text(addr("2001:db8:0:aa::1").sa(), sizeof(sockaddr_in6)), "2001:db8::/56");
}

TEST(Rrl, PrefixLengthsAreConfigurable) {
  FakeClock clock;
  RrlOptions o = opts(10, 0);
  o.ipv4_prefix = 32;
  RateLimiter rrl(o, clock);
  EXPECT_EQ(run(rrl, addr("127.0.1.1"), 10).sent, 10);
  EXPECT_EQ(run(rrl, addr("127.0.1.2"), 10).sent, 10);
}

TEST(Rrl, ClassesAndKeysHaveTheirOwnAccounts) {
  FakeClock clock;
  RateLimiter rrl(opts(10, 0), clock);
  Addr a = addr("192.0.2.1");
  for (size_t c = 0; c < kRrlClassCount; ++c)
    EXPECT_EQ(run(rrl, a, 20, static_cast<RrlClass>(c), 7).sent, 10) << c;
  EXPECT_EQ(run(rrl, a, 20, RrlClass::answer, 8).sent, 10) << "another name";
  EXPECT_EQ(run(rrl, a, 20, RrlClass::answer, 7).sent, 0);
}

TEST(Rrl, ExemptPrefixes) {
  FakeClock clock;
  RrlOptions o = opts(10);
  o.exempt = *net::parse_acl({"192.0.2.0/28", "2001:db8::/32"});
  RateLimiter rrl(o, clock);
  EXPECT_TRUE(rrl.exempt(addr("192.0.2.5").sa(), sizeof(sockaddr_in)));
  EXPECT_FALSE(rrl.exempt(addr("192.0.2.17").sa(), sizeof(sockaddr_in)));
  EXPECT_TRUE(rrl.exempt(addr("2001:db8:1::1").sa(), sizeof(sockaddr_in6)));
}

TEST(Rrl, TableIsBoundedWhateverTheSources) {
  FakeClock clock;
  RrlOptions o = opts(1000, 0);
  o.table_size = 1000;
  RateLimiter rrl(o, clock);
  EXPECT_EQ(rrl.table_size(), 1024u);
  // A million sources in distinct /24s: no growth, and collisions only share
  // an account (each source alone stays under its rate).
  int sent = 0;
  for (uint32_t i = 0; i < 1'000'000; ++i) {
    Addr a;
    auto* in = reinterpret_cast<sockaddr_in*>(&a.ss);
    in->sin_family = AF_INET;
    in->sin_addr.s_addr = htonl(0x0a000000u + (i << 8));
    sent += rrl.check(a.sa(), sizeof(sockaddr_in), RrlClass::answer, 1).action == RrlAction::send;
  }
  EXPECT_EQ(rrl.table_size(), 1024u);
  EXPECT_GE(sent, 1024 * 1000 * 9 / 10);  // ~1000 per shared account
  EXPECT_LE(sent, 1024 * 1000);
}

TEST(Rrl, ThreadsSharingOneAccountSpendItOnce) {
  FakeClock clock;  // time stands still: exactly one second's worth goes out
  RateLimiter rrl(opts(100, 0), clock);
  Addr a = addr("192.0.2.1");
  std::atomic<int> sent{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] { sent += run(rrl, a, 20000).sent; });
  for (auto& t : threads) t.join();
  EXPECT_EQ(sent.load(), 100);
}

TEST(Rrl, UnknownFamilyIsNotLimited) {
  FakeClock clock;
  RateLimiter rrl(opts(1, 0), clock);
  sockaddr_storage ss{};
  ss.ss_family = AF_UNIX;
  for (int i = 0; i < 10; ++i)
    EXPECT_EQ(rrl.check(reinterpret_cast<const sockaddr*>(&ss), sizeof ss, RrlClass::answer, 1).action,
              RrlAction::send);
}

}  // namespace
}  // namespace namae::auth
