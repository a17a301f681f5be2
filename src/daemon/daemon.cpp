#include "daemon/daemon.h"

#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "auth/engine.h"
#include "daemon/config.h"
#include "daemon/config_diff.h"
#include "daemon/control.h"
#include "daemon/dynamic.h"
#include "daemon/http_api.h"
#include "daemon/logging.h"
#include "daemon/mdns.h"
#include "daemon/proxy_role.h"
#include "daemon/privileges.h"
#include "daemon/push_role.h"
#include "daemon/replication.h"
#include "daemon/resolver_role.h"
#include "daemon/secondary.h"
#include "daemon/service_notify.h"
#include "daemon/signing.h"
#include "daemon/transfer_out.h"
#include "daemon/zones.h"
#include "http/metrics_server.h"
#include "net/acl.h"
#include "net/signed_exchange.h"
#include "net/tcp_server.h"
#include "net/udp_server.h"

namespace namae::daemon {
namespace {

constexpr const char* kUsage =
    "usage: namaed (--config FILE | --default-config) [--foreground] [--check | --print-config]\n"
    "\n"
    "  --config FILE     TOML configuration (see docs/config.md)\n"
    "  --default-config  use the built-in configuration (examples/namae.toml;\n"
    "                    relative paths resolve against the current directory)\n"
    "  --foreground      stay attached to the terminal and log to stderr\n"
    "                    (otherwise: detach and log to syslog)\n"
    "  --check           check the configuration and load every zone, then exit\n"
    "                    (status 0 if everything loads)\n"
    "  --print-config    print the configuration in effect, every key with its\n"
    "                    value or default, as TOML namaed reads again; then exit\n"
    "  --version         print the version\n";

struct Args {
  std::string config;
  bool default_config = false;
  bool foreground = false;
  bool check = false;
  bool print_config = false;
};

std::optional<Args> parse_args(int argc, char** argv, int& status) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string_view s = argv[i];
    if ((s == "--config" || s == "-c") && i + 1 < argc) {
      a.config = argv[++i];
    } else if (s.rfind("--config=", 0) == 0) {
      a.config = std::string(s.substr(9));
    } else if (s == "--default-config") {
      a.default_config = true;
    } else if (s == "--foreground" || s == "-f") {
      a.foreground = true;
    } else if (s == "--check") {
      a.check = true;
    } else if (s == "--print-config") {
      a.print_config = true;
    } else if (s == "--help" || s == "-h") {
      std::fputs(kUsage, stdout);
      status = 0;
      return std::nullopt;
    } else if (s == "--version") {
      std::puts("namaed 0.1.0");
      status = 0;
      return std::nullopt;
    } else {
      std::fprintf(stderr, "namaed: unknown or incomplete option '%s'\n%s", argv[i], kUsage);
      status = 2;
      return std::nullopt;
    }
  }
  if (a.config.empty() == !a.default_config) {
    std::fprintf(stderr, "namaed: give exactly one of --config FILE or --default-config\n%s", kUsage);
    status = 2;
    return std::nullopt;
  }
  return a;
}

Result<Config> load(const Args& args) {
  return args.default_config ? parse_config(default_config_text(), "<default-config>", ".")
                             : load_config(args.config);
}

// --check: load every zone once, print diagnostics, no sockets.
int check_only(const Config& cfg) {
  setup_logging(true, "warn");
  net::MetricsRegistry metrics;
  zone::ZoneSetHolder holder;
  ZoneManager zones(holder, metrics);
  std::vector<ZoneConfig> to_load = cfg.zones;
  auto catalogs = check_generated_catalogs(cfg, to_load);
  if (!catalogs) {
    std::fprintf(stderr, "%s\n", catalogs.message().c_str());
    return 1;
  }
  std::fputs(catalogs->c_str(), stdout);
  if (auto r = zones.configure(to_load); !r) {
    std::fprintf(stderr, "%s\n", r.message().c_str());
    return 1;
  }
  auto report = zones.reload(true);
  std::fputs(zones.status().c_str(), stdout);
  auto journals = check_journals(cfg, zones);
  if (!journals) {
    std::fprintf(stderr, "%s\n", journals.message().c_str());
    return 1;
  }
  std::fputs(journals->c_str(), stdout);
  if (auto transfers = transfer_options(cfg); !transfers) {
    std::fprintf(stderr, "%s\n", transfers.message().c_str());
    return 1;
  }
  std::printf("%s: configuration ok; zones: %s\n", cfg.source.c_str(), report.summary().c_str());
  return report.failed ? 1 : 0;
}

// RFC 9018 server cookies: a configured secret is shared by every server
// behind an address; without one, a random master secret gives each day its
// own (cookies live an hour, so the previous day's is accepted beside it).
std::optional<dns::CookieSecretSchedule> cookie_schedule(const ServerConfig& sv) {
  if (!sv.cookies) return std::nullopt;
  if (auto shared = dns::CookieSecretSchedule::parse_secret(sv.cookie_secret); shared)
    return dns::CookieSecretSchedule::shared(*shared);  // an empty or bad secret: refused by the config check
  std::array<uint8_t, 32> master{};
  net::random_bytes(master);
  return dns::CookieSecretSchedule::rotating(master, 86400);
}

