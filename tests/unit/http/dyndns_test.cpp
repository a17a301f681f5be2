#include "http/dyndns.h"

#include <gtest/gtest.h>
#include <sys/socket.h>

#include "dns/rrtype.h"

namespace namae::http {
namespace {

std::optional<DynAnswer> parse(std::optional<std::string_view> host,
                               std::optional<std::string_view> ip, DynRequest& out,
                               size_t max_hosts = 20) {
  DynLimits lim;
  lim.max_hostnames = max_hosts;
  return parse_dyn_request(host, ip, lim, out);
}

TEST(DynDns, AnswerWords) {
  EXPECT_STREQ(dyn_answer_text(DynAnswer::good), "good");
  EXPECT_STREQ(dyn_answer_text(DynAnswer::nochg), "nochg");
  EXPECT_STREQ(dyn_answer_text(DynAnswer::badauth), "badauth");
  EXPECT_STREQ(dyn_answer_text(DynAnswer::notfqdn), "notfqdn");
  EXPECT_STREQ(dyn_answer_text(DynAnswer::nohost), "nohost");
  EXPECT_STREQ(dyn_answer_text(DynAnswer::abuse), "abuse");
  EXPECT_STREQ(dyn_answer_text(DynAnswer::server_error), "911");
}

TEST(DynDns, ParseIp) {
  auto v4 = parse_ip("192.0.2.1");
  ASSERT_TRUE(v4);
  EXPECT_EQ(v4->family, AF_INET);
  EXPECT_EQ(v4->rdata(), (std::vector<uint8_t>{192, 0, 2, 1}));
  EXPECT_EQ(v4->rrtype(), dns::rrtype::A);
  auto v6 = parse_ip("2001:db8::1");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->family, AF_INET6);
  EXPECT_EQ(v6->rdata().size(), 16u);
  EXPECT_EQ(v6->rrtype(), dns::rrtype::AAAA);
  EXPECT_EQ(v6->to_text(), "2001:db8::1");
  // How a dual-stack socket names an IPv4 peer.
  auto mapped = parse_ip("::ffff:198.51.100.7");
  ASSERT_TRUE(mapped);
  EXPECT_EQ(mapped->family, AF_INET);
  EXPECT_EQ(mapped->to_text(), "198.51.100.7");
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "192.0.2.1 ", " 192.0.2.1",
                          "fe80::1%eth0", "[::1]", "2001:db8::g", "localhost", "0x7f.0.0.1"})
    EXPECT_FALSE(parse_ip(bad)) << bad;
}

TEST(DynDns, FqdnText) {
  EXPECT_TRUE(is_fqdn_text("host.example.net"));
  EXPECT_TRUE(is_fqdn_text("host.example.net."));
  EXPECT_TRUE(is_fqdn_text("my-host_1.example.net"));
  EXPECT_FALSE(is_fqdn_text("host"));
  EXPECT_FALSE(is_fqdn_text("host."));
  EXPECT_FALSE(is_fqdn_text(""));
  EXPECT_FALSE(is_fqdn_text("a..b"));
  EXPECT_FALSE(is_fqdn_text(".a.b"));
  EXPECT_FALSE(is_fqdn_text("a\\065.b"));
  EXPECT_FALSE(is_fqdn_text("a b.c"));
  EXPECT_FALSE(is_fqdn_text("*.example.net"));
  EXPECT_FALSE(is_fqdn_text(std::string(64, 'a') + ".net"));
  EXPECT_TRUE(is_fqdn_text(std::string(63, 'a') + ".net"));
  std::string long_name;
  while (long_name.size() < 254) long_name += "abcdefghi.";
  EXPECT_FALSE(is_fqdn_text(long_name));
}

