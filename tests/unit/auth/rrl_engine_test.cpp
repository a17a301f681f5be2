// Response rate limiting in the engine: what is accounted under which class,
// the slip form, and what is never limited (TCP).
#include <arpa/inet.h>
#include <netinet/in.h>

#include "auth_test_util.h"
#include "net/metrics.h"

namespace namae::auth {
namespace {

using namespace authtest;

constexpr const char* kZone = R"(
$TTL 3600
@ IN SOA ns1 host 1 3600 900 604800 300
@ IN NS ns1
ns1 IN A 192.0.2.53
www IN A 192.0.2.1
*.wild IN A 192.0.2.2
sub IN NS ns.sub
ns.sub IN A 192.0.2.54
)";

class RrlEngine : public ::testing::Test {
 protected:
  RrlEngine() : holder_(std::make_shared<const zone::ZoneSet>(std::vector{make_zone("example.com", kZone)})) {
    RrlOptions o;
    o.responses_per_second = 5;
    o.slip = 2;
    AuthOptions ao;
    ao.rrl = std::make_shared<RateLimiter>(o, clock_);
    ao.log = [this](LogLevel, const std::string& line) { logs_.push_back(line); };
    metrics_ = registry_.add_worker();
    engine_ = std::make_unique<AuthEngine>(holder_, ao, metrics_);
  }

  Response ask(const std::string& name, uint16_t type, const char* from = "192.0.2.10", bool tcp = false) {
    return ask(make_query(name, type), from, tcp);
  }
  Response ask(const std::vector<uint8_t>& query, const char* from = "192.0.2.10", bool tcp = false) {
    std::vector<uint8_t> out(65535);
    out.resize(engine_->handle(query, out, peer_at(from, tcp)));
    return decode(std::move(out));
  }
  // A new engine whose limiter has options `o`.
  void limit_with(RrlOptions o) {
    AuthOptions ao;
    ao.rrl = std::make_shared<RateLimiter>(std::move(o), clock_);
    engine_ = std::make_unique<AuthEngine>(holder_, ao, metrics_);
  }
  // An IPv4 or IPv6 source.
  static net::Peer peer_at(const char* from, bool tcp = false) {
    net::Peer peer;
    if (std::string_view(from).find(':') != std::string_view::npos) {
      auto* in6 = reinterpret_cast<sockaddr_in6*>(&peer.addr);
      in6->sin6_family = AF_INET6;
      EXPECT_EQ(inet_pton(AF_INET6, from, &in6->sin6_addr), 1) << from;
      peer.addr_len = sizeof(sockaddr_in6);
    } else {
      auto* in = reinterpret_cast<sockaddr_in*>(&peer.addr);
      in->sin_family = AF_INET;
      EXPECT_EQ(inet_pton(AF_INET, from, &in->sin_addr), 1) << from;
      peer.addr_len = sizeof(sockaddr_in);
    }
    peer.tcp = tcp;
    return peer;
  }
  // How many of `n` questions were answered in full (not dropped, not slipped).
  int answered(const std::vector<std::string>& names, uint16_t type = dns::rrtype::A, const char* from = "192.0.2.10") {
    int n = 0;
    for (const auto& name : names) {
      Response r = ask(name, type, from);
      n += !r.empty() && !r.h.tc;
    }
    return n;
  }
  static std::vector<std::string> numbered(const std::string& suffix, int n) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) out.push_back("n" + std::to_string(i) + suffix);
    return out;
  }

  FakeClock clock_;
  net::MetricsRegistry registry_;
  net::WorkerMetrics* metrics_;
  zone::ZoneSetHolder holder_;
  std::unique_ptr<AuthEngine> engine_;
  std::vector<std::string> logs_;
};

