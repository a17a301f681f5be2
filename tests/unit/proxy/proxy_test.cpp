// The Discovery Proxy's logic (RFC 8766) over a real mdns::Querier driven
// with fake time: what a unicast client is answered, when, and with which
// names, TTLs and records.
#include <gtest/gtest.h>

#include <functional>

#include "../mdns/fake.h"
#include "dns/rdata.h"
#include "dns/rrtype.h"
#include "mdns/querier.h"
#include "net/acl.h"
#include "proxy/core.h"
#include "proxy/reply.h"
#include "proxy/rewrite.h"

namespace namae::proxy {
namespace {

using mdns::test::N;
namespace rrtype = dns::rrtype;

mdns::Record rec(const char* owner, uint16_t type, uint32_t ttl, std::vector<uint8_t> rdata) {
  mdns::Record r;
  r.owner = N(owner);
  r.type = type;
  r.ttl = ttl;
  r.rdata = std::move(rdata);
  return r;
}
std::vector<uint8_t> name_rdata(const char* n) {
  auto w = N(n).wire();
  return {w.begin(), w.end()};
}
std::vector<uint8_t> srv_rdata(uint16_t port, const char* target) {
  std::vector<uint8_t> rd = {0, 0, 0, 0, static_cast<uint8_t>(port >> 8), static_cast<uint8_t>(port)};
  auto w = N(target).wire();
  rd.insert(rd.end(), w.begin(), w.end());
  return rd;
}
mdns::Record ptr(const char* owner, const char* target, uint32_t ttl = 4500) {
  return rec(owner, rrtype::PTR, ttl, name_rdata(target));
}
mdns::Record srv(const char* owner, uint16_t port, const char* target) {
  return rec(owner, rrtype::SRV, 120, srv_rdata(port, target));
}
mdns::Record a(const char* owner, std::vector<uint8_t> addr) { return rec(owner, rrtype::A, 120, std::move(addr)); }
// An mDNS NSEC (RFC 6762 6.1): next name the owner, bitmap the types it has.
mdns::Record nsec(const char* owner, std::vector<uint16_t> types) {
  auto rd = name_rdata(owner);
  dns::rdata::append_type_bitmap(std::move(types), rd);
  return rec(owner, rrtype::NSEC, 120, rd);
}

// The link: a Querier whose packets are recorded, and a responder's
// answers fed to it by hand.
struct QuerierLink : Link {
  mdns::test::FakeTransport transport;
  mdns::Rng rng{7};
  mdns::Querier querier{transport, rng};
  Millis now = 1000;
  int watching = 0;

  std::vector<mdns::Record> lookup(const mdns::Question& q, bool ttl_left) override {
    return querier.lookup(q, now, ttl_left);
  }
  uint64_t watch(const mdns::Question& q) override {
    ++watching;
    return querier.start(q, now, false);
  }
  void unwatch(uint64_t id) override {
    --watching;
    querier.stop(id);
  }
  void reconfirm(const mdns::Record& r) override { querier.reconfirm(r, now); }
  // One response packet. The cache changes it makes are handed on once it
  // is all in, as ProxyService's thread does (the stack holds its lock
  // until the whole packet is cached).
  std::function<void(const mdns::Record&)> on_added;
  void hear(std::vector<mdns::Record> answers) {
    std::vector<mdns::Record> added;
    querier.listener.added = [&](const mdns::Record& r) { added.push_back(r); };
    mdns::Message m;
    m.header.qr = true;
    m.answers = std::move(answers);
    querier.receive(m, mdns::Source::from("192.0.2.9", mdns::kPort), now);
    for (const auto& r : added) on_added(r);
  }
};

struct ProxyTest : ::testing::Test {
  QuerierLink link;
  Core core{options(), link};
  std::vector<Done> done;

