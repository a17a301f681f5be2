// StubResolver::subscribe (net/push_client) against the real PushService
// in-process, over a real TLS listener on loopback: discovery of the
// server through RFC 8765 6.1's SRV (the DNS answers scripted by
// resolver/fake_net.h), the initial answer, a change pushed, the end of a
// session when the server goes away.
#include <gtest/gtest.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>

#include "../auth/auth_test_util.h"
#include "../net/test_cert.h"
#include "../resolver/fake_net.h"
#include "net/metrics.h"
#include "net/tcp_server.h"
#include "net/tls.h"
#include "push/service.h"
#include "resolver/stub.h"

namespace namae::push {
namespace {

using namespace std::chrono_literals;
using auth::authtest::make_zone;
using auth::authtest::N;
using dns::dso::PushRecord;

const char* kZone = "$TTL 300\n@ SOA ns hm 1 7200 3600 1209600 300\n@ NS ns\nns A 192.0.2.53\nh A 192.0.2.1\n";
const char* kZone2 = "$TTL 300\n@ SOA ns hm 2 7200 3600 1209600 300\n@ NS ns\nns A 192.0.2.53\nh A 192.0.2.2\n";

struct NoAnswers : net::QueryHandler {
  size_t handle(std::span<const uint8_t>, std::span<uint8_t>, const net::Peer&) override { return 0; }
};

// What a subscription was told, with a wait for more.
struct Seen {
  std::mutex mu;
  std::condition_variable cv;
  std::vector<PushRecord> changes;
  bool subscribed = false;
  net::PushCallbacks callbacks() {
    net::PushCallbacks cb;
    cb.subscribed = [this] {
      std::lock_guard lk(mu);
      subscribed = true;
    };
    cb.changes = [this](const std::vector<PushRecord>& cs) {
      std::lock_guard lk(mu);
      changes.insert(changes.end(), cs.begin(), cs.end());
      cv.notify_all();
    };
    return cb;
  }
  bool wait_for(size_t n) {
    std::unique_lock lk(mu);
    return cv.wait_for(lk, 10s, [&] { return changes.size() >= n; });
  }
};

class StubSubscribe : public ::testing::Test {
 protected:
  StubSubscribe()
      : dir_(std::filesystem::temp_directory_path() / ("namae-push-" + std::to_string(::getpid()))),
        holder_(std::make_shared<const zone::ZoneSet>(std::vector{make_zone("example", kZone)})),
        service_(holder_, PushOptions{}) {
    std::filesystem::create_directories(dir_);
    EXPECT_TRUE(net::testing::make_self_signed(dir_ / "cert.pem", dir_ / "key.pem"));
    net::TcpOptions o;
    o.listen.push_back(*net::parse_endpoint("127.0.0.1:0"));
    auto tls = net::TlsContext::load(dir_ / "cert.pem", dir_ / "key.pem", "dot");
    EXPECT_TRUE(tls.ok()) << tls.message();
    o.tls = *tls;
    o.push = true;
    tcp_ = std::make_unique<net::TcpServer>(o, [this](net::WorkerMetrics*) {
      return std::make_unique<PushHandler>(service_, std::make_unique<NoAnswers>());
    }, metrics_);
    EXPECT_TRUE(tcp_->start().ok());
    service_.start();
  }
  ~StubSubscribe() override {
    service_.shutdown(1000);
    tcp_->stop();
    std::filesystem::remove_all(dir_);
  }
  net::PushServer server() {
    return {tcp_->bound().front(), {"dns.test", (dir_ / "cert.pem").string(), "dot"}};
  }
  void publish(const char* text) {
    holder_.publish(std::make_shared<const zone::ZoneSet>(std::vector{make_zone("example", text)}));
    service_.zone_changed(N("example"));
  }

  std::filesystem::path dir_;
  zone::ZoneSetHolder holder_;
  PushService service_;
  net::MetricsRegistry metrics_;
  std::unique_ptr<net::TcpServer> tcp_;
};

TEST_F(StubSubscribe, InitialAnswerThenEveryChange) {
  StubResolver stub(StubConfig{});
  Seen seen;
  auto sub = stub.subscribe(N("h.example."), dns::rrtype::A, seen.callbacks(), server());
  ASSERT_TRUE(sub.ok()) << sub.message();
  ASSERT_TRUE(seen.wait_for(1));
  EXPECT_TRUE(seen.subscribed);
  EXPECT_EQ(seen.changes[0].change, dns::dso::Change::add);
  EXPECT_EQ(seen.changes[0].record.rdata, (dns::RdataBytes{192, 0, 2, 1}));
  for (int i = 0; i < 100 && service_.subscriptions() == 0; ++i) std::this_thread::sleep_for(10ms);
  publish(kZone2);
  ASSERT_TRUE(seen.wait_for(3));
  EXPECT_EQ(seen.changes[1].change, dns::dso::Change::remove);
  EXPECT_EQ(seen.changes[2].record.rdata, (dns::RdataBytes{192, 0, 2, 2}));
  EXPECT_FALSE((*sub)->wait(0ms));  // still running
  // The server goes: a Retry Delay (RFC 8490 7.2) ends the session.
  service_.shutdown(1000);
  auto end = (*sub)->wait(10s);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->why, net::PushEnd::Why::retry_delay);
  EXPECT_EQ(end->wait, 1000ms);
}

TEST_F(StubSubscribe, ANameOutsideTheZonesIsRefusedWithItsRcode) {
  StubResolver stub(StubConfig{});
  Seen seen;
  auto sub = stub.subscribe(N("h.elsewhere."), dns::rrtype::A, seen.callbacks(), server());
  ASSERT_TRUE(sub.ok());
  auto end = (*sub)->wait(10s);
  ASSERT_TRUE(end);
  EXPECT_EQ(end->why, net::PushEnd::Why::refused);
  EXPECT_EQ(end->rcode, dns::rcode::NOTAUTH);
}

// RFC 8765 6.1: the zone's SOA, its _dns-push-tls._tcp SRV, the target's address.
TEST_F(StubSubscribe, FindsTheServerThroughTheZonesSrv) {
  FakeClock clock;
  resolver::test::FakeNet net(clock);
  const uint16_t port = tcp_->bound().front().port();
  net.add("192.0.2.1").zones = resolver::test::make_zones(
      {{"example.", std::string(kZone) + "_dns-push-tls._tcp SRV 0 0 " + std::to_string(port) + " dns.test.\n"},
       {"test.", "$TTL 300\n@ SOA ns hm 1 7200 3600 1209600 300\n@ NS ns\nns A 192.0.2.53\ndns A 127.0.0.1\n"}});
  StubResolver stub(*StubConfig::parse_resolv_conf("nameserver 192.0.2.1\n"), &net, &clock);
  auto found = stub.find_push_server(N("h.example."), (dir_ / "cert.pem").string());
  ASSERT_TRUE(found.ok()) << found.message();
  EXPECT_EQ(found->address.to_string(), tcp_->bound().front().to_string());
  EXPECT_EQ(found->tls.name, "dns.test");
  EXPECT_FALSE(stub.find_push_server(N("nothing.test.")).ok());  // test. offers no DNS Push
  Seen seen;
  auto sub = stub.subscribe(N("h.example."), dns::rrtype::A, seen.callbacks(),
                            net::PushServer{found->address, found->tls});
  ASSERT_TRUE(sub.ok());
  ASSERT_TRUE(seen.wait_for(1));
}

}  // namespace
}  // namespace namae::push
