#include "net/wait.h"

#include <openssl/ssl.h>
#include <poll.h>

#include <cerrno>

#include "net/fiber.h"

namespace namae::net {

int remaining_ms(Deadline deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  return left.count() < 0 ? 0 : static_cast<int>(left.count());
}

int wait_for(int fd, short events, Deadline deadline) {
  if (FiberLoop* loop = FiberLoop::current()) return loop->wait_fd(fd, events, deadline);
  for (;;) {
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, remaining_ms(deadline));
    if (r < 0 && errno == EINTR) continue;
    return r;
  }
}

bool wait_for_ssl(int fd, int ssl_error, Deadline deadline) {
  if (ssl_error == SSL_ERROR_WANT_READ) return wait_for(fd, POLLIN, deadline) > 0;
  if (ssl_error == SSL_ERROR_WANT_WRITE) return wait_for(fd, POLLOUT, deadline) > 0;
  return false;
}

}  // namespace namae::net
