#include "net/fiber.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "net/client.h"
#include "net/wait.h"

namespace namae::net {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Pipe {
  int fds[2] = {-1, -1};
  Pipe() { EXPECT_EQ(::pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0); }
  ~Pipe() {
    ::close(fds[0]);
    ::close(fds[1]);
  }
  void put() const { (void)!::write(fds[1], "x", 1); }
};

// Runs `n` tasks on a started loop and waits until all have returned.
template <class F>
void run_tasks(FiberLoop& loop, int n, F&& task) {
  std::atomic<int> done{0};
  std::promise<void> all;
  for (int i = 0; i < n; ++i)
    ASSERT_TRUE(loop.post([&, i] {
      task(i);
      if (++done == n) all.set_value();
    }));
  ASSERT_EQ(all.get_future().wait_for(10s), std::future_status::ready);
}

TEST(FiberLoop, WaitingFibersDoNotBlockEachOther) {
  FiberLoop loop({});
  loop.start();
  constexpr int kN = 20;
  std::vector<Pipe> pipes(kN);
  std::vector<int> order;
  std::mutex mu;
  std::thread writer([&] {
    std::this_thread::sleep_for(20ms);
    for (int i = kN - 1; i >= 0; --i) {  // the last to wait is ready first
      pipes[i].put();
      std::this_thread::sleep_for(1ms);
    }
  });
  run_tasks(loop, kN, [&](int i) {
    EXPECT_EQ(FiberLoop::current(), &loop);
    EXPECT_EQ(wait_for(pipes[i].fds[0], POLLIN, Clock::now() + 5s), 1);
    std::lock_guard lock(mu);
    order.push_back(i);
  });
  writer.join();
  ASSERT_EQ(order.size(), size_t{kN});
  EXPECT_EQ(order.front(), kN - 1);
  EXPECT_EQ(order.back(), 0);
  EXPECT_EQ(FiberLoop::current(), nullptr);
}

TEST(FiberLoop, WaitTimesOutWhileOthersRun) {
  FiberLoop loop({});
  loop.start();
  Pipe quiet, busy;
  std::atomic<int> busy_rounds{0};
  auto start = Clock::now();
  Clock::duration waited{};
  run_tasks(loop, 2, [&](int i) {
    if (i == 0) {
      EXPECT_EQ(wait_for(quiet.fds[0], POLLIN, Clock::now() + 60ms), 0);
      waited = Clock::now() - start;
    } else {
      // Short waits meanwhile, each timing out on its own deadline.
      for (int k = 0; k < 5; ++k) {
        EXPECT_EQ(wait_for(busy.fds[0], POLLIN, Clock::now() + 5ms), 0);
        ++busy_rounds;
      }
    }
  });
  EXPECT_EQ(busy_rounds, 5);
  EXPECT_GE(waited, 60ms);
  EXPECT_LT(waited, 1s);
}

TEST(FiberLoop, SignalWakesAFiberFromAnotherThread) {
  FiberLoop loop({});
  loop.start();
  Signal sig, never;
  std::thread t([&] {
    std::this_thread::sleep_for(20ms);
    sig.notify();
  });
  run_tasks(loop, 2, [&](int i) {
    if (i == 0) EXPECT_TRUE(sig.wait_until(Clock::now() + 5s));
    else EXPECT_FALSE(never.wait_until(Clock::now() + 30ms));
  });
  t.join();
  // Already set: no wait, on a fiber and on a plain thread.
  run_tasks(loop, 1, [&](int) { EXPECT_TRUE(sig.wait_until(Clock::now())); });
  EXPECT_TRUE(sig.wait_until(Clock::now()));
}

TEST(FiberLoop, SignalFromAFiberOfTheSameLoop) {
  FiberLoop loop({});
  loop.start();
  Signal sig;
  run_tasks(loop, 2, [&](int i) {
    if (i == 0) EXPECT_TRUE(sig.wait_until(Clock::now() + 5s));
    else sig.notify();
  });
}

TEST(FiberLoop, RunBlockingUsesAnotherThreadAndKeepsTheLoopGoing) {
  FiberLoop loop({});
  loop.start();
  std::thread::id loop_thread, blocking_thread;
  std::atomic<bool> other_ran{false};
  Pipe p;
  run_tasks(loop, 2, [&](int i) {
    if (i == 0) {
      loop_thread = std::this_thread::get_id();
      run_blocking([&] {
        blocking_thread = std::this_thread::get_id();
        std::this_thread::sleep_for(50ms);  // blocks for real
      });
      EXPECT_TRUE(other_ran);
      EXPECT_EQ(std::this_thread::get_id(), loop_thread);
    } else {
      EXPECT_EQ(wait_for(p.fds[0], POLLIN, Clock::now() + 10ms), 0);
      other_ran = true;
    }
  });
  EXPECT_NE(loop_thread, blocking_thread);
  // On a plain thread it runs in place.
  std::thread::id here;
  run_blocking([&] { here = std::this_thread::get_id(); });
  EXPECT_EQ(here, std::this_thread::get_id());
}

TEST(FiberLoop, StopCancelsWaits) {
  FiberLoop loop({});
  loop.start();
  Pipe p;
  Signal never;
  std::atomic<int> fd_result{2}, fd_errno{0};
  std::atomic<bool> signalled{true};
  std::atomic<int> finished{0};
  loop.post([&] {
    fd_result = wait_for(p.fds[0], POLLIN, Clock::now() + 60s);
    fd_errno = errno;
    ++finished;
  });
  loop.post([&] {
    signalled = never.wait_until(Clock::now() + 60s);
    ++finished;
  });
  std::this_thread::sleep_for(20ms);
  auto start = Clock::now();
  loop.stop();
  EXPECT_LT(Clock::now() - start, 1s);
  EXPECT_EQ(finished, 2);
  EXPECT_EQ(fd_result, -1);
  EXPECT_EQ(fd_errno, ECANCELED);
  EXPECT_FALSE(signalled);
  EXPECT_FALSE(loop.post([] {}));
}

TEST(FiberLoop, RunsAtMostMaxFibersAndRefusesBeyondTheQueue) {
  FiberLoop::Options o;
  o.max_fibers = 2;
  o.max_queued = 3;
  FiberLoop loop(o);
  loop.start();
  Signal go;
  std::atomic<int> running{0}, most{0}, done{0};
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(loop.post([&] {
      int now = ++running;
      int m = most.load();
      while (now > m && !most.compare_exchange_weak(m, now)) {}
      go.wait_until(Clock::now() + 5s);
      --running;
      ++done;
    }));
  EXPECT_FALSE(loop.post([] {}));  // 2 running + 3 queued
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(running, 2);
  go.notify();
  for (int i = 0; i < 500 && done < 5; ++i) std::this_thread::sleep_for(2ms);
  EXPECT_EQ(done, 5);
  EXPECT_EQ(most, 2);
  EXPECT_EQ(loop.load(), 0u);
}

// The point of it: the real UDP client on fibers, 40 exchanges with a server
// that answers each after 30 ms, overlap on one thread.
TEST(FiberLoop, UdpExchangesOverlapOnOneThread) {
  int srv = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(srv, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  socklen_t len = sizeof a;
  ::getsockname(srv, reinterpret_cast<sockaddr*>(&a), &len);
  constexpr int kN = 40;
  std::thread server([&] {
    struct Held {
      Clock::time_point due;
      sockaddr_storage from;
      socklen_t from_len;
      std::vector<uint8_t> msg;
    };
    std::vector<Held> held;
    int answered = 0;
    while (answered < kN) {
      pollfd p{srv, POLLIN, 0};
      if (::poll(&p, 1, 1) == 1) {
        Held h;
        h.from_len = sizeof h.from;
        h.msg.resize(512);
        ssize_t n = ::recvfrom(srv, h.msg.data(), h.msg.size(), 0, reinterpret_cast<sockaddr*>(&h.from), &h.from_len);
        if (n <= 0) continue;
        h.msg.resize(static_cast<size_t>(n));
        h.msg[2] |= 0x80;
        h.due = Clock::now() + 30ms;
        held.push_back(std::move(h));
      }
      for (auto it = held.begin(); it != held.end();) {
        if (it->due > Clock::now()) {
          ++it;
          continue;
        }
        ::sendto(srv, it->msg.data(), it->msg.size(), 0, reinterpret_cast<sockaddr*>(&it->from), it->from_len);
        ++answered;
        it = held.erase(it);
      }
    }
  });
  Endpoint ep;
  std::memcpy(&ep.addr, &a, sizeof a);
  ep.len = sizeof a;
  FiberLoop loop({});
  loop.start();
  SocketTransport transport;
  std::atomic<int> ok{0};
  auto start = Clock::now();
  run_tasks(loop, kN, [&](int i) {
    uint8_t q[12] = {static_cast<uint8_t>(i), 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    ExchangeOptions xo;
    xo.tries = 1;
    xo.timeout = 3s;
    Exchange ex = transport.exchange(ep, q, xo);
    if (ex.ok() && ex.response.size() == 12 && ex.response[0] == i) ++ok;
  });
  auto took = Clock::now() - start;
  server.join();
  ::close(srv);
  EXPECT_EQ(ok, kN);
  EXPECT_LT(took, 600ms);  // one after the other: 1.2 s
}

}  // namespace
}  // namespace namae::net
