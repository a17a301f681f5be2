// Signals as a file descriptor for the long-running commands (ddns, srp):
// they wait in poll() on it with their other descriptors, so a signal ends
// a wait at once and is handled in the loop, not in a handler.
#pragma once

#include <initializer_list>

namespace namae::cli {

/// Block `signals` in this thread (and those it starts later) and return a
/// non-blocking, close-on-exec signalfd that reads them; -1 on failure.
int signal_fd(std::initializer_list<int> signals);

}  // namespace namae::cli
