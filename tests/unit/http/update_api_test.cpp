// UpdateApi against a real, in-memory UpdateService (no journal file, no
// sockets): every DynDNS2 answer, what changes in the zone and what does not.
#include "http/update_api.h"

#include <gtest/gtest.h>

#include <atomic>

#include "../update/update_test_util.h"
#include "dns/text.h"

namespace namae::http {
namespace {

using update::test::load;
using update::test::name;
using update::test::origin;

const PasswordCost kFast{1, 256, 1};

std::string basic(const std::string& user, const std::string& pw) {
  std::string s = user + ":" + pw;
  return "Basic " +
         dns::base64_encode(std::span(reinterpret_cast<const uint8_t*>(s.data()), s.size()));
}

class UpdateApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    clock.set_unix_time(1700000000);
    base = load();
    holder.publish(std::make_shared<const zone::ZoneSet>(
        std::vector<std::shared_ptr<const zone::ZoneVersion>>{base}));
    service = std::make_unique<update::UpdateService>(
        std::vector<dns::TsigKey>{},
        [this](std::shared_ptr<const zone::ZoneVersion> v) {
          holder.publish(holder.snapshot()->with(std::move(v)));
        },
        clock);
    update::ZoneUpdateConfig cfg;
    cfg.origin = origin();
    cfg.leases.min_lease = 30;
    cfg.leases.max_lease = 600;
    cfg.leases.required = true;
    ASSERT_TRUE(service->add_zone(cfg, base).ok());

    ApiOptions o;
    o.users.push_back({"alice",
                       *hash_password("alice-pw", kFast),
                       {name("h.example.net"), name("h2.example.net"), name("alias.example.net"),
                        name("x.elsewhere.org")}});
    o.users.push_back({"bob", *hash_password("bob-pw", kFast), {name("b.example.net")}});
    o.trusted_proxies.prefixes.push_back(*net::parse_prefix("10.0.0.1"));
    o.ttl = 45;
    o.fail_limit_source = 3;
    o.fail_limit_user = 5;
    o.max_query_length = 200;
    api = std::make_unique<UpdateApi>(
        std::move(o), *service, &holder,
        [this](LogLevel level, const std::string& m) {
          logs.push_back(std::to_string(static_cast<int>(level)) + " " + m);
        },
        clock);
  }

  ApiRequest req(const std::string& host, std::optional<std::string> myip = std::nullopt,
                 const std::string& user = "alice", const std::string& pw = "alice-pw") {
    ApiRequest r;
    r.path = "/nic/update";
    r.params.emplace("hostname", host);
    if (myip) r.params.emplace("myip", *myip);
    r.peer = "192.0.2.50";
    r.authorization = user.empty() ? "" : basic(user, pw);
    r.target_length = r.path.size() + host.size() + 20;
    return r;
  }
  std::shared_ptr<const zone::ZoneVersion> current() { return service->current(origin()); }
  std::vector<std::string> a_of(const std::string& n, uint16_t type = dns::rrtype::A) {
    std::vector<std::string> out;
    const zone::Node* node = current()->find(name(n));
    if (!node) return out;
    auto rrset = node->find(type);
    if (!rrset) return out;
    auto c = rrset.rdatas();
    std::span<const uint8_t> rd;
    while (c.next(rd)) out.push_back(dns::rdata::to_text(type, rd));
    return out;
  }

  FakeClock clock;  // unix_time() set to 1700000000 in SetUp
  std::shared_ptr<const zone::ZoneVersion> base;
  zone::ZoneSetHolder holder;
  std::unique_ptr<update::UpdateService> service;
  std::unique_ptr<UpdateApi> api;
  std::vector<std::string> logs;
};

