// Local zones (the LocalAuthority seam), stub and forward domains, over the
// scripted network of fake_net.h: where each question goes, with which
// flags, what is cached, failover between forwarders.
#include <gtest/gtest.h>

#include "auth/engine.h"
#include "dns/message.h"
#include "dns/rrtype.h"
#include "fake_net.h"
#include "resolver/resolver.h"
#include "resolver/service.h"

namespace namae::resolver {
namespace {

using test::FakeNet;
namespace rrtype = dns::rrtype;

dns::Name N(const char* t) { return *dns::Name::from_text(t); }

constexpr const char* kHints = ". 3600000 NS a.root.\na.root. 3600000 A 198.51.100.1\n";

constexpr const char* kTestZone = R"(
$TTL 3600
@ SOA ns hostmaster 1 1800 900 604800 300
@ NS ns
ns A 198.51.100.2
www A 192.0.2.80
corp NS ns.corp
ns.corp A 198.51.100.9
)";

constexpr const char* kCorpZone = R"(
$TTL 600
@ SOA ns hostmaster 1 1800 900 604800 60
@ NS ns
ns A 10.0.0.53
www A 10.1.1.1
sub NS ns.sub
ns.sub A 10.0.0.54
)";

constexpr const char* kHomeZone = R"(
$TTL 300
@ SOA ns hostmaster 1 1800 900 604800 30
@ NS ns
ns A 10.9.9.9
laptop A 10.9.0.5
alias CNAME www.test.
kids NS ns.kids
ns.kids A 198.51.100.20
)";

// A recursive server: answers from `zones` as if it had resolved them
// (AA=0, RA=1), whatever RD says.
std::function<std::vector<uint8_t>(std::span<const uint8_t>, bool)> recursive(
    std::shared_ptr<const zone::ZoneSet> zones) {
  return [zones](std::span<const uint8_t> query, bool tcp) {
    zone::ZoneSetHolder none;
    auth::AuthEngine engine(none);
    std::vector<uint8_t> reply(65535);
    reply.resize(engine.answer(*zones, query, reply, tcp));
    if (reply.size() >= 4) {
      reply[2] &= ~0x04;  // AA
      reply[3] |= 0x80;   // RA
    }
    return reply;
  };
}

// The zones served "here", as the daemon's ServedZones gives them.
struct FakeLocal final : LocalAuthority {
  std::shared_ptr<const zone::ZoneSet> zones;
  zone::ZoneSetHolder none;
  std::optional<dns::Name> zone_of(const dns::Name& name) override {
    const zone::ZoneVersion* z = zones->find(name);
    return z ? std::optional<dns::Name>(z->origin()) : std::nullopt;
  }
  size_t answer(std::span<const uint8_t> query, std::span<uint8_t> out, const net::Peer& client) override {
    auth::AuthEngine engine(none);
    return engine.answer(*zones, query, out, client.tcp);
  }
};

std::string home_zone(const char* laptop) {
  std::string z = kHomeZone;
  z.replace(z.find("10.9.0.5"), 8, laptop);
  return z;
}

