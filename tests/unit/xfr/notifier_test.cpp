#include "xfr/notifier.h"

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "xfr/notify_service.h"

#include "dns/message.h"
#include "dns/rrtype.h"
#include "dns/tsig.h"
#include "zone/load.h"

namespace namae::xfr {
namespace {

struct Sent {
  net::Endpoint to;
  std::vector<uint8_t> wire;
};

class Recorder : public NotifySink {
 public:
  void send(const net::Endpoint& to, std::span<const uint8_t> wire) override {
    sent.push_back({to, {wire.begin(), wire.end()}});
  }
  std::vector<Sent> sent;
};

dns::Name name(const char* text) { return *dns::Name::from_text(text); }

std::shared_ptr<const zone::ZoneVersion> version(uint32_t serial) {
  std::vector<zonefile::Diagnostic> diags;
  auto v = zone::load_zone_text(
      "@ 3600 IN SOA ns.example. host.example. " + std::to_string(serial) + " 3600 600 86400 300\n"
      "@ 3600 IN NS ns.example.\n"
      "ns 3600 IN A 192.0.2.1\n",
      "t", name("example."), diags);
  EXPECT_TRUE(v) << v.message();
  return *v;
}

dns::Record soa(uint32_t serial) { return soa_record(*version(serial)); }

net::Endpoint ep(const char* text) { return *net::parse_endpoint(text); }

dns::TsigKey key() { return *dns::TsigKey::parse("hmac-sha256:notify-key:c2VjcmV0LWtleS1vbmU="); }

uint32_t serial_of(const std::vector<uint8_t>& wire) {
  dns::MessageView m;
  EXPECT_EQ(m.parse(wire), dns::WireError::ok);
  dns::RecordView rr;
  auto c = m.records(dns::Section::answer);
  EXPECT_TRUE(c.next(rr));
  auto rd = m.raw_rdata(rr);
  size_t used = 0, more = 0;
  // Names in the answer may be compressed: walk them as pointers or labels.
  auto skip = [&](size_t at) {
    while (at < rd.size()) {
      if ((rd[at] & 0xc0) == 0xc0) return at + 2;
      if (rd[at] == 0) return at + 1;
      at += rd[at] + 1;
    }
    return at;
  };
  used = skip(0);
  more = skip(used);
  return uint32_t{rd[more]} << 24 | uint32_t{rd[more + 1]} << 16 | uint32_t{rd[more + 2]} << 8 | rd[more + 3];
}

// The answer a secondary gives: the NOTIFY with QR set (and `rcode`).
std::vector<uint8_t> answer_to(const std::vector<uint8_t>& notify, uint8_t rcode = 0) {
  dns::MessageView m;
  EXPECT_EQ(m.parse(notify), dns::WireError::ok);
  std::vector<uint8_t> buf(512);
  dns::MessageBuilder b(buf, buf.size());
  b.header().id = m.header().id;
  b.header().opcode = dns::opcode::NOTIFY;
  b.header().qr = true;
  b.header().aa = true;
  b.header().rcode = rcode;
  b.add_question(m.qname(), dns::rrtype::SOA, dns::rrclass::IN);
  buf.resize(b.finish());
  return buf;
}

class NotifierTest : public ::testing::Test {
 protected:
  NotifierTest() : notifier(clock, sink, NotifyOptions{}, [this] { return next_id++; }) {}
  void targets(std::vector<const char*> addrs, std::optional<dns::TsigKey> k = std::nullopt) {
    std::vector<Remote> rs;
    for (auto a : addrs) rs.push_back({ep(a), k});
    notifier.set_targets(name("example."), rs);
  }
  FakeClock clock;
  Recorder sink;
  uint16_t next_id = 100;
  Notifier notifier;
};

TEST_F(NotifierTest, OneNotifyPerTargetWithTheSoaInTheAnswer) {
  targets({"127.0.0.1:5301", "127.0.0.1:5302"});
  EXPECT_EQ(notifier.zone_changed(name("example."), soa(7)), 2u);
  ASSERT_EQ(sink.sent.size(), 2u);
  EXPECT_EQ(sink.sent[0].to.port(), 5301);
  EXPECT_EQ(sink.sent[1].to.port(), 5302);
  dns::MessageView m;
  ASSERT_EQ(m.parse(sink.sent[0].wire), dns::WireError::ok);
  EXPECT_EQ(m.header().opcode, dns::opcode::NOTIFY);
  EXPECT_TRUE(m.header().aa);
  EXPECT_FALSE(m.header().qr);
  EXPECT_EQ(m.qname(), name("example."));
  EXPECT_EQ(m.qtype(), dns::rrtype::SOA);
  EXPECT_EQ(m.header().ancount, 1);
  EXPECT_EQ(serial_of(sink.sent[0].wire), 7u);
  EXPECT_EQ(notifier.stats().sent, 2u);
}

TEST_F(NotifierTest, ZonesWithoutTargetsSendNothing) {
  EXPECT_EQ(notifier.zone_changed(name("other."), soa(1)), 0u);
  EXPECT_TRUE(sink.sent.empty());
  EXPECT_FALSE(notifier.next_timer());
}

TEST_F(NotifierTest, RetriesWithDoublingBackoffThenGivesUp) {
  targets({"127.0.0.1:5301"});
  notifier.zone_changed(name("example."), soa(1));
  std::vector<int64_t> send_times = {clock.now_ms()};
  const int64_t start = clock.now_ms();
  for (int step = 0; step < 60000 && sink.sent.size() < 6; step += 100) {
    clock.advance_ms(100);
    notifier.tick();
    if (sink.sent.size() > send_times.size()) send_times.push_back(clock.now_ms());
  }
  ASSERT_EQ(sink.sent.size(), 5u);  // five tries, no sixth
  EXPECT_EQ(send_times[1] - start, 1000);
  EXPECT_EQ(send_times[2] - send_times[1], 2000);
  EXPECT_EQ(send_times[3] - send_times[2], 4000);
  EXPECT_EQ(send_times[4] - send_times[3], 8000);
  // The same message each time (same ID), so a late answer to any try counts.
  EXPECT_EQ(sink.sent[0].wire, sink.sent[4].wire);
  EXPECT_EQ(notifier.stats().failed, 1u);
  EXPECT_EQ(notifier.in_flight(), 0u);
  EXPECT_FALSE(notifier.next_timer());
}

TEST_F(NotifierTest, AnswerStopsRetriesOnlyWhenItMatches) {
  targets({"127.0.0.1:5301"});
  notifier.zone_changed(name("example."), soa(1));
  auto good = answer_to(sink.sent[0].wire);
  auto wrong_id = good;
  wrong_id[1] ^= 1;
  auto not_qr = good;
  not_qr[2] &= 0x7f;
  notifier.receive(wrong_id, ep("127.0.0.1:5301"));
  notifier.receive(not_qr, ep("127.0.0.1:5301"));
  notifier.receive(good, ep("127.0.0.1:5399"));  // from another port
  notifier.receive(good, ep("127.0.0.2:5301"));  // from another address
  notifier.receive(std::vector<uint8_t>{1, 2, 3}, ep("127.0.0.1:5301"));
  EXPECT_EQ(notifier.in_flight(), 1u);
  EXPECT_EQ(notifier.stats().answered, 0u);
  notifier.receive(good, ep("127.0.0.1:5301"));
  EXPECT_EQ(notifier.in_flight(), 0u);
  EXPECT_EQ(notifier.stats().answered, 1u);
  clock.advance_ms(60000);
  notifier.tick();
  EXPECT_EQ(sink.sent.size(), 1u);  // no retry after the answer
}

TEST_F(NotifierTest, ErrorAnswerEndsTheFlightAsAFailure) {
  targets({"127.0.0.1:5301"});
  notifier.zone_changed(name("example."), soa(1));
  notifier.receive(answer_to(sink.sent[0].wire, dns::rcode::NOTIMP), ep("127.0.0.1:5301"));
  EXPECT_EQ(notifier.in_flight(), 0u);
  EXPECT_EQ(notifier.stats().failed, 1u);
  EXPECT_EQ(notifier.stats().answered, 0u);
}

TEST_F(NotifierTest, BurstOfVersionsCoalescesToTheNewestSerial) {
  targets({"127.0.0.1:5301", "127.0.0.1:5302"});
  for (uint32_t s = 1; s <= 1000; ++s) notifier.zone_changed(name("example."), soa(s));
  ASSERT_EQ(sink.sent.size(), 2u);  // one in flight per target
  EXPECT_EQ(serial_of(sink.sent[0].wire), 1u);
  notifier.receive(answer_to(sink.sent[0].wire), ep("127.0.0.1:5301"));
  ASSERT_EQ(sink.sent.size(), 3u);  // the newest serial, once, to that target
  EXPECT_EQ(sink.sent[2].to.port(), 5301);
  EXPECT_EQ(serial_of(sink.sent[2].wire), 1000u);
  notifier.receive(answer_to(sink.sent[2].wire), ep("127.0.0.1:5301"));
  EXPECT_EQ(sink.sent.size(), 3u);  // nothing more pending for 5301
  // The other target never answers: its retries carry serial 1000, within
  // the one schedule of five tries.
  for (int i = 0; i < 700; ++i) {
    clock.advance_ms(100);
    notifier.tick();
  }
  std::vector<uint32_t> to_5302;
  for (const auto& s : sink.sent)
    if (s.to.port() == 5302) to_5302.push_back(serial_of(s.wire));
  EXPECT_EQ(to_5302, (std::vector<uint32_t>{1, 1000, 1000, 1000, 1000}));
  EXPECT_EQ(notifier.in_flight(), 0u);
}

TEST_F(NotifierTest, AnUnansweredFlightIsSupersededByANewerVersionAtOnce) {
  targets({"127.0.0.1:5301"});
  notifier.zone_changed(name("example."), soa(1));  // the target is not up yet
  clock.advance_ms(50);
  notifier.zone_changed(name("example."), soa(2));  // too soon: coalesced
  ASSERT_EQ(sink.sent.size(), 1u);
  clock.advance_ms(60);
  notifier.zone_changed(name("example."), soa(3));  // 110 ms unanswered: sent now
  ASSERT_EQ(sink.sent.size(), 2u);
  EXPECT_EQ(serial_of(sink.sent[1].wire), 3u);
  EXPECT_EQ(notifier.in_flight(), 1u);
  notifier.receive(answer_to(sink.sent[0].wire), ep("127.0.0.1:5301"));  // the old ID
  EXPECT_EQ(notifier.in_flight(), 1u);
  notifier.receive(answer_to(sink.sent[1].wire), ep("127.0.0.1:5301"));
  EXPECT_EQ(notifier.in_flight(), 0u);
  clock.advance_ms(60000);
  notifier.tick();
  EXPECT_EQ(sink.sent.size(), 2u);  // serial 2 was folded into 3, never sent alone
}

TEST_F(NotifierTest, ASerialAlreadySentIsNotSentAgainUnlessForced) {
  targets({"127.0.0.1:5301"});
  notifier.zone_changed(name("example."), soa(5));
  notifier.receive(answer_to(sink.sent[0].wire), ep("127.0.0.1:5301"));
  notifier.zone_changed(name("example."), soa(5));  // the same version published again
  EXPECT_EQ(sink.sent.size(), 1u);
  notifier.zone_changed(name("example."), soa(5), /*force=*/true);
  EXPECT_EQ(sink.sent.size(), 2u);
  // While one is in flight, a repeat of the pending serial adds nothing either.
  notifier.zone_changed(name("example."), soa(6));
  notifier.zone_changed(name("example."), soa(6));
  notifier.receive(answer_to(sink.sent[1].wire), ep("127.0.0.1:5301"));
  ASSERT_EQ(sink.sent.size(), 3u);
  EXPECT_EQ(serial_of(sink.sent[2].wire), 6u);
  notifier.receive(answer_to(sink.sent[2].wire), ep("127.0.0.1:5301"));
  EXPECT_EQ(sink.sent.size(), 3u);
}

TEST_F(NotifierTest, SignedNotifyVerifiesAndNeedsASignedAnswer) {
  auto k = key();
  targets({"127.0.0.1:5301"}, k);
  notifier.zone_changed(name("example."), soa(3));
  ASSERT_EQ(sink.sent.size(), 1u);
  const auto& wire = sink.sent[0].wire;
  dns::MessageView m;
  ASSERT_EQ(m.parse(wire), dns::WireError::ok);
  ASSERT_TRUE(m.has_tsig());
  std::vector<dns::TsigKey> keys = {k};
  dns::TsigVerifyParams vp;
  vp.now = static_cast<uint64_t>(clock.unix_time());
  auto v = dns::tsig_verify(m, keys, vp);
  ASSERT_TRUE(v.ok()) << dns::tsig_status_text(v.status);

  // An unsigned answer is not the answer.
  notifier.receive(answer_to(wire), ep("127.0.0.1:5301"));
  EXPECT_EQ(notifier.in_flight(), 1u);
  // One signed with another key is not either.
  auto other = *dns::TsigKey::parse("hmac-sha256:notify-key:b3RoZXItc2VjcmV0");
  auto forged = answer_to(wire);
  size_t len = forged.size();
  forged.resize(1024);
  dns::TsigSignParams sp;
  sp.time_signed = vp.now;
  sp.prior_mac = &v.record->mac;
  forged.resize(*dns::tsig_sign(forged, len, other, sp));
  notifier.receive(forged, ep("127.0.0.1:5301"));
  EXPECT_EQ(notifier.in_flight(), 1u);
  // Signed over the request's MAC with the right key: the answer.
  auto reply = answer_to(wire);
  len = reply.size();
  reply.resize(1024);
  auto n = dns::tsig_sign_reply(reply, len, v, vp.now);
  ASSERT_TRUE(n);
  reply.resize(*n);
  notifier.receive(reply, ep("127.0.0.1:5301"));
  EXPECT_EQ(notifier.in_flight(), 0u);
  EXPECT_EQ(notifier.stats().answered, 1u);
}

TEST_F(NotifierTest, MetricsCountSentAnsweredFailed) {
  net::MetricsRegistry reg;
  notifier.set_metrics(&reg);
  targets({"127.0.0.1:5301"});
  notifier.zone_changed(name("example."), soa(1));
  notifier.receive(answer_to(sink.sent[0].wire), ep("127.0.0.1:5301"));
  EXPECT_EQ(reg.notify_sent.load(), 1u);
  EXPECT_EQ(reg.notify_answered.load(), 1u);
  EXPECT_EQ(reg.notify_failed.load(), 0u);
  EXPECT_NE(reg.render().find("namae_notify_answered_total 1"), std::string::npos);
}

// NotifyService on a real socket: versions published before start() (the
// zones load before namaed's listeners open) are held, and start() sends
// the newest of them; nothing leaves before.
TEST(NotifyServiceTest, HoldsVersionsUntilStarted) {
  int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  socklen_t len = sizeof sa;
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len), 0);
  auto target = ep(("127.0.0.1:" + std::to_string(ntohs(sa.sin_port))).c_str());
  auto receive = [fd](int timeout_ms) {
    pollfd p{fd, POLLIN, 0};
    std::vector<uint8_t> buf(4096);
    if (::poll(&p, 1, timeout_ms) != 1) return std::vector<uint8_t>{};
    ssize_t n = ::recv(fd, buf.data(), buf.size(), 0);
    buf.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return buf;
  };

  NotifyService service(NotifyOptions{}, nullptr, {});
  service.set_targets(name("example."), {Remote{target, std::nullopt}});
  EXPECT_EQ(service.zone_changed(*version(1)), 1u);
  EXPECT_EQ(service.zone_changed(*version(2)), 1u);
  EXPECT_TRUE(receive(200).empty());  // not started: nothing sent
  ASSERT_TRUE(service.start().ok());
  auto got = receive(2000);
  ASSERT_FALSE(got.empty());
  EXPECT_EQ(serial_of(got), 2u);  // the newest held version only
  service.stop();
  ::close(fd);
}

}  // namespace
}  // namespace namae::xfr