// [server] rrl: one limiter shared by every UDP worker (nullptr: off).
std::shared_ptr<auth::RateLimiter> rate_limiter(const RrlConfig& c) {
  if (!c.enabled) return nullptr;
  auth::RrlOptions o;
  o.responses_per_second = c.responses_per_second;
  o.slip = c.slip;
  o.window = c.window;
  o.ipv4_prefix = c.ipv4_prefix;
  o.ipv6_prefix = c.ipv6_prefix;
  o.table_size = c.table_size;
  if (auto acl = net::parse_acl(c.exempt)) o.exempt = std::move(*acl);  // validated by the config
  return std::make_shared<auth::RateLimiter>(std::move(o));
}

// The number each [server] listen address tags its queries with
// (net::Peer::listener), by the address as written; never reused for another.
using ListenerIds = std::map<std::string, uint32_t>;

// allow-query of [server] (unset when it admits everyone, so the engine
// skips the check) and of each [[zone]] that has its own; already checked
// by the config parser, so an error here is one it let through.
using QueryAcls = std::pair<std::optional<net::AddressAcl>, std::vector<std::pair<dns::Name, net::AddressAcl>>>;
Result<QueryAcls> query_acls(const Config& cfg) {
  QueryAcls out;
  const auto& sv = cfg.server.allow_query;
  if (sv != ServerConfig{}.allow_query) {
    auto acl = net::parse_acl(sv, net::AclKeys::yes);
    if (!acl) return fail("[server] allow-query: " + acl.message());
    out.first = std::move(*acl);
  }
  for (const auto& z : cfg.zones) {
    if (!z.has_allow_query) continue;
    auto acl = net::parse_acl(z.allow_query, net::AclKeys::yes);
    auto name = zone_origin(z);
    if (!name) return name.error();
    if (!acl) return fail("zone '" + z.name + "': allow-query: " + acl.message());
    out.second.emplace_back(*name, std::move(*acl));
  }
  return out;
}

// The allow-query of each [server] listen table that has one, at the
// listener number its sockets tag queries with (`ids`, by address).
using ListenerAcls = std::vector<std::optional<net::AddressAcl>>;
Result<ListenerAcls> listener_acls(const ServerConfig& sv, const ListenerIds& ids) {
  ListenerAcls out;
  for (const auto& l : sv.listeners) {
    if (!l.has_allow_query) continue;
    auto acl = net::parse_acl(l.allow_query, net::AclKeys::yes);
    if (!acl) return fail("[server] listen " + l.address + ": allow-query: " + acl.message());
    const uint32_t id = ids.at(l.address);
    if (out.size() <= id) out.resize(id + 1);
    out[id] = std::move(*acl);
  }
  return out;
}

// Everything the query engines read from the config. `running` (the
// options in effect, on a reconfiguration) lends what must not change when
// its settings did not: the RRL table with its accounts, and the cookie
// secret (a rotating one is random: a new one would fail every client's
// cookie).
Result<std::shared_ptr<const auth::AuthOptions>> auth_options(const Config& cfg, const ListenerIds& ids,
                                                              const auth::AuthOptions* running, bool new_rrl,
                                                              bool new_cookies) {
  auto o = std::make_shared<auth::AuthOptions>();
  o->minimal_responses = cfg.server.minimal_responses;
  o->max_udp_payload = cfg.server.edns_udp_size;
  auto keys = tsig_keys(cfg);
  if (!keys) return keys.error();
  o->tsig_keys = std::move(*keys);
  o->cookies = running && !new_cookies ? running->cookies : cookie_schedule(cfg.server);
  o->rrl = running && !new_rrl ? running->rrl : rate_limiter(cfg.server.rrl);
  o->log = spdlog_sink();
  auto acls = query_acls(cfg);
  if (!acls) return acls.error();
  o->allow_query = std::move(acls->first);
  o->zone_allow_query = std::move(acls->second);
  auto listeners = listener_acls(cfg.server, ids);
  if (!listeners) return listeners.error();
  o->listener_allow_query = std::move(*listeners);
  return std::shared_ptr<const auth::AuthOptions>(std::move(o));
}

void log_rrl(const RrlConfig& rrl) {
  if (rrl.enabled)
    spdlog::info("response rate limiting: {} per second per prefix, slip {}, window {} s", rrl.responses_per_second,
                 rrl.slip, rrl.window);
}

std::vector<net::Endpoint> endpoints(const std::vector<std::string>& texts) {
  std::vector<net::Endpoint> out;
  for (const auto& t : texts) out.push_back(*net::parse_endpoint(t));  // validated by the config
  return out;
}

net::UdpOptions udp_options(const ServerConfig& sv, std::vector<net::Endpoint> listen, uint32_t first_listener) {
  net::UdpOptions o;
  o.listen = std::move(listen);
  o.first_listener = first_listener;
  o.workers = sv.workers;
  o.batch = sv.udp_batch;
  o.receive_buffer = static_cast<int>(sv.udp_receive_buffer);
  return o;
}

net::TcpOptions tcp_options(const ServerConfig& sv, std::vector<net::Endpoint> listen, uint32_t first_listener) {
  net::TcpOptions o;
  o.listen = std::move(listen);
  o.first_listener = first_listener;
  o.workers = sv.tcp_workers;
  o.idle_timeout = std::chrono::milliseconds(sv.tcp_idle_timeout_ms);
  o.max_connections = sv.tcp_max_connections;
  o.write_watermark = sv.tcp_write_buffer;
  return o;
}

