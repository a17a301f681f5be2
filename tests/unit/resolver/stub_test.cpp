// namae::StubResolver against scripted servers (fake_net.h): resolv.conf
// parsing, search list and ndots, failover, TC->TCP, cache, async calls.
#include <gtest/gtest.h>

#include "dns/rrtype.h"
#include "fake_net.h"
#include "resolver/stub.h"

namespace namae {
namespace {


using resolver::test::FakeNet;
namespace rrtype = dns::rrtype;

std::string big_txt() {
  std::string s;
  for (int i = 0; i < 40; ++i) s += "big TXT \"" + std::string(60, 'x') + std::to_string(i) + "\"\n";
  return s;
}

struct StubWorld {
  FakeClock clock;
  FakeNet net{clock};
  StubWorld() {
    auto z = resolver::test::make_zones({{"example.test.", R"(
$TTL 300
@ SOA ns h 1 1800 900 604800 60
@ NS ns
ns A 192.0.2.53
www A 192.0.2.80
host.corp A 192.0.2.90
alias CNAME www
)" + big_txt()}});
    net.add("192.0.2.1").zones = z;
    net.add("192.0.2.2").zones = z;
  }
  StubConfig config(const char* text) { return *StubConfig::parse_resolv_conf(text); }
};

TEST(StubConfig, ParsesResolvConf) {
  auto c = StubConfig::parse_resolv_conf(
      "# comment\nnameserver 192.0.2.1\nnameserver 2001:db8::1 ; trailing\n"
      "search corp.example.test example.test\noptions ndots:2 timeout:1 attempts:3 rotate\n");
  ASSERT_TRUE(c.ok()) << c.message();
  ASSERT_EQ(c->servers.size(), 2u);
  EXPECT_EQ(net::endpoint_address(c->servers[1]), "2001:db8::1");
  ASSERT_EQ(c->search.size(), 2u);
  EXPECT_EQ(c->search[0].to_text(), "corp.example.test.");
  EXPECT_EQ(c->ndots, 2);
  EXPECT_EQ(c->timeout.count(), 1000);
  EXPECT_EQ(c->attempts, 3);
  EXPECT_TRUE(c->rotate);
  auto empty = StubConfig::parse_resolv_conf("");
  ASSERT_EQ(empty->servers.size(), 1u);
  EXPECT_EQ(net::endpoint_address(empty->servers[0]), "127.0.0.1");
  EXPECT_FALSE(StubConfig::parse_resolv_conf("nameserver not-an-address\n").ok());
}

TEST(StubResolver, AnswersAndCaches) {
  StubWorld w;
  StubResolver stub(w.config("nameserver 192.0.2.1\n"), &w.net, &w.clock);
  auto a = stub.query("www.example.test", rrtype::A);
  ASSERT_TRUE(a.ok()) << a.message();
  EXPECT_EQ(a->texts(rrtype::A), std::vector<std::string>{"192.0.2.80"});
  EXPECT_FALSE(a->from_cache);
  size_t sent = w.net.log.size();
  w.clock.advance_ms(100'000);
  auto b = stub.query("www.example.test.", rrtype::A);
  ASSERT_TRUE(b.ok());
  EXPECT_TRUE(b->from_cache);
  EXPECT_EQ(w.net.log.size(), sent);
  EXPECT_LE(b->answer.front().ttl, 200u);
  w.clock.advance_ms(300'000);
  EXPECT_FALSE(stub.query("www.example.test.", rrtype::A)->from_cache);
}

TEST(StubResolver, SearchListAndNdots) {
  StubWorld w;
  StubResolver stub(w.config("nameserver 192.0.2.1\nsearch corp.example.test example.test\n"),
                    &w.net, &w.clock);
  auto a = stub.query("host", rrtype::A);  // 0 dots < ndots 1: search list first
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->qname.to_text(), "host.corp.example.test.");
  EXPECT_EQ(a->texts(rrtype::A), std::vector<std::string>{"192.0.2.90"});
  auto b = stub.query("www", rrtype::A);  // NXDOMAIN in corp, found in example.test
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->qname.to_text(), "www.example.test.");
  auto c = stub.query("nothing", rrtype::A);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->rcode, dns::rcode::NXDOMAIN);
  // With 1 dot >= ndots the name is tried as given first.
  w.net.log.clear();
  stub.flush_cache();
  auto d = stub.query("host.corp", rrtype::A);
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(w.net.log.front().qname, "host.corp.");
}

TEST(StubResolver, FailsOverAndRetriesOverTcp) {
  StubWorld w;
  w.net.server("192.0.2.1").dead = true;
  StubConfig c = w.config("nameserver 192.0.2.1\nnameserver 192.0.2.2\noptions timeout:1 attempts:1\n");
  StubResolver stub(c, &w.net, &w.clock);
  auto a = stub.query("big.example.test.", rrtype::TXT);
  ASSERT_TRUE(a.ok()) << a.message();
  EXPECT_TRUE(a->truncated_retried);
  EXPECT_EQ(a->texts(rrtype::TXT).size(), 40u);
  EXPECT_EQ(net::endpoint_address(a->server), "192.0.2.2");
  w.net.server("192.0.2.2").dead = true;
  auto b = stub.query("www.example.test.", rrtype::A);
  EXPECT_FALSE(b.ok());
}

TEST(StubResolver, AsyncCalls) {
  StubWorld w;
  StubResolver stub(w.config("nameserver 192.0.2.1\n"), &w.net, &w.clock);
  auto f = stub.query_future("alias.example.test.", rrtype::A);
  auto r = f.get();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->answer.front().type, rrtype::CNAME);
  std::promise<uint16_t> p;
  stub.query_async("nope.example.test.", rrtype::A,
                   [&](Result<StubAnswer> a) { p.set_value(a.ok() ? a->rcode : 999); });
  EXPECT_EQ(p.get_future().get(), dns::rcode::NXDOMAIN);
}

}  // namespace
}  // namespace namae
