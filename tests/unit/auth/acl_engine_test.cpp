// allow-query in the engine: the server's list and a zone's own, by address
// prefix and by verified TSIG key; the denial's EDE 18 (RFC 8914 4.19) only
// with EDNS; a CNAME chain that stops at a zone the client may not query.
#include <arpa/inet.h>
#include <netinet/in.h>

#include "auth_test_util.h"
#include "dns/edns.h"
#include "dns/tsig.h"

namespace namae::auth {
namespace {

using namespace authtest;
namespace rrtype = dns::rrtype;
namespace rcode = dns::rcode;

constexpr const char* kOpen = R"(
$TTL 3600
@ IN SOA ns1 host 1 3600 900 604800 300
@ IN NS ns1
ns1 IN A 192.0.2.53
www IN A 192.0.2.1
alias IN CNAME secret.closed.test.
)";
constexpr const char* kClosed = R"(
$TTL 3600
@ IN SOA ns1 host 1 3600 900 604800 300
@ IN NS ns1
ns1 IN A 192.0.2.53
secret IN A 198.51.100.7
)";
constexpr const char* kSecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LTAxMjM=";

net::AddressAcl acl(const std::vector<std::string>& texts) {
  auto a = net::parse_acl(texts, net::AclKeys::yes);
  EXPECT_TRUE(a.ok()) << (a.ok() ? "" : a.message());
  return a.ok() ? *a : net::AddressAcl{};
}

dns::TsigKey key(const std::string& name) {
  auto k = dns::TsigKey::parse("hmac-sha256:" + name + ":" + kSecret);
  EXPECT_TRUE(k.ok());
  return k.ok() ? *k : dns::TsigKey{};
}

class AclEngine : public ::testing::Test {
 protected:
  // [server] allow-query 192.0.2.0/24 and key:friend; closed.test only 10.0.0.0/8.
  explicit AclEngine(bool zone_acl = true)
      : holder_(std::make_shared<const zone::ZoneSet>(
            std::vector{make_zone("open.test", kOpen), make_zone("closed.test", kClosed)})) {
    AuthOptions o;
    o.tsig_keys = {key("friend."), key("stranger.")};
    o.allow_query = acl({"192.0.2.0/24", "key:friend"});
    if (zone_acl) o.zone_allow_query.emplace_back(N("closed.test"), acl({"10.0.0.0/8"}));
    engine_ = std::make_unique<AuthEngine>(holder_, o);
  }
  Response ask(const std::vector<uint8_t>& query, const char* from) {
    net::Peer peer;
    auto* in = reinterpret_cast<sockaddr_in*>(&peer.addr);
    in->sin_family = AF_INET;
    inet_pton(AF_INET, from, &in->sin_addr);
    peer.addr_len = sizeof(sockaddr_in);
    std::vector<uint8_t> out(65535);
    out.resize(engine_->handle(query, out, peer));
    return decode(std::move(out));
  }
  Response ask(const std::string& name, const char* from, bool edns = true) {
    QueryOpts o;
    o.edns = edns;
    return ask(make_query(name, rrtype::A, o), from);
  }
  Response ask_signed(const std::string& name, const char* from, const std::string& key_name) {
    QueryOpts o;
    o.edns = true;
    auto q = make_query(name, rrtype::A, o);
    size_t len = q.size();
    q.resize(len + 512);
    dns::TsigSignParams p;
    p.time_signed = dns::tsig_now();
    auto r = dns::tsig_sign(q, len, key(key_name), p, nullptr);
    EXPECT_TRUE(r.ok());
    q.resize(r.ok() ? *r : len);
    return ask(q, from);
  }
  static bool prohibited(const Response& r) {
    auto ede = r.edns.find(dns::edns_option::EDE);
    return r.rcode == rcode::REFUSED && ede && dns::edns_option_to_text(*ede) == "EDE: 18 (Prohibited)";
  }

  zone::ZoneSetHolder holder_;
  std::unique_ptr<AuthEngine> engine_;
};