// The running server: every role the config asks for, started in order
// (zones and their journals before any listener opens), stopped in reverse.
// A new config checked whole by a reconfiguration, with everything that
// could fail already done (files read, keys and ACLs parsed): applying it
// cannot fail half way.
struct Reconfiguration {
  Config next;
  ConfigDiff diff;
  std::shared_ptr<const auth::AuthOptions> auth;
  std::vector<dns::TsigKey> keys;
  std::vector<std::pair<dns::Name, std::vector<xfr::Remote>>> notify;
  std::optional<net::AddressAcl> resolver_allow;
  std::map<std::string, LoadedZone> files;  // by zone_key: static zones read ahead
  std::map<std::string, update::ZoneUpdateConfig> updates;  // by zone_key: zones with a journal
  std::map<std::string, std::shared_ptr<const signing::ZoneSigner>> signers;  // by zone_key: new validity
  std::optional<http::ApiOptions> api;  // [http] users and limits, when they changed
  std::vector<std::string> listen_lines;  // start-up listen addresses left out, which stay
};

class Daemon {
 public:
  Daemon(const Config& cfg, Args args)
      : cfg_(cfg), args_(std::move(args)), privileges_(cfg.server, cfg.source), zones_(holder_, metrics_),
        http_server_(metrics_) {}
  ~Daemon() {
    if (sig_fd_ >= 0) close(sig_fd_);
    if (stop_fd_ >= 0) close(stop_fd_);
  }

  Result<void> start();
  void run();
  void stop();

 private:
  void take_signals();
  Result<void> start_zones();
  Result<void> start_signers();
  Result<void> start_listeners();
  Result<void> start_resolver();
  Result<void> start_control();
  Result<void> start_http();
  void stop_roles();
  ReloadReport reload(const char* why);
  // Live reconfiguration: the reply ("ok ..." or "error: ..."), also logged.
  std::string reconfigure(const char* why);
  Result<Reconfiguration> prepare(Config next);
  Result<void> read_zones(Reconfiguration& rc);
  Result<std::shared_ptr<const signing::ZoneSigner>> signer_after(Reconfiguration& rc, const ZoneConfig& z,
                                                                  const ZoneChange* change);
  void apply(Reconfiguration& rc, std::vector<std::string>& lines);
  void remove_zone(const ZoneConfig& z);
  void add_zone(Reconfiguration& rc, const ZoneConfig& z, std::vector<std::string>& lines);
  std::string control_command(std::string_view cmd);
  std::string status();
  bool handle_signals();

  Config cfg_;  // the config in effect (replaced by each reconfiguration)
  const Args args_;  // where to read it again
  Privileges privileges_;  // [server] user: prepared first thing, dropped before READY=1
  int sig_fd_ = -1;
  int stop_fd_ = -1;
  net::MetricsRegistry metrics_;
  zone::ZoneSetHolder holder_;
  ZoneManager zones_;
  std::mutex reload_mu_;  // SIGHUP, `ctl reload` and `ctl reconfigure` may race; they run one at a time
  std::shared_ptr<auth::AuthSettings> auth_settings_;  // every worker's AuthEngine reads these
  std::unique_ptr<update::UpdateService> updates_;
  KeyRings key_rings_;  // the signed zones' keys and rollovers
  std::unique_ptr<SecondaryRole> secondaries_;
  std::unique_ptr<xfr::NotifyService> notify_;  // nullptr: no zone has `notify`
  std::unique_ptr<xfr::TransferService> transfers_;  // AXFR/IXFR out; outlives the listeners
  // The [server] listen addresses bound at start (udp_, tcp_), and one pair
  // per address a reconfiguration added (each may go again the same way).
  struct Listener {
    std::string text;  // as the config names it
    std::unique_ptr<net::UdpServer> udp;
    std::unique_ptr<net::TcpServer> tcp;
  };
  Result<Listener> open_listener(const std::string& text);
  bool added_listener(const std::string& text) const;
  void keep_startup_listeners(Config& next, std::vector<std::string>& lines) const;
  void close_removed_listeners(const Reconfiguration& rc, std::vector<std::string>& lines);
  void open_added_listeners(Reconfiguration& rc, std::vector<std::string>& lines);
  // The number of listen address `text`, given now if it has none yet.
  uint32_t listener_id(const std::string& text);
  ListenerIds listener_ids_;
  uint32_t next_listener_id_ = 1;  // 0 is no listener's
  net::HandlerFactory factory_;  // every listener's engines
  std::unique_ptr<net::UdpServer> udp_;
  std::unique_ptr<net::TcpServer> tcp_;
  std::vector<Listener> added_listeners_;
  std::unique_ptr<ResolverRole> resolver_;
  std::unique_ptr<PushRole> push_;  // nullptr: no push-listen
  std::unique_ptr<mdns::Stack> mdns_;
  std::unique_ptr<ProxyRole> proxies_;  // nullptr: no [[proxy]]
  std::unique_ptr<ControlServer> control_;
  std::unique_ptr<http::UpdateApi> update_api_;  // DynDNS2 + REST; outlives the listener
  http::MetricsServer http_server_;
};

