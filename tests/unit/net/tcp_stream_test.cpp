// Multi-message TCP answers (net::kStream): messages are pulled only while
// the connection's unsent bytes are under the watermark, later pipelined
// queries wait for the stream to end, and a closed connection drops it.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <chrono>
#include <thread>

#include "net/tcp_server.h"
#include "test_handler.h"

namespace namae::net {
namespace {
using namespace testing;
using namespace std::chrono_literals;

struct StreamStats {
  std::atomic<int> pulled{0};     // messages produced so far
  std::atomic<int> destroyed{0};  // streams destroyed
};

// `count` messages of `size` octets: the query's ID, then the message's index.
class CountingStream : public ResponseStream {
 public:
  CountingStream(StreamStats& s, uint16_t id, int count, size_t size)
      : s_(s), id_(id), count_(count), size_(size) {}
  ~CountingStream() override { s_.destroyed++; }
  size_t next(std::span<uint8_t> out) override {
    if (i_ == count_ || out.size() < size_) return 0;
    std::memset(out.data(), 0, size_);
    out[0] = static_cast<uint8_t>(id_ >> 8);
    out[1] = static_cast<uint8_t>(id_);
    out[2] = 0x80;
    out[12] = static_cast<uint8_t>(i_ >> 24);
    out[13] = static_cast<uint8_t>(i_ >> 16);
    out[14] = static_cast<uint8_t>(i_ >> 8);
    out[15] = static_cast<uint8_t>(i_);
    ++i_;
    s_.pulled++;
    return size_;
  }

 private:
  StreamStats& s_;
  uint16_t id_;
  int count_;
  size_t size_;
  int i_ = 0;
};

// Streams for qtype 252 (AXFR), echoes everything else.
class StreamingHandler : public EchoHandler {
 public:
  StreamingHandler(EchoStats& e, StreamStats& s, int count, size_t size)
      : EchoHandler(e), s_(s), count_(count), size_(size) {}
  size_t handle(std::span<const uint8_t> q, std::span<uint8_t> r, const Peer& peer) override {
    size_t qt = q.size() - 4;
    if (q.size() < 19 || (q[qt] << 8 | q[qt + 1]) != 252) return EchoHandler::handle(q, r, peer);
    pending_ = std::make_unique<CountingStream>(s_, static_cast<uint16_t>(q[0] << 8 | q[1]), count_, size_);
    return kStream;
  }
  std::unique_ptr<ResponseStream> take_stream() override { return std::move(pending_); }

 private:
  StreamStats& s_;
  int count_;
  size_t size_;
  std::unique_ptr<ResponseStream> pending_;
};

struct TcpStreamFixture : ::testing::Test {
  EchoStats echo;
  StreamStats stats;
  MetricsRegistry metrics;
  std::unique_ptr<TcpServer> server;

  void start(int count, size_t size, size_t watermark = 64 * 1024) {
    TcpOptions opt;
    opt.listen = {ep("127.0.0.1:0")};
    opt.write_watermark = watermark;
    server = std::make_unique<TcpServer>(
        opt,
        [this, count, size](WorkerMetrics*) {
          return std::make_unique<StreamingHandler>(echo, stats, count, size);
        },
        metrics);
    ASSERT_TRUE(server->start().ok());
  }
  // A client whose receive buffer is small, so the server's unsent bytes pile up.
  int connect_small() {
    const Endpoint& to = server->bound()[0];
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int small = 4096;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    EXPECT_EQ(connect(fd, reinterpret_cast<const sockaddr*>(&to.addr), to.len), 0);
    return fd;
  }
  static uint32_t index_of(const std::vector<uint8_t>& m) {
    return uint32_t{m[12]} << 24 | uint32_t{m[13]} << 16 | uint32_t{m[14]} << 8 | m[15];
  }
};

TEST_F(TcpStreamFixture, StreamIsPulledOnlyAsTheClientReadsAndThenPipelinedQueriesAreAnswered) {
  constexpr int kCount = 2000;
  constexpr size_t kSize = 8000;  // 16 MB in all: more than any socket buffers hold
  start(kCount, kSize);
  int fd = connect_small();
  auto all = frame(make_query(7, 252));
  auto second = frame(make_query(8));
  all.insert(all.end(), second.begin(), second.end());  // pipelined behind the transfer
  ASSERT_EQ(write(fd, all.data(), all.size()), static_cast<ssize_t>(all.size()));

  // Not reading: the server must stop pulling once its buffers are full.
  std::this_thread::sleep_for(300ms);
  int held = stats.pulled.load();
  EXPECT_GT(held, 0);
  EXPECT_LT(held, kCount / 2) << "the stream was produced ahead of the client";
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(stats.pulled.load(), held) << "pulling went on with the client not reading";

  for (int i = 0; i < kCount; ++i) {
    auto m = read_frame(fd);
    ASSERT_EQ(m.size(), kSize) << "message " << i;
    ASSERT_EQ(index_of(m), static_cast<uint32_t>(i));
    ASSERT_EQ(m[1], 7);
  }
  auto r = read_frame(fd);  // the pipelined query, answered only after the stream
  ASSERT_GE(r.size(), 12u);
  EXPECT_EQ(r[1], 8);
  EXPECT_EQ(stats.destroyed.load(), 1);
  close(fd);
}

TEST_F(TcpStreamFixture, ClosingTheConnectionDropsTheStream) {
  start(100000, 8000);
  int fd = connect_small();
  auto q = frame(make_query(9, 252));
  ASSERT_EQ(write(fd, q.data(), q.size()), static_cast<ssize_t>(q.size()));
  auto m = read_frame(fd);
  ASSERT_EQ(m.size(), 8000u);
  close(fd);
  for (int i = 0; i < 200 && stats.destroyed.load() == 0; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_EQ(stats.destroyed.load(), 1);
  EXPECT_LT(stats.pulled.load(), 100000);
}

TEST_F(TcpStreamFixture, AnEmptyStreamSendsNothingAndTheNextQueryIsAnswered) {
  start(0, 100);
  int fd = connect_small();
  auto all = frame(make_query(1, 252));
  auto second = frame(make_query(2));
  all.insert(all.end(), second.begin(), second.end());
  ASSERT_EQ(write(fd, all.data(), all.size()), static_cast<ssize_t>(all.size()));
  auto r = read_frame(fd);
  ASSERT_GE(r.size(), 12u);
  EXPECT_EQ(r[1], 2);
  close(fd);
}

}  // namespace
}  // namespace namae::net