  static ProxyOptions options() {
    ProxyOptions o;
    o.domain = N("lan.example.net.");
    o.nameservers = {N("proxy.example.net.")};
    o.contact = N("hostmaster.lan.example.net.");
    o.timeout = 6000;
    return o;
  }
  ProxyTest() {
    link.on_added = [this](const mdns::Record& r) {
      for (auto& d : core.changed(r, link.now)) done.push_back(std::move(d));
    };
  }
  void advance(Millis ms) {
    Millis end = link.now + ms;
    while (link.now < end) {
      link.now = std::min(end, link.now + 10);
      link.querier.tick(link.now);
      for (auto& d : core.tick(link.now)) done.push_back(std::move(d));
    }
  }
  const Answer* answer_of(Ticket t) const {
    for (const auto& d : done)
      if (d.ticket == t) return &d.answer;
    return nullptr;
  }
  void browse_records() {
    link.hear({ptr("_http._tcp.local.", "Web Site._http._tcp.local."), srv("Web Site._http._tcp.local.", 8080, "zhost.local."),
               rec("Web Site._http._tcp.local.", rrtype::TXT, 4500, {15, 'p', 'a', 't', 'h', '=', '/', 'i', 'n', 'd', 'e', 'x', '.', 'h', 't', 'm'}),
               a("zhost.local.", {192, 0, 2, 2}), a("zhost.local.", {169, 254, 7, 3})});
  }
};

TEST(ProxyRewrite, TranslatesNamesBothWays) {
  Rewriter rw(N("lan.example.net."));
  EXPECT_EQ(rw.to_local(N("_http._tcp.LAN.example.net."))->to_text(), "_http._tcp.local.");
  EXPECT_EQ(rw.to_local(N("lan.example.net."))->to_text(), "local.");
  EXPECT_FALSE(rw.to_local(N("other.example.net.")));
  EXPECT_EQ(rw.from_local(N("My Printer._ipp._tcp.local."))->to_text(), "My\\032Printer._ipp._tcp.lan.example.net.");
  // RFC 8766 5.5: names outside .local are not touched.
  EXPECT_EQ(rw.from_local(N("www.example.com."))->to_text(), "www.example.com.");
}

TEST(ProxyRewrite, TranslatesRdataNamesAndCapsTtl) {
  Rewriter rw(N("lan.example.net."));
  auto s = rw.from_link(srv("Web._http._tcp.local.", 8080, "zhost.local."), 10);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->to_text(), "Web._http._tcp.lan.example.net. 10 IN SRV 0 0 8080 zhost.lan.example.net.");
  auto p = rw.from_link(ptr("_http._tcp.local.", "Web._http._tcp.local."), 0);
  EXPECT_EQ(p->to_text(), "_http._tcp.lan.example.net. 4500 IN PTR Web._http._tcp.lan.example.net.");
  auto outside = rw.from_link(rec("x.local.", rrtype::CNAME, 60, name_rdata("www.example.com.")), 10);
  EXPECT_EQ(outside->to_text(), "x.lan.example.net. 10 IN CNAME www.example.com.");
}

TEST(ProxyRewrite, LeavesOutWhatIsUselessOffTheLink) {
  Rewriter rw(N("lan.example.net."));
  EXPECT_FALSE(rw.from_link(a("h.local.", {169, 254, 1, 2}), 10));
  std::vector<uint8_t> ll(16, 0), global(16, 0);
  ll[0] = 0xfe, ll[1] = 0x80, ll[15] = 1;
  global[0] = 0x20, global[1] = 0x01, global[2] = 0x0d, global[3] = 0xb8, global[15] = 1;
  EXPECT_FALSE(rw.from_link(rec("h.local.", rrtype::AAAA, 120, ll), 10));
  EXPECT_TRUE(rw.from_link(rec("h.local.", rrtype::AAAA, 120, global), 10));
  EXPECT_TRUE(rw.from_link(a("h.local.", {192, 0, 2, 1}), 10));
  EXPECT_FALSE(rw.from_link(rec("h.local.", rrtype::NSEC, 120, {0xc0, 0x0c, 0, 1, 0x40}), 10));
}

TEST_F(ProxyTest, ApexAndAdministrativeNamesAreAnsweredAtOnceWithoutAskingTheLink) {
  auto soa = core.ask(N("lan.example.net."), rrtype::SOA, link.now);
  ASSERT_FALSE(soa.pending);
  ASSERT_EQ(soa.answer.answer.size(), 1u);
  // RFC 8766 6.1: serial 0, refresh 7200, retry 3600, expire 86400, minimum 10.
  EXPECT_EQ(soa.answer.answer[0].to_text(),
            "lan.example.net. 10 IN SOA proxy.example.net. hostmaster.lan.example.net. 0 7200 3600 86400 10");
  auto ns = core.ask(N("lan.example.net."), rrtype::NS, link.now);
  ASSERT_EQ(ns.answer.answer.size(), 1u);
  EXPECT_EQ(ns.answer.answer[0].to_text(), "lan.example.net. 10 IN NS proxy.example.net.");
  EXPECT_EQ(core.ask(N("lan.example.net."), rrtype::ANY, link.now).answer.answer.size(), 2u);
  // RFC 8766 6.3: nothing is delegated below the apex; 6.4: no DNS Push here, no updates.
  for (auto [name, type] : {std::pair{"x.lan.example.net.", rrtype::NS}, {"x.lan.example.net.", rrtype::SOA},
                            {"x.lan.example.net.", rrtype::DS}, {"_dns-push-tls._tcp.lan.example.net.", rrtype::SRV},
                            {"_dns-update._udp.lan.example.net.", rrtype::SRV}, {"lan.example.net.", rrtype::A}}) {
    auto o = core.ask(N(name), type, link.now);
    EXPECT_FALSE(o.pending) << name;
    EXPECT_EQ(o.answer.rcode, dns::rcode::NOERROR) << name;
    EXPECT_TRUE(o.answer.answer.empty()) << name;
    ASSERT_EQ(o.answer.authority.size(), 1u) << name;
    EXPECT_EQ(o.answer.authority[0].type, rrtype::SOA);
  }
  advance(1000);
  EXPECT_TRUE(link.transport.sent.empty());
}

TEST_F(ProxyTest, PushServerIsAdvertisedWhenThereIsOne) {
  auto o = options();
  o.push_port = 853;
  Core c(o, link);
  auto srv = c.ask(N("_dns-push-tls._tcp.lan.example.net."), rrtype::SRV, link.now);
  ASSERT_EQ(srv.answer.answer.size(), 1u);
  EXPECT_EQ(srv.answer.answer[0].to_text(), "_dns-push-tls._tcp.lan.example.net. 10 IN SRV 0 0 853 proxy.example.net.");
}

TEST_F(ProxyTest, BrowseWaitsForTheLinkAndAnswersTranslatedWithAdditionalRecords) {
  auto o = core.ask(N("_http._tcp.lan.example.net."), rrtype::PTR, link.now);
  ASSERT_TRUE(o.pending);
  advance(200);
  // One multicast (QM) question for the .local name went out.
  ASSERT_EQ(link.transport.sent.size(), 1u);
  const auto& q = link.transport.sent[0].msg.questions.at(0);
  EXPECT_EQ(q.name.to_text(), "_http._tcp.local.");
  EXPECT_EQ(q.type, rrtype::PTR);
  EXPECT_FALSE(q.unicast_response);
  browse_records();
  // A browse gets other responders a moment (RFC 6762 6) before it is answered.
  EXPECT_FALSE(answer_of(o.ticket));
  advance(200);
  const Answer* ans = answer_of(o.ticket);
  ASSERT_TRUE(ans);
  ASSERT_EQ(ans->answer.size(), 1u);
  EXPECT_EQ(ans->answer[0].to_text(), "_http._tcp.lan.example.net. 10 IN PTR Web\\032Site._http._tcp.lan.example.net.");
  std::vector<std::string> extra;
  for (const auto& r : ans->additional) extra.push_back(r.to_text());
  // SRV with its target translated, TXT, and only the usable address (RFC 8766 5.5.2).
  EXPECT_EQ(extra, (std::vector<std::string>{
                       "Web\\032Site._http._tcp.lan.example.net. 10 IN SRV 0 0 8080 zhost.lan.example.net.",
                       "Web\\032Site._http._tcp.lan.example.net. 10 IN TXT \"path=/index.htm\"",
                       "zhost.lan.example.net. 10 IN A 192.0.2.2"}));
  // The question is no longer asked on the link.
  EXPECT_EQ(link.watching, 0);
  size_t sent = link.transport.sent.size();
  advance(10000);
  EXPECT_EQ(link.transport.sent.size(), sent);
  // The cache answers the next client at once (RFC 8766 5.6).
  auto again = core.ask(N("_http._tcp.lan.example.net."), rrtype::PTR, link.now);
  EXPECT_FALSE(again.pending);
  EXPECT_EQ(again.answer.answer.size(), 1u);
}

TEST_F(ProxyTest, UniqueAnswerIsSentAsSoonAsItArrives) {
  auto o = core.ask(N("Web Site._http._tcp.lan.example.net."), rrtype::SRV, link.now);
  ASSERT_TRUE(o.pending);
  advance(150);
  browse_records();
  const Answer* ans = answer_of(o.ticket);
  ASSERT_TRUE(ans);
  ASSERT_EQ(ans->answer.size(), 1u);
  EXPECT_EQ(ans->answer[0].type, rrtype::SRV);
  ASSERT_EQ(ans->additional.size(), 1u);  // the target's usable address
  EXPECT_EQ(ans->additional[0].to_text(), "zhost.lan.example.net. 10 IN A 192.0.2.2");
}

TEST_F(ProxyTest, ServicesWhoseHostsHaveOnlyLinkLocalAddressesAreLeftOut) {
  // RFC 8766 5.5.2: "Link Only" lives on a host with 169.254/16 and fe80::
  // addresses only; "Web Site" on one with a global address too.
  std::vector<uint8_t> fe80(16, 0);
  fe80[0] = 0xfe, fe80[1] = 0x80, fe80[15] = 9;
  browse_records();
  link.hear({ptr("_http._tcp.local.", "Link Only._http._tcp.local."), srv("Link Only._http._tcp.local.", 80, "llhost.local."),
             rec("Link Only._http._tcp.local.", rrtype::TXT, 4500, {0}), a("llhost.local.", {169, 254, 9, 9}),
             rec("llhost.local.", rrtype::AAAA, 120, fe80)});
  auto browse = core.ask(N("_http._tcp.lan.example.net."), rrtype::PTR, link.now);
  ASSERT_FALSE(browse.pending);
  ASSERT_EQ(browse.answer.answer.size(), 1u);
  EXPECT_EQ(browse.answer.answer[0].to_text(), "_http._tcp.lan.example.net. 10 IN PTR Web\\032Site._http._tcp.lan.example.net.");
  for (const auto& r : browse.answer.additional) EXPECT_FALSE(r.owner.is_subdomain_of(N("Link Only._http._tcp.lan.example.net."))) << r.to_text();
  // The instance's SRV is NODATA at once; its TXT is still there.
  auto s = core.ask(N("Link Only._http._tcp.lan.example.net."), rrtype::SRV, link.now);
  ASSERT_FALSE(s.pending);
  EXPECT_TRUE(s.answer.answer.empty());
  EXPECT_EQ(s.answer.authority.size(), 1u);
  EXPECT_EQ(core.ask(N("Link Only._http._tcp.lan.example.net."), rrtype::TXT, link.now).answer.answer.size(), 1u);
  // Once the host has a usable address, the service is back.
  link.hear({a("llhost.local.", {192, 0, 2, 9})});
  EXPECT_EQ(core.ask(N("_http._tcp.lan.example.net."), rrtype::PTR, link.now).answer.answer.size(), 2u);
  EXPECT_EQ(core.ask(N("Link Only._http._tcp.lan.example.net."), rrtype::SRV, link.now).answer.answer.size(), 1u);
}

TEST_F(ProxyTest, AnSrvWhoseTargetHasNoKnownAddressIsAnswered) {
  // Nothing says the target is unusable: the client may find its address.
  link.hear({srv("Far._http._tcp.local.", 80, "far.example.com.")});
  auto s = core.ask(N("Far._http._tcp.lan.example.net."), rrtype::SRV, link.now);
  ASSERT_EQ(s.answer.answer.size(), 1u);
  EXPECT_TRUE(s.answer.additional.empty());
}

TEST_F(ProxyTest, AWaitedSrvWithALinkLocalTargetIsNodata) {
  auto o = core.ask(N("Link Only._http._tcp.lan.example.net."), rrtype::SRV, link.now);
  ASSERT_TRUE(o.pending);
  advance(150);
  link.hear({srv("Link Only._http._tcp.local.", 80, "llhost.local."), a("llhost.local.", {169, 254, 9, 9})});
  const Answer* ans = answer_of(o.ticket);
  ASSERT_TRUE(ans);
  EXPECT_TRUE(ans->answer.empty());
  EXPECT_TRUE(ans->additional.empty());
  EXPECT_EQ(ans->authority.size(), 1u);
}

TEST_F(ProxyTest, NothingOnTheLinkIsNodataAfterTheWaitNotNxdomain) {
  auto o = core.ask(N("nobody.lan.example.net."), rrtype::A, link.now);
  ASSERT_TRUE(o.pending);
  advance(5900);
  EXPECT_FALSE(answer_of(o.ticket));
  // The link was asked again meanwhile (RFC 6762 5.2: 1 s, 2 s, 4 s...).
  EXPECT_GE(link.transport.sent.size(), 3u);
  advance(200);
  const Answer* ans = answer_of(o.ticket);
  ASSERT_TRUE(ans);
  EXPECT_EQ(ans->rcode, dns::rcode::NOERROR);
  EXPECT_TRUE(ans->answer.empty());
  ASSERT_EQ(ans->authority.size(), 1u);
  EXPECT_EQ(ans->authority[0].type, rrtype::SOA);
  EXPECT_EQ(link.watching, 0);
}

TEST_F(ProxyTest, NsecFromTheLinkEndsTheWaitAtOnce) {
  auto o = core.ask(N("zhost.lan.example.net."), rrtype::AAAA, link.now);
  advance(150);
  // zhost has an A only: its responder says so with NSEC (RFC 6762 6.1).
  link.hear({a("zhost.local.", {192, 0, 2, 2}), rec("zhost.local.", rrtype::NSEC, 120, {0xc0, 0x0c, 0, 1, 0x40})});
  const Answer* ans = answer_of(o.ticket);
  ASSERT_TRUE(ans);
  EXPECT_TRUE(ans->answer.empty());
  EXPECT_EQ(ans->authority.size(), 1u);
}

TEST_F(ProxyTest, CachedNsecDenialIsAnsweredAtOnce) {
  // RFC 6762 6.1: zhost's responder said it has an A and nothing else.
  link.hear({a("zhost.local.", {192, 0, 2, 2}), nsec("zhost.local.", {rrtype::A})});
  auto aaaa = core.ask(N("zhost.lan.example.net."), rrtype::AAAA, link.now);
  ASSERT_FALSE(aaaa.pending);
  EXPECT_TRUE(aaaa.answer.answer.empty());
  ASSERT_EQ(aaaa.answer.authority.size(), 1u);
  EXPECT_EQ(aaaa.answer.authority[0].type, rrtype::SOA);
  EXPECT_EQ(core.ask(N("zhost.lan.example.net."), rrtype::A, link.now).answer.answer.size(), 1u);
  // A type the NSEC lists but the cache lacks is still asked on the link.
  link.hear({nsec("other.local.", {rrtype::A, rrtype::AAAA})});
  EXPECT_TRUE(core.ask(N("other.lan.example.net."), rrtype::AAAA, link.now).pending);
  advance(1000);
  EXPECT_EQ(link.watching, 1);
}

TEST_F(ProxyTest, NsecQuestionGetsAnNsecForThatNameAloneFromTheCache) {
  browse_records();
  // RFC 8766 5.5.3: the types the name has, the NSEC bit set, next name its
  // immediate successor (no other name denied).
  auto o = core.ask(N("Web Site._http._tcp.lan.example.net."), rrtype::NSEC, link.now);
  ASSERT_FALSE(o.pending);
  ASSERT_EQ(o.answer.answer.size(), 1u);
  EXPECT_EQ(o.answer.answer[0].to_text(),
            "Web\\032Site._http._tcp.lan.example.net. 10 IN NSEC \\000.Web\\032Site._http._tcp.lan.example.net. TXT SRV NSEC");
  // The apex: its SOA and NS.
  auto apex = core.ask(N("lan.example.net."), rrtype::NSEC, link.now);
  ASSERT_EQ(apex.answer.answer.size(), 1u);
  EXPECT_EQ(apex.answer.answer[0].to_text(), "lan.example.net. 10 IN NSEC \\000.lan.example.net. NS SOA NSEC");
}

TEST_F(ProxyTest, NsecQuestionAsksTheLinkAnyAndLeavesOutWhatIsUnusable) {
  auto o = core.ask(N("zhost.lan.example.net."), rrtype::NSEC, link.now);
  ASSERT_TRUE(o.pending);
  advance(200);
  ASSERT_EQ(link.transport.sent.size(), 1u);
  EXPECT_EQ(link.transport.sent[0].msg.questions.at(0).type, rrtype::ANY);
  std::vector<uint8_t> fe80(16, 0);
  fe80[0] = 0xfe, fe80[1] = 0x80, fe80[15] = 2;
  link.hear({a("zhost.local.", {192, 0, 2, 2}), rec("zhost.local.", rrtype::AAAA, 120, fe80),
             nsec("zhost.local.", {rrtype::A, rrtype::AAAA})});
  const Answer* ans = answer_of(o.ticket);
  ASSERT_TRUE(ans);
  ASSERT_EQ(ans->answer.size(), 1u);
  // The AAAA is link-local (5.5.2): not there for a client off the link.
  EXPECT_EQ(ans->answer[0].to_text(), "zhost.lan.example.net. 10 IN NSEC \\000.zhost.lan.example.net. A NSEC");
  // Nothing at all on the link: an NSEC with the NSEC bit alone after the wait.
  auto none = core.ask(N("nobody.lan.example.net."), rrtype::NSEC, link.now);
  ASSERT_TRUE(none.pending);
  advance(6100);
  ASSERT_TRUE(answer_of(none.ticket));
  EXPECT_EQ(answer_of(none.ticket)->answer.at(0).to_text(), "nobody.lan.example.net. 10 IN NSEC \\000.nobody.lan.example.net. NSEC");
}

TEST_F(ProxyTest, SameQuestionFromTwoClientsIsAskedOnce) {
  auto o1 = core.ask(N("zhost.lan.example.net."), rrtype::A, link.now);
  auto o2 = core.ask(N("ZHOST.lan.example.net."), rrtype::A, link.now);
  EXPECT_EQ(link.watching, 1);
  advance(150);
  link.hear({a("zhost.local.", {192, 0, 2, 2})});
  ASSERT_TRUE(answer_of(o1.ticket));
  ASSERT_TRUE(answer_of(o2.ticket));
  EXPECT_EQ(answer_of(o2.ticket)->answer.size(), 1u);
}

TEST_F(ProxyTest, NewQuestionsOnTheLinkAreRateLimited) {
  // RFC 8766 9.3: 20 a second; more is SERVFAIL, not another multicast query.
  for (int i = 0; i < 20; ++i)
    EXPECT_TRUE(core.ask(N(("h" + std::to_string(i) + ".lan.example.net.").c_str()), rrtype::A, link.now).pending);
  auto over = core.ask(N("h20.lan.example.net."), rrtype::A, link.now);
  EXPECT_FALSE(over.pending);
  EXPECT_EQ(over.answer.rcode, dns::rcode::SERVFAIL);
  advance(100);
  EXPECT_TRUE(core.ask(N("h21.lan.example.net."), rrtype::A, link.now).pending);
}

TEST_F(ProxyTest, GoodbyeTakesARecordOutOfTheAnswers) {
  browse_records();
  EXPECT_EQ(core.ask(N("_http._tcp.lan.example.net."), rrtype::PTR, link.now).answer.answer.size(), 1u);
  link.hear({ptr("_http._tcp.local.", "Web Site._http._tcp.local.", 0)});
  auto after = core.ask(N("_http._tcp.lan.example.net."), rrtype::PTR, link.now);
  EXPECT_TRUE(after.pending);  // nothing cached any more: asked on the link
}

TEST_F(ProxyTest, PushRecordsKeepTheirTtl) {
  browse_records();
  advance(5000);
  auto recs = core.link_records(N("_http._tcp.lan.example.net."), rrtype::PTR);
  ASSERT_EQ(recs.size(), 1u);
  EXPECT_EQ(recs[0].ttl, 4500u);  // RFC 8766 5.5.1: unmodified for DNS Push
  EXPECT_EQ(recs[0].to_text(), "_http._tcp.lan.example.net. 4500 IN PTR Web\\032Site._http._tcp.lan.example.net.");
}

TEST_F(ProxyTest, PushSubscriptionsKeepTheLinkAskedUntilTheLastOneLeaves) {
  core.follow(N("_http._tcp.lan.example.net."), rrtype::PTR);
  core.follow(N("_HTTP._tcp.lan.example.net."), rrtype::PTR);
  core.follow(N("lan.example.net."), rrtype::SOA);  // the zone's own: nothing to ask
  EXPECT_EQ(link.watching, 1);
  advance(8000);
  // Asked continuously: at once, then 1 s, 2 s, 4 s later (RFC 6762 5.2).
  EXPECT_GE(link.transport.sent.size(), 4u);
  core.unfollow(N("_http._tcp.lan.example.net."), rrtype::PTR);
  EXPECT_EQ(link.watching, 1);
  core.unfollow(N("_http._tcp.lan.example.net."), rrtype::PTR);
  EXPECT_EQ(link.watching, 0);
}

TEST(ProxyReply, AuthoritativeWithEdnsAndTruncatedWhenTheAnswerDoesNotFit) {
  std::vector<uint8_t> query(64);
  dns::MessageBuilder qb(query, query.size());
  qb.header().id = 0x1234;
  qb.header().rd = true;
  qb.add_question(N("_http._tcp.lan.example.net."), rrtype::PTR, dns::rrclass::IN);
  dns::Edns e;
  e.present = true;
  e.udp_size = 512;
  qb.add_opt(e);
  query.resize(qb.finish());
  dns::MessageView v;
  ASSERT_EQ(v.parse(query), dns::WireError::ok);
  QueryInfo info = QueryInfo::from(v, false);
  Answer a;
  for (int i = 0; i < 40; ++i) {
    std::string inst = "Instance number " + std::to_string(i) + "._http._tcp.lan.example.net.";
    a.answer.push_back({N("_http._tcp.lan.example.net."), rrtype::PTR, dns::rrclass::IN, 10, name_rdata(inst.c_str())});
  }
  std::vector<uint8_t> out(65535);
  size_t n = write_reply(info, a, out, 1232);
  dns::MessageView r;
  ASSERT_EQ(r.parse(std::span<const uint8_t>(out.data(), n)), dns::WireError::ok);
  EXPECT_LE(n, 512u);
  EXPECT_EQ(r.header().id, 0x1234);
  EXPECT_TRUE(r.header().aa);
  EXPECT_TRUE(r.header().rd);
  EXPECT_TRUE(r.header().tc);
  EXPECT_TRUE(r.edns().present);
  info.tcp = true;
  n = write_reply(info, a, out, 1232);
  ASSERT_EQ(r.parse(std::span<const uint8_t>(out.data(), n)), dns::WireError::ok);
  EXPECT_FALSE(r.header().tc);
  EXPECT_EQ(r.count(dns::Section::answer), 40);
}

// ---------------------------------------------------------------- RFC 8766 5.3, 5.4, RFC 6763 11

TEST(ProxyRewrite, ReverseZonesFollowThePrefix) {
  auto v4 = reverse_zone(*net::parse_prefix("203.0.113.0/24"));
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->apex.to_text(), "113.0.203.in-addr.arpa.");
  EXPECT_EQ(v4->network.to_text(), "0.113.0.203.in-addr.arpa.");
  auto v6 = reverse_zone(*net::parse_prefix("2001:db8:1234:5678::/64"));
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->apex.to_text(), "8.7.6.5.4.3.2.1.8.b.d.0.1.0.0.2.ip6.arpa.");
  EXPECT_EQ(v6->network.label_count(), 34u);
  // Not on a label boundary: no single zone (RFC 2317 is another story).
  EXPECT_FALSE(reverse_zone(*net::parse_prefix("198.51.100.0/25")));
  EXPECT_FALSE(reverse_zone(*net::parse_prefix("2001:db8::/62")));
}

