#include "daemon/service_notify.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>

namespace namae::daemon {
namespace {

// $NOTIFY_SOCKET as an address; 0 when unset or not an AF_UNIX name.
socklen_t notify_address(sockaddr_un& addr) {
  const char* name = std::getenv("NOTIFY_SOCKET");
  if (!name || (name[0] != '/' && name[0] != '@')) return 0;
  size_t len = std::strlen(name);
  if (len < 2 || len >= sizeof addr.sun_path) return 0;
  std::memset(&addr, 0, sizeof addr);
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, name, len);
  if (name[0] == '@') {
    addr.sun_path[0] = '\0';  // abstract: no terminating NUL counts in the length
    return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len);
  }
  return static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + len + 1);
}

}  // namespace

bool notify_service_manager(std::string_view state) {
  sockaddr_un addr;
  socklen_t addr_len = notify_address(addr);
  if (addr_len == 0) return false;
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return false;
  ssize_t sent = sendto(fd, state.data(), state.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                        reinterpret_cast<const sockaddr*>(&addr), addr_len);
  close(fd);
  return sent == static_cast<ssize_t>(state.size());
}

}  // namespace namae::daemon
