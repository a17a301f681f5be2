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

}  // namespace namae::daemon
