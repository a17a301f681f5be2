#include "net/udp_server.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <set>
#include <thread>

#include "test_handler.h"

namespace namae::net {
namespace {
using namespace testing;

TEST(Endpoint, ParsesV4AndV6) {
  auto a = parse_endpoint("127.0.0.1:5300");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->family(), AF_INET);
  EXPECT_EQ(a->port(), 5300);
  EXPECT_EQ(a->to_string(), "127.0.0.1:5300");
  auto b = parse_endpoint("[::1]:53");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->family(), AF_INET6);
  EXPECT_EQ(b->to_string(), "[::1]:53");
  auto c = parse_endpoint("10.0.0.1", 53);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->port(), 53);
  EXPECT_TRUE(is_wildcard(*parse_endpoint("0.0.0.0:1")));
  EXPECT_TRUE(is_wildcard(*parse_endpoint("[::]:1")));
  EXPECT_FALSE(is_wildcard(*a));
}

TEST(Endpoint, RejectsBadText) {
  EXPECT_FALSE(parse_endpoint("127.0.0.1").ok());  // no port, no default
  EXPECT_FALSE(parse_endpoint("127.0.0.1:").ok());
  EXPECT_FALSE(parse_endpoint("127.0.0.1:65536").ok());
  EXPECT_FALSE(parse_endpoint("127.0.0.1:5x").ok());
  EXPECT_FALSE(parse_endpoint("::1:53").ok());
  EXPECT_FALSE(parse_endpoint("[::1:53").ok());
  EXPECT_FALSE(parse_endpoint("localhost:53").ok());
  EXPECT_NE(parse_endpoint("::1:53").message().find("brackets"), std::string::npos);
}

// Send `n` queries from one client socket and collect the ids answered.
std::set<uint16_t> exchange(const Endpoint& to, int n, const char* from = nullptr,
                            std::string* reply_from = nullptr) {
  int fd = socket(to.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (from) {
    auto f = ep(from);
    bind(fd, reinterpret_cast<const sockaddr*>(&f.addr), f.len);
  }
  for (int i = 0; i < n; ++i) {
    auto q = make_query(static_cast<uint16_t>(i));
    sendto(fd, q.data(), q.size(), 0, reinterpret_cast<const sockaddr*>(&to.addr), to.len);
  }
  std::set<uint16_t> ids;
  uint8_t buf[512];
  pollfd p{fd, POLLIN, 0};
  while (static_cast<int>(ids.size()) < n && poll(&p, 1, 2000) > 0) {
    sockaddr_storage ss{};
    socklen_t sl = sizeof ss;
    ssize_t r = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&ss), &sl);
    if (r >= 12 && (buf[2] & 0x80)) ids.insert(static_cast<uint16_t>(buf[0] << 8 | buf[1]));
    if (reply_from) *reply_from = sockaddr_to_string(reinterpret_cast<sockaddr*>(&ss), sl);
  }
  close(fd);
  return ids;
}

TEST(UdpServer, AnswersEveryQueryAcrossWorkers) {
  EchoStats stats;
  MetricsRegistry metrics;
  UdpOptions opt;
  opt.listen = {ep("127.0.0.1:0")};
  opt.workers = 3;
  opt.batch = 8;
  UdpServer server(opt, echo_factory(stats), metrics);
  ASSERT_TRUE(server.start().ok());
  EXPECT_EQ(stats.handlers, 3);  // one handler per worker
  ASSERT_NE(server.bound()[0].port(), 0);
  auto ids = exchange(server.bound()[0], 200);
  EXPECT_EQ(ids.size(), 200u);
  server.stop();
  EXPECT_GE(stats.begins, 1);
  EXPECT_EQ(stats.begins, stats.ends);
  EXPECT_EQ(metrics.total_queries(), 200u);
  std::string text = metrics.render();
  EXPECT_NE(text.find("namae_queries_total{proto=\"udp\"} 200"), std::string::npos) << text;
  EXPECT_NE(text.find("namae_queries_by_type_total{qtype=\"A\"} 200"), std::string::npos);
  EXPECT_NE(text.find("namae_responses_total{rcode=\"NOERROR\"} 200"), std::string::npos);
  EXPECT_NE(text.find("namae_query_duration_seconds_count 200"), std::string::npos);
}

