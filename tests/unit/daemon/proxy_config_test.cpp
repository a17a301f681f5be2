// The [[proxy]] tables: keys, and the checks that need no network.
#include <gtest/gtest.h>

#include "daemon/config.h"
#include "daemon/proxy_role.h"

namespace namae::daemon {
namespace {

TEST(ProxyConfig, ParsesEveryKey) {
  auto c = parse_config(R"([[proxy]]
name = "lan.example.net"
interface = "eth0"

[[proxy]]
name = "Building 1.example.net."
interface = "eth1"
nameservers = ["ns1.example.net", "ns2.example.net."]
timeout = 1500
)", "t.toml", "/tmp");
  ASSERT_TRUE(c.ok()) << c.message();
  ASSERT_EQ(c->proxies.size(), 2u);
  EXPECT_EQ(c->proxies[0].timeout, 6000u);  // RFC 8766 5.6
  EXPECT_TRUE(c->proxies[0].nameservers.empty());
  EXPECT_EQ(c->proxies[1].interface, "eth1");
  EXPECT_EQ(c->proxies[1].nameservers.size(), 2u);
  EXPECT_EQ(c->proxies[1].timeout, 1500u);
  EXPECT_EQ(c->proxies[1].line, 5);
}

TEST(ProxyConfig, RejectsMistakesNamingTheLine) {
  auto err = [](const char* text) {
    auto c = parse_config(text, "t.toml", "/tmp");
    EXPECT_FALSE(c.ok()) << text;
    return c.ok() ? std::string() : c.message();
  };
  EXPECT_NE(err("[[proxy]]\ninterface = \"eth0\"\n").find("t.toml:1: [[proxy]] needs a 'name'"), std::string::npos);
  EXPECT_NE(err("[[proxy]]\nname = \"lan.example.net\"\n").find("needs an 'interface'"), std::string::npos);
  EXPECT_NE(err("[[proxy]]\nname = \"lan.example.net\"\ninterface = \"eth0\"\ntimeout = 50\n").find("t.toml:4:"),
            std::string::npos);
  std::string m = err(R"([[proxy]]
name = "example.net"
interface = "eth0"

[[proxy]]
name = "lan.example.net"
interface = "eth1"
)");
  EXPECT_NE(m.find("t.toml:5: [[proxy]] 'lan.example.net': overlaps [[proxy]] 'example.net'"), std::string::npos) << m;
  m = err("[[proxy]]\nname = \"lan.example.net\"\ninterface = \"eth0\"\nnameservers = [\"ns.lan.example.net\"]\n");
  EXPECT_NE(m.find("nameserver 'ns.lan.example.net' is inside the proxy's domain"), std::string::npos) << m;
  m = err(R"([[zone]]
name = "lan.example.net"
file = "z.zone"

[[proxy]]
name = "lan.example.net"
interface = "eth0"
)");
  EXPECT_NE(m.find("t.toml:5: [[proxy]] 'lan.example.net': zone 'lan.example.net' is served here"), std::string::npos) << m;
}

TEST(ProxyConfig, ParentZoneMayBeServedHere) {
  // The parent delegating to the proxy (RFC 8766 5.1) on the same server.
  auto c = parse_config(R"([[zone]]
name = "example.net"
file = "z.zone"

[[proxy]]
name = "lan.example.net"
interface = "eth0"
)", "t.toml", "/tmp");
  EXPECT_TRUE(c.ok()) << c.message();
}

TEST(ProxyConfig, AnInterfaceThatDoesNotExistStopsTheStart) {
  auto c = parse_config("[[proxy]]\nname = \"lan.example.net\"\ninterface = \"nosuch0\"\n", "t.toml", "/tmp");
  ASSERT_TRUE(c.ok()) << c.message();
  auto role = ProxyRole::start(*c);
  ASSERT_FALSE(role.ok());
  EXPECT_EQ(role.message(), "t.toml:1: [[proxy]] 'lan.example.net': interface 'nosuch0' does not exist");
}

}  // namespace
}  // namespace namae::daemon
