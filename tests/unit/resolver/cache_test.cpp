#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>

#include "dns/rrtype.h"
#include "resolver/cache.h"
#include "resolver/infra.h"

namespace namae::resolver {
namespace {

dns::Name N(const char* t) { return *dns::Name::from_text(t); }

dns::RRset a_rrset(const char* owner, uint8_t last, uint32_t ttl) {
  dns::RRset rs;
  rs.owner = N(owner);
  rs.type = dns::rrtype::A;
  rs.ttl = ttl;
  rs.rdata.push_back({192, 0, 2, last});
  return rs;
}

TEST(Cache, CredibilityRanking) {
  FakeClock clock;
  Cache c(CacheOptions{}, clock);
  EXPECT_EQ(c.store(a_rrset("ns.example.", 1, 300), Trust::answer_auth), StoreResult::stored);
  // Glue must not replace authoritative answer data (RFC 2181 5.4.1).
  EXPECT_EQ(c.store(a_rrset("ns.example.", 2, 300), Trust::additional), StoreResult::kept_better);
  EXPECT_EQ(c.lookup(N("NS.example."), dns::rrtype::A)->rrset.rdata[0][3], 1);
  // Equal or better replaces.
  EXPECT_EQ(c.store(a_rrset("ns.example.", 3, 300), Trust::answer_auth), StoreResult::stored);
  EXPECT_EQ(c.lookup(N("ns.example."), dns::rrtype::A)->rrset.rdata[0][3], 3);
  // Once expired, anything replaces.
  clock.advance_ms(301'000);
  EXPECT_FALSE(c.lookup(N("ns.example."), dns::rrtype::A));
  EXPECT_EQ(c.store(a_rrset("ns.example.", 4, 300), Trust::additional), StoreResult::stored);
}

TEST(Cache, TtlCountdownFloorAndCeiling) {
  FakeClock clock;
  CacheOptions o;
  o.min_ttl = 10;
  o.max_ttl = 100;
  Cache c(o, clock);
  c.store(a_rrset("a.example.", 1, 5), Trust::answer_auth);
  c.store(a_rrset("b.example.", 1, 1000), Trust::answer_auth);
  auto a = c.lookup(N("a.example."), dns::rrtype::A);
  auto b = c.lookup(N("b.example."), dns::rrtype::A);
  EXPECT_EQ(a->ttl_left(clock.now_ms()), 10u);
  EXPECT_EQ(b->ttl_left(clock.now_ms()), 100u);
  clock.advance_ms(40'000);
  EXPECT_EQ(b->ttl_left(clock.now_ms()), 60u);
  EXPECT_FALSE(c.lookup(N("a.example."), dns::rrtype::A));
}

TEST(Cache, NegativeTtlIsSoaMinimumCapped) {
  FakeClock clock;
  CacheOptions o;
  o.max_negative_ttl = 900;
  Cache c(o, clock);
  dns::RRset soa;
  soa.owner = N("example.");
  soa.type = dns::rrtype::SOA;
  soa.ttl = 3600;
  // mname, rname (root names), serial, refresh, retry, expire, minimum=1800
  soa.rdata.push_back({0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0x07, 0x08});
  c.store_negative(N("x.example."), 0, true, soa, Trust::authority_auth);
  auto e = c.lookup(N("x.example."), 0);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->kind, EntryKind::nxdomain);
  EXPECT_EQ(e->original_ttl, 900u);
  // New positive data at the name removes the NXDOMAIN.
  c.store(a_rrset("x.example.", 1, 300), Trust::answer_auth);
  EXPECT_FALSE(c.lookup(N("x.example."), 0));
}

TEST(Cache, LruBoundAndFlush) {
  FakeClock clock;
  CacheOptions o;
  o.max_entries = 64;
  o.shards = 4;
  Cache c(o, clock);
  for (int i = 0; i < 1000; ++i)
    c.store(a_rrset(("h" + std::to_string(i) + ".example.").c_str(), 1, 300), Trust::answer_auth);
  EXPECT_LE(c.size(), 64u);
  EXPECT_TRUE(c.lookup(N("h999.example."), dns::rrtype::A));
  c.store(a_rrset("other.test.", 1, 300), Trust::answer_auth);
  EXPECT_GT(c.flush(N("example.")), 0u);
  EXPECT_FALSE(c.lookup(N("h999.example."), dns::rrtype::A));
  EXPECT_TRUE(c.lookup(N("other.test."), dns::rrtype::A));
  EXPECT_NE(c.dump(N(".")).find("other.test."), std::string::npos);
}

TEST(Cache, ServeStaleWindow) {
  FakeClock clock;
  CacheOptions o;
  o.serve_stale = true;
  o.stale_window = 100;
  Cache c(o, clock);
  c.store(a_rrset("a.example.", 1, 10), Trust::answer_auth);
  clock.advance_ms(50'000);
  EXPECT_FALSE(c.lookup(N("a.example."), dns::rrtype::A));
  EXPECT_TRUE(c.lookup(N("a.example."), dns::rrtype::A, true));
  clock.advance_ms(100'000);
  EXPECT_FALSE(c.lookup(N("a.example."), dns::rrtype::A, true));
}

}  // namespace
}  // namespace namae::resolver

namespace namae::resolver {
namespace {

net::Endpoint v4(uint32_t a) {
  net::Endpoint ep;
  auto* sin = reinterpret_cast<sockaddr_in*>(&ep.addr);
  sin->sin_family = AF_INET;
  sin->sin_port = htons(53);
  sin->sin_addr.s_addr = htonl(a);
  ep.len = sizeof(sockaddr_in);
  return ep;
}

TEST(Infra, SmoothedRttAndBoundedTable) {
  FakeClock clock;
  Infra infra(clock, 100);
  infra.record_rtt(v4(0xc0000201), std::chrono::milliseconds(10));
  infra.record_rtt(v4(0xc0000201), std::chrono::milliseconds(30));
  ServerInfo i = infra.info(v4(0xc0000201));
  EXPECT_NEAR(i.srtt_ms, 12.5, 0.01);  // 7/8 * 10 + 1/8 * 30
  EXPECT_GT(infra.effective_rtt(v4(0xc0000202)), 300);  // never asked: a guess
  infra.record_timeout(v4(0xc0000201));
  EXPECT_GT(infra.effective_rtt(v4(0xc0000201)), 376);  // backed off
  for (uint32_t a = 0; a < 1000; ++a) infra.record_rtt(v4(0x0a000000 + a), std::chrono::milliseconds(1));
  size_t known = 0;
  for (uint32_t a = 0; a < 1000; ++a) known += infra.info(v4(0x0a000000 + a)).srtt_ms > 0;
  EXPECT_LE(known, 100u);
}

}  // namespace
}  // namespace namae::resolver
