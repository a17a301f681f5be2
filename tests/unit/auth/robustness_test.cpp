// AuthEngine under hostile input and concurrent snapshot swaps, and the
// RFC 9471 glue rule.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <random>
#include <thread>

#include "auth_test_util.h"

namespace namae::auth::authtest {
namespace {

using namespace dns::rrtype;

const char* kZone = R"($TTL 3600
@    SOA ns1 hm 1 7200 3600 1209600 300
@    NS  ns1
ns1  A   192.0.2.1
www  A   192.0.2.10
*.w  CNAME www
)";

std::string glue_zone(const char* glue_parent) {
  std::string z = "$TTL 3600\n@ SOA ns1 hm 1 2 3 4 5\n@ NS ns1\nns1 A 192.0.2.1\n";
  for (int i = 0; i < 12; ++i) {
    std::string ns = "nameserver" + std::to_string(i) + "." + glue_parent;
    z += "child NS " + ns + "\n";
    z += ns + " A 192.0.2." + std::to_string(100 + i) + "\n";
    z += ns + " AAAA 2001:db8::" + std::to_string(100 + i) + "\n";
  }
  if (std::string(glue_parent) == "sib") z += "sib NS ns1\n";
  return z;
}

TEST(AuthGlue, InDomainGlueThatDoesNotFitSetsTc) {
  Server s({make_zone("example.org", glue_zone("child"))});
  auto r = s.ask("www.child.example.org", A);
  EXPECT_FALSE(r.h.aa);
  EXPECT_TRUE(r.h.tc);  // RFC 9471 2.1
  EXPECT_LE(r.wire.size(), 512u);
  QueryOpts o;
  o.edns = true;
  r = s.ask("www.child.example.org", A, o);
  EXPECT_FALSE(r.h.tc);
  EXPECT_EQ(r.authority.size(), 12u);
  EXPECT_EQ(r.additional.size(), 24u);
}

TEST(AuthGlue, SiblingGlueIsOptional) {
  Server s({make_zone("example.org", glue_zone("sib"))});
  auto r = s.ask("www.child.example.org", A);
  EXPECT_FALSE(r.h.tc);  // RFC 9471 2.2: sibling glue may be left out
  EXPECT_EQ(r.authority.size(), 12u);
  EXPECT_LT(r.additional.size(), 24u);
  EXPECT_LE(r.wire.size(), 512u);
}

TEST(AuthRobustness, MutatedQueriesGetFormerrOrSilenceNeverGarbage) {
  Server s({make_zone("example.com", kZone)});
  std::mt19937 rng(12345);
  std::vector<std::vector<uint8_t>> seeds = {
      make_query("www.example.com", A), make_query("x.w.example.com", A),
      make_query("example.com", SOA, QueryOpts{.edns = true}), make_query("nope.example.com", MX)};
  size_t answered = 0;
  for (int i = 0; i < 20000; ++i) {
    auto q = seeds[i % seeds.size()];
    int flips = 1 + rng() % 4;
    for (int f = 0; f < flips; ++f) {
      switch (rng() % 4) {
        case 0:
          q[rng() % q.size()] = static_cast<uint8_t>(rng());
          break;
        case 1:
          q.resize(rng() % (q.size() + 1));
          break;
        case 2:
          q.push_back(static_cast<uint8_t>(rng()));
          break;
        case 3:
          if (q.size() > 12) q[12 + rng() % (q.size() - 12)] ^= 0xc0;
          break;
      }
      if (q.empty()) break;
    }
    for (size_t bufsize : {512u, 65535u}) {
      std::vector<uint8_t> out(bufsize);
      net::Peer peer;
      peer.tcp = bufsize > 512;
      size_t n = s.engine().handle(q, out, peer);
      if (n == 0) continue;
      ++answered;
      ASSERT_LE(n, bufsize);
      out.resize(n);
      dns::MessageView v;
      ASSERT_EQ(v.parse(out), dns::WireError::ok) << i;
      EXPECT_TRUE(v.header().qr);
      EXPECT_EQ(v.header().id, dns::get_u16(q.data()));
      ASSERT_GE(q.size(), 12u);
      EXPECT_FALSE(q[2] & 0x80) << "answered a response";
    }
  }
  EXPECT_GT(answered, 1000u);
}

TEST(AuthRobustness, SnapshotSwapsWhileAnswering) {
  auto v1 = make_zone("example.com", kZone);
  zone::ZoneSetHolder holder(std::make_shared<const zone::ZoneSet>(std::vector{v1}));
  std::atomic<bool> stop{false};
  std::atomic<size_t> good{0}, bad{0};
  auto reader = [&] {
    AuthEngine e(holder);
    auto q = make_query("www.example.com", A);
    std::vector<uint8_t> out(512);
    net::Peer peer;
    while (!stop.load()) {
      e.begin_batch();
      for (int k = 0; k < 64; ++k) {
        size_t n = e.handle(q, out, peer);
        dns::MessageView v;
        if (n && v.parse(std::span<const uint8_t>(out.data(), n)) == dns::WireError::ok &&
            v.header().ancount == 1)
          ++good;
        else
          ++bad;
      }
      e.end_batch();
    }
  };
  std::thread t1(reader), t2(reader);
  while (good.load() == 0 && bad.load() == 0) std::this_thread::yield();
  auto cur = v1;
  for (int i = 0; i < 300; ++i) {
    zone::ZoneDiff d;
    d.added.push_back(
        {N("n" + std::to_string(i) + ".example.com"), A, dns::rrclass::IN, 60, {10, 0, 0, 1}});
    cur = *cur->apply(d);
    holder.publish(std::make_shared<const zone::ZoneSet>(std::vector{cur}));
  }
  size_t seen = good.load();
  while (good.load() < seen + 1000 && bad.load() == 0) std::this_thread::yield();
  stop = true;
  t1.join();
  t2.join();
  EXPECT_EQ(bad.load(), 0u);
  EXPECT_GT(good.load(), 0u);
  EXPECT_EQ(cur->record_count(), v1->record_count() + 300);
  holder.reclaim();
}

TEST(AuthRobustness, NoZonesMeansRefused) {
  Server s({});
  auto r = s.ask("www.example.com", A);
  EXPECT_EQ(r.rcode, dns::rcode::REFUSED);
}

}  // namespace
}  // namespace namae::auth::authtest

namespace namae::auth::authtest {
namespace {

TEST(AuthMetrics, CountsQueriesPerZone) {
  net::MetricsRegistry registry;
  net::WorkerMetrics* worker = registry.add_worker();
  zone::ZoneSetHolder holder(std::make_shared<const zone::ZoneSet>(
      std::vector{make_zone("example.com", kZone), make_zone("example.net", kZone)}));
  AuthEngine e(holder, AuthOptions{}, worker);
  std::vector<uint8_t> out(512);
  net::Peer peer;
  for (const char* n : {"www.example.com", "nope.example.com", "www.example.net", "x.org"})
    e.handle(make_query(n, dns::rrtype::A), out, peer);
  std::string text = registry.render();
  EXPECT_NE(text.find("namae_zone_queries_total{zone=\"example.com\"} 2"), std::string::npos)
      << text;
  EXPECT_NE(text.find("namae_zone_queries_total{zone=\"example.net\"} 1"), std::string::npos);
}

}  // namespace
}  // namespace namae::auth::authtest
