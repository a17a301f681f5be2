// [http] keys of the update API (issue 5) and their conversion to ApiOptions.
#include <gtest/gtest.h>

#include "daemon/config.h"
#include "daemon/http_api.h"

namespace namae::daemon {
namespace {

Result<Config> parse(const std::string& text) { return parse_config(text, "t.toml", "/etc/namae"); }

const char* kHash =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
    "9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ";

TEST(HttpConfig, UpdateApiKeys) {
  auto c = parse(std::string(R"([http]
listen = "192.0.2.1:8443"
tls-cert = "tls/cert.pem"
tls-key = "tls/key.pem"
trusted-proxies = ["10.0.0.0/8", "::1"]
update-ttl = 30
login-failures-per-source = 3
login-failures-per-user = 7
login-failure-window = 120
max-query-length = 600
users = [ { name = "alice", password-hash = ")") +
                 kHash + R"(", hostnames = ["alice.example.net", "a2.example.net."] } ]
)");
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->http.update_ttl, 30u);
  EXPECT_EQ(c->http.tls_cert, "/etc/namae/tls/cert.pem");
  auto o = api_options(c->http);
  ASSERT_TRUE(o.ok()) << o.message();
  EXPECT_EQ(o->ttl, 30u);
  EXPECT_EQ(o->fail_limit_source, 3u);
  EXPECT_EQ(o->fail_limit_user, 7u);
  EXPECT_EQ(o->fail_window_ms, 120000);
  EXPECT_EQ(o->max_query_length, 600u);
  ASSERT_EQ(o->trusted_proxies.prefixes.size(), 2u);
  ASSERT_EQ(o->users.size(), 1u);
  ASSERT_EQ(o->users[0].hostnames.size(), 2u);
  EXPECT_EQ(o->users[0].hostnames[0].to_text(), "alice.example.net.");
  EXPECT_EQ(o->users[0].hostnames[1].to_text(), "a2.example.net.");
}

TEST(HttpConfig, PlainHttpOffLoopbackOnlyWhenAllowed) {
  auto c = parse("[http]\nlisten = \"192.0.2.1:8053\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.message().find("allow-plain-http"), std::string::npos) << c.message();
  c = parse("[http]\nlisten = \"192.0.2.1:8053\"\nallow-plain-http = true\n");
  EXPECT_TRUE(c.ok()) << c.message();
}

TEST(HttpConfig, BadValuesAreErrors) {
  auto err = [](const std::string& text) {
    auto c = parse(text);
    return c.ok() ? std::string() : c.message();
  };
  EXPECT_NE(err("[http]\ntrusted-proxies = [\"10.0.0.1/8\"]\n").find("t.toml:2: 'trusted-proxies'"),
            std::string::npos);
  EXPECT_NE(err("[http]\nusers = [ { name = \"a\", password-hash = \"plain\" } ]\n")
                .find("must be an Argon2id hash"),
            std::string::npos);
  EXPECT_NE(err(std::string("[http]\nusers = [ { name = \"a:b\", password-hash = \"") + kHash +
                "\" } ]\n")
                .find("cannot contain ':'"),
            std::string::npos);
  EXPECT_NE(err(std::string("[http]\nusers = [ { name = \"a\", password-hash = \"") + kHash +
                "\", hostnames = [\"bad..name\"] } ]\n")
                .find("bad hostname 'bad..name'"),
            std::string::npos);
  EXPECT_NE(err("[http]\nmax-query-length = 10\n").find("between 64 and 8192"), std::string::npos);
  EXPECT_NE(err("[http]\nlogin-failures-per-source = 0\n").find("between 1 and"),
            std::string::npos);
}

}  // namespace
}  // namespace namae::daemon