TEST(UdpServer, TagsEachQueryWithItsListener) {
  EchoStats stats;
  MetricsRegistry metrics;
  UdpOptions opt;
  opt.listen = {ep("127.0.0.1:0"), ep("127.0.0.1:0")};
  opt.workers = 1;
  opt.first_listener = 5;
  UdpServer server(opt, echo_factory(stats), metrics);
  ASSERT_TRUE(server.start().ok());
  ASSERT_EQ(exchange(server.bound()[1], 1).size(), 1u);
  EXPECT_EQ(stats.last_listener, 6u);
  ASSERT_EQ(exchange(server.bound()[0], 1).size(), 1u);
  EXPECT_EQ(stats.last_listener, 5u);
  server.stop();
  UdpOptions untagged;
  untagged.listen = {ep("127.0.0.1:0")};
  untagged.workers = 1;
  UdpServer plain(untagged, echo_factory(stats), metrics);
  ASSERT_TRUE(plain.start().ok());
  ASSERT_EQ(exchange(plain.bound()[0], 1).size(), 1u);
  EXPECT_EQ(stats.last_listener, 0u);
}

TEST(UdpServer, DropsWhatTheHandlerDeclinesAndKeepsServing) {
  EchoStats stats;
  MetricsRegistry metrics;
  UdpOptions opt;
  opt.listen = {ep("127.0.0.1:0")};
  opt.workers = 1;
  UdpServer server(opt, echo_factory(stats), metrics);
  ASSERT_TRUE(server.start().ok());
  const auto& to = server.bound()[0];
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  uint8_t junk[3] = {1, 2, 3};
  sendto(fd, junk, 3, 0, reinterpret_cast<const sockaddr*>(&to.addr), to.len);
  auto resp = make_query(7);
  resp[2] |= 0x80;  // a response: never answered
  sendto(fd, resp.data(), resp.size(), 0, reinterpret_cast<const sockaddr*>(&to.addr), to.len);
  sendto(fd, nullptr, 0, 0, reinterpret_cast<const sockaddr*>(&to.addr), to.len);
  close(fd);
  EXPECT_EQ(exchange(to, 5).size(), 5u);
  server.stop();
  EXPECT_EQ(metrics.total_dropped(), 3u);
  EXPECT_EQ(metrics.total_queries(), 5u);
}

TEST(UdpServer, WildcardBindRepliesFromTheAddressAsked) {
  EchoStats stats;
  MetricsRegistry metrics;
  UdpOptions opt;
  opt.listen = {ep("0.0.0.0:0")};
  opt.workers = 1;
  UdpServer server(opt, echo_factory(stats), metrics);
  ASSERT_TRUE(server.start().ok());
  uint16_t port = server.bound()[0].port();
  // 127.0.0.0/8 is all loopback on Linux: ask 127.0.0.3, expect the answer from it.
  auto to = ep(("127.0.0.3:" + std::to_string(port)).c_str());
  std::string from;
  EXPECT_EQ(exchange(to, 1, "127.0.0.1:0", &from).size(), 1u);
  EXPECT_EQ(from, "127.0.0.3:" + std::to_string(port));
  EXPECT_TRUE(stats.saw_local);
}

TEST(UdpServer, ServesIpv6) {
  EchoStats stats;
  MetricsRegistry metrics;
  UdpOptions opt;
  opt.listen = {ep("[::1]:0")};
  opt.workers = 1;
  UdpServer server(opt, echo_factory(stats), metrics);
  auto started = server.start();
  if (!started.ok()) GTEST_SKIP() << "no IPv6 loopback: " << started.message();
  EXPECT_EQ(exchange(server.bound()[0], 10).size(), 10u);
}

// Send the queries `ids` (deferred type for the ids in `deferred`) and collect
// the answers' ids in arrival order, with the address the last came from.
std::vector<uint16_t> exchange_mixed(int fd, const Endpoint& to, const std::vector<uint16_t>& ids,
                                     const std::set<uint16_t>& deferred, size_t expect,
                                     std::string* reply_from = nullptr, int timeout_ms = 3000) {
  for (uint16_t id : ids) {
    auto q = make_query(id, deferred.count(id) ? DeferringHandler::kDeferType : 1);
    sendto(fd, q.data(), q.size(), 0, reinterpret_cast<const sockaddr*>(&to.addr), to.len);
  }
  std::vector<uint16_t> got;
  uint8_t buf[512];
  pollfd p{fd, POLLIN, 0};
  while (got.size() < expect && poll(&p, 1, timeout_ms) > 0) {
    sockaddr_storage ss{};
    socklen_t sl = sizeof ss;
    ssize_t r = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&ss), &sl);
    if (r >= 12 && (buf[2] & 0x80)) got.push_back(static_cast<uint16_t>(buf[0] << 8 | buf[1]));
    if (reply_from) *reply_from = sockaddr_to_string(reinterpret_cast<sockaddr*>(&ss), sl);
  }
  return got;
}