// Signals are taken synchronously by the main thread through a signalfd; every
// thread started after this inherits the blocked mask, so none is interrupted.
void Daemon::take_signals() {
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGHUP);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  signal(SIGPIPE, SIG_IGN);
  sig_fd_ = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
}

// Zones are loaded, and those with a journal replayed and handed to the
// update service, before any listener opens.
Result<void> Daemon::start_zones() {
  if (auto r = write_generated_catalogs(cfg_); !r) return r;
  if (auto r = zones_.configure(cfg_.zones); !r) return r;
  if (auto r = start_signers(); !r) return r;
  auto notify = make_notify(cfg_, zones_);  // before the first load: it notifies it, once started
  if (!notify) return notify.error();
  notify_ = std::move(*notify);
  auto push = PushRole::create(cfg_.server, holder_, zones_);  // before the first load, like NOTIFY
  if (!push) return push.error();
  push_ = std::move(*push);
  auto report = zones_.reload(true);
  spdlog::info("zones: {}", report.summary());
  auto made = make_update_service(cfg_, zones_);
  if (!made) return made.error();
  updates_ = std::move(*made);
  auto secondaries = SecondaryRole::create(cfg_, zones_, updates_.get());
  if (!secondaries) return secondaries.error();
  secondaries_ = std::move(*secondaries);
  metrics_.add_renderer([s = secondaries_.get()] { return s->metrics(); });
  auto transfers = make_transfer_service(cfg_, *updates_, *secondaries_, metrics_);
  if (!transfers) return transfers.error();
  transfers_ = std::move(*transfers);
  return {};
}

// Keys are read (or made, the first time) before any zone loads: a key
// file that cannot be used stops the start, naming the file.
Result<void> Daemon::start_signers() { return key_rings_.open(cfg_.zones, zones_, ::time(nullptr)); }

Result<void> Daemon::start_listeners() {
  for (const auto& text : cfg_.server.listen) listener_id(text);  // 1, 2, ...: the start-up servers' tags
  auto auth_opts = auth_options(cfg_, listener_ids_, nullptr, true, true);
  if (!auth_opts) return auth_opts.error();
  auth_settings_ = std::make_shared<auth::AuthSettings>(std::move(*auth_opts));
  log_rrl(cfg_.server.rrl);
  // [[proxy]]: the engines hand their domains' questions to the proxies.
  RateLimiterSource rrl = [s = auth_settings_] { return s->get()->rrl; };
  auto proxies = push_ ? ProxyRole::start(cfg_, &push_->service(), push_->port(), rrl)
                       : ProxyRole::start(cfg_, nullptr, 0, rrl);
  if (!proxies) return proxies.error();
  proxies_ = std::move(*proxies);
  factory_ = [this, update_handler = secondaries_->update_handler(), notify_handler = secondaries_->notify_handler(),
              transfer_handler = transfers_.get(),
              names = proxies_ ? proxies_->names() : nullptr](net::WorkerMetrics* m) {
    auto engine = std::make_unique<auth::AuthEngine>(holder_, auth_settings_, m);
    engine->set_opcode_handler(dns::opcode::UPDATE, update_handler);
    engine->set_opcode_handler(dns::opcode::NOTIFY, notify_handler);
    engine->set_transfer_handler(transfer_handler);
    engine->set_name_handler(names);
    return engine;
  };
  const auto at = endpoints(cfg_.server.listen);
  udp_ = std::make_unique<net::UdpServer>(udp_options(cfg_.server, at, 1), factory_, metrics_);
  tcp_ = std::make_unique<net::TcpServer>(tcp_options(cfg_.server, at, 1), factory_, metrics_);
  if (auto r = udp_->start(); !r) return r;
  if (auto r = tcp_->start(); !r) return r;
  for (const auto& ep : udp_->bound())
    spdlog::info("listening on {} (udp: {} workers, tcp)", ep.to_string(), udp_->workers());
  if (push_) {
    if (auto r = push_->start(cfg_.server, factory_, metrics_); !r) return r;
    for (const auto& ep : push_->bound()) spdlog::info("dns push (dso over tls) on {}", ep.to_string());
  }
  return {};
}

// A [server] listen address added by a reconfiguration, bound now: as long
// as the process may (an unprivileged port; a port below 1024 only while
// namaed still runs as root or keeps CAP_NET_BIND_SERVICE).
Result<Daemon::Listener> Daemon::open_listener(const std::string& text) {
  Listener l{text, nullptr, nullptr};
  const std::vector<net::Endpoint> at = endpoints({text});
  const uint32_t id = listener_id(text);
  l.udp = std::make_unique<net::UdpServer>(udp_options(cfg_.server, at, id), factory_, metrics_);
  l.tcp = std::make_unique<net::TcpServer>(tcp_options(cfg_.server, at, id), factory_, metrics_);
  if (auto r = l.udp->start(); !r) return r.error();
  if (auto r = l.tcp->start(); !r) {
    l.udp->stop();
    return r.error();
  }
  return l;
}

