// The [mdns] table: keys, checks, and the service specs the role builds from it.
#include <gtest/gtest.h>

#include "daemon/config.h"
#include "daemon/mdns.h"

namespace namae::daemon {
namespace {

TEST(MdnsConfig, ParsesEveryKey) {
  auto c = parse_config(R"([mdns]
interfaces = ["eth0", "wlan0"]
hostname = "laptop"
ipv6 = false
rescan-interval = 30
services = [
  { name = "My Printer", type = "_ipp._tcp", port = 631, txt = ["rp=queue1"], subtypes = ["_universal"] },
  { name = "Web", type = "_http._tcp", port = 80 },
]
)", "t.toml", "/tmp");
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_TRUE(c->mdns.enabled);
  EXPECT_EQ(c->mdns.interfaces.size(), 2u);
  EXPECT_FALSE(c->mdns.ipv6);
  EXPECT_EQ(c->mdns.rescan_interval, 30u);
  ASSERT_EQ(c->mdns.services.size(), 2u);
  EXPECT_EQ(c->mdns.services[0].subtypes, std::vector<std::string>{"_universal"});
  EXPECT_EQ(c->mdns.services[1].line, 8);
  auto specs = mdns_services(*c);
  ASSERT_TRUE(specs.ok()) << specs.message();
  EXPECT_EQ((*specs)[0].instance, "My Printer");
}

TEST(MdnsConfig, RejectsBadValuesWithLine) {
  auto c = parse_config("[mdns]\nhostname = \"a.b\"\n", "t.toml", "/tmp");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.message().find("t.toml:2:"), std::string::npos) << c.message();
  c = parse_config("[mdns]\nrescan-interval = 0\n", "t.toml", "/tmp");
  EXPECT_FALSE(c.ok());
  c = parse_config("[mdns]\nservices = [ { name = \"x\", type = \"_http._tcp\", colour = 1 } ]\n", "t.toml", "/tmp");
  EXPECT_FALSE(c.ok());
  // Service checks that need DNS-SD rules happen when the role builds its specs.
  auto ok = parse_config("[mdns]\nservices = [\n { name = \"x\", type = \"http\", port = 1 } ]\n", "t.toml", "/tmp");
  ASSERT_TRUE(ok.ok());
  auto specs = mdns_services(*ok);
  ASSERT_FALSE(specs.ok());
  EXPECT_NE(specs.message().find("t.toml:3: [mdns] service 'x'"), std::string::npos) << specs.message();
  ok = parse_config("[mdns]\nservices = [ { name = \"x\", type = \"_http._tcp\", txt = [\"=v\"] } ]\n", "t.toml", "/tmp");
  ASSERT_TRUE(ok.ok());
  EXPECT_FALSE(mdns_services(*ok).ok());
}

}  // namespace
}  // namespace namae::daemon
