// The service manager's readiness protocol (systemd's sd_notify(3), Type=notify):
// one datagram of "KEY=VALUE" lines to the AF_UNIX socket $NOTIFY_SOCKET
// names (a path, or "@name" in the abstract namespace).
//
// Sent without blocking, unlike libsystemd's sd_notify: a manager (or test
// harness) that stops reading its socket fills its queue, and a blocking
// send would then stall namaed's signal loop (SIGHUP, SIGTERM) for good. A
// message that finds the queue full is dropped: each one states the whole
// state ("READY=1", "RELOADING=1"), so the next one sent supersedes it.
#pragma once

#include <string_view>

namespace namae::daemon {

/// Send `state` to $NOTIFY_SOCKET. False when there is no such socket, or
/// the message could not go at once (queue full, nobody listening).
bool notify_service_manager(std::string_view state);

}  // namespace namae::daemon
