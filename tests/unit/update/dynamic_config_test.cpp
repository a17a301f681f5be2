// The [[zone]] dynamic-update keys: parsed, checked, and turned into the
// update service's settings.
#include <gtest/gtest.h>

#include "daemon/config.h"
#include "daemon/dynamic.h"

namespace namae::daemon {
namespace {

constexpr const char* kConfig = R"(
[[key]]
name = "laptop"
secret = "c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0c2VjcmV0MTI="

[[zone]]
name = "example.net"
file = "z.zone"
journal = "var/z.db"
update-policy = [ { key = "laptop", grant = "subdomain", name = "dyn.example.net", types = ["A", "AAAA"] },
                  { key = "laptop", grant = "self" } ]
allow-update = ["127.0.0.1/32", "::1"]
max-lease = 3600
min-lease = 30
lease-required = false
dynamic-max-ttl = 60
file-sync-interval = 10
journal-keep = 5
)";

TEST(DynamicConfig, KeysParsedAndConverted) {
  auto cfg = parse_config(kConfig, "t.toml", "/etc/namae");
  ASSERT_TRUE(cfg.ok()) << cfg.message();
  const ZoneConfig& z = cfg->zones.at(0);
  EXPECT_EQ(z.journal, "/etc/namae/var/z.db");
  EXPECT_EQ(z.allow_update.size(), 2u);
  EXPECT_EQ(z.min_lease, 30u);
  EXPECT_FALSE(z.lease_required);
  EXPECT_EQ(z.file_sync_interval, 10u);
  EXPECT_EQ(z.journal_keep, 5u);

  auto u = zone_update_config(z);
  ASSERT_TRUE(u.ok()) << u.message();
  EXPECT_EQ(u->origin.to_text(), "example.net.");
  EXPECT_EQ(u->policy.grants().size(), 2u);
  EXPECT_EQ(u->policy.grants()[0].name.to_text(),
            "dyn.example.net.");  // absolute, not under the zone twice
  EXPECT_EQ(u->policy.grants()[0].types.size(), 2u);
  EXPECT_EQ(u->allow_update.prefixes.size(), 2u);
  EXPECT_EQ(u->leases.max_lease, 3600u);
  EXPECT_EQ(u->leases.min_lease, 30u);
  EXPECT_FALSE(u->leases.required);
  EXPECT_EQ(u->engine.dynamic_max_ttl, 60u);
  auto keys = tsig_keys(*cfg);
  ASSERT_TRUE(keys.ok());
  EXPECT_EQ(keys->at(0).name.to_text(), "laptop.");
  EXPECT_EQ(keys->at(0).algorithm, dns::TsigAlgorithm::hmac_sha256);
}

TEST(DynamicConfig, BadValuesAreErrors) {
  std::string bad = kConfig;
  bad.replace(bad.find("\"127.0.0.1/32\""), 14, "\"10.1.2.3/8\"");
  auto a = parse_config(bad, "t.toml", "/");
  ASSERT_FALSE(a.ok());
  EXPECT_NE(a.message().find("allow-update"), std::string::npos);
  std::string lease = kConfig;
  lease.replace(lease.find("min-lease = 30"), 14, "min-lease = 9999");
  auto b = parse_config(lease, "t.toml", "/");
  ASSERT_FALSE(b.ok());
  EXPECT_NE(b.message().find("min-lease"), std::string::npos);
  std::string unknown = kConfig;
  unknown += "lease-requird = true\n";
  EXPECT_FALSE(parse_config(unknown, "t.toml", "/").ok());
}

}  // namespace
}  // namespace namae::daemon