// The recursive resolver: its own listeners, never the authoritative ones.
Result<void> Daemon::start_resolver() {
  if (!cfg_.resolver.enabled) return {};
  auto made = ResolverRole::create(cfg_.resolver, cfg_.server, metrics_, holder_, *auth_settings_->get());
  if (!made) return made.error();
  if (auto r = (*made)->start(); !r) return r;
  resolver_ = std::move(*made);
  for (const auto& ep : resolver_->bound()) spdlog::info("resolver listening on {} (udp, tcp)", ep.to_string());
  return {};
}

Result<void> Daemon::start_control() {
  control_ = std::make_unique<ControlServer>(cfg_.server.control,
                                             [this](std::string_view cmd) { return control_command(cmd); });
  if (auto r = control_->start(); !r) return r;
  spdlog::info("control socket {}", control_->path());
  return {};
}

Result<void> Daemon::start_http() {
  if (!cfg_.http.enabled) return {};
  auto api = install_update_api(cfg_, *updates_, holder_, http_server_);
  if (!api) return api.error();
  update_api_ = std::move(*api);
  if (auto r = http_server_.start(cfg_.http.listen, cfg_.http.tls_cert, cfg_.http.tls_key); !r) return r;
  spdlog::info("http{} on {}: /metrics, /nic/update, /api ({} users)", http_server_.tls() ? "s" : "",
               cfg_.http.listen, cfg_.http.users.size());
  return {};
}

Result<void> Daemon::start() {
  if (auto r = privileges_.prepare(); !r) return r;  // before any thread, file or socket
  take_signals();
  if (auto r = start_zones(); !r) return r;
  Result<void> started = start_listeners();
  // NOTIFY only once we listen: a downstream asks for the SOA or IXFR at once.
  if (started && notify_) started = notify_->start();
  if (started) started = start_resolver();
  if (started) started = start_control();
  if (started) started = start_http();
  // [mdns]: multicast DNS responder (its own sockets on 5353, its own thread).
  if (started && cfg_.mdns.enabled) {
    auto made = start_mdns(cfg_);
    if (made) mdns_ = std::move(*made);
    else started = made.error();
  }
  if (!started) {
    stop_roles();
    return started;
  }
  if (!cfg_.server.pid_file.empty()) std::ofstream(cfg_.server.pid_file) << getpid() << "\n";
  updates_->start();  // lease expiry and periodic zone file writes
  secondaries_->start();  // refresh timers, NOTIFY-triggered checks
  if (auto r = privileges_.drop(); !r) {  // every listener is bound: no capability is needed any more
    stop();
    return r;
  }
  if (privileges_.switching()) spdlog::info("running as user {}", cfg_.server.user);
  else if (geteuid() == 0) spdlog::warn("running as root: set [server] user to drop privileges");
  notify_service_manager(fmt::format("READY=1\nSTATUS=serving {} zones\nMAINPID={}", zones_.loaded_zones(), getpid()));
  spdlog::info("ready");
  return {};
}

ReloadReport Daemon::reload(const char* why) {
  std::lock_guard lock(reload_mu_);
  metrics_.reloads.fetch_add(1);
  auto report = zones_.reload(false);
  spdlog::info("reload ({}): {}", why, report.summary());
  return report;
}

// Parse and check the whole new config before anything changes: a config
// with an error is refused whole and the running one stays.
Result<Reconfiguration> Daemon::prepare(Config next) {
  Reconfiguration rc;
  auto restart = keep_restart_keys(cfg_, next);
  keep_startup_listeners(next, rc.listen_lines);
  rc.diff = diff_config(cfg_, next, std::move(restart));
  rc.next = std::move(next);
  const Config& cfg = rc.next;
  auto keys = tsig_keys(cfg);
  if (!keys) return keys.error();
  rc.keys = std::move(*keys);
  for (const auto& text : cfg.server.listen) listener_id(text);
  auto auth = auth_options(cfg, listener_ids_, &*auth_settings_->get(), rc.diff.rrl, rc.diff.cookies);
  if (!auth) return auth.error();
  rc.auth = std::move(*auth);
  if (auto t = transfer_options(cfg); !t) return t.error();
  auto notify = notify_targets(cfg);
  if (!notify) return notify.error();
  rc.notify = std::move(*notify);
  if (resolver_) {
    auto acl = net::parse_acl(cfg.resolver.allow);
    if (!acl) return fail("[resolver] allow: " + acl.message());
    rc.resolver_allow = std::move(*acl);
  }
  if (update_api_ && !rc.diff.http.empty()) {
    auto api = api_options(cfg.http);
    if (!api) return api.error();
    rc.api = std::move(*api);
  }
  if (auto r = read_zones(rc); !r) return r.error();
  return rc;
}

// Every zone file the new config serves anew is read now (a missing or
// broken one refuses the config); the update settings of every zone with a
// journal are checked. Files of unchanged zones are the reload's that
// follows: as with `ctl reload`, one that fails keeps its old version.
Result<void> Daemon::read_zones(Reconfiguration& rc) {
  std::map<std::string, const ZoneChange*> changes;
  for (const auto& c : rc.diff.zones) changes[zone_key(c.name)] = &c;
  for (const auto& z : rc.next.zones) {
    const std::string key = zone_key(z.name);
    auto signer = signer_after(rc, z, changes.count(key) ? changes[key] : nullptr);
    if (!signer) return signer.error();
    if (!z.journal.empty()) {
      auto u = zone_update_config(z);
      if (!u) return u.error();
      u->signer = *signer;
      rc.updates[key] = std::move(*u);
    }
    if (!z.primaries.empty() || z.catalog_role == "generate") continue;  // their files are not ours to read
    auto c = changes.find(key);
    if (c == changes.end() || c->second->kind == ZoneChange::Kind::settings) continue;
    auto loaded = zones_.read(z, *signer);
    if (!loaded) return loaded.error();
    rc.files[key] = std::move(*loaded);
  }
  return {};
}

