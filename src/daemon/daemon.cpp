#include "daemon/daemon.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <optional>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/sinks/syslog_sink.h>
#include <spdlog/spdlog.h>

#include "auth/engine.h"
#include "daemon/config.h"
#include "daemon/control.h"
#include "daemon/dynamic.h"
#include "daemon/http_api.h"
#include "daemon/mdns.h"
#include "daemon/resolver_role.h"
#include "daemon/zones.h"
#include "http/metrics_server.h"
#include "net/tcp_server.h"
#include "net/udp_server.h"

namespace namae::daemon {
namespace {

constexpr const char* kUsage =
    "usage: namaed (--config FILE | --default-config) [--foreground] [--check]\n"
    "\n"
    "  --config FILE     TOML configuration (see docs/config.md)\n"
    "  --default-config  use the built-in configuration (examples/namae.toml;\n"
    "                    relative paths resolve against the current directory)\n"
    "  --foreground      stay attached to the terminal and log to stderr\n"
    "                    (otherwise: detach and log to syslog)\n"
    "  --check           check the configuration and load every zone, then exit\n"
    "                    (status 0 if everything loads)\n"
    "  --version         print the version\n";

struct Args {
  std::string config;
  bool default_config = false;
  bool foreground = false;
  bool check = false;
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

std::vector<net::Endpoint> endpoints(const std::vector<std::string>& texts) {
  std::vector<net::Endpoint> out;
  for (const auto& t : texts) out.push_back(*net::parse_endpoint(t));  // validated by the config
  return out;
}

}  // namespace

int namaed_main(int argc, char** argv) {
  int status = 0;
  auto args = parse_args(argc, argv, status);
  if (!args) return status;

  Result<Config> loaded = args->default_config
                              ? parse_config(default_config_text(), "<default-config>", ".")
                              : load_config(args->config);
  if (!loaded) {
    std::fprintf(stderr, "%s\n", loaded.message().c_str());
    return 1;
  }
  Config& cfg = *loaded;

  // --check: load every zone once, print diagnostics, no sockets.
  if (args->check) {
    setup_logging(true, "warn");
    net::MetricsRegistry metrics;
    zone::ZoneSetHolder holder;
    ZoneManager zones(holder, metrics);
    if (auto r = zones.configure(cfg.zones); !r) {
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
    std::printf("%s: configuration ok; zones: %s\n", cfg.source.c_str(), report.summary().c_str());
    return report.failed ? 1 : 0;
  }

  if (!args->foreground) {
    // Detach before any thread exists (fork keeps only the calling thread).
    if (::daemon(1, 0) != 0) {
      std::fprintf(stderr, "namaed: cannot detach: %s\n", std::strerror(errno));
      return 1;
    }
  }
  setup_logging(args->foreground, cfg.server.log_level);

  // Signals are taken synchronously by the main thread through a signalfd; every
  // thread started below inherits the blocked mask, so none is interrupted.
  sigset_t mask;
  sigemptyset(&mask);
  sigaddset(&mask, SIGHUP);
  sigaddset(&mask, SIGTERM);
  sigaddset(&mask, SIGINT);
  pthread_sigmask(SIG_BLOCK, &mask, nullptr);
  signal(SIGPIPE, SIG_IGN);
  int sig_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  int stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

  net::MetricsRegistry metrics;
  zone::ZoneSetHolder holder;
  ZoneManager zones(holder, metrics);
  std::mutex reload_mu;  // SIGHUP and `ctl reload` may race; reloads run one at a time
  if (auto r = zones.configure(cfg.zones); !r) {
    spdlog::critical("{}", r.message());
    return 1;
  }
  {
    auto report = zones.reload(true);
    spdlog::info("zones: {}", report.summary());
  }

  // Dynamic update: zones with a journal are replayed and handed to the
  // update service before any listener opens.
  auto updates_made = make_update_service(cfg, zones);
  if (!updates_made) {
    spdlog::critical("{}", updates_made.message());
    return 1;
  }
  std::unique_ptr<update::UpdateService> updates = std::move(*updates_made);
  update::UpdateService* update_handler = updates.get();

  auth::AuthOptions auth_opts;
  auth_opts.minimal_responses = cfg.server.minimal_responses;
  auth_opts.max_udp_payload = cfg.server.edns_udp_size;
  if (auto keys = tsig_keys(cfg)) auth_opts.tsig_keys = std::move(*keys);  // checked above
  net::HandlerFactory factory = [&holder, auth_opts, update_handler](net::WorkerMetrics* m) {
    auto engine = std::make_unique<auth::AuthEngine>(holder, auth_opts, m);
    engine->set_opcode_handler(dns::opcode::UPDATE, update_handler);
    return engine;
  };

  net::UdpOptions udp_opts;
  udp_opts.listen = endpoints(cfg.server.listen);
  udp_opts.workers = cfg.server.workers;
  udp_opts.batch = cfg.server.udp_batch;
  udp_opts.receive_buffer = static_cast<int>(cfg.server.udp_receive_buffer);
  net::TcpOptions tcp_opts;
  tcp_opts.listen = udp_opts.listen;
  tcp_opts.workers = cfg.server.tcp_workers;
  tcp_opts.idle_timeout = std::chrono::milliseconds(cfg.server.tcp_idle_timeout_ms);
  tcp_opts.max_connections = cfg.server.tcp_max_connections;
  tcp_opts.write_watermark = cfg.server.tcp_write_buffer;

  net::UdpServer udp(udp_opts, factory, metrics);
  net::TcpServer tcp(tcp_opts, factory, metrics);
  if (auto r = udp.start(); !r) {
    spdlog::critical("{}", r.message());
    return 1;
  }
  if (auto r = tcp.start(); !r) {
    spdlog::critical("{}", r.message());
    udp.stop();
    return 1;
  }
  for (const auto& ep : udp.bound())
    spdlog::info("listening on {} (udp: {} workers, tcp)", ep.to_string(), udp.workers());

  // The recursive resolver: its own listeners, never the authoritative ones.
  std::unique_ptr<ResolverRole> resolver_role;
  if (cfg.resolver.enabled) {
    auto made = ResolverRole::create(cfg.resolver, metrics);
    Result<void> started = made ? (*made)->start() : Result<void>(made.error());
    if (!started) {
      spdlog::critical("{}", started.message());
      tcp.stop();
      udp.stop();
      return 1;
    }
    resolver_role = std::move(*made);
    for (const auto& ep : resolver_role->bound())
      spdlog::info("resolver listening on {} (udp, tcp)", ep.to_string());
  }

  auto do_reload = [&](const char* why) {
    std::lock_guard lock(reload_mu);
    metrics.reloads.fetch_add(1);
    auto report = zones.reload(false);
    spdlog::info("reload ({}): {}", why, report.summary());
    return report;
  };

  std::unique_ptr<mdns::Stack> mdns_stack;  // [mdns], started below
  ControlDispatch dispatch = [&](std::string_view cmd) -> std::string {
    if (cmd == "reload") {
      auto report = do_reload("control");
      std::string out = report.failed ? "error: " + report.summary() + "\n" : "ok " + report.summary() + "\n";
      for (const auto& e : report.errors) out += e + "\n";
      return out;
    }
    if (cmd == "status") {
      std::string out = fmt::format("ok running pid {}\n", getpid());
      out += fmt::format("queries {} dropped {} tcp-connections {}\n", metrics.total_queries(),
                         metrics.total_dropped(), metrics.tcp_connections.load());
      for (const auto& ep : udp.bound()) out += "listen " + ep.to_string() + "\n";
      if (resolver_role)
        for (const auto& ep : resolver_role->bound()) out += "resolver " + ep.to_string() + "\n";
      std::lock_guard lock(reload_mu);
      out += zones.status();
      out += updates->status();
      if (mdns_stack) out += mdns_stack->status();
      return out;
    }
    if (cmd == "cache" || cmd.rfind("cache ", 0) == 0) {
      if (!resolver_role) return "error: no [resolver] configured\n";
      return resolver_role->control(cmd);
    }
    if (cmd == "stop") {
      uint64_t one = 1;
      if (write(stop_fd, &one, sizeof one) < 0) { /* cannot fail */ }
      return "ok stopping\n";
    }
    return "error: unknown command '" + std::string(cmd) + "' (reload, status, stop)\n";
  };
  ControlServer control(cfg.server.control, dispatch);
  if (auto r = control.start(); !r) {
    spdlog::critical("{}", r.message());
    tcp.stop();
    udp.stop();
    return 1;
  }
  spdlog::info("control socket {}", control.path());

  std::unique_ptr<http::UpdateApi> update_api;  // DynDNS2 + REST; outlives the listener
  http::MetricsServer http_server(metrics);
  if (cfg.http.enabled) {
    auto api = install_update_api(cfg, *updates, holder, http_server);
    if (!api) {
      spdlog::critical("{}", api.message());
      control.stop();
      tcp.stop();
      udp.stop();
      return 1;
    }
    update_api = std::move(*api);
    if (auto r = http_server.start(cfg.http.listen, cfg.http.tls_cert, cfg.http.tls_key); !r) {
      spdlog::critical("{}", r.message());
      control.stop();
      tcp.stop();
      udp.stop();
      return 1;
    }
    spdlog::info("http{} on {}: /metrics, /nic/update, /api ({} users)",
                 http_server.tls() ? "s" : "", cfg.http.listen, cfg.http.users.size());
  }

  // [mdns]: multicast DNS responder (its own sockets on 5353, its own thread).
  if (cfg.mdns.enabled) {
    auto started = start_mdns(cfg);
    if (!started) {
      spdlog::critical("{}", started.message());
      http_server.stop();
      control.stop();
      if (resolver_role) resolver_role->stop();
      tcp.stop();
      udp.stop();
      return 1;
    }
    mdns_stack = std::move(*started);
  }

  if (!cfg.server.pid_file.empty()) {
    std::ofstream(cfg.server.pid_file) << getpid() << "\n";
  }
  updates->start();  // lease expiry and periodic zone file writes
  sd_notifyf(0, "READY=1\nSTATUS=serving %zu zones\nMAINPID=%lu", zones.loaded_zones(),
             static_cast<unsigned long>(getpid()));
  spdlog::info("ready");

  pollfd fds[2] = {{sig_fd, POLLIN, 0}, {stop_fd, POLLIN, 0}};
  for (bool running = true; running;) {
    int n = poll(fds, 2, 1000);
    if (n < 0 && errno != EINTR) break;
    if (fds[1].revents) {
      spdlog::info("stop requested through the control socket");
      break;
    }
    if (fds[0].revents) {
      signalfd_siginfo si{};
      while (read(sig_fd, &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGHUP) {
          sd_notify(0, "RELOADING=1");
          do_reload("SIGHUP");
          sd_notify(0, "READY=1");
        } else {
          spdlog::info("{} received, shutting down", strsignal(static_cast<int>(si.ssi_signo)));
          running = false;
        }
      }
    }
    std::lock_guard lock(reload_mu);
    zones.reclaim();  // free snapshots the workers have let go of
  }

  sd_notify(0, "STOPPING=1");
  if (mdns_stack) mdns_stack->stop();  // goodbye packets for everything published
  http_server.stop();
  control.stop();
  if (resolver_role) resolver_role->stop();
  tcp.stop();
  udp.stop();
  // No update can arrive any more: write dynamic zones back to their files.
  updates->stop();
  if (auto r = updates->sync_files(true); !r) spdlog::error("writing dynamic zones: {}", r.message());
  if (!cfg.server.pid_file.empty()) unlink(cfg.server.pid_file.c_str());
  spdlog::info("stopped");
  return 0;
}

}  // namespace namae::daemon
