// namaed's one logging backend: spdlog, to stderr in the foreground and to
// syslog otherwise. Libraries log through a namae::LogSink (base/log.h);
// spdlog_sink() is the sink namaed hands them.
#pragma once

#include <functional>
#include <string>

#include "base/log.h"

namespace namae::daemon {

/// The default spdlog logger: stderr (coloured level) or syslog (facility daemon).
void setup_logging(bool foreground, const std::string& level);

/// The LogSink that writes to the default spdlog logger.
LogSink spdlog_sink();

/// The same for libraries that still log with an int level (0 debug,
/// 1 info, 2 warning, 3 and above error) until they take a LogSink.
std::function<void(int, const std::string&)> spdlog_int_sink();

}  // namespace namae::daemon
