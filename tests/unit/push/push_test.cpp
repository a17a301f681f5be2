// DSO sessions (RFC 8490) and DNS Push (RFC 8765) without sockets: messages
// in through PushService::receive, everything the service sends captured by
// a recording ReplySink, time from a FakeClock, zones published by hand.
#include <gtest/gtest.h>

#include <mutex>

#include "../auth/auth_test_util.h"
#include "dns/dso.h"
#include "push/discovery.h"
#include "push/service.h"
#include "push/session.h"

namespace namae::push {
namespace {

using namespace dns::dso;
using auth::authtest::make_zone;
using auth::authtest::N;

const char* kZone = R"(
$TTL 300
@ SOA ns hm 1 7200 3600 1209600 300
@ NS ns
ns A 192.0.2.53
h A 192.0.2.1
alias CNAME h
sub NS ns.other.
)";

const char* kZone2 = R"(
$TTL 300
@ SOA ns hm 2 7200 3600 1209600 300
@ NS ns
ns A 192.0.2.53
h A 192.0.2.2
h A 192.0.2.3
h TXT "hello"
alias CNAME h
sub NS ns.other.
)";

// What the service sent through the transport, per connection.
class RecordingSink : public net::ReplySink {
 public:
  bool send(const net::Peer&, std::span<const uint8_t>) override { return false; }
  bool control(const net::Peer& to, Control what, std::span<const uint8_t> m) override {
    std::lock_guard lk(mu);
    if (what == Control::unsolicited) pushed[to.conn].emplace_back(m.begin(), m.end());
    if (what == Control::hold) held.insert(to.conn);
    if (what == Control::close) closed.insert(to.conn);
    return true;
  }
  std::mutex mu;
  std::map<uint64_t, std::vector<std::vector<uint8_t>>> pushed;
  std::set<uint64_t> held, closed;
};

class PushTest : public ::testing::Test {
 protected:
  PushTest()
      : holder_(std::make_shared<const zone::ZoneSet>(std::vector{make_zone("example", kZone)})),
        sink_(std::make_shared<RecordingSink>()),
        service_(holder_, options(), clock_) {}
  static PushOptions options() {
    PushOptions o;
    o.max_subscriptions = 3;
    return o;
  }
  net::Peer peer(uint64_t conn) {
    net::Peer p;
    p.tcp = true;
    p.conn = conn;
    p.sink = sink_.get();
    return p;
  }
  // Send `msg` on `conn`; the reply's rcode, or -1 for no reply.
  int send(uint64_t conn, const std::vector<uint8_t>& msg) {
    std::vector<uint8_t> out(65535);
    size_t n = service_.receive(msg, out, peer(conn));
    if (!n) return -1;
    Message m;
    EXPECT_EQ(parse({out.data(), n}, m), dns::dso::Error::ok);
    EXPECT_EQ(m.kind, Kind::response);
    EXPECT_EQ(m.header.id, dns::get_u16(msg.data()));
    last_reply_ = m.tlvs.empty() ? 0 : m.tlvs[0].type;
    return m.header.rcode;
  }
  static std::vector<uint8_t> subscribe(uint16_t id, const char* name, uint16_t type) {
    Writer w(id, false);
    w.subscribe({N(name), type, dns::rrclass::IN});
    return w.take();
  }
  // Every change pushed to `conn` so far, in order.
  std::vector<PushRecord> pushed(uint64_t conn) {
    std::vector<PushRecord> all;
    for (const auto& m : sink_->pushed[conn]) {
      Message msg;
      EXPECT_EQ(parse(m, msg), dns::dso::Error::ok);
      if (msg.primary()->type != tlv::PUSH) continue;
      std::vector<PushRecord> part;
      EXPECT_TRUE(read_push(msg.primary()->data, part));
      all.insert(all.end(), part.begin(), part.end());
    }
    return all;
  }
  void publish(const char* text) {
    holder_.publish(std::make_shared<const zone::ZoneSet>(std::vector{make_zone("example", text)}));
    service_.zone_changed(N("example"));
  }

  FakeClock clock_;
  zone::ZoneSetHolder holder_;
  std::shared_ptr<RecordingSink> sink_;
  PushService service_;
  uint16_t last_reply_ = 0;
};

