#include "daemon/config.h"

#include <gtest/gtest.h>

namespace namae::daemon {
namespace {

Result<Config> parse(const std::string& text) { return parse_config(text, "t.toml", "/etc/namae"); }

TEST(Config, DefaultsWithEmptyFile) {
  auto c = parse("");
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->server.listen, (std::vector<std::string>{"127.0.0.1:53", "[::1]:53"}));
  EXPECT_EQ(c->server.workers, 0u);
  EXPECT_EQ(c->server.control, "/etc/namae/run/namaed.sock");
  EXPECT_EQ(c->server.tcp_idle_timeout_ms, 10000u);
  EXPECT_EQ(c->server.tcp_max_connections, 1024u);
  EXPECT_EQ(c->server.edns_udp_size, 1232);
  EXPECT_TRUE(c->http.enabled);
  EXPECT_EQ(c->http.listen, "127.0.0.1:8053");
  EXPECT_FALSE(c->resolver.enabled);
  EXPECT_FALSE(c->mdns.enabled);
}

TEST(Config, EveryKeyOfTheDesignExample) {
  auto c = parse(R"(
[server]
listen  = ["127.0.0.1:53", "[::1]:53"]
workers = 2
control = "/run/namaed.sock"
tcp-workers = 2
tcp-idle-timeout = 5000
tcp-max-connections = 50
tcp-write-buffer = 131072
udp-batch = 32
udp-receive-buffer = 1048576
edns-udp-size = 1400
minimal-responses = true
log-level = "debug"
pid-file = "run/namaed.pid"

[[key]]
name = "laptop"
algorithm = "hmac-sha256"
secret = "c2VjcmV0"

[[zone]]
name    = "example.net"
file    = "zones/example.net.zone"
journal = "var/example.net.db"
update-policy = [ { key = "laptop", grant = "self", name = "laptop.example.net", types = ["A", "AAAA"] } ]
max-lease = 3600
dynamic-max-ttl = 60

[resolver]
listen = ["127.0.0.1:5300"]
root-hints = "root.hints"
allow = ["127.0.0.0/8", "::1/128"]
empty-zones = true
do-not-query-localhost = false

[mdns]
interfaces = ["eth0"]
hostname = "laptop"
services = [ { name = "My Printer", type = "_ipp._tcp", port = 631, txt = ["rp=queue1"] } ]

[http]
listen = "127.0.0.1:8053"
tls-cert = "tls/cert.pem"
tls-key  = "tls/key.pem"
users = [ { name = "alice", password-hash = "$argon2id$x", hostnames = ["alice.example.net"] } ]
)");
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->server.workers, 2u);
  EXPECT_EQ(c->server.control, "/run/namaed.sock");  // absolute stays
  EXPECT_EQ(c->server.pid_file, "/etc/namae/run/namaed.pid");
  EXPECT_EQ(c->server.tcp_idle_timeout_ms, 5000u);
  EXPECT_EQ(c->server.udp_batch, 32u);
  EXPECT_TRUE(c->server.minimal_responses);
  ASSERT_EQ(c->keys.size(), 1u);
  EXPECT_EQ(c->keys[0].name, "laptop");
  ASSERT_EQ(c->zones.size(), 1u);
  const auto& z = c->zones[0];
  EXPECT_EQ(z.file, "/etc/namae/zones/example.net.zone");
  EXPECT_EQ(z.journal, "/etc/namae/var/example.net.db");
  ASSERT_EQ(z.update_policy.size(), 1u);
  EXPECT_EQ(z.update_policy[0].types, (std::vector<std::string>{"A", "AAAA"}));
  EXPECT_EQ(z.max_lease, 3600u);
  EXPECT_EQ(z.line, 22);
  EXPECT_TRUE(c->resolver.enabled);
  EXPECT_FALSE(c->resolver.do_not_query_localhost);
  EXPECT_EQ(c->resolver.root_hints, "/etc/namae/root.hints");
  ASSERT_EQ(c->mdns.services.size(), 1u);
  EXPECT_EQ(c->mdns.services[0].port, 631);
  EXPECT_EQ(c->http.tls_key, "/etc/namae/tls/key.pem");
  ASSERT_EQ(c->http.users.size(), 1u);
  EXPECT_EQ(c->http.users[0].hostnames[0], "alice.example.net");
}

