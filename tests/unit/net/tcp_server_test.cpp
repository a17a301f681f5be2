#include "net/tcp_server.h"

#include <gtest/gtest.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <sys/resource.h>

#include <poll.h>

#include <chrono>
#include <set>
#include <thread>

#include "test_handler.h"

namespace namae::net {
namespace {
using namespace testing;
using namespace std::chrono_literals;

struct TcpFixture : ::testing::Test {
  EchoStats stats;
  DeferQueue deferred;
  MetricsRegistry metrics;
  std::unique_ptr<TcpServer> server;

  void start(TcpOptions opt = {}, bool deferring = false) {
    if (opt.listen.empty()) opt.listen = {ep("127.0.0.1:0")};
    server = std::make_unique<TcpServer>(
        opt, deferring ? deferring_factory(stats, deferred) : echo_factory(stats), metrics);
    auto r = server->start();
    ASSERT_TRUE(r.ok()) << r.message();
  }
  const Endpoint& addr() { return server->bound()[0]; }
  uint16_t id_of(const std::vector<uint8_t>& m) { return static_cast<uint16_t>(m[0] << 8 | m[1]); }
};

TEST_F(TcpFixture, AnswersPipelinedQueriesInOrder) {
  start();
  int fd = tcp_connect(addr());
  ASSERT_GE(fd, 0);
  std::vector<uint8_t> all;
  for (uint16_t id : {11, 22, 33}) {
    auto f = frame(make_query(id));
    all.insert(all.end(), f.begin(), f.end());
  }
  ASSERT_EQ(write(fd, all.data(), all.size()), static_cast<ssize_t>(all.size()));  // one write
  for (uint16_t id : {11, 22, 33}) {
    auto r = read_frame(fd);
    ASSERT_GE(r.size(), 12u);
    EXPECT_EQ(id_of(r), id);
    EXPECT_TRUE(r[2] & 0x80);
  }
  close(fd);
  EXPECT_TRUE(stats.saw_tcp);
}

TEST_F(TcpFixture, TagsEachConnectionWithItsListener) {
  TcpOptions opt;
  opt.listen = {ep("127.0.0.1:0"), ep("127.0.0.1:0")};
  opt.first_listener = 3;
  start(opt);
  for (size_t k : {1u, 0u}) {
    int fd = tcp_connect(server->bound()[k]);
    ASSERT_GE(fd, 0);
    auto f = frame(make_query(1));
    ASSERT_EQ(write(fd, f.data(), f.size()), static_cast<ssize_t>(f.size()));
    EXPECT_FALSE(read_frame(fd).empty());
    EXPECT_EQ(stats.last_listener, 3u + k);
    close(fd);
  }
}

TEST_F(TcpFixture, BufferedQueriesPastTheWatermarkAreAllAnswered) {
  TcpOptions opt;
  opt.write_watermark = 1024;  // forces many pause/resume rounds
  start(opt);
  int fd = tcp_connect(addr());
  std::vector<uint8_t> all;
  for (int i = 0; i < 500; ++i) {
    auto f = frame(make_query(static_cast<uint16_t>(i)));
    all.insert(all.end(), f.begin(), f.end());
  }
  ASSERT_EQ(write(fd, all.data(), all.size()), static_cast<ssize_t>(all.size()));
  for (int i = 0; i < 500; ++i) {
    auto r = read_frame(fd);
    ASSERT_FALSE(r.empty()) << "answer " << i;
    ASSERT_EQ(id_of(r), i);
  }
  close(fd);
}

TEST_F(TcpFixture, ReassemblesFramesSentOneByteAtATime) {
  start();
  int fd = tcp_connect(addr());
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  auto f = frame(make_query(99));
  for (uint8_t b : f) {
    ASSERT_EQ(write(fd, &b, 1), 1);
    std::this_thread::sleep_for(1ms);
  }
  auto r = read_frame(fd);
  ASSERT_GE(r.size(), 12u);
  EXPECT_EQ(id_of(r), 99);
  close(fd);
}

TEST_F(TcpFixture, IdleConnectionIsClosedAfterTimeout) {
  TcpOptions opt;
  opt.idle_timeout = 300ms;
  start(opt);
  int fd = tcp_connect(addr(), 3000);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(wait_closed(fd));
  auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(waited, 250ms);
  EXPECT_LT(waited, 2500ms);
  close(fd);
  EXPECT_EQ(metrics.tcp_idle_closed.load(), 1u);
}

TEST_F(TcpFixture, HalfOpenClientDoesNotBlockOthersAndIsDropped) {
  TcpOptions opt;
  opt.idle_timeout = 500ms;
  start(opt);
  int slow = tcp_connect(addr(), 3000);
  uint8_t half = 0;
  ASSERT_EQ(write(slow, &half, 1), 1);  // one octet of a length prefix, then nothing
  for (int i = 0; i < 5; ++i) {
    int fd = tcp_connect(addr());
    auto f = frame(make_query(static_cast<uint16_t>(i)));
    ASSERT_EQ(write(fd, f.data(), f.size()), static_cast<ssize_t>(f.size()));
    auto r = read_frame(fd);
    ASSERT_FALSE(r.empty());
    EXPECT_EQ(id_of(r), i);
    close(fd);
  }
  // Dribbling does not count as progress: the partial frame still expires.
  std::this_thread::sleep_for(300ms);
  uint8_t more = 20;
  (void)!write(slow, &more, 1);
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(wait_closed(slow));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 450ms);
  close(slow);
}

TEST_F(TcpFixture, HalfCloseStillGetsAnswers) {
  start();
  int fd = tcp_connect(addr());
  auto f = frame(make_query(5));
  auto g = frame(make_query(6));
  f.insert(f.end(), g.begin(), g.end());
  ASSERT_EQ(write(fd, f.data(), f.size()), static_cast<ssize_t>(f.size()));
  shutdown(fd, SHUT_WR);
  EXPECT_EQ(id_of(read_frame(fd)), 5);
  EXPECT_EQ(id_of(read_frame(fd)), 6);
  EXPECT_TRUE(wait_closed(fd));
  close(fd);
}

TEST_F(TcpFixture, ZeroLengthFrameClosesConnection) {
  start();
  int fd = tcp_connect(addr());
  uint8_t z[2] = {0, 0};
  ASSERT_EQ(write(fd, z, 2), 2);
  EXPECT_TRUE(wait_closed(fd));
  close(fd);
}

TEST_F(TcpFixture, ConnectionLimitEvictsTheLongestIdle) {
  TcpOptions opt;
  opt.max_connections = 2;
  // Long enough that b and c stay "busy" (idle < timeout/10 = 1 s) even on a
  // loaded CI machine, while a has been idle for longer than that.
  opt.idle_timeout = 10000ms;
  start(opt);
  int a = tcp_connect(addr(), 3000);
  std::this_thread::sleep_for(1300ms);  // a is now idle for more than timeout/10
  int b = tcp_connect(addr(), 3000);
  auto f = frame(make_query(1));
  ASSERT_EQ(write(b, f.data(), f.size()), static_cast<ssize_t>(f.size()));
  ASSERT_FALSE(read_frame(b).empty());
  std::this_thread::sleep_for(50ms);
  int c = tcp_connect(addr(), 3000);  // over the limit: a goes
  ASSERT_EQ(write(c, f.data(), f.size()), static_cast<ssize_t>(f.size()));
  EXPECT_FALSE(read_frame(c).empty());
  EXPECT_TRUE(wait_closed(a));
  // b is still served.
  ASSERT_EQ(write(b, f.data(), f.size()), static_cast<ssize_t>(f.size()));
  EXPECT_FALSE(read_frame(b).empty());
  // Now both are busy (recent progress): a newcomer is refused.
  int d = tcp_connect(addr(), 3000);
  if (d >= 0) {
    EXPECT_TRUE(wait_closed(d));
    close(d);
  }
  EXPECT_EQ(metrics.tcp_refused.load(), 1u);
  close(a);
  close(b);
  close(c);
}

TEST_F(TcpFixture, ClientThatNeverReadsIsPausedThenDroppedWhileOthersAreServed) {
  TcpOptions opt;
  opt.idle_timeout = 700ms;
  opt.write_watermark = 32 * 1024;
  start(opt);
  stats.pad_to = 60000;  // big answers fill the client's window quickly
  int hog = tcp_connect(addr(), 5000);
  int small = 4096;
  setsockopt(hog, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  std::vector<uint8_t> burst;
  for (int i = 0; i < 200; ++i) {
    auto f = frame(make_query(static_cast<uint16_t>(i)));
    burst.insert(burst.end(), f.begin(), f.end());
  }
  ASSERT_EQ(write(hog, burst.data(), burst.size()), static_cast<ssize_t>(burst.size()));
  std::this_thread::sleep_for(100ms);
  // The server stopped answering the hog at the watermark, not after 200 answers.
  EXPECT_LT(stats.queries.load(), 200);
  EXPECT_GT(stats.queries.load(), 1);
  stats.pad_to = 0;
  int fd = tcp_connect(addr());
  auto f = frame(make_query(4242));
  ASSERT_EQ(write(fd, f.data(), f.size()), static_cast<ssize_t>(f.size()));
  auto r = read_frame(fd);
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(id_of(r), 4242);
  close(fd);
  std::this_thread::sleep_for(1200ms);
  EXPECT_EQ(metrics.tcp_slow_closed.load(), 1u) << metrics.render();
  close(hog);
}

TEST_F(TcpFixture, ServesIpv6AndSeveralWorkers) {
  TcpOptions opt;
  opt.listen = {ep("[::1]:0")};
  opt.workers = 2;
  server = std::make_unique<TcpServer>(opt, echo_factory(stats), metrics);
  auto r = server->start();
  if (!r.ok()) GTEST_SKIP() << r.message();
  EXPECT_EQ(stats.handlers, 2);
  for (int i = 0; i < 6; ++i) {
    int fd = tcp_connect(addr());
    auto f = frame(make_query(static_cast<uint16_t>(i)));
    ASSERT_EQ(write(fd, f.data(), f.size()), static_cast<ssize_t>(f.size()));
    EXPECT_EQ(id_of(read_frame(fd)), i);
    close(fd);
  }
}

int open_fds_max() {
  int top = 0;
  DIR* d = opendir("/proc/self/fd");
  int own = dirfd(d);
  while (dirent* e = readdir(d))
    if (e->d_name[0] != '.' && std::atoi(e->d_name) != own) top = std::max(top, std::atoi(e->d_name));
  closedir(d);
  return top;
}

double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

TEST_F(TcpFixture, OutOfDescriptorsDoesNotSpinAndRecovers) {
  start();
  rlimit saved{};
  getrlimit(RLIMIT_NOFILE, &saved);
  struct Restore {
    rlimit r;
    ~Restore() { setrlimit(RLIMIT_NOFILE, &r); }
  } restore{saved};
  // b's socket exists before the limit drops; then there is room for client a
  // and its accepted socket only, so accepting b fails with EMFILE.
  int b = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  timeval tv{3, 0};
  setsockopt(b, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  // RLIMIT_NOFILE bounds descriptor numbers: fill the holes below the highest
  // open one so the next two descriptors are exactly the last two allowed.
  int top = open_fds_max();
  std::vector<int> fillers;
  for (;;) {
    int x = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (x > top) {
      close(x);
      break;
    }
    fillers.push_back(x);
  }
  rlimit low = saved;
  low.rlim_cur = static_cast<rlim_t>(top + 1 + 2);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  int a = tcp_connect(addr(), 3000);
  ASSERT_GE(a, 0);
  auto f = frame(make_query(1));
  ASSERT_EQ(write(a, f.data(), f.size()), static_cast<ssize_t>(f.size()));
  ASSERT_FALSE(read_frame(a).empty());
  ASSERT_EQ(connect(b, reinterpret_cast<const sockaddr*>(&addr().addr), addr().len), 0);  // kernel backlog
  double cpu0 = cpu_seconds();
  std::this_thread::sleep_for(400ms);
  EXPECT_LT(cpu_seconds() - cpu0, 0.2);  // not spinning on a listener it cannot accept from
  close(a);  // frees the server's descriptor for a
  f = frame(make_query(2));
  ASSERT_EQ(write(b, f.data(), f.size()), static_cast<ssize_t>(f.size()));
  auto r = read_frame(b);
  ASSERT_FALSE(r.empty());
  EXPECT_EQ(id_of(r), 2);
  close(b);
  for (int x : fillers) close(x);
}

TEST_F(TcpFixture, StopClosesOpenConnections) {
  start();
  int fd = tcp_connect(addr(), 3000);
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(metrics.tcp_connections.load(), 1);
  server->stop();
  EXPECT_TRUE(wait_closed(fd));
  EXPECT_EQ(metrics.tcp_connections.load(), 0);
  close(fd);
}

}  // namespace
}  // namespace namae::net

namespace namae::net {
namespace {
using namespace testing;
using namespace std::chrono_literals;

std::vector<uint8_t> framed_queries(std::initializer_list<std::pair<uint16_t, bool>> qs) {
  std::vector<uint8_t> all;
  for (auto [id, defer] : qs) {
    auto f = frame(make_query(id, defer ? DeferringHandler::kDeferType : 1));
    all.insert(all.end(), f.begin(), f.end());
  }
  return all;
}

/// True if nothing arrives on `fd` within `ms`.
bool quiet(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, ms) == 0;
}

TEST_F(TcpFixture, DeferredAnswerComesLaterAndOthersAreNotHeldBack) {
  start({}, true);
  int fd = tcp_connect(addr());
  ASSERT_GE(fd, 0);
  auto all = framed_queries({{1, true}, {2, false}, {3, true}, {4, false}});
  ASSERT_EQ(write(fd, all.data(), all.size()), static_cast<ssize_t>(all.size()));
  // RFC 7766: answers may come out of order; the immediate ones do not wait.
  EXPECT_EQ(id_of(read_frame(fd)), 2);
  EXPECT_EQ(id_of(read_frame(fd)), 4);
  std::vector<std::pair<ReplyChannel, std::vector<uint8_t>>> held;
  ASSERT_TRUE(deferred.take(2, held));
  EXPECT_TRUE(held[0].first.peer().tcp);
  std::thread([&] {
    std::vector<ReplyChannel> copies = {held[1].first, held[0].first};  // copyable
    EXPECT_TRUE(copies[0].send(held[1].second));
    EXPECT_TRUE(copies[1].send(held[0].second));
  }).join();
  EXPECT_EQ(id_of(read_frame(fd)), 3);
  EXPECT_EQ(id_of(read_frame(fd)), 1);
  // The connection still works afterwards.
  auto more = framed_queries({{5, false}});
  ASSERT_EQ(write(fd, more.data(), more.size()), static_cast<ssize_t>(more.size()));
  EXPECT_EQ(id_of(read_frame(fd)), 5);
  close(fd);
}

TEST_F(TcpFixture, HalfClosedConnectionWaitsForItsDeferredAnswer) {
  start({}, true);
  int fd = tcp_connect(addr());
  auto all = framed_queries({{7, true}});
  ASSERT_EQ(write(fd, all.data(), all.size()), static_cast<ssize_t>(all.size()));
  shutdown(fd, SHUT_WR);
  std::vector<std::pair<ReplyChannel, std::vector<uint8_t>>> held;
  ASSERT_TRUE(deferred.take(1, held));
  EXPECT_TRUE(quiet(fd, 100));  // not closed while the answer is owed
  std::thread([&] { EXPECT_TRUE(held[0].first.send(held[0].second)); }).join();
  EXPECT_EQ(id_of(read_frame(fd)), 7);
  EXPECT_TRUE(wait_closed(fd));  // then closed, as for any half-close
  close(fd);
}

TEST_F(TcpFixture, DeferredAnswerToAClosedConnectionIsDropped) {
  start({}, true);
  int fd = tcp_connect(addr());
  auto all = framed_queries({{8, true}});
  ASSERT_EQ(write(fd, all.data(), all.size()), static_cast<ssize_t>(all.size()));
  std::vector<std::pair<ReplyChannel, std::vector<uint8_t>>> held;
  ASSERT_TRUE(deferred.take(1, held));
  // An abortive close (RST): the server closes its side at once. (An orderly
  // close looks like a half-close, which waits for owed answers.)
  linger lg{1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close(fd);
  for (int i = 0; i < 200 && metrics.tcp_connections.load() != 0; ++i)
    std::this_thread::sleep_for(5ms);
  ASSERT_EQ(metrics.tcp_connections.load(), 0);
  // A new connection very likely reuses the server-side descriptor; the
  // generation tells them apart, so the stale answer must not reach it.
  int fd2 = tcp_connect(addr());
  auto q = framed_queries({{9, false}});
  ASSERT_EQ(write(fd2, q.data(), q.size()), static_cast<ssize_t>(q.size()));
  EXPECT_EQ(id_of(read_frame(fd2)), 9);
  std::thread([&] { held[0].first.send(held[0].second); }).join();
  EXPECT_TRUE(quiet(fd2, 200));
  auto q2 = framed_queries({{10, false}});
  ASSERT_EQ(write(fd2, q2.data(), q2.size()), static_cast<ssize_t>(q2.size()));
  EXPECT_EQ(id_of(read_frame(fd2)), 10);
  close(fd2);
  // After stop, the channel refuses outright (and nothing crashes).
  server->stop();
  EXPECT_FALSE(held[0].first.send(held[0].second));
  server.reset();
  EXPECT_FALSE(held[0].first.send(held[0].second));
}

TEST_F(TcpFixture, ManyThreadsAnswerDeferredQueriesConcurrently) {
  TcpOptions opt;
  opt.workers = 2;
  start(opt, true);
  constexpr int kConns = 4, kPer = 50;
  std::vector<int> fds;
  for (int c = 0; c < kConns; ++c) {
    fds.push_back(tcp_connect(addr()));
    std::vector<uint8_t> all;
    for (int i = 0; i < kPer; ++i) {
      auto f = frame(make_query(static_cast<uint16_t>(c * 1000 + i), DeferringHandler::kDeferType));
      all.insert(all.end(), f.begin(), f.end());
    }
    ASSERT_EQ(write(fds.back(), all.data(), all.size()), static_cast<ssize_t>(all.size()));
  }
  std::vector<std::pair<ReplyChannel, std::vector<uint8_t>>> held;
  ASSERT_TRUE(deferred.take(kConns * kPer, held));
  std::vector<std::thread> senders;
  for (int t = 0; t < 4; ++t)
    senders.emplace_back([&, t] {
      for (size_t i = static_cast<size_t>(t); i < held.size(); i += 4)
        EXPECT_TRUE(held[i].first.send(held[i].second));
    });
  for (auto& t : senders) t.join();
  for (int c = 0; c < kConns; ++c) {
    std::set<uint16_t> ids;
    for (int i = 0; i < kPer; ++i) {
      auto r = read_frame(fds[static_cast<size_t>(c)]);
      ASSERT_GE(r.size(), 12u);
      ids.insert(id_of(r));
    }
    EXPECT_EQ(ids.size(), static_cast<size_t>(kPer));
    EXPECT_EQ(*ids.begin(), c * 1000);
    close(fds[static_cast<size_t>(c)]);
  }
}

}  // namespace
}  // namespace namae::net
