#include "daemon/logging.h"

#include <syslog.h>

#include <algorithm>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>

namespace namae::daemon {
namespace {

spdlog::level::level_enum spdlog_level(LogLevel level) {
  switch (level) {
    case LogLevel::debug:
      return spdlog::level::debug;
    case LogLevel::info:
      return spdlog::level::info;
    case LogLevel::warning:
      return spdlog::level::warn;
    case LogLevel::error:
      break;
  }
  return spdlog::level::err;
}

}  // namespace

void setup_logging(bool foreground, const std::string& level) {
  std::shared_ptr<spdlog::logger> logger;
  if (foreground) {
    logger = spdlog::stderr_color_mt("namaed");
    logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  } else {
    logger = spdlog::syslog_logger_mt("namaed", "namaed", LOG_PID, LOG_DAEMON);
    logger->set_pattern("%v");
  }
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(level));
  spdlog::flush_on(spdlog::level::info);
}

LogSink spdlog_sink() {
  return [](LogLevel level, const std::string& message) { spdlog::log(spdlog_level(level), "{}", message); };
}

}  // namespace namae::daemon
