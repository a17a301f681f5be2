#include "daemon/control.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace namae::daemon {
namespace {

std::string temp_dir() {
  char tmpl[] = "/tmp/namae-ctl-XXXXXX";
  return mkdtemp(tmpl);
}

TEST(Control, AnswersCommandsLineByLine) {
  auto dir = temp_dir();
  std::string path = dir + "/sub/ctl.sock";  // the directory is created
  std::vector<std::string> seen;
  ControlServer server(path, [&](std::string_view cmd) {
    seen.emplace_back(cmd);
    return cmd == "status" ? std::string("ok fine\nline2") : std::string("error: nope");
  });
  ASSERT_TRUE(server.start().ok());
  auto r = control_request(path, "status");
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(*r, "ok fine\nline2\n");
  r = control_request(path, "other thing");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "error: nope\n");
  EXPECT_EQ(seen, (std::vector<std::string>{"status", "other thing"}));
  server.stop();
  EXPECT_FALSE(std::filesystem::exists(path));
  EXPECT_FALSE(control_request(path, "status").ok());
  std::filesystem::remove_all(dir);
}

TEST(Control, ReplacesStaleSocketButNotALiveOne) {
  auto dir = temp_dir();
  std::string path = dir + "/ctl.sock";
  {  // a socket file nobody listens on (a crashed daemon's)
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un sa{};
    sa.sun_family = AF_UNIX;
    std::strcpy(sa.sun_path, path.c_str());
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    close(fd);
  }
  ControlServer first(path, [](std::string_view) { return std::string("ok"); });
  ASSERT_TRUE(first.start().ok());
  ControlServer second(path, [](std::string_view) { return std::string("ok"); });
  auto r = second.start();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("another namaed"), std::string::npos);
  EXPECT_TRUE(control_request(path, "x").ok());  // the first still owns it
  first.stop();
  std::filesystem::remove_all(dir);
}

TEST(Control, SilentClientIsDroppedAndOthersServed) {
  auto dir = temp_dir();
  std::string path = dir + "/ctl.sock";
  ControlServer server(path, [](std::string_view) { return std::string("ok"); });
  ASSERT_TRUE(server.start().ok());
  int silent = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  std::strcpy(sa.sun_path, path.c_str());
  ASSERT_EQ(connect(silent, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  auto r = control_request(path, "status", 5000);  // waits out the silent one (2 s)
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(*r, "ok\n");
  close(silent);
  server.stop();
  std::filesystem::remove_all(dir);
}

TEST(Control, RejectsOverlongPath) {
  ControlServer server("/tmp/" + std::string(200, 'x'), [](std::string_view) { return std::string(); });
  auto r = server.start();
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("too long"), std::string::npos);
}

}  // namespace
}  // namespace namae::daemon