TEST_F(UpdateApiTest, GoodThenNochgWithLeaseAndSerial) {
  uint32_t s0 = current()->serial();
  auto r = api->nic_update(req("h.example.net", "192.0.2.7"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "good 192.0.2.7\n");
  EXPECT_EQ(r.lease, 600);  // told to the client (X-Namae-Lease)
  EXPECT_EQ(a_of("h.example.net"), std::vector<std::string>{"192.0.2.7"});
  EXPECT_EQ(current()->serial(), s0 + 1);
  auto leases = service->leases(origin());
  ASSERT_EQ(leases.size(), 1u);
  EXPECT_EQ(leases[0].expires_at, clock.unix_time() + 600);  // the zone's max-lease
  EXPECT_EQ(leases[0].granted_to, "http:alice@192.0.2.50");
  EXPECT_EQ(current()->find(name("h.example.net"))->find(dns::rrtype::A).ttl(), 45u);

  clock.advance_ms(100'000);
  r = api->nic_update(req("h.example.net", "192.0.2.7"));
  EXPECT_EQ(r.body, "nochg 192.0.2.7\n");
  EXPECT_EQ(service->leases(origin())[0].expires_at, clock.unix_time() + 600);  // renewed

  // A new address replaces the old one atomically (delete RRset + add).
  r = api->nic_update(req("h.example.net", "192.0.2.8"));
  EXPECT_EQ(r.body, "good 192.0.2.8\n");
  EXPECT_EQ(a_of("h.example.net"), std::vector<std::string>{"192.0.2.8"});
  EXPECT_EQ(service->leases(origin()).size(), 1u);  // the old address's lease went with it
}

TEST_F(UpdateApiTest, SourceAddressAndForwardedFor) {
  auto r = api->nic_update(req("h.example.net"));
  EXPECT_EQ(r.body, "good 192.0.2.50\n");
  auto q = req("h.example.net");
  q.forwarded_for = "203.0.113.9";  // from a peer that is not a proxy: ignored
  EXPECT_EQ(api->nic_update(q).body, "nochg 192.0.2.50\n");
  q.peer = "10.0.0.1";  // the trusted proxy
  EXPECT_EQ(api->nic_update(q).body, "good 203.0.113.9\n");
  q.peer = "::ffff:10.0.0.1";  // the same proxy seen through a dual-stack socket
  q.forwarded_for = "2001:db8::9";
  EXPECT_EQ(api->nic_update(q).body, "good 2001:db8::9\n");
  EXPECT_EQ(a_of("h.example.net", dns::rrtype::AAAA), std::vector<std::string>{"2001:db8::9"});
  EXPECT_EQ(a_of("h.example.net"), std::vector<std::string>{"203.0.113.9"});  // left alone
  q.forwarded_for = "garbage";
  EXPECT_EQ(api->nic_update(q).status, 400);
}

TEST_F(UpdateApiTest, SeveralHostnamesOneTransactionOneLineEach) {
  uint32_t s0 = current()->serial();
  auto r = api->nic_update(req("h.example.net,b.example.net,h2.example.net", "192.0.2.9"));
  EXPECT_EQ(r.body, "good 192.0.2.9\nnohost\ngood 192.0.2.9\n");
  EXPECT_EQ(current()->serial(), s0 + 1);  // both names in one update
  EXPECT_EQ(a_of("h2.example.net"), std::vector<std::string>{"192.0.2.9"});
  EXPECT_TRUE(a_of("b.example.net").empty());
}

TEST_F(UpdateApiTest, RefusalsChangeNothing) {
  auto v0 = current();
  struct Case {
    ApiRequest rq;
    int status;
    std::string body;
  };
  auto no_creds = req("h.example.net", "192.0.2.1", "");
  auto long_q = req("h.example.net", "192.0.2.1");
  long_q.target_length = 201;
  std::vector<Case> cases = {
      {no_creds, 401, "badauth\n"},
      {req("h.example.net", "192.0.2.1", "mallory", "x"), 401, "badauth\n"},
      {req("b.example.net", "192.0.2.1"), 200, "nohost\n"},
      {req("x.elsewhere.org", "192.0.2.1"), 200, "nohost\n"},  // owned, but in no dynamic zone
      {req("h.example.net", "192.0.2.256"), 400, "badagent\n"},
      {req("h", "192.0.2.1"), 200, "notfqdn\n"},
      {req("alias.example.net", "192.0.2.1"), 200, "dnserr\n"},  // a CNAME owns the name
      {long_q, 414, "badagent\n"},
  };
  for (auto& c : cases) {
    size_t logged = logs.size();
    auto r = api->nic_update(c.rq);
    EXPECT_EQ(r.status, c.status) << c.body;
    EXPECT_EQ(r.body, c.body);
    EXPECT_EQ(r.challenge, c.status == 401);
    EXPECT_EQ(current(), v0) << c.body;  // the very same version: nothing committed
    EXPECT_FALSE(r.lease) << c.body;
    EXPECT_GT(logs.size(), logged) << "not logged: " << c.body;
  }
  EXPECT_TRUE(service->leases(origin()).empty());
  auto m = api->render_metrics();
  EXPECT_NE(m.find("namae_http_updates_total{answer=\"badauth\"} 2\n"), std::string::npos) << m;
  EXPECT_NE(m.find("namae_http_updates_total{answer=\"nohost\"} 2\n"), std::string::npos) << m;
  EXPECT_NE(m.find("namae_http_updates_total{answer=\"badagent\"} 2\n"), std::string::npos) << m;
  EXPECT_NE(m.find("namae_http_updates_total{answer=\"dnserr\"} 1\n"), std::string::npos) << m;
  EXPECT_NE(m.find("namae_http_updates_total{answer=\"good\"} 0\n"), std::string::npos) << m;
  EXPECT_NE(m.find("namae_http_login_failures_total 1\n"), std::string::npos) << m;
}

TEST_F(UpdateApiTest, FailedLoginsPerSourceAndPerUser) {
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(api->nic_update(req("h.example.net", "192.0.2.1", "alice", "bad")).body, "badauth\n");
  // Blocked source: even the right password gets "abuse", and nothing changes.
  EXPECT_EQ(api->nic_update(req("h.example.net", "192.0.2.1")).body, "abuse\n");
  EXPECT_TRUE(a_of("h.example.net").empty());
  // Another source is not blocked...
  auto other = req("h.example.net", "192.0.2.1");
  other.peer = "192.0.2.51";
  EXPECT_EQ(api->nic_update(other).body, "good 192.0.2.1\n");
  // ...and its success reset alice's user count; two more failures from
  // elsewhere then leave her under the per-user limit of 5.
  for (int i = 0; i < 2; ++i) {
    auto q = req("h.example.net", "192.0.2.1", "alice", "bad");
    q.peer = "198.51.100." + std::to_string(i + 1);
    EXPECT_EQ(api->nic_update(q).body, "badauth\n");
  }
  EXPECT_EQ(api->nic_update(other).body, "nochg 192.0.2.1\n");
  // Five failures for bob from five sources block bob everywhere.
  for (int i = 0; i < 5; ++i) {
    auto q = req("b.example.net", "192.0.2.1", "bob", "bad");
    q.peer = "198.51.100." + std::to_string(i + 10);
    api->nic_update(q);
  }
  auto b = req("b.example.net", "192.0.2.1", "bob", "bob-pw");
  b.peer = "192.0.2.99";
  EXPECT_EQ(api->nic_update(b).body, "abuse\n");
}

TEST_F(UpdateApiTest, RestListsZonesRecordsAndHosts) {
  api->nic_update(req("h.example.net", "192.0.2.7"));
  ApiRequest r;
  r.peer = "192.0.2.50";
  r.authorization = basic("bob", "bob-pw");
  r.path = "/api/zones";
  auto z = api->rest(r);
  EXPECT_EQ(z.status, 200);
  EXPECT_EQ(z.content_type, "application/json");
  EXPECT_NE(z.body.find("\"name\": \"example.net.\""), std::string::npos) << z.body;
  EXPECT_NE(z.body.find("\"dynamic\": true"), std::string::npos) << z.body;
  EXPECT_NE(z.body.find("\"serial\": " + std::to_string(current()->serial())), std::string::npos);

  r.path = "/api/zones/example.net";
  auto recs = api->rest(r);
  EXPECT_EQ(recs.status, 200);
  EXPECT_NE(recs.body.find("\"name\": \"h.example.net.\",\n"), std::string::npos) << recs.body;
  EXPECT_NE(recs.body.find("\"data\": \"192.0.2.7\""), std::string::npos) << recs.body;

  r.path = "/api/hosts";
  auto hosts = api->rest(r);
  EXPECT_EQ(hosts.status, 200);
  EXPECT_NE(hosts.body.find("\"address\": \"192.0.2.7\""), std::string::npos) << hosts.body;
  EXPECT_NE(hosts.body.find("\"lease_remaining\": 600"), std::string::npos) << hosts.body;
  EXPECT_NE(hosts.body.find("\"source\": \"192.0.2.50\""), std::string::npos) << hosts.body;
  EXPECT_NE(hosts.body.find("\"name\": \"b.example.net.\""), std::string::npos) << hosts.body;

  r.path = "/api/zones/nope.example";
  EXPECT_EQ(api->rest(r).status, 404);
  r.path = "/api/other";
  EXPECT_EQ(api->rest(r).status, 404);
  r.authorization = basic("bob", "wrong");
  r.path = "/api/zones";
  auto denied = api->rest(r);
  EXPECT_EQ(denied.status, 401);
  EXPECT_TRUE(denied.challenge);
}

}  // namespace
}  // namespace namae::http