TEST_F(PushTest, SubscribeAnswersThenPushesEveryChange) {
  EXPECT_EQ(send(1, subscribe(5, "h.example.", dns::rrtype::A)), dns::rcode::NOERROR);
  EXPECT_TRUE(sink_->held.count(1));  // established: out of the transport's idle timeout
  auto initial = pushed(1);
  ASSERT_EQ(initial.size(), 1u);
  EXPECT_EQ(initial[0].change, Change::add);
  EXPECT_EQ(initial[0].record.rdata, (dns::RdataBytes{192, 0, 2, 1}));

  publish(kZone2);
  auto all = pushed(1);
  ASSERT_EQ(all.size(), 4u);  // one removal, two adds; the TXT is another type
  EXPECT_EQ(all[1].change, Change::remove);
  EXPECT_EQ(all[1].record.rdata, (dns::RdataBytes{192, 0, 2, 1}));
  EXPECT_EQ(all[2].change, Change::add);
  EXPECT_EQ(all[3].change, Change::add);

  publish(kZone);  // back: the A RRset is replaced again
  all = pushed(1);
  ASSERT_EQ(all.size(), 7u);
  EXPECT_EQ(all[4].change, Change::remove);
  EXPECT_EQ(all[5].change, Change::remove);
  EXPECT_EQ(all[6].change, Change::add);
}

TEST_F(PushTest, AnyTypeSeesWholeRRsetsGoAndCnamesCount) {
  EXPECT_EQ(send(1, subscribe(1, "h.example.", dns::rrtype::ANY)), dns::rcode::NOERROR);
  EXPECT_EQ(send(1, subscribe(2, "alias.example.", dns::rrtype::AAAA)), dns::rcode::NOERROR);
  auto first = pushed(1);
  ASSERT_EQ(first.size(), 2u);  // the A of h, the CNAME of alias
  EXPECT_EQ(first[1].record.type, dns::rrtype::CNAME);
  publish(kZone2);
  publish(kZone);
  auto all = pushed(1);
  ASSERT_GE(all.size(), 2u);
  bool txt_gone = false;
  for (const auto& c : all) txt_gone |= c.change == Change::remove_rrset && c.record.type == dns::rrtype::TXT;
  EXPECT_TRUE(txt_gone);
}

TEST_F(PushTest, SubscribeErrors) {
  EXPECT_EQ(send(1, subscribe(1, "h.elsewhere.", dns::rrtype::A)), dns::rcode::NOTAUTH);
  EXPECT_EQ(send(1, subscribe(2, "x.sub.example.", dns::rrtype::A)), dns::rcode::NOTAUTH);  // below a cut
  EXPECT_EQ(send(1, subscribe(3, "h.example.", dns::rrtype::AXFR)), dns::rcode::REFUSED);
  EXPECT_FALSE(sink_->held.count(1));  // no success: not established
  EXPECT_EQ(send(1, subscribe(4, "h.example.", dns::rrtype::A)), dns::rcode::NOERROR);
  EXPECT_EQ(send(1, subscribe(6, "ns.example.", dns::rrtype::A)), dns::rcode::NOERROR);
  EXPECT_EQ(send(1, subscribe(7, "alias.example.", dns::rrtype::A)), dns::rcode::NOERROR);
  EXPECT_EQ(send(1, subscribe(8, "ns.example.", dns::rrtype::AAAA)), dns::rcode::REFUSED);  // over the limit of 3
  EXPECT_EQ(service_.subscriptions(), 3u);
  EXPECT_FALSE(sink_->closed.count(1));
  EXPECT_EQ(send(1, subscribe(4, "ns.example.", dns::rrtype::TXT)), dns::rcode::FORMERR);  // id 4 is active
  EXPECT_TRUE(sink_->closed.count(1));
}

// RFC 8765 6.2.1: a duplicate SUBSCRIBE (names compared case-insensitively)
// is a fatal error: no answer, the connection closes.
TEST_F(PushTest, DuplicateSubscribeAbortsTheSession) {
  EXPECT_EQ(send(1, subscribe(1, "h.example.", dns::rrtype::A)), dns::rcode::NOERROR);
  EXPECT_EQ(send(1, subscribe(2, "H.Example.", dns::rrtype::A)), -1);
  EXPECT_TRUE(sink_->closed.count(1));
}