TEST(DynDns, ParseRequest) {
  DynRequest r;
  EXPECT_FALSE(parse("a.example.net,B.example.net", "192.0.2.1,2001:db8::1", r));
  ASSERT_EQ(r.hostnames.size(), 2u);
  EXPECT_EQ(r.hostnames[1].to_text(), "B.example.net.");
  ASSERT_EQ(r.addresses.size(), 2u);
  EXPECT_EQ(r.addresses[0].to_text(), "192.0.2.1");
  EXPECT_EQ(r.addresses[1].to_text(), "2001:db8::1");

  EXPECT_FALSE(parse("a.example.net", std::nullopt, r));
  EXPECT_TRUE(r.addresses.empty());  // the caller uses the source address
  EXPECT_FALSE(parse("a.example.net", "", r));
  EXPECT_TRUE(r.addresses.empty());

  EXPECT_EQ(parse(std::nullopt, "192.0.2.1", r), DynAnswer::notfqdn);
  EXPECT_EQ(parse("", "192.0.2.1", r), DynAnswer::notfqdn);
  EXPECT_EQ(parse("a.example.net,", "192.0.2.1", r), DynAnswer::notfqdn);
  EXPECT_EQ(parse("localhost", "192.0.2.1", r), DynAnswer::notfqdn);
  EXPECT_EQ(parse("a.example.net", "192.0.2.300", r), DynAnswer::badagent);
  EXPECT_EQ(parse("a.example.net", "192.0.2.1,", r), DynAnswer::badagent);
  EXPECT_EQ(parse("a.example.net", "192.0.2.1,192.0.2.2", r), DynAnswer::badagent);
  EXPECT_EQ(parse("a.example.net", "2001:db8::1,2001:db8::2", r), DynAnswer::badagent);
  EXPECT_EQ(parse("a.net,b.net,c.net", "192.0.2.1", r, 2), DynAnswer::numhost);
  EXPECT_FALSE(parse("a.net,b.net", "192.0.2.1", r, 2));
}

TEST(DynDns, ReplaceAddressesIsDeleteThenAddPerFamily) {
  auto name = *dns::Name::from_text("h.example.net.");
  auto rrs = replace_addresses(name, {*parse_ip("192.0.2.5"), *parse_ip("2001:db8::5")}, 60);
  ASSERT_EQ(rrs.size(), 4u);
  EXPECT_EQ(rrs[0].type, dns::rrtype::A);
  EXPECT_EQ(rrs[0].rclass, dns::rrclass::ANY);
  EXPECT_EQ(rrs[0].ttl, 0u);
  EXPECT_TRUE(rrs[0].rdata.empty());
  EXPECT_EQ(rrs[1].type, dns::rrtype::A);
  EXPECT_EQ(rrs[1].rclass, dns::rrclass::IN);
  EXPECT_EQ(rrs[1].ttl, 60u);
  EXPECT_EQ(rrs[1].rdata, (std::vector<uint8_t>{192, 0, 2, 5}));
  EXPECT_EQ(rrs[2].type, dns::rrtype::AAAA);
  EXPECT_EQ(rrs[2].rclass, dns::rrclass::ANY);
  EXPECT_EQ(rrs[3].type, dns::rrtype::AAAA);
  // Only the families given are touched.
  EXPECT_EQ(replace_addresses(name, {*parse_ip("2001:db8::5")}, 60).size(), 2u);
}

TEST(DynDns, ClientAddressHonoursForwardedForOnlyFromTrustedProxies) {
  auto proxy = [](const IpAddress& ip) {
    return ip.to_text() == "10.0.0.1" || ip.to_text() == "10.0.0.2";
  };
  // Not a proxy: the header is ignored (anyone can send one).
  EXPECT_EQ(client_address("192.0.2.9", "203.0.113.5", proxy)->to_text(), "192.0.2.9");
  // A proxy: the right-most address that is not one of ours.
  EXPECT_EQ(client_address("10.0.0.1", "203.0.113.5", proxy)->to_text(), "203.0.113.5");
  EXPECT_EQ(client_address("10.0.0.1", "198.51.100.1, 203.0.113.5, 10.0.0.2", proxy)->to_text(),
            "203.0.113.5");
  // Only our proxies in the chain: the peer.
  EXPECT_EQ(client_address("10.0.0.1", "10.0.0.2", proxy)->to_text(), "10.0.0.1");
  // No header: the peer.
  EXPECT_EQ(client_address("10.0.0.1", "", proxy)->to_text(), "10.0.0.1");
  // Garbage from a trusted proxy gives no address at all (the request is refused).
  EXPECT_FALSE(client_address("10.0.0.1", "unknown", proxy));
  EXPECT_FALSE(client_address("not-an-address", "", proxy));
}

}  // namespace
}  // namespace namae::http
