// Querier and cache (RFC 6762 5, 7, 10) driven with fake time.
#include "mdns/querier.h"

#include <gtest/gtest.h>

#include "fake.h"

namespace namae::mdns::test {
namespace {

struct QuerierTest : ::testing::Test {
  FakeTransport t;
  Rng rng{7};
  Querier q{t, rng};
  Millis now = 0;
  Source responder = Source::from("192.0.2.10", kPort);
  std::vector<std::string> events;

  void SetUp() override {
    q.listener.added = [this](const Record& r) { events.push_back("+" + address_text(r)); };
    q.listener.removed = [this](const Record& r) { events.push_back("-" + address_text(r)); };
  }
  void run(Millis until) {
    while (true) {
      Millis next = q.next_timer();
      if (next > until) break;
      now = std::max(now, next);
      q.tick(now);
    }
    now = until;
  }
  void answer(const Record& r, bool flush, uint32_t ttl) {
    PacketWriter w;
    w.header.qr = true;
    Record x = r;
    x.unique = flush;
    w.record(dns::Section::answer, x, ttl);
    q.receive(wire(w), responder, now);
  }
};

TEST_F(QuerierTest, BackoffDoublesFromOneSecondAndFirstIsQu) {
  q.start(Question{N("laptop.local."), dns::rrtype::A}, now);
  std::vector<Millis> at;
  while (at.size() < 8) {
    now = q.next_timer();
    size_t before = t.sent.size();
    q.tick(now);
    if (t.sent.size() > before) at.push_back(now);
  }
  EXPECT_GE(at[0], 20);
  EXPECT_LE(at[0], 120);
  EXPECT_TRUE(t.sent[0].msg.questions[0].unicast_response);
  EXPECT_FALSE(t.sent[1].msg.questions[0].unicast_response);
  for (size_t i = 1; i < at.size(); ++i) EXPECT_EQ(at[i] - at[i - 1], 1000 << (i - 1));
}

TEST_F(QuerierTest, BackoffCapsAtSixtyMinutes) {
  q.start(Question{N("laptop.local."), dns::rrtype::A}, now);
  Millis last = 0, gap = 0;
  for (int i = 0; i < 20; ++i) {
    now = q.next_timer();
    q.tick(now);
    gap = now - last;
    last = now;
  }
  EXPECT_EQ(gap, 60 * 60 * 1000);
}

TEST_F(QuerierTest, KnownAnswersIncludedAndSplitWithTc) {
  q.start(Question{N("_http._tcp.local."), dns::rrtype::PTR}, now);
  run(200);
  // 100 services answer: far more known answers than one packet holds.
  for (int i = 0; i < 100; ++i) {
    auto inst = *instance_name("service number " + std::to_string(i) + " with a long name", N("_http._tcp.local."));
    auto w = inst.wire();
    answer(Record{{N("_http._tcp.local."), dns::rrtype::PTR, dns::rrclass::IN, 4500, {w.begin(), w.end()}}, false},
           false, 4500);
  }
  t.sent.clear();
  run(1500);
  ASSERT_GE(t.sent.size(), 2u);
  EXPECT_TRUE(t.sent[0].msg.header.tc);
  EXPECT_EQ(t.sent[0].msg.questions.size(), 1u);
  EXPECT_TRUE(t.sent[1].msg.questions.empty());
  size_t known = 0;
  for (const auto& s : t.sent) known += s.msg.answers.size();
  EXPECT_EQ(known, 100u);
  EXPECT_FALSE(t.sent.back().msg.header.tc);
  for (const auto& r : t.raw) EXPECT_LE(r.size(), 1440u);
}

TEST_F(QuerierTest, CacheFlushRemovesRecordsOlderThanOneSecond) {
  answer(a_record("laptop.local.", "192.0.2.1"), true, 120);
  now += 500;
  answer(a_record("laptop.local.", "192.0.2.2"), true, 120);  // same burst: both kept
  now += 2000;
  answer(a_record("laptop.local.", "192.0.2.3"), true, 120);  // later flush: older two go in 1 s
  EXPECT_EQ(q.lookup(Question{N("laptop.local."), dns::rrtype::A}, now).size(), 3u);
  run(now + 1001);
  auto left = q.lookup(Question{N("laptop.local."), dns::rrtype::A}, now);
  ASSERT_EQ(left.size(), 1u);
  EXPECT_EQ(address_text(left[0]), "192.0.2.3");
  EXPECT_EQ(events, (std::vector<std::string>{"+192.0.2.1", "+192.0.2.2", "+192.0.2.3", "-192.0.2.1", "-192.0.2.2"}));
}

TEST_F(QuerierTest, SharedRecordsWithoutFlushAccumulate) {
  answer(a_record("laptop.local.", "192.0.2.1"), false, 120);
  now += 3000;
  answer(a_record("laptop.local.", "192.0.2.2"), false, 120);
  run(now + 2000);
  EXPECT_EQ(q.lookup(Question{N("laptop.local."), dns::rrtype::A}, now).size(), 2u);
}

TEST_F(QuerierTest, GoodbyeRemovesAfterOneSecond) {
  answer(a_record("laptop.local.", "192.0.2.1"), true, 120);
  now += 5000;
  answer(a_record("laptop.local.", "192.0.2.1"), true, 0);
  EXPECT_TRUE(q.lookup(Question{N("laptop.local."), dns::rrtype::A}, now).empty());  // not offered any more
  run(now + 999);
  EXPECT_EQ(q.cache_size(), 1u);
  run(now + 2);
  EXPECT_EQ(q.cache_size(), 0u);
  EXPECT_EQ(events.back(), "-192.0.2.1");
}

TEST_F(QuerierTest, TtlExpiry) {
  answer(a_record("laptop.local.", "192.0.2.1"), true, 10);
  run(9999);
  EXPECT_EQ(q.cache_size(), 1u);
  run(10001);
  EXPECT_EQ(q.cache_size(), 0u);
}

TEST_F(QuerierTest, RefreshAt80To95PercentOfTtl) {
  q.start(Question{N("laptop.local."), dns::rrtype::A}, now);
  run(200);
  answer(a_record("laptop.local.", "192.0.2.1"), true, 100);  // at t=200
  // Silence the continuous question's own schedule: look only at refreshes.
  std::vector<Millis> at;
  while (now < 100200) {
    Millis next = q.next_timer();
    if (next > 100200) break;
    now = next;
    size_t before = t.sent.size();
    q.tick(now);
    if (t.sent.size() > before && now > 60000) at.push_back(now);
  }
  ASSERT_GE(at.size(), 4u);
  const Millis base = 200;
  auto near = [&](Millis t0, int pct) { return t0 - base >= pct * 1000 && t0 - base <= (pct + 2) * 1000; };
  int hits = 0;
  for (int pct : {80, 85, 90, 95})
    for (Millis x : at)
      if (near(x, pct)) {
        ++hits;
        break;
      }
  EXPECT_EQ(hits, 4);
}

TEST_F(QuerierTest, PoofFlushesAfterTwoUnansweredQueries) {
  answer(a_record("laptop.local.", "192.0.2.1"), true, 120);
  PacketWriter w;
  w.question(Question{N("laptop.local."), dns::rrtype::A, dns::rrclass::IN, false});
  Message query = wire(w);
  Source other = Source::from("192.0.2.50", kPort);
  now += 1000;
  q.receive(query, other, now);
  now += 2000;
  q.receive(query, other, now);
  run(now + 7000);
  EXPECT_EQ(q.cache_size(), 1u);  // 9 s since the first query
  run(now + 1100);
  EXPECT_EQ(q.cache_size(), 0u);
}

TEST_F(QuerierTest, PoofResetByAnswer) {
  answer(a_record("laptop.local.", "192.0.2.1"), true, 120);
  PacketWriter w;
  w.question(Question{N("laptop.local."), dns::rrtype::A, dns::rrclass::IN, false});
  Message query = wire(w);
  Source other = Source::from("192.0.2.50", kPort);
  q.receive(query, other, now);
  q.receive(query, other, now + 10);
  now += 100;
  answer(a_record("laptop.local.", "192.0.2.1"), true, 120);
  run(now + 20000);
  EXPECT_EQ(q.cache_size(), 1u);
}

TEST_F(QuerierTest, DuplicateQuestionSuppression) {
  q.start(Question{N("laptop.local."), dns::rrtype::A}, now);
  run(200);  // first query sent; the next is due 1 s later
  size_t before = t.sent.size();
  Millis due = q.next_timer();
  PacketWriter w;
  w.question(Question{N("laptop.local."), dns::rrtype::A, dns::rrclass::IN, false});
  now = due - 100;
  q.receive(wire(w), Source::from("192.0.2.50", kPort), now);
  run(due + 50);
  EXPECT_EQ(t.sent.size(), before);  // treated as sent
  // A QU question from another host does not count.
  Millis due2 = q.next_timer();
  PacketWriter qu;
  qu.question(Question{N("laptop.local."), dns::rrtype::A, dns::rrclass::IN, true});
  now = due2 - 100;
  q.receive(wire(qu), Source::from("192.0.2.50", kPort), now);
  run(due2);
  EXPECT_EQ(t.sent.size(), before + 1);
}

TEST_F(QuerierTest, CacheIsBounded) {
  for (int i = 0; i < 5000; ++i) {
    std::string name = "flood" + std::to_string(i) + ".local.";
    answer(a_record(name.c_str(), "192.0.2.1"), true, static_cast<uint32_t>(100 + i));
  }
  EXPECT_EQ(q.cache_size(), Querier::kMaxCache);
  // The soonest to expire went first: the newest (longest TTL) is still there.
  EXPECT_EQ(q.lookup(Question{N("flood4999.local."), dns::rrtype::A}, now).size(), 1u);
  EXPECT_TRUE(q.lookup(Question{N("flood0.local."), dns::rrtype::A}, now).empty());
}

TEST_F(QuerierTest, OffLinkResponsesIgnored) {
  PacketWriter w;
  w.header.qr = true;
  w.record(dns::Section::answer, a_record("laptop.local.", "192.0.2.1"));
  q.receive(wire(w), Source::from("198.51.100.1", kPort, false), now);
  q.receive(wire(w), Source::from("192.0.2.10", 40000), now);  // not from port 5353
  EXPECT_EQ(q.cache_size(), 0u);
}

// RFC 6762 10.4: a reconfirmed record is asked for three times without it
// in the known answers and flushed when no responder sends it within 10 s.
TEST_F(QuerierTest, ReconfirmFlushesARecordNobodyAnswersFor) {
  Record laptop = a_record("laptop.local.", "192.0.2.1");
  answer(laptop, true, 120);
  answer(a_record("desk.local.", "192.0.2.2"), true, 120);
  now += 1000;
  EXPECT_FALSE(q.reconfirm(a_record("gone.local.", "192.0.2.9"), now));
  ASSERT_TRUE(q.reconfirm(laptop, now));
  std::vector<Millis> asked;
  while (q.cache_size() == 2 && now < 20000) {
    now = q.next_timer();
    size_t before = t.sent.size();
    q.tick(now);
    for (size_t i = before; i < t.sent.size(); ++i) {
      const Message& m = t.sent[i].msg;
      ASSERT_EQ(m.questions.at(0).name.to_text(), "laptop.local.");
      EXPECT_TRUE(m.answers.empty()) << "the disputed record is no known answer";
      asked.push_back(now);
    }
  }
  EXPECT_EQ(asked, (std::vector<Millis>{1000, 4000, 7000}));
  EXPECT_EQ(now, 11000);
  ASSERT_EQ(q.cache_size(), 1u);
  EXPECT_EQ(events.back(), "-192.0.2.1");
  EXPECT_TRUE(q.lookup(Question{N("desk.local."), dns::rrtype::A}, now).size() == 1);
}

TEST_F(QuerierTest, ReconfirmEndsWhenTheRecordIsSentAgain) {
  Record laptop = a_record("laptop.local.", "192.0.2.1");
  answer(laptop, true, 120);
  ASSERT_TRUE(q.reconfirm(laptop, now));
  run(now + 2000);
  answer(laptop, true, 120);
  run(now + 30000);
  EXPECT_EQ(q.cache_size(), 1u);
  EXPECT_EQ(t.sent.size(), 1u);  // asked once, answered: no more reconfirm queries
}

}  // namespace
}  // namespace namae::mdns::test
