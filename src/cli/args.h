// The command-line parser every `namae` subcommand shares (except the
// dig-style syntax of `namae query`, query_args.h): short and long options,
// `--long=value`, repeatable options, positionals, `--` to end options,
// `-h`/`--help` printing the subcommand's usage text, and one form of usage
// error ("namae SUBCOMMAND: what is wrong" then "(see namae SUBCOMMAND --help)",
// exit status 2).
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace namae::cli {

/// Exit statuses shared by the subcommands (some add their own above 2).
namespace exit_status {
inline constexpr int ok = 0;
inline constexpr int failure = 1;  // the operation failed (not the command line)
inline constexpr int usage = 2;    // the command line is wrong
}  // namespace exit_status

/// Print the usage error of `command` ("update", "zone check") to stderr and
/// return exit_status::usage.
int usage_error(std::string_view command, std::string_view message);

/// A decimal number in [lo, hi]; the error reads "bad WHAT 'TEXT'".
Result<uint32_t> parse_number(std::string_view text, uint32_t lo, uint32_t hi,
                              std::string_view what);

class ArgParser {
 public:
  using Handler = std::function<Result<void>(const std::string& value)>;

  /// `command` names the subcommand in errors; `usage` is printed for --help.
  ArgParser(std::string command, const char* usage);

  /// An option without a value.
  ArgParser& flag(std::initializer_list<std::string_view> names, std::function<void()> on);
  ArgParser& flag(std::initializer_list<std::string_view> names, bool& target, bool value = true);
  /// An option with a value: `-p 53`, `--port 53`, `--port=53`.
  ArgParser& option(std::initializer_list<std::string_view> names, Handler on);
  ArgParser& option(std::initializer_list<std::string_view> names, std::string& target);
  /// A repeatable option collecting its values.
  ArgParser& option(std::initializer_list<std::string_view> names,
                    std::vector<std::string>& target);
  /// A number in [lo, hi] ("bad WHAT '...'" otherwise).
  ArgParser& number(std::initializer_list<std::string_view> names, uint32_t lo, uint32_t hi,
                    std::string_view what, std::function<void(uint32_t)> on);
  /// Arguments that are not options, in order ("-" alone is one).
  ArgParser& positional(Handler on);

  /// Parse `args` (the words after the subcommand). nullopt: go on; otherwise
  /// the program ends with that status (0 after --help, 2 after an error,
  /// which has been printed).
  std::optional<int> parse(std::span<char* const> args) const;

  /// usage_error() for this subcommand.
  int error(std::string_view message) const { return usage_error(command_, message); }
  const char* usage() const { return usage_; }

 private:
  struct Option {
    std::vector<std::string> names;
    bool takes_value = false;
    Handler on;
  };
  const Option* find(std::string_view name) const;
  Result<void> apply(std::span<char* const> args, size_t& i) const;

  std::string command_;
  const char* usage_;
  std::vector<Option> options_;
  Handler positional_;
};

}  // namespace namae::cli