TEST(Config, ErrorsNameFileLineAndReason) {
  auto c = parse("[server]\nworkers = 2\nlistenn = [\"127.0.0.1:53\"]\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.message(), "t.toml:3: unknown key 'listenn' in [server]");

  c = parse("[server]\nworkers = -1\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.message(), "t.toml:2: 'workers' must be between 0 and 1024, not -1");

  c = parse("[server]\nlisten = [\"127.0.0.1:53\",\n  \"::1:53\"]\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.message().find("t.toml:3: 'listen'"), std::string::npos) << c.message();  // the entry's line
  EXPECT_NE(c.message().find("brackets"), std::string::npos);

  c = parse("[server]\nminimal-responses = 1\n");
  EXPECT_EQ(c.message(), "t.toml:2: 'minimal-responses' must be true or false");

  c = parse("[server]\nlisten = [\"127.0.0.1:53\"\n");  // TOML syntax error
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.message().rfind("t.toml:2: ", 0), 0u) << c.message();

  c = parse("[bogus]\nx = 1\n");
  EXPECT_EQ(c.message(), "t.toml:1: unknown key 'bogus' in the top level");
}

// RFC 8490 6.5.2: a server never asks for keepalives more often than 10 s;
// the inactivity timeout may be anything, 0 and "infinity" included (6.4.2).
TEST(Config, PushLimitsAndTimers) {
  auto c = parse("[server]\npush-max-subscriptions = 10\npush-max-connections = 3\n"
                 "push-inactivity-timeout = 0\npush-keepalive-interval = 10000\n");
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->server.push_max_subscriptions, 10u);
  EXPECT_EQ(c->server.push_max_connections, 3u);
  EXPECT_EQ(c->server.push_inactivity_timeout_ms, 0u);
  EXPECT_EQ(c->server.push_keepalive_interval_ms, 10000u);
  c = parse("[server]\npush-inactivity-timeout = 4294967295\npush-keepalive-interval = 4294967295\n");
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->server.push_keepalive_interval_ms, 0xffffffffu);
  c = parse("[server]\npush-keepalive-interval = 9999\n");
  EXPECT_EQ(c.message(), "t.toml:2: 'push-keepalive-interval' must be between 10000 and 4294967295, not 9999");
  c = parse("[server]\npush-max-subscriptions = 0\n");
  EXPECT_EQ(c.message(), "t.toml:2: 'push-max-subscriptions' must be between 1 and 1000000, not 0");
  c = parse("[server]\npush-inactivity-timeout = 4294967296\n");
  EXPECT_FALSE(c.ok());
  auto d = parse("");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->server.push_max_subscriptions, 1024u);
  EXPECT_EQ(d->server.push_inactivity_timeout_ms, 15000u);
  EXPECT_EQ(d->server.push_keepalive_interval_ms, 60000u);
}

