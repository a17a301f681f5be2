// namae: every command-line tool as a subcommand. Each subcommand parses its
// own arguments (query keeps dig's `@server +flag` syntax, which no generic
// option parser handles).
#include <cstdio>
#include <cstring>
#include <span>

#include "cli/commands.h"

namespace {
struct Command {
  const char* name;
  int (*run)(std::span<char*>);
  const char* summary;
};
constexpr Command kCommands[] = {
    {"query", namae::cli::query_main, "ask a DNS server (like dig)"},
    {"zone", namae::cli::zone_main, "check, dump, sign or verify a zone file (zone check|sign|verify FILE)"},
    {"ctl", namae::cli::ctl_main, "control a running namaed (reload, status, stop)"},
    {"update", namae::cli::update_main, "send dynamic updates (nsupdate's commands, leases)"},
    {"key", namae::cli::key_main, "generate a TSIG key (key generate NAME)"},
    {"passwd", namae::cli::passwd_main, "hash a password for an [http] user (passwd USER)"},
    {"ddns", namae::cli::ddns_main, "keep this host's name pointing at its addresses"},
    {"mdns", namae::cli::mdns_main, "multicast DNS: resolve, browse, register, services"},
    {"watch", namae::cli::watch_main, "follow a name's records as they change (DNS Push)"},
    {"srp", namae::cli::srp_main, "register a service with an SRP registrar (srp register NAME TYPE PORT)"},
};

void usage() {
  std::fprintf(stderr, "usage: namae <command> [arguments]\n\ncommands:\n");
  for (const auto& c : kCommands) std::fprintf(stderr, "  %-8s %s\n", c.name, c.summary);
}
}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "-h") || !std::strcmp(argv[1], "--help")) {
    usage();
    return argc < 2 ? 2 : 0;
  }
  for (const auto& c : kCommands)
    if (!std::strcmp(argv[1], c.name)) return c.run(std::span<char*>(argv + 1, argc - 1));
  std::fprintf(stderr, "namae: unknown command '%s'\n", argv[1]);
  usage();
  return 2;
}
