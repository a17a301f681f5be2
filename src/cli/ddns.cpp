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
#include <string>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/key_util.h"
#include "cli/nsupdate_parser.h"
#include "cli/signals.h"
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

// The options without checks across them.
ArgParser option_parser(Options& o, bool& only4, bool& only6, std::string& keyfile,
                        std::string& password_file) {
  ArgParser p("ddns", kUsage);
  auto uint = [](uint32_t& target) { return [&target](uint32_t n) { target = n; }; };
  p.flag({"-4"}, only4)
      .flag({"-6"}, only6)
      .flag({"--unsigned"}, o.unsigned_ok)
      .flag({"--tcp"}, o.tcp)
      .flag({"--insecure"}, o.insecure)
      .flag({"--all-scopes"}, o.filter.all_scopes)
      .flag({"--temporary"}, o.filter.temporary)
      .flag({"--once"}, o.once)
      .flag({"--no-goodbye"}, o.goodbye, false)
      .flag({"-v", "--verbose"}, o.verbose)
      .option({"-s", "--server"}, o.server)
      .number({"-p", "--port"}, 1, 65535, "port",
              [&](uint32_t n) { o.port = static_cast<uint16_t>(n); })
      .option({"-y"}, y_option(o.key))
      .option({"-k"}, keyfile)
      .option({"--zone"}, o.zone_text)
      .option({"--http"}, o.http_url)
      .option({"--user"}, o.user)
      .option({"--password-file"}, password_file)
      .option({"--ca-file"}, o.ca_file)
      .option({"-i", "--interface"}, o.filter.include)
      .option({"-x", "--exclude"}, o.filter.exclude)
      .option({"--ip-from"}, o.ip_from)
      .number({"--interval"}, 1, 0x7fffffff, "interval", uint(o.interval))
      .number({"--ttl"}, 0, 0x7fffffff, "ttl", uint(o.ttl))
      .number({"--lease"}, 0, 0x7fffffff, "lease", uint(o.lease))
      .number({"--retry-max"}, 1, 0x7fffffff, "retry-max", uint(o.retry_max))
      .number({"--timeout"}, 1, 600000, "timeout", uint(o.timeout_ms))
      .positional([&](const std::string& v) -> Result<void> {
        if (!o.name_text.empty()) return fail("one NAME only");
        o.name_text = v;
        return {};
      });
  return p;
}

// The DynDNS2 password: from --password-file, else NAMAE_DDNS_PASSWORD.
Result<std::string> http_password(const std::string& password_file) {
  std::string password;
  if (!password_file.empty()) {
    if (!read_first_line(password_file, password)) return fail("cannot read " + password_file);
    return password;
  }
  if (const char* env = std::getenv("NAMAE_DDNS_PASSWORD")) return std::string(env);
  return fail("--http needs --password-file or NAMAE_DDNS_PASSWORD");
}

// The checks across options: one way to publish, each with what it needs.
Result<void> check_publishing(Options& o, const std::string& password_file) {
  if (o.http_url.empty()) {
    if (o.server.empty()) return fail("give --server (RFC 2136) or --http URL");
    if (!o.key && !o.unsigned_ok)
      return fail("updates are signed: give -y or -k (or --unsigned if the server's ACL allows)");
    return {};
  }
  if (!o.server.empty() || o.key) return fail("--http and --server/-y/-k are exclusive");
  if (o.user.empty()) return fail("--http needs --user");
  auto password = http_password(password_file);
  if (!password) return password.error();
  o.password = std::move(*password);
  return {};
}

