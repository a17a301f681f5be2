// allow-query in the engine: the server's list and a zone's own, by address
// prefix and by verified TSIG key; the denial's EDE 18 (RFC 8914 4.19) only
// with EDNS; a CNAME chain that stops at a zone the client may not query;
// a listener's own list, which a query must pass as well as its zone's, and
// that list changed live (a new AuthOptions published between two queries).
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
    // Listener 2 admits 10.0.0.0/8 and key:friend; listeners 0 and 1 have no list.
    o.listener_allow_query.resize(3);
    o.listener_allow_query[2] = acl({"10.0.0.0/8", "key:friend"});
    settings_ = std::make_shared<AuthSettings>(std::make_shared<const AuthOptions>(o));
    engine_ = std::make_unique<AuthEngine>(holder_, settings_);
  }
  Response ask(const std::vector<uint8_t>& query, const char* from, uint32_t listener = 0) {
    net::Peer peer;
    peer.listener = listener;
    auto* in = reinterpret_cast<sockaddr_in*>(&peer.addr);
    in->sin_family = AF_INET;
    inet_pton(AF_INET, from, &in->sin_addr);
    peer.addr_len = sizeof(sockaddr_in);
    std::vector<uint8_t> out(65535);
    out.resize(engine_->handle(query, out, peer));
    return decode(std::move(out));
  }
  Response ask(const std::string& name, const char* from, bool edns = true, uint32_t listener = 0) {
    QueryOpts o;
    o.edns = edns;
    return ask(make_query(name, rrtype::A, o), from, listener);
  }
  Response ask_signed(const std::string& name, const char* from, const std::string& key_name,
                      uint32_t listener = 0) {
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
    return ask(q, from, listener);
  }
  static bool prohibited(const Response& r) {
    auto ede = r.edns.find(dns::edns_option::EDE);
    return r.rcode == rcode::REFUSED && ede && dns::edns_option_to_text(*ede) == "EDE: 18 (Prohibited)";
  }

  zone::ZoneSetHolder holder_;
  std::shared_ptr<AuthSettings> settings_;
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

TEST_F(AclEngine, ListenerListAndZoneListMustBothAdmit) {
  // 192.0.2.10: the server's list admits it, listener 2's does not.
  EXPECT_EQ(ask("www.open.test", "192.0.2.10", true, 1).rcode, rcode::NOERROR);
  EXPECT_TRUE(prohibited(ask("www.open.test", "192.0.2.10", true, 2)));
  // 10.1.2.3: listener 2 admits it; open.test (the server's list) does not,
  // closed.test (its own list) does.
  EXPECT_TRUE(prohibited(ask("www.open.test", "10.1.2.3", true, 2)));
  Response r = ask("secret.closed.test", "10.1.2.3", true, 2);
  EXPECT_EQ(r.rcode, rcode::NOERROR);
  EXPECT_EQ(r.answer.size(), 1u);
  // A listener number past the list has none.
  EXPECT_EQ(ask("www.open.test", "192.0.2.10", true, 7).rcode, rcode::NOERROR);
}

TEST_F(AclEngine, ListenerKeyEntryAdmitsAVerifiedQuery) {
  Response r = ask_signed("www.open.test", "203.0.113.9", "friend.", 2);
  EXPECT_EQ(r.rcode, rcode::NOERROR);
  EXPECT_EQ(r.answer.size(), 1u);
  EXPECT_TRUE(prohibited(ask_signed("www.open.test", "203.0.113.9", "stranger.", 2)));
  // Without EDNS: REFUSED with no OPT (RFC 8914 3).
  Response plain = ask("www.open.test", "192.0.2.10", false, 2);
  EXPECT_EQ(plain.rcode, rcode::REFUSED);
  EXPECT_FALSE(plain.has_opt);
}

TEST_F(AclEngine, ListenerListChangesBetweenQueries) {
  EXPECT_TRUE(prohibited(ask("www.open.test", "192.0.2.10", true, 2)));
  auto next = std::make_shared<AuthOptions>(*settings_->get());
  next->listener_allow_query[2] = acl({"192.0.2.0/24"});
  next->listener_allow_query.push_back(acl({"10.0.0.0/8"}));  // listener 3, say one just added
  settings_->publish(next);
  EXPECT_EQ(ask("www.open.test", "192.0.2.10", true, 2).rcode, rcode::NOERROR);
  EXPECT_TRUE(prohibited(ask("www.open.test", "192.0.2.10", true, 3)));
  next = std::make_shared<AuthOptions>(*next);
  next->listener_allow_query.clear();
  settings_->publish(next);
  EXPECT_EQ(ask("www.open.test", "192.0.2.10", true, 3).rcode, rcode::NOERROR);
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