TEST_F(PushTest, UnsubscribeAndCloseCleanUp) {
  EXPECT_EQ(send(1, subscribe(1, "h.example.", dns::rrtype::A)), dns::rcode::NOERROR);
  EXPECT_EQ(send(2, subscribe(1, "h.example.", dns::rrtype::A)), dns::rcode::NOERROR);
  Writer u(0, false);
  u.unsubscribe(1);
  EXPECT_EQ(send(1, u.take()), -1);
  EXPECT_EQ(service_.subscriptions(), 1u);
  publish(kZone2);
  EXPECT_EQ(pushed(1).size(), 1u);  // only the initial answer
  EXPECT_EQ(pushed(2).size(), 4u);
  service_.closed(2);
  EXPECT_EQ(service_.subscriptions(), 0u);
  EXPECT_EQ(service_.sessions(), 1u);
}

// Names of a RecordSource (the discovery proxy's link): answered from it,
// followed while subscribed, changes pushed when it says so.
struct FakeSource : RecordSource {
  bool covers(const dns::Name& name) const override { return name.is_subdomain_of(N("lan.example.")); }
  std::vector<dns::Record> records(const Question& q) override {
    std::vector<dns::Record> out;
    for (const auto& r : held)
      if (r.owner == q.name && (q.type == r.type || q.type == dns::rrtype::ANY)) out.push_back(r);
    return out;
  }
  void watch(const Question& q) override { watched.push_back(q.name.to_text()); }
  void unwatch(const Question& q) override { unwatched.push_back(q.name.to_text()); }
  std::vector<dns::Record> held;
  std::vector<std::string> watched, unwatched;
};

TEST_F(PushTest, SourceNamesAreServedAndTheirChangesPushed) {
  FakeSource src;
  service_.add_source(&src);
  dns::Record web{N("_http._tcp.lan.example."), dns::rrtype::PTR, dns::rrclass::IN, 4500, {}};
  auto target = N("Web._http._tcp.lan.example.").wire();
  web.rdata.assign(target.begin(), target.end());
  src.held.push_back(web);
  EXPECT_EQ(send(1, subscribe(1, "_http._tcp.lan.example.", dns::rrtype::PTR)), dns::rcode::NOERROR);
  EXPECT_EQ(send(2, subscribe(1, "_http._tcp.lan.example.", dns::rrtype::PTR)), dns::rcode::NOERROR);
  EXPECT_EQ(src.watched, std::vector<std::string>{"_http._tcp.lan.example."});  // one watch for both
  ASSERT_EQ(pushed(1).size(), 1u);
  EXPECT_EQ(pushed(1)[0].record.ttl, 4500u);
  dns::Record printer = web;
  target = N("Printer._http._tcp.lan.example.").wire();
  printer.rdata.assign(target.begin(), target.end());
  src.held.push_back(printer);
  service_.source_changed(N("_http._tcp.lan.example."));
  ASSERT_EQ(pushed(1).size(), 2u);
  EXPECT_EQ(pushed(1)[1].change, Change::add);
  EXPECT_EQ(pushed(1)[1].record.rdata, printer.rdata);
  src.held.erase(src.held.begin());  // a goodbye
  service_.source_changed(N("other.lan.example."));  // not watched: nothing
  EXPECT_EQ(pushed(1).size(), 2u);
  service_.source_changed(N("_http._tcp.lan.example."));
  ASSERT_EQ(pushed(2).size(), 3u);
  EXPECT_EQ(pushed(2)[2].change, Change::remove);
  EXPECT_EQ(pushed(2)[2].record.rdata, web.rdata);
  service_.closed(1);
  EXPECT_TRUE(src.unwatched.empty());
  service_.closed(2);
  EXPECT_EQ(src.unwatched, std::vector<std::string>{"_http._tcp.lan.example."});
}

TEST_F(PushTest, ReconfirmOfAMissingRecordPushesItsRemoval) {
  EXPECT_EQ(send(1, subscribe(1, "h.example.", dns::rrtype::A)), dns::rcode::NOERROR);
  Writer w(0, false);
  w.reconfirm({N("h.example."), dns::rrtype::A, dns::rrclass::IN, 0, {192, 0, 2, 77}});
  EXPECT_EQ(send(1, w.take()), -1);
  auto all = pushed(1);
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].change, Change::remove);
  Writer held(0, false);
  held.reconfirm({N("h.example."), dns::rrtype::A, dns::rrclass::IN, 0, {192, 0, 2, 1}});
  send(1, held.take());
  EXPECT_EQ(pushed(1).size(), 2u);  // the zone has it: nothing to say
}

