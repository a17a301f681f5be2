// The secondary's state machine with a FakeClock and a scripted primary:
// first transfer, refresh and retry timers, IXFR and its AXFR fallback,
// serials going backwards, broken transfers, expiry, NOTIFY, restart.
#include <gtest/gtest.h>

#include <unistd.h>

#include <deque>
#include <functional>
#include <utility>
#include <filesystem>

#include "base/clock.h"
#include "xfr/secondary.h"
#include "xfr/soa.h"
#include "xfr_test_util.h"

namespace namae::xfr::test {
namespace {

using Kind = XfrResult::Kind;

// A primary whose answers the test scripts: its serial, and a queue of
// transfer answers (an empty queue: the zone at `serial` in full).
class ScriptedPrimary : public Fetcher {
 public:
  Result<uint32_t> query_serial(const Remote&, const dns::Name&) override {
    ++queries;
    if (during_query) std::exchange(during_query, nullptr)();  // once: what happens mid-check
    if (down) return fail("timed out");
    return serial;
  }
  Result<Transfer> transfer(const Remote&, const dns::Name&,
                            const std::optional<dns::Record>& ours) override {
    asked.push_back(ours ? std::optional<uint32_t>(soa_timers(ours->rdata)->serial) : std::nullopt);
    if (down) return fail("connection refused");
    if (!answers.empty()) {
      auto a = std::move(answers.front());
      answers.pop_front();
      return a;
    }
    return full(serial);
  }
  static Transfer full(uint32_t serial, std::vector<dns::Record> extra = {}) {
    Transfer t;
    t.result.kind = Kind::full;
    t.result.serial = serial;
    auto recs = axfr_records(serial);
    recs.pop_back();
    recs.insert(recs.end(), extra.begin(), extra.end());
    t.result.records = recs;
    t.bytes = 1000;
    return t;
  }
  static Transfer steps(std::vector<XfrStep> s) {
    Transfer t;
    t.qtype = dns::rrtype::IXFR;
    t.result.kind = Kind::incremental;
    t.result.serial = s.back().serial_to;
    t.result.steps = std::move(s);
    t.bytes = 200;
    return t;
  }
  uint32_t serial = 100;
  bool down = false;
  int queries = 0;
  std::deque<Result<Transfer>> answers;
  std::vector<std::optional<uint32_t>> asked;  // the serial each transfer was asked from
  std::function<void()> during_query;  // run inside the next query_serial (a NOTIFY mid-check)
};

XfrStep step(uint32_t from, uint32_t to, std::vector<dns::Record> add = {}) {
  XfrStep s{from, to, {}};
  s.diff.removed.push_back(soa(from));
  s.diff.added.push_back(soa(to));
  for (auto& r : add) s.diff.added.push_back(r);
  return s;
}

class SecondaryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          ("namae-secondary-" + std::to_string(getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    make();
  }
  void TearDown() override {
    sec.reset();
    std::filesystem::remove_all(dir);
  }
  void make() {
    sec.reset();
    SecondaryConfig cfg{origin(), {Remote{*net::parse_endpoint("192.0.2.53:53"), std::nullopt}},
                        (dir / "zone").string(), (dir / "zone.jnl").string(), 4};
    SecondaryHooks hooks{[this](std::shared_ptr<const zone::ZoneVersion> v) { published.push_back(v); },
                         [this](bool a) { availability.push_back(a); }};
    sec = std::make_unique<Secondary>(cfg, primary, clock, hooks);
    auto loaded = sec->load();
    ASSERT_TRUE(loaded.ok()) << loaded.message();
  }
  // Move the clock to the secondary's next event and run it.
  void step_time() {
    clock.set_ms(std::max(clock.now_ms(), sec->next_event_ms()));
    sec->tick();
  }
  uint32_t serial() { return sec->version() ? sec->version()->serial() : 0; }

  std::filesystem::path dir;
  FakeClock clock;
  ScriptedPrimary primary;
  std::vector<std::shared_ptr<const zone::ZoneVersion>> published;
  std::vector<bool> availability;
  std::unique_ptr<Secondary> sec;
};

TEST_F(SecondaryTest, FirstTransferIsAxfrAndSaved) {
  EXPECT_EQ(sec->version(), nullptr);
  EXPECT_FALSE(sec->status().available);
  EXPECT_EQ(sec->next_event_ms(), clock.now_ms());  // checks at once
  sec->tick();
  EXPECT_EQ(serial(), 100u);
  ASSERT_EQ(primary.asked.size(), 1u);
  EXPECT_FALSE(primary.asked[0]);  // nothing to IXFR from
  ASSERT_EQ(published.size(), 1u);
  EXPECT_EQ(availability, std::vector<bool>{true});
  EXPECT_TRUE(std::filesystem::exists(dir / "zone"));
  auto st = sec->status();
  EXPECT_EQ(st.counters.transfers, 1u);
  EXPECT_EQ(st.counters.bytes, 1000u);
  EXPECT_TRUE(st.last_error.empty());
  EXPECT_EQ(sec->next_event_ms(), clock.now_ms() + 3600 * 1000);  // SOA refresh
}

TEST_F(SecondaryTest, SameSerialOnlyRestartsTheTimers) {
  sec->tick();
  clock.advance_ms(3600 * 1000);
  sec->tick();
  EXPECT_EQ(primary.asked.size(), 1u);
  EXPECT_EQ(primary.queries, 2);
  EXPECT_EQ(sec->next_event_ms(), clock.now_ms() + 3600 * 1000);
}

TEST_F(SecondaryTest, NewerSerialComesByIxfr) {
  sec->tick();
  primary.serial = 102;
  primary.answers.push_back(ScriptedPrimary::steps(
      {step(100, 101, {rr("new", "A", IN, 300, "192.0.2.77")}), step(101, 102)}));
  step_time();
  EXPECT_EQ(serial(), 102u);
  EXPECT_EQ(primary.asked.back(), std::optional<uint32_t>(100));
  EXPECT_TRUE(sec->version()->find(update::test::name("new.example.net")));
  EXPECT_EQ(published.size(), 2u);
}

TEST_F(SecondaryTest, IxfrThatDoesNotApplyFallsBackToAxfr) {
  sec->tick();
  primary.serial = 105;
  primary.answers.push_back(ScriptedPrimary::steps({step(99, 105)}));  // not from our 100
  step_time();
  EXPECT_EQ(serial(), 105u);
  ASSERT_EQ(primary.asked.size(), 3u);
  EXPECT_EQ(primary.asked[1], std::optional<uint32_t>(100));
  EXPECT_FALSE(primary.asked[2]);  // the AXFR
}

TEST_F(SecondaryTest, UpToDateThatIsNotFallsBackToAxfr) {
  sec->tick();
  primary.serial = 101;
  Transfer lone;
  lone.result.kind = Kind::up_to_date;
  lone.result.serial = 101;
  primary.answers.push_back(lone);
  step_time();
  EXPECT_EQ(serial(), 101u);
  EXPECT_FALSE(primary.asked.back());
}

TEST_F(SecondaryTest, SerialGoingBackwardsIsRefused) {
  sec->tick();
  primary.serial = 99;
  step_time();
  EXPECT_EQ(serial(), 100u);
  EXPECT_EQ(primary.asked.size(), 1u);
  auto st = sec->status();
  EXPECT_NE(st.last_error.find("not newer"), std::string::npos) << st.last_error;
  EXPECT_EQ(st.counters.failures, 1u);
  EXPECT_EQ(sec->next_event_ms(), clock.now_ms() + 600 * 1000);  // SOA retry
}

TEST_F(SecondaryTest, SerialWrapIsNewer) {
  primary.serial = 0xfffffff0;
  sec->tick();
  primary.serial = 5;  // RFC 1982: after 0xfffffff0
  step_time();
  EXPECT_EQ(serial(), 5u);
}

TEST_F(SecondaryTest, FailedTransferKeepsTheOldVersion) {
  sec->tick();
  primary.serial = 101;
  primary.answers.push_back(fail("connection closed by the server"));
  step_time();
  EXPECT_EQ(serial(), 100u);
  EXPECT_EQ(published.size(), 1u);
  EXPECT_NE(sec->status().last_error.find("closed"), std::string::npos);
  EXPECT_EQ(sec->next_event_ms(), clock.now_ms() + 600 * 1000);
  step_time();  // the retry gets it
  EXPECT_EQ(serial(), 101u);
}

TEST_F(SecondaryTest, BrokenZoneIsRefused) {
  sec->tick();
  primary.serial = 101;
  // CNAME and other data at one name: ZoneBuilder refuses the version.
  primary.answers.push_back(ScriptedPrimary::full(101, {rr("www", "CNAME", IN, 300, "ns1")}));
  step_time();
  EXPECT_EQ(serial(), 100u);
  EXPECT_NE(sec->status().last_error.find("transferred zone"), std::string::npos)
      << sec->status().last_error;
}

TEST_F(SecondaryTest, ExpiresWithoutContactAndComesBack) {
  sec->tick();
  primary.down = true;
  int64_t expire_at = clock.now_ms() + 86400 * 1000;
  while (clock.now_ms() < expire_at) step_time();
  EXPECT_EQ(availability, (std::vector<bool>{true, false}));
  EXPECT_FALSE(sec->status().available);
  EXPECT_EQ(serial(), 100u);  // kept, not served
  primary.down = false;
  step_time();
  EXPECT_EQ(availability, (std::vector<bool>{true, false, true}));
  EXPECT_TRUE(sec->status().available);
}

TEST_F(SecondaryTest, NoPrimaryBeforeTheFirstTransferRetriesSoon) {
  primary.down = true;
  sec->tick();
  EXPECT_EQ(sec->version(), nullptr);
  EXPECT_TRUE(availability.empty());
  EXPECT_EQ(sec->next_event_ms(), clock.now_ms() + 10'000);
}

TEST_F(SecondaryTest, NotifyChecksAtOnce) {
  sec->tick();
  clock.advance_ms(1000);
  EXPECT_GT(sec->next_event_ms(), clock.now_ms());
  sec->refresh_soon();
  EXPECT_EQ(sec->next_event_ms(), clock.now_ms());
}

// A NOTIFY while a check runs (here: the primary announces serial 101 after
// answering 100 to our SOA query) is not swallowed by the refresh timer the
// check sets: the next check is due at once and fetches 101.
TEST_F(SecondaryTest, NotifyDuringACheckRunsAnotherAtOnce) {
  sec->tick();
  ASSERT_EQ(serial(), 100u);
  clock.advance_ms(1000);
  sec->refresh_soon();
  primary.during_query = [this] { sec->refresh_soon(); };  // the serial is still 100 here
  sec->tick();
  EXPECT_EQ(serial(), 100u);
  EXPECT_EQ(sec->next_event_ms(), clock.now_ms());  // not the hour of SOA refresh
  primary.serial = 101;
  primary.answers.push_back(ScriptedPrimary::steps({step(100, 101)}));
  sec->tick();
  EXPECT_EQ(serial(), 101u);
  EXPECT_EQ(sec->next_event_ms(), clock.now_ms() + 3600 * 1000);  // nothing more asked
}

// The same for a check that fails: the NOTIFY that came during it gets its
// own check at once instead of waiting for the retry timer.
TEST_F(SecondaryTest, NotifyDuringAFailedCheckRetriesAtOnce) {
  sec->tick();
  clock.advance_ms(1000);
  primary.down = true;
  primary.during_query = [this] { sec->refresh_soon(); };
  sec->refresh_soon();
  sec->tick();
  EXPECT_EQ(sec->status().counters.failures, 1u);
  EXPECT_EQ(sec->next_event_ms(), clock.now_ms());
  sec->tick();  // fails again, nothing asked during it: the SOA retry (600 s)
  EXPECT_EQ(sec->next_event_ms(), clock.now_ms() + 600 * 1000);
}

// A retransfer asked for during an ordinary check is still a whole transfer.
TEST_F(SecondaryTest, RetransferDuringACheckIsKept) {
  sec->tick();
  clock.advance_ms(1000);
  sec->refresh_soon();
  primary.during_query = [this] { sec->retransfer_soon(); };
  sec->tick();
  EXPECT_EQ(primary.asked.size(), 1u);  // same serial: no transfer in that check
  sec->tick();
  ASSERT_EQ(primary.asked.size(), 2u);
  EXPECT_FALSE(primary.asked[1]);  // AXFR: asked from no serial
  EXPECT_EQ(sec->next_event_ms(), clock.now_ms() + 3600 * 1000);
}

// The journal IXFR out of this secondary serves: the received steps, by serial.
TEST_F(SecondaryTest, JournalHoldsTheReceivedSteps) {
  sec->tick();
  ASSERT_NE(sec->journal(), nullptr);
  primary.serial = 102;
  primary.answers.push_back(ScriptedPrimary::steps({step(100, 101), step(101, 102)}));
  sec->refresh_soon();
  sec->tick();
  ASSERT_EQ(serial(), 102u);
  auto entries = sec->journal()->entries_since(100);
  ASSERT_TRUE(entries.ok()) << entries.message();
  ASSERT_EQ(entries->size(), 2u);
  EXPECT_EQ((*entries)[0].serial_from, 100u);
  EXPECT_EQ((*entries)[1].serial_to, 102u);
  // A full transfer empties it: older serials are then answered in full.
  sec->retransfer_soon();
  sec->tick();
  auto after = sec->journal()->entries_since(100);
  EXPECT_FALSE(after.ok() && !after->empty());
}

TEST_F(SecondaryTest, RetransferTakesTheWholeZone) {
  sec->tick();
  sec->retransfer_soon();
  sec->tick();
  ASSERT_EQ(primary.asked.size(), 2u);
  EXPECT_FALSE(primary.asked[1]);
  EXPECT_EQ(sec->status().counters.transfers, 2u);
  clock.advance_ms(3600 * 1000);
  sec->tick();  // the next check is an ordinary one again
  EXPECT_EQ(primary.asked.size(), 2u);
}

TEST_F(SecondaryTest, RestartServesFileAndJournalThenContinuesWithIxfr) {
  sec->tick();
  primary.serial = 102;
  primary.answers.push_back(ScriptedPrimary::steps(
      {step(100, 101, {rr("new", "A", IN, 300, "192.0.2.77")}), step(101, 102)}));
  step_time();
  ASSERT_EQ(serial(), 102u);
  published.clear();
  make();  // a new process: file (serial 100) plus journal (two steps)
  EXPECT_EQ(serial(), 102u);
  ASSERT_EQ(published.size(), 1u);
  EXPECT_TRUE(sec->version()->find(update::test::name("new.example.net")));
  primary.serial = 103;
  primary.answers.push_back(ScriptedPrimary::steps({step(102, 103)}));
  sec->tick();
  EXPECT_EQ(serial(), 103u);
  EXPECT_EQ(primary.asked.back(), std::optional<uint32_t>(102));
}

TEST_F(SecondaryTest, LongJournalRewritesTheFile) {
  sec->tick();
  for (uint32_t s = 101; s <= 106; ++s) {
    primary.serial = s;
    primary.answers.push_back(ScriptedPrimary::steps({step(s - 1, s)}));
    sec->refresh_soon();
    sec->tick();
  }
  ASSERT_EQ(serial(), 106u);
  make();
  EXPECT_EQ(serial(), 106u);
}

}  // namespace
}  // namespace namae::xfr::test
