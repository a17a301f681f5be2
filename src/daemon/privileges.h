// Least privilege: namaed started as root binds its ports below 1024 and then
// runs as `[server] user`/`group` with no capabilities at all.
//
// Two steps, because the listeners are bound in between:
//  prepare(), before any thread exists and before zones, journals or the
//    control socket are opened: no_new_privs (prctl(2) PR_SET_NO_NEW_PRIVS),
//    a bounding set of CAP_NET_BIND_SERVICE only, setgroups({gid}),
//    setresgid(g, g, g) and setresuid(0, u, 0): files are created as the user
//    (the effective uid) while the saved uid 0 keeps the permitted set; then
//    capset(2) on this thread makes CAP_NET_BIND_SERVICE its only permitted
//    and effective capability. Threads started afterwards inherit that.
//  drop(), once every listener is bound and before READY=1: setresuid(u, u, u).
//    glibc applies it to every thread of the process (its setxid broadcast,
//    nptl(7)), and since no uid is 0 any more the kernel clears the permitted,
//    effective and ambient sets of each (capabilities(7), "Effect of user ID
//    changes on capabilities"). It then reads /proc/self/task/*/status and
//    refuses to run unless every thread shows the user, the group, that one
//    supplementary group and empty CapPrm, CapEff and CapAmb.
// No library (libcap) is needed: the capability calls are raw syscalls.
// Started without root, there is nothing to switch: `user` must then be the
// current user (or absent), and capabilities given by systemd
// (AmbientCapabilities=) stay, as with Knot.
#pragma once

#include <sys/types.h>

#include <string>
#include <string_view>

#include "base/result.h"
#include "daemon/config.h"

namespace namae::daemon {

class Privileges {
 public:
  /// `sv`: the parsed [server] section (user, group, uid, gid); `source`: the
  /// config file, named in errors.
  Privileges(const ServerConfig& sv, std::string source);

  /// Step one (see above); a no-op without `user` or when already that user.
  Result<void> prepare();
  /// Step two: every thread becomes the user for good, then is checked.
  Result<void> drop();

  /// True once prepare() has switched (namaed was root and `user` is set).
  bool switching() const { return switching_; }

 private:
  Result<void> keep_bind_capability();

  std::string user_, group_, source_;
  uid_t uid_;
  gid_t gid_;
  int line_;
  bool switching_ = false;
};

/// What is wrong with one thread's /proc/.../status text for a process that
/// must run as uid/gid (only group gid, no capabilities); empty if nothing.
std::string check_thread_status(std::string_view status, uid_t uid, gid_t gid);

/// check_thread_status over every thread of this process.
Result<void> verify_all_threads(uid_t uid, gid_t gid);

}  // namespace namae::daemon