TEST_F(PushTest, DsoLayerRules) {
  // A unidirectional message before the session is established: abort.
  Writer u(0, false);
  u.unsubscribe(1);
  EXPECT_EQ(send(1, u.take()), -1);
  EXPECT_TRUE(sink_->closed.count(1));
  // An unknown primary TLV in a request: DSOTYPENI, the connection stays.
  Writer x(9, false);
  x.tlv(0xf00d, {});
  EXPECT_EQ(send(2, x.take()), dns::rcode::DSOTYPENI);
  EXPECT_FALSE(sink_->closed.count(2));
  // A Keepalive request establishes and is answered with the server's values.
  Writer k(10, false);
  k.keepalive({1000, 20000});
  EXPECT_EQ(send(2, k.take()), dns::rcode::NOERROR);
  EXPECT_EQ(last_reply_, tlv::KEEPALIVE);
  EXPECT_TRUE(sink_->held.count(2));
  // A TLV that runs past the end: FORMERR, then the connection closes.
  auto bad = subscribe(11, "h.example.", dns::rrtype::A);
  bad.pop_back();
  EXPECT_EQ(send(3, bad), dns::rcode::FORMERR);
  EXPECT_TRUE(sink_->closed.count(3));
  // A SUBSCRIBE whose name is malformed: FORMERR and close.
  std::vector<uint8_t> badname = {0, 12, 0x30, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0, 6, 0xc0, 12, 0, 1, 0, 1};
  EXPECT_EQ(send(4, badname), dns::rcode::FORMERR);
  EXPECT_TRUE(sink_->closed.count(4));
}

// The service keeps nothing of a subscription once it is gone: no watch,
// no zone entry (RFC 8765 6.4's UNSUBSCRIBE, or the connection closing).
TEST_F(PushTest, NothingIsLeftBehindOnceSubscriptionsGo) {
  EXPECT_EQ(send(1, subscribe(1, "h.example.", dns::rrtype::A)), dns::rcode::NOERROR);
  EXPECT_EQ(send(1, subscribe(2, "ns.example.", dns::rrtype::A)), dns::rcode::NOERROR);
  EXPECT_EQ(send(2, subscribe(1, "h.example.", dns::rrtype::A)), dns::rcode::NOERROR);
  PushStats st = service_.stats();
  EXPECT_EQ(st.watches, 2u);
  EXPECT_EQ(st.zones_watched, 1u);
  Writer u(0, false);
  u.unsubscribe(2);
  send(1, u.take());
  service_.closed(1);
  service_.closed(2);
  st = service_.stats();
  EXPECT_EQ(st.subscriptions, 0u);
  EXPECT_EQ(st.watches, 0u);
  EXPECT_EQ(st.zones_watched, 0u);
  EXPECT_EQ(st.sessions, 0u);
  EXPECT_EQ(st.subscribed, 3u);
}

// A reconfigure that stops serving a zone: its subscribers' sessions get a
// Retry Delay (NOTAUTH, 0 ms; RFC 8490 7.2.1) and are closed, and every
// subscription of theirs goes at the next tick, even before the transport
// reports the close.
TEST_F(PushTest, AZoneNoLongerServedEndsItsSubscribersSessions) {
  holder_.publish(std::make_shared<const zone::ZoneSet>(
      std::vector{make_zone("example", kZone), make_zone("other", kZone)}));
  EXPECT_EQ(send(1, subscribe(1, "h.example.", dns::rrtype::A)), dns::rcode::NOERROR);
  EXPECT_EQ(send(1, subscribe(2, "h.other.", dns::rrtype::A)), dns::rcode::NOERROR);
  EXPECT_EQ(send(2, subscribe(1, "h.other.", dns::rrtype::A)), dns::rcode::NOERROR);
  service_.tick();  // everything still served: nothing happens
  EXPECT_TRUE(sink_->closed.empty());
  holder_.publish(std::make_shared<const zone::ZoneSet>(std::vector{make_zone("other", kZone)}));
  service_.tick();
  EXPECT_TRUE(sink_->closed.count(1));
  EXPECT_FALSE(sink_->closed.count(2));
  Message m;
  ASSERT_EQ(parse(sink_->pushed[1].back(), m), dns::dso::Error::ok);
  EXPECT_EQ(m.primary()->type, tlv::RETRY_DELAY);
  EXPECT_EQ(m.header.rcode, dns::rcode::NOTAUTH);
  uint32_t delay = 1;
  EXPECT_TRUE(read_retry_delay(m.primary()->data, delay));
  EXPECT_EQ(delay, 0u);
  PushStats st = service_.stats();
  EXPECT_EQ(st.subscriptions, 1u);  // session 2's
  EXPECT_EQ(st.watches, 1u);
  EXPECT_EQ(st.zones_watched, 1u);
  EXPECT_EQ(send(1, subscribe(3, "h.other.", dns::rrtype::A)), -1);  // closing: ignored
  service_.closed(1);
  service_.closed(2);
  st = service_.stats();
  EXPECT_EQ(st.subscriptions + st.watches + st.zones_watched + st.sessions, 0u);
}