// Returns the exit status when parsing ends the program (help, errors).
std::optional<int> parse(std::span<char*> argv, Options& o) {
  bool only4 = false, only6 = false;
  std::string keyfile, password_file;
  ArgParser p = option_parser(o, only4, only6, keyfile, password_file);
  if (auto status = p.parse(argv.subspan(1))) return status;
  if (o.name_text.empty()) return p.error("give the NAME to keep up to date");
  if (only4 && only6) return p.error("-4 and -6 together: leave both out for both");
  if (only4) o.filter.ipv6 = false;
  if (only6) o.filter.ipv4 = false;
  if (!keyfile.empty()) {
    if (o.key) return p.error("-k and -y are exclusive");
    auto k = load_key_file(keyfile);
    if (!k) return p.error(k.message());
    o.key = std::move(*k);
  }
  if (auto r = check_publishing(o, password_file); !r) return p.error(r.message());
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


// Where and how to publish: RFC 2136 or DynDNS2, from the options.
struct Publisher {
  bool use_http = false;
  ddns::DnsTarget dns;
  ddns::HttpTarget http;
  std::string where;  // for the log

  ddns::PublishOutcome publish(const Options& o, const ddns::Selection& s, bool goodbye) const {
    if (use_http) return ddns::send_dyndns_update(http, s, o.filter.ipv4, o.filter.ipv6);
    return ddns::send_dns_update(dns, s, o.filter.ipv4, o.filter.ipv6, goodbye);
  }
};

Result<Publisher> make_publisher(const Options& o, const dns::Name& name) {
  Publisher p;
  p.use_http = !o.http_url.empty();
  if (p.use_http) {
    p.where = o.http_url;
    p.http.base_url = o.http_url;
    while (!p.http.base_url.empty() && p.http.base_url.back() == '/') p.http.base_url.pop_back();
    p.http.user = o.user;
    p.http.password = o.password;
    p.http.ca_file = o.ca_file;
    p.http.insecure = o.insecure;
    p.http.hostname = name.to_text().substr(0, name.to_text().size() - 1);
    p.http.timeout = std::chrono::milliseconds(o.timeout_ms);
    return p;
  }
  p.where = o.server + "#" + std::to_string(o.port);
  auto servers = net::resolve_server(o.server, o.port, AF_UNSPEC);
  if (!servers || servers->empty())
    return fail("server " + o.server + ": " + (servers ? "no address" : servers.message()));
  p.dns.servers = *servers;
  p.dns.name = name;
  p.dns.zone = name.strip_left(1);
  if (!o.zone_text.empty()) {
    auto z = dns::Name::from_text(o.zone_text.back() == '.' ? o.zone_text : o.zone_text + ".");
    if (!z || !name.is_subdomain_of(*z))
      return fail("bad --zone '" + o.zone_text + "' for " + name.to_text());
    p.dns.zone = *z;
  }
  p.dns.key = o.key;
  p.dns.ttl = o.ttl;
  p.dns.lease = o.lease;
  p.dns.tcp = o.tcp;
  p.dns.timeout = std::chrono::milliseconds(o.timeout_ms);
  return p;
}

// The event loop's state: what the server holds as far as we know, and when
// to act next (0: not scheduled).
class Keeper {
 public:
  Keeper(const Options& o, dns::Name name, Publisher publisher)
      : o_(o), name_(std::move(name)), publisher_(std::move(publisher)),
        log_(spdlog::get("namae-ddns")) {}

  // Publish if something is due. An exit status when the run is over (--once).
  std::optional<int> act() {
    int64_t now = now_ms();
    bool due = settle_at_ && now >= settle_at_;
    bool renew = published_ && renew_at_ && now >= renew_at_;
    bool retry = failing_ && now >= retry_at_;
    bool repoll = !o_.ip_from.empty() && poll_at_ && now >= poll_at_;
    if (!(due || renew || retry || repoll)) return std::nullopt;
    settle_at_ = 0;
    if (repoll) poll_at_ = now + int64_t{o_.interval} * 1000;
    auto desired = current_addresses(o_);
    if (!desired) {
      log_->warn("cannot read this host's addresses: {}", desired.message());
      fail_at(now, false);
    } else if (!published_ || !(*published_ == *desired) || renew || failing_) {
      if (auto status = publish(*desired)) return status;
    }
    if (!o_.ip_from.empty() && !poll_at_) poll_at_ = now_ms() + int64_t{o_.interval} * 1000;
    if (o_.once) return failing_ ? 1 : 0;  // nothing to do counts as success
    return std::nullopt;
  }

  // How long poll() may sleep (ms; -1: until an event).
  int wait_ms() const {
    int64_t wake = INT64_MAX;
    for (int64_t t : {settle_at_, published_ ? renew_at_ : 0, failing_ ? retry_at_ : 0, poll_at_})
      if (t) wake = std::min(wake, t);
    if (wake == INT64_MAX) return -1;
    return static_cast<int>(std::clamp<int64_t>(wake - now_ms(), 0, 60000));
  }

  // A move is a burst of netlink events: publish once it has ended.
  void settle_later() { settle_at_ = now_ms() + kSettleMs; }
  void settle_now() { settle_at_ = now_ms(); }

  // Clean shutdown: delete the records (RFC 2136), or leave them to the lease.
  void goodbye() {
    if (!o_.goodbye || !published_) return;
    if (publisher_.use_http) {
      log_->info("{}: stopping; DynDNS2 cannot delete, the lease will remove {}",
                 name_.to_text(), published_->to_text());
      return;
    }
    auto out = publisher_.publish(o_, ddns::Selection{}, true);
    if (out.ok)
      log_->info("{}: {} -> (none) (goodbye: {})", name_.to_text(), published_->to_text(),
                 out.message);
    else
      log_->warn("{}: goodbye failed ({}); the lease will remove {}", name_.to_text(),
                 out.message, published_->to_text());
  }

 private:
  static constexpr int64_t kSettleMs = 100;

  std::optional<int> publish(const ddns::Selection& desired) {
    auto out = publisher_.publish(o_, desired, false);
    int64_t now = now_ms();
    if (!out.ok) {
      if (o_.once) {
        log_->error("{}: publishing {} failed: {}", name_.to_text(), desired.to_text(),
                    out.message);
        return 1;
      }
      log_->warn("{}: publishing {} failed: {}; retry in {} ms", name_.to_text(),
                 desired.to_text(), out.message, backoff_ms_);
      fail_at(now, true);
      return std::nullopt;
    }
    uint32_t lease = out.lease.value_or(o_.lease);
    if (!published_ || !(*published_ == desired))
      log_->info("{}: {} -> {} ({}{})", name_.to_text(),
                 published_ ? published_->to_text() : std::string("(unknown)"), desired.to_text(),
                 out.message, out.lease ? fmt::format(", lease {} s", *out.lease) : std::string());
    else
      log_->debug("{}: renewed {} ({}, lease {} s)", name_.to_text(), desired.to_text(),
                  out.message, lease);
    published_ = desired;
    failing_ = false;
    backoff_ms_ = 1000;
    // RFC 9664: renew before the lease runs out; at 75% of it.
    renew_at_ = lease ? now + int64_t{lease} * 750 : 0;
    if (o_.once) return 0;
    return std::nullopt;
  }

  // Retry with exponential backoff; a failed publish adds jitter (up to a
  // quarter), so many hosts back from one outage do not retry in step.
  void fail_at(int64_t now, bool jitter) {
    failing_ = true;
    uint32_t r = 0;
    if (jitter) (void)getrandom(&r, sizeof r, 0);
    retry_at_ = now + backoff_ms_ + static_cast<int64_t>(r % (backoff_ms_ / 4 + 1));
    backoff_ms_ = std::min<int64_t>(backoff_ms_ * 2, int64_t{o_.retry_max} * 1000);
  }

  const Options& o_;
  dns::Name name_;
  Publisher publisher_;
  std::shared_ptr<spdlog::logger> log_;
  std::optional<ddns::Selection> published_;
  bool failing_ = false;
  int64_t retry_at_ = 0, renew_at_ = 0, poll_at_ = 0, settle_at_ = now_ms();
  int64_t backoff_ms_ = 1000;
};


// Drain the signalfd: SIGHUP re-reads and re-publishes now. True to stop.
bool read_signals(int sig_fd, Keeper& keeper) {
  signalfd_siginfo si{};
  bool stop = false;
  while (read(sig_fd, &si, sizeof si) == sizeof si) {
    if (si.ssi_signo == SIGHUP)
      keeper.settle_now();
    else
      stop = true;
  }
  return stop;
}

int run(const Options& o, Keeper& keeper, ddns::AddressWatcher& watcher, int sig_fd) {
  auto log = spdlog::get("namae-ddns");
  while (true) {
    if (auto status = keeper.act()) return *status;
    pollfd fds[2] = {{sig_fd, POLLIN, 0}, {watcher.fd(), POLLIN, 0}};
    int n = poll(fds, 2, keeper.wait_ms());
    if (n < 0 && errno != EINTR) {
      log->error("poll: {}", std::strerror(errno));
      return 1;
    }
    if (n > 0 && (fds[1].revents & POLLIN) && watcher.drain()) {
      log->debug("address or link change");
      keeper.settle_later();
    }
    if (n > 0 && (fds[0].revents & POLLIN) && read_signals(sig_fd, keeper)) {
      keeper.goodbye();
      log->info("stopped");
      return 0;
    }
  }
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
  if (!name || name->label_count() < 2) return usage_error("ddns", "bad NAME '" + o.name_text + "'");
  auto publisher = make_publisher(o, *name);
  if (!publisher) return usage_error("ddns", publisher.message());
  const std::string where = publisher->where;
  Keeper keeper(o, *name, std::move(*publisher));

  int sig_fd = signal_fd({SIGTERM, SIGINT, SIGHUP});  // polled with netlink
  ddns::AddressWatcher watcher;
  if (!o.once) {
    if (auto r = watcher.open(); !r) {
      logger->error("cannot watch addresses: {}", r.message());
      return 1;
    }
  }
  logger->info("{}: keeping {} up to date via {} ({}{}{})", o.once ? "once" : "started",
               name->to_text(), where, o.filter.ipv4 ? "IPv4" : "",
               o.filter.ipv4 && o.filter.ipv6 ? "+" : "", o.filter.ipv6 ? "IPv6" : "");
  return run(o, keeper, watcher, sig_fd);
}

}  // namespace namae::cli
