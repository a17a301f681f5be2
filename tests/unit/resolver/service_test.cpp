// ResolverService: the client-facing rules (flags, ACL, RFC 6303 local zones,
// RFC 2308 authority) and prefetch, over the scripted network of fake_net.h.
#include <gtest/gtest.h>

#include <thread>

#include "dns/edns.h"
#include "dns/message.h"
#include "dns/rrtype.h"
#include "fake_net.h"
#include "resolver/service.h"

namespace namae::resolver {
namespace {

namespace rrtype = dns::rrtype;
dns::Name N(const char* t) { return *dns::Name::from_text(t); }

struct ServiceWorld {
  FakeClock clock;
  test::FakeNet net{clock};
  std::unique_ptr<ResolverService> service;

  explicit ServiceWorld(ServiceOptions o = {}) {
    net.add("198.51.100.1").zones = test::make_zones({{".", R"(
$TTL 86400
. SOA a.root. h.root. 1 1800 900 604800 3600
. NS a.root.
a.root. A 198.51.100.1
example. NS ns.example.
ns.example. A 198.51.100.2
)"}});
    net.add("198.51.100.2").zones = test::make_zones({{"example.", R"(
$TTL 100
@ SOA ns h 1 1800 900 604800 50
@ NS ns
ns A 198.51.100.2
www A 192.0.2.1
)"}});
    o.resolver.do_not_query_localhost = false;
    auto hints = parse_root_hints(". 1 NS a.root.\na.root. 1 A 198.51.100.1\n", "h");
    service = std::make_unique<ResolverService>(o, *hints, net, clock);
  }

  dns::MessageView ask(const char* name, uint16_t type, std::vector<uint8_t>& buf, bool rd = true,
                       const char* from = "127.0.0.1") {
    return test::ask_service(*service, test::client_query(N(name), type, 4242, rd),
                             test::client_peer(from, 5353), buf);
  }
};

TEST(ResolverService, FlagsOfARecursiveAnswer) {
  ServiceWorld w;
  std::vector<uint8_t> buf;
  auto v = w.ask("www.example.", rrtype::A, buf);
  EXPECT_EQ(v.header().id, 4242);
  EXPECT_TRUE(v.header().qr);
  EXPECT_TRUE(v.header().ra);
  EXPECT_FALSE(v.header().aa);
  EXPECT_TRUE(v.header().rd);
  EXPECT_EQ(v.header().ancount, 1);
  auto v2 = w.ask("www.example.", rrtype::A, buf, false);
  EXPECT_FALSE(v2.header().rd);
  EXPECT_EQ(v2.header().ancount, 1);  // RD=0 answered from the cache
  // RD=0 and not cached: the closest delegation the cache knows, no recursion.
  size_t sent = w.net.log.size();
  auto v3 = w.ask("other.example.", rrtype::A, buf, false);
  EXPECT_EQ(w.net.log.size(), sent);
  EXPECT_EQ(v3.header().rcode, dns::rcode::NOERROR);
  EXPECT_EQ(v3.header().ancount, 0);
  ASSERT_EQ(v3.header().nscount, 1);
  auto rc = v3.records(dns::Section::authority);
  dns::RecordView ns;
  ASSERT_TRUE(rc.next(ns));
  EXPECT_EQ(ns.type, rrtype::NS);
  EXPECT_EQ(v3.owner(ns), N("example."));
  EXPECT_GE(v3.header().arcount, 1);
  // NXDOMAIN: SOA in authority with the negative TTL (min(100, 50)).
  auto nx = w.ask("nope.example.", rrtype::A, buf);
  EXPECT_EQ(nx.header().rcode, dns::rcode::NXDOMAIN);
  ASSERT_EQ(nx.header().nscount, 1);
  auto c = nx.records(dns::Section::authority);
  dns::RecordView rr;
  ASSERT_TRUE(c.next(rr));
  EXPECT_EQ(rr.type, rrtype::SOA);
  EXPECT_EQ(rr.ttl, 50u);
}

TEST(ResolverService, AclRefusesOthers) {
  ServiceOptions o;
  o.allowed = *net::parse_acl({"127.0.0.0/8"});
  ServiceWorld w(o);
  std::vector<uint8_t> buf;
  auto v = w.ask("www.example.", rrtype::A, buf, true, "203.0.113.9");
  EXPECT_EQ(v.header().rcode, dns::rcode::REFUSED);
  EXPECT_FALSE(v.header().ra);
  EXPECT_TRUE(w.net.log.empty());
}

TEST(ResolverService, AclRefusalCarriesEdeProhibitedWithEdns) {
  ServiceOptions o;
  o.allowed = *net::parse_acl({"127.0.0.0/8"});
  ServiceWorld w(o);
  std::vector<uint8_t> q(512);
  dns::MessageBuilder b(q, q.size());
  b.header().id = 7;
  b.header().rd = true;
  b.add_question(N("www.example."), rrtype::A, 1);
  dns::Edns e;
  e.present = true;
  b.add_opt(e);
  q.resize(b.finish());
  std::vector<uint8_t> buf;
  auto v = test::ask_service(*w.service, q, test::client_peer("203.0.113.9", 5353), buf);
  EXPECT_EQ(v.header().rcode, dns::rcode::REFUSED);
  ASSERT_TRUE(v.edns().present);
  auto ede = v.edns().find(dns::edns_option::EDE);
  ASSERT_TRUE(ede);  // RFC 8914 4.19
  EXPECT_EQ(dns::edns_option_to_text(*ede), "EDE: 18 (Prohibited)");
  // Without EDNS: REFUSED and no OPT at all (RFC 8914 3).
  auto plain = w.ask("www.example.", rrtype::A, buf, true, "203.0.113.9");
  EXPECT_EQ(plain.header().rcode, dns::rcode::REFUSED);
  EXPECT_FALSE(plain.edns().present);
}

TEST(ResolverService, Rfc6303EmptyZonesAreLocal) {
  ServiceWorld w;
  std::vector<uint8_t> buf;
  auto v = w.ask("4.3.2.10.in-addr.arpa.", rrtype::PTR, buf);
  EXPECT_EQ(v.header().rcode, dns::rcode::NXDOMAIN);
  EXPECT_EQ(v.header().nscount, 1);
  auto apex = w.ask("168.192.in-addr.arpa.", rrtype::SOA, buf);
  EXPECT_EQ(apex.header().rcode, dns::rcode::NOERROR);
  EXPECT_EQ(apex.header().ancount, 1);
  EXPECT_TRUE(w.net.log.empty());
  ServiceOptions off;
  off.empty_zones = false;
  ServiceWorld w2(off);
  w2.ask("4.3.2.10.in-addr.arpa.", rrtype::PTR, buf);
  EXPECT_FALSE(w2.net.log.empty());  // resolved normally (the root says NXDOMAIN)
}

TEST(ResolverService, PrefetchRefreshesPopularDataBeforeItExpires) {
  ServiceOptions o;
  o.threads = 1;
  ServiceWorld w(o);
  w.service->start();
  std::vector<uint8_t> buf;
  w.ask("www.example.", rrtype::A, buf);
  auto before = w.service->cache().lookup(N("www.example."), rrtype::A);
  ASSERT_TRUE(before);
  w.clock.advance_ms(95'000);  // 5 s of 100 left: inside the last 10%
  auto v = w.ask("www.example.", rrtype::A, buf);
  EXPECT_EQ(v.header().ancount, 1);
  EntryPtr after;
  for (int i = 0; i < 200; ++i) {
    after = w.service->cache().lookup(N("www.example."), rrtype::A);
    if (after && after != before) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  w.service->stop();
  ASSERT_TRUE(after);
  EXPECT_NE(after, before);
  EXPECT_GT(after->expires_ms, before->expires_ms);
  EXPECT_NE(w.service->control("cache stats").find("prefetches 1"), std::string::npos);
}

// Collects deferred replies (the transport's side of ReplyChannel).
class CaptureSink final : public net::ReplySink {
 public:
  bool send(const net::Peer&, std::span<const uint8_t> response) override {
    std::lock_guard lock(mu);
    replies.emplace_back(response.begin(), response.end());
    times.push_back(std::chrono::steady_clock::now());
    return true;
  }
  size_t count() {
    std::lock_guard lock(mu);
    return replies.size();
  }
  std::mutex mu;
  std::vector<std::vector<uint8_t>> replies;
  std::vector<std::chrono::steady_clock::time_point> times;
};

// RFC 8767 5: a client whose answer is still being resolved after the
// client-response timer gets the stale data, once, while resolution goes on.
TEST(ResolverService, StaleAnswerWhenResolutionIsSlow) {
  ServiceOptions o;
  o.threads = 1;
  o.cache.serve_stale = true;
  o.prefetch = false;
  o.stale_answer_timeout = std::chrono::milliseconds(100);
  ServiceWorld w(o);
  std::vector<uint8_t> buf;
  ASSERT_EQ(w.ask("www.example.", rrtype::A, buf).header().ancount, 1);
  w.service->start();
  w.clock.advance_ms(200'000);  // expired (TTL 100), inside the stale window
  w.net.server("198.51.100.2").script = [](std::span<const uint8_t>, bool) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return std::vector<uint8_t>{};  // then a timeout
  };
  auto sink = std::make_shared<CaptureSink>();
  auto handler = w.service->make_handler(nullptr);
  uint8_t q[512];
  dns::MessageBuilder b(q, sizeof q);
  b.header().id = 7;
  b.header().rd = true;
  b.add_question(N("www.example."), rrtype::A, 1);
  size_t qlen = b.finish();
  net::Peer peer;
  auto ep = test::ep4("127.0.0.1", 5353);
  peer.addr = ep.addr;
  peer.addr_len = ep.len;
  peer.sink = sink.get();
  std::vector<uint8_t> out(65535);
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(handler->handle({q, qlen}, out, peer), net::kDeferred);
  for (int i = 0; i < 300 && sink->count() == 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(sink->count(), 1u);
  // Well before resolution ends (two 300 ms tries to the only server at least).
  EXPECT_LT(sink->times[0] - t0, std::chrono::milliseconds(550));
  dns::MessageView v;
  ASSERT_EQ(v.parse(sink->replies[0]), dns::WireError::ok);
  EXPECT_EQ(v.header().id, 7);
  EXPECT_EQ(v.header().ancount, 1);
  dns::RecordView rr;
  auto c = v.records(dns::Section::answer);
  ASSERT_TRUE(c.next(rr));
  EXPECT_EQ(rr.ttl, 30u);
  // Resolution finishes later (SERVFAIL upstream); no second reply is sent.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  w.service->stop();
  EXPECT_EQ(sink->count(), 1u);
  EXPECT_NE(w.service->control("cache stats").find("stale-answers 1"), std::string::npos);
}

TEST(ResolverService, ControlCommands) {
  ServiceWorld w;
  std::vector<uint8_t> buf;
  w.ask("www.example.", rrtype::A, buf);
  std::string show = w.service->control("cache show example.");
  EXPECT_EQ(show.rfind("ok ", 0), 0u);
  EXPECT_NE(show.find("www.example. "), std::string::npos);
  EXPECT_EQ(w.service->control("cache flush www.example").rfind("ok flushed 1", 0), 0u);
  EXPECT_EQ(w.service->control("cache show www.example.").find("192.0.2.1"), std::string::npos);
  EXPECT_EQ(w.service->control("cache frobnicate").rfind("error", 0), 0u);
}

}  // namespace
}  // namespace namae::resolver
