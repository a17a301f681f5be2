// RFC 5011 2.3 active refresh with a fake time: when AutoTrustAnchors asks
// for a trust point's DNSKEY RRset with no client traffic, what it does
// with the answer, and when it asks again after a failure.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include "base/clock.h"
#include "resolver/auto_anchors.h"
#include "../validator/signed_dnskeys.h"

namespace namae::resolver {
namespace {

using dnssec::test::N;
using validator::KeyState;
using validator::test::Key;
using validator::test::kDay;
using validator::test::kT0;
using validator::test::Published;

struct Refreshing {
  FakeClock clock;
  Key ksk;
  std::string path = ::testing::TempDir() + "auto_anchors_refresh";
  std::shared_ptr<AutoTrustAnchors> anchors;
  std::optional<AutoTrustAnchors::Fetched> answer;  // what the fake upstream gives
  int asked = 0;

  Refreshing() {
    clock.set_unix_time(kT0);
    std::ofstream(path) << validator::trust_points_text({{N("."), {}, {{ksk.k.dnskey, KeyState::valid, 0}}}});
    validator::HoldDowns hold{30 * kDay, 30 * kDay, 3600};
    anchors = AutoTrustAnchors::load(path, hold, clock).value();
  }
  ~Refreshing() { std::remove(path.c_str()); }
  size_t refresh() {
    return anchors->refresh_due([&](const dns::Name& zone) {
      EXPECT_EQ(zone, N("."));
      ++asked;
      return answer;
    });
  }
  void publish(const Published& p) { answer = AutoTrustAnchors::Fetched{p.set, p.sigs}; }
  std::string file() const {
    std::stringstream s;
    s << std::ifstream(path).rdbuf();
    return s.str();
  }
  void advance_s(int64_t s) { clock.advance_ms(s * 1000); }
};

TEST(AutoTrustAnchors, AskedAtStartThenAtTheQueryInterval) {
  Refreshing r;
  EXPECT_EQ(r.anchors->next_refresh_in_ms(), 0);  // due at once
  r.publish(Published({r.ksk.k.dnskey}, {{r.ksk.k.dnskey, &r.ksk}}, kT0, 2 * kDay));
  EXPECT_EQ(r.refresh(), 1u);
  EXPECT_EQ(r.anchors->next_refresh_in_ms(), int64_t{kDay} * 1000);  // half the TTL
  r.advance_s(kDay - 1);
  EXPECT_EQ(r.refresh(), 0u);
  r.advance_s(1);
  EXPECT_EQ(r.refresh(), 1u);
  EXPECT_EQ(r.asked, 2);
}

TEST(AutoTrustAnchors, ANewKeySeenByTheTimerAloneReachesTheFile) {
  Refreshing r;
  Key next;
  r.publish(Published({r.ksk.k.dnskey, next.k.dnskey}, {{r.ksk.k.dnskey, &r.ksk}}, kT0, 2 * kDay));
  r.refresh();
  EXPECT_NE(r.file().find("state=addpend"), std::string::npos) << r.file();
  // 30 days of refreshes, the last one after the hold-down: trusted.
  for (int i = 0; i < 30; ++i) {
    r.advance_s(kDay);
    r.publish(Published({r.ksk.k.dnskey, next.k.dnskey}, {{r.ksk.k.dnskey, &r.ksk}}, r.clock.unix_time(), 2 * kDay));
    EXPECT_EQ(r.refresh(), 1u);
  }
  EXPECT_EQ(r.file().find("state=addpend"), std::string::npos) << r.file();
  EXPECT_EQ(r.anchors->anchors()->closest(N("."))->dnskeys.size(), 2u);
}

TEST(AutoTrustAnchors, FailedOrUnvalidatedQueryRetriedAfterTheRetryTime) {
  Refreshing r;
  r.publish(Published({r.ksk.k.dnskey}, {{r.ksk.k.dnskey, &r.ksk}}, kT0, 2 * kDay));
  r.refresh();
  r.advance_s(kDay);
  r.answer.reset();  // no answer
  EXPECT_EQ(r.refresh(), 1u);
  EXPECT_EQ(r.anchors->next_refresh_in_ms(), int64_t{2 * kDay / 10} * 1000);  // a tenth of the TTL
  r.advance_s(2 * kDay / 10);
  // An RRset no trusted key signs (a new key's alone) is no refresh either.
  Key stranger;
  std::string before = r.file();
  r.publish(Published({stranger.k.dnskey}, {{stranger.k.dnskey, &stranger}}, r.clock.unix_time(), 2 * kDay));
  EXPECT_EQ(r.refresh(), 1u);
  EXPECT_EQ(r.file(), before);
  EXPECT_EQ(r.anchors->next_refresh_in_ms(), int64_t{2 * kDay / 10} * 1000);
  // Not asked twice while a query runs: due again only after the retry time.
  EXPECT_EQ(r.refresh(), 0u);
  EXPECT_EQ(r.asked, 3);
}

}  // namespace
}  // namespace namae::resolver
