// The SOA query of a secondary (xfr/client): over UDP, and again over TCP
// when UDP answers with an error rcode, as Knot does (REFUSED, unsigned)
// for the catalog zones it generates. Only the TCP answer counts then.
#include "xfr/client.h"

#include <gtest/gtest.h>

#include <functional>
#include <vector>

#include "base/clock.h"
#include "xfr_test_util.h"

namespace namae::xfr::test {
namespace {

class ScriptedTransport final : public net::Transport {
 public:
  // The rcode each protocol answers with; NOERROR answers carry the SOA.
  uint8_t udp_rcode = dns::rcode::NOERROR;
  uint8_t tcp_rcode = dns::rcode::NOERROR;
  bool udp_times_out = false;
  std::vector<net::ClientProtocol> calls;

  net::Exchange exchange(const net::Endpoint&, std::span<const uint8_t> query,
                         const net::ExchangeOptions& options) override {
    calls.push_back(options.protocol);
    net::Exchange ex;
    ex.protocol = options.protocol;
    if (options.protocol == net::ClientProtocol::udp && udp_times_out) {
      ex.error = net::ExchangeError::timeout;
      ex.message = "timed out";
      return ex;
    }
    dns::MessageView q;
    EXPECT_EQ(q.parse(query), dns::WireError::ok);
    uint8_t rcode = options.protocol == net::ClientProtocol::udp ? udp_rcode : tcp_rcode;
    auto records = rcode == dns::rcode::NOERROR ? std::vector<dns::Record>{soa(42)} : std::vector<dns::Record>{};
    ex.response = message(q.header().id, dns::rrtype::SOA, records, true, rcode);
    return ex;
  }
};

struct SoaQueryTest : ::testing::Test {
  ScriptedTransport net;
  FakeClock clock;
  TransferClient client{net, clock};
  Remote primary{*net::parse_endpoint("192.0.2.53:53"), std::nullopt};
};

TEST_F(SoaQueryTest, SerialOverUdp) {
  auto s = client.query_serial(primary, origin());
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(*s, 42u);
  EXPECT_EQ(net.calls, std::vector<net::ClientProtocol>{net::ClientProtocol::udp});
}

TEST_F(SoaQueryTest, ErrorOverUdpIsAskedAgainOverTcp) {
  net.udp_rcode = dns::rcode::REFUSED;
  auto s = client.query_serial(primary, origin());
  ASSERT_TRUE(s) << s.message();
  EXPECT_EQ(*s, 42u);
  EXPECT_EQ(net.calls, (std::vector<net::ClientProtocol>{net::ClientProtocol::udp, net::ClientProtocol::tcp}));
}

TEST_F(SoaQueryTest, ErrorOverBothFailsWithTheTcpAnswer) {
  net.udp_rcode = dns::rcode::REFUSED;
  net.tcp_rcode = dns::rcode::NOTAUTH;
  auto s = client.query_serial(primary, origin());
  ASSERT_FALSE(s);
  EXPECT_NE(s.message().find("over TCP: NOTAUTH"), std::string::npos) << s.message();
}

TEST_F(SoaQueryTest, NoAnswerOverUdpIsNotAskedOverTcp) {
  net.udp_times_out = true;
  EXPECT_FALSE(client.query_serial(primary, origin()));
  for (auto p : net.calls) EXPECT_EQ(p, net::ClientProtocol::udp);
}

}  // namespace
}  // namespace namae::xfr::test
