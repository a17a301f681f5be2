// The [resolver] table: defaults, every key, and errors naming the line.
#include <gtest/gtest.h>

#include "daemon/config.h"

namespace namae::daemon {
namespace {

Result<Config> parse(const std::string& text) { return parse_config(text, "t.toml", "/etc/namae"); }

TEST(ResolverConfig, Defaults) {
  auto c = parse("[resolver]\nlisten = \"127.0.0.1:5300\"\n");
  ASSERT_TRUE(c.ok()) << c.message();
  const auto& r = c->resolver;
  EXPECT_TRUE(r.enabled);
  EXPECT_TRUE(r.empty_zones);
  EXPECT_TRUE(r.do_not_query_localhost);
  EXPECT_TRUE(r.qname_minimisation);
  EXPECT_TRUE(r.prefetch);
  EXPECT_FALSE(r.serve_stale);
  EXPECT_EQ(r.threads, 1u);
  EXPECT_EQ(r.queries_per_thread, 1024u);
  EXPECT_EQ(r.upstream_port, 53);
  // Loopback and private ranges may recurse by default.
  auto has = [&](const char* p) { return std::find(r.allow.begin(), r.allow.end(), p) != r.allow.end(); };
  EXPECT_TRUE(has("127.0.0.0/8"));
  EXPECT_TRUE(has("::1/128"));
  EXPECT_TRUE(has("10.0.0.0/8"));
  EXPECT_TRUE(has("192.168.0.0/16"));
  EXPECT_TRUE(has("fc00::/7"));
}

TEST(ResolverConfig, EveryKey) {
  auto c = parse(R"([resolver]
listen = ["127.0.0.1:5300", "[::1]:5300"]
root-hints = "hints/named.root"
allow = ["192.0.2.0/24"]
empty-zones = false
do-not-query-localhost = false
workers = 2
threads = 8
queries-per-thread = 64
cache-size = 5000
min-ttl = 5
max-ttl = 600
max-negative-ttl = 60
serve-stale = true
prefetch = false
qname-minimisation = false
edns-udp-size = 1400
upstream-port = 5353
)");
  ASSERT_TRUE(c.ok()) << c.message();
  const auto& r = c->resolver;
  EXPECT_EQ(r.listen.size(), 2u);
  EXPECT_EQ(r.root_hints, "/etc/namae/hints/named.root");
  EXPECT_EQ(r.allow, std::vector<std::string>{"192.0.2.0/24"});
  EXPECT_FALSE(r.empty_zones);
  EXPECT_EQ(r.workers, 2u);
  EXPECT_EQ(r.threads, 8u);
  EXPECT_EQ(r.queries_per_thread, 64u);
  EXPECT_EQ(r.cache_size, 5000u);
  EXPECT_EQ(r.min_ttl, 5u);
  EXPECT_EQ(r.max_ttl, 600u);
  EXPECT_EQ(r.max_negative_ttl, 60u);
  EXPECT_TRUE(r.serve_stale);
  EXPECT_FALSE(r.prefetch);
  EXPECT_FALSE(r.qname_minimisation);
  EXPECT_EQ(r.edns_udp_size, 1400);
  EXPECT_EQ(r.upstream_port, 5353);
}

TEST(ResolverConfig, Errors) {
  auto c = parse("[resolver]\nlisten = \"127.0.0.1:5300\"\nallow = [\"10.1.2.3/8\"]\nthreads = 0\nbogus = 1\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.message().find("allow"), std::string::npos) << c.message();
  EXPECT_NE(c.message().find("threads"), std::string::npos) << c.message();
  EXPECT_NE(c.message().find("bogus"), std::string::npos) << c.message();
  EXPECT_FALSE(parse("[resolver]\nroot-hints = \"x\"\n").ok());  // listen is required
}

TEST(ResolverConfig, ListenMustNotOverlapTheAuthoritativeListeners) {
  // Default [server] listen is 127.0.0.1:53 and [::1]:53.
  auto c = parse("[resolver]\nlisten = \"127.0.0.1:53\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.message().find("overlaps [server] listen '127.0.0.1:53'"), std::string::npos)
      << c.message();
  EXPECT_FALSE(parse("[server]\nlisten = [\"0.0.0.0:53\"]\n[resolver]\nlisten = \"127.0.0.2:53\"\n").ok());
  EXPECT_TRUE(parse("[server]\nlisten = [\"127.0.0.1:53\"]\n[resolver]\nlisten = \"127.0.0.2:53\"\n").ok());
  EXPECT_TRUE(parse("[server]\nlisten = [\"127.0.0.1:5301\"]\n[resolver]\nlisten = \"127.0.0.1:53\"\n").ok());
}

}  // namespace
}  // namespace namae::daemon

namespace namae::daemon {
namespace {

TEST(ResolverConfig, MdnsBridgeKeys) {
  auto off = parse_config("[resolver]\nlisten = \"127.0.0.1:5300\"\n", "t.toml", "/etc/namae");
  ASSERT_TRUE(off.ok()) << off.message();
  EXPECT_FALSE(off->resolver.mdns_bridge);  // off by default
  EXPECT_EQ(off->resolver.mdns_bridge_timeout, 1000u);
  EXPECT_TRUE(off->resolver.mdns_bridge_interfaces.empty());
  auto on = parse_config(R"([resolver]
listen = "127.0.0.1:5300"
mdns-bridge = true
mdns-bridge-timeout = 300
mdns-bridge-interfaces = ["eth0", "wlan0"]
)",
                         "t.toml", "/etc/namae");
  ASSERT_TRUE(on.ok()) << on.message();
  EXPECT_TRUE(on->resolver.mdns_bridge);
  EXPECT_EQ(on->resolver.mdns_bridge_timeout, 300u);
  EXPECT_EQ(on->resolver.mdns_bridge_interfaces, (std::vector<std::string>{"eth0", "wlan0"}));
  auto bad = parse_config("[resolver]\nlisten = \"127.0.0.1:5300\"\nmdns-bridge-timeout = 60000\n", "t.toml",
                          "/etc/namae");
  EXPECT_FALSE(bad.ok());
}

TEST(ResolverConfig, StubAndForwardDomains) {
  auto c = parse(R"([resolver]
listen = "127.0.0.1:5300"
local-zones = false

[[resolver.stub]]
name = "corp.example"
servers = ["10.0.0.53", "10.0.1.53:5353", "[2001:db8::53]"]

[[resolver.forward]]
name = "."
servers = ["192.0.2.1"]
tls = true
tls-name = "dns.example"
tls-ca-file = "ca.pem"
)");
  ASSERT_TRUE(c.ok()) << c.message();
  const auto& r = c->resolver;
  EXPECT_FALSE(r.local_zones);
  ASSERT_EQ(r.stubs.size(), 1u);
  EXPECT_EQ(r.stubs[0].name, "corp.example");
  EXPECT_EQ(r.stubs[0].servers.size(), 3u);
  ASSERT_EQ(r.forwards.size(), 1u);
  EXPECT_EQ(r.forwards[0].name, ".");
  EXPECT_TRUE(r.forwards[0].tls);
  EXPECT_EQ(r.forwards[0].tls_name, "dns.example");
  EXPECT_NE(r.forwards[0].tls_ca_file.find("ca.pem"), std::string::npos);
  EXPECT_TRUE(parse("[resolver]\nlisten = \"127.0.0.1:5300\"\n")->resolver.local_zones);
}

TEST(ResolverConfig, BadStubAndForwardDomainsNameTheLine) {
  auto err = [](const std::string& tables) {
    auto c = parse("[resolver]\nlisten = \"127.0.0.1:5300\"\n" + tables);
    EXPECT_FALSE(c.ok()) << tables;
    return c.ok() ? std::string() : c.message();
  };
  EXPECT_NE(err("[[resolver.stub]]\nname = \"a.example\"\n").find("t.toml:3"), std::string::npos);
  EXPECT_NE(err("[[resolver.stub]]\nname = \"a.example\"\nservers = [\"10.0.0.1:99999\"]\n").find("bad port"),
            std::string::npos);
  EXPECT_NE(err("[[resolver.forward]]\nname = \"a..b\"\nservers = [\"10.0.0.1\"]\n").find("bad name"),
            std::string::npos);
  EXPECT_NE(err("[[resolver.stub]]\nname = \"a.example\"\nservers = [\"10.0.0.1\"]\n"
                "[[resolver.forward]]\nname = \"A.example.\"\nservers = [\"10.0.0.2\"]\n")
                .find("already a stub or forward domain"),
            std::string::npos);
  // RFC 8310 strict profile only: TLS without a name to check is refused.
  std::string tls = err("[[resolver.forward]]\nname = \".\"\nservers = [\"10.0.0.1:853\"]\ntls = true\n");
  EXPECT_NE(tls.find("t.toml:6"), std::string::npos) << tls;
  EXPECT_NE(tls.find("needs 'tls-name'"), std::string::npos) << tls;
  std::string name_alone = err("[[resolver.forward]]\nname = \".\"\nservers = [\"10.0.0.1\"]\ntls-ca-file = \"ca.pem\"\n");
  EXPECT_NE(name_alone.find("'tls-ca-file' without 'tls = true'"), std::string::npos) << name_alone;
  EXPECT_NE(err("[[resolver.forward]]\nname = \".\"\nservers = [\"10.0.0.1\"]\nfrob = 1\n").find("frob"),
            std::string::npos);
}

}  // namespace
}  // namespace namae::daemon
