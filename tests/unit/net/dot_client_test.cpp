// DotClient (RFC 7858 forwarding client, RFC 8310 strict profile) against
// the real DoT listener (TcpServer over TlsContext) in-process on loopback,
// with certificates made in-process: an exchange, the two certificate
// failures that send no query, session resumption on reconnect (RFC 7858
// 3.4), the idle close, and pipelined queries answered out of order.
#include "net/dot_client.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

#include "net/metrics.h"
#include "net/tcp_server.h"
#include "net/tls.h"
#include "test_cert.h"
#include "test_handler.h"

namespace namae::net {
namespace {

using namespace std::chrono_literals;
using testing::DeferQueue;
using testing::DeferringHandler;
using testing::EchoStats;
using testing::make_query;

struct DotClientTest : ::testing::Test {
  std::filesystem::path dir;
  EchoStats stats;
  DeferQueue deferred;
  MetricsRegistry metrics;
  std::unique_ptr<TcpServer> server;

  void SetUp() override {
    static std::atomic<int> n{0};
    dir = std::filesystem::temp_directory_path() /
          ("namae-dotclient-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    std::filesystem::create_directories(dir);
    ASSERT_TRUE(testing::make_self_signed(dir / "cert.pem", dir / "key.pem", "dns.test"));
    auto tls = TlsContext::load(dir / "cert.pem", dir / "key.pem", "dot");
    ASSERT_TRUE(tls.ok()) << tls.message();
    TcpOptions o;
    o.listen = {testing::ep("127.0.0.1:0")};
    o.tls = *tls;
    server = std::make_unique<TcpServer>(o, testing::deferring_factory(stats, deferred), metrics);
    auto r = server->start();
    ASSERT_TRUE(r.ok()) << r.message();
  }
  void TearDown() override {
    if (server) server->stop();
    std::filesystem::remove_all(dir);
  }
  const Endpoint& addr() { return server->bound()[0]; }
  std::shared_ptr<DotClient> client(const std::string& ca_file, std::chrono::milliseconds idle = 60s) {
    auto c = DotClient::create(ca_file, idle);
    EXPECT_TRUE(c.ok()) << c.message();
    return c.ok() ? *c : nullptr;
  }
  std::shared_ptr<DotClient> client(std::chrono::milliseconds idle = 60s) { return client(dir / "cert.pem", idle); }
  static std::vector<uint8_t> answer_to(std::vector<uint8_t> q) {
    q[2] |= 0x80;  // what the echo handler sends back
    return q;
  }
  // Until `done` holds or 5 s pass.
  template <class F>
  static bool eventually(F done) {
    for (auto until = std::chrono::steady_clock::now() + 5s; std::chrono::steady_clock::now() < until;) {
      if (done()) return true;
      std::this_thread::sleep_for(10ms);
    }
    return done();
  }
};

TEST_F(DotClientTest, ExchangesAndReusesTheConnection) {
  auto c = client();
  ASSERT_TRUE(c);
  for (uint16_t id : {0x1234, 0xbeef}) {
    auto q = make_query(id);
    Exchange ex = c->exchange(addr(), "dns.test", q, 5s);
    ASSERT_TRUE(ex.ok()) << ex.message;
    EXPECT_EQ(ex.response, answer_to(q));
    EXPECT_EQ(ex.protocol, ClientProtocol::tls);
  }
  EXPECT_EQ(c->connections_opened(), 1u);  // RFC 7858 3.4: one handshake for both
  EXPECT_EQ(c->connections_open(), 1u);
  EXPECT_EQ(stats.queries, 2);
}

TEST_F(DotClientTest, CertificateNameMismatchSendsNoQuery) {
  auto c = client();
  ASSERT_TRUE(c);
  Exchange ex = c->exchange(addr(), "other.test", make_query(1), 5s);
  EXPECT_EQ(ex.error, ExchangeError::tls);
  EXPECT_NE(ex.message.find("certificate name mismatch for other.test"), std::string::npos) << ex.message;
  EXPECT_NE(ex.message.find(addr().to_string()), std::string::npos) << ex.message;
  EXPECT_EQ(stats.queries, 0);  // RFC 8310 5.1: strict, nothing sent unauthenticated
  EXPECT_EQ(c->connections_open(), 0u);
}

TEST_F(DotClientTest, UntrustedCertificateSendsNoQuery) {
  // A certificate for the right name, but from a key the client does not trust.
  ASSERT_TRUE(testing::make_self_signed(dir / "other.pem", dir / "other.key", "dns.test"));
  auto c = client(dir / "other.pem");
  ASSERT_TRUE(c);
  Exchange ex = c->exchange(addr(), "dns.test", make_query(1), 5s);
  EXPECT_EQ(ex.error, ExchangeError::tls);
  EXPECT_NE(ex.message.find("certificate not trusted"), std::string::npos) << ex.message;
  EXPECT_EQ(stats.queries, 0);
  EXPECT_EQ(c->connections_open(), 0u);
}

TEST_F(DotClientTest, ClosesAnIdleConnection) {
  auto c = client(1000ms);
  ASSERT_TRUE(c);
  auto used = std::chrono::steady_clock::now();
  ASSERT_TRUE(c->exchange(addr(), "dns.test", make_query(1), 5s).ok());
  EXPECT_EQ(c->connections_open(), 1u);
  ASSERT_TRUE(eventually([&] { return c->connections_open() == 0; }));
  EXPECT_GE(std::chrono::steady_clock::now() - used, 900ms);  // not before the idle timeout
  EXPECT_EQ(c->connections_idle_closed(), 1u);
  // The server sees the close too (the client's close_notify, then EOF).
  EXPECT_TRUE(eventually([&] { return metrics.tcp_connections.load() == 0; }));
}

TEST_F(DotClientTest, ResumesTheSessionOnTheNextConnection) {
  auto c = client(300ms);
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->exchange(addr(), "dns.test", make_query(1), 5s).ok());
  ASSERT_TRUE(eventually([&] { return c->connections_idle_closed() == 1; }));
  Exchange ex = c->exchange(addr(), "dns.test", make_query(2), 5s);
  ASSERT_TRUE(ex.ok()) << ex.message;
  EXPECT_EQ(c->connections_opened(), 2u);
  EXPECT_EQ(c->connections_resumed(), 1u);  // the first connection's ticket, no certificate exchange
}

TEST_F(DotClientTest, PipelinedQueriesAreMatchedById) {
  auto c = client();
  ASSERT_TRUE(c);
  ASSERT_TRUE(c->exchange(addr(), "dns.test", make_query(1), 5s).ok());  // the connection they share
  // Eight callers at once with the same ID (each picked it on its own),
  // told apart by their names; the server holds them all, then answers in
  // reverse order.
  constexpr int kCallers = 8;
  std::vector<std::vector<uint8_t>> queries(kCallers);
  std::vector<Exchange> results(kCallers);
  std::vector<std::thread> callers;
  for (int i = 0; i < kCallers; ++i) {
    queries[i] = make_query(0x4242, DeferringHandler::kDeferType);
    queries[i][13] = static_cast<uint8_t>('a' + i);  // the one-letter qname
    callers.emplace_back([&, i] { results[i] = c->exchange(addr(), "dns.test", queries[i], 10s); });
  }
  std::vector<std::pair<ReplyChannel, std::vector<uint8_t>>> held;
  bool all_in_flight = deferred.take(kCallers, held);
  for (auto it = held.rbegin(); it != held.rend(); ++it) EXPECT_TRUE(it->first.send(it->second));
  for (auto& t : callers) t.join();
  ASSERT_TRUE(all_in_flight);
  for (int i = 0; i < kCallers; ++i) {
    ASSERT_TRUE(results[i].ok()) << i << ": " << results[i].message;
    EXPECT_EQ(results[i].response, answer_to(queries[i])) << i;
  }
  EXPECT_EQ(c->connections_opened(), 1u);  // all on the one connection
}

}  // namespace
}  // namespace namae::net