TEST(Config, RrlTable) {
  auto c = parse("[server]\nrrl = { responses-per-second = 5, window = 30, ipv6-prefix = 48, exempt = [\"10.0.0.0/8\"] }\n");
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_TRUE(c->server.rrl.enabled);
  EXPECT_EQ(c->server.rrl.responses_per_second, 5u);
  EXPECT_EQ(c->server.rrl.slip, 2u);
  EXPECT_EQ(c->server.rrl.window, 30u);
  EXPECT_EQ(c->server.rrl.ipv4_prefix, 24u);
  EXPECT_EQ(c->server.rrl.ipv6_prefix, 48u);
  EXPECT_EQ(c->server.rrl.table_size, 65536u);
  EXPECT_FALSE(parse("")->server.rrl.enabled);

  c = parse("[server]\nworkers = 1\nrrl = { responses-per-second = 0 }\n");
  EXPECT_EQ(c.message(), "t.toml:3: 'responses-per-second' must be between 1 and 1000000, not 0");
  c = parse("[server]\nrrl = { slip = 11, responses-per-second = 1 }\n");
  EXPECT_EQ(c.message(), "t.toml:2: 'slip' must be between 0 and 10, not 11");
  c = parse("[server]\nrrl = { slip = 2 }\n");
  EXPECT_EQ(c.message(), "t.toml:2: [server] rrl needs 'responses-per-second'");
  c = parse("[server]\nrrl = { responses-per-second = 1, rate = 2 }\n");
  EXPECT_EQ(c.message(), "t.toml:2: unknown key 'rate' in rrl");
  c = parse("[server]\n\nrrl = { responses-per-second = 1, exempt = [\"10.0.0.1/8\"] }\n");
  EXPECT_EQ(c.message().rfind("t.toml:3: 'exempt': ", 0), 0u) << c.message();
  c = parse("[server]\nrrl = 10\n");
  EXPECT_EQ(c.message(), "t.toml:2: 'rrl' must be a table");
}

TEST(Config, SeveralErrorsAreAllReported) {
  auto c = parse("[server]\nworkerz = 1\n\n[[zone]]\nname = \"a.test\"\n\n[[zone]]\nname = \"b.test\"\nfile = \"b\"\nnotifi = []\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.message().find("t.toml:2: unknown key 'workerz'"), std::string::npos) << c.message();
  EXPECT_NE(c.message().find("t.toml:4: [[zone]] 'a.test' needs a 'file'"), std::string::npos) << c.message();
  EXPECT_NE(c.message().find("t.toml:10: unknown key 'notifi' in [[zone]]"), std::string::npos) << c.message();
}

TEST(Config, ZoneAndKeyChecks) {
  auto c = parse("[[zone]]\nname = \"a.test\"\nfile = \"a\"\n[[zone]]\nname = \"A.test.\"\nfile = \"b\"\n");
  EXPECT_NE(c.message().find("t.toml:4: zone 'A.test.' is configured twice"), std::string::npos) << c.message();
  c = parse("[[zone]]\nname = \"a.test\"\nfile = \"a\"\nupdate-policy = [ { key = \"nokey\", grant = \"self\", name = \"x\" } ]\n");
  EXPECT_NE(c.message().find("no [[key]] named 'nokey'"), std::string::npos) << c.message();
  c = parse("[[key]]\nname = \"k\"\nalgorithm = \"hmac-sha3\"\nsecret = \"AA==\"\n");
  EXPECT_NE(c.message().find("unknown algorithm 'hmac-sha3'"), std::string::npos) << c.message();
}

TEST(Config, ConsumedCatalogNeedsPrimariesAndMemberDir) {
  auto c = parse("[[zone]]\nname = \"c.test\"\nfile = \"c\"\ncatalog-role = \"consume\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.message().find("t.toml:1: zone 'c.test': catalog-role = \"consume\" needs 'primaries'"),
            std::string::npos) << c.message();
  EXPECT_NE(c.message().find("catalog-role = \"consume\" needs 'catalog-member-dir'"), std::string::npos)
      << c.message();
  c = parse("[[zone]]\nname = \"c.test\"\nfile = \"c\"\ncatalog-role = \"consume\"\n"
            "primaries = [\"192.0.2.1\"]\ncatalog-member-dir = \"members\"\n");
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->zones[0].catalog_role, "consume");
  EXPECT_EQ(c->zones[0].catalog_member_dir.back(), 's');  // resolved against the config's directory
}

