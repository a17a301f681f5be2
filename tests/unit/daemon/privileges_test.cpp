// [server] user/group: the config resolves them (unknown ones are errors at
// their line) and the per-thread check of daemon/privileges.h reads
// /proc/.../status as the kernel writes it (proc(5)).
#include "daemon/privileges.h"

#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

namespace namae::daemon {
namespace {

constexpr const char* kDropped =
    "Name:\tnamaed\nUid:\t65534\t65534\t65534\t65534\nGid:\t65534\t65534\t65534\t65534\n"
    "Groups:\t65534 \nCapInh:\t0000000000000000\nCapPrm:\t0000000000000000\n"
    "CapEff:\t0000000000000000\nCapBnd:\t0000000000000400\nCapAmb:\t0000000000000000\n";

TEST(Privileges, DroppedThreadPasses) { EXPECT_EQ(check_thread_status(kDropped, 65534, 65534), ""); }

TEST(Privileges, SavedRootOrCapabilityOrGroupFails) {
  std::string saved_root = kDropped;
  saved_root.replace(saved_root.find("65534\t65534\t65534\t65534"), 23, "0\t65534\t0\t65534");
  EXPECT_NE(check_thread_status(saved_root, 65534, 65534).find("Uid is '0\t65534\t0\t65534'"), std::string::npos);
  std::string cap = kDropped;
  cap.replace(cap.find("CapEff:\t0000000000000000"), 24, "CapEff:\t0000000000000400");
  EXPECT_NE(check_thread_status(cap, 65534, 65534).find("CapEff"), std::string::npos);
  std::string groups = kDropped;
  groups.replace(groups.find("Groups:\t65534 "), 14, "Groups:\t0 65534 ");
  EXPECT_NE(check_thread_status(groups, 65534, 65534).find("Groups"), std::string::npos);
  std::string no_groups = kDropped;
  no_groups.replace(no_groups.find("Groups:\t65534 "), 14, "Groups:\t");
  EXPECT_NE(check_thread_status(no_groups, 65534, 65534).find("Groups"), std::string::npos);
  EXPECT_NE(check_thread_status("", 65534, 65534).find("CapAmb"), std::string::npos);
}

TEST(Privileges, ConfigResolvesUserAndGroup) {
  auto c = parse_config("[server]\nuser = \"root\"\ngroup = \"root\"\n", "t.toml", "/etc/namae");
  ASSERT_TRUE(c.ok()) << c.message();
  EXPECT_EQ(c->server.uid, 0u);
  EXPECT_EQ(c->server.gid, 0u);
  EXPECT_EQ(c->server.user_line, 2);
}

TEST(Privileges, UnknownUserOrGroupIsAnErrorAtItsLine) {
  auto c = parse_config("[server]\n\nuser = \"no-such-user-namae\"\ngroup = \"no-such-group-namae\"\n", "t.toml", ".");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.message().find("t.toml:3: [server] user 'no-such-user-namae': no such user"), std::string::npos)
      << c.message();
  EXPECT_NE(c.message().find("t.toml:4: [server] group 'no-such-group-namae': no such group"), std::string::npos);
  auto g = parse_config("[server]\ngroup = \"root\"\n", "t.toml", ".");
  ASSERT_FALSE(g.ok());
  EXPECT_NE(g.message().find("t.toml:2: [server] 'group' needs 'user'"), std::string::npos);
}

// 0 if an unprivileged process (this one, or a child made nobody when the
// tests run as root) treats user = itself as a no-op and another user as an
// error; otherwise the number of the check that failed.
int unprivileged_checks() {
  ServerConfig sv;
  sv.user = "me";
  sv.uid = geteuid();
  sv.gid = getegid();
  Privileges same(sv, "t.toml");
  if (!same.prepare().ok() || same.switching()) return 1;
  sv.uid = geteuid() + 1;
  Privileges other(sv, "t.toml");
  auto r = other.prepare();
  if (r.ok() || r.message().find("not root, and cannot switch") == std::string::npos) return 2;
  return 0;
}

TEST(Privileges, NoUserOrSameUserIsANoOp) {
  ServerConfig sv;
  Privileges none(sv, "t.toml");
  EXPECT_TRUE(none.prepare().ok());
  EXPECT_FALSE(none.switching());
  if (geteuid() != 0) {
    EXPECT_EQ(unprivileged_checks(), 0);
    return;
  }
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // no threads of the test runner in here: plain setres*id is enough
    if (setresgid(65534, 65534, 65534) != 0 || setresuid(65534, 65534, 65534) != 0) _exit(9);
    _exit(unprivileged_checks());
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(Privileges, RootWithCapabilitiesFailsTheCheck) {
  if (geteuid() != 0) GTEST_SKIP() << "not root";
  auto r = verify_all_threads(0, 0);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.message().find("CapPrm"), std::string::npos) << r.message();
}

}  // namespace
}  // namespace namae::daemon