// The signer `z` has once `change` (null: none) is applied: the running one;
// for a zone that starts signing (added, or served anew) one with its keys,
// read or made as at a start; for new signature timing one with the same
// keys (the last two also in rc.signers).
Result<std::shared_ptr<const signing::ZoneSigner>> Daemon::signer_after(Reconfiguration& rc, const ZoneConfig& z,
                                                                        const ZoneChange* change) {
  auto origin = zone_origin(z);
  auto signer = origin ? zones_.signer(*origin) : nullptr;
  const std::string key = zone_key(z.name);
  if (!change) return signer;
  if (change->kind == ZoneChange::Kind::settings) {
    if (auto s = signer ? with_new_policy(*signer, z) : nullptr) signer = rc.signers[key] = std::move(s);
    return signer;
  }
  if (!z.signs() || (signer && change->kind != ZoneChange::Kind::added)) return signer;
  auto made = key_rings_.open_zone(z, ::time(nullptr));
  if (!made) return made.error();
  return rc.signers[key] = std::move(*made);
}

// Out of the served set, its writer or secondary stopped first.
void Daemon::remove_zone(const ZoneConfig& z) {
  auto origin = dns::Name::from_text(zone_key(z.name));
  if (!origin) return;
  if (!z.primaries.empty()) {
    secondaries_->remove_zone(*origin);
    return;
  }
  updates_->remove_zone(*origin);
  notify_->set_targets(*origin, {});
  zones_.remove_zone(*origin);
}

void Daemon::add_zone(Reconfiguration& rc, const ZoneConfig& z, std::vector<std::string>& lines) {
  const std::string key = zone_key(z.name);
  if (!z.primaries.empty()) {
    if (auto r = secondaries_->add_zone(z, rc.keys); !r) lines.push_back("zone " + z.name + ": " + r.message());
    return;
  }
  auto file = rc.files.find(key);
  if (file == rc.files.end()) return;  // a generated catalog: loaded by the reload that follows
  auto version = file->second.version;
  zones_.install(std::move(file->second));
  rc.files.erase(file);
  auto u = rc.updates.find(key);
  if (u == rc.updates.end()) return;
  std::error_code ec;
  auto parent = std::filesystem::path(z.journal).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  if (auto v = updates_->add_zone(u->second, version); !v)
    lines.push_back(fmt::format("zone {}: journal {}: {} (served from its file, not dynamic)", z.name, z.journal,
                                v.message()));
  else
    zones_.set_dynamic(u->second.origin);
}

// Each part in turn; none of them can fail any more (prepare() did all that could).
void Daemon::apply(Reconfiguration& rc, std::vector<std::string>& lines) {
  if (rc.diff.keys) {
    updates_->set_keys(rc.keys);
    for (auto& e : secondaries_->set_keys(rc.keys)) lines.push_back(std::move(e));
  }
  if (rc.diff.catalogs)
    if (auto r = write_generated_catalogs(rc.next); !r) lines.push_back(r.message());
  for (const auto& c : rc.diff.zones) {
    if (c.kind == ZoneChange::Kind::removed || c.kind == ZoneChange::Kind::replaced) {
      auto was = std::find_if(cfg_.zones.begin(), cfg_.zones.end(),
                              [&](const ZoneConfig& z) { return zone_key(z.name) == zone_key(c.name); });
      if (was != cfg_.zones.end()) remove_zone(*was);
      if (auto origin = dns::Name::from_text(zone_key(c.name)); origin && c.kind == ZoneChange::Kind::removed)
        key_rings_.forget(*origin);
    }
    if (c.kind == ZoneChange::Kind::added || c.kind == ZoneChange::Kind::replaced) add_zone(rc, c.config, lines);
    if (c.kind == ZoneChange::Kind::settings) {
      zones_.set_config(c.config);
      auto s = rc.signers.find(zone_key(c.name));
      if (s != rc.signers.end()) zones_.set_signer(s->second->origin(), s->second);
      if (auto u = rc.updates.find(zone_key(c.name)); u != rc.updates.end()) updates_->set_zone_config(u->second);
      // The ring's signer last: it holds the going-insecure times too.
      if (c.config.signs())
        if (auto r = key_rings_.set_policy(c.config, ::time(nullptr), zones_, updates_.get()); !r)
          lines.push_back("zone " + c.name + ": DNSSEC policy: " + r.message());
    }
  }
  for (auto& [origin, targets] : rc.notify) notify_->set_targets(origin, std::move(targets));
  // A listener leaves before its access list does, and one comes after its list.
  close_removed_listeners(rc, lines);
  auth_settings_->publish(rc.auth);
  if (auto t = transfer_options(rc.next, *updates_, *secondaries_, metrics_)) transfers_->set_options(std::move(*t));
  if (resolver_) resolver_->set_auth_options(*rc.auth);
  if (resolver_ && rc.diff.resolver_allow) resolver_->set_allowed(std::move(rc.resolver_allow));
  if (rc.api) {  // after the zones: a user's hostname may lie in a zone just added
    for (auto& w : hostnames_without_zone(*rc.api, *updates_)) lines.push_back(std::move(w));
    update_api_->set_options(std::move(*rc.api));
  }
  open_added_listeners(rc, lines);
  if (rc.diff.log_level) spdlog::set_level(spdlog::level::from_str(rc.next.server.log_level));
  if (push_ && rc.diff.push) push_->service().set_options(PushRole::options(rc.next.server));
  if (rc.diff.rrl) log_rrl(rc.next.server.rrl);
}