TEST_F(RrlEngine, OverTheRateDropsAndSlipsTruncated) {
  for (int i = 0; i < 5; ++i) EXPECT_EQ(ask("www.example.com", dns::rrtype::A).answer.size(), 1u);
  Response slip = ask("www.example.com", dns::rrtype::A);
  ASSERT_FALSE(slip.empty());
  EXPECT_TRUE(slip.h.tc);
  EXPECT_EQ(slip.rcode, dns::rcode::NOERROR);
  EXPECT_EQ(slip.h.qdcount, 1);
  EXPECT_EQ(slip.qname_raw.size(), N("www.example.com").wire().size());
  EXPECT_TRUE(slip.answer.empty() && slip.authority.empty() && slip.additional.empty());
  EXPECT_TRUE(ask("www.example.com", dns::rrtype::A).empty()) << "dropped";
  EXPECT_TRUE(ask("www.example.com", dns::rrtype::A).h.tc) << "every 2nd slips";
  ASSERT_EQ(logs_.size(), 1u);
  EXPECT_NE(logs_[0].find("192.0.2.0/24"), std::string::npos) << logs_[0];
  std::string text = registry_.render();
  EXPECT_NE(text.find("namae_rrl_total{action=\"dropped\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("namae_rrl_total{action=\"slipped\"} 2\n"), std::string::npos);
  EXPECT_NE(text.find("namae_rrl_class_total{class=\"answer\",action=\"slipped\"} 2\n"), std::string::npos);
}

TEST_F(RrlEngine, OtherNamesTypesAndNetworksHaveTheirOwnAccounts) {
  EXPECT_EQ(answered(std::vector<std::string>(10, "www.example.com")), 5);
  EXPECT_EQ(answered(std::vector<std::string>(10, "www.example.com"), dns::rrtype::AAAA), 5) << "NODATA";
  EXPECT_EQ(answered(std::vector<std::string>(10, "ns1.example.com")), 5);
  EXPECT_EQ(answered(std::vector<std::string>(10, "www.example.com"), dns::rrtype::A, "192.0.3.10"), 5);
}

TEST_F(RrlEngine, ClassesShareAccountsAsBindDoes) {
  EXPECT_EQ(answered(numbered(".example.com", 10)), 5) << "NXDOMAIN: by zone";
  EXPECT_EQ(answered(numbered(".wild.example.com", 10)), 5) << "wildcard: by its owner";
  EXPECT_EQ(answered(numbered(".sub.example.com", 10)), 5) << "referral: by delegation";
  EXPECT_EQ(answered(numbered(".example.org", 10)), 5) << "REFUSED: error, by rcode";
  std::string text = registry_.render();
  for (const char* cls : {"nxdomain", "wildcard", "referral", "error"})
    EXPECT_NE(text.find("class=\"" + std::string(cls) + "\""), std::string::npos) << cls;
}

// A spoofed-source flood from one IPv6 /56 (a different address each
// query, as a flood from forged sources is): cut to the rate with slip, as
// the IPv4 one; a client in another /56 is answered in full.
TEST_F(RrlEngine, Ipv6FloodIsLimitedByItsPrefix) {
  int full = 0, slipped = 0, dropped = 0;
  for (int i = 0; i < 100; ++i) {
    const std::string from = "2001:db8:0:" + std::to_string(i % 256) + "::" + std::to_string(i + 1);
    Response r = ask(make_query("www.example.com", dns::rrtype::A), from.c_str());
    if (r.empty()) ++dropped;
    else if (r.h.tc) ++slipped;
    else ++full;
  }
  EXPECT_EQ(full, 5);
  EXPECT_EQ(slipped + dropped, 95);
  EXPECT_GE(slipped, 47);  // every 2nd limited one slips
  EXPECT_EQ(answered(std::vector<std::string>(5, "www.example.com"), dns::rrtype::A, "2001:db8:0:100::1"), 5)
      << "another /56";
  ASSERT_FALSE(logs_.empty());
  EXPECT_NE(logs_[0].find("2001:db8::/56"), std::string::npos) << logs_[0];
}

TEST_F(RrlEngine, Ipv6PrefixLengthIsConfigurable) {
  RrlOptions o;
  o.responses_per_second = 5;
  o.ipv6_prefix = 64;
  limit_with(o);
  EXPECT_EQ(answered(std::vector<std::string>(10, "www.example.com"), dns::rrtype::A, "2001:db8:0:1::1"), 5);
  EXPECT_EQ(answered(std::vector<std::string>(10, "www.example.com"), dns::rrtype::A, "2001:db8:0:2::1"), 5)
      << "another /64 of the same /56";
}

// FORMERR to queries that do not parse is an error response like the
// others (BIND limits it under errors-per-second): a flood of garbage is
// cut to the rate too.
TEST_F(RrlEngine, FormerrToUnparsableQueriesIsLimited) {
  std::vector<uint8_t> garbage = make_query("www.example.com", dns::rrtype::A);
  garbage.resize(garbage.size() - 3);  // the question cut short
  int full = 0, slipped = 0;
  for (int i = 0; i < 20; ++i) {
    Response r = ask(garbage);
    if (r.empty()) continue;
    EXPECT_EQ(r.rcode, dns::rcode::FORMERR);
    (r.h.tc ? slipped : full)++;
  }
  EXPECT_EQ(full, 5);
  EXPECT_GT(slipped, 0);
  EXPECT_EQ(ask(garbage, "192.0.2.10", true).rcode, dns::rcode::FORMERR) << "TCP: never limited";
  EXPECT_NE(registry_.render().find("class=\"error\""), std::string::npos);
}

// What an UPDATE or NOTIFY handler answers: REFUSED for odd sequence
// numbers, NOERROR for even ones.
class FixedHandler : public RequestHandler {
 public:
  size_t handle(const dns::MessageView& query, std::span<uint8_t> response, const net::Peer&,
                const zone::ZoneSet&) override {
    dns::MessageBuilder b(response, response.size());
    b.header().id = query.header().id;
    b.header().qr = true;
    b.header().opcode = query.header().opcode;
    b.header().rcode = (calls_++ % 2) ? dns::rcode::REFUSED : dns::rcode::NOERROR;
    (void)b.add_question(query.qname(), query.qtype(), query.qclass());
    return b.finish();
  }
  int calls_ = 0;
};

std::vector<uint8_t> opcode_query(uint8_t opcode) {
  auto q = make_query("example.com", dns::rrtype::SOA);
  q[2] = static_cast<uint8_t>((q[2] & 0x87) | (opcode << 3));
  return q;
}

// The UPDATE and NOTIFY handlers' errors (REFUSED, NOTAUTH...) are limited
// as error responses; their NOERROR replies are not (BIND limits neither
// successful UPDATE nor NOTIFY replies).
TEST_F(RrlEngine, UpdateAndNotifyErrorsAreLimitedTheirSuccessesNot) {
  for (uint8_t opcode : {dns::opcode::UPDATE, dns::opcode::NOTIFY}) {
    FixedHandler handler;
    engine_->set_opcode_handler(opcode, &handler);
    clock_.advance_ms(60000);  // every account paid up
    int refused = 0, ok = 0, limited = 0;
    for (int i = 0; i < 40; ++i) {
      Response r = ask(opcode_query(opcode));
      if (r.empty() || r.h.tc) ++limited;
      else if (r.rcode == dns::rcode::REFUSED) ++refused;
      else if (r.rcode == dns::rcode::NOERROR) ++ok;
    }
    EXPECT_EQ(ok, 20) << int(opcode);
    EXPECT_EQ(refused, 5) << int(opcode);
    EXPECT_EQ(limited, 15) << int(opcode);
    engine_->set_opcode_handler(opcode, nullptr);
  }
}

TEST_F(RrlEngine, TcpIsNeverLimited) {
  for (int i = 0; i < 20; ++i) EXPECT_EQ(ask("www.example.com", dns::rrtype::A, "192.0.2.10", true).answer.size(), 1u);
  EXPECT_EQ(answered(std::vector<std::string>(10, "www.example.com")), 5);
}

TEST_F(RrlEngine, ExemptPrefixesAreNeverLimited) {
  RrlOptions o;
  o.responses_per_second = 1;
  o.exempt = *net::parse_acl({"192.0.2.0/24"});
  limit_with(o);
  EXPECT_EQ(answered(std::vector<std::string>(20, "www.example.com")), 20);
  EXPECT_EQ(answered(std::vector<std::string>(20, "www.example.com"), dns::rrtype::A, "198.51.100.1"), 1);
}

}  // namespace
}  // namespace namae::auth