TEST(Config, NotifyTargetsAndKey) {
  auto c = parse("[[key]]\nname = \"xfr\"\nsecret = \"AA==\"\n"
                 "[[zone]]\nname = \"a.test\"\nfile = \"a\"\nnotify = [\"192.0.2.2:53\", \"[::1]:5300\"]\n"
                 "notify-key = \"XFR.\"\n");
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->zones[0].notify, (std::vector<std::string>{"192.0.2.2:53", "[::1]:5300"}));
  EXPECT_EQ(c->zones[0].notify_key, "XFR.");
  c = parse("[[zone]]\nname = \"a.test\"\nfile = \"a\"\nnotify = [\"192.0.2.2\"]\nnotify-key = \"nokey\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.message().find("t.toml:4: 'notify': "), std::string::npos) << c.message();  // port required
  EXPECT_NE(c.message().find("t.toml:5: 'notify-key': no [[key]] named 'nokey'"), std::string::npos) << c.message();
  c = parse("[[key]]\nname = \"xfr\"\nsecret = \"AA==\"\n[[zone]]\nname = \"a.test\"\nfile = \"a\"\nnotify-key = \"xfr\"\n");
  EXPECT_NE(c.message().find("'notify-key' without 'notify' targets"), std::string::npos) << c.message();
}

TEST(Config, CatalogRolesMustFitTogether) {
  auto c = parse("[[zone]]\nname = \"cat.test\"\nfile = \"cat\"\ncatalog-role = \"generate\"\n"
                 "[[zone]]\nname = \"a.test\"\nfile = \"a\"\ncatalog-zone = \"CAT.test.\"\ncatalog-group = \"g\"\n");
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->zones[1].catalog_group, "g");
  c = parse("[[zone]]\nname = \"a.test\"\nfile = \"a\"\ncatalog-zone = \"nowhere.test\"\n"
            "[[zone]]\nname = \"b.test\"\nfile = \"b\"\ncatalog-group = \"g\"\n"
            "[[zone]]\nname = \"cat.test\"\nfile = \"cat\"\ncatalog-role = \"generate\"\njournal = \"j\"\n"
            "catalog-zone = \"cat.test\"\n"
            "[[zone]]\nname = \"d.test\"\nfile = \"d\"\ncatalog-member-dir = \"m\"\n"
            "[[zone]]\nname = \"e.test\"\nfile = \"e\"\ncatalog-role = \"producer\"\n");
  ASSERT_FALSE(c.ok());
  for (const char* why : {"t.toml:1: zone 'a.test': 'catalog-zone' must name a [[zone]] with catalog-role = \"generate\"",
                          "t.toml:5: zone 'b.test': 'catalog-group' needs 'catalog-zone'",
                          "t.toml:9: zone 'cat.test': a catalog zone cannot be a catalog member",
                          "t.toml:9: zone 'cat.test': a generated catalog is namaed's to write: no 'journal'",
                          "t.toml:15: zone 'd.test': 'catalog-member-dir' needs catalog-role = \"consume\"",
                          "'catalog-role' must be one of none, generate, consume"})
    EXPECT_NE(c.message().find(why), std::string::npos) << why << "\n" << c.message();
}

