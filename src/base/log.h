// How libraries log: through a LogSink the program hands them (namaed routes
// it to spdlog, `namae` to stderr, tests to a vector). Libraries never pick a
// logging backend themselves.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace namae {

enum class LogLevel : uint8_t { debug, info, warning, error };

/// Receives one finished line (no trailing newline). May be empty: log nothing.
using LogSink = std::function<void(LogLevel, const std::string&)>;

/// Calls `sink` if it is set.
inline void log_to(const LogSink& sink, LogLevel level, const std::string& message) {
  if (sink) sink(level, message);
}

}  // namespace namae