// RFC 8766 5.5's examples: SRV targets and addresses in the host-name
// domain, service names in the rich-text one, reverse owners as they are.
TEST(ProxyRewrite, HostNamesGoToTheHostDomain) {
  ReverseZone rz = *reverse_zone(*net::parse_prefix("203.0.113.0/24"));
  Rewriter rw(N("Building 1.example.com."), N("bldg-1.example.com."), {rz});
  Target rich = rw.target_for(N("My Printer._ipp._tcp.Building 1.example.com."));
  auto s = rw.from_link(srv("My Printer._ipp._tcp.local.", 631, "prnt.local."), 10, rich);
  EXPECT_EQ(s->to_text(), "My\\032Printer._ipp._tcp.Building\\0321.example.com. 10 IN SRV 0 0 631 prnt.bldg-1.example.com.");
  auto p = rw.from_link(ptr("_ipp._tcp.local.", "My Printer._ipp._tcp.local."), 10, rich);
  EXPECT_EQ(p->to_text(), "_ipp._tcp.Building\\0321.example.com. 10 IN PTR My\\032Printer._ipp._tcp.Building\\0321.example.com.");
  Target ldh = rw.target_for(N("thing.bldg-1.example.com."));
  EXPECT_EQ(rw.to_local(N("thing.bldg-1.example.com."))->to_text(), "thing.local.");
  auto c = rw.from_link(rec("thing.local.", rrtype::CNAME, 60, name_rdata("prnt.local.")), 10, ldh);
  EXPECT_EQ(c->to_text(), "thing.bldg-1.example.com. 10 IN CNAME prnt.bldg-1.example.com.");
  Target rev = rw.target_for(N("2.113.0.203.in-addr.arpa."));
  EXPECT_EQ(rw.to_local(N("2.113.0.203.in-addr.arpa."))->to_text(), "2.113.0.203.in-addr.arpa.");
  auto back = rw.from_link(ptr("2.113.0.203.in-addr.arpa.", "prnt.local."), 10, rev);
  EXPECT_EQ(back->to_text(), "2.113.0.203.in-addr.arpa. 10 IN PTR prnt.bldg-1.example.com.");
  EXPECT_FALSE(rw.to_local(N("2.114.0.203.in-addr.arpa.")));
  // Push: a link owner under both forward domains; a reverse one as it is.
  auto names = rw.unicast_names(N("prnt.local."));
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[1].to_text(), "prnt.bldg-1.example.com.");
  EXPECT_EQ(rw.unicast_names(N("2.113.0.203.in-addr.arpa.")).size(), 1u);
}

