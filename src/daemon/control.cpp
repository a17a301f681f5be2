#include "daemon/control.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>

#include <spdlog/spdlog.h>

namespace namae::daemon {
namespace {

Result<sockaddr_un> unix_address(const std::string& path) {
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof sa.sun_path)
    return fail("control socket path too long (" + std::to_string(path.size()) + " > " +
                std::to_string(sizeof sa.sun_path - 1) + " octets): " + path);
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  return sa;
}

}  // namespace

ControlServer::ControlServer(std::string path, ControlDispatch dispatch)
    : path_(std::move(path)), dispatch_(std::move(dispatch)) {}

ControlServer::~ControlServer() { stop(); }

Result<void> ControlServer::start() {
  auto sa = unix_address(path_);
  if (!sa) return sa.error();
  std::error_code ec;
  auto parent = std::filesystem::path(path_).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (ec) return fail("control socket directory " + parent.string() + ": " + ec.message());

  // A socket file left by a daemon that died is replaced; one that answers is not.
  struct stat st {};
  if (lstat(path_.c_str(), &st) == 0) {
    if (!S_ISSOCK(st.st_mode)) return fail("control socket " + path_ + ": exists and is not a socket");
    int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    bool live = connect(probe, reinterpret_cast<const sockaddr*>(&*sa), sizeof(sockaddr_un)) == 0;
    close(probe);
    if (live) return fail("control socket " + path_ + ": another namaed is listening on it");
    unlink(path_.c_str());
  }
  listen_fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (bind(listen_fd_, reinterpret_cast<const sockaddr*>(&*sa), sizeof(sockaddr_un)) != 0 ||
      listen(listen_fd_, 16) != 0) {
    std::string err = "control socket " + path_ + ": " + std::strerror(errno);
    close(listen_fd_);
    listen_fd_ = -1;
    return fail(err);
  }
  chmod(path_.c_str(), 0660);  // the socket can reload and stop the server
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  thread_ = std::thread([this] { run(); });
  return {};
}

void ControlServer::stop() {
  if (listen_fd_ < 0) return;
  uint64_t one = 1;
  if (write(stop_fd_, &one, sizeof one) < 0) { /* fresh eventfd: cannot fail */ }
  if (thread_.joinable()) thread_.join();
  close(listen_fd_);
  close(stop_fd_);
  listen_fd_ = stop_fd_ = -1;
  unlink(path_.c_str());
}

void ControlServer::run() {
  pthread_setname_np(pthread_self(), "namae-control");
  pollfd fds[2] = {{listen_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents) return;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    timeval tv{2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    std::string line;
    char buf[512];
    while (line.find('\n') == std::string::npos && line.size() < 4096) {
      ssize_t n = read(fd, buf, sizeof buf);
      if (n <= 0) break;
      line.append(buf, static_cast<size_t>(n));
    }
    if (auto nl = line.find('\n'); nl != std::string::npos) line.resize(nl);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    std::string reply;
    if (line.empty()) {
      reply = "error: empty command\n";
    } else {
      spdlog::info("control: {}", line);
      reply = dispatch_(line);
      if (reply.empty() || reply.back() != '\n') reply += '\n';
    }
    size_t off = 0;
    while (off < reply.size()) {
      ssize_t n = send(fd, reply.data() + off, reply.size() - off, MSG_NOSIGNAL);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    close(fd);
  }
}

Result<std::string> control_request(const std::string& path, std::string_view command, int timeout_ms) {
  auto sa = unix_address(path);
  if (!sa) return sa.error();
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&*sa), sizeof(sockaddr_un)) != 0) {
    std::string err = "cannot connect to " + path + ": " + std::strerror(errno) +
                      (errno == ENOENT || errno == ECONNREFUSED ? " (is namaed running?)" : "");
    close(fd);
    return fail(err);
  }
  timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string req(command);
  req += '\n';
  if (send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size())) {
    close(fd);
    return fail("cannot send to " + path + ": " + std::strerror(errno));
  }
  std::string reply;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n > 0) {
      reply.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0) {
      std::string err = std::string("reading reply: ") +
                        (errno == EAGAIN ? "timed out" : std::strerror(errno));
      close(fd);
      return fail(err);
    }
    break;
  }
  close(fd);
  return reply;
}

}  // namespace namae::daemon