// RFC 8490 7.3: a padded request gets a padded response; after that, what
// the server sends the client unasked is padded too; RFC 8467 4.1's
// 468-octet blocks. A client that does not pad is not padded at.
TEST_F(PushTest, PaddingFollowsTheClient) {
  std::vector<uint8_t> out(65535);
  auto raw = [&](uint64_t conn, std::vector<uint8_t> msg) {
    size_t n = service_.receive(msg, out, peer(conn));
    return std::vector<uint8_t>(out.begin(), out.begin() + n);
  };
  auto plain = raw(1, subscribe(1, "h.example.", dns::rrtype::A));
  EXPECT_EQ(plain.size(), dns::kHeaderSize);
  ASSERT_EQ(sink_->pushed[1].size(), 1u);
  EXPECT_NE(sink_->pushed[1][0].size() % kServerPaddingBlock, 0u);
  Writer w(1, false);
  w.subscribe({N("h.example."), dns::rrtype::A, dns::rrclass::IN});
  w.padding(40);
  auto padded = raw(2, w.take());
  EXPECT_EQ(padded.size(), kServerPaddingBlock);
  Message m;
  ASSERT_EQ(parse(padded, m), dns::dso::Error::ok);
  EXPECT_EQ(m.header.rcode, dns::rcode::NOERROR);
  ASSERT_EQ(m.tlvs.size(), 1u);
  EXPECT_EQ(m.tlvs[0].type, tlv::PADDING);
  publish(kZone2);
  ASSERT_EQ(sink_->pushed[2].size(), 2u);
  for (const auto& msg : sink_->pushed[2]) EXPECT_EQ(msg.size() % kServerPaddingBlock, 0u);
  EXPECT_EQ(pushed(2).size(), 4u);  // the PUSH TLV reads as before
  for (const auto& msg : sink_->pushed[1]) EXPECT_NE(msg.size() % kServerPaddingBlock, 0u);
}

TEST(DsoPadding, ToTheBlockOrAsCloseAsFits) {
  std::vector<uint8_t> msg(12);
  pad_to_block(msg);
  EXPECT_EQ(msg.size(), 468u);
  EXPECT_EQ(dns::get_u16(&msg[12]), tlv::PADDING);
  EXPECT_EQ(dns::get_u16(&msg[14]), 468u - 16);
  msg.assign(465, 0);  // the TLV's own 4 octets pass the block: the next one
  pad_to_block(msg);
  EXPECT_EQ(msg.size(), 936u);
  msg.assign(65400, 0);
  pad_to_block(msg);
  EXPECT_EQ(msg.size(), 65520u);  // 140 blocks
  msg.assign(65517, 0);  // the next block would pass 65535: up to 65535
  pad_to_block(msg);
  EXPECT_EQ(msg.size(), 65535u);
  msg.assign(65533, 0);
  pad_to_block(msg);
  EXPECT_EQ(msg.size(), 65533u);
}