struct ProxyDomainsTest : ProxyTest {
  Core wide{options_with_domains(), link};
  ProxyDomainsTest() {
    link.on_added = [this](const mdns::Record& r) {
      for (auto& d : wide.changed(r, link.now)) done.push_back(std::move(d));
    };
  }
  static ProxyOptions options_with_domains() {
    ProxyOptions o = options();
    o.hosts = N("hosts.example.net.");
    o.reverse = {*reverse_zone(*net::parse_prefix("192.0.2.0/24"))};
    return o;
  }
  std::vector<std::string> texts(const std::vector<dns::Record>& rs) {
    std::vector<std::string> out;
    for (const auto& r : rs) out.push_back(r.to_text());
    return out;
  }
  void advance_wide(Millis ms) {
    Millis end = link.now + ms;
    while (link.now < end) {
      link.now = std::min(end, link.now + 10);
      link.querier.tick(link.now);
      for (auto& d : wide.tick(link.now)) done.push_back(std::move(d));
    }
  }
};

// RFC 8766 5.4: the reverse question is asked on the link as it is, and
// the host name in the answer comes back in the host-name domain.
TEST_F(ProxyDomainsTest, ReverseQuestionIsAskedOnTheLinkAsItIs) {
  ASSERT_TRUE(wide.covers(N("2.2.0.192.in-addr.arpa.")));
  EXPECT_FALSE(wide.covers(N("2.3.0.192.in-addr.arpa.")));
  auto o = wide.ask(N("2.2.0.192.in-addr.arpa."), rrtype::PTR, link.now);
  ASSERT_TRUE(o.pending);
  advance_wide(200);
  ASSERT_EQ(link.transport.sent.size(), 1u);
  EXPECT_EQ(link.transport.sent[0].msg.questions.at(0).name.to_text(), "2.2.0.192.in-addr.arpa.");
  link.hear({rec("2.2.0.192.in-addr.arpa.", rrtype::PTR, 120, name_rdata("zhost.local."))});
  advance_wide(200);
  const Answer* ans = answer_of(o.ticket);
  ASSERT_TRUE(ans);
  EXPECT_EQ(texts(ans->answer), std::vector<std::string>{"2.2.0.192.in-addr.arpa. 10 IN PTR zhost.hosts.example.net."});
  // The reverse zone's own apex and negative answers.
  auto soa = wide.ask(N("2.0.192.in-addr.arpa."), rrtype::SOA, link.now);
  ASSERT_EQ(soa.answer.answer.size(), 1u);
  EXPECT_EQ(soa.answer.answer[0].owner.to_text(), "2.0.192.in-addr.arpa.");
  auto none = wide.ask(N("9.2.0.192.in-addr.arpa."), rrtype::PTR, link.now);
  advance_wide(7000);
  ans = answer_of(none.ticket);
  ASSERT_TRUE(ans);
  ASSERT_EQ(ans->authority.size(), 1u);
  EXPECT_EQ(ans->authority[0].owner.to_text(), "2.0.192.in-addr.arpa.");
}

