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
    net::Peer peer;
    auto* in = reinterpret_cast<sockaddr_in*>(&peer.addr);
    in->sin_family = AF_INET;
    inet_pton(AF_INET, from, &in->sin_addr);
    peer.addr_len = sizeof(sockaddr_in);
    peer.tcp = tcp;
    std::vector<uint8_t> out(65535);
    out.resize(engine_->handle(query, out, peer));
    return decode(std::move(out));
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

TEST_F(RrlEngine, TcpIsNeverLimited) {
  for (int i = 0; i < 20; ++i) EXPECT_EQ(ask("www.example.com", dns::rrtype::A, "192.0.2.10", true).answer.size(), 1u);
  EXPECT_EQ(answered(std::vector<std::string>(10, "www.example.com")), 5);
}

TEST_F(RrlEngine, ExemptPrefixesAreNeverLimited) {
  RrlOptions o;
  o.responses_per_second = 1;
  o.exempt = *net::parse_acl({"192.0.2.0/24"});
  AuthOptions ao;
  ao.rrl = std::make_shared<RateLimiter>(o, clock_);
  engine_ = std::make_unique<AuthEngine>(holder_, ao, metrics_);
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

}  // namespace
}  // namespace namae::auth