namespace namae::auth {
namespace {

// A query for www.example.com A with one COOKIE option of `cookie`.
std::vector<uint8_t> cookie_query(std::span<const uint8_t> cookie) {
  std::vector<uint8_t> option = {0, static_cast<uint8_t>(dns::edns_option::COOKIE), 0,
                                 static_cast<uint8_t>(cookie.size())};
  option.insert(option.end(), cookie.begin(), cookie.end());
  std::vector<uint8_t> buf(512);
  dns::MessageBuilder b(buf, buf.size());
  EXPECT_TRUE(b.add_question(N("www.example.com"), dns::rrtype::A, dns::rrclass::IN));
  dns::Edns e;
  e.present = true;
  e.udp_size = 1232;
  e.options = option;
  EXPECT_TRUE(b.add_opt(e));
  buf.resize(b.finish());
  return buf;
}

TEST_F(RrlEngine, ValidServerCookiesAreNeverLimited) {
  RrlOptions o;
  o.responses_per_second = 1;
  o.slip = 0;
  AuthOptions ao;
  ao.rrl = std::make_shared<RateLimiter>(o, clock_);
  ao.cookies = dns::CookieSecretSchedule::shared(*dns::CookieSecretSchedule::parse_secret("e5e973e5a6b2a43f48e7dc849e37bfcf"));
  engine_ = std::make_unique<AuthEngine>(holder_, ao, metrics_);
  const std::vector<uint8_t> client = {1, 2, 3, 4, 5, 6, 7, 8};
  Response first = ask(cookie_query(client));  // no server cookie yet: accounted (the one of this second)
  ASSERT_EQ(first.answer.size(), 1u);
  auto full = first.edns.find(dns::edns_option::COOKIE);
  ASSERT_TRUE(full);
  std::vector<uint8_t> cookie(full->data.begin(), full->data.end());
  ASSERT_EQ(cookie.size(), 24u);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(ask(cookie_query(cookie)).answer.size(), 1u) << i;
  EXPECT_TRUE(ask(cookie_query(client)).empty()) << "a client cookie alone proves nothing";
  // From another address the cookie is not valid: BADCOOKIE, an error, limited as such.
  EXPECT_EQ(ask(cookie_query(cookie), "192.0.2.11").rcode, dns::rcode::BADCOOKIE);
  EXPECT_TRUE(ask(cookie_query(cookie), "192.0.2.11").empty());
}

// A NameHandler (the discovery proxy's seam): answers names under
// proxy.test. itself, one A record, NODATA for other types.
struct ProxyLike : NameHandler {
  int calls = 0;
  bool covers(const dns::Name& qname) const override { return qname.is_subdomain_of(N("proxy.test")); }
  size_t handle(const dns::MessageView& q, std::span<uint8_t> out, const net::Peer&, const zone::ZoneSet&) override {
    ++calls;
    dns::MessageBuilder b(out, 512);
    b.header().id = q.header().id;
    b.header().qr = b.header().aa = true;
    EXPECT_TRUE(b.add_question(q.qname(), q.qtype(), q.qclass()));
    b.begin(dns::Section::answer);
    if (q.qtype() == dns::rrtype::A) {
      const std::vector<uint8_t> addr{192, 0, 2, 7};
      EXPECT_TRUE(b.add_record(q.qname(), dns::rrtype::A, dns::rrclass::IN, 10, addr));
    }
    return b.finish();
  }
};

// RFC 8766 5.1: the proxy is the authoritative server of its domain, and
// its answers are limited as the zones' are (BIND's classes, read back from
// the reply): answers by name and type, NODATA by name.
TEST_F(RrlEngine, NameHandlerAnswersAreLimitedLikeTheZones) {
  ProxyLike proxy;
  engine_->set_name_handler(&proxy);
  EXPECT_EQ(answered(std::vector<std::string>(10, "printer.proxy.test")), 5);
  clock_.advance_ms(60000);  // paid up
  Response r = ask("printer.proxy.test", dns::rrtype::A);
  ASSERT_EQ(r.answer.size(), 1u);
  for (int i = 0; i < 4; ++i) ask("printer.proxy.test", dns::rrtype::A);
  Response s = ask("printer.proxy.test", dns::rrtype::A);
  ASSERT_FALSE(s.empty());
  EXPECT_TRUE(s.h.tc && s.h.aa);
  EXPECT_EQ(s.h.qdcount, 1);
  EXPECT_TRUE(s.answer.empty() && s.authority.empty() && s.additional.empty());
  // Its own account: other names, another type (NODATA), other networks.
  EXPECT_EQ(answered(std::vector<std::string>(5, "scanner.proxy.test")), 5);
  EXPECT_EQ(answered(std::vector<std::string>(5, "printer.proxy.test"), dns::rrtype::AAAA), 5);
  EXPECT_EQ(answered(std::vector<std::string>(5, "printer.proxy.test"), dns::rrtype::A, "198.51.100.1"), 5);
  // TCP never; the zones' names never reach the handler.
  int before = proxy.calls;
  EXPECT_EQ(ask("printer.proxy.test", dns::rrtype::A, "192.0.2.10", true).answer.size(), 1u);
  EXPECT_EQ(ask("www.example.com", dns::rrtype::A).answer.size(), 1u);
  EXPECT_EQ(proxy.calls, before + 1);
  std::string text = registry_.render();
  EXPECT_NE(text.find("namae_rrl_class_total{class=\"answer\",action=\"dropped\"}"), std::string::npos) << text;
}

// The engine's checks come first: a query the proxy would have taken with
// a bad EDNS version or a meta type is answered by the engine.
TEST_F(RrlEngine, NameHandlerGetsOnlyCheckedQueries) {
  RrlOptions limits;
  limits.responses_per_second = 1000;
  limit_with(limits);
  ProxyLike proxy;
  engine_->set_name_handler(&proxy);
  QueryOpts o;
  o.edns = true;
  o.version = 1;
  EXPECT_EQ(ask(make_query("printer.proxy.test", dns::rrtype::A, o)).rcode, dns::rcode::BADVERS);
  EXPECT_EQ(ask("printer.proxy.test", dns::rrtype::OPT).rcode, dns::rcode::FORMERR);
  EXPECT_EQ(proxy.calls, 0);
  EXPECT_EQ(ask("printer.proxy.test", dns::rrtype::A).answer.size(), 1u);
  EXPECT_EQ(proxy.calls, 1);
}

TEST(RrlReply, ClassifiesAndSlipsAFinishedReply) {
  std::vector<uint8_t> buf(512);
  dns::MessageBuilder b(buf, buf.size());
  b.header().qr = true;
  ASSERT_TRUE(b.add_question(N("a.proxy.test"), dns::rrtype::A, dns::rrclass::IN));
  size_t bare = b.finish();
  auto nodata = classify_reply(std::span(buf).first(bare));
  ASSERT_TRUE(nodata);
  EXPECT_EQ(nodata->cls, RrlClass::nodata);
  EXPECT_EQ(nodata->key, N("a.proxy.test").hash());
  dns::Header h = dns::Header::read(buf.data());
  h.rcode = dns::rcode::SERVFAIL;
  h.write(buf.data());
  EXPECT_EQ(classify_reply(std::span(buf).first(bare))->cls, RrlClass::error);
  EXPECT_FALSE(classify_reply(std::span(buf).first(5)));
  EXPECT_EQ(apply_rrl(RrlAction::drop, buf, bare), 0u);
  EXPECT_EQ(apply_rrl(RrlAction::send, buf, bare), bare);
  EXPECT_EQ(apply_rrl(RrlAction::slip, buf, bare), bare);
  EXPECT_TRUE(dns::Header::read(buf.data()).tc);
}

}  // namespace
}  // namespace namae::auth