// RFC 8766 5.3: a browse in the rich-text domain names hosts (SRV targets,
// their addresses) in the host-name domain, which answers for them too.
TEST_F(ProxyDomainsTest, HostNamesAreInTheHostDomain) {
  browse_records();
  auto o = wide.ask(N("_http._tcp.lan.example.net."), rrtype::PTR, link.now);
  ASSERT_FALSE(o.pending);
  EXPECT_EQ(texts(o.answer.answer),
            std::vector<std::string>{"_http._tcp.lan.example.net. 10 IN PTR Web\\032Site._http._tcp.lan.example.net."});
  auto extra = texts(o.answer.additional);
  EXPECT_NE(std::find(extra.begin(), extra.end(), "Web\\032Site._http._tcp.lan.example.net. 10 IN SRV 0 0 8080 zhost.hosts.example.net."),
            extra.end());
  EXPECT_NE(std::find(extra.begin(), extra.end(), "zhost.hosts.example.net. 10 IN A 192.0.2.2"), extra.end());
  auto host = wide.ask(N("zhost.hosts.example.net."), rrtype::A, link.now);
  ASSERT_FALSE(host.pending);
  EXPECT_EQ(texts(host.answer.answer), std::vector<std::string>{"zhost.hosts.example.net. 10 IN A 192.0.2.2"});
  auto apex = wide.ask(N("hosts.example.net."), rrtype::SOA, link.now);
  ASSERT_EQ(apex.answer.answer.size(), 1u);
  EXPECT_EQ(apex.answer.answer[0].owner.to_text(), "hosts.example.net.");
}

