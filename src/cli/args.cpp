#include "cli/args.h"

#include <cstdio>

#include "dns/text.h"

namespace namae::cli {

int usage_error(std::string_view command, std::string_view message) {
  std::fprintf(stderr, "namae %.*s: %.*s\n(see namae %.*s --help)\n",
               static_cast<int>(command.size()), command.data(), static_cast<int>(message.size()),
               message.data(), static_cast<int>(command.size()), command.data());
  return exit_status::usage;
}

Result<uint32_t> parse_number(std::string_view text, uint32_t lo, uint32_t hi,
                              std::string_view what) {
  auto v = dns::parse_uint(text, hi);
  if (!v || *v < lo) return fail("bad " + std::string(what) + " '" + std::string(text) + "'");
  return static_cast<uint32_t>(*v);
}

ArgParser::ArgParser(std::string command, const char* usage)
    : command_(std::move(command)), usage_(usage) {}

ArgParser& ArgParser::flag(std::initializer_list<std::string_view> names,
                           std::function<void()> on) {
  options_.push_back({{names.begin(), names.end()}, false, [on](const std::string&) {
                        on();
                        return Result<void>{};
                      }});
  return *this;
}

ArgParser& ArgParser::flag(std::initializer_list<std::string_view> names, bool& target,
                           bool value) {
  return flag(names, [&target, value] { target = value; });
}

ArgParser& ArgParser::option(std::initializer_list<std::string_view> names, Handler on) {
  options_.push_back({{names.begin(), names.end()}, true, std::move(on)});
  return *this;
}

ArgParser& ArgParser::option(std::initializer_list<std::string_view> names, std::string& target) {
  return option(names, [&target](const std::string& v) {
    target = v;
    return Result<void>{};
  });
}

ArgParser& ArgParser::option(std::initializer_list<std::string_view> names,
                             std::vector<std::string>& target) {
  return option(names, [&target](const std::string& v) {
    target.push_back(v);
    return Result<void>{};
  });
}

ArgParser& ArgParser::number(std::initializer_list<std::string_view> names, uint32_t lo,
                             uint32_t hi, std::string_view what, std::function<void(uint32_t)> on) {
  return option(names, [lo, hi, what = std::string(what), on](const std::string& v) -> Result<void> {
    auto n = parse_number(v, lo, hi, what);
    if (!n) return n.error();
    on(*n);
    return {};
  });
}

ArgParser& ArgParser::positional(Handler on) {
  positional_ = std::move(on);
  return *this;
}

const ArgParser::Option* ArgParser::find(std::string_view name) const {
  for (const auto& o : options_)
    for (const auto& n : o.names)
      if (n == name) return &o;
  return nullptr;
}

Result<void> ArgParser::apply(std::span<char* const> args, size_t& i) const {
  std::string arg = args[i];
  std::optional<std::string> glued;  // --long=value
  if (arg.rfind("--", 0) == 0)
    if (auto eq = arg.find('='); eq != std::string::npos) {
      glued = arg.substr(eq + 1);
      arg.resize(eq);
    }
  const Option* o = find(arg);
  if (!o) return fail("unknown option " + arg);
  if (!o->takes_value) {
    if (glued) return fail(arg + " takes no value");
    return o->on("");
  }
  if (glued) return o->on(*glued);
  if (i + 1 >= args.size()) return fail(arg + " needs a value");
  return o->on(args[++i]);
}

std::optional<int> ArgParser::parse(std::span<char* const> args) const {
  bool options_done = false;
  for (size_t i = 0; i < args.size(); ++i) {
    std::string_view a = args[i];
    Result<void> r;
    if (!options_done && (a == "-h" || a == "--help")) {
      std::fputs(usage_, stdout);
      return exit_status::ok;
    } else if (!options_done && a == "--") {
      options_done = true;
      continue;
    } else if (!options_done && a.size() > 1 && a[0] == '-') {
      r = apply(args, i);
    } else if (positional_) {
      r = positional_(std::string(a));
    } else {
      r = fail("unexpected argument '" + std::string(a) + "'");
    }
    if (!r) return error(r.message());
  }
  return std::nullopt;
}

}  // namespace namae::cli
