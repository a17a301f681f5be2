// A secondary that expired or has no copy yet answers SERVFAIL (the
// ZoneSet's unavailable marker, as the AuthEngine sees it), not REFUSED and
// not the parent zone's answer.
#include <gtest/gtest.h>

#include "../auth/auth_test_util.h"

namespace namae::auth::authtest {
namespace {

const char* kParent = R"($ORIGIN example.
$TTL 300
@ SOA ns hm 1 3600 600 86400 300
@ NS ns
ns A 192.0.2.1
www.sec A 192.0.2.9
)";

Response ask(const zone::ZoneSet& set, const std::string& name) {
  zone::ZoneSetHolder holder;
  AuthEngine engine(holder);
  std::vector<uint8_t> out(4096);
  auto q = make_query(name, dns::rrtype::A);
  out.resize(engine.answer(set, q, out, false));
  return decode(out);
}

TEST(Unavailable, SecondaryWithoutDataIsServfail) {
  zone::ZoneSet set({make_zone("example", kParent)}, {N("sec.example")});
  EXPECT_EQ(ask(set, "www.sec.example").rcode, dns::rcode::SERVFAIL);
  EXPECT_EQ(ask(set, "sec.example").rcode, dns::rcode::SERVFAIL);
  EXPECT_EQ(ask(set, "ns.example").rcode, dns::rcode::NOERROR);  // the parent still answers
}

TEST(Unavailable, UnrelatedNameIsStillRefused) {
  zone::ZoneSet set({}, {N("sec.example")});
  EXPECT_EQ(ask(set, "other.test").rcode, dns::rcode::REFUSED);
  EXPECT_EQ(ask(set, "www.sec.example").rcode, dns::rcode::SERVFAIL);
}

TEST(Unavailable, PublishingAVersionMakesItAvailable) {
  auto set = std::make_shared<const zone::ZoneSet>(
      std::vector<std::shared_ptr<const zone::ZoneVersion>>{make_zone("example", kParent)},
      std::vector<dns::Name>{N("sec.example")});
  auto sec = make_zone("sec.example", "$ORIGIN sec.example.\n@ 300 SOA ns hm 1 3600 600 86400 300\n"
                                      "@ 300 NS ns\nns 300 A 192.0.2.2\nwww 300 A 192.0.2.3\n");
  auto next = set->with(sec);
  EXPECT_TRUE(next->unavailable_zones().empty());
  EXPECT_EQ(ask(*next, "www.sec.example").rcode, dns::rcode::NOERROR);
  // Another zone's publication keeps the marker.
  EXPECT_EQ(set->without(N("nothing.example"))->unavailable_zones().size(), 1u);
}

}  // namespace
}  // namespace namae::auth::authtest