// RFC 6763 11: the browsing domains of the proxy's domains and of the
// subnets it maps back are its own domain; nothing is asked on the link.
TEST_F(ProxyDomainsTest, DomainEnumerationNamesTheProxysDomain) {
  for (const char* name : {"b._dns-sd._udp.lan.example.net.", "lb._dns-sd._udp.lan.example.net.",
                           "db._dns-sd._udp.lan.example.net.", "b._dns-sd._udp.hosts.example.net.",
                           "b._dns-sd._udp.0.2.0.192.in-addr.arpa.", "lb._dns-sd._udp.0.2.0.192.in-addr.arpa."}) {
    auto o = wide.ask(N(name), rrtype::PTR, link.now);
    ASSERT_FALSE(o.pending) << name;
    EXPECT_EQ(texts(o.answer.answer), std::vector<std::string>{std::string(name) + " 10 IN PTR lan.example.net."});
  }
  for (const char* name : {"r._dns-sd._udp.lan.example.net.", "dr._dns-sd._udp.0.2.0.192.in-addr.arpa."}) {
    auto o = wide.ask(N(name), rrtype::PTR, link.now);
    ASSERT_FALSE(o.pending) << name;
    EXPECT_TRUE(o.answer.answer.empty()) << name;
  }
  EXPECT_FALSE(wide.ask(N("b._dns-sd._udp.lan.example.net."), rrtype::TXT, link.now).pending);
  advance_wide(1000);
  EXPECT_TRUE(link.transport.sent.empty());
}

