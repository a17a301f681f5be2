// Responder state machines (RFC 6762 6-10) driven with fake time.
#include "mdns/responder.h"

#include <gtest/gtest.h>

#include "fake.h"

namespace namae::mdns::test {
namespace {

RecordMaker host_maker(std::string host, std::string addr) {
  return [host, addr](int attempt) {
    return *host_records(N((host_for_attempt(host, attempt) + ".local.").c_str()), {addr});
  };
}

struct ResponderTest : ::testing::Test {
  FakeTransport t;
  Rng rng{42};
  Responder r{t, rng};
  Millis now = 0;

  // Advance fake time to `until`, running every timer on the way.
  void run(Millis until) {
    while (true) {
      Millis next = r.next_timer();
      if (next > until) break;
      now = std::max(now, next);
      r.tick(now);
    }
    now = until;
  }
  GroupId established_host(const char* host = "laptop", const char* addr = "192.0.2.10") {
    GroupId id = r.add(host_maker(host, addr), now);
    run(now + 5000);
    EXPECT_EQ(r.state(id), GroupState::established);
    t.sent.clear();
    return id;
  }
  Message query(const char* name, uint16_t type, bool qu = false) {
    PacketWriter w;
    w.question(Question{N(name), type, dns::rrclass::IN, qu});
    return wire(w);
  }
  Source peer = Source::from("192.0.2.20", kPort);
};

TEST_F(ResponderTest, ProbesThreeTimesThenAnnouncesTwice) {
  GroupId id = r.add(host_maker("laptop", "192.0.2.10"), now);
  EXPECT_EQ(r.state(id), GroupState::probing);
  run(2000);
  std::vector<Millis> times;
  ASSERT_GE(t.sent.size(), 4u);
  // Three probes: questions type ANY, QU on the first only, authority holds our records.
  for (int i = 0; i < 3; ++i) {
    const auto& m = t.sent[i].msg;
    ASSERT_TRUE(m.is_query());
    ASSERT_EQ(m.questions.size(), 2u);  // laptop.local and the reverse name
    EXPECT_EQ(m.questions[0].type, dns::rrtype::ANY);
    EXPECT_EQ(m.questions[0].unicast_response, i == 0);
    EXPECT_EQ(m.authority.size(), 2u);
  }
  // Then announcements: responses with the cache-flush bit.
  const auto& ann = t.sent[3].msg;
  EXPECT_FALSE(ann.is_query());
  ASSERT_EQ(ann.answers.size(), 2u);
  EXPECT_TRUE(ann.answers[0].unique);
  run(5000);
  EXPECT_EQ(t.sent.size(), 5u);  // exactly two announcements
  EXPECT_EQ(r.state(id), GroupState::established);
}

TEST_F(ResponderTest, ProbeTimingIs250msApart) {
  r.add(host_maker("laptop", "192.0.2.10"), now);
  std::vector<Millis> at;
  while (t.sent.size() < 5) {
    Millis next = r.next_timer();
    ASSERT_NE(next, Responder::kNever);
    now = next;
    size_t before = t.sent.size();
    r.tick(now);
    if (t.sent.size() > before) at.push_back(now);
  }
  EXPECT_LE(at[0], 250);
  EXPECT_EQ(at[1] - at[0], 250);
  EXPECT_EQ(at[2] - at[1], 250);
  EXPECT_EQ(at[3] - at[2], 250);   // announce 250 ms after the last probe
  EXPECT_EQ(at[4] - at[3], 1000);  // announcements 1 s apart
}

TEST_F(ResponderTest, ConflictWhileProbingRenames) {
  std::vector<int> attempts;
  r.on_state = [&](GroupId, GroupState, int attempt, const std::vector<Record>&) { attempts.push_back(attempt); };
  GroupId id = r.add(host_maker("laptop", "192.0.2.10"), now);
  run(300);  // first probe out
  PacketWriter w;
  w.header.qr = true;
  w.record(dns::Section::answer, a_record("laptop.local.", "192.0.2.99"));
  r.receive(wire(w), peer, now);
  auto recs = r.records(id);
  EXPECT_EQ(recs.front().owner, N("laptop-2.local."));
  run(now + 5000);
  EXPECT_EQ(r.state(id), GroupState::established);
  ASSERT_FALSE(attempts.empty());
  EXPECT_EQ(attempts.back(), 2);
}

TEST_F(ResponderTest, ServiceRenameUsesParenthesisedNumber) {
  ServiceSpec svc{"My Printer", "_ipp._tcp", 631, {"rp=queue1"}, {}};
  GroupId id = r.add([svc](int a) { return *service_records(svc, N("laptop.local."), a); }, now);
  run(300);
  auto inst = *instance_name("My Printer", N("_ipp._tcp.local."));
  PacketWriter w;
  w.header.qr = true;
  dns::RdataBytes txt = {3, 'a', '=', 'b'};
  w.record(dns::Section::answer, Record{{inst, dns::rrtype::TXT, dns::rrclass::IN, 4500, txt}, true});
  r.receive(wire(w), peer, now);
  run(now + 5000);
  bool found = false;
  for (const auto& rec : r.records(id))
    if (rec.type == dns::rrtype::SRV) {
      EXPECT_EQ(first_label(rec.owner), "My Printer (2)");
      found = true;
    }
  EXPECT_TRUE(found);
}

TEST_F(ResponderTest, SimultaneousProbeTieBreak) {
  // Their authority record is lexicographically later (higher address): we lose and wait.
  GroupId id = r.add(host_maker("laptop", "192.0.2.10"), now);
  run(300);
  size_t before = t.sent.size();
  PacketWriter w;
  w.question(Question{N("laptop.local."), dns::rrtype::ANY, dns::rrclass::IN, true});
  w.record(dns::Section::authority, a_record("laptop.local.", "192.0.2.200"));
  r.receive(wire(w), peer, now);
  EXPECT_EQ(r.state(id), GroupState::probing);
  EXPECT_GE(r.next_timer(), now + 1000);  // backed off one second
  run(now + 999);
  EXPECT_EQ(t.sent.size(), before);

  // Their record is earlier: we win and carry on (no delay).
  Responder r2{t, rng};
  GroupId id2 = r2.add(host_maker("laptop", "192.0.2.10"), 0);
  r2.tick(r2.next_timer());
  Millis next_before = r2.next_timer();
  PacketWriter w2;
  w2.question(Question{N("laptop.local."), dns::rrtype::ANY, dns::rrclass::IN, true});
  w2.record(dns::Section::authority, a_record("laptop.local.", "192.0.2.1"));
  r2.receive(wire(w2), peer, 10);
  EXPECT_EQ(r2.next_timer(), next_before);
  EXPECT_EQ(r2.state(id2), GroupState::probing);
}

TEST_F(ResponderTest, UniqueAnsweredAtOnceSharedAfter20To120ms) {
  established_host();
  ServiceSpec svc{"Web", "_http._tcp", 80, {}, {}};
  r.add([svc](int a) { return *service_records(svc, N("laptop.local."), a); }, now);
  run(now + 5000);
  t.sent.clear();
  now += 2000;
  r.receive(query("laptop.local.", dns::rrtype::A), peer, now);
  r.tick(now);
  ASSERT_EQ(t.sent.size(), 1u);
  EXPECT_TRUE(t.sent[0].to.multicast);
  EXPECT_EQ(t.sent[0].msg.answers.at(0).type, dns::rrtype::A);

  t.sent.clear();
  r.receive(query("_http._tcp.local.", dns::rrtype::PTR), peer, now);
  r.tick(now);
  EXPECT_TRUE(t.sent.empty());
  Millis due = r.next_timer();
  EXPECT_GE(due - now, 20);
  EXPECT_LE(due - now, 120);
  run(now + 200);
  ASSERT_EQ(t.sent.size(), 1u);
  const auto& m = t.sent[0].msg;
  EXPECT_EQ(m.answers.at(0).type, dns::rrtype::PTR);
  // RFC 6763 12.1: SRV, TXT and the host's address come along as additional records.
  bool srv = false, txt = false, a = false;
  for (const auto& x : m.additional) {
    srv |= x.type == dns::rrtype::SRV;
    txt |= x.type == dns::rrtype::TXT;
    a |= x.type == dns::rrtype::A;
  }
  EXPECT_TRUE(srv && txt && a);
}

TEST_F(ResponderTest, QuQuestionGetsUnicastReply) {
  established_host();
  now += 200;  // announced moments ago: well within a quarter of the TTL
  r.receive(query("laptop.local.", dns::rrtype::A, true), peer, now);
  ASSERT_EQ(t.sent.size(), 1u);
  EXPECT_FALSE(t.sent[0].to.multicast);
  EXPECT_EQ(t.sent[0].to.unicast.host(), "192.0.2.20");
  // Not multicast for a quarter of the TTL (30 s): QU gets multicast instead.
  t.sent.clear();
  now += 31000;
  r.receive(query("laptop.local.", dns::rrtype::A, true), peer, now);
  r.tick(now);
  ASSERT_EQ(t.sent.size(), 1u);
  EXPECT_TRUE(t.sent[0].to.multicast);
}

TEST_F(ResponderTest, LegacyUnicastEchoesIdAndQuestionCapsTtl) {
  established_host();
  PacketWriter w;
  w.header.id = 0x1234;
  w.question(Question{N("laptop.local."), dns::rrtype::A, dns::rrclass::IN, false});
  r.receive(wire(w), Source::from("192.0.2.20", 40000), now + 2000);
  ASSERT_EQ(t.sent.size(), 1u);
  const auto& s = t.sent[0];
  EXPECT_FALSE(s.to.multicast);
  EXPECT_EQ(s.to.unicast.port(), 40000);
  EXPECT_EQ(s.msg.header.id, 0x1234);
  ASSERT_EQ(s.msg.questions.size(), 1u);
  EXPECT_EQ(s.msg.questions[0].name, N("laptop.local."));
  ASSERT_EQ(s.msg.answers.size(), 1u);
  EXPECT_LE(s.msg.answers[0].ttl, 10u);
  EXPECT_FALSE(s.msg.answers[0].unique);  // no cache-flush bit to a legacy resolver
}

TEST_F(ResponderTest, KnownAnswerSuppressesOnlyMatchingRecords) {
  established_host();
  now += 2000;
  // A true known answer with more than half the TTL left: nothing is sent.
  PacketWriter w;
  w.question(Question{N("laptop.local."), dns::rrtype::A, dns::rrclass::IN, false});
  w.known_answer(a_record("laptop.local.", "192.0.2.10"), 100);
  r.receive(wire(w), peer, now);
  run(now + 500);
  EXPECT_TRUE(t.sent.empty());
  // A lying list (other address) suppresses nothing.
  now += 2000;
  PacketWriter lie;
  lie.question(Question{N("laptop.local."), dns::rrtype::A, dns::rrclass::IN, false});
  lie.known_answer(a_record("laptop.local.", "192.0.2.77"), 100);
  r.receive(wire(lie), Source::from("192.0.2.21", kPort), now);
  run(now + 500);
  ASSERT_EQ(t.sent.size(), 1u);
  EXPECT_EQ(address_text(t.sent[0].msg.answers.at(0)), "192.0.2.10");
  // A known answer with less than half the TTL left does not suppress either.
  t.sent.clear();
  now += 2000;
  PacketWriter old;
  old.question(Question{N("laptop.local."), dns::rrtype::A, dns::rrclass::IN, false});
  old.known_answer(a_record("laptop.local.", "192.0.2.10"), 50);
  r.receive(wire(old), Source::from("192.0.2.22", kPort), now);
  run(now + 500);
  EXPECT_EQ(t.sent.size(), 1u);
}

TEST_F(ResponderTest, TruncatedQueryWaitsForTheRestOfItsKnownAnswers) {
  ServiceSpec svc{"Web", "_http._tcp", 80, {}, {}};
  r.add([svc](int a) { return *service_records(svc, N("laptop.local."), a); }, now);
  run(5000);
  t.sent.clear();
  now += 2000;
  // RFC 6762 7.2: TC set, so the answer waits 400-500 ms for more known answers...
  PacketWriter w;
  w.header.tc = true;
  w.question(Question{N("_http._tcp.local."), dns::rrtype::PTR, dns::rrclass::IN, false});
  r.receive(wire(w), peer, now);
  Millis due = r.next_timer();
  EXPECT_GE(due - now, 400);
  EXPECT_LE(due - now, 500);
  // ...and the continuation packet (no questions) carries our PTR: nothing is sent.
  PacketWriter more;
  more.known_answer(service_records(svc, N("laptop.local."), 1)->front(), 4500);
  r.receive(wire(more), peer, now + 50);
  run(now + 1000);
  EXPECT_TRUE(t.sent.empty());
}

TEST_F(ResponderTest, GoodbyeOnRemove) {
  GroupId id = established_host();
  r.remove(id, now);
  ASSERT_EQ(t.sent.size(), 1u);
  for (const auto& a : t.sent[0].msg.answers) EXPECT_EQ(a.ttl, 0u);
  EXPECT_EQ(t.sent[0].msg.answers.size(), 2u);
}

TEST_F(ResponderTest, ReplaceSaysGoodbyeOnlyToWhatWentAway) {
  GroupId id = r.add([](int a) {
    return *host_records(N((host_for_attempt("laptop", a) + ".local.").c_str()), {"192.0.2.10", "192.0.2.11"});
  }, now);
  run(now + 5000);
  t.sent.clear();
  r.replace(id, [](int a) {
    return *host_records(N((host_for_attempt("laptop", a) + ".local.").c_str()), {"192.0.2.10"});
  }, now);
  ASSERT_EQ(t.sent.size(), 1u);
  std::vector<std::string> gone;
  for (const auto& a : t.sent[0].msg.answers) {
    EXPECT_EQ(a.ttl, 0u);
    if (a.type == dns::rrtype::A) gone.push_back(address_text(a));
  }
  EXPECT_EQ(gone, std::vector<std::string>{"192.0.2.11"});
  EXPECT_EQ(t.sent[0].msg.answers.size(), 2u);  // the A record and its reverse PTR
  EXPECT_EQ(r.state(id), GroupState::probing);
  run(now + 5000);
  EXPECT_EQ(r.state(id), GroupState::established);
}

TEST_F(ResponderTest, OffLinkAndFloodsAreDropped) {
  established_host();
  now += 2000;
  r.receive(query("laptop.local.", dns::rrtype::A), Source::from("198.51.100.1", kPort, false), now);
  r.tick(now);
  EXPECT_TRUE(t.sent.empty());
  EXPECT_EQ(r.stats().off_link, 1u);
  // A flood from one source: most queries are dropped by the rate limit.
  Source flooder = Source::from("192.0.2.66", 40000);
  for (int i = 0; i < 1000; ++i) r.receive(query("laptop.local.", dns::rrtype::A), flooder, now);
  EXPECT_LE(t.sent.size(), 31u);
  EXPECT_GE(r.stats().rate_limited, 969u);
  // Another host is still served.
  t.sent.clear();
  r.receive(query("laptop.local.", dns::rrtype::A), Source::from("192.0.2.30", 40001), now);
  EXPECT_EQ(t.sent.size(), 1u);
}

TEST_F(ResponderTest, DefendsEstablishedNameAgainstProbe) {
  established_host();
  now += 2000;
  PacketWriter w;
  w.question(Question{N("laptop.local."), dns::rrtype::ANY, dns::rrclass::IN, false});
  w.record(dns::Section::authority, a_record("laptop.local.", "192.0.2.99"));
  r.receive(wire(w), peer, now);
  r.tick(now);
  ASSERT_EQ(t.sent.size(), 1u);
  EXPECT_FALSE(t.sent[0].msg.is_query());
  EXPECT_EQ(address_text(t.sent[0].msg.answers.at(0)), "192.0.2.10");
}

TEST_F(ResponderTest, NsecSaysWhichTypesExist) {
  established_host();
  now += 2000;
  // Only an A record: a question for AAAA gets an NSEC listing A (RFC 6762 6.1).
  r.receive(query("laptop.local.", dns::rrtype::AAAA), peer, now);
  r.tick(now);
  ASSERT_EQ(t.sent.size(), 1u);
  const auto& ans = t.sent[0].msg.answers;
  ASSERT_EQ(ans.size(), 1u);
  EXPECT_EQ(ans[0].type, dns::rrtype::NSEC);
  EXPECT_TRUE(ans[0].unique);
  const std::vector<uint8_t> bitmap(ans[0].rdata.end() - 3, ans[0].rdata.end());
  EXPECT_EQ(bitmap, (std::vector<uint8_t>{0, 1, 0x40}));  // window 0, one octet, type 1 (A)
  // The A question gets the A record and no NSEC; a name we do not own gets nothing.
  t.sent.clear();
  now += 2000;
  r.receive(query("laptop.local.", dns::rrtype::A), peer, now);
  r.receive(query("other.local.", dns::rrtype::AAAA), peer, now);
  r.tick(now);
  ASSERT_EQ(t.sent.size(), 1u);
  ASSERT_EQ(t.sent[0].msg.answers.size(), 1u);
  EXPECT_EQ(t.sent[0].msg.answers[0].type, dns::rrtype::A);
  // No AAAA: the A answer carries the NSEC in additional (RFC 6762 6.1).
  const auto& add = t.sent[0].msg.additional;
  EXPECT_TRUE(std::any_of(add.begin(), add.end(), [](const Record& x) { return x.type == dns::rrtype::NSEC; }));
}

TEST_F(ResponderTest, DuplicateAnswerSuppression) {
  ServiceSpec svc{"Web", "_http._tcp", 80, {}, {}};
  r.add([svc](int a) { return *service_records(svc, N("laptop.local."), a); }, now);
  run(5000);
  t.sent.clear();
  now += 2000;
  r.receive(query("_http._tcp.local.", dns::rrtype::PTR), peer, now);
  // Another responder answers with the same PTR before our delay runs out.
  PacketWriter w;
  w.header.qr = true;
  auto recs = *service_records(svc, N("laptop.local."), 1);
  w.record(dns::Section::answer, recs[0]);
  r.receive(wire(w), Source::from("192.0.2.30", kPort), now + 5);
  run(now + 500);
  EXPECT_TRUE(t.sent.empty());
}

}  // namespace
}  // namespace namae::mdns::test
