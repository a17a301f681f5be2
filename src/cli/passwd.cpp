// `namae passwd USER`: asks for a password (twice, without echo, on a
// terminal; one line from standard input otherwise) and prints the [http]
// users entry holding its Argon2id hash, ready to paste into namaed's config.
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/key_util.h"
#include "http/auth.h"

namespace namae::cli {
namespace {

const char* kUsage =
    "usage: namae passwd [--hostname NAME]... USER\n"
    "\n"
    "Reads a password (twice, without echo, from a terminal; else the first line\n"
    "of standard input) and prints the [http] users entry for namaed's config:\n"
    "  { name = \"USER\", password-hash = \"$argon2id$...\", hostnames = [...] },\n"
    "Paste it into `users = [ ... ]` of [http]. The hash is Argon2id\n"
    "(m=19 MiB, t=2, p=1) with a random salt.\n"
    "\n"
    "  --hostname NAME  a name the user may update (repeatable)\n";

std::string read_line_noecho(const char* prompt) {
  std::fprintf(stderr, "%s", prompt);
  termios old{};
  bool tty = tcgetattr(STDIN_FILENO, &old) == 0;
  if (tty) {
    termios quiet = old;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    std::fprintf(stderr, "\n");
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  return line;
}

}  // namespace

int passwd_main(std::span<char*> args) {
  std::string user;
  std::vector<std::string> hostnames;
  ArgParser p("passwd", kUsage);
  p.option({"--hostname"}, hostnames).positional([&](const std::string& v) -> Result<void> {
    if (!user.empty()) return fail("one USER only");
    user = v;
    return {};
  });
  if (auto status = p.parse(args.subspan(1))) return *status;
  if (user.empty() || user.find(':') != std::string::npos)
    return p.error("give a USER (without ':')");
  std::string pw;
  if (isatty(STDIN_FILENO)) {
    pw = read_line_noecho("Password: ");
    if (read_line_noecho("Again: ") != pw) {
      std::fprintf(stderr, "namae passwd: the passwords differ\n");
      return 1;
    }
  } else if (!std::getline(std::cin, pw)) {
    std::fprintf(stderr, "namae passwd: no password on standard input\n");
    return 1;
  }
  if (!pw.empty() && pw.back() == '\r') pw.pop_back();
  if (pw.empty()) {
    std::fprintf(stderr, "namae passwd: empty password\n");
    return 1;
  }
  auto hash = http::hash_password(pw);
  if (!hash) {
    std::fprintf(stderr, "namae passwd: %s\n", hash.message().c_str());
    return 1;
  }
  std::string names;
  for (const auto& h : hostnames) names += (names.empty() ? "" : ", ") + toml_string(h);
  std::printf("{ name = %s, password-hash = %s, hostnames = [%s] },\n", toml_string(user).c_str(),
              toml_string(*hash).c_str(), names.c_str());
  return 0;
}

}  // namespace namae::cli