TEST(Config, AllowTransferTakesPrefixesAndKnownKeys) {
  auto c = parse("[[key]]\nname = \"xfr\"\nsecret = \"AAAA\"\n"
                 "[[zone]]\nname = \"a.test\"\nfile = \"a\"\nallow-transfer = [\"key:xfr\", \"192.0.2.0/24\", \"::1\"]\n");
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->zones[0].allow_transfer.size(), 3u);
  c = parse("[[zone]]\nname = \"a.test\"\nfile = \"a\"\nallow-transfer = [\"key:nokey\"]\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.message().find("t.toml:4: allow-transfer: no [[key]] named 'nokey.'"), std::string::npos)
      << c.message();
  c = parse("[[zone]]\nname = \"a.test\"\nfile = \"a\"\nallow-transfer = [\"10.1.2.3/8\"]\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.message().find("t.toml:4: 'allow-transfer': "), std::string::npos) << c.message();
}

TEST(Config, AllowQueryOfServerAndZone) {
  auto c = parse("[server]\nallow-query = [\"key:q\", \"192.0.2.0/24\"]\n[[key]]\nname = \"q\"\nsecret = \"AAAA\"\n"
                 "[[zone]]\nname = \"a.test\"\nfile = \"a\"\nallow-query = []\n"
                 "[[zone]]\nname = \"b.test\"\nfile = \"b\"\n");
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->server.allow_query.size(), 2u);
  EXPECT_TRUE(c->zones[0].has_allow_query);  // empty: nobody
  EXPECT_FALSE(c->zones[1].has_allow_query);
  EXPECT_EQ(parse("[[zone]]\nname = \"a.test\"\nfile = \"a\"\n")->server.allow_query,
            (std::vector<std::string>{"0.0.0.0/0", "::/0"}));
  c = parse("[server]\nallow-query = [\"key:nokey\"]\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.message().find("t.toml:2: allow-query: no [[key]] named 'nokey.'"), std::string::npos) << c.message();
  c = parse("[[zone]]\nname = \"a.test\"\nfile = \"a\"\nallow-query = [\"10.1.2.3/8\"]\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.message().find("t.toml:4: 'allow-query': "), std::string::npos) << c.message();
}

TEST(Config, ListenEntriesAreAddressesOrTablesWithAnAccessList) {
  auto c = parse("[server]\nlisten = [\"127.0.0.1:5300\",\n"
                 "  { address = \"127.0.0.2:5300\", allow-query = [\"10.0.0.0/8\", \"key:q\"] },\n"
                 "  { address = \"[::1]:5300\" }]\n[[key]]\nname = \"q\"\nsecret = \"AAAA\"\n");
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->server.listen, (std::vector<std::string>{"127.0.0.1:5300", "127.0.0.2:5300", "[::1]:5300"}));
  ASSERT_EQ(c->server.listeners.size(), 2u);
  EXPECT_EQ(c->server.listeners[0].address, "127.0.0.2:5300");
  EXPECT_EQ(c->server.listeners[0].allow_query, (std::vector<std::string>{"10.0.0.0/8", "key:q"}));
  EXPECT_TRUE(c->server.listeners[0].has_allow_query);
  EXPECT_FALSE(c->server.listeners[1].has_allow_query);  // the plain address
  c = parse("[server]\nlisten = { address = \"127.0.0.1:5300\", allow-query = [] }\n");  // one alone
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->server.listen, std::vector<std::string>{"127.0.0.1:5300"});
  EXPECT_TRUE(c->server.listeners[0].has_allow_query);  // empty: nobody
}

TEST(Config, ListenEntryErrorsNameTheirLine) {
  auto c = parse("[server]\nlisten = [\"127.0.0.1:5300\",\n"
                 "  { allow-query = [\"10.0.0.0/8\"] },\n"
                 "  { address = \"127.0.0.2:5300\", allow-query = [\"key:nokey\"] },\n"
                 "  { address = \"127.0.0.3:5300\", allow-query = [\"10.1.2.3/8\"] },\n"
                 "  { address = \"127.0.0.4\", alow-query = [] },\n"
                 "  42, \"127.0.0.1:5300\"]\n");
  ASSERT_FALSE(c.ok());
  const std::string m = c.message();
  EXPECT_NE(m.find("t.toml:3: [server] listen: a table needs 'address'"), std::string::npos) << m;
  EXPECT_NE(m.find("t.toml:4: allow-query: no [[key]] named 'nokey.'"), std::string::npos) << m;
  EXPECT_NE(m.find("t.toml:5: 'allow-query': "), std::string::npos) << m;
  EXPECT_NE(m.find("t.toml:6: 'address': "), std::string::npos) << m;
  EXPECT_NE(m.find("t.toml:6: unknown key 'alow-query' in listen"), std::string::npos) << m;
  EXPECT_NE(m.find("t.toml:7: 'listen' must hold"), std::string::npos) << m;
  EXPECT_NE(m.find("t.toml:2: [server] listen '127.0.0.1:5300' is given twice"), std::string::npos) << m;
}