// The world: root and test. on the "internet", corp.test's internal
// servers (only a stub reaches them), forwarders, and home.test served here.
void build_network(FakeNet& net, FakeLocal& local) {
  net.add("198.51.100.1").zones = test::make_zones({{".", R"(
$TTL 86400
. SOA a.root. h.root. 1 1800 900 604800 3600
. NS a.root.
a.root. A 198.51.100.1
test. NS ns.test.
ns.test. A 198.51.100.2
)"}});
  net.add("198.51.100.2").zones = test::make_zones({{"test.", kTestZone}});
  net.add("10.0.0.53").zones = test::make_zones({{"corp.test.", kCorpZone}});
  net.add("10.0.0.54").zones = test::make_zones({{"sub.corp.test.", R"(
$TTL 600
@ SOA ns hostmaster 1 1800 900 604800 60
@ NS ns
ns A 10.0.0.54
host A 10.2.2.2
)"}});
  net.add("198.51.100.20").zones = test::make_zones({{"kids.home.test.", R"(
$TTL 600
@ SOA ns hostmaster 1 1800 900 604800 60
@ NS ns
ns A 198.51.100.20
pc A 10.9.1.1
)"}});
  net.add("10.0.0.1").dead = true;
  // The forwarder knows test. with a poisoned www and a negative-answer SOA above sub.test.
  std::string poisoned = kTestZone;
  poisoned.replace(poisoned.find("192.0.2.80"), 10, "6.6.6.6");
  net.add("10.0.0.2").script = recursive(test::make_zones(
      {{"test.", poisoned + "fwd A 192.0.2.99\n"}, {"corp.test.", kCorpZone + std::string("alias CNAME www.test.\n")}}));
  local.zones = test::make_zones({{"home.test.", home_zone("10.9.0.5")}});
}

ZoneRoute route(const char* name, std::vector<const char*> servers, bool forward) {
  ZoneRoute r;
  r.name = N(name);
  r.forward = forward;
  for (const char* s : servers) r.servers.push_back(test::ep4(s, 5353));
  return r;
}

struct World {
  FakeClock clock;
  FakeNet net{clock};
  FakeLocal local;
  Cache cache{CacheOptions{}, clock};
  Infra infra{clock};
  std::unique_ptr<Resolver> resolver;

  explicit World(std::vector<ZoneRoute> routes = {}, bool with_local = false) {
    build_network(net, local);
    ResolverOptions opt;
    opt.routes = std::move(routes);
    auto hints = parse_root_hints(kHints, "hints");
    resolver = std::make_unique<Resolver>(opt, *hints, cache, infra, net, clock,
                                          with_local ? &local : nullptr);
  }
  Answer resolve(const char* name, uint16_t type = rrtype::A) { return resolver->resolve(N(name), type); }
  size_t asked(const char* addr) const { return net.count_to(addr); }
};

std::string last_rdata(const Answer& a) {
  if (a.chain.empty()) return "";
  const auto& rs = a.chain.back()->rrset;
  return dns::rdata::to_text(rs.type, rs.rdata.front());
}

TEST(ResolverZones, StubDomainGoesToItsServersWithRd0AndReferralsAreFollowed) {
  World w({route("corp.test.", {"10.0.0.53"}, false)});
  Answer a = w.resolve("host.sub.corp.test.");
  EXPECT_EQ(a.rcode, dns::rcode::NOERROR);
  EXPECT_EQ(last_rdata(a), "10.2.2.2");
  EXPECT_EQ(w.asked("198.51.100.1") + w.asked("198.51.100.2") + w.asked("198.51.100.9"), 0u);
  EXPECT_GE(w.asked("10.0.0.53"), 1u);
  EXPECT_GE(w.asked("10.0.0.54"), 1u);
  for (const auto& q : w.net.log) EXPECT_FALSE(q.rd) << q.server;
  // Names outside the stub domain go down from the root as before.
  EXPECT_EQ(last_rdata(w.resolve("www.test.")), "192.0.2.80");
  EXPECT_GE(w.asked("198.51.100.1"), 1u);
  // The stub's own answers are cached: no second question.
  size_t before = w.net.log.size();
  EXPECT_EQ(last_rdata(w.resolve("www.corp.test.")), "10.1.1.1");
  EXPECT_EQ(w.net.log.size(), before + 1);
  EXPECT_TRUE(w.resolve("www.corp.test.").from_cache);
}

TEST(ResolverZones, ForwardSendsTheWholeNameWithRd1AndTakesTheAnswer) {
  World w({route(".", {"10.0.0.2"}, true)});
  Answer a = w.resolve("fwd.test.");
  EXPECT_EQ(a.rcode, dns::rcode::NOERROR);
  EXPECT_EQ(last_rdata(a), "192.0.2.99");
  ASSERT_EQ(w.net.log.size(), 1u);
  EXPECT_EQ(w.net.log[0].server, "10.0.0.2");
  EXPECT_EQ(w.net.log[0].qname, "fwd.test.");  // no QNAME minimisation towards a forwarder
  EXPECT_TRUE(w.net.log[0].rd);
  // Negative answers too, with the forwarder's SOA.
  Answer nx = w.resolve("nope.test.");
  EXPECT_EQ(nx.rcode, dns::rcode::NXDOMAIN);
  ASSERT_TRUE(nx.negative && nx.negative->soa);
  EXPECT_EQ(nx.negative->soa->owner, N("test."));
  EXPECT_EQ(w.asked("198.51.100.1"), 0u);
}

TEST(ResolverZones, TheDeepestDomainDecides) {
  World w({route(".", {"10.0.0.2"}, true), route("corp.test.", {"10.0.0.53"}, false)});
  EXPECT_EQ(w.resolver->route_for(N("a.b.corp.test."))->name, N("corp.test."));
  EXPECT_EQ(w.resolver->route_for(N("corp.test."))->name, N("corp.test."));
  EXPECT_EQ(w.resolver->route_for(N("xcorp.test."))->name, N("."));
  EXPECT_EQ(last_rdata(w.resolve("www.corp.test.")), "10.1.1.1");
  EXPECT_EQ(w.asked("10.0.0.53"), 1u);
  EXPECT_EQ(w.asked("10.0.0.2"), 0u);
  EXPECT_EQ(last_rdata(w.resolve("fwd.test.")), "192.0.2.99");
  EXPECT_EQ(w.asked("10.0.0.2"), 1u);
  // DS lives in the parent: corp.test's DS goes to the forwarder (test.'s side).
  w.resolve("corp.test.", rrtype::DS);
  EXPECT_EQ(w.asked("10.0.0.53"), 1u);
}

TEST(ResolverZones, ForwardFailsOverFromADeadServerAndThenAvoidsIt) {
  World w({route(".", {"10.0.0.1", "10.0.0.2"}, true)});
  const char* names[] = {"fwd.test.", "www.test.", "ns.test.", "www.corp.test.", "nope.test."};
  for (const char* n : names) {
    int64_t start = w.clock.now_ms();
    Answer a = w.resolve(n);
    EXPECT_NE(a.rcode, dns::rcode::SERVFAIL) << n;
    EXPECT_LT(w.clock.now_ms() - start, 1500) << n;  // one timeout at most, well within the deadline
  }
  EXPECT_EQ(w.asked("10.0.0.2"), 5u);
  EXPECT_LE(w.asked("10.0.0.1"), 1u);  // after its timeout it is out of the band
  // Both dead: SERVFAIL saying no server could be reached.
  w.net.server("10.0.0.2").dead = true;
  Answer a = w.resolve("other.test.");
  EXPECT_EQ(a.rcode, dns::rcode::SERVFAIL);
  EXPECT_EQ(a.ede, dns::ede::NO_REACHABLE_AUTHORITY);
}

TEST(ResolverZones, ForwarderDataOutsideTheForwardedDomainIsResolvedAgain) {
  // The forwarder for corp.test. says alias.corp.test. is www.test., and
  // gives www.test. a poisoned address: outside its domain, it is not believed.
  World w({route("corp.test.", {"10.0.0.2"}, true)});
  Answer a = w.resolve("alias.corp.test.");
  EXPECT_EQ(a.rcode, dns::rcode::NOERROR);
  ASSERT_EQ(a.chain.size(), 2u);
  EXPECT_EQ(a.chain[0]->rrset.type, rrtype::CNAME);
  EXPECT_EQ(last_rdata(a), "192.0.2.80");
  EXPECT_GE(w.asked("198.51.100.2"), 1u);
}

TEST(ResolverZones, ForwardedNegativeAnswerMayCarryAnSoaAboveTheDomain) {
  World w({route("sub.test.", {"10.0.0.2"}, true)});
  Answer nx = w.resolve("x.sub.test.");
  EXPECT_EQ(nx.rcode, dns::rcode::NXDOMAIN);
  ASSERT_TRUE(nx.negative && nx.negative->soa);
  EXPECT_EQ(nx.negative->soa->owner, N("test."));
}

TEST(ResolverZones, LocalZoneIsAnsweredWithoutNetworkAndNeverCached) {
  World w({route(".", {"10.0.0.2"}, true), route("home.test.", {"10.0.0.53"}, false)}, true);
  Answer a = w.resolve("laptop.home.test.");
  EXPECT_EQ(a.rcode, dns::rcode::NOERROR);
  EXPECT_EQ(last_rdata(a), "10.9.0.5");
  EXPECT_EQ(a.upstream_queries, 0);
  EXPECT_TRUE(w.net.log.empty());  // the local zone wins over a stub of the same name
  EXPECT_EQ(w.cache.lookup(N("laptop.home.test."), rrtype::A), nullptr);
  // An update is seen by the next question.
  w.local.zones = test::make_zones({{"home.test.", home_zone("10.9.0.6")}});
  EXPECT_EQ(last_rdata(w.resolve("laptop.home.test.")), "10.9.0.6");
  Answer nx = w.resolve("gone.home.test.");
  EXPECT_EQ(nx.rcode, dns::rcode::NXDOMAIN);
  ASSERT_TRUE(nx.negative && nx.negative->soa);
  EXPECT_EQ(nx.negative->ttl_left(w.clock.now_ms()), 30u);  // min(SOA TTL, MINIMUM)
  EXPECT_EQ(w.cache.lookup(N("gone.home.test."), 0), nullptr);
  EXPECT_TRUE(w.net.log.empty());
}

TEST(ResolverZones, DelegationFromALocalZoneIsFollowedWithoutCachingIt) {
  World w({}, true);
  Answer a = w.resolve("pc.kids.home.test.");
  EXPECT_EQ(a.rcode, dns::rcode::NOERROR);
  EXPECT_EQ(last_rdata(a), "10.9.1.1");
  EXPECT_EQ(w.net.log.size(), w.asked("198.51.100.20"));
  EXPECT_EQ(w.cache.lookup(N("kids.home.test."), rrtype::NS), nullptr);
  EXPECT_EQ(w.cache.lookup(N("ns.kids.home.test."), rrtype::A), nullptr);
  // The child's own data is cached as any network answer.
  EXPECT_NE(w.cache.lookup(N("pc.kids.home.test."), rrtype::A), nullptr);
}

TEST(ResolverZones, CnameOutOfALocalZoneIsResolved) {
  World w({}, true);
  Answer a = w.resolve("alias.home.test.");
  EXPECT_EQ(a.rcode, dns::rcode::NOERROR);
  ASSERT_EQ(a.chain.size(), 2u);
  EXPECT_EQ(a.chain[0]->rrset.owner, N("alias.home.test."));
  EXPECT_EQ(last_rdata(a), "192.0.2.80");
  EXPECT_GE(w.asked("198.51.100.2"), 1u);
  EXPECT_EQ(w.cache.lookup(N("alias.home.test."), rrtype::CNAME), nullptr);
}

struct ServiceWorld {
  FakeClock clock;
  FakeNet net{clock};
  FakeLocal local;
  std::unique_ptr<ResolverService> service;

  ServiceWorld() {
    build_network(net, local);
    ServiceOptions o;
    o.local = &local;
    auto hints = parse_root_hints(kHints, "hints");
    service = std::make_unique<ResolverService>(o, *hints, net, clock);
  }
  dns::MessageView ask(const char* name, std::vector<uint8_t>& buf, bool rd = true) {
    return test::ask_service(*service, test::client_query(N(name), rrtype::A, 7, rd), test::client_peer(), buf);
  }
};

TEST(ResolverZones, ServiceAnswersALocalZoneAsItsEngineDoesWithRa) {
  ServiceWorld w;
  std::vector<uint8_t> buf;
  auto v = w.ask("laptop.home.test.", buf);
  EXPECT_EQ(v.header().id, 7);
  EXPECT_TRUE(v.header().aa);  // authoritative data, as BIND answers its own zones
  EXPECT_TRUE(v.header().ra);
  EXPECT_TRUE(v.header().rd);
  EXPECT_EQ(v.header().ancount, 1);
  EXPECT_GE(v.header().nscount, 1);  // the engine's authority section, unchanged
  EXPECT_TRUE(w.net.log.empty());
  w.local.zones = test::make_zones({{"home.test.", home_zone("10.9.0.7")}});
  auto v2 = w.ask("laptop.home.test.", buf);
  auto rr = v2.records(dns::Section::answer);
  dns::RecordView r;
  ASSERT_TRUE(rr.next(r));
  EXPECT_EQ(std::vector<uint8_t>(v2.data().begin() + r.rdata_offset, v2.data().begin() + r.rdata_offset + 4),
            (std::vector<uint8_t>{10, 9, 0, 7}));
  // RD=0 under a delegation: the engine's referral, as it stands.
  auto ref = w.ask("pc.kids.home.test.", buf, false);
  EXPECT_FALSE(ref.header().aa);
  EXPECT_EQ(ref.header().ancount, 0);
  EXPECT_GE(ref.header().nscount, 1);
  EXPECT_TRUE(w.net.log.empty());
  // RD=1: resolved through the referral; a CNAME out of the zone, followed.
  auto pc = w.ask("pc.kids.home.test.", buf);
  EXPECT_EQ(pc.header().ancount, 1);
  EXPECT_TRUE(pc.header().ra);
  auto alias = w.ask("alias.home.test.", buf);
  EXPECT_EQ(alias.header().ancount, 2);
  EXPECT_FALSE(alias.header().aa);  // part of the answer came from elsewhere
  EXPECT_NE(w.service->control("cache stats").find("served-here 3"), std::string::npos);
}

}  // namespace
}  // namespace namae::resolver
