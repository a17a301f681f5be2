// `namae ddns`: the mobile host's client. It keeps NAME pointing at this
// host's current addresses: it watches them through rtnetlink (address
// added/removed, link up/down), and on every change sends one atomic
// delete-old/add-new (RFC 2136 with TSIG, or namaed's DynDNS2 API over
// HTTPS); it renews its RFC 9664 lease before it ends, retries with backoff
// while the server is unreachable, and deletes its records when stopped
// cleanly (SIGTERM/SIGINT). A host that dies is removed by the lease.
// The choice of addresses and the messages are in src/ddns; this file is
// the command line and the event loop.
#include <poll.h>
#include <signal.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/random.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "cli/commands.h"
#include "cli/nsupdate_parser.h"
#include "ddns/addresses.h"
#include "ddns/netlink.h"
#include "ddns/publish.h"
#include "dns/text.h"
#include "net/client.h"

namespace namae::cli {
namespace {

const char* kUsage =
    "usage: namae ddns [options] NAME\n"
    "\n"
    "Keeps NAME (A and AAAA) pointing at this host's addresses: publishes them at\n"
    "start, again on every address or link change (rtnetlink), renews the lease\n"
    "at 75% of its length (RFC 9664), retries with backoff while the server is\n"
    "unreachable, and deletes the records on SIGTERM/SIGINT (goodbye).\n"
    "\n"
    "RFC 2136 (default):\n"
    "  -s, --server HOST     the primary to update (address or host name)\n"
    "  -p, --port PORT       its port (53)\n"
    "  -y [ALG:]NAME:SECRET  TSIG key (hmac-sha256 by default)\n"
    "  -k KEYFILE            TSIG key from a BIND key file or `namae key generate` output\n"
    "  --unsigned            send unsigned updates (the server's allow-update ACL decides)\n"
    "  --zone ZONE           the zone to update (default: NAME without its first label)\n"
    "  --tcp                 use TCP\n"
    "DynDNS2 over HTTPS (namaed's /nic/update) instead:\n"
    "  --http URL            e.g. https://ns.example.net:8053\n"
    "  --user USER           HTTP Basic user\n"
    "  --password-file FILE  its password (first line); or env NAMAE_DDNS_PASSWORD\n"
    "  --ca-file PEM         verify the server with this CA (default: system store)\n"
    "  --insecure            do not verify the server's certificate (testing only)\n"
    "What to publish:\n"
    "  -4 / -6               IPv4 only / IPv6 only (default: both)\n"
    "  -i, --interface GLOB  only these interfaces (repeatable; shell globs)\n"
    "  -x, --exclude GLOB    never these interfaces (repeatable)\n"
    "  --all-scopes          also link- and site-scope addresses (default: global only)\n"
    "  --temporary           also RFC 4941 temporary IPv6 addresses\n"
    "  --ip-from URL         publish the address this URL answers with (behind NAT);\n"
    "                        asked again every --interval and on address changes\n"
    "  --interval SECONDS    --ip-from polling interval (300)\n"
    "Timing:\n"
    "  --ttl SECONDS         TTL of the records (60)\n"
    "  --lease SECONDS       lease to ask for (3600; 0: none). Renewed at 75% of the\n"
    "                        lease the server grants (of this one over HTTP)\n"
    "  --retry-max SECONDS   longest wait between retries (300); retries start at 1 s\n"
    "  --timeout MS          per-try wait for the server (2000)\n"
    "  --once                publish once and exit (0 on success), no goodbye\n"
    "  --no-goodbye          leave the records on clean shutdown (the lease ends them)\n"
    "  -v, --verbose         log renewals and netlink events too\n";

struct Options {
  std::string name_text;
  std::string server;
  uint16_t port = 53;
  std::optional<dns::TsigKey> key;
  bool unsigned_ok = false;
  std::string zone_text;
  bool tcp = false;
  std::string http_url, user, password, ca_file;
  bool insecure = false;
  ddns::AddressFilter filter;
  std::string ip_from;
  uint32_t interval = 300;
  uint32_t ttl = 60;
  uint32_t lease = 3600;
  uint32_t retry_max = 300;
  uint32_t timeout_ms = 2000;
  bool once = false;
  bool goodbye = true;
  bool verbose = false;
};

int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

bool read_first_line(const std::string& path, std::string& out) {
  std::ifstream f(path);
  if (!f) return false;
  std::getline(f, out);
  if (!out.empty() && out.back() == '\r') out.pop_back();
  return true;
}

Result<uint32_t> number(const char* text, uint32_t lo, uint32_t hi, const std::string& what) {
  auto v = dns::parse_uint(text ? text : "", hi);
  if (!v || *v < lo) return fail("bad " + what + " '" + (text ? text : "") + "'");
  return static_cast<uint32_t>(*v);
}

// Returns the exit status when parsing ends the program (help, errors).
std::optional<int> parse(std::span<char*> argv, Options& o) {
  auto usage_error = [](const std::string& m) {
    std::fprintf(stderr, "namae ddns: %s\n(see namae ddns --help)\n", m.c_str());
    return 2;
  };
  bool only4 = false, only6 = false;
  std::string keyfile, password_file;
  for (size_t i = 1; i < argv.size(); ++i) {
    std::string a = argv[i];
    auto value = [&]() -> const char* { return i + 1 < argv.size() ? argv[++i] : nullptr; };
    auto need = [&](const char*& v) {
      v = value();
      return v != nullptr;
    };
    const char* v = nullptr;
    if (a == "-h" || a == "--help") {
      std::fputs(kUsage, stdout);
      return 0;
    } else if (a == "-4") {
      only4 = true;
    } else if (a == "-6") {
      only6 = true;
    } else if (a == "--unsigned") {
      o.unsigned_ok = true;
    } else if (a == "--tcp") {
      o.tcp = true;
    } else if (a == "--insecure") {
      o.insecure = true;
    } else if (a == "--all-scopes") {
      o.filter.all_scopes = true;
    } else if (a == "--temporary") {
      o.filter.temporary = true;
    } else if (a == "--once") {
      o.once = true;
    } else if (a == "--no-goodbye") {
      o.goodbye = false;
    } else if (a == "-v" || a == "--verbose") {
      o.verbose = true;
    } else if (a == "-s" || a == "--server" || a == "-p" || a == "--port" || a == "-y" ||
               a == "-k" || a == "--zone" || a == "--http" || a == "--user" ||
               a == "--password-file" || a == "--ca-file" || a == "-i" || a == "--interface" ||
               a == "-x" || a == "--exclude" || a == "--ip-from" || a == "--interval" ||
               a == "--ttl" || a == "--lease" || a == "--retry-max" || a == "--timeout") {
      if (!need(v)) return usage_error(a + " needs a value");
      if (a == "-s" || a == "--server") {
        o.server = v;
      } else if (a == "-p" || a == "--port") {
        auto n = number(v, 1, 65535, "port");
        if (!n) return usage_error(n.message());
        o.port = static_cast<uint16_t>(*n);
      } else if (a == "-y") {
        auto k = dns::TsigKey::parse(v);
        if (!k) return usage_error("-y: " + k.message());
        o.key = std::move(*k);
      } else if (a == "-k") {
        keyfile = v;
      } else if (a == "--zone") {
        o.zone_text = v;
      } else if (a == "--http") {
        o.http_url = v;
      } else if (a == "--user") {
        o.user = v;
      } else if (a == "--password-file") {
        password_file = v;
      } else if (a == "--ca-file") {
        o.ca_file = v;
      } else if (a == "-i" || a == "--interface") {
        o.filter.include.push_back(v);
      } else if (a == "-x" || a == "--exclude") {
        o.filter.exclude.push_back(v);
      } else if (a == "--ip-from") {
        o.ip_from = v;
      } else {
        uint32_t lo = a == "--lease" || a == "--ttl" ? 0 : 1;
        uint32_t hi = a == "--timeout" ? 600000 : 0x7fffffff;
        auto n = number(v, lo, hi, a.substr(2));
        if (!n) return usage_error(n.message());
        if (a == "--interval") o.interval = *n;
        if (a == "--ttl") o.ttl = *n;
        if (a == "--lease") o.lease = *n;
        if (a == "--retry-max") o.retry_max = *n;
        if (a == "--timeout") o.timeout_ms = *n;
      }
    } else if (a.size() > 1 && a[0] == '-') {
      return usage_error("unknown option " + a);
    } else if (!o.name_text.empty()) {
      return usage_error("one NAME only");
    } else {
      o.name_text = a;
    }
  }
  if (o.name_text.empty()) return usage_error("give the NAME to keep up to date");
  if (only4 && only6) return usage_error("-4 and -6 together: leave both out for both");
  if (only4) o.filter.ipv6 = false;
  if (only6) o.filter.ipv4 = false;
  if (!keyfile.empty()) {
    if (o.key) return usage_error("-k and -y are exclusive");
    std::ifstream f(keyfile);
    if (!f) return usage_error("cannot read key file " + keyfile);
    std::stringstream ss;
    ss << f.rdbuf();
    auto k = parse_key_file(ss.str(), keyfile);
    if (!k) return usage_error(keyfile + ": " + k.message());
    o.key = std::move(*k);
  }
  if (o.http_url.empty()) {
    if (o.server.empty()) return usage_error("give --server (RFC 2136) or --http URL");
    if (!o.key && !o.unsigned_ok)
      return usage_error(
          "updates are signed: give -y or -k (or --unsigned if the server's ACL allows)");
  } else {
    if (!o.server.empty() || o.key) return usage_error("--http and --server/-y/-k are exclusive");
    if (o.user.empty()) return usage_error("--http needs --user");
    if (!password_file.empty()) {
      if (!read_first_line(password_file, o.password))
        return usage_error("cannot read " + password_file);
    } else if (const char* env = std::getenv("NAMAE_DDNS_PASSWORD")) {
      o.password = env;
    } else {
      return usage_error("--http needs --password-file or NAMAE_DDNS_PASSWORD");
    }
  }
  return std::nullopt;
}

// What the host has now (per the filter, or from --ip-from).
Result<ddns::Selection> current_addresses(const Options& o) {
  if (!o.ip_from.empty()) {
    auto ip = ddns::fetch_external_address(o.ip_from, o.ca_file, o.insecure,
                                           std::chrono::milliseconds(o.timeout_ms));
    if (!ip) return ip.error();
    ddns::Selection s;
    if (ip->family == AF_INET && o.filter.ipv4) s.v4.push_back(*ip);
    if (ip->family == AF_INET6 && o.filter.ipv6) s.v6.push_back(*ip);
    return s;
  }
  auto all = ddns::dump_addresses();
  if (!all) return all.error();
  return ddns::select_addresses(*all, o.filter);
}

}  // namespace

int ddns_main(std::span<char*> argv) {
  Options o;
  if (auto status = parse(argv, o)) return *status;

  auto logger = spdlog::stderr_color_mt("namae-ddns");
  logger->set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  logger->set_level(o.verbose ? spdlog::level::debug : spdlog::level::info);
  logger->flush_on(spdlog::level::debug);

  std::string nt = o.name_text.back() == '.' ? o.name_text : o.name_text + ".";
  auto name = dns::Name::from_text(nt);
  if (!name || name->label_count() < 2) {
    std::fprintf(stderr, "namae ddns: bad NAME '%s'\n", o.name_text.c_str());
    return 2;
  }

  ddns::DnsTarget dns_target;
  ddns::HttpTarget http_target;
  const bool use_http = !o.http_url.empty();
  if (use_http) {
    http_target.base_url = o.http_url;
    while (!http_target.base_url.empty() && http_target.base_url.back() == '/')
      http_target.base_url.pop_back();
    http_target.user = o.user;
    http_target.password = o.password;
    http_target.ca_file = o.ca_file;
    http_target.insecure = o.insecure;
    http_target.hostname = name->to_text().substr(0, name->to_text().size() - 1);
    http_target.timeout = std::chrono::milliseconds(o.timeout_ms);
  } else {
    auto servers = net::resolve_server(o.server, o.port, AF_UNSPEC);
    if (!servers || servers->empty()) {
      std::fprintf(stderr, "namae ddns: server %s: %s\n", o.server.c_str(),
                   servers ? "no address" : servers.message().c_str());
      return 2;
    }
    dns_target.servers = *servers;
    dns_target.name = *name;
    if (o.zone_text.empty()) {
      dns_target.zone = name->strip_left(1);
    } else {
      auto z = dns::Name::from_text(o.zone_text.back() == '.' ? o.zone_text : o.zone_text + ".");
      if (!z || !name->is_subdomain_of(*z)) {
        std::fprintf(stderr, "namae ddns: bad --zone '%s' for %s\n", o.zone_text.c_str(),
                     name->to_text().c_str());
        return 2;
      }
      dns_target.zone = *z;
    }
    dns_target.key = o.key;
    dns_target.ttl = o.ttl;
    dns_target.lease = o.lease;
    dns_target.tcp = o.tcp;
    dns_target.timeout = std::chrono::milliseconds(o.timeout_ms);
  }
  const std::string where = use_http ? o.http_url : o.server + "#" + std::to_string(o.port);
  auto publish = [&](const ddns::Selection& s, bool goodbye) {
    if (use_http) return ddns::send_dyndns_update(http_target, s, o.filter.ipv4, o.filter.ipv6);
    return ddns::send_dns_update(dns_target, s, o.filter.ipv4, o.filter.ipv6, goodbye);
  };

  // Signals arrive through a signalfd polled with netlink.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  sigaddset(&mask, SIGHUP);
  sigprocmask(SIG_BLOCK, &mask, nullptr);
  int sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

  ddns::AddressWatcher watcher;
  if (!o.once) {
    if (auto r = watcher.open(); !r) {
      spdlog::get("namae-ddns")->error("cannot watch addresses: {}", r.message());
      return 1;
    }
  }
  auto log = spdlog::get("namae-ddns");
  log->info("{}: keeping {} up to date via {} ({}{}{})", o.once ? "once" : "started",
            name->to_text(), where, o.filter.ipv4 ? "IPv4" : "",
            o.filter.ipv4 && o.filter.ipv6 ? "+" : "", o.filter.ipv6 ? "IPv6" : "");

  std::optional<ddns::Selection> published;  // what the server holds, as far as we know
  bool failing = false;
  int64_t retry_at = 0, renew_at = 0, poll_at = 0, settle_at = now_ms();
  int64_t backoff_ms = 1000;
  constexpr int64_t kSettleMs = 100;  // a move is a burst of netlink events: wait for its end

  while (true) {
    int64_t now = now_ms();
    bool due = settle_at && now >= settle_at;
    bool renew = published && renew_at && now >= renew_at;
    bool retry = failing && now >= retry_at;
    bool repoll = !o.ip_from.empty() && poll_at && now >= poll_at;
    if (due || renew || retry || repoll) {
      settle_at = 0;
      if (repoll) poll_at = now + int64_t{o.interval} * 1000;
      auto desired = current_addresses(o);
      if (!desired) {
        log->warn("cannot read this host's addresses: {}", desired.message());
        failing = true;
        retry_at = now + backoff_ms;
        backoff_ms = std::min<int64_t>(backoff_ms * 2, int64_t{o.retry_max} * 1000);
      } else if (!published || !(*published == *desired) || renew || failing) {
        auto out = publish(*desired, false);
        now = now_ms();
        if (out.ok) {
          std::string old = published ? published->to_text() : std::string("(unknown)");
          uint32_t lease = out.lease.value_or(o.lease);
          if (!published || !(*published == *desired))
            log->info("{}: {} -> {} ({}{})", name->to_text(), old, desired->to_text(), out.message,
                      out.lease ? fmt::format(", lease {} s", *out.lease) : std::string());
          else
            log->debug("{}: renewed {} ({}, lease {} s)", name->to_text(), desired->to_text(),
                       out.message, lease);
          published = *desired;
          failing = false;
          backoff_ms = 1000;
          // RFC 9664: renew before the lease runs out; at 75% of it.
          renew_at = lease ? now + int64_t{lease} * 750 : 0;
          if (o.once) return 0;
        } else {
          if (o.once) {
            log->error("{}: publishing {} failed: {}", name->to_text(), desired->to_text(),
                       out.message);
            return 1;
          }
          log->warn("{}: publishing {} failed: {}; retry in {} ms", name->to_text(),
                    desired->to_text(), out.message, backoff_ms);
          failing = true;
          // Jitter (up to a quarter) so many hosts back from one outage do not retry in step.
          uint32_t r = 0;
          (void)getrandom(&r, sizeof r, 0);
          retry_at = now + backoff_ms + static_cast<int64_t>(r % (backoff_ms / 4 + 1));
          backoff_ms = std::min<int64_t>(backoff_ms * 2, int64_t{o.retry_max} * 1000);
        }
      }
      if (!o.ip_from.empty() && !poll_at) poll_at = now + int64_t{o.interval} * 1000;
      if (o.once && !failing) return 0;  // nothing to do counts as success
      if (o.once) return 1;
    }

    int64_t wake = INT64_MAX;
    for (int64_t t : {settle_at, published ? renew_at : 0, failing ? retry_at : 0, poll_at})
      if (t) wake = std::min(wake, t);
    now = now_ms();
    int timeout =
        wake == INT64_MAX ? -1 : static_cast<int>(std::clamp<int64_t>(wake - now, 0, 60000));
    pollfd fds[2] = {{sig_fd, POLLIN, 0}, {watcher.fd(), POLLIN, 0}};
    int n = poll(fds, 2, timeout);
    if (n < 0 && errno != EINTR) {
      log->error("poll: {}", std::strerror(errno));
      return 1;
    }
    if (n > 0 && (fds[1].revents & POLLIN) && watcher.drain()) {
      log->debug("address or link change");
      settle_at = now_ms() + kSettleMs;
    }
    if (n > 0 && (fds[0].revents & POLLIN)) {
      signalfd_siginfo si{};
      bool stop = false;
      while (read(sig_fd, &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGHUP) {
          settle_at = now_ms();  // re-read and re-publish now
        } else {
          stop = true;
        }
      }
      if (stop) {
        if (o.goodbye && published && !use_http) {
          auto out = publish(ddns::Selection{}, true);
          if (out.ok)
            log->info("{}: {} -> (none) (goodbye: {})", name->to_text(), published->to_text(),
                      out.message);
          else
            log->warn("{}: goodbye failed ({}); the lease will remove {}", name->to_text(),
                      out.message, published->to_text());
        } else if (o.goodbye && published) {
          log->info("{}: stopping; DynDNS2 cannot delete, the lease will remove {}",
                    name->to_text(), published->to_text());
        }
        log->info("stopped");
        return 0;
      }
    }
  }
}

}  // namespace namae::cli