// [server] listen: an address added is bound now (one that cannot be, for
// want of privilege or because it is taken, is left out and reported); one
// removed that a reconfiguration added closes; one bound at start stays
// until a restart (its sockets are shared by the start-up workers). The
// config kept afterwards lists what is bound.
bool Daemon::added_listener(const std::string& text) const {
  return std::any_of(added_listeners_.begin(), added_listeners_.end(),
                     [&](const Listener& l) { return l.text == text; });
}

// A start-up address the new file leaves out goes back into it, with the
// access list it runs with: it keeps serving, never less guarded.
void Daemon::keep_startup_listeners(Config& next, std::vector<std::string>& lines) const {
  ServerConfig& sv = next.server;
  for (const auto& text : cfg_.server.listen) {
    if (added_listener(text) || std::find(sv.listen.begin(), sv.listen.end(), text) != sv.listen.end()) continue;
    lines.push_back("[server] listen " + text + ": bound at start, removing it needs a restart (it stays)");
    sv.listen.push_back(text);
    for (const auto& l : cfg_.server.listeners)
      if (l.address == text) sv.listeners.push_back(l);
  }
}

void Daemon::close_removed_listeners(const Reconfiguration& rc, std::vector<std::string>& lines) {
  for (const auto& line : rc.listen_lines) lines.push_back(line);
  for (const auto& text : rc.diff.listen_removed) {
    auto added = std::find_if(added_listeners_.begin(), added_listeners_.end(),
                              [&](const Listener& l) { return l.text == text; });
    if (added == added_listeners_.end()) continue;
    added->tcp->stop();  // its open connections close with it
    added->udp->stop();
    added_listeners_.erase(added);
    lines.push_back("server: listen " + text + " removed");
  }
}

void Daemon::open_added_listeners(Reconfiguration& rc, std::vector<std::string>& lines) {
  std::vector<std::string>& listen = rc.next.server.listen;
  for (const auto& text : rc.diff.listen_added) {
    auto opened = open_listener(text);
    if (!opened) {
      lines.push_back("[server] listen " + text + ": cannot bind now (" + opened.message() +
                      "): needs a restart (left out)");
      std::erase(listen, text);
      std::erase_if(rc.next.server.listeners, [&](const ListenerConfig& l) { return l.address == text; });
      continue;
    }
    added_listeners_.push_back(std::move(*opened));
    lines.push_back("server: listen " + text + " added");
  }
}

uint32_t Daemon::listener_id(const std::string& text) {
  auto [it, fresh] = listener_ids_.try_emplace(text, next_listener_id_);
  if (fresh) ++next_listener_id_;
  return it->second;
}

std::string Daemon::reconfigure(const char* why) {
  std::lock_guard lock(reload_mu_);
  metrics_.reloads.fetch_add(1);
  auto next = load(args_);
  Result<Reconfiguration> rc = next ? prepare(std::move(*next)) : Result<Reconfiguration>(next.error());
  if (!rc) {
    spdlog::error("reconfigure ({}): refused, the running configuration stays: {}", why, rc.message());
    return "error: configuration refused, the running one stays:\n" + rc.message() + "\n";
  }
  std::vector<std::string> lines = rc->diff.lines();
  apply(*rc, lines);
  cfg_ = std::move(rc->next);
  auto report = zones_.reload(false);  // generated catalogs, and files changed on disk
  if (report.loaded || report.failed) lines.push_back("zone files: " + report.summary());
  for (const auto& e : report.errors) lines.push_back(e);
  std::string out = fmt::format("ok reconfigured from {}: {} change(s)\n", cfg_.source, lines.size());
  spdlog::info("reconfigure ({}): {} change(s)", why, lines.size());
  for (const auto& l : lines) {
    spdlog::info("reconfigure: {}", l);
    out += l + "\n";
  }
  return out;
}

std::string Daemon::status() {
  std::string out = fmt::format("ok running pid {}\n", getpid());
  out += fmt::format("queries {} dropped {} tcp-connections {}\n", metrics_.total_queries(),
                     metrics_.total_dropped(), metrics_.tcp_connections.load());
  for (const auto& ep : udp_->bound()) out += "listen " + ep.to_string() + "\n";
  {
    std::lock_guard lock(reload_mu_);  // a reconfiguration may change the list
    for (const auto& l : added_listeners_)
      for (const auto& ep : l.udp->bound()) out += "listen " + ep.to_string() + "\n";
  }
  if (resolver_)
    for (const auto& ep : resolver_->bound()) out += "resolver " + ep.to_string() + "\n";
  std::lock_guard lock(reload_mu_);
  out += zones_.status();
  out += updates_->status();
  if (mdns_) out += mdns_->status();
  if (proxies_) out += proxies_->status();
  return out;
}