TEST(UdpServer, DeferredRepliesComeFromAnotherThreadWhileTheWorkerServes) {
  EchoStats stats;
  DeferQueue dq;
  MetricsRegistry metrics;
  UdpOptions opt;
  opt.listen = {ep("127.0.0.1:0")};
  opt.workers = 1;  // one worker: immediate answers prove it was not blocked
  UdpServer server(opt, deferring_factory(stats, dq), metrics);
  ASSERT_TRUE(server.start().ok());
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  std::set<uint16_t> deferred = {1, 3, 5};
  // The deferred answers are held until every immediate one has arrived.
  auto first = exchange_mixed(fd, server.bound()[0], {1, 2, 3, 4, 5, 6}, deferred, 3);
  EXPECT_EQ(first, (std::vector<uint16_t>{2, 4, 6}));
  std::vector<std::pair<ReplyChannel, std::vector<uint8_t>>> held;
  ASSERT_TRUE(dq.take(3, held));
  std::thread answerer([&] {
    for (auto it = held.rbegin(); it != held.rend(); ++it) {
      ReplyChannel moved = std::move(it->first);  // channels move and copy freely
      EXPECT_TRUE(moved.valid());
      EXPECT_FALSE(moved.peer().tcp);
      EXPECT_TRUE(moved.send(it->second));
    }
  });
  answerer.join();
  auto later = exchange_mixed(fd, server.bound()[0], {}, {}, 3);
  EXPECT_EQ(later, (std::vector<uint16_t>{5, 3, 1}));
  close(fd);
  server.stop();
  // Deferred queries are neither counted as answered by the worker nor dropped.
  EXPECT_EQ(metrics.total_queries(), 3u);
  EXPECT_EQ(metrics.total_dropped(), 0u);
}

TEST(UdpServer, DeferredReplyOnWildcardBindLeavesFromTheAddressAsked) {
  EchoStats stats;
  DeferQueue dq;
  MetricsRegistry metrics;
  UdpOptions opt;
  opt.listen = {ep("0.0.0.0:0")};
  opt.workers = 2;
  UdpServer server(opt, deferring_factory(stats, dq), metrics);
  ASSERT_TRUE(server.start().ok());
  uint16_t port = server.bound()[0].port();
  auto to = ep(("127.0.0.3:" + std::to_string(port)).c_str());
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  auto from_ep = ep("127.0.0.1:0");
  bind(fd, reinterpret_cast<const sockaddr*>(&from_ep.addr), from_ep.len);
  EXPECT_TRUE(exchange_mixed(fd, to, {9}, {9}, 0).empty());
  std::vector<std::pair<ReplyChannel, std::vector<uint8_t>>> held;
  ASSERT_TRUE(dq.take(1, held));
  std::thread([&] { EXPECT_TRUE(held[0].first.send(held[0].second)); }).join();
  std::string from;
  EXPECT_EQ(exchange_mixed(fd, to, {}, {}, 1, &from), (std::vector<uint16_t>{9}));
  EXPECT_EQ(from, "127.0.0.3:" + std::to_string(port));
  close(fd);
}

TEST(UdpServer, DeferredReplyAfterStopIsDropped) {
  EchoStats stats;
  DeferQueue dq;
  MetricsRegistry metrics;
  UdpOptions opt;
  opt.listen = {ep("127.0.0.1:0")};
  opt.workers = 1;
  auto server = std::make_unique<UdpServer>(opt, deferring_factory(stats, dq), metrics);
  ASSERT_TRUE(server->start().ok());
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  exchange_mixed(fd, server->bound()[0], {4}, {4}, 0);
  std::vector<std::pair<ReplyChannel, std::vector<uint8_t>>> held;
  ASSERT_TRUE(dq.take(1, held));
  server->stop();
  server.reset();
  // The socket is closed (its descriptor may be reused by anything): dropped.
  int other = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  EXPECT_FALSE(held[0].first.send(held[0].second));
  EXPECT_TRUE(exchange_mixed(fd, ep("127.0.0.1:9"), {}, {}, 1, nullptr, 200).empty());
  // A channel from a peer without a sink (direct calls) is invalid and drops.
  Peer direct;
  EXPECT_FALSE(direct.can_defer());
  EXPECT_FALSE(direct.channel().valid());
  EXPECT_FALSE(direct.channel().send(held[0].second));
  close(other);
  close(fd);
}

TEST(UdpServer, ReportsBindErrors) {
  EchoStats stats;
  MetricsRegistry metrics;
  UdpOptions opt;
  opt.listen = {ep("192.0.2.1:53")};  // TEST-NET, not configured here
  opt.workers = 1;
  UdpServer server(opt, echo_factory(stats), metrics);
  auto r = server.start();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("192.0.2.1:53"), std::string::npos) << r.message();
}

}  // namespace
}  // namespace namae::net