TEST_F(AclEngine, ServerListAdmitsByPrefix) {
  Response r = ask("www.open.test", "192.0.2.10");
  EXPECT_EQ(r.rcode, rcode::NOERROR);
  EXPECT_THAT(r.answer, ::testing::ElementsAre("www.open.test. 3600 A 192.0.2.1"));
  EXPECT_FALSE(r.edns.find(dns::edns_option::EDE));
  EXPECT_TRUE(prohibited(ask("www.open.test", "203.0.113.9")));
}

TEST_F(AclEngine, EdeOnlyWithEdns) {
  Response r = ask("www.open.test", "203.0.113.9", false);
  EXPECT_EQ(r.rcode, rcode::REFUSED);
  EXPECT_FALSE(r.has_opt);  // RFC 8914 3: no OPT in the query, none in the reply
  EXPECT_TRUE(r.answer.empty());
}

TEST_F(AclEngine, KeyEntryAdmitsAVerifiedQueryFromAnywhere) {
  Response r = ask_signed("www.open.test", "203.0.113.9", "friend.");
  EXPECT_EQ(r.rcode, rcode::NOERROR);
  EXPECT_EQ(r.answer.size(), 1u);
  // A key that verifies but is not on the list admits nothing.
  EXPECT_TRUE(prohibited(ask_signed("www.open.test", "203.0.113.9", "stranger.")));
}

TEST_F(AclEngine, ZoneListReplacesTheServers) {
  EXPECT_TRUE(prohibited(ask("secret.closed.test", "192.0.2.10")));
  EXPECT_TRUE(prohibited(ask_signed("secret.closed.test", "203.0.113.9", "friend.")));
  Response r = ask("secret.closed.test", "10.1.2.3");
  EXPECT_EQ(r.rcode, rcode::NOERROR);
  EXPECT_EQ(r.answer.size(), 1u);
  EXPECT_TRUE(prohibited(ask("www.open.test", "10.1.2.3")));  // the server's list for open.test
}

TEST_F(AclEngine, CnameChainStopsAtADeniedZone) {
  Response r = ask("alias.open.test", "192.0.2.10");
  EXPECT_EQ(r.rcode, rcode::NOERROR);
  EXPECT_THAT(r.answer, ::testing::ElementsAre("alias.open.test. 3600 CNAME secret.closed.test."));
  EXPECT_TRUE(r.authority.empty());
  for (const auto& rr : r.additional) EXPECT_EQ(rr.find("198.51.100.7"), std::string::npos) << rr;
}

TEST_F(AclEngine, AnotherSnapshotFindsTheListsByOrigin) {
  // answer() over a set that is not the engine's snapshot (tools, tests):
  // the lists are found by origin. No peer address: only a key admits.
  zone::ZoneSet other(std::vector{make_zone("open.test", kOpen), make_zone("closed.test", kClosed)});
  QueryOpts o;
  o.edns = true;
  std::vector<uint8_t> out(65535);
  out.resize(engine_->answer(other, make_query("www.open.test", rrtype::A, o), out, false));
  EXPECT_TRUE(prohibited(decode(std::move(out))));
}

TEST_F(AclEngine, DeniedSignedQueryGetsASignedRefusal) {
  Response r = ask_signed("secret.closed.test", "203.0.113.9", "friend.");
  EXPECT_TRUE(prohibited(r));
  dns::MessageView v;
  ASSERT_EQ(v.parse(r.wire), dns::WireError::ok);
  EXPECT_TRUE(v.has_tsig());  // RFC 8945 5.3: the reply to a verified query is signed
}

class AclEngineServerOnly : public AclEngine {
 protected:
  AclEngineServerOnly() : AclEngine(false) {}
};

TEST_F(AclEngineServerOnly, CnameChainFollowedWhenBothZonesAdmit) {
  Response r = ask("alias.open.test", "192.0.2.10");
  EXPECT_EQ(r.rcode, rcode::NOERROR);
  EXPECT_EQ(r.answer.size(), 2u);
}

TEST(AclEngineDefault, NoListAdmitsEveryone) {
  Server s({make_zone("open.test", kOpen)});
  Response r = s.ask("www.open.test", rrtype::A);
  EXPECT_EQ(r.rcode, rcode::NOERROR);
}

}  // namespace
}  // namespace namae::auth
