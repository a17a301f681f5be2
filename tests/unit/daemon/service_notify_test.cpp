// The readiness message to $NOTIFY_SOCKET: delivered to a path and to an
// abstract name, and never blocking when the socket's queue is full (the
// reader stopped reading) or nobody listens.
#include "daemon/service_notify.h"

#include <gtest/gtest.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

namespace namae::daemon {
namespace {

class ServiceNotifyTest : public ::testing::Test {
 protected:
  // A datagram socket bound to `name` ("/path" or "@abstract"), as NOTIFY_SOCKET.
  void listen(const std::string& name) {
    fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, name.data(), name.size());
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
    if (name[0] == '@') addr.sun_path[0] = '\0';
    else ++len;
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), len), 0) << std::strerror(errno);
    setenv("NOTIFY_SOCKET", name.c_str(), 1);
  }
  std::string receive() {
    char buf[256];
    ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
  }
  void TearDown() override {
    unsetenv("NOTIFY_SOCKET");
    if (fd >= 0) close(fd);
    if (!path.empty()) unlink(path.c_str());
  }
  int fd = -1;
  std::string path;
};

TEST_F(ServiceNotifyTest, DeliveredToAPath) {
  path = "/tmp/namae-notify-test-" + std::to_string(getpid());
  listen(path);
  EXPECT_TRUE(notify_service_manager("READY=1\nSTATUS=serving 2 zones"));
  EXPECT_EQ(receive(), "READY=1\nSTATUS=serving 2 zones");
}

TEST_F(ServiceNotifyTest, DeliveredToAnAbstractName) {
  listen("@namae-notify-test-" + std::to_string(getpid()));
  EXPECT_TRUE(notify_service_manager("RELOADING=1"));
  EXPECT_EQ(receive(), "RELOADING=1");
}

TEST_F(ServiceNotifyTest, AFullQueueDropsTheMessageAtOnce) {
  listen("@namae-notify-full-" + std::to_string(getpid()));
  int sent = 0;
  auto start = std::chrono::steady_clock::now();
  while (notify_service_manager("READY=1") && sent < 100000) ++sent;  // nobody reads
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GT(sent, 0);
  EXPECT_LT(sent, 100000);  // the queue did fill up
  EXPECT_FALSE(notify_service_manager("READY=1"));
  EXPECT_LT(took, std::chrono::seconds(5));
  EXPECT_EQ(receive(), "READY=1");  // what went before is intact
  EXPECT_TRUE(notify_service_manager("STOPPING=1"));  // room again
}

TEST_F(ServiceNotifyTest, NoSocketOrNoListenerIsFalse) {
  unsetenv("NOTIFY_SOCKET");
  EXPECT_FALSE(notify_service_manager("READY=1"));
  setenv("NOTIFY_SOCKET", "relative/path", 1);
  EXPECT_FALSE(notify_service_manager("READY=1"));
  setenv("NOTIFY_SOCKET", "@namae-nobody-listens", 1);
  EXPECT_FALSE(notify_service_manager("READY=1"));
}

}  // namespace
}  // namespace namae::daemon