TEST(Config, EveryAclKeyParsesTheSameWay) {
  auto c = parse("[[zone]]\nname = \"a.test\"\nfile = \"a\"\nallow-update = [\"::1\", \"10.1.2.3/8\"]\n"
                 "[resolver]\nlisten = \"127.0.0.1:5300\"\nallow = \"192.0.2.0/33\"\n"
                 "[http]\ntrusted-proxies = [\"nonsense\"]\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.message().find("t.toml:4: 'allow-update': "), std::string::npos) << c.message();
  EXPECT_NE(c.message().find("t.toml:7: 'allow': "), std::string::npos) << c.message();
  EXPECT_NE(c.message().find("t.toml:9: 'trusted-proxies': "), std::string::npos) << c.message();
  c = parse("[[zone]]\nname = \"a.test\"\nfile = \"a\"\nallow-update = [\"::1\", \"10.0.0.0/8\"]\n");
  EXPECT_TRUE(c.ok()) << c.message();
}

TEST(Config, KeyInTheDashYForm) {
  // `namae key generate` prints this string; pasted into `y` it is the key.
  auto c = parse("[[key]]\ny = \"hmac-sha512:Laptop.Example.NET.:c2VjcmV0\"\n"
                 "[[key]]\ny = \"bare:AAAA\"\n");
  ASSERT_TRUE(c.ok()) << c.message();
  ASSERT_EQ(c->keys.size(), 2u);
  EXPECT_EQ(c->keys[0].name, "Laptop.Example.NET");
  EXPECT_EQ(c->keys[0].algorithm, "hmac-sha512");
  EXPECT_EQ(c->keys[0].secret, "c2VjcmV0");
  EXPECT_EQ(c->keys[1].name, "bare");
  EXPECT_EQ(c->keys[1].algorithm, "hmac-sha256");  // nsupdate's default
  EXPECT_EQ(c->keys[1].secret, "AAAA");

  c = parse("[[key]]\nname = \"k\"\ny = \"hmac-sha256:k:AAAA\"\n");
  EXPECT_NE(c.message().find("t.toml:3: [[key]] takes either 'y' or 'name'/'algorithm'/'secret'"),
            std::string::npos) << c.message();
  c = parse("[[key]]\ny = \"hmac-sha3:k:AAAA\"\n");
  EXPECT_NE(c.message().find("t.toml:2: [[key]] 'y': unknown TSIG algorithm 'hmac-sha3'"),
            std::string::npos) << c.message();
  c = parse("[[key]]\ny = \"hmac-sha256:k:not base64!\"\n");
  EXPECT_NE(c.message().find("t.toml:2: [[key]] 'y': TSIG secret is not valid base64"),
            std::string::npos) << c.message();
  EXPECT_EQ(c.message().find("needs a"), std::string::npos) << c.message();
}

TEST(Config, MinLeaseYieldsToAShortMaxLeaseUnlessWritten) {
  auto c = parse("[[zone]]\nname = \"a.test\"\nfile = \"a\"\nmax-lease = 30\n");
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->zones[0].min_lease, 30u);
  c = parse("[[zone]]\nname = \"a.test\"\nfile = \"a\"\nmax-lease = 300\n");
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->zones[0].min_lease, 60u);
  c = parse("[[zone]]\nname = \"a.test\"\nfile = \"a\"\nmax-lease = 30\nmin-lease = 40\n");
  EXPECT_NE(c.message().find("t.toml:5: 'min-lease' is larger than 'max-lease'"), std::string::npos)
      << c.message();
}

TEST(Config, SrpNeedsAJournalAndLeases) {
  auto c = parse("[[zone]]\nname = \"a.test\"\nfile = \"a\"\nsrp = true\nmax-lease = 60\n");
  EXPECT_NE(c.message().find("t.toml:4: 'srp' needs a 'journal'"), std::string::npos) << c.message();
  c = parse("[[zone]]\nname = \"a.test\"\nfile = \"a\"\njournal = \"j\"\nsrp = true\n");
  EXPECT_NE(c.message().find("t.toml:5: 'srp' needs a 'max-lease'"), std::string::npos) << c.message();
  c = parse("[[zone]]\nname = \"a.test\"\nfile = \"a\"\njournal = \"j\"\nsrp = true\nmax-lease = 60\nmax-key-lease = 600\n");
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_TRUE(c->zones[0].srp);
  EXPECT_EQ(c->zones[0].max_key_lease, 600u);
}