// RFC 8765 6.5 RECONFIRM of a proxied record becomes the link's
// reconfirmation (RFC 6762 10.4): asked again without it as a known
// answer, forgotten 10 s later when nobody answers, kept when one does.
TEST_F(ProxyTest, PushReconfirmReconfirmsTheLinkRecord) {
  browse_records();
  auto seen = core.link_records(N("_http._tcp.lan.example.net."), rrtype::PTR);
  ASSERT_EQ(seen.size(), 1u);
  dns::Record other = seen[0];
  auto nobody = N("Nobody._http._tcp.lan.example.net.").wire();
  other.rdata.assign(nobody.begin(), nobody.end());
  EXPECT_FALSE(core.reconfirm(other));
  ASSERT_TRUE(core.reconfirm(seen[0]));
  size_t before = link.transport.sent.size();
  advance(100);
  ASSERT_GT(link.transport.sent.size(), before);
  const auto& m = link.transport.sent[before].msg;
  EXPECT_EQ(m.questions.at(0).name.to_text(), "_http._tcp.local.");
  EXPECT_TRUE(m.answers.empty());
  advance(9800);
  EXPECT_EQ(core.link_records(N("_http._tcp.lan.example.net."), rrtype::PTR).size(), 1u);
  advance(200);
  EXPECT_TRUE(core.link_records(N("_http._tcp.lan.example.net."), rrtype::PTR).empty());
  // The SRV, reconfirmed and answered again by its responder, stays.
  auto srv_seen = core.link_records(N("Web Site._http._tcp.lan.example.net."), rrtype::SRV);
  ASSERT_EQ(srv_seen.size(), 1u);
  ASSERT_TRUE(core.reconfirm(srv_seen[0]));
  advance(1000);
  link.hear({srv("Web Site._http._tcp.local.", 8080, "zhost.local.")});
  advance(20000);
  EXPECT_EQ(core.link_records(N("Web Site._http._tcp.lan.example.net."), rrtype::SRV).size(), 1u);
}

}  // namespace
}  // namespace namae::proxy
