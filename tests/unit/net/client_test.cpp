// net::SocketTransport against tiny in-process servers on 127.0.0.1: reply
// matching, retries, timeouts, ICMP refusals and TCP framing.
#include "net/client.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <thread>
#include <vector>

namespace namae::net {
namespace {

using namespace std::chrono_literals;

// A bound loopback socket, closed on destruction.
struct Sock {
  int fd = -1;
  uint16_t port = 0;
  Sock(int type) {
    fd = ::socket(AF_INET, type | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    socklen_t len = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
    port = ntohs(a.sin_port);
    if (type == SOCK_STREAM) ::listen(fd, 4);
  }
  ~Sock() {
    if (fd >= 0) ::close(fd);
  }
};

const std::vector<uint8_t> kQuery = {0xab, 0xcd, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1};

std::vector<uint8_t> reply_for(const std::vector<uint8_t>& q, uint8_t marker) {
  std::vector<uint8_t> r = q;
  r[2] |= 0x80;
  r.push_back(marker);
  return r;
}

Endpoint server(uint16_t port) { return make_endpoint("127.0.0.1", port).value(); }

TEST(ClientUdp, IgnoresStrayDatagramsAndMatchesId) {
  Sock s(SOCK_DGRAM);
  std::thread t([&] {
    uint8_t buf[512];
    sockaddr_storage from{};
    socklen_t len = sizeof from;
    ssize_t n = ::recvfrom(s.fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    std::vector<uint8_t> q(buf, buf + n);
    auto sendto = [&](const std::vector<uint8_t>& d) {
      ::sendto(s.fd, d.data(), d.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
    };
    auto wrong = reply_for(q, 1);
    wrong[1] ^= 0xff;
    sendto(wrong);              // another ID
    sendto({q[0]});             // too short to carry an ID
    sendto(reply_for(q, 2));    // ours
  });
  SocketTransport tr;
  ExchangeOptions o;
  o.timeout = 2s;
  Exchange ex = tr.exchange(server(s.port), kQuery, o);
  t.join();
  ASSERT_TRUE(ex.ok()) << ex.message;
  EXPECT_EQ(ex.response, reply_for(kQuery, 2));
  EXPECT_EQ(ex.attempts, 1);
  EXPECT_EQ(ex.protocol, ClientProtocol::udp);
}

TEST(ClientUdp, RetriesThenTimesOut) {
  Sock silent(SOCK_DGRAM);
  SocketTransport tr;
  ExchangeOptions o;
  o.timeout = 150ms;
  o.tries = 3;
  int retries = 0;
  o.on_retry = [&](ExchangeError e, const std::string& msg) {
    EXPECT_EQ(e, ExchangeError::timeout);
    EXPECT_NE(msg.find("127.0.0.1#" + std::to_string(silent.port) + ": timed out"),
              std::string::npos)
        << msg;
    ++retries;
  };
  auto start = std::chrono::steady_clock::now();
  Exchange ex = tr.exchange(server(silent.port), kQuery, o);
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_EQ(ex.error, ExchangeError::timeout);
  EXPECT_EQ(ex.attempts, 3);
  EXPECT_EQ(retries, 2);
  EXPECT_GE(took, 440ms);
  EXPECT_LT(took, 3s);
}

TEST(ClientUdp, SecondTryAnswered) {
  Sock s(SOCK_DGRAM);
  std::thread t([&] {
    uint8_t buf[512];
    sockaddr_storage from{};
    socklen_t len = sizeof from;
    ::recvfrom(s.fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);  // dropped
    ssize_t n = ::recvfrom(s.fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &len);
    auto r = reply_for(std::vector<uint8_t>(buf, buf + n), 7);
    ::sendto(s.fd, r.data(), r.size(), 0, reinterpret_cast<sockaddr*>(&from), len);
  });
  SocketTransport tr;
  ExchangeOptions o;
  o.timeout = 200ms;
  o.tries = 2;
  Exchange ex = tr.exchange(server(s.port), kQuery, o);
  t.join();
  ASSERT_TRUE(ex.ok()) << ex.message;
  EXPECT_EQ(ex.attempts, 2);
  EXPECT_EQ(ex.response.back(), 7);
}

TEST(ClientUdp, RefusedByIcmp) {
  uint16_t port;
  {
    Sock s(SOCK_DGRAM);
    port = s.port;
  }
  SocketTransport tr;
  ExchangeOptions o;
  o.timeout = 2s;
  o.tries = 1;
  Exchange ex = tr.exchange(server(port), kQuery, o);
  EXPECT_EQ(ex.error, ExchangeError::refused);
  EXPECT_NE(ex.message.find("connection refused"), std::string::npos);
}

// Serves one TCP connection with `serve(fd, query)`.
void tcp_once(Sock& s, std::function<void(int, const std::vector<uint8_t>&)> serve) {
  int c = ::accept(s.fd, nullptr, nullptr);
  uint8_t len[2];
  ASSERT_EQ(::recv(c, len, 2, MSG_WAITALL), 2);
  std::vector<uint8_t> q(len[0] << 8 | len[1]);
  ASSERT_EQ(::recv(c, q.data(), q.size(), MSG_WAITALL), static_cast<ssize_t>(q.size()));
  serve(c, q);
  ::close(c);
}

TEST(ClientTcp, FramedExchangeInPieces) {
  Sock s(SOCK_STREAM);
  std::thread t([&] {
    tcp_once(s, [](int c, const std::vector<uint8_t>& q) {
      auto r = reply_for(q, 9);
      uint8_t len[2] = {static_cast<uint8_t>(r.size() >> 8), static_cast<uint8_t>(r.size())};
      // Length split across writes, then the body in two parts.
      ::send(c, len, 1, 0);
      std::this_thread::sleep_for(20ms);
      ::send(c, len + 1, 1, 0);
      ::send(c, r.data(), 5, 0);
      std::this_thread::sleep_for(20ms);
      ::send(c, r.data() + 5, r.size() - 5, 0);
    });
  });
  SocketTransport tr;
  ExchangeOptions o;
  o.protocol = ClientProtocol::tcp;
  o.timeout = 2s;
  Exchange ex = tr.exchange(server(s.port), kQuery, o);
  t.join();
  ASSERT_TRUE(ex.ok()) << ex.message;
  EXPECT_EQ(ex.response, reply_for(kQuery, 9));
  EXPECT_EQ(ex.protocol, ClientProtocol::tcp);
}

TEST(ClientTcp, WrongIdAndEarlyCloseAreBadReplies) {
  for (int variant = 0; variant < 2; ++variant) {
    Sock s(SOCK_STREAM);
    std::thread t([&] {
      tcp_once(s, [&](int c, const std::vector<uint8_t>& q) {
        auto r = reply_for(q, 1);
        r[0] ^= 1;
        uint8_t len[2] = {0, static_cast<uint8_t>(r.size() + (variant ? 10 : 0))};
        ::send(c, len, 2, 0);
        ::send(c, r.data(), r.size(), 0);  // variant 1: 10 octets short, then close
      });
    });
    SocketTransport tr;
    ExchangeOptions o;
    o.protocol = ClientProtocol::tcp;
    o.timeout = 2s;
    Exchange ex = tr.exchange(server(s.port), kQuery, o);
    t.join();
    EXPECT_EQ(ex.error, ExchangeError::bad_reply) << variant;
    EXPECT_EQ(ex.attempts, 1);
  }
}

TEST(ClientTcp, RefusedAndTimeout) {
  uint16_t port;
  {
    Sock s(SOCK_STREAM);
    port = s.port;
  }
  SocketTransport tr;
  ExchangeOptions o;
  o.protocol = ClientProtocol::tcp;
  o.timeout = 1s;
  o.tries = 1;
  EXPECT_EQ(tr.exchange(server(port), kQuery, o).error, ExchangeError::refused);
  // Accepts (the kernel completes the handshake) but never answers.
  Sock mute(SOCK_STREAM);
  o.timeout = 200ms;
  EXPECT_EQ(tr.exchange(server(mute.port), kQuery, o).error, ExchangeError::timeout);
}

TEST(ClientAddresses, EndpointsAndResolvConf) {
  auto v4 = make_endpoint("192.0.2.1", 5353);
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->family(), AF_INET);
  EXPECT_EQ(v4->port(), 5353);
  EXPECT_EQ(endpoint_address(*v4), "192.0.2.1");
  auto v6 = make_endpoint("[2001:db8::1]", 53);
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->family(), AF_INET6);
  EXPECT_EQ(endpoint_address(*v6), "2001:db8::1");
  EXPECT_FALSE(make_endpoint("not-an-address", 53).ok());
  EXPECT_FALSE(make_endpoint("192.0.2.300", 53).ok());
  // Numeric hosts resolve without any lookup; the family filter applies.
  auto r = resolve_server("::1", 53, AF_UNSPEC);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->front().family(), AF_INET6);
  EXPECT_FALSE(resolve_server("::1", 53, AF_INET).ok());

  char path[] = "/tmp/namae-resolv-XXXXXX";
  int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  const char text[] =
      "# comment\nsearch example.com\nnameserver 192.0.2.53\n  nameserver   ::1  \n"
      "nameserver\noptions ndots:2\n";
  ASSERT_EQ(::write(fd, text, sizeof text - 1), static_cast<ssize_t>(sizeof text - 1));
  ::close(fd);
  EXPECT_EQ(resolv_conf_nameservers(path), (std::vector<std::string>{"192.0.2.53", "::1"}));
  ::unlink(path);
  EXPECT_TRUE(resolv_conf_nameservers("/nonexistent/resolv.conf").empty());
}

}  // namespace
}  // namespace namae::net