TEST(Config, HttpOffLoopbackNeedsTls) {
  auto c = parse("[http]\nlisten = \"0.0.0.0:8053\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.message().find("t.toml:2: [http] on a non-loopback address needs"), std::string::npos);
  c = parse("[http]\nlisten = \"[::1]:8053\"\n");
  EXPECT_TRUE(c.ok()) << c.message();
  c = parse("[http]\nlisten = \"\"\n");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->http.enabled);
}

TEST(Config, BuiltInDefaultParses) {
  auto c = parse_config(default_config_text(), "<default-config>", ".");
  ASSERT_TRUE(c.ok()) << c.message();
  ASSERT_EQ(c->zones.size(), 1u);
  EXPECT_EQ(c->zones[0].name, "example.net");
  EXPECT_EQ(c->server.listen[0], "127.0.0.1:5300");
}

TEST(Config, LoadConfigResolvesAgainstItsDirectory) {
  auto missing = load_config("/nonexistent/namae.toml");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.message().find("/nonexistent/namae.toml: cannot open"), std::string::npos);
  EXPECT_EQ(resolve_path("/a", "b/c"), "/a/b/c");
  EXPECT_EQ(resolve_path("/a/", "/b"), "/b");
}

// The going-insecure, parent check and purge keys of DNSSEC signing.
TEST(Config, DnssecInsecureParentalAgentsAndPurgeKeys) {
  auto c = parse(R"(
[[dnssec-policy]]
name = "p"
purge-keys = 0
parental-check-interval = 60

[[dnssec-policy]]
name = "gone"
insecure = true
parent-ds-ttl = 60

[[zone]]
name = "a.test"
file = "a.zone"
dnssec-policy = "p"
parental-agents = ["192.0.2.1:53", "[2001:db8::1]:5300"]

[[zone]]
name = "b.test"
file = "b.zone"
dnssec-policy = "insecure"
)");
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->zones[0].policy.purge_keys, 0u);
  EXPECT_EQ(c->zones[0].policy.parental_check_interval, 60u);
  EXPECT_EQ(c->zones[0].parental_agents, (std::vector<std::string>{"192.0.2.1:53", "[2001:db8::1]:5300"}));
  EXPECT_FALSE(c->zones[0].policy.insecure);
  EXPECT_TRUE(c->zones[1].signs());
  EXPECT_TRUE(c->zones[1].policy.insecure);
  EXPECT_EQ(c->zones[1].policy.purge_keys, 90u * 86400);
  EXPECT_EQ(c->zones[1].policy.parental_check_interval, 3600u);
  EXPECT_EQ(c->zones[1].policy.parent_ds_ttl, 86400u);
  EXPECT_TRUE(c->dnssec_policies[1].insecure);
  EXPECT_EQ(c->dnssec_policies[1].parent_ds_ttl, 60u);
  // "insecure" is built in; agents need a signed zone and an address with a port.
  auto reserved = parse("[[dnssec-policy]]\nname = \"insecure\"\n");
  ASSERT_FALSE(reserved.ok());
  EXPECT_NE(reserved.message().find("built in"), std::string::npos) << reserved.message();
  auto unsigned_zone = parse("[[zone]]\nname = \"a.test\"\nfile = \"a.zone\"\nparental-agents = [\"192.0.2.1:53\"]\n");
  ASSERT_FALSE(unsigned_zone.ok());
  EXPECT_NE(unsigned_zone.message().find("not signed"), std::string::npos) << unsigned_zone.message();
  EXPECT_FALSE(parse("[[zone]]\nname = \"a.test\"\nfile = \"a.zone\"\ndnssec = true\n"
                     "parental-agents = [\"not an address\"]\n").ok());
  EXPECT_FALSE(parse("[[dnssec-policy]]\nname = \"p\"\nparental-check-interval = 0\n").ok());
}

}  // namespace
}  // namespace namae::daemon