std::string Daemon::control_command(std::string_view cmd) {
  if (cmd == "reload") {
    auto report = reload("control");
    std::string out = report.failed ? "error: " + report.summary() + "\n" : "ok " + report.summary() + "\n";
    for (const auto& e : report.errors) out += e + "\n";
    return out;
  }
  if (cmd == "reconfigure") return reconfigure("control");
  if (cmd == "status") return status();
  if (cmd == "cache" || cmd.rfind("cache ", 0) == 0 || cmd == "nta" || cmd.rfind("nta ", 0) == 0) {
    if (!resolver_) return "error: no [resolver] configured\n";
    return resolver_->control(cmd);
  }
  if (cmd.rfind("zone notify", 0) == 0 && (cmd.size() == 11 || cmd[11] == ' '))
    return notify_command(notify_.get(), zones_, cmd.size() > 12 ? cmd.substr(12) : "");
  if (cmd.rfind("zone ", 0) == 0) {  // zone status|refresh|retransfer NAME
    std::string_view rest = cmd.substr(5);
    size_t sp = rest.find(' ');
    if (sp == std::string_view::npos) return "error: usage: zone status|refresh|retransfer NAME\n";
    return secondaries_->control(rest.substr(0, sp), rest.substr(sp + 1));
  }
  if (cmd.rfind("dnssec ", 0) == 0) {
    std::lock_guard lock(reload_mu_);
    return key_rings_.control(cmd.substr(7), zones_, updates_.get(), ::time(nullptr));
  }
  if (cmd == "stop") {
    uint64_t one = 1;
    if (write(stop_fd_, &one, sizeof one) < 0) { /* cannot fail */ }
    return "ok stopping\n";
  }
  return "error: unknown command '" + std::string(cmd) + "' (reload, reconfigure, status, zone, dnssec, cache, stop)\n";
}

// Reads every pending signal; false once a stop signal came.
bool Daemon::handle_signals() {
  bool running = true;
  signalfd_siginfo si{};
  while (read(sig_fd_, &si, sizeof si) == sizeof si) {
    if (si.ssi_signo == SIGHUP) {
      notify_service_manager("RELOADING=1");
      reconfigure("SIGHUP");
      notify_service_manager("READY=1");
    } else {
      spdlog::info("{} received, shutting down", strsignal(static_cast<int>(si.ssi_signo)));
      running = false;
    }
  }
  return running;
}

void Daemon::run() {
  pollfd fds[2] = {{sig_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
  for (bool running = true; running;) {
    int n = poll(fds, 2, 1000);
    if (n < 0 && errno != EINTR) break;
    if (fds[1].revents) {
      spdlog::info("stop requested through the control socket");
      break;
    }
    if (fds[0].revents) running = handle_signals();
    std::lock_guard lock(reload_mu_);
    zones_.reclaim();  // free snapshots the workers have let go of
    key_rings_.tick(::time(nullptr), zones_, updates_.get());
    zones_.refresh_signatures(::time(nullptr));
  }
}

// Every role that started, in reverse order of start.
void Daemon::stop_roles() {
  if (mdns_) mdns_->stop();  // goodbye packets for everything published
  http_server_.stop();
  if (control_) control_->stop();
  if (resolver_) resolver_->stop();
  for (auto& l : added_listeners_) {
    l.tcp->stop();
    l.udp->stop();
  }
  if (push_) push_->stop();
  if (tcp_) tcp_->stop();
  if (udp_) udp_->stop();
  if (proxies_) proxies_->stop();
  if (secondaries_) secondaries_->stop();
}

void Daemon::stop() {
  notify_service_manager("STOPPING=1");
  stop_roles();
  // No update can arrive any more: write dynamic zones back to their files.
  updates_->stop();
  if (notify_) notify_->stop();
  if (auto r = updates_->sync_files(true); !r) spdlog::error("writing dynamic zones: {}", r.message());
  if (!cfg_.server.pid_file.empty()) unlink(cfg_.server.pid_file.c_str());
  spdlog::info("stopped");
}

}  // namespace

int namaed_main(int argc, char** argv) {
  int status = 0;
  auto args = parse_args(argc, argv, status);
  if (!args) return status;
  auto cfg = load(*args);
  if (!cfg) {
    std::fprintf(stderr, "%s\n", cfg.message().c_str());
    return 1;
  }
  if (args->print_config) {
    std::fputs(print_config(*cfg).c_str(), stdout);
    return 0;
  }
  if (args->check) return check_only(*cfg);
  // Detach before any thread exists (fork keeps only the calling thread).
  if (!args->foreground && ::daemon(1, 0) != 0) {
    std::fprintf(stderr, "namaed: cannot detach: %s\n", std::strerror(errno));
    return 1;
  }
  setup_logging(args->foreground, cfg->server.log_level);
  Daemon d(*cfg, *args);
  if (auto r = d.start(); !r) {
    spdlog::critical("{}", r.message());
    return 1;
  }
  d.run();
  d.stop();
  return 0;
}

}  // namespace namae::daemon
