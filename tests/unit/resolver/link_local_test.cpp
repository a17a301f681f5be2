// RFC 6762 22.1 and the RFC 8766-style bridge: multicast DNS names (.local,
// link-local reverse zones) never reach unicast servers — not from the
// resolver service, not from the stub library — and, with the bridge on,
// are answered from what an mDNS lookup returned (TTL capped, AA=0,
// negative answers with a synthesized SOA), on a resolution thread.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "dns/message.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "fake_net.h"
#include "resolver/link_local.h"
#include "resolver/service.h"
#include "resolver/stub.h"

namespace namae::resolver {
namespace {

namespace rrtype = dns::rrtype;
dns::Name N(const char* t) { return *dns::Name::from_text(t); }

struct World {
  FakeClock clock;
  test::FakeNet net{clock};
  std::unique_ptr<ResolverService> service;

  explicit World(ServiceOptions o = {}) {
    // A root that would answer anything (it serves local. and the reverse
    // zones): if a question leaked, the log would show it.
    net.add("198.51.100.1").zones = test::make_zones({{".", R"(
$TTL 86400
. SOA a.root. h.root. 1 1800 900 604800 3600
. NS a.root.
a.root. A 198.51.100.1
printer.local. A 192.0.2.7
)"}});
    o.resolver.do_not_query_localhost = false;
    auto hints = parse_root_hints(". 1 NS a.root.\na.root. 1 A 198.51.100.1\n", "h");
    service = std::make_unique<ResolverService>(o, *hints, net, clock);
  }

  std::vector<uint8_t> query(const char* name, uint16_t type, uint16_t id = 99) {
    return test::client_query(N(name), type, id);
  }
  net::Peer peer() { return test::client_peer(); }
  dns::MessageView ask(const char* name, uint16_t type, std::vector<uint8_t>& buf) {
    return test::ask_service(*service, query(name, type), peer(), buf);
  }
};

dns::RRset rr(const char* owner, uint16_t type, uint32_t ttl, const char* rdata_text) {
  dns::RRset r;
  r.owner = N(owner);
  r.type = type;
  r.ttl = ttl;
  std::vector<std::string> words;
  std::istringstream in(rdata_text);
  for (std::string w; in >> w;) words.push_back(w);
  std::vector<bool> quoted;
  for (auto& w : words) {
    quoted.push_back(w.size() >= 2 && w.front() == '"');
    if (quoted.back()) w = w.substr(1, w.size() - 2);
  }
  std::vector<dns::TextToken> toks;  // views into `words`
  for (size_t i = 0; i < words.size(); ++i) toks.push_back({words[i], quoted[i]});
  auto rd = dns::rdata::from_text(type, toks, dns::Name{});
  EXPECT_TRUE(rd.ok()) << rdata_text;
  r.rdata.push_back(*rd);
  return r;
}

std::vector<std::pair<uint16_t, uint32_t>> types_ttls(const dns::MessageView& v, dns::Section s) {
  std::vector<std::pair<uint16_t, uint32_t>> out;
  auto c = v.records(s);
  dns::RecordView r;
  while (c.next(r))
    if (r.type != rrtype::OPT) out.emplace_back(r.type, r.ttl);
  return out;
}

TEST(LinkLocal, Zones) {
  EXPECT_TRUE(is_link_local_name(N("local.")));
  EXPECT_TRUE(is_link_local_name(N("Printer.LOCAL.")));
  EXPECT_TRUE(is_link_local_name(N("_http._tcp.local.")));
  EXPECT_TRUE(is_link_local_name(N("7.1.254.169.in-addr.arpa.")));
  EXPECT_TRUE(is_link_local_name(N("1.0.0.0.8.e.f.ip6.arpa.")));
  EXPECT_TRUE(is_link_local_name(N("b.e.f.ip6.arpa.")));
  EXPECT_FALSE(is_link_local_name(N("c.e.f.ip6.arpa.")));  // fec0::/10, not link-local
  EXPECT_FALSE(is_link_local_name(N("local.example.")));
  EXPECT_FALSE(is_link_local_name(N("localhost.")));
  EXPECT_FALSE(is_link_local_name(N("1.168.192.in-addr.arpa.")));
  EXPECT_FALSE(is_link_local_name(N(".")));
  EXPECT_EQ(*link_local_zone(N("x.y.local.")), N("local."));
}

// Bridge off (the default): answered locally, nothing sent upstream, even
// with RFC 6303 empty zones turned off.
TEST(LinkLocal, NeverSentUpstreamWithoutBridge) {
  for (bool empty_zones : {true, false}) {
    ServiceOptions o;
    o.empty_zones = empty_zones;
    World w(o);
    std::vector<uint8_t> buf;
    for (const char* name : {"printer.local.", "_http._tcp.local.", "My Printer._ipp._tcp.local.",
                             "7.1.254.169.in-addr.arpa.", "1.0.0.0.0.0.0.0.0.0.0.0.0.8.e.f.ip6.arpa."}) {
      for (uint16_t t : {rrtype::A, rrtype::AAAA, rrtype::PTR, rrtype::SRV, rrtype::ANY}) {
        auto v = w.ask(name, t, buf);
        EXPECT_EQ(v.header().rcode, dns::rcode::NXDOMAIN) << name;
        EXPECT_TRUE(v.header().aa);
        EXPECT_TRUE(v.header().ra);
        auto auth = types_ttls(v, dns::Section::authority);
        ASSERT_EQ(auth.size(), 1u);
        EXPECT_EQ(auth[0].first, rrtype::SOA);
      }
    }
    auto apex = w.ask("local.", rrtype::SOA, buf);
    EXPECT_EQ(apex.header().rcode, dns::rcode::NOERROR);
    EXPECT_EQ(types_ttls(apex, dns::Section::answer).size(), 1u);
    EXPECT_TRUE(w.net.log.empty()) << w.net.log.size() << " upstream queries";
    EXPECT_NE(w.service->control("cache stats").find("mdns-names-answered-locally 26"), std::string::npos)
        << w.service->control("cache stats");
  }
}

ServiceOptions bridged(std::function<std::vector<dns::RRset>(const dns::Name&, uint16_t)> f,
                       std::atomic<int>* calls = nullptr) {
  ServiceOptions o;
  o.mdns_lookup = [f, calls](const dns::Name& n, uint16_t t) -> Result<std::vector<dns::RRset>> {
    if (calls) ++*calls;
    if (n == N("broken.local.")) return fail("no sockets");
    return f(n, t);
  };
  return o;
}

TEST(LinkLocal, BridgeAnswersAddressesWithCappedTtl) {
  std::vector<std::pair<std::string, uint16_t>> asked;
  std::mutex mu;
  World w(bridged([&](const dns::Name& n, uint16_t t) {
    std::lock_guard lock(mu);
    asked.emplace_back(n.to_text(), t);
    std::vector<dns::RRset> out;
    if (n == N("printer.local.")) {
      out.push_back(rr("printer.local.", rrtype::A, 120, "192.0.2.7"));
      out.push_back(rr("printer.local.", rrtype::A, 120, "192.0.2.8"));
      out.push_back(rr("printer.local.", rrtype::AAAA, 120, "2001:db8::7"));
      out.push_back(rr("printer.local.", rrtype::A, 120, "192.0.2.7"));  // duplicate from a 2nd link
    }
    return out;
  }));
  std::vector<uint8_t> buf;
  auto v = w.ask("printer.local.", rrtype::A, buf);
  EXPECT_EQ(v.header().rcode, dns::rcode::NOERROR);
  EXPECT_FALSE(v.header().aa);  // RFC 8766: a proxy, not the authority
  EXPECT_TRUE(v.header().ra);
  auto ans = types_ttls(v, dns::Section::answer);
  ASSERT_EQ(ans.size(), 2u);
  for (auto& [t, ttl] : ans) {
    EXPECT_EQ(t, rrtype::A);
    EXPECT_EQ(ttl, 10u);  // 120 capped
  }
  auto add = types_ttls(v, dns::Section::additional);
  ASSERT_EQ(add.size(), 1u);
  EXPECT_EQ(add[0].first, rrtype::AAAA);
  ASSERT_EQ(asked.size(), 1u);
  EXPECT_EQ(asked[0].first, "printer.local.");
  EXPECT_EQ(asked[0].second, rrtype::A);
  EXPECT_TRUE(w.net.log.empty());
  // Not cached: the next question asks the link again.
  w.ask("printer.local.", rrtype::A, buf);
  EXPECT_EQ(asked.size(), 2u);
}

TEST(LinkLocal, BridgeBrowseServiceAndReverse) {
  World w(bridged([](const dns::Name& n, uint16_t t) {
    std::vector<dns::RRset> out;
    if (n == N("_http._tcp.local.") && t == rrtype::PTR) {
      out.push_back(rr("_http._tcp.local.", rrtype::PTR, 4500, "Web._http._tcp.local."));
      out.push_back(rr("Web._http._tcp.local.", rrtype::SRV, 120, "0 0 8080 host.local."));
      out.push_back(rr("Web._http._tcp.local.", rrtype::TXT, 4500, "\"path=/\""));
      out.push_back(rr("host.local.", rrtype::A, 120, "192.0.2.9"));
    }
    if (n == N("Web._http._tcp.local.") && t == rrtype::TXT) {
      out.push_back(rr("Web._http._tcp.local.", rrtype::TXT, 4500, "\"path=/\""));
    }
    if (n == N("host.local.") && t == rrtype::AAAA) {
      // Only an IPv4 address: the responder says so with NSEC (RFC 6762 6.1).
      out.push_back(rr("host.local.", rrtype::NSEC, 120, "host.local. A"));
    }
    if (n == N("9.2.0.192.in-addr.arpa.") || n == N("7.1.254.169.in-addr.arpa."))
      out.push_back(rr(n.to_text().c_str(), rrtype::PTR, 120, "host.local."));
    return out;
  }));
  std::vector<uint8_t> buf;
  auto browse = w.ask("_http._tcp.local.", rrtype::PTR, buf);
  EXPECT_EQ(browse.header().rcode, dns::rcode::NOERROR);
  auto ans = types_ttls(browse, dns::Section::answer);
  ASSERT_EQ(ans.size(), 1u);
  EXPECT_EQ(ans[0], std::make_pair(rrtype::PTR, 10u));
  auto add = types_ttls(browse, dns::Section::additional);
  ASSERT_EQ(add.size(), 3u);  // SRV, TXT, A (RFC 6763 12.1)
  auto txt = w.ask("Web._http._tcp.local.", rrtype::TXT, buf);
  EXPECT_EQ(types_ttls(txt, dns::Section::answer), (std::vector<std::pair<uint16_t, uint32_t>>{{rrtype::TXT, 10u}}));
  // NODATA: the name exists (NSEC), not with this type; NSEC itself is not passed on.
  auto nodata = w.ask("host.local.", rrtype::AAAA, buf);
  EXPECT_EQ(nodata.header().rcode, dns::rcode::NOERROR);
  EXPECT_EQ(nodata.header().ancount, 0);
  EXPECT_EQ(types_ttls(nodata, dns::Section::additional).size(), 0u);
  auto auth = types_ttls(nodata, dns::Section::authority);
  ASSERT_EQ(auth.size(), 1u);
  EXPECT_EQ(auth[0], std::make_pair(rrtype::SOA, 10u));
  // Link-local reverse: bridged; other reverse zones keep their usual path.
  auto rev = w.ask("7.1.254.169.in-addr.arpa.", rrtype::PTR, buf);
  EXPECT_EQ(types_ttls(rev, dns::Section::answer), (std::vector<std::pair<uint16_t, uint32_t>>{{rrtype::PTR, 10u}}));
  // Nothing answered: NXDOMAIN with the synthesized SOA of local.
  auto nx = w.ask("nobody.local.", rrtype::A, buf);
  EXPECT_EQ(nx.header().rcode, dns::rcode::NXDOMAIN);
  EXPECT_FALSE(nx.header().aa);
  auto c = nx.records(dns::Section::authority);
  dns::RecordView soa;
  ASSERT_TRUE(c.next(soa));
  EXPECT_EQ(soa.type, rrtype::SOA);
  EXPECT_EQ(nx.owner(soa), N("local."));
  EXPECT_EQ(soa.ttl, 10u);
  // The lookup could not ask: SERVFAIL, not a false NXDOMAIN.
  EXPECT_EQ(w.ask("broken.local.", rrtype::A, buf).header().rcode, dns::rcode::SERVFAIL);
  EXPECT_TRUE(w.net.log.empty());
}

// The receiving worker never waits on multicast: a bridged question is
// deferred to a resolution thread and answered through the ReplyChannel.
class Capture final : public net::ReplySink {
 public:
  bool send(const net::Peer&, std::span<const uint8_t> r) override {
    std::lock_guard lock(mu);
    replies.emplace_back(r.begin(), r.end());
    return true;
  }
  size_t count() {
    std::lock_guard lock(mu);
    return replies.size();
  }
  std::mutex mu;
  std::vector<std::vector<uint8_t>> replies;
};

TEST(LinkLocal, BridgeRunsOnResolutionThreads) {
  std::atomic<int> calls{0};
  std::atomic<std::thread::id> lookup_thread{};
  World w(bridged(
      [&](const dns::Name&, uint16_t) {
        lookup_thread = std::this_thread::get_id();
        std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the multicast wait
        return std::vector<dns::RRset>{rr("printer.local.", rrtype::A, 120, "192.0.2.7")};
      },
      &calls));
  w.service->start();
  auto handler = w.service->make_handler(nullptr);
  auto sink = std::make_shared<Capture>();
  auto peer = w.peer();
  peer.sink = sink.get();
  auto q = w.query("printer.local.", rrtype::A, 31);
  std::vector<uint8_t> out(65535);
  auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(handler->handle(q, out, peer), net::kDeferred);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(100));
  for (int i = 0; i < 200 && sink->count() == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  w.service->stop();
  ASSERT_EQ(sink->count(), 1u);
  EXPECT_NE(lookup_thread.load(), std::this_thread::get_id());
  EXPECT_EQ(calls.load(), 1);
  dns::MessageView v;
  ASSERT_EQ(v.parse(sink->replies[0]), dns::WireError::ok);
  EXPECT_EQ(v.header().id, 31);
  EXPECT_EQ(v.header().ancount, 1);
  EXPECT_TRUE(w.net.log.empty());
}

// Clients asking the same question at once share one multicast query.
TEST(LinkLocal, IdenticalBridgedQuestionsShareOneQuery) {
  std::atomic<int> calls{0};
  World w(bridged(
      [&](const dns::Name&, uint16_t) {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        return std::vector<dns::RRset>{rr("printer.local.", rrtype::A, 120, "192.0.2.7")};
      },
      &calls));
  w.service->start();
  auto handler = w.service->make_handler(nullptr);
  auto sink = std::make_shared<Capture>();
  auto peer = w.peer();
  peer.sink = sink.get();
  std::vector<uint8_t> out(65535);
  for (uint16_t id = 1; id <= 4; ++id) {
    auto q = w.query(id % 2 ? "printer.local." : "PRINTER.local.", rrtype::A, id);
    ASSERT_EQ(handler->handle(q, out, peer), net::kDeferred);
  }
  auto other = w.query("printer.local.", rrtype::AAAA, 5);
  ASSERT_EQ(handler->handle(other, out, peer), net::kDeferred);
  for (int i = 0; i < 300 && sink->count() < 5; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  w.service->stop();
  ASSERT_EQ(sink->count(), 5u);
  EXPECT_EQ(calls.load(), 2);  // one for A (four clients), one for AAAA
  std::set<uint16_t> ids;
  for (auto& r : sink->replies) {
    dns::MessageView v;
    ASSERT_EQ(v.parse(r), dns::WireError::ok);
    ids.insert(v.header().id);
    EXPECT_EQ(v.header().ancount, v.qtype() == rrtype::A ? 1 : 0);
  }
  EXPECT_EQ(ids.size(), 5u);
  EXPECT_NE(w.service->control("cache stats").find("mdns-bridged-shared 3"), std::string::npos)
      << w.service->control("cache stats");
}

}  // namespace
}  // namespace namae::resolver

namespace namae {
namespace {

// The stub library: .local and link-local reverse names get NXDOMAIN marked
// multicast_name, and no server is asked, with or without a search list.
TEST(StubLinkLocal, NeverSentToResolvConfServers) {
  FakeClock clock;
  resolver::test::FakeNet net{clock};
  net.add("192.0.2.1").zones = resolver::test::make_zones({{"example.test.", R"(
$TTL 300
@ SOA ns h 1 1800 900 604800 60
@ NS ns
ns A 192.0.2.53
local A 192.0.2.54
)"}});
  auto cfg = *StubConfig::parse_resolv_conf("nameserver 192.0.2.1\nsearch local\n");
  StubResolver stub(cfg, &net, &clock);
  for (const char* name : {"printer.local", "printer.local.", "LOCAL.", "_ipp._tcp.local.",
                           "7.1.254.169.in-addr.arpa.", "1.0.0.0.0.0.0.0.0.0.0.0.0.8.e.f.ip6.arpa."}) {
    auto a = stub.query(name, dns::rrtype::A);
    ASSERT_TRUE(a.ok()) << name << ": " << a.message();
    EXPECT_EQ(a->rcode, dns::rcode::NXDOMAIN) << name;
    EXPECT_TRUE(a->multicast_name) << name;
    EXPECT_TRUE(a->answer.empty());
  }
  EXPECT_TRUE(net.log.empty()) << net.log.size() << " queries sent";
  // A name that merely contains "local" is ordinary DNS.
  auto ok = stub.query("local.example.test.", dns::rrtype::A);
  ASSERT_TRUE(ok.ok()) << ok.message();
  EXPECT_FALSE(ok->multicast_name);
  EXPECT_EQ(ok->texts(dns::rrtype::A), std::vector<std::string>{"192.0.2.54"});
  EXPECT_EQ(net.log.size(), 1u);
}

}  // namespace
}  // namespace namae
