// `namae ctl`: talk to a running namaed through its control socket
// (daemon/control.h): reload, reconfigure, status, stop, zone status|refresh|retransfer|notify, dnssec, cache.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "cli/args.h"
#include "cli/commands.h"
#include "daemon/config.h"
#include "daemon/control.h"

namespace namae::cli {
namespace {

constexpr const char* kCtlUsage =
    "usage: namae ctl [-s SOCKET | -c CONFIG] [-t SECONDS] COMMAND\n"
    "\n"
    "commands:\n"
    "  reload   re-read changed zone files (a zone that fails keeps its old version)\n"
    "  reconfigure  re-read the whole config file and apply it live: zones,\n"
    "           keys, policies, ACLs, rrl, cookies, resolver allow; a config with\n"
    "           an error is refused whole (exit 1) and the running one stays\n"
    "  status   listeners, counters, and each zone's serial and state\n"
    "  stop     shut the server down cleanly\n"
    "  zone status NAME      a secondary zone: serial, primaries, last and next\n"
    "                        refresh, expiry, last error\n"
    "  zone refresh NAME     check the secondary's primaries now\n"
    "  zone retransfer NAME  transfer the whole zone (AXFR) now\n"
    "  zone notify NAME    send NOTIFY for zone NAME to its notify targets now\n"
    "  dnssec ds NAME      the DS records (SHA-256) of the zone's keys in its CDS set,\n"
    "                      as dnssec-dsfromkey -2 prints them\n"
    "  dnssec ds-seen NAME KEYTAG  the parent now has the DS of KEYTAG: the key it\n"
    "                      replaces leaves once the old DS has left caches\n"
    "  dnssec ds-gone NAME the parent has no DS for the zone any more: a zone going\n"
    "                      insecure drops its DNSSEC records once the DS left caches\n"
    "  dnssec status NAME  the zone's keys, their states and the next key event\n"
    "  cache show [NAME]   the resolver's cache at and below NAME\n"
    "  cache flush [NAME]  drop the resolver's cache at and below NAME (default all)\n"
    "  cache stats         resolver cache counters\n"
    "  nta add NAME [SECONDS]  a negative trust anchor (RFC 7646): NAME and below\n"
    "                      are not validated for SECONDS (default 3600, at most 604800)\n"
    "  nta remove NAME     end it before it expires\n"
    "  nta list            the negative trust anchors and their seconds left\n"
    "\n"
    "The socket is -s SOCKET, else [server] control of -c CONFIG, else $NAMAE_CONTROL,\n"
    "else run/namaed.sock in the current directory.\n"
    "Exit status: 0 if the server answered ok, 1 if it reported an error or could\n"
    "not be reached, 2 for usage errors.\n";

}  // namespace

int ctl_main(std::span<char*> args) {
  std::string socket_path, config_path, command;
  int timeout_s = 60;
  ArgParser p("ctl", kCtlUsage);
  p.option({"-s", "--socket"}, socket_path)
      .option({"-c", "--config"}, config_path)
      .number({"-t", "--timeout"}, 1, 86400, "timeout",
              [&](uint32_t n) { timeout_s = static_cast<int>(n); })
      .positional([&](const std::string& word) {
        if (!command.empty()) command += ' ';
        command += word;
        return Result<void>{};
      });
  if (auto status = p.parse(args.subspan(1))) return *status;
  if (command.empty()) return p.error("give a COMMAND (reload, reconfigure, status, stop, zone ..., dnssec ..., cache ..., nta ...)");
  if (socket_path.empty() && !config_path.empty()) {
    auto cfg = daemon::load_config(config_path);
    if (!cfg) {
      std::fprintf(stderr, "%s\n", cfg.message().c_str());
      return 1;
    }
    socket_path = cfg->server.control;
  }
  if (socket_path.empty()) {
    const char* env = std::getenv("NAMAE_CONTROL");
    socket_path = env && *env ? env : "run/namaed.sock";
  }
  auto reply = daemon::control_request(socket_path, command, timeout_s * 1000);
  if (!reply) {
    std::fprintf(stderr, "namae ctl: %s\n", reply.message().c_str());
    return 1;
  }
  std::fputs(reply->c_str(), stdout);
  return reply->rfind("ok", 0) == 0 ? 0 : 1;
}

}  // namespace namae::cli
