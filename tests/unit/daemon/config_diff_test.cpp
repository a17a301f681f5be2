#include "daemon/config_diff.h"

#include <gtest/gtest.h>

namespace namae::daemon {
namespace {

Config parse(const std::string& text) {
  auto c = parse_config(text, "t.toml", "/etc/namae");
  EXPECT_TRUE(c.ok()) << c.message();
  return c.ok() ? *c : Config{};
}

const char* kBase = R"(
[server]
listen = ["127.0.0.1:5300"]
workers = 2
[[key]]
name = "k1"
secret = "c2VjcmV0"
[[zone]]
name = "a.test"
file = "a.zone"
[[zone]]
name = "b.test"
file = "b.zone"
journal = "b.db"
update-policy = [ { key = "k1", grant = "zonesub", types = ["A"] } ]
)";

ConfigDiff diff(const std::string& before, const std::string& after) {
  Config running = parse(before);
  Config next = parse(after);
  auto restart = keep_restart_keys(running, next);
  return diff_config(running, next, restart);
}

TEST(ConfigDiff, SameFileChangesNothing) {
  auto d = diff(kBase, kBase);
  EXPECT_TRUE(d.empty());
  EXPECT_TRUE(d.lines().empty());
}

TEST(ConfigDiff, ZoneAddedAndRemoved) {
  std::string after = std::string(kBase) + "[[zone]]\nname = \"C.test.\"\nfile = \"c.zone\"\n";
  auto d = diff(kBase, after);
  ASSERT_EQ(d.zones.size(), 1u);
  EXPECT_EQ(d.zones[0].kind, ZoneChange::Kind::added);
  EXPECT_EQ(d.zones[0].name, "C.test.");
  auto back = diff(after, kBase);
  ASSERT_EQ(back.zones.size(), 1u);
  EXPECT_EQ(back.zones[0].kind, ZoneChange::Kind::removed);
  EXPECT_EQ(back.lines(), std::vector<std::string>{"zone C.test.: removed"});
}

TEST(ConfigDiff, ProxyChangesNeedARestartAndMovingThemDoesNot) {
  std::string proxy = "[[proxy]]\nname = \"lan.example.net\"\ninterface = \"eth0\"\n";
  std::string before = std::string(kBase) + proxy;
  Config running = parse(before);
  Config next = parse(before + "timeout = 2000\n");
  auto restart = keep_restart_keys(running, next);
  EXPECT_EQ(restart, std::vector<std::string>{"[[proxy]]"});
  EXPECT_EQ(next.proxies, running.proxies);  // the running proxies stay
  EXPECT_TRUE(diff(before, "\n\n" + before).empty());
}

TEST(ConfigDiff, MovedLinesAndNameCaseAreNoChange) {
  std::string after = std::string("\n\n# moved\n") + kBase;
  EXPECT_TRUE(diff(kBase, after).empty());
  EXPECT_EQ(zone_key("A.Test"), "a.test.");
  EXPECT_EQ(zone_key("a.test."), "a.test.");
}

TEST(ConfigDiff, FileChangeServesTheZoneAnew) {
  std::string after = kBase;
  after.replace(after.find("a.zone"), 6, "a2.zone");
  auto d = diff(kBase, after);
  ASSERT_EQ(d.zones.size(), 1u);
  EXPECT_EQ(d.zones[0].kind, ZoneChange::Kind::replaced);
  EXPECT_EQ(d.zones[0].keys, std::vector<std::string>{"file"});
  EXPECT_EQ(d.zones[0].config.file, "/etc/namae/a2.zone");
}

TEST(ConfigDiff, AclAndPolicyChangesKeepTheZone) {
  std::string after = kBase;
  after.replace(after.find("types = [\"A\"]"), 13, "types = [\"A\", \"AAAA\"]");
  after += "allow-query = [\"127.0.0.1/32\"]\n";
  auto d = diff(kBase, after);
  ASSERT_EQ(d.zones.size(), 1u);
  EXPECT_EQ(d.zones[0].kind, ZoneChange::Kind::settings);
  EXPECT_EQ(d.zones[0].keys, (std::vector<std::string>{"update-policy", "allow-query"}));
  EXPECT_EQ(d.lines(), std::vector<std::string>{"zone b.test: update-policy, allow-query changed"});
}

TEST(ConfigDiff, KeysRrlCookiesAndResolverAllow) {
  std::string after = kBase;
  after.replace(after.find("workers = 2"), 11,
                "workers = 2\nallow-query = [\"127.0.0.0/8\"]\ncookies = false\nrrl = { responses-per-second = 5 }");
  after += "[[key]]\nname = \"k2\"\nsecret = \"c2VjcmV0\"\n";
  const std::string resolver = "[resolver]\nlisten = [\"127.0.0.1:5353\"]\n";
  auto d = diff(std::string(kBase) + resolver, after + resolver + "allow = [\"127.0.0.1/32\"]\n");
  EXPECT_TRUE(d.keys);
  EXPECT_TRUE(d.auth);
  EXPECT_TRUE(d.rrl);
  EXPECT_TRUE(d.cookies);
  EXPECT_TRUE(d.resolver_allow);
  EXPECT_TRUE(d.zones.empty());
  EXPECT_TRUE(d.restart.empty());
}

TEST(ConfigDiff, PushTimersAndLimitApplyLiveConnectionsNeedARestart) {
  std::string after = kBase;
  after.replace(after.find("workers = 2"), 11,
                "workers = 2\npush-max-subscriptions = 5\npush-keepalive-interval = 20000\npush-max-connections = 7");
  Config running = parse(kBase);
  Config next = parse(after);
  auto restart = keep_restart_keys(running, next);
  EXPECT_EQ(restart, std::vector<std::string>{"[server] push-max-connections"});
  EXPECT_EQ(next.server.push_max_connections, 1024u);
  EXPECT_EQ(next.server.push_max_subscriptions, 5u);
  EXPECT_EQ(next.server.push_keepalive_interval_ms, 20000u);
  auto d = diff_config(running, next, restart);
  EXPECT_TRUE(d.push);
  EXPECT_EQ(d.lines().front(),
            "server: push-max-subscriptions, push-inactivity-timeout or push-keepalive-interval changed");
  EXPECT_FALSE(diff(kBase, kBase).push);
}

TEST(ConfigDiff, AListenersAccessListChangesLive) {
  std::string table = kBase;
  table.replace(table.find("\"127.0.0.1:5300\""), 16,
                "{ address = \"127.0.0.1:5300\", allow-query = [\"10.0.0.0/8\"] }");
  auto d = diff(kBase, table);
  EXPECT_TRUE(d.listener_acls);
  EXPECT_TRUE(d.listen_added.empty() && d.listen_removed.empty());  // the same address: nothing rebound
  EXPECT_TRUE(d.restart.empty());
  EXPECT_EQ(d.lines(), std::vector<std::string>{"server: a listen entry's allow-query changed"});
  std::string other = table;
  other.replace(other.find("10.0.0.0/8"), 10, "key:k1");
  EXPECT_TRUE(diff(table, other).listener_acls);
  // A table without allow-query is the plain address.
  std::string bare = kBase;
  bare.replace(bare.find("\"127.0.0.1:5300\""), 16, "{ address = \"127.0.0.1:5300\" }");
  EXPECT_TRUE(diff(kBase, bare).empty());
}

TEST(ConfigDiff, RestartKeysAreNamedAndKeepTheirRunningValue) {
  std::string after = kBase;
  after.replace(after.find("workers = 2"), 11, "workers = 3\ncontrol = \"/run/x.sock\"");
  after.replace(after.find("127.0.0.1:5300"), 14, "127.0.0.1:5301");
  Config running = parse(kBase);
  Config next = parse(after);
  auto restart = keep_restart_keys(running, next);
  EXPECT_EQ(restart, (std::vector<std::string>{"[server] workers", "[server] control"}));
  EXPECT_EQ(next.server.workers, 2u);
  EXPECT_EQ(next.server.control, running.server.control);
  auto d = diff_config(running, next, restart);
  EXPECT_FALSE(d.empty());
  EXPECT_EQ(d.lines().back(), "[server] control: needs a restart (the running value stays)");
  // listen is the daemon's to apply (bound live where it can be).
  EXPECT_EQ(d.listen_added, std::vector<std::string>{"127.0.0.1:5301"});
  EXPECT_EQ(d.listen_removed, std::vector<std::string>{"127.0.0.1:5300"});
  // Applied, the kept config shows no difference to the file the next time.
  EXPECT_TRUE(diff_config(next, next).empty());
}

TEST(ConfigDiff, HttpUsersApplyLiveANewResolverKeyNeedsARestart) {
  std::string resolver = "[resolver]\nlisten = [\"127.0.0.1:5353\"]\n";
  const std::string user = "[[http.users]]\nname = \"u\"\npassword-hash = \"$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$aGFzaA\"\n"
                           "hostnames = [\"h.b.test\"]\n";
  std::string after = std::string(kBase) + resolver + "dot-listen = [\"127.0.0.1:8853\"]\n" +
                      "[http]\nupdate-ttl = 30\nlisten = \"127.0.0.1:8054\"\n" + user;
  Config running = parse(std::string(kBase) + resolver);
  Config next = parse(after);
  auto restart = keep_restart_keys(running, next);
  EXPECT_EQ(restart, (std::vector<std::string>{"[resolver] dot-listen", "[http] listen"}));
  auto d = diff_config(running, next, {});
  EXPECT_EQ(d.http, (std::vector<std::string>{"users", "update-ttl"}));
  EXPECT_EQ(d.lines(), (std::vector<std::string>{"http: users changed", "http: update-ttl changed"}));
  EXPECT_EQ(next.http.users.size(), 1u);
}

TEST(ConfigDiff, HttpSettingsWithoutARunningApiNeedARestart) {
  std::string off = std::string(kBase) + "[http]\nlisten = \"\"\n";
  Config running = parse(off);
  Config next = parse(std::string(kBase) + "[http]\nupdate-ttl = 30\n");
  auto restart = keep_restart_keys(running, next);
  EXPECT_EQ(restart, (std::vector<std::string>{"[http] enabled", "[http] listen", "[http] update-ttl"}));
  EXPECT_TRUE(diff_config(running, next, {}).empty());
}

TEST(ConfigDiff, ConsumedCatalogNeedsARestart) {
  std::string after = std::string(kBase) +
                      "[[zone]]\nname = \"cat.test\"\nfile = \"cat.zone\"\nprimaries = [\"127.0.0.1:5301\"]\n"
                      "catalog-role = \"consume\"\ncatalog-member-dir = \"members\"\n";
  Config running = parse(kBase);
  Config next = parse(after);
  auto restart = keep_restart_keys(running, next);
  EXPECT_EQ(restart, std::vector<std::string>{"[[zone]] cat.test (catalog-role = \"consume\")"});
  EXPECT_EQ(next.zones.size(), running.zones.size());
  EXPECT_TRUE(diff_config(running, next, {}).zones.empty());
}

TEST(ConfigDiff, SignatureTimingAppliesLiveOtherSigningNeedsARestart) {
  auto signed_with = [](const std::string& policy) {
    return std::string(kBase) + "[[dnssec-policy]]\nname = \"p\"\n" + policy +
           "[[zone]]\nname = \"s.test\"\nfile = \"s.zone\"\ndnssec-policy = \"p\"\n";
  };
  const std::string before = signed_with("signature-validity = 600000\n");
  auto d = diff(before, signed_with("signature-validity = 700000\nsignature-refresh = 100000\n"));
  ASSERT_EQ(d.zones.size(), 1u);
  EXPECT_EQ(d.zones[0].kind, ZoneChange::Kind::settings);
  EXPECT_EQ(d.zones[0].config.policy.signature_validity, 700000u);
  EXPECT_EQ(d.lines(), std::vector<std::string>{"zone s.test: signature-validity, signature-refresh changed"});
  Config running = parse(before);
  Config next = parse(signed_with("signature-validity = 700000\nnsec3 = true\n"));
  auto restart = keep_restart_keys(running, next);
  ASSERT_EQ(restart.size(), 1u);
  EXPECT_NE(restart[0].find("nsec3"), std::string::npos);
  EXPECT_EQ(next.zones.back().policy.signature_validity, 600000u);  // the whole policy waits
  EXPECT_FALSE(next.zones.back().policy.nsec3);
  // The rollover timing, the algorithm and the key split the key ring takes live, as settings.
  for (const char* timing : {"propagation-delay = 60\n", "dnskey-ttl = 60\n", "parent-ds-ttl = 60\n",
                             "parent-propagation-delay = 60\n", "ksk-lifetime = 86400\n", "purge-keys = 60\n",
                             "parental-check-interval = 60\n", "algorithm = \"ed25519\"\n", "keys = \"ksk-zsk\"\n"}) {
    next = parse(signed_with(timing));
    EXPECT_TRUE(keep_restart_keys(running, next).empty()) << timing;
    auto live = diff(before, signed_with(timing));
    ASSERT_EQ(live.zones.size(), 1u) << timing;
    EXPECT_EQ(live.zones[0].kind, ZoneChange::Kind::settings) << timing;
    EXPECT_TRUE(live.restart.empty()) << timing;
  }
  EXPECT_EQ(diff(before, signed_with("signature-validity = 600000\nkeys = \"ksk-zsk\"\n")).lines(),
            std::vector<std::string>{"zone s.test: keys changed"});
  // Going insecure is live, whatever split or denial the zone has.
  running = parse(signed_with("keys = \"ksk-zsk\"\nnsec3 = true\n"));
  std::string insecure = signed_with("");
  const std::string named = "dnssec-policy = \"p\"";
  insecure.replace(insecure.find(named), named.size(), "dnssec-policy = \"insecure\"");
  next = parse(insecure);
  EXPECT_TRUE(next.zones.back().policy.insecure);
  EXPECT_TRUE(keep_restart_keys(running, next).empty());
  // Starting to sign serves the zone anew (its keys made as at a start); stopping waits.
  const std::string unsigned_zone = kBase + std::string("[[zone]]\nname = \"s.test\"\nfile = \"s.zone\"\n");
  auto on = diff(unsigned_zone, signed_with(""));
  ASSERT_EQ(on.zones.size(), 1u);
  EXPECT_EQ(on.zones[0].kind, ZoneChange::Kind::replaced);
  EXPECT_EQ(on.lines(), std::vector<std::string>{"zone s.test: dnssec, dnssec-policy changed: served anew"});
  EXPECT_TRUE(diff(kBase, signed_with("")).restart.empty());  // a new zone that signs
  running = parse(signed_with(""));
  next = parse(unsigned_zone);
  ASSERT_EQ(keep_restart_keys(running, next).size(), 1u);
  EXPECT_TRUE(next.zones.back().signs());
}

TEST(ConfigDiff, PrimariesMakeASecondaryAnew) {
  std::string after = kBase;
  after.replace(after.find("file = \"a.zone\""), 15, "file = \"a.zone\"\nprimaries = [\"127.0.0.1:5301\"]");
  auto d = diff(kBase, after);
  ASSERT_EQ(d.zones.size(), 1u);
  EXPECT_EQ(d.zones[0].kind, ZoneChange::Kind::replaced);
  EXPECT_EQ(d.zones[0].keys, std::vector<std::string>{"primaries"});
}

}  // namespace
}  // namespace namae::daemon
