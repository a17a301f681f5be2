// The iterator against a scripted hierarchy (fake_net.h): referrals, glue,
// glueless NS, CNAME/DNAME across zones, RFC 2317, minimisation, caching,
// failover, TC->TCP, EDNS fallback and spoofed replies, all with fake time.
#include <gtest/gtest.h>

#include "dns/rrtype.h"
#include "dns/edns.h"
#include "resolver/resolver.h"
#include "fake_net.h"

namespace namae::resolver {
namespace {

using test::FakeNet;
namespace rrtype = dns::rrtype;

dns::Name N(const char* t) { return *dns::Name::from_text(t); }

constexpr const char* kHints = ". 3600000 NS a.root-servers.test.\n"
                               "a.root-servers.test. 3600000 A 198.51.100.1\n";

std::string big_txt() {
  std::string s;
  for (int i = 0; i < 40; ++i)
    s += "big 300 TXT \"" + std::string(60, static_cast<char>('a' + i % 26)) + std::to_string(i) + "\"\n";
  return s;
}

struct World {
  FakeClock clock;
  FakeNet net{clock};
  Cache cache{CacheOptions{}, clock};
  Infra infra{clock};
  std::unique_ptr<Resolver> resolver;

  explicit World(ResolverOptions opt = {}) {
    net.add("198.51.100.1").zones = test::make_zones({{".", R"(
$TTL 86400
. SOA a.root-servers.test. hostmaster.test. 1 1800 900 604800 3600
. 518400 NS a.root-servers.test.
a.root-servers.test. 518400 A 198.51.100.1
test. 172800 NS ns1.test.
test. 172800 NS ns2.test.
ns1.test. 172800 A 198.51.100.2
ns2.test. 172800 A 198.51.100.3
arpa. 172800 NS ns.arpa-servers.test.
)"}});
    auto test_zone = test::make_zones({{"test.", R"(
$TTL 3600
@ SOA ns1.test. hostmaster.test. 1 1800 900 604800 300
@ NS ns1.test.
@ NS ns2.test.
ns1 A 198.51.100.2
ns2 A 198.51.100.3
a.root-servers A 198.51.100.1
ns.arpa-servers A 198.51.100.4
ns.rev A 198.51.100.6
ns.classless A 198.51.100.7
example NS ns.example
ns.example A 198.51.100.5
alias CNAME www.example.test.
dn DNAME example.test.
)"}});
    net.add("198.51.100.2").zones = test_zone;
    net.add("198.51.100.3").zones = test_zone;
    net.add("198.51.100.5").zones = test::make_zones({{"example.test.", R"(
$TTL 300
@ SOA ns hostmaster 1 1800 900 604800 60
@ NS ns
ns A 198.51.100.5
www A 192.0.2.80
x.y.z A 192.0.2.81
)" + big_txt()}});
    net.add("198.51.100.4").zones = test::make_zones({{"arpa.", R"(
$TTL 3600
@ SOA ns.arpa-servers.test. h.test. 1 1800 900 604800 300
@ NS ns.arpa-servers.test.
2.0.192.in-addr NS ns.rev.test.
)"}});
    net.add("198.51.100.6").zones = test::make_zones({{"2.0.192.in-addr.arpa.", R"(
$TTL 3600
@ SOA ns.rev.test. h.test. 1 1800 900 604800 300
@ NS ns.rev.test.
1 PTR one.example.test.
5 CNAME 5.0/26
0/26 NS ns.classless.test.
)"}});
    net.add("198.51.100.7").zones = test::make_zones({{"0/26.2.0.192.in-addr.arpa.", R"(
$TTL 3600
@ SOA ns.classless.test. h.test. 1 1800 900 604800 300
@ NS ns.classless.test.
5 PTR five.example.test.
)"}});
    auto hints = parse_root_hints(kHints, "hints");
    EXPECT_TRUE(hints.ok());
    opt.do_not_query_localhost = false;
    resolver = std::make_unique<Resolver>(opt, *hints, cache, infra, net, clock);
  }

  Answer resolve(const char* name, uint16_t type) { return resolver->resolve(N(name), type); }
};

std::string first_rdata(const Answer& a, uint16_t type) {
  for (const auto& e : a.chain)
    if (e->rrset.type == type) return dns::rdata::to_text(type, e->rrset.rdata.front());
  return "";
}

TEST(Resolver, FollowsReferralsWithGlueAndCachesTheAnswer) {
  World w;
  Answer a = w.resolve("www.example.test.", rrtype::A);
  EXPECT_EQ(a.rcode, dns::rcode::NOERROR);
  EXPECT_EQ(first_rdata(a, rrtype::A), "192.0.2.80");
  EXPECT_FALSE(a.from_cache);
  EXPECT_GT(a.upstream_queries, 2);
  // Every upstream query went out with RD=0 and EDNS.
  for (const auto& q : w.net.log) EXPECT_TRUE(q.edns);
  size_t before = w.net.log.size();
  w.clock.advance_ms(10'000);
  Answer b = w.resolve("www.example.test.", rrtype::A);
  EXPECT_TRUE(b.from_cache);
  EXPECT_EQ(b.upstream_queries, 0);
  EXPECT_EQ(w.net.log.size(), before);
  // TTL counted down from 300.
  int64_t now = w.clock.now_ms();
  EXPECT_LE(b.chain.front()->ttl_left(now), 291u);
  EXPECT_GE(b.chain.front()->ttl_left(now), 289u);
}

TEST(Resolver, QnameMinimisationShowsEachZoneOneLabelMore) {
  World w;
  ASSERT_EQ(w.resolve("x.y.z.example.test.", rrtype::A).rcode, dns::rcode::NOERROR);
  for (const auto& q : w.net.log) {
    if (q.server == "198.51.100.1") {
      EXPECT_TRUE(q.qname == "test." || q.qname == ".") << q.qname;
    }
    if (q.server == "198.51.100.2" || q.server == "198.51.100.3") {
      EXPECT_EQ(q.qname, "example.test.");
    }
  }
  // Empty non-terminals y and z.y inside example.test are walked label by label.
  bool full = false;
  for (const auto& q : w.net.log) full |= q.qname == "x.y.z.example.test." && q.qtype == rrtype::A;
  EXPECT_TRUE(full);
}

TEST(Resolver, WithoutMinimisationTheFullNameGoesToTheRoot) {
  ResolverOptions o;
  o.qname_minimisation = false;
  World w(o);
  ASSERT_EQ(w.resolve("www.example.test.", rrtype::A).rcode, dns::rcode::NOERROR);
  bool root_saw_full = false;
  for (const auto& q : w.net.log)
    root_saw_full |= q.server == "198.51.100.1" && q.qname == "www.example.test.";
  EXPECT_TRUE(root_saw_full);
}

TEST(Resolver, NxdomainIsCachedWithItsSoa) {
  World w;
  Answer a = w.resolve("nope.example.test.", rrtype::A);
  EXPECT_EQ(a.rcode, dns::rcode::NXDOMAIN);
  ASSERT_TRUE(a.negative);
  ASSERT_TRUE(a.negative->soa);
  EXPECT_EQ(a.negative->soa->owner, N("example.test."));
  EXPECT_EQ(a.negative->original_ttl, 60u);  // min(SOA TTL 300, MINIMUM 60)
  Answer b = w.resolve("nope.example.test.", rrtype::AAAA);
  EXPECT_EQ(b.rcode, dns::rcode::NXDOMAIN);
  EXPECT_TRUE(b.from_cache);
  w.clock.advance_ms(61'000);
  size_t before = w.net.log.size();
  EXPECT_EQ(w.resolve("nope.example.test.", rrtype::A).rcode, dns::rcode::NXDOMAIN);
  EXPECT_GT(w.net.log.size(), before);  // expired: asked again
}

TEST(Resolver, NothingExistsBelowACachedNxdomain) {
  World w;
  ASSERT_EQ(w.resolve("gone.example.test.", rrtype::A).rcode, dns::rcode::NXDOMAIN);
  size_t before = w.net.log.size();
  Answer a = w.resolve("deep.below.gone.example.test.", rrtype::A);
  EXPECT_EQ(a.rcode, dns::rcode::NXDOMAIN);  // RFC 8020
  EXPECT_TRUE(a.from_cache);
  EXPECT_EQ(w.net.log.size(), before);
}

TEST(Resolver, AnyGivesWhatTheAuthorityHasAndIsNotCachedAsAny) {
  World w;
  Answer a = w.resolve("ns.example.test.", rrtype::ANY);
  EXPECT_EQ(a.rcode, dns::rcode::NOERROR);
  EXPECT_EQ(first_rdata(a, rrtype::A), "198.51.100.5");
  EXPECT_FALSE(a.negative);
  EXPECT_FALSE(w.cache.lookup(N("ns.example.test."), rrtype::ANY));
}

TEST(Resolver, NodataIsCachedPerType) {
  World w;
  Answer a = w.resolve("www.example.test.", rrtype::MX);
  EXPECT_EQ(a.rcode, dns::rcode::NOERROR);
  EXPECT_TRUE(a.chain.empty());
  ASSERT_TRUE(a.negative);
  EXPECT_EQ(a.negative->kind, EntryKind::nodata);
  EXPECT_TRUE(w.resolve("www.example.test.", rrtype::MX).from_cache);
  EXPECT_FALSE(w.resolve("www.example.test.", rrtype::A).from_cache);
}

TEST(Resolver, CnameChainAcrossZones) {
  World w;
  Answer a = w.resolve("alias.test.", rrtype::A);
  EXPECT_EQ(a.rcode, dns::rcode::NOERROR);
  ASSERT_EQ(a.chain.size(), 2u);
  EXPECT_EQ(a.chain[0]->rrset.type, rrtype::CNAME);
  EXPECT_EQ(first_rdata(a, rrtype::A), "192.0.2.80");
  Answer b = w.resolve("alias.test.", rrtype::A);
  EXPECT_TRUE(b.from_cache);
  EXPECT_EQ(b.chain.size(), 2u);
}

TEST(Resolver, DnameSynthesis) {
  World w;
  Answer a = w.resolve("www.dn.test.", rrtype::A);
  EXPECT_EQ(a.rcode, dns::rcode::NOERROR);
  EXPECT_EQ(first_rdata(a, rrtype::A), "192.0.2.80");
  EXPECT_EQ(first_rdata(a, rrtype::CNAME), "www.example.test.");
  EXPECT_EQ(first_rdata(a, rrtype::DNAME), "example.test.");
}

TEST(Resolver, GluelessReverseAndRfc2317) {
  World w;
  Answer a = w.resolve("1.2.0.192.in-addr.arpa.", rrtype::PTR);
  EXPECT_EQ(a.rcode, dns::rcode::NOERROR);
  EXPECT_EQ(first_rdata(a, rrtype::PTR), "one.example.test.");
  // arpa's server name had no glue: its address was looked up through test.
  EXPECT_GT(w.net.count_to("198.51.100.4"), 0u);
  Answer b = w.resolve("5.2.0.192.in-addr.arpa.", rrtype::PTR);
  EXPECT_EQ(b.rcode, dns::rcode::NOERROR);
  EXPECT_EQ(first_rdata(b, rrtype::CNAME), "5.0/26.2.0.192.in-addr.arpa.");
  EXPECT_EQ(first_rdata(b, rrtype::PTR), "five.example.test.");
  EXPECT_GT(w.net.count_to("198.51.100.7"), 0u);
}

// A CNAME whose target lies in a child zone comes with the child's
// delegation (as NSD and namaed's engine send it): the CNAME is followed
// straight to the child's servers, no minimised question for the cut.
TEST(Resolver, CnameAnswerCarryingTheTargetsDelegationIsAReferral) {
  World w;
  ASSERT_EQ(w.resolve("5.2.0.192.in-addr.arpa.", rrtype::PTR).rcode, dns::rcode::NOERROR);
  size_t cut_asked = 0;
  for (const auto& q : w.net.log) cut_asked += q.qname == "0/26.2.0.192.in-addr.arpa.";
  EXPECT_EQ(cut_asked, 0u);
  EXPECT_EQ(w.net.count_to("198.51.100.7"), 1u);
}

TEST(Resolver, FailsOverToAnotherServerOnTimeout) {
  World w;
  w.net.server("198.51.100.2").dead = true;
  for (const char* n : {"www.example.test.", "alias.test."}) {
    Answer a = w.resolve(n, rrtype::A);
    EXPECT_EQ(a.rcode, dns::rcode::NOERROR) << n;
  }
  // Later questions prefer the server that answers.
  w.cache.flush(N("test."));
  size_t dead_before = w.net.count_to("198.51.100.2");
  for (int i = 0; i < 5; ++i) {
    w.cache.flush(N("example.test."));
    EXPECT_EQ(w.resolve("www.example.test.", rrtype::A).rcode, dns::rcode::NOERROR);
  }
  EXPECT_LE(w.net.count_to("198.51.100.2") - dead_before, 1u);
  EXPECT_GT(w.infra.info(test::ep4("198.51.100.2")).timeouts, 0);
}

TEST(Resolver, AllServersDownIsServfail) {
  World w;
  w.net.server("198.51.100.2").dead = true;
  w.net.server("198.51.100.3").refuse_port = true;
  Answer a = w.resolve("www.example.test.", rrtype::A);
  EXPECT_EQ(a.rcode, dns::rcode::SERVFAIL);
  EXPECT_LE(a.upstream_queries, 8);
  EXPECT_EQ(a.ede, dns::ede::NO_REACHABLE_AUTHORITY);
}

TEST(Resolver, NoEdeOnAnAnswer) {
  World w;
  w.net.server("198.51.100.1").dead = true;  // the root times out: nothing else can be asked
  Answer a = w.resolve("www.example.test.", rrtype::A);
  EXPECT_EQ(a.rcode, dns::rcode::SERVFAIL);
  EXPECT_EQ(a.ede, dns::ede::NO_REACHABLE_AUTHORITY);
  World ok;
  Answer b = ok.resolve("www.example.test.", rrtype::A);
  EXPECT_EQ(b.rcode, dns::rcode::NOERROR);
  EXPECT_EQ(b.ede, 0xffff);
}

TEST(Resolver, AQuestionEndsAtTheResolutionTimeout) {
  // Servers that answer, but each after 900 ms: the question must end by
  // its 2.5 s deadline, however many servers remain to be tried.
  World w;
  for (const char* s : {"198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.5"})
    w.net.server(s).rtt_ms = 900;
  const int64_t t0 = w.clock.now_ms();
  Answer a = w.resolve("www.example.test.", rrtype::A);
  EXPECT_LE(w.clock.now_ms() - t0, 2500 + 900);
  if (a.rcode == dns::rcode::SERVFAIL) {
    EXPECT_EQ(a.ede, dns::ede::NO_REACHABLE_AUTHORITY);
  } else {
    EXPECT_EQ(a.rcode, dns::rcode::NOERROR);  // it made it in time: fine too
  }
  // With a tighter budget it cannot.
  ResolverOptions tight;
  tight.resolution_timeout_ms = 1000;
  World t(tight);
  for (const char* s : {"198.51.100.1", "198.51.100.2", "198.51.100.3", "198.51.100.5"})
    t.net.server(s).rtt_ms = 900;
  const int64_t t1 = t.clock.now_ms();
  Answer b = t.resolve("www.example.test.", rrtype::A);
  EXPECT_EQ(b.rcode, dns::rcode::SERVFAIL);
  EXPECT_EQ(b.ede, dns::ede::NO_REACHABLE_AUTHORITY);
  EXPECT_LE(t.clock.now_ms() - t1, 1000 + 900);
}

TEST(Resolver, TruncatedAnswerIsRetriedOverTcp) {
  World w;
  Answer a = w.resolve("big.example.test.", rrtype::TXT);
  EXPECT_EQ(a.rcode, dns::rcode::NOERROR);
  ASSERT_FALSE(a.chain.empty());
  EXPECT_EQ(a.chain.back()->rrset.rdata.size(), 40u);
  bool tcp = false;
  for (const auto& q : w.net.log) tcp |= q.tcp && q.qname == "big.example.test.";
  EXPECT_TRUE(tcp);
}

TEST(Resolver, EdnsFallbackForOldServers) {
  World w;
  w.net.server("198.51.100.5").formerr_on_edns = true;
  Answer a = w.resolve("www.example.test.", rrtype::A);
  EXPECT_EQ(a.rcode, dns::rcode::NOERROR);
  EXPECT_TRUE(w.infra.edns_broken(test::ep4("198.51.100.5")));
  bool plain = false;
  for (const auto& q : w.net.log) plain |= q.server == "198.51.100.5" && !q.edns;
  EXPECT_TRUE(plain);
}

// A server of example.test that answers with the wrong question (a spoofed
// or misrouted reply): ignored, the other behaviour is not cached.
TEST(Resolver, MismatchedQuestionIsIgnored) {
  World w;
  auto real = w.net.server("198.51.100.5").zones;
  w.net.server("198.51.100.5").script = [real](std::span<const uint8_t> q, bool tcp) {
    // Answer a different question than the one asked.
    dns::MessageView v;
    v.parse(q);
    uint8_t buf[512];
    dns::MessageBuilder b(buf, sizeof buf);
    b.header() = v.header();
    b.header().qr = true;
    b.header().aa = true;
    b.add_question(N("evil.example.test."), rrtype::A, 1);
    uint8_t addr[4] = {6, 6, 6, 6};
    b.add_record(v.qname(), rrtype::A, 1, 300, addr);
    size_t n = b.finish();
    return std::vector<uint8_t>(buf, buf + n);
  };
  Answer a = w.resolve("www.example.test.", rrtype::A);
  EXPECT_EQ(a.rcode, dns::rcode::SERVFAIL);
  EXPECT_FALSE(w.cache.lookup(N("www.example.test."), rrtype::A));
  EXPECT_FALSE(w.cache.lookup(N("evil.example.test."), rrtype::A));
}

// Out-of-bailiwick data in a referral and an answer is never cached.
TEST(Resolver, OutOfBailiwickRecordsAreNotCached) {
  World w;
  auto zones = w.net.server("198.51.100.2").zones;
  auto poison = [zones](std::span<const uint8_t> q, bool tcp) {
    std::vector<uint8_t> out(4096);
    auth::AuthEngine e(*new zone::ZoneSetHolder());  // leaked once per test, fine
    size_t n = e.answer(*zones, q, out, tcp);
    out.resize(n);
    // Append a forged A for a name outside test. to additional.
    dns::MessageView v;
    v.parse(out);
    std::vector<uint8_t> buf(4096);
    dns::MessageBuilder b(buf, buf.size());
    b.header() = v.header();
    b.add_question(v.qname(), v.qtype(), v.qclass());
    for (auto s : {dns::Section::answer, dns::Section::authority, dns::Section::additional}) {
      b.begin(s);
      auto c = v.records(s);
      dns::RecordView rr;
      while (c.next(rr)) {
        if (rr.type == rrtype::OPT) continue;
        dns::RdataBytes rd;
        dns::rdata::decode(rr.type, v.data(), rr.rdata_offset, rr.rdlength, rd);
        b.add_record(v.owner(rr), rr.type, rr.rclass, rr.ttl, rd);
      }
    }
    uint8_t addr[4] = {6, 6, 6, 6};
    b.begin(dns::Section::answer);
    b.begin(dns::Section::additional);
    b.add_record(N("www.victim.example."), rrtype::A, 1, 300, addr);
    b.add_record(N("ns.example.test."), rrtype::A, 1, 300, addr);  // in bailiwick, but is it glue?
    buf.resize(b.finish());
    return buf;
  };
  w.net.server("198.51.100.2").script = poison;
  w.net.server("198.51.100.3").script = poison;
  Answer a = w.resolve("www.example.test.", rrtype::A);
  EXPECT_EQ(a.rcode, dns::rcode::NOERROR);
  EXPECT_FALSE(w.cache.lookup(N("www.victim.example."), rrtype::A));
}

// An NXNS-style delegation to many glueless names is bounded.
TEST(Resolver, GluelessFanOutIsLimited) {
  World w;
  std::string text = "$TTL 300\n@ SOA ns h 1 1 1 1 1\n@ NS ns\nns A 198.51.100.5\n";
  for (int i = 0; i < 50; ++i) text += "evil NS n" + std::to_string(i) + ".nowhere.test.\n";
  w.net.server("198.51.100.5").zones = test::make_zones({{"example.test.", text}});
  Answer a = w.resolve("www.evil.example.test.", rrtype::A);
  EXPECT_EQ(a.rcode, dns::rcode::SERVFAIL);
  EXPECT_LE(a.upstream_queries, 30);
}

TEST(Resolver, ServeStaleWhenUpstreamFails) {
  FakeClock clock;
  World w;
  CacheOptions co;
  co.serve_stale = true;
  Cache stale_cache(co, w.clock);
  ResolverOptions ro;
  ro.do_not_query_localhost = false;
  Resolver r(ro, *parse_root_hints(kHints, "h"), stale_cache, w.infra, w.net, w.clock);
  ASSERT_EQ(r.resolve(N("www.example.test."), rrtype::A).rcode, dns::rcode::NOERROR);
  w.clock.advance_ms(400'000);
  w.net.server("198.51.100.5").dead = true;
  Answer a = r.resolve(N("www.example.test."), rrtype::A);
  EXPECT_EQ(a.rcode, dns::rcode::NOERROR);
  EXPECT_TRUE(a.stale);
}

TEST(Resolver, LocalhostServersAreSkippedByDefault) {
  FakeClock clock;
  FakeNet net(clock);
  Cache cache(CacheOptions{}, clock);
  Infra infra(clock);
  auto hints = parse_root_hints(". 1 NS a.root.\na.root. 1 A 127.0.0.1\n", "h");
  Resolver r(ResolverOptions{}, *hints, cache, infra, net, clock);
  EXPECT_EQ(r.resolve(N("x.test."), rrtype::A).rcode, dns::rcode::SERVFAIL);
  EXPECT_TRUE(net.log.empty());
}

}  // namespace
}  // namespace namae::resolver

namespace namae::resolver {
namespace {

// Servers that reply with damaged versions of their real answers (bits
// flipped, cut short, random octets after a valid header): resolution ends
// (answer, NXDOMAIN or SERVFAIL) within its budget, and no positive data is
// cached for names outside the zones asked.
TEST(Resolver, SurvivesDamagedReplies) {
  uint32_t seed = 12345;
  auto rnd = [&seed] {
    seed = seed * 1103515245 + 12345;
    return (seed >> 16) & 0x7fff;
  };
  for (int round = 0; round < 200; ++round) {
    World w;
    for (const char* addr : {"198.51.100.2", "198.51.100.3", "198.51.100.5"}) {
      auto zones = w.net.server(addr).zones;
      w.net.server(addr).script = [zones, &rnd](std::span<const uint8_t> q, bool tcp) {
        std::vector<uint8_t> out(65535);
        zone::ZoneSetHolder holder;
        auth::AuthEngine e(holder);
        out.resize(e.answer(*zones, q, out, tcp));
        switch (rnd() % 4) {
          case 0:
            for (int i = 0; i < 3 && !out.empty(); ++i) out[rnd() % out.size()] ^= 1 << (rnd() % 8);
            break;
          case 1:
            out.resize(rnd() % (out.size() + 1));
            break;
          case 2:
            for (size_t i = 12; i < out.size(); ++i) out[i] = static_cast<uint8_t>(rnd());
            break;
          default:
            break;  // an intact reply now and then
        }
        return out;
      };
    }
    Answer a = w.resolve(round % 2 ? "www.example.test." : "alias.test.", rrtype::A);
    EXPECT_TRUE(a.rcode == dns::rcode::NOERROR || a.rcode == dns::rcode::SERVFAIL ||
                a.rcode == dns::rcode::NXDOMAIN)
        << a.rcode;
    EXPECT_LE(a.upstream_queries, ResolverOptions{}.max_upstream_queries);
    std::string dump = w.cache.dump(dns::Name());
    for (size_t pos = 0; pos < dump.size();) {
      size_t nl = dump.find('\n', pos);
      std::string owner = dump.substr(pos, dump.find(' ', pos) - pos);
      auto n = dns::Name::from_text(owner);
      ASSERT_TRUE(n.ok()) << owner;
      // Positive data only for names of the hierarchy's zones; a damaged
      // CNAME target may legitimately lead to a negative answer from the root.
      std::string line = dump.substr(pos, nl - pos);
      bool negative = line.find("; NXDOMAIN") != std::string::npos ||
                      line.find("; NODATA") != std::string::npos;
      EXPECT_TRUE(negative || n->is_subdomain_of(N("test.")) || n->is_root()) << line;
      pos = nl + 1;
    }
  }
}

TEST(Resolver, BuiltInRootHintsAreIanas) {
  const RootHints& h = builtin_root_hints();
  ASSERT_EQ(h.ns_names.size(), 13u);
  EXPECT_EQ(h.ns_names.front(), N("a.root-servers.net."));
  EXPECT_EQ(h.ns_names.back(), N("m.root-servers.net."));
  EXPECT_EQ(h.addresses.size(), 26u);  // an A and an AAAA RRset each
  auto a = h.endpoints_of(N("A.ROOT-SERVERS.NET."), 53);
  ASSERT_EQ(a.size(), 2u);
  EXPECT_EQ(a[0].to_string(), "198.41.0.4:53");
  EXPECT_EQ(a[1].to_string(), "[2001:503:ba3e::2:30]:53");
  auto m = h.endpoints_of(N("m.root-servers.net."), 53);
  ASSERT_EQ(m.size(), 2u);
  EXPECT_EQ(m[0].to_string(), "202.12.27.33:53");
  for (const auto& rs : h.addresses) EXPECT_EQ(rs.ttl, 3600000u);
}

}  // namespace
}  // namespace namae::resolver
