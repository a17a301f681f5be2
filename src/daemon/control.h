// The control socket `namae ctl` talks to: a Unix stream socket with a line
// protocol. The client sends one command line ("reload", "status", "stop"...);
// the daemon answers with lines, the first "ok" or "error: reason", and closes.
// Commands run on the control thread, one client at a time (an admin channel,
// not a hot path); a client that sends nothing is dropped after two seconds.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <thread>

#include "base/result.h"

namespace namae::daemon {

/// Turns a command line (without the newline) into the reply text.
using ControlDispatch = std::function<std::string(std::string_view command)>;

/// Listens on a Unix socket path and answers commands through `dispatch`.
class ControlServer {
 public:
  ControlServer(std::string path, ControlDispatch dispatch);
  ~ControlServer();

  /// Create the socket (and its directory), replacing a stale socket file but
  /// refusing to steal one a live daemon is listening on.
  Result<void> start();
  /// Stop accepting, join the thread and remove the socket file.
  void stop();
  const std::string& path() const { return path_; }

 private:
  void run();
  std::string path_;
  ControlDispatch dispatch_;
  int listen_fd_ = -1;
  int stop_fd_ = -1;
  std::thread thread_;
};

/// Client side (used by `namae ctl`): send `command`, return the whole reply.
Result<std::string> control_request(const std::string& path, std::string_view command,
                                    int timeout_ms = 30000);

}  // namespace namae::daemon
