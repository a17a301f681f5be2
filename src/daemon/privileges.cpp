#include "daemon/privileges.h"

#include <dirent.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include <fmt/format.h>

namespace namae::daemon {
namespace {

std::string errno_text() { return std::strerror(errno); }

// The value of "Name:\t..." in a status file, without the tab ("" if absent).
std::string_view field(std::string_view status, std::string_view name) {
  for (size_t pos = 0; pos < status.size();) {
    size_t end = status.find('\n', pos);
    if (end == std::string_view::npos) end = status.size();
    std::string_view line = status.substr(pos, end - pos);
    if (line.size() > name.size() && line.substr(0, name.size()) == name && line[name.size()] == ':') {
      line.remove_prefix(name.size() + 1);
      while (!line.empty() && (line.front() == '\t' || line.front() == ' ')) line.remove_prefix(1);
      while (!line.empty() && (line.back() == '\t' || line.back() == ' ')) line.remove_suffix(1);
      return line;
    }
    pos = end + 1;
  }
  return {};
}

// True if every whitespace-separated number of `value` is `want` (and there is one).
bool all_equal(std::string_view value, unsigned long want) {
  std::istringstream in{std::string(value)};
  unsigned long v = 0;
  int n = 0;
  while (in >> v) {
    if (v != want) return false;
    ++n;
  }
  return n > 0 && in.eof();
}

bool all_zero_hex(std::string_view value) {
  return !value.empty() && value.find_first_not_of('0') == std::string_view::npos;
}

Result<std::string> read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return fail(path + ": " + errno_text());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

Privileges::Privileges(const ServerConfig& sv, std::string source)
    : user_(sv.user), group_(sv.group), source_(std::move(source)), uid_(sv.uid), gid_(sv.gid),
      line_(sv.user_line) {}

// capset(2) on this thread: CAP_NET_BIND_SERVICE permitted and effective,
// nothing else (capabilities(7): the effective set was emptied when the
// effective uid left 0; the permitted set survived through the saved uid).
Result<void> Privileges::keep_bind_capability() {
  __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3] = {};
  data[CAP_TO_INDEX(CAP_NET_BIND_SERVICE)].permitted = CAP_TO_MASK(CAP_NET_BIND_SERVICE);
  data[CAP_TO_INDEX(CAP_NET_BIND_SERVICE)].effective = CAP_TO_MASK(CAP_NET_BIND_SERVICE);
  if (syscall(SYS_capset, &header, data) != 0) return fail("capset(CAP_NET_BIND_SERVICE): " + errno_text());
  return {};
}

Result<void> Privileges::prepare() {
  if (user_.empty()) return {};
  std::string where = fmt::format("{}:{}: [server] user '{}'", source_, line_, user_);
  if (geteuid() != 0) {
    if (geteuid() == uid_ && getuid() == uid_ && (group_.empty() || (getegid() == gid_ && getgid() == gid_)))
      return {};  // already the user: nothing to switch
    return fail(fmt::format("{}: namaed runs as uid {} gid {}, not root, and cannot switch to user '{}'{}; "
                            "start it as root, or as that user, or remove 'user'",
                            where, geteuid(), getegid(), user_, group_.empty() ? "" : " group '" + group_ + "'"));
  }
  if (uid_ == 0) return {};  // user = "root": stay root (namaed warns when ready)
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) return fail(where + ": PR_SET_NO_NEW_PRIVS: " + errno_text());
  // The bounding set caps what any later execve could gain (none: no_new_privs).
  // Caps already out of it are skipped: dropping needs CAP_SETPCAP even for those.
  for (int cap = 0; cap <= 63; ++cap) {
    if (cap == CAP_NET_BIND_SERVICE || prctl(PR_CAPBSET_READ, cap, 0, 0, 0) != 1) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0)
      return fail(fmt::format("{}: PR_CAPBSET_DROP({}): {} (namaed needs CAP_SETPCAP to switch users)", where, cap,
                              errno_text()));
  }
  gid_t groups[1] = {gid_};
  if (setgroups(1, groups) != 0) return fail(where + ": setgroups: " + errno_text());
  if (setresgid(gid_, gid_, gid_) != 0) return fail(where + ": setresgid: " + errno_text());
  if (setresuid(0, uid_, 0) != 0) return fail(where + ": setresuid: " + errno_text());
  if (auto r = keep_bind_capability(); !r) return fail(where + ": " + r.message());
  switching_ = true;
  return {};
}

Result<void> Privileges::drop() {
  if (!switching_) return {};
  if (setresuid(uid_, uid_, uid_) != 0)
    return fail(fmt::format("[server] user '{}': setresuid: {}", user_, errno_text()));
  if (auto r = verify_all_threads(uid_, gid_); !r)
    return fail(fmt::format("[server] user '{}': refusing to run: {}", user_, r.message()));
  return {};
}

std::string check_thread_status(std::string_view status, uid_t uid, gid_t gid) {
  std::string problems;
  auto expect = [&](bool ok, std::string_view name) {
    if (!ok) problems += fmt::format("{}{} is '{}'", problems.empty() ? "" : ", ", name, field(status, name));
  };
  expect(all_equal(field(status, "Uid"), uid), "Uid");
  expect(all_equal(field(status, "Gid"), gid), "Gid");
  expect(all_equal(field(status, "Groups"), gid), "Groups");
  expect(all_zero_hex(field(status, "CapPrm")), "CapPrm");
  expect(all_zero_hex(field(status, "CapEff")), "CapEff");
  expect(all_zero_hex(field(status, "CapAmb")), "CapAmb");
  return problems;
}

Result<void> verify_all_threads(uid_t uid, gid_t gid) {
  DIR* dir = opendir("/proc/self/task");
  if (!dir) return fail("/proc/self/task: " + errno_text());
  std::vector<std::string> tids;
  while (dirent* e = readdir(dir))
    if (e->d_name[0] != '.') tids.emplace_back(e->d_name);
  closedir(dir);
  if (tids.empty()) return fail("/proc/self/task lists no thread");
  for (const auto& tid : tids) {
    auto status = read_file("/proc/self/task/" + tid + "/status");
    if (!status) return status.error();
    if (auto problems = check_thread_status(*status, uid, gid); !problems.empty())
      return fail(fmt::format("thread {}: {} (want uid {}, gid {}, no capabilities)", tid, problems, uid, gid));
  }
  return {};
}

}  // namespace namae::daemon