// A reconfigure's limits: the subscription limit holds for the next
// SUBSCRIBE; new timers reach every established session in a Keepalive of
// the server's own (unidirectional, RFC 8490 7.1) and rule from then on.
TEST_F(PushTest, NewOptionsApplyToRunningSessions) {
  for (uint16_t i = 1; i <= 3; ++i)
    EXPECT_EQ(send(1, subscribe(i, i == 1 ? "h.example." : i == 2 ? "ns.example." : "alias.example.",
                                dns::rrtype::A)), dns::rcode::NOERROR);
  Writer x(9, false);
  x.tlv(0xf00d, {});
  EXPECT_EQ(send(2, x.take()), dns::rcode::DSOTYPENI);  // a session, not established
  PushOptions o = options();
  o.max_subscriptions = 1;
  o.timers = {0, 10000};
  service_.set_options(o);
  EXPECT_EQ(send(3, subscribe(1, "h.example.", dns::rrtype::A)), dns::rcode::NOERROR);
  EXPECT_EQ(send(3, subscribe(2, "ns.example.", dns::rrtype::A)), dns::rcode::REFUSED);
  EXPECT_EQ(service_.stats().refused, 1u);
  Message m;
  ASSERT_EQ(parse(sink_->pushed[1].back(), m), dns::dso::Error::ok);
  EXPECT_EQ(m.kind, Kind::unidirectional);
  ASSERT_EQ(m.primary()->type, tlv::KEEPALIVE);
  Keepalive k;
  ASSERT_TRUE(read_keepalive(m.primary()->data, k));
  EXPECT_EQ(k.inactivity_ms, 0u);
  EXPECT_EQ(k.interval_ms, 10000u);
  EXPECT_FALSE(sink_->pushed.count(2));  // not in progress: told in its Keepalive response
  Writer ka(10, false);
  ka.keepalive({15000, 15000});
  EXPECT_EQ(send(2, ka.take()), dns::rcode::NOERROR);
  // Silent for twice the new 10 s interval: closed.
  clock_.advance_ms(19999);
  service_.tick();
  EXPECT_FALSE(sink_->closed.count(1));
  clock_.advance_ms(1);
  service_.tick();
  EXPECT_TRUE(sink_->closed.count(1));
}

TEST(PushDiscovery, ZonesGetTheSrvOfThePushServerOnce) {
  auto z = with_push_srv(make_zone("example", kZone), 853);
  const zone::Node* n = z->find(N("_dns-push-tls._tcp.example."));
  ASSERT_NE(n, nullptr);
  auto srv = n->find(dns::rrtype::SRV);
  ASSERT_TRUE(srv.valid());
  EXPECT_EQ(srv.count(), 1);
  EXPECT_EQ(dns::rdata::to_text(dns::rrtype::SRV, srv.first()), "0 0 853 ns.example.");
  EXPECT_EQ(with_push_srv(z, 8853), z);  // already there: left alone
}

TEST(DsoSession, TimersEndASilentSession) {
  SessionTimers t{15000, 30000};
  DsoSession s(t, 0);
  EXPECT_FALSE(s.expired(1000000));  // not established: the transport's timeout rules
  Message m;
  Writer k(1, false);
  k.keepalive({0, 0});
  auto msg = k.take();
  EXPECT_EQ(s.receive(msg, m, 0).act, Act::reply);
  EXPECT_TRUE(s.established());
  // Idle with nothing active: inactivity (15 s) plus max(2 x 15 s, 5 s).
  EXPECT_FALSE(s.expired(44999));
  EXPECT_TRUE(s.expired(45000));
  // With a subscription active only the keepalive rule holds: 2 x 30 s of silence.
  s.set_active(1, 0);
  EXPECT_FALSE(s.expired(59999));
  EXPECT_TRUE(s.expired(60000));
  s.receive(msg, m, 59000);
  EXPECT_FALSE(s.expired(60000));
}

// RFC 8490 7.1.1: a server that cuts the inactivity timeout gives an idle
// client a quarter of the new one or 5 s, whichever is longer, to close.
TEST(DsoSession, ShorterInactivityTimeoutGetsGrace) {
  DsoSession s({60000, 3600000}, 0);
  Message m;
  Writer k(1, false);
  k.keepalive({0, 0});
  s.receive(k.take(), m, 0);
  EXPECT_FALSE(s.expired(100000));
  s.set_timers({1000, 3600000}, 100000);  // idle 100 s already: over twice the new 1 s
  EXPECT_FALSE(s.expired(104999));
  EXPECT_TRUE(s.expired(105000));
  EXPECT_FALSE(s.client_pads());
  Writer p(2, false);
  p.keepalive({0, 0});
  p.padding(8);
  s.receive(p.take(), m, 105000);
  EXPECT_TRUE(s.client_pads());
}

TEST(DsoSession, ResponsesAndClientOnlyTlvsAreFatal) {
  DsoSession s({}, 0);
  Message m;
  Writer r(3, true);
  EXPECT_EQ(s.receive(r.take(), m, 0).act, Act::abort);
  Writer p(4, false);
  p.retry_delay(5);
  auto v = s.receive(p.take(), m, 0);
  EXPECT_EQ(v.act, Act::reply_close);
  EXPECT_EQ(v.rcode, dns::rcode::FORMERR);
  Writer k(5, false);
  k.tlv(tlv::KEEPALIVE, std::vector<uint8_t>(7));
  EXPECT_EQ(s.receive(k.take(), m, 0).act, Act::reply_close);
}

}  // namespace
}  // namespace namae::push
