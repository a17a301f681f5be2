#include "net/stream_client.h"
#include "net/wait.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace namae::net {
namespace {

using SteadyClock = std::chrono::steady_clock;


Result<void> io_error(const char* what) {
  return fail(std::string(what) + ": " + std::strerror(errno));
}

}  // namespace

Result<std::unique_ptr<StreamConnection>> StreamConnection::connect(const Endpoint& server,
                                                                    std::chrono::milliseconds timeout) {
  int fd = ::socket(server.family(), SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return fail(std::string("socket: ") + std::strerror(errno));
  std::unique_ptr<StreamConnection> c(new StreamConnection(fd));
  auto deadline = SteadyClock::now() + timeout;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&server.addr), server.len) < 0) {
    if (errno != EINPROGRESS) return fail(server.to_string() + ": " + std::strerror(errno));
    int r = wait_for(fd, POLLOUT, deadline);
    if (r == 0) return fail(server.to_string() + ": connect timed out");
    int err = 0;
    socklen_t len = sizeof err;
    ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
    if (r < 0 || err) return fail(server.to_string() + ": " + std::strerror(r < 0 ? errno : err));
  }
  return c;
}

StreamConnection::~StreamConnection() { ::close(fd_); }

Result<void> StreamConnection::send(std::span<const uint8_t> message,
                                    std::chrono::milliseconds timeout) {
  if (message.size() > 65535) return fail("message too long for TCP");
  std::vector<uint8_t> framed{static_cast<uint8_t>(message.size() >> 8),
                              static_cast<uint8_t>(message.size())};
  framed.insert(framed.end(), message.begin(), message.end());
  auto deadline = SteadyClock::now() + timeout;
  size_t done = 0;
  while (done < framed.size()) {
    ssize_t n = ::send(fd_, framed.data() + done, framed.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN && errno != EINTR) return io_error("send");
    int r = wait_for(fd_, POLLOUT, deadline);
    if (r == 0) return fail("send timed out");
    if (r < 0) return io_error("poll");
  }
  return {};
}

Result<std::vector<uint8_t>> StreamConnection::receive(std::chrono::milliseconds timeout) {
  auto deadline = SteadyClock::now() + timeout;
  auto read_all = [&](std::span<uint8_t> out) -> Result<void> {
    size_t done = 0;
    while (done < out.size()) {
      ssize_t n = ::recv(fd_, out.data() + done, out.size() - done, 0);
      if (n > 0) {
        done += static_cast<size_t>(n);
        continue;
      }
      if (n == 0) return fail("connection closed by the server");
      if (errno != EAGAIN && errno != EINTR) return io_error("recv");
      int r = wait_for(fd_, POLLIN, deadline);
      if (r == 0) return fail("timed out waiting for the server");
      if (r < 0) return io_error("poll");
    }
    return {};
  };
  uint8_t len[2];
  if (auto r = read_all(len); !r) return r.error();
  std::vector<uint8_t> msg(size_t{len[0]} << 8 | len[1]);
  if (auto r = read_all(msg); !r) return r.error();
  return msg;
}

}  // namespace namae::net
