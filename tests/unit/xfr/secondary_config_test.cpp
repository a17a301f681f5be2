// The secondary's [[zone]] keys: `primaries` makes a secondary; the keys of
// a dynamic zone conflict with it; `transfer-key` must name a [[key]]; the
// secondary-only keys need `primaries`.
#include <gtest/gtest.h>

#include "daemon/config.h"

namespace namae::daemon {
namespace {

Result<Config> parse(const std::string& zone_keys) {
  return parse_config("[[key]]\nname = \"k\"\nsecret = \"c2VjcmV0\"\n\n[[zone]]\nname = \"sec.test\"\n"
                      "file = \"sec.zone\"\n" + zone_keys,
                      "t.toml", "/etc/namae");
}

TEST(SecondaryConfig, Accepted) {
  auto c = parse("primaries = [\"192.0.2.1\", \"[2001:db8::1]:5300\"]\ntransfer-key = \"k\"\nforward-updates = true\n");
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->zones[0].primaries.size(), 2u);
  EXPECT_EQ(c->zones[0].transfer_key, "k");
  EXPECT_TRUE(c->zones[0].forward_updates);
}

TEST(SecondaryConfig, Refused) {
  for (const char* bad : {
           "primaries = [\"192.0.2.1\"]\njournal = \"j.db\"\n",
           "primaries = [\"192.0.2.1\"]\nallow-update = [\"127.0.0.1\"]\n",
           "primaries = [\"192.0.2.1\"]\nupdate-policy = [ { key = \"k\", grant = \"zonesub\" } ]\n",
           "primaries = [\"192.0.2.1\"]\ntransfer-key = \"nokey\"\n",
           "primaries = [\"not an address\"]\n",
           "transfer-key = \"k\"\n",
           "forward-updates = true\n",
       }) {
    auto c = parse(bad);
    EXPECT_FALSE(c.ok()) << bad;
  }
}

}  // namespace
}  // namespace namae::daemon
